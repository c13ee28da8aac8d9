#include "oban/insert/validate_job.hpp"

#include <algorithm>

#include "oban/json/json_object.hpp"

namespace oban::insert {

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

}  // namespace oban::insert
