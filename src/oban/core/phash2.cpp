#include "oban/core/phash2.hpp"

#include <stdexcept>
#include <string_view>

namespace oban {
namespace {

// The BEAM's hash constants: the golden ratio 0x9e3779b9 times n, modulo 2^32.
constexpr std::uint32_t kGolden = 0x9e3779b9U;
constexpr std::uint32_t golden_times(std::uint32_t n) { return kGolden * n; }
constexpr std::uint32_t kSmallIntSalt = golden_times(1);
constexpr std::uint32_t kNilSalt = golden_times(2);
constexpr std::uint32_t kAtomSalt = golden_times(3);
constexpr std::uint32_t kByteRunSalt = golden_times(4);
constexpr std::uint32_t kTupleSalt = golden_times(9);
constexpr std::uint32_t kNegativeBigSalt = golden_times(10);
constexpr std::uint32_t kPositiveBigSalt = golden_times(11);
constexpr std::uint32_t kBinarySalt = golden_times(13);
constexpr std::uint32_t kMapSizeSalt = golden_times(16);
constexpr std::uint32_t kMapPairsSalt = golden_times(19);

// The BEAM's tag number for [] (NIL_DEF), which is what gets mixed for a list's end.
constexpr std::uint32_t kNilTag = 2;
// What make_hash2 assigns directly for [] when nothing has been hashed yet; it equals
// mixing kNilTag into a zero state, and the test suite checks that identity.
constexpr std::uint32_t kNilFirstHash = 3468870702U;
// Integers in [-2^27, 2^27) are hashed as 32-bit values; anything wider is hashed as a
// bignum, whatever the word size of the node that computed it.
constexpr std::int64_t kSmall28Limit = std::int64_t{1} << 27;
// phash2/1 keeps the low 27 bits.
constexpr std::uint32_t kPhash2Mask = (std::uint32_t{1} << 27) - 1;

// Bob Jenkins' 96-bit mix (lookup2), on which make_hash2 is built.
void mix(std::uint32_t& a, std::uint32_t& b, std::uint32_t& c) {
  a -= b; a -= c; a ^= (c >> 13);
  b -= c; b -= a; b ^= (a << 8);
  c -= a; c -= b; c ^= (b >> 13);
  a -= b; a -= c; a ^= (c >> 12);
  b -= c; b -= a; b ^= (a << 16);
  c -= a; c -= b; c ^= (b >> 5);
  a -= b; a -= c; a ^= (c >> 3);
  b -= c; b -= a; b ^= (a << 10);
  c -= a; c -= b; c ^= (b >> 15);
}

std::uint32_t read_le32(const unsigned char* p) {
  return std::uint32_t{p[0]} | (std::uint32_t{p[1]} << 8) | (std::uint32_t{p[2]} << 16) |
         (std::uint32_t{p[3]} << 24);
}

// Jenkins' lookup2 over a byte string, seeded with `seed`: how binaries are hashed.
std::uint32_t block_hash(std::string_view bytes, std::uint32_t seed) {
  const auto* k = reinterpret_cast<const unsigned char*>(bytes.data());
  std::size_t remaining = bytes.size();
  std::uint32_t a = kGolden;
  std::uint32_t b = kGolden;
  std::uint32_t c = seed;
  while (remaining >= 12) {
    a += read_le32(k);
    b += read_le32(k + 4);
    c += read_le32(k + 8);
    mix(a, b, c);
    k += 12;
    remaining -= 12;
  }
  // The low byte of c is taken by the length, so the tail's last three bytes go above it.
  c += static_cast<std::uint32_t>(bytes.size());
  for (std::size_t i = 0; i < remaining; ++i) {
    const std::uint32_t byte = k[i];
    if (i < 4) {
      a += byte << (8 * i);
    } else if (i < 8) {
      b += byte << (8 * (i - 4));
    } else {
      c += byte << (8 * (i - 8 + 1));
    }
  }
  mix(a, b, c);
  return c;
}

// hashpjw over the atom's name, the value the BEAM caches in its atom table. Two-byte
// UTF-8 sequences for U+0080..U+00FF are folded back to their Latin-1 byte, so atoms
// hash as they did when atoms were Latin-1 only.
std::uint32_t atom_hash(std::string_view name) {
  std::uint32_t h = 0;
  for (std::size_t i = 0; i < name.size(); ++i) {
    auto v = static_cast<unsigned char>(name[i]);
    const bool has_next = i + 1 < name.size();
    if (has_next && (v & 0xFEU) == 0xC2U && (static_cast<unsigned char>(name[i + 1]) & 0xC0U) == 0x80U) {
      v = static_cast<unsigned char>((v << 6) | (static_cast<unsigned char>(name[i + 1]) & 0x3FU));
      ++i;
    }
    h = (h << 4) + v;
    if (const std::uint32_t g = h & 0xF0000000U; g != 0) {
      h ^= g >> 24;
      h ^= g;
    }
  }
  return h;
}

// The running state of one make_hash2 computation.
class Hasher {
 public:
  std::uint32_t value() const { return hash_; }

