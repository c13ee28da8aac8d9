#include <stdexcept>

#include "oban/db/embedded_sql.hpp"

namespace oban::db {

std::string embedded_sql_file(const std::string& path) {
  for (const auto& file : embedded_sql()) {
    if (path == file.path) return file.text;
  }
  throw std::out_of_range("no embedded SQL file " + path);
}

}  // namespace oban::db
