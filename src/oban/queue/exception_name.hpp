#pragma once
// The name an exception escaping perform gets in its errors entry ("** (Name) message").
// Elixir users read that column, so C++'s own types get the Elixir exception that means the
// same (std::runtime_error is a RuntimeError, std::invalid_argument an ArgumentError, a lost
// database connection a DBConnection.ConnectionError, a refused statement a Postgrex.Error);
// a worker's own exception type keeps its name, which its authors chose to be read.
#include <exception>
#include <string>

namespace oban::queue {

std::string exception_name(const std::exception& error);

// The name for the exception being handled that is not a std::exception (inside catch (...)).
std::string foreign_exception_name();

}  // namespace oban::queue
