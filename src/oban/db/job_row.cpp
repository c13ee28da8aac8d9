#include "oban/db/job_row.hpp"

#include <string_view>

#include "oban/db/identifiers.hpp"

namespace oban::db {
namespace {

std::optional<Timestamp> optional_timestamp(const pqxx::field& field) {
  if (field.is_null()) return std::nullopt;
  return parse_sql_timestamp(field.c_str());
}

// Quotes one element of an array literal: "..." with \ and " escaped.
std::string array_element(const std::string& item) {
  std::string out = "\"";
  for (char c : item) {
    if (c == '"' || c == '\\') out.push_back('\\');
    out.push_back(c);
  }
  return out + "\"";
}

}  // namespace

std::string job_columns(const std::string& a) {
  const std::string p = a.empty() ? "" : a + ".";
  return p + "id, " + p + "state::text, " + p + "queue, " + p + "worker, " + p + "args::text, coalesce(" + p +
         "meta, '{}'::jsonb)::text, coalesce(" + p + "tags, ARRAY[]::text[]), " + p + "errors::text[], " + p +
         "attempt, " + p + "max_attempts, " + p + "priority, " + p + "attempted_by, " + p + "inserted_at, " + p +
         "scheduled_at, " + p + "attempted_at, " + p + "completed_at, " + p + "discarded_at, " + p + "cancelled_at";
}

Job read_job(const pqxx::row& row) {
  Job job;
  job.id = row[0].as<std::int64_t>();
  job.state = parse_job_state(row[1].c_str()).value_or(JobState::available);
  job.queue = row[2].c_str();
  job.worker = row[3].c_str();
  job.args = row[4].c_str();
  job.meta = row[5].c_str();
  job.tags = parse_text_array(row[6]);
  job.errors = parse_text_array(row[7]);
  job.attempt = row[8].as<int>();
  job.max_attempts = row[9].as<int>();
  job.priority = row[10].as<int>();
  if (!row[11].is_null()) job.attempted_by = parse_text_array(row[11]);
  job.inserted_at = parse_sql_timestamp(row[12].c_str());
  job.scheduled_at = parse_sql_timestamp(row[13].c_str());
  job.attempted_at = optional_timestamp(row[14]);
  job.completed_at = optional_timestamp(row[15]);
  job.discarded_at = optional_timestamp(row[16]);
  job.cancelled_at = optional_timestamp(row[17]);
  return job;
}

std::string text_array_literal(const std::vector<std::string>& items) {
  std::string out = "{";
  for (std::size_t i = 0; i < items.size(); ++i) {
    if (i > 0) out.push_back(',');
    out += array_element(items[i]);
  }
  return out + "}";
}

std::string bigint_array_literal(const std::vector<std::int64_t>& items) {
  std::string out = "{";
  for (std::size_t i = 0; i < items.size(); ++i) {
    if (i > 0) out.push_back(',');
    out += std::to_string(items[i]);
  }
  return out + "}";
}

std::vector<std::string> parse_text_array(const pqxx::field& field) {
  std::vector<std::string> items;
  // Most rows have no tags and no errors: no parser for those.
  if (field.is_null() || std::string_view{field.c_str(), field.size()} == "{}") return items;
  auto parser = field.as_array();
  for (auto [kind, value] = parser.get_next(); kind != pqxx::array_parser::done; std::tie(kind, value) = parser.get_next()) {
    if (kind == pqxx::array_parser::string_value) items.push_back(value);
  }
  return items;
}

}  // namespace oban::db