  void add(const ErlangTerm& term) {
    switch (term.kind()) {
      case ErlangTerm::Kind::integer: add_integer(term.integer_value()); break;
      case ErlangTerm::Kind::atom: add_atom(term.text()); break;
      case ErlangTerm::Kind::binary: add_binary(term.text()); break;
      case ErlangTerm::Kind::tuple: add_tuple(term.elements()); break;
      case ErlangTerm::Kind::list: add_list(term.elements()); break;
      case ErlangTerm::Kind::map: add_map(term.entries()); break;
    }
  }

 private:
  void mix_pair(std::uint32_t x, std::uint32_t y, std::uint32_t salt) {
    std::uint32_t a = salt + x;
    std::uint32_t b = salt + y;
    mix(a, b, hash_);
  }
  void mix_one(std::uint32_t x, std::uint32_t salt) { mix_pair(x, 0, salt); }

  void add_integer(std::int64_t value) {
    if (value >= -kSmall28Limit && value < kSmall28Limit) {
      const auto narrow = static_cast<std::int32_t>(value);
      // Negative values are mixed twice (magnitude, then the value); the BEAM does so.
      if (narrow < 0) mix_one(static_cast<std::uint32_t>(-narrow), kSmallIntSalt);
      mix_one(static_cast<std::uint32_t>(narrow), kSmallIntSalt);
      return;
    }
    // As a bignum: sign picks the salt, the magnitude is mixed as 32-bit halves.
    const std::uint64_t magnitude =
        value < 0 ? std::uint64_t{0} - static_cast<std::uint64_t>(value) : static_cast<std::uint64_t>(value);
    mix_pair(static_cast<std::uint32_t>(magnitude & 0xFFFFFFFFU), static_cast<std::uint32_t>(magnitude >> 32),
             value < 0 ? kNegativeBigSalt : kPositiveBigSalt);
  }

  void add_atom(std::string_view name) {
    // make_hash2 takes the cached atom hash as is when it is the first thing hashed.
    if (hash_ == 0) {
      hash_ = atom_hash(name);
    } else {
      mix_one(atom_hash(name), kAtomSalt);
    }
  }

  void add_nil() {
    if (hash_ == 0) {
      hash_ = kNilFirstHash;
    } else {
      mix_one(kNilTag, kNilSalt);
    }
  }

  void add_binary(std::string_view bytes) {
    const std::uint32_t seed = kBinarySalt + hash_;
    hash_ = bytes.empty() ? seed : block_hash(bytes, seed);
  }

  void add_tuple(const std::vector<ErlangTerm>& elements) {
    mix_one(static_cast<std::uint32_t>(elements.size()), kTupleSalt);
    for (const ErlangTerm& element : elements) add(element);
  }

  static bool is_byte(const ErlangTerm& term) {
    return term.is(ErlangTerm::Kind::integer) && term.integer_value() >= 0 && term.integer_value() <= 255;
  }

  // A list is walked cell by cell: runs of byte-sized integers (charlist text) are packed
  // four to a word, any other element is hashed as a term, and the end is hashed as [].
  void add_list(const std::vector<ErlangTerm>& elements) {
    std::size_t i = 0;
    while (i < elements.size()) {
      std::uint32_t packed = 0;
      int pending = 0;
      while (i < elements.size() && is_byte(elements[i])) {
        packed = (packed << 8) + static_cast<std::uint32_t>(elements[i].integer_value());
        ++i;
        if (++pending == 4) {
          mix_one(packed, kByteRunSalt);
          packed = 0;
          pending = 0;
        }
      }
      if (pending > 0) mix_one(packed, kByteRunSalt);
      if (i < elements.size()) {
        add(elements[i]);
        ++i;
      }
    }
    add_nil();
  }

  // Maps hash independently of entry order: each key-value pair is hashed from a zero
  // state, the pair hashes are XOR-ed, and that XOR is mixed after the size.
  void add_map(const std::vector<ErlangTerm::Pair>& entries) {
    mix_one(static_cast<std::uint32_t>(entries.size()), kMapSizeSalt);
    if (entries.empty()) return;
    std::uint32_t pairs = 0;
    for (const auto& [key, value] : entries) {
      Hasher pair;
      pair.add(key);
      pair.add(value);
      pairs ^= pair.value();
    }
    mix_one(pairs, kMapPairsSalt);
  }

  std::uint32_t hash_ = 0;
};

}  // namespace

std::uint32_t phash2(const ErlangTerm& term) {
  Hasher hasher;
  hasher.add(term);
  return hasher.value() & kPhash2Mask;
}

std::string cron_name(const std::string& expr, const std::string& worker, const ErlangTerm& opts_map) {
  if (!opts_map.is(ErlangTerm::Kind::map)) {
    throw std::invalid_argument("cron_name: options must be a map");
  }
  return std::to_string(phash2(ErlangTerm::tuple({expr, worker, opts_map})));
}

}  // namespace oban
