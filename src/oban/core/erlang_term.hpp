#pragma once
// The few Erlang/Elixir term shapes that Oban hashes with :erlang.phash2/1 (cron entry
// names): binaries (Elixir strings), integers, atoms, lists, tuples and maps. Only what a
// foreign node needs to reproduce those hashes; no floats, pids, refs or funs.
#include <cstdint>
#include <initializer_list>
#include <string>
#include <utility>
#include <vector>

namespace oban {

class ErlangTerm {
 public:
  enum class Kind { binary, integer, atom, list, tuple, map };
  using Pair = std::pair<ErlangTerm, ErlangTerm>;

  // An empty binary, Elixir's "".
  ErlangTerm() = default;
  // Implicit on purpose: in Elixir a string literal is a binary and a number is an
  // integer, so `ErlangTerm::tuple({"* * * * *", "MyApp.Worker", opts})` reads like the
  // term it builds. Charlists must be spelled as ErlangTerm::list of integers.
  ErlangTerm(const char* text) : ErlangTerm(Kind::binary, text) {}          // NOLINT
  ErlangTerm(std::string text) : ErlangTerm(Kind::binary, std::move(text)) {}  // NOLINT
  ErlangTerm(std::int64_t value) : kind_(Kind::integer), integer_(value) {}  // NOLINT
  ErlangTerm(int value) : ErlangTerm(static_cast<std::int64_t>(value)) {}    // NOLINT

  static ErlangTerm binary(std::string bytes) { return ErlangTerm(Kind::binary, std::move(bytes)); }
  static ErlangTerm integer(std::int64_t value) { return ErlangTerm(value); }
  // `name` is the atom's text as Elixir prints it without the colon (UTF-8).
  static ErlangTerm atom(std::string name) { return ErlangTerm(Kind::atom, std::move(name)); }
  static ErlangTerm boolean(bool value) { return atom(value ? "true" : "false"); }
  // Elixir's nil is the atom `nil`.
  static ErlangTerm nil() { return atom("nil"); }
  static ErlangTerm list(std::vector<ErlangTerm> elements);
  static ErlangTerm tuple(std::vector<ErlangTerm> elements);
  // Keys must be distinct (as in any Erlang map); throws std::invalid_argument otherwise.
  // Entry order is irrelevant to equality and to phash2.
  static ErlangTerm map(std::vector<Pair> entries);
  static ErlangTerm map(std::initializer_list<Pair> entries) { return map(std::vector<Pair>(entries)); }

  Kind kind() const { return kind_; }
  bool is(Kind kind) const { return kind_ == kind; }
  // Binary bytes or atom name; empty for other kinds.
  const std::string& text() const { return text_; }
  std::int64_t integer_value() const { return integer_; }
  // List or tuple elements, in order; empty for other kinds.
  const std::vector<ErlangTerm>& elements() const { return elements_; }
  // Map entries in insertion order; empty for other kinds.
  const std::vector<Pair>& entries() const { return entries_; }

  // Exact term equality (=:=); maps compare as sets of entries.
  friend bool operator==(const ErlangTerm& a, const ErlangTerm& b);

 private:
  ErlangTerm(Kind kind, std::string text) : kind_(kind), text_(std::move(text)) {}

  Kind kind_ = Kind::binary;
  std::string text_;
  std::int64_t integer_ = 0;
  std::vector<ErlangTerm> elements_;
  std::vector<Pair> entries_;
};

}  // namespace oban
