#include "rindle/rindle_schema.hpp"

#include <stdexcept>

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

void require_rindle_tables(pqxx::connection& conn, const std::string& schema) {
  pqxx::read_transaction tx{conn};
  const auto found =
      tx.exec_params1("SELECT to_regclass($1) IS NOT NULL", oban::db::qualified(schema, "media_provider_assets"));
  if (!found[0].as<bool>()) {
    throw std::runtime_error("Rindle's table media_provider_assets is not in schema " + oban::db::quote_ident(schema) +
                             ": set RINDLE_SCHEMA (or --rindle-schema) to the schema of your Rindle app's tables "
                             "(default public; the Oban prefix is a separate setting)");
  }
}

}  // namespace rindle
