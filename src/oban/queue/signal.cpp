#include "oban/queue/signal.hpp"

#include <algorithm>
#include <stdexcept>
#include <vector>

#include "oban/json/json_object.hpp"

namespace oban::queue {
namespace {

std::optional<std::string> optional_string(const json::JsonObject& object, const char* key) {
  if (!object.has(key)) return std::nullopt;
  auto value = object.string(key);
  if (!value) throw std::invalid_argument(std::string{"signal field '"} + key + "' is not a string");
  return value;
}

std::optional<std::int64_t> optional_integer(const json::JsonObject& object, const char* key) {
  if (!object.has(key)) return std::nullopt;
  auto value = object.integer(key);
  if (!value) throw std::invalid_argument(std::string{"signal field '"} + key + "' is not an integer");
  return value;
}

}  // namespace

bool Signal::addressed_to(const std::vector<std::string>& idents) const {
  if (!ident || *ident == "any") return true;
  return std::find(idents.begin(), idents.end(), *ident) != idents.end();
}

bool Signal::names_queue(const std::string& queue_name) const { return queue && (*queue == "*" || *queue == queue_name); }

Signal parse_signal(const std::string& text) {
  auto object = json::JsonObject::parse(text);
  Signal signal;
  auto action = optional_string(object, "action");
  if (!action) throw std::invalid_argument("signal without an action");
  signal.action = *action;
  signal.queue = optional_string(object, "queue");
  signal.ident = optional_string(object, "ident");
  if (auto limit = optional_integer(object, "limit")) {
    if (*limit <= 0 || *limit > 1000000) throw std::invalid_argument("signal limit out of range");
    signal.limit = static_cast<int>(*limit);
  }
  signal.job_id = optional_integer(object, "job_id");
  if (object.has("local_only")) {
    signal.local_only = object.boolean("local_only");
    if (!signal.local_only) throw std::invalid_argument("signal field 'local_only' is not a boolean");
  }
  return signal;
}

}  // namespace oban::queue
