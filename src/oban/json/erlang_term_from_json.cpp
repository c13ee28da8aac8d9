#include "oban/json/erlang_term_from_json.hpp"

#include <simdjson.h>

#include <stdexcept>

namespace oban::json {
namespace {

ErlangTerm convert(simdjson::dom::element element) {
  using Type = simdjson::dom::element_type;
  switch (element.type()) {
    case Type::OBJECT: {
      std::vector<ErlangTerm::Pair> entries;
      for (auto field : simdjson::dom::object(element)) {
        entries.emplace_back(ErlangTerm::binary(std::string{field.key}), convert(field.value));
      }
      return ErlangTerm::map(std::move(entries));
    }
    case Type::ARRAY: {
      std::vector<ErlangTerm> items;
      for (auto item : simdjson::dom::array(element)) items.push_back(convert(item));
      return ErlangTerm::list(std::move(items));
    }
    case Type::STRING:
      return ErlangTerm::binary(std::string{std::string_view(element)});
    case Type::INT64:
      return ErlangTerm::integer(int64_t(element));
    case Type::UINT64:
      throw std::invalid_argument("integer too large for a cron term");
    case Type::BOOL:
      return ErlangTerm::boolean(bool(element));
    case Type::NULL_VALUE:
      return ErlangTerm::nil();
    case Type::DOUBLE:
      break;
  }
  throw std::invalid_argument("floats are not supported in cron args");
}

}  // namespace

ErlangTerm erlang_term_from_json(std::string_view json) {
  simdjson::dom::parser parser;
  simdjson::padded_string padded{json};
  simdjson::dom::element root;
  if (parser.parse(padded).get(root) != simdjson::SUCCESS) {
    throw std::invalid_argument("invalid JSON: " + std::string{json});
  }
  return convert(root);
}

}  // namespace oban::json
