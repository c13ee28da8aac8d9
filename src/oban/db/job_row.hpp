#pragma once
// Reading `oban_jobs` rows and writing the array and timestamp parameters they need.
#include <optional>
#include <string>
#include <vector>

#include <pqxx/pqxx>

#include "oban/core/job.hpp"

namespace oban::db {

// The column list every statement that returns jobs selects, in this order, for read_job.
// Use as "RETURNING " + job_columns("o") or "SELECT " + job_columns("j") + " FROM ...".
std::string job_columns(const std::string& alias);

// A Job from a row whose first columns are job_columns().
Job read_job(const pqxx::row& row);

// PostgreSQL array literals, for binding with `$n::text[]`, `$n::bigint[]`, `$n::jsonb[]`...
std::string text_array_literal(const std::vector<std::string>& items);
std::string bigint_array_literal(const std::vector<std::int64_t>& items);
// Parses a text[] value as PostgreSQL prints it.
std::vector<std::string> parse_text_array(const pqxx::field& field);

}  // namespace oban::db
