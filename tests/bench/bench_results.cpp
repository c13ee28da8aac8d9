#include "bench_results.hpp"

#include <cmath>
#include <iomanip>
#include <sstream>

namespace bench {
namespace {

std::string format_value(double v) {
  std::ostringstream out;
  if (std::fabs(v) >= 100) out << std::fixed << std::setprecision(0) << v;
  else if (std::fabs(v) >= 10) out << std::fixed << std::setprecision(1) << v;
  else out << std::fixed << std::setprecision(3) << v;
  return out.str();
}

}  // namespace

std::string fixed(double v, int digits) {
  std::ostringstream out;
  out << std::fixed << std::setprecision(digits) << v;
  return out.str();
}

void Results::add(Figure figure) {
  for (auto& f : figures_) {
    if (f.key == figure.key) {
      f = std::move(figure);
      return;
    }
  }
  figures_.push_back(std::move(figure));
}

double Results::value(const std::string& key) const {
  for (const auto& f : figures_) {
    if (f.key == key) return f.value;
  }
  return -1;
}

void Results::set_note(const std::string& key, std::string note) {
  for (auto& f : figures_) {
    if (f.key == key) f.note = std::move(note);
  }
}

void Results::fail(const std::string& what) { failures_.push_back(what); }

std::string Results::json() const {
  std::ostringstream out;
  out << "{\n";
  for (const auto& f : figures_) {
    out << "  \"" << f.key << "\": ";
    if (std::isfinite(f.value)) out << std::setprecision(10) << f.value;
    else out << "null";
    out << ",\n";
  }
  int met = 0;
  int missed = 0;
  for (const auto& t : targets_) {
    out << "  \"target_" << t.key << "_met\": " << (!t.not_measured.empty() ? "null" : t.met ? "1" : "0") << ",\n";
    if (t.not_measured.empty()) ++(t.met ? met : missed);
  }
  if (!targets_.empty()) out << "  \"targets_met\": " << met << ",\n  \"targets_missed\": " << missed << ",\n";
  out << "  \"failures\": " << failures_.size() << "\n}\n";
  return out.str();
}

std::string Results::table() const {
  std::size_t key_width = 3;
  for (const auto& f : figures_) key_width = std::max(key_width, f.key.size());
  std::ostringstream out;
  auto rule = [&] { out << std::string(key_width + 12 + 8 + 60, '-') << "\n"; };
  out << std::left << std::setw(static_cast<int>(key_width) + 2) << "figure" << std::right << std::setw(12) << "value"
      << "  " << std::left << std::setw(6) << "unit"
      << "  comparison\n";
  std::string section;
  for (const auto& f : figures_) {
    if (f.section != section) {
      section = f.section;
      rule();
      out << "[" << section << "]\n";
    }
    out << std::left << std::setw(static_cast<int>(key_width) + 2) << f.key << std::right << std::setw(12)
        << (std::isfinite(f.value) ? format_value(f.value) : "-") << "  " << std::left << std::setw(6) << f.unit
        << "  " << f.note << "\n";
  }
  rule();
  if (!targets_.empty()) {
    out << "targets (issue 12, judged on this run):\n";
    for (const auto& t : targets_) {
      const std::string verdict = !t.not_measured.empty() ? "n/a" : t.met ? "met" : "MISSED";
      out << "  " << std::left << std::setw(8) << verdict << t.goal;
      if (t.not_measured.empty()) out << ": " << t.measured;
      else out << ": not measured (" << t.not_measured << ")";
      out << "\n";
    }
    rule();
  }
  if (failures_.empty()) {
    out << "all measurements completed\n";
  } else {
    out << failures_.size() << " measurement(s) FAILED:\n";
    for (const auto& f : failures_) out << "  - " << f << "\n";
  }
  return out.str();
}

}  // namespace bench
