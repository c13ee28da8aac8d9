#pragma once
// The figures of one run: a flat key -> number map (the JSON), plus how each is shown in
// the printed table, and the measurements that failed.
#include <string>
#include <vector>

namespace bench {

struct Figure {
  std::string section;  // e.g. "throughput"
  std::string key;      // JSON key, e.g. "drain_limit50_jobs_per_s"
  double value = 0;
  std::string unit;     // "jobs/s", "ms", "MB", "s", "x"
  std::string note;     // comparison shown next to it: ratio to baseline, Elixir figure, target
};

class Results {
 public:
  void add(Figure figure);
  // The value of `key`, or a negative number when it was not measured.
  double value(const std::string& key) const;
  void set_note(const std::string& key, std::string note);
  void fail(const std::string& what);

  const std::vector<Figure>& figures() const { return figures_; }
  const std::vector<std::string>& failures() const { return failures_; }

  // One flat JSON object: every figure, plus "failures" (a count).
  std::string json() const;
  // The human table, then the failures.
  std::string table() const;

 private:
  std::vector<Figure> figures_;
  std::vector<std::string> failures_;
};

}  // namespace bench
