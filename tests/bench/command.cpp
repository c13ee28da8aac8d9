#include "command.hpp"

#include <cstdio>
#include <string>

#include <sys/wait.h>

namespace bench {

std::string CommandResult::why() const {
  if (!started) return "could not be started";
  if (timed_out) return "timed out";
  return status < 0 ? "did not exit normally" : "exit status " + std::to_string(status);
}

CommandResult run_command(const std::string& command, int timeout_s) {
  CommandResult result;
  const std::string bounded = "timeout -k 5 " + std::to_string(timeout_s) + " " + command;
  FILE* pipe = popen(bounded.c_str(), "r");
  if (!pipe) return result;
  result.started = true;
  char buffer[4096];
  while (const auto n = std::fread(buffer, 1, sizeof buffer, pipe)) result.output.append(buffer, n);
  const int status = pclose(pipe);
  result.status = status >= 0 && WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  result.timed_out = result.status == 124 || result.status == 137;  // timeout's TERM, then KILL
  return result;
}

std::string shell_quote(const std::string& text) {
  std::string out = "'";
  for (const char c : text) {
    if (c == '\'') out += "'\\''";
    else out += c;
  }
  return out + "'";
}

}  // namespace bench
