#pragma once
// Prometheus metrics held in memory and written in the text exposition format (0.0.4).
// Families are registered once (name, help, label names); each labelled series is created
// on first use. Counters and histograms are fed by telemetry events; gauges (and counters
// whose source keeps its own total, such as the pool's) are sampled by collectors that run
// just before each render. Thread-safe.
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

namespace oban::observe {

using LabelValues = std::vector<std::string>;

class MetricFamily {
 public:
  enum class Type { counter, gauge, histogram };
  MetricFamily(std::string name, std::string help, Type type, std::vector<std::string> label_names,
               std::vector<double> buckets);

  const std::string& name() const { return name_; }
  Type type() const { return type_; }

  // Counter and gauge updates; `values` must have one value per label name.
  void add(const LabelValues& values, double amount);
  void set(const LabelValues& values, double value);
  // Histogram update.
  void observe(const LabelValues& values, double value);
  // The value of one counter or gauge series (0 when absent), and of a histogram's count.
  double value(const LabelValues& values) const;
  std::uint64_t count(const LabelValues& values) const;

  void render(std::string& out) const;

 private:
  struct Series {
    double value = 0;                      // counter / gauge
    std::vector<std::uint64_t> buckets;    // histogram: observations per bucket (not cumulative)
    double sum = 0;
    std::uint64_t count = 0;
  };
  Series& series(const LabelValues& values);  // with mutex_ held
  std::string labels(const LabelValues& values, const std::string* le = nullptr) const;

  const std::string name_;
  const std::string help_;
  const Type type_;
  const std::vector<std::string> label_names_;
  const std::vector<double> buckets_;      // upper bounds, ascending; +Inf is implied
  mutable std::mutex mutex_;
  std::map<LabelValues, Series> series_;   // guarded by mutex_
};

class MetricsRegistry {
 public:
  // Register a family; throws std::invalid_argument for a name or label name Prometheus
  // does not accept, or a name registered twice. The reference stays valid for the
  // registry's life.
  MetricFamily& counter(std::string name, std::string help, std::vector<std::string> label_names = {});
  MetricFamily& gauge(std::string name, std::string help, std::vector<std::string> label_names = {});
  MetricFamily& histogram(std::string name, std::string help, std::vector<std::string> label_names,
                          std::vector<double> buckets);

  // Runs before each render (e.g. to sample gauges). A collector that throws is skipped.
  void add_collector(std::function<void()> collector);

  // Every family, in registration order, in the text format.
  std::string render();

  // The family named `name`, or nullptr.
  const MetricFamily* find(const std::string& name) const;

  static constexpr const char* kContentType = "text/plain; version=0.0.4; charset=utf-8";

 private:
  MetricFamily& add(std::string name, std::string help, MetricFamily::Type type, std::vector<std::string> label_names,
                    std::vector<double> buckets);

  mutable std::mutex mutex_;  // guards families_ and collectors_
  std::vector<std::unique_ptr<MetricFamily>> families_;
  std::vector<std::function<void()>> collectors_;
  std::mutex render_mutex_;  // one render at a time, so collectors never race each other
};

}  // namespace oban::observe
