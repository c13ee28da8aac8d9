#include "oban/db/job_row.hpp"

#include <algorithm>
#include <string_view>
#include <vector>

#include "oban/db/identifiers.hpp"

namespace oban::db {
namespace {

std::optional<Timestamp> optional_timestamp(const pqxx::field& field) {
  if (field.is_null()) return std::nullopt;
  return parse_sql_timestamp(field.c_str());
}

// Appends one element of an array literal: "..." with \ and " escaped.
void append_element(std::string& out, const std::string& item) {
  out.push_back('"');
  if (item.find_first_of("\"\\") == std::string::npos) {
    out += item;
  } else {
    for (char c : item) {
      if (c == '"' || c == '\\') out.push_back('\\');
      out.push_back(c);
    }
  }
  out.push_back('"');
}

// A one-dimensional text[] as PostgreSQL writes it without any quoted element:
// {a,b,NULL}. False (nothing read) for any other shape, left to pqxx's parser.
bool parse_plain_array(std::string_view text, std::vector<std::string>& items) {
  if (text.size() < 2 || text.front() != '{' || text.back() != '}') return false;
  const auto inner = text.substr(1, text.size() - 2);
  if (inner.empty() || inner.find_first_of("\"\\{}") != std::string_view::npos) return false;
  std::size_t start = 0;
  while (start <= inner.size()) {
    const auto comma = std::min(inner.find(',', start), inner.size());
    const auto item = inner.substr(start, comma - start);
    if (item != "NULL") items.emplace_back(item);  // NULL unquoted is a null element: skipped
    start = comma + 1;
  }
  return true;
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
  std::size_t size = 2;
  for (const auto& item : items) size += item.size() + 3;
  out.reserve(size);
  for (std::size_t i = 0; i < items.size(); ++i) {
    if (i > 0) out.push_back(',');
    append_element(out, items[i]);
  }
  out.push_back('}');
  return out;
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
  if (field.is_null()) return items;
  // Most rows have no tags and no errors, and attempted_by holds plain names: no parser.
  if (const std::string_view text{field.c_str(), field.size()}; text == "{}" || parse_plain_array(text, items)) {
    return items;
  }
  auto parser = field.as_array();
  for (auto [kind, value] = parser.get_next(); kind != pqxx::array_parser::done; std::tie(kind, value) = parser.get_next()) {
    if (kind == pqxx::array_parser::string_value) items.push_back(value);
  }
  return items;
}

}  // namespace oban::db
