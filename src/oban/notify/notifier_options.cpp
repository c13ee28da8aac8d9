#include "oban/notify/notifier_options.hpp"

namespace oban::notify {

std::vector<std::string> NotifierOptions::validate() const {
  std::vector<std::string> problems;
  if (connect_timeout.count() <= 0) problems.push_back("notifier connect timeout must be positive");
  if (ping_interval.count() <= 0) problems.push_back("notifier ping interval must be positive");
  if (ping_timeout.count() <= 0) problems.push_back("notifier ping timeout must be positive");
  if (first_backoff.count() <= 0 || max_backoff < first_backoff) {
    problems.push_back("notifier backoff must be positive, the first no larger than the most");
  }
  return problems;
}

}  // namespace oban::notify
