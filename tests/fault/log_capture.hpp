#pragma once
// Every spdlog line the process writes, kept for the secret scan. Installed once per process
// as the default logger (before any node starts, so no thread ever sees the swap), at trace
// level so nothing a node might log escapes the scan; nothing is printed while a scenario runs.
#include <cstddef>
#include <string>
#include <vector>

namespace fault {

class LogCapture {
 public:
  // The process-wide capture (installed on first use).
  static LogCapture& instance();

  // Forgets what was captured so far: a scenario starts.
  void clear();
  std::vector<std::string> lines() const;
  // The last `count` lines, for a failing scenario's report.
  std::vector<std::string> tail(std::size_t count) const;
  // Lines that contain `text`.
  std::size_t count_containing(const std::string& text) const;

 private:
  LogCapture();
  struct Sink;
  Sink* sink_;  // owned by the logger, which lives until exit
};

}  // namespace fault
