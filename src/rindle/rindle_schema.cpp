#include "rindle/rindle_schema.hpp"

#include "embedded_sql.hpp"
#include "oban/db/identifiers.hpp"

namespace rindle {

void install_rindle_tables(pqxx::connection& conn, const std::string& schema) {
  std::string sql = embedded_sql_file("rindle/tables.sql");
  const std::string name = oban::db::quote_ident(schema);
  const std::string placeholder = "{{schema}}";
  for (auto pos = sql.find(placeholder); pos != std::string::npos; pos = sql.find(placeholder, pos + name.size())) {
    sql.replace(pos, placeholder.size(), name);
  }
  pqxx::work tx{conn};
  if (schema != "public") tx.exec("CREATE SCHEMA IF NOT EXISTS " + name);
  tx.exec(sql);
  tx.commit();
}

}  // namespace rindle
