#include "oban/core/erlang_term.hpp"

#include <algorithm>
#include <stdexcept>

namespace oban {

ErlangTerm ErlangTerm::list(std::vector<ErlangTerm> elements) {
  ErlangTerm term(Kind::list, {});
  term.elements_ = std::move(elements);
  return term;
}

ErlangTerm ErlangTerm::tuple(std::vector<ErlangTerm> elements) {
  ErlangTerm term(Kind::tuple, {});
  term.elements_ = std::move(elements);
  return term;
}

ErlangTerm ErlangTerm::map(std::vector<Pair> entries) {
  // A map with a repeated key cannot exist in Erlang, and hashing one would silently
  // produce a value no BEAM node ever computes.
  for (std::size_t i = 0; i < entries.size(); ++i) {
    for (std::size_t j = i + 1; j < entries.size(); ++j) {
      if (entries[i].first == entries[j].first) {
        throw std::invalid_argument("ErlangTerm::map: duplicate key");
      }
    }
  }
  ErlangTerm term(Kind::map, {});
  term.entries_ = std::move(entries);
  return term;
}

bool operator==(const ErlangTerm& a, const ErlangTerm& b) {
  if (a.kind_ != b.kind_) return false;
  switch (a.kind_) {
    case ErlangTerm::Kind::binary:
    case ErlangTerm::Kind::atom:
      return a.text_ == b.text_;
    case ErlangTerm::Kind::integer:
      return a.integer_ == b.integer_;
    case ErlangTerm::Kind::list:
    case ErlangTerm::Kind::tuple:
      return a.elements_ == b.elements_;
    case ErlangTerm::Kind::map:
      // Keys are unique on both sides, so equal sizes plus "every entry of a is in b"
      // is set equality.
      return a.entries_.size() == b.entries_.size() &&
             std::all_of(a.entries_.begin(), a.entries_.end(), [&b](const ErlangTerm::Pair& entry) {
               return std::find(b.entries_.begin(), b.entries_.end(), entry) != b.entries_.end();
             });
  }
  return false;
}

}  // namespace oban
