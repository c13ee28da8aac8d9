#pragma once
// sql/rindle/*.sql, compiled into the library (cmake/embed_sql.cmake).
#include <string>
#include <string_view>

namespace rindle {

// The text of "rindle/<file>.sql"; throws std::out_of_range when there is none.
std::string embedded_sql_file(std::string_view path);

}  // namespace rindle
