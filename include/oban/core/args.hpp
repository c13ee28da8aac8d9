#pragma once
// Typed job args: a worker's args as a C++ struct, decoded from and encoded to the job's
// JSON object (an oban::Value) by a field list the struct declares once:
//
//   struct ResizeArgs {
//     static constexpr std::string_view kWorker = "MyApp.Workers.Resize";  // typed_worker.hpp
//     std::int64_t image_id = 0;
//     std::vector<int> sizes;
//     std::optional<std::string> format;  // may be absent or null
//     static constexpr auto fields() {
//       return oban::fields(oban::field("image_id", &ResizeArgs::image_id),
//                           oban::field("sizes", &ResizeArgs::sizes),
//                           oban::field("format", &ResizeArgs::format));
//     }
//   };
//
// Field types: bool, integers (range-checked), floating point (integers accepted), std::string,
// oban::Value (anything), std::vector<T>, std::optional<T>, std::map<std::string, T>, and
// structs with fields() (nested objects). Every field is required unless it is a
// std::optional; keys the struct does not name are ignored, so an Elixir side that adds a key
// breaks nothing. Decoding stops at the first problem with an ArgsError naming the field's
// path and the type expected, e.g. `args.sizes[1]: expected an integer, got a string`.
#include <cstdint>
#include <limits>
#include <map>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <tuple>
#include <type_traits>
#include <utility>
#include <vector>

#include "oban/core/value.hpp"

