#pragma once
// The figures of one run: a flat key -> number map (the JSON), plus how each is shown in
// the printed table, the targets they are judged by, and the measurements that failed.
#include <string>
#include <vector>

namespace bench {

struct Figure {
  std::string section;  // e.g. "throughput"
  std::string key;      // JSON key, e.g. "drain_limit50_jobs_per_s"
  double value = 0;     // NaN when not measured (a skipped peer): null in the JSON
  std::string unit;     // "jobs/s", "ms", "MB", "s", "x"
  std::string note;     // what it is and its comparison: ratio to the ceiling, the peer, Elixir
};

// A goal judged from this run's figures.
struct Target {
  std::string key;       // JSON key "target_<key>_met": 1, 0, or null when not measured
  std::string goal;      // e.g. "limit-50 drain >= 0.85 of raw SQL at 50 per statement"
  std::string measured;  // e.g. "0.42"; empty when not measured
  bool met = false;
  std::string not_measured;  // why it could not be judged (empty when it was)
};

class Results {
 public:
  void add(Figure figure);
  // The value of `key`, or a negative number when it was not measured (NaN when skipped).
  double value(const std::string& key) const;
  void set_note(const std::string& key, std::string note);
  void fail(const std::string& what);
  void add_target(Target target) { targets_.push_back(std::move(target)); }

  const std::vector<Figure>& figures() const { return figures_; }
  const std::vector<std::string>& failures() const { return failures_; }

  // One flat JSON object: every figure, each target, plus "failures" (a count).
  std::string json() const;
  // The human table, then the targets, then the failures.
  std::string table() const;

 private:
  std::vector<Figure> figures_;
  std::vector<Target> targets_;
  std::vector<std::string> failures_;
};

// `v` with `digits` decimals, for notes.
std::string fixed(double v, int digits);

}  // namespace bench
