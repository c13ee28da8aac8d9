#pragma once
// A JSON value held in memory: telemetry metadata, job args built in C++, notifier payloads.
// Objects keep their keys sorted, as Elixir maps of up to 32 keys print (so a JSON line we
// write reads like one Jason wrote). json/json_value.hpp turns values into text and back.
#include <cstdint>
#include <initializer_list>
#include <map>
#include <string>
#include <string_view>
#include <utility>
#include <variant>
#include <vector>

namespace oban {

class Value;

class Value {
 public:
  using Array = std::vector<Value>;
  using Object = std::map<std::string, Value, std::less<>>;
  enum class Kind { null, boolean, integer, number, string, array, object, raw };

  // Implicit on purpose, so metadata reads like the map it builds:
  // Value::Object{{"id", job.id}, {"queue", job.queue}, {"tags", Value::Array{"a"}}}.
  Value() = default;                                                  // null
  Value(std::nullptr_t) {}                                            // NOLINT
  Value(bool b) : data_(b) {}                                         // NOLINT
  Value(int i) : data_(static_cast<std::int64_t>(i)) {}               // NOLINT
  Value(long i) : data_(static_cast<std::int64_t>(i)) {}              // NOLINT
  Value(long long i) : data_(static_cast<std::int64_t>(i)) {}         // NOLINT
  Value(unsigned i) : data_(static_cast<std::int64_t>(i)) {}          // NOLINT
  Value(unsigned long i) : data_(static_cast<std::int64_t>(i)) {}     // NOLINT
  Value(double d) : data_(d) {}                                       // NOLINT
  Value(const char* s) : data_(std::string{s}) {}                     // NOLINT
  Value(std::string s) : data_(std::move(s)) {}                       // NOLINT
  Value(std::string_view s) : data_(std::string{s}) {}                // NOLINT
  Value(Array a) : data_(std::move(a)) {}                             // NOLINT
  Value(Object o) : data_(std::move(o)) {}                            // NOLINT
  // A list of strings or integers, e.g. tags or job ids.
  template <class T>
  Value(const std::vector<T>& items) : data_(Array(items.begin(), items.end())) {}  // NOLINT

  // Text that is already JSON (a job's args as jsonb printed them), written verbatim.
  // The caller vouches that it is valid JSON.
  static Value raw_json(std::string json);

  Kind kind() const;
  bool is_null() const { return kind() == Kind::null; }

  // Typed access: nullptr when the value is of another kind.
  const bool* if_bool() const { return std::get_if<bool>(&data_); }
  const std::int64_t* if_integer() const { return std::get_if<std::int64_t>(&data_); }
  const double* if_number() const { return std::get_if<double>(&data_); }
  const std::string* if_string() const { return std::get_if<std::string>(&data_); }
  const Array* if_array() const { return std::get_if<Array>(&data_); }
  const Object* if_object() const { return std::get_if<Object>(&data_); }
  // The JSON text of a raw value; nullptr otherwise.
  const std::string* if_raw() const;

  // Object member, nullptr when absent or not an object.
  const Value* find(std::string_view key) const;

  friend bool operator==(const Value& a, const Value& b) { return a.data_ == b.data_; }

 private:
  struct Raw {
    std::string json;
    friend bool operator==(const Raw&, const Raw&) = default;
  };
  std::variant<std::monostate, bool, std::int64_t, double, std::string, Array, Object, Raw> data_;
};

}  // namespace oban
