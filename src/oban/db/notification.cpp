#include "oban/db/notification.hpp"

#include <zlib.h>

#include "oban/db/identifiers.hpp"
#include "oban/json/json_writer.hpp"

#include <array>
#include <stdexcept>

namespace oban::db {
namespace {

constexpr std::string_view kAlphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

std::string base64_encode(std::string_view bytes) {
  std::string out;
  out.reserve((bytes.size() + 2) / 3 * 4);
  std::size_t i = 0;
  for (; i + 2 < bytes.size(); i += 3) {
    const auto n = (static_cast<unsigned char>(bytes[i]) << 16) | (static_cast<unsigned char>(bytes[i + 1]) << 8) |
                   static_cast<unsigned char>(bytes[i + 2]);
    out += {kAlphabet[(n >> 18) & 63], kAlphabet[(n >> 12) & 63], kAlphabet[(n >> 6) & 63], kAlphabet[n & 63]};
  }
  if (const auto rest = bytes.size() - i; rest > 0) {
    unsigned n = static_cast<unsigned char>(bytes[i]) << 16;
    if (rest == 2) n |= static_cast<unsigned char>(bytes[i + 1]) << 8;
    out += kAlphabet[(n >> 18) & 63];
    out += kAlphabet[(n >> 12) & 63];
    out += rest == 2 ? kAlphabet[(n >> 6) & 63] : '=';
    out += '=';
  }
  return out;
}

std::string base64_decode(std::string_view text) {
  std::array<int, 256> values{};
  values.fill(-1);
  for (std::size_t i = 0; i < kAlphabet.size(); ++i) values[static_cast<unsigned char>(kAlphabet[i])] = static_cast<int>(i);
  std::string out;
  unsigned buffer = 0;
  int bits = 0;
  for (char c : text) {
    if (c == '=') break;
    const int value = values[static_cast<unsigned char>(c)];
    if (value < 0) throw std::invalid_argument("payload is not valid base64");
    buffer = (buffer << 6) | static_cast<unsigned>(value);
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out.push_back(static_cast<char>((buffer >> bits) & 0xFF));
    }
  }
  return out;
}

std::string gzip(std::string_view data) {
  z_stream stream{};
  // 15 + 16: a gzip (RFC 1952) wrapper, as Erlang's :zlib.gzip writes.
  if (deflateInit2(&stream, Z_DEFAULT_COMPRESSION, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY) != Z_OK) {
    throw std::runtime_error("deflateInit2 failed");
  }
  std::string out(deflateBound(&stream, static_cast<uLong>(data.size())) + 32, '\0');
  stream.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(data.data()));
  stream.avail_in = static_cast<uInt>(data.size());
  stream.next_out = reinterpret_cast<Bytef*>(out.data());
  stream.avail_out = static_cast<uInt>(out.size());
  const int result = deflate(&stream, Z_FINISH);
  deflateEnd(&stream);
  if (result != Z_STREAM_END) throw std::runtime_error("gzip failed");
  out.resize(stream.total_out);
  return out;
}

std::string gunzip(std::string_view data) {
  z_stream stream{};
  if (inflateInit2(&stream, 15 + 16) != Z_OK) throw std::runtime_error("inflateInit2 failed");
  stream.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(data.data()));
  stream.avail_in = static_cast<uInt>(data.size());
  std::string out;
  std::array<char, 4096> chunk{};
  int result = Z_OK;
  while (result == Z_OK) {
    stream.next_out = reinterpret_cast<Bytef*>(chunk.data());
    stream.avail_out = static_cast<uInt>(chunk.size());
    result = inflate(&stream, Z_NO_FLUSH);
    out.append(chunk.data(), chunk.size() - stream.avail_out);
    if (result == Z_BUF_ERROR && stream.avail_in == 0) break;
  }
  inflateEnd(&stream);
  if (result != Z_STREAM_END) throw std::invalid_argument("payload is not valid gzip");
  return out;
}

}  // namespace

std::string encode_payload(std::string_view json) {
  if (json.size() <= kPlainPayloadLimit) return std::string{json};
  return "Z:" + base64_encode(gzip(json));
}

std::string decode_payload(std::string_view payload) {
  if (payload.starts_with("Z:")) return gunzip(base64_decode(payload.substr(2)));
  if (payload.starts_with("H4sI")) return gunzip(base64_decode(payload));
  return std::string{payload};
}

std::string encoded_payloads(const std::vector<std::string>& json_payloads) {
  std::vector<std::string> encoded;
  encoded.reserve(json_payloads.size());
  for (const auto& payload : json_payloads) encoded.push_back(encode_payload(payload));
  return json::string_array(encoded);
}

void notify(pqxx::transaction_base& tx, const std::string& prefix, const std::string& channel_name,
            const std::vector<std::string>& json_payloads) {
  if (json_payloads.empty()) return;
  tx.exec_params("SELECT pg_notify($1, payload) FROM json_array_elements_text($2::json) AS payload",
                 channel(prefix, channel_name), encoded_payloads(json_payloads));
}

void notify(ConnectionPool& pool, const std::string& prefix, const std::string& channel_name,
            const std::vector<std::string>& json_payloads) {
  if (json_payloads.empty()) return;
  auto lease = pool.acquire();
  pqxx::work tx{*lease};
  notify(tx, prefix, channel_name, json_payloads);
  tx.commit();
}

}  // namespace oban::db
