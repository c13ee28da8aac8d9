#include "oban/core/new_job.hpp"

#include <algorithm>
#include <cctype>
#include <stdexcept>

#include "oban/json/json_object.hpp"

namespace oban {

std::vector<std::string> normalize_tags(const std::vector<std::string>& tags) {
  std::vector<std::string> result;
  for (const auto& tag : tags) {
    auto first = tag.find_first_not_of(" \t\n\r\f\v");
    if (first == std::string::npos) continue;
    auto last = tag.find_last_not_of(" \t\n\r\f\v");
    std::string cleaned = tag.substr(first, last - first + 1);
    std::transform(cleaned.begin(), cleaned.end(), cleaned.begin(),
                   [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    if (std::find(result.begin(), result.end(), cleaned) == result.end()) {
      result.push_back(std::move(cleaned));
    }
  }
  return result;
}

namespace {
// Character length as PostgreSQL's char_length counts it: UTF-8 code points.
std::size_t code_points(const std::string& text) {
  return static_cast<std::size_t>(
      std::count_if(text.begin(), text.end(), [](char c) { return (static_cast<unsigned char>(c) & 0xC0) != 0x80; }));
}

void check_object(const std::string& name, const std::string& text, std::vector<std::string>& problems) {
  try {
    json::JsonObject::parse(text);
  } catch (const std::exception& e) {
    problems.push_back(name + " must be a JSON object: " + e.what());
  }
}
}  // namespace

std::vector<std::string> validate(const NewJob& job) {
  std::vector<std::string> problems;
  const auto worker_length = code_points(job.worker);
  if (worker_length == 0 || worker_length > 127) problems.push_back("worker must be 1..127 characters");
  const auto queue_length = code_points(job.queue);
  if (queue_length == 0 || queue_length > 127) problems.push_back("queue must be 1..127 characters");
  if (job.max_attempts <= 0) problems.push_back("max_attempts must be greater than 0");
  if (job.priority && (*job.priority < 0 || *job.priority > 9)) problems.push_back("priority must be 0..9");
  check_object("args", job.args, problems);
  check_object("meta", job.meta, problems);
  if (job.unique) {
    const auto& fields = job.unique->fields;
    const bool keyed_field = std::find(fields.begin(), fields.end(), UniqueField::args) != fields.end() ||
                             std::find(fields.begin(), fields.end(), UniqueField::meta) != fields.end();
    if (!job.unique->keys.empty() && !keyed_field) problems.push_back("unique keys need :args or :meta in fields");
    if (job.unique->states.empty()) problems.push_back("unique states must not be empty");
  }
  return problems;
}

}  // namespace oban
