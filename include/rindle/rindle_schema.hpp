#pragma once
// Rindle v0.1.5's media_assets and media_provider_assets (sql/rindle/tables.sql). A Rindle
// app creates them with its own Ecto migrations; this is for tests, the demo and
// `rindle-worker migrate --with-rindle`.
#include <string>

#include <pqxx/pqxx>

namespace rindle {

// Creates both tables in "<schema>" (and the schema when it is not public). Idempotent.
void install_rindle_tables(pqxx::connection& conn, const std::string& schema);

// Throws std::runtime_error saying what to set when "<schema>".media_provider_assets does
// not exist: every per-row job would fail on it, so a node says so once, before starting.
void require_rindle_tables(pqxx::connection& conn, const std::string& schema);

}  // namespace rindle
