#include "oban/observe/metrics_registry.hpp"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <stdexcept>

namespace oban::observe {
namespace {

bool valid_name(const std::string& name, bool allow_colon) {
  if (name.empty()) return false;
  for (std::size_t i = 0; i < name.size(); ++i) {
    const char c = name[i];
    const bool letter = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' || (allow_colon && c == ':');
    const bool digit = c >= '0' && c <= '9';
    if (!letter && !(digit && i > 0)) return false;
  }
  return true;
}

std::string number(double value) {
  if (std::isnan(value)) return "NaN";
  if (std::isinf(value)) return value > 0 ? "+Inf" : "-Inf";
  char text[64];
  // Plain decimals for the everyday range (bucket bounds such as 0.0005, not 5e-04), the
  // shortest exact form otherwise.
  const double magnitude = std::fabs(value);
  const bool plain = magnitude == 0 || (magnitude >= 1e-6 && magnitude < 1e15);
  const auto result = plain ? std::to_chars(text, text + sizeof text, value, std::chars_format::fixed)
                            : std::to_chars(text, text + sizeof text, value);
  return std::string(text, result.ptr);
}

// Label values escape backslash, double quote and newline; help text backslash and newline.
std::string escape(const std::string& text, bool quote) {
  std::string out;
  out.reserve(text.size());
  for (const char c : text) {
    if (c == '\\') {
      out += "\\\\";
    } else if (c == '\n') {
      out += "\\n";
    } else if (c == '"' && quote) {
      out += "\\\"";
    } else {
      out += c;
    }
  }
  return out;
}

const char* type_name(MetricFamily::Type type) {
  switch (type) {
    case MetricFamily::Type::counter: return "counter";
    case MetricFamily::Type::gauge: return "gauge";
    case MetricFamily::Type::histogram: return "histogram";
  }
  return "untyped";
}

}  // namespace

MetricFamily::MetricFamily(std::string name, std::string help, Type type, std::vector<std::string> label_names,
                           std::vector<double> buckets)
    : name_(std::move(name)),
      help_(std::move(help)),
      type_(type),
      label_names_(std::move(label_names)),
      buckets_(std::move(buckets)) {}

MetricFamily::Series& MetricFamily::series(const LabelValues& values) {
  if (values.size() != label_names_.size()) {
    throw std::invalid_argument("metric " + name_ + " takes " + std::to_string(label_names_.size()) +
                                " label values, got " + std::to_string(values.size()));
  }
  auto [it, inserted] = series_.try_emplace(values);
  if (inserted && type_ == Type::histogram) it->second.buckets.assign(buckets_.size(), 0);
  return it->second;
}

void MetricFamily::add(const LabelValues& values, double amount) {
  std::lock_guard lock{mutex_};
  series(values).value += amount;
}

void MetricFamily::set(const LabelValues& values, double value) {
  std::lock_guard lock{mutex_};
  series(values).value = value;
}

void MetricFamily::observe(const LabelValues& values, double value) {
  std::lock_guard lock{mutex_};
  auto& s = series(values);
  const auto bucket = std::lower_bound(buckets_.begin(), buckets_.end(), value);
  if (bucket != buckets_.end()) ++s.buckets[static_cast<std::size_t>(bucket - buckets_.begin())];
  s.sum += value;
  ++s.count;
}

double MetricFamily::value(const LabelValues& values) const {
  std::lock_guard lock{mutex_};
  const auto found = series_.find(values);
  return found == series_.end() ? 0 : found->second.value;
}

std::uint64_t MetricFamily::count(const LabelValues& values) const {
  std::lock_guard lock{mutex_};
  const auto found = series_.find(values);
  return found == series_.end() ? 0 : found->second.count;
}

std::string MetricFamily::labels(const LabelValues& values, const std::string* le) const {
  if (values.empty() && !le) return "";
  std::string out = "{";
  for (std::size_t i = 0; i < values.size(); ++i) {
    if (i > 0) out += ",";
    out += label_names_[i] + "=\"" + escape(values[i], true) + "\"";
  }
  if (le) out += std::string{values.empty() ? "" : ","} + "le=\"" + *le + "\"";
  return out + "}";
}

void MetricFamily::render(std::string& out) const {
  std::lock_guard lock{mutex_};
  out += "# HELP " + name_ + " " + escape(help_, false) + "\n";
  out += "# TYPE " + name_ + " " + type_name(type_) + "\n";
  for (const auto& [values, s] : series_) {
    if (type_ != Type::histogram) {
      out += name_ + labels(values) + " " + number(s.value) + "\n";
      continue;
    }
    std::uint64_t cumulative = 0;
    for (std::size_t i = 0; i < buckets_.size(); ++i) {
      cumulative += s.buckets[i];
      const auto le = number(buckets_[i]);
      out += name_ + "_bucket" + labels(values, &le) + " " + std::to_string(cumulative) + "\n";
    }
    const std::string inf = "+Inf";
    out += name_ + "_bucket" + labels(values, &inf) + " " + std::to_string(s.count) + "\n";
    out += name_ + "_sum" + labels(values) + " " + number(s.sum) + "\n";
    out += name_ + "_count" + labels(values) + " " + std::to_string(s.count) + "\n";
  }
}

MetricFamily& MetricsRegistry::add(std::string name, std::string help, MetricFamily::Type type,
                                   std::vector<std::string> label_names, std::vector<double> buckets) {
  if (!valid_name(name, true)) throw std::invalid_argument("'" + name + "' is not a valid Prometheus metric name");
  for (const auto& label : label_names) {
    if (!valid_name(label, false) || label.starts_with("__") || label == "le") {
      throw std::invalid_argument("'" + label + "' is not a valid label name for metric " + name);
    }
  }
  if (!std::is_sorted(buckets.begin(), buckets.end())) {
    throw std::invalid_argument("buckets of metric " + name + " must be ascending");
  }
  std::lock_guard lock{mutex_};
  for (const auto& family : families_) {
    if (family->name() == name) throw std::invalid_argument("metric " + name + " is registered twice");
  }
  families_.push_back(
      std::make_unique<MetricFamily>(std::move(name), std::move(help), type, std::move(label_names), std::move(buckets)));
  return *families_.back();
}

MetricFamily& MetricsRegistry::counter(std::string name, std::string help, std::vector<std::string> label_names) {
  return add(std::move(name), std::move(help), MetricFamily::Type::counter, std::move(label_names), {});
}

MetricFamily& MetricsRegistry::gauge(std::string name, std::string help, std::vector<std::string> label_names) {
  return add(std::move(name), std::move(help), MetricFamily::Type::gauge, std::move(label_names), {});
}

MetricFamily& MetricsRegistry::histogram(std::string name, std::string help, std::vector<std::string> label_names,
                                         std::vector<double> buckets) {
  return add(std::move(name), std::move(help), MetricFamily::Type::histogram, std::move(label_names),
             std::move(buckets));
}

void MetricsRegistry::add_collector(std::function<void()> collector) {
  std::lock_guard lock{mutex_};
  collectors_.push_back(std::move(collector));
}

const MetricFamily* MetricsRegistry::find(const std::string& name) const {
  std::lock_guard lock{mutex_};
  for (const auto& family : families_) {
    if (family->name() == name) return family.get();
  }
  return nullptr;
}

std::string MetricsRegistry::render() {
  std::lock_guard render_lock{render_mutex_};
  std::vector<std::function<void()>> collectors;
  std::vector<const MetricFamily*> families;
  {
    std::lock_guard lock{mutex_};
    collectors = collectors_;
    for (const auto& family : families_) families.push_back(family.get());
  }
  for (const auto& collector : collectors) {
    try {
      collector();
    } catch (...) {
      // A failing sample leaves its gauges at their last value; the scrape still answers.
    }
  }
  std::string out;
  for (const auto* family : families) family->render(out);
  return out;
}

}  // namespace oban::observe
