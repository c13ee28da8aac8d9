#pragma once
// The files of sql/, compiled into the binary (see cmake/embed_sql.cmake).
#include <string>
#include <vector>

namespace oban::db {

struct EmbeddedSql {
  const char* path;  // "oban/v01.sql", "rindle/tables.sql", ...
  const char* text;
};

const std::vector<EmbeddedSql>& embedded_sql();
// The text of one file; throws std::out_of_range when missing.
std::string embedded_sql_file(const std::string& path);

}  // namespace oban::db
