#include "oban/plugins/cron_entry.hpp"

#include <stdexcept>
#include <vector>

namespace oban::plugins {

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

}  // namespace oban::plugins