namespace oban {

// Args that do not fit their struct. what() is "<path>: <problem>".
class ArgsError : public std::invalid_argument {
 public:
  ArgsError(const std::string& path, const std::string& problem)
      : std::invalid_argument(path + ": " + problem), path_(path) {}
  // Where the problem is: "args", "args.image_id", "args.sizes[1]", "args.crop.width".
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

// One member of an args struct under its JSON key.
template <class Struct, class Member>
struct ArgsField {
  std::string_view key;
  Member Struct::*member;
};

template <class Struct, class Member>
constexpr ArgsField<Struct, Member> field(std::string_view key, Member Struct::*member) {
  return {key, member};
}

template <class... Fields>
constexpr std::tuple<Fields...> fields(Fields... list) {
  return std::tuple<Fields...>{list...};
}

// A struct that lists its fields.
template <class T>
concept ArgsStruct = std::is_class_v<T> && requires { T::fields(); };

namespace args_detail {

template <class T>
struct IsVector : std::false_type {};
template <class T, class A>
struct IsVector<std::vector<T, A>> : std::true_type {};
template <class T>
struct IsOptional : std::false_type {};
template <class T>
struct IsOptional<std::optional<T>> : std::true_type {};
template <class T>
struct IsStringMap : std::false_type {};
template <class T, class C, class A>
struct IsStringMap<std::map<std::string, T, C, A>> : std::true_type {};

template <class T>
constexpr bool kInteger = std::is_integral_v<T> && !std::is_same_v<T, bool>;

// "an integer", "a list of strings", ... for messages.
template <class T>
std::string expected_name() {
  if constexpr (std::is_same_v<T, bool>) {
    return "a boolean";
  } else if constexpr (kInteger<T>) {
    return "an integer";
  } else if constexpr (std::is_floating_point_v<T>) {
    return "a number";
  } else if constexpr (std::is_same_v<T, std::string>) {
    return "a string";
  } else if constexpr (std::is_same_v<T, Value>) {
    return "any JSON value";
  } else if constexpr (IsOptional<T>::value) {
    return expected_name<typename T::value_type>() + " or null";
  } else if constexpr (IsVector<T>::value) {
    auto item = expected_name<typename T::value_type>();
    return "a list of " + item.substr(item.find(' ') + 1) + (item.back() == 's' ? "" : "s");
  } else if constexpr (IsStringMap<T>::value || ArgsStruct<T>) {
    return "an object";
  } else {
    static_assert(sizeof(T) == 0, "unsupported args field type");
  }
}

inline std::string kind_name(const Value& value) {
  switch (value.kind()) {
    case Value::Kind::null: return "null";
    case Value::Kind::boolean: return "a boolean";
    case Value::Kind::integer: return "an integer";
    case Value::Kind::number: return "a float";
    case Value::Kind::string: return "a string";
    case Value::Kind::array: return "a list";
    case Value::Kind::object: return "an object";
    case Value::Kind::raw: return "a JSON value";
  }
  return "a JSON value";
}

template <class T>
[[noreturn]] void mismatch(const std::string& path, const Value& value) {
  throw ArgsError(path, "expected " + expected_name<T>() + ", got " + kind_name(value));
}

template <class T>
T decode(const Value& value, const std::string& path);

template <ArgsStruct T>
T decode_struct(const Value& value, const std::string& path) {
  const auto* object = value.if_object();
  if (!object) mismatch<T>(path, value);
  T result{};
  std::apply(
      [&](const auto&... entry) {
        auto one = [&](const auto& field) {
          using Member = std::remove_cvref_t<decltype(result.*(field.member))>;
          const std::string member_path = path + "." + std::string{field.key};
          const auto found = object->find(field.key);
          if (found == object->end()) {
            if constexpr (IsOptional<Member>::value) {
              result.*(field.member) = std::nullopt;
              return;
            } else {
              throw ArgsError(member_path, "missing, expected " + expected_name<Member>());
            }
          }
          result.*(field.member) = decode<Member>(found->second, member_path);
        };
        (one(entry), ...);
      },
      T::fields());
  return result;
}

template <class T>
T decode(const Value& value, const std::string& path) {
  if constexpr (std::is_same_v<T, Value>) {
    return value;
  } else if constexpr (std::is_same_v<T, bool>) {
    if (const auto* b = value.if_bool()) return *b;
    mismatch<T>(path, value);
  } else if constexpr (kInteger<T>) {
    const auto* i = value.if_integer();
    if (!i) mismatch<T>(path, value);
    using Limits = std::numeric_limits<T>;
    const bool fits = std::is_signed_v<T>
                          ? (*i >= static_cast<std::int64_t>(Limits::min()) &&
                             (sizeof(T) >= sizeof(std::int64_t) || *i <= static_cast<std::int64_t>(Limits::max())))
                          : (*i >= 0 && (sizeof(T) >= sizeof(std::int64_t) ||
                                         static_cast<std::uint64_t>(*i) <= static_cast<std::uint64_t>(Limits::max())));
    if (!fits) {
      throw ArgsError(path, "expected an integer from " + std::to_string(Limits::min()) + " to " +
                                std::to_string(Limits::max()) + ", got " + std::to_string(*i));
    }
    return static_cast<T>(*i);
  } else if constexpr (std::is_floating_point_v<T>) {
    if (const auto* d = value.if_number()) return static_cast<T>(*d);
    if (const auto* i = value.if_integer()) return static_cast<T>(*i);
    mismatch<T>(path, value);
  } else if constexpr (std::is_same_v<T, std::string>) {
    if (const auto* s = value.if_string()) return *s;
    mismatch<T>(path, value);
  } else if constexpr (IsOptional<T>::value) {
    using Inner = typename T::value_type;
    if (value.is_null()) return std::nullopt;
    try {
      return decode<Inner>(value, path);
    } catch (const ArgsError& error) {
      // A value of the wrong type here: say that null would do too.
      if (error.what() != path + ": expected " + expected_name<Inner>() + ", got " + kind_name(value)) throw;
      mismatch<T>(path, value);
    }
  } else if constexpr (IsVector<T>::value) {
    const auto* array = value.if_array();
    if (!array) mismatch<T>(path, value);
    T result;
    result.reserve(array->size());
    for (std::size_t i = 0; i < array->size(); ++i) {
      result.push_back(decode<typename T::value_type>((*array)[i], path + "[" + std::to_string(i) + "]"));
    }
    return result;
  } else if constexpr (IsStringMap<T>::value) {
    const auto* object = value.if_object();
    if (!object) mismatch<T>(path, value);
    T result;
    for (const auto& [key, item] : *object) result.emplace(key, decode<typename T::mapped_type>(item, path + "." + key));
    return result;
  } else if constexpr (ArgsStruct<T>) {
    return decode_struct<T>(value, path);
  } else {
    static_assert(sizeof(T) == 0, "unsupported args field type");
  }
}

template <class T>
Value encode(const T& value, const std::string& path) {
  if constexpr (std::is_same_v<T, Value> || std::is_same_v<T, bool> || std::is_same_v<T, std::string>) {
    return value;
  } else if constexpr (kInteger<T>) {
    if constexpr (std::is_unsigned_v<T> && sizeof(T) >= sizeof(std::int64_t)) {
      if (value > static_cast<T>(std::numeric_limits<std::int64_t>::max())) {
        throw ArgsError(path, "integer " + std::to_string(value) + " is beyond JSON's 64-bit signed range");
      }
    }
    return static_cast<std::int64_t>(value);
  } else if constexpr (std::is_floating_point_v<T>) {
    return static_cast<double>(value);
  } else if constexpr (IsOptional<T>::value) {
    if (!value) return Value{};
    return encode(*value, path);
  } else if constexpr (IsVector<T>::value) {
    Value::Array array;
    array.reserve(value.size());
    for (std::size_t i = 0; i < value.size(); ++i) array.push_back(encode(value[i], path + "[" + std::to_string(i) + "]"));
    return array;
  } else if constexpr (IsStringMap<T>::value) {
    Value::Object object;
    for (const auto& [key, item] : value) object.emplace(key, encode(item, path + "." + key));
    return object;
  } else if constexpr (ArgsStruct<T>) {
    Value::Object object;
    std::apply(
        [&](const auto&... entry) {
          ((object[std::string{entry.key}] = encode(value.*(entry.member), path + "." + std::string{entry.key})), ...);
        },
        T::fields());
    return object;
  } else {
    static_assert(sizeof(T) == 0, "unsupported args field type");
  }
}

}  // namespace args_detail

// The job's args (a JSON object) as T. Throws ArgsError naming the first field that does not
// fit (missing, wrong type, out of range).
template <ArgsStruct T>
T decode_args(const Value& args) {
  return args_detail::decode<T>(args, "args");
}

// T as the job's args object. Optional fields that are empty are written as null.
template <ArgsStruct T>
Value::Object encode_args(const T& args) {
  return *args_detail::encode(args, "args").if_object();
}

}  // namespace oban
