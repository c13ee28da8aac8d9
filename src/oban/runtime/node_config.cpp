#include "oban/runtime/node_config.hpp"

#include <stdexcept>

namespace oban {

std::vector<std::string> NodeConfig::validate() const {
  std::vector<std::string> problems;
  if (dsn.empty()) problems.push_back("no database: set DATABASE_URL");
  if (prefix.empty()) problems.push_back("prefix must not be empty");
  if (node.empty() || node.find_first_of(" \t\r\n") != std::string::npos) {
    problems.push_back("node name must be non-empty without whitespace");
  }
  for (const auto& [queue, limit] : queues) {
    if (queue.empty() || queue.size() > 127) problems.push_back("queue name '" + queue + "' must be 1..127 characters");
    if (limit <= 0) problems.push_back("queue " + queue + " needs a limit above 0");
  }
  if (poll_interval.count() <= 0) problems.push_back("poll interval must be positive");
  if (peer_name.empty()) problems.push_back("peer name must not be empty");
  return problems;
}

}  // namespace oban

namespace oban {

CronEntry CronEntry::parse(const std::string& text) {
  std::vector<std::string> words;
  std::size_t pos = 0;
  auto next_word = [&]() -> std::string {
    pos = text.find_first_not_of(" \t", pos);
    if (pos == std::string::npos) return {};
    const auto end = text.find_first_of(" \t", pos);
    auto word = text.substr(pos, end == std::string::npos ? std::string::npos : end - pos);
    pos = end == std::string::npos ? text.size() : end;
    return word;
  };
  CronEntry entry;
  const std::string first = next_word();
  if (first.empty()) throw std::invalid_argument("empty cron entry");
  entry.expression = first;
  if (first[0] != '@') {
    for (int field = 1; field < 5; ++field) entry.expression += " " + next_word();
  }
  entry.worker = next_word();
  if (entry.worker.empty()) {
    throw std::invalid_argument("cron entry '" + text + "' needs 'EXPR WORKER [JSON_ARGS]'");
  }
  const auto rest = text.find_first_not_of(" \t", pos);
  if (rest != std::string::npos) entry.args = text.substr(rest);
  return entry;
}

}  // namespace oban
