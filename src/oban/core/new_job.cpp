#include "oban/core/new_job.hpp"

#include <algorithm>
#include <cctype>

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

}  // namespace oban
