#include "oban/queue/exception_name.hpp"

#include <cxxabi.h>

#include <cstdlib>
#include <new>
#include <stdexcept>
#include <system_error>
#include <typeinfo>

#include "oban/db/connection.hpp"

namespace oban::queue {
namespace {

std::string demangle(const char* mangled) {
  int status = 0;
  char* readable = abi::__cxa_demangle(mangled, nullptr, nullptr, &status);
  std::string name = (status == 0 && readable) ? readable : mangled;
  std::free(readable);
  return name;
}

// Types of the libraries under a worker: never a name a worker's author chose.
bool library_type(const std::string& name) {
  for (const char* prefix : {"std::", "__gnu_cxx::", "__cxxabiv1::", "pqxx::", "boost::", "simdjson::", "fmt::"}) {
    if (name.starts_with(prefix)) return true;
  }
  return false;
}

}  // namespace

std::string exception_name(const std::exception& error) {
  if (dynamic_cast<const pqxx::sql_error*>(&error)) return "Postgrex.Error";
  if (db::is_infrastructure_failure(error)) return "DBConnection.ConnectionError";
  if (dynamic_cast<const std::bad_alloc*>(&error)) return "SystemLimitError";
  if (dynamic_cast<const std::overflow_error*>(&error) || dynamic_cast<const std::underflow_error*>(&error) ||
      dynamic_cast<const std::range_error*>(&error)) {
    return "ArithmeticError";
  }
  if (dynamic_cast<const std::logic_error*>(&error)) return "ArgumentError";  // invalid_argument, out_of_range...
  const std::string name = demangle(typeid(error).name());
  return library_type(name) ? "RuntimeError" : name;
}

std::string foreign_exception_name() {
  const std::type_info* type = abi::__cxa_current_exception_type();
  return type ? demangle(type->name()) : std::string{"unknown"};
}

}  // namespace oban::queue
