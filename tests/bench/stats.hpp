#pragma once
// Order statistics for the figures: percentiles of latency samples, and the median of a
// measurement repeated over interleaved rounds.
#include <algorithm>
#include <cmath>
#include <string>
#include <vector>

namespace bench {

// The ceil(p * n)-th smallest value (p in (0, 1]); -1 when there are none.
inline double percentile(std::vector<double> values, double p) {
  if (values.empty()) return -1;
  std::sort(values.begin(), values.end());
  const auto rank = static_cast<std::size_t>(std::ceil(p * static_cast<double>(values.size())));
  return values[std::min(values.size() - 1, rank == 0 ? 0 : rank - 1)];
}

// One figure measured once per round; a round that failed adds nothing.
class Series {
 public:
  void add(double value) {
    if (value > 0 && std::isfinite(value)) values_.push_back(value);
  }
  bool empty() const { return values_.empty(); }
  std::size_t size() const { return values_.size(); }
  // The middle value (the mean of the two middle ones for an even count); -1 when empty.
  double median() const {
    if (values_.empty()) return -1;
    auto sorted = values_;
    std::sort(sorted.begin(), sorted.end());
    const auto mid = sorted.size() / 2;
    return sorted.size() % 2 == 1 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
  }
  double min() const { return values_.empty() ? -1 : *std::min_element(values_.begin(), values_.end()); }
  double max() const { return values_.empty() ? -1 : *std::max_element(values_.begin(), values_.end()); }

 private:
  std::vector<double> values_;
};

}  // namespace bench
