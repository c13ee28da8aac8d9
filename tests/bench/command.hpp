#pragma once
// Runs a shell command and collects its output (pgbench, node): for the measurements that
// drive another program.
#include <string>

namespace bench {

struct CommandResult {
  bool started = false;    // popen worked
  bool timed_out = false;  // killed after the timeout
  int status = -1;         // the exit status (0 = success); -1 when it did not exit normally
  std::string output;      // what it wrote on stdout (and stderr when the command says 2>&1)

  bool ok() const { return started && !timed_out && status == 0; }
  // "exit status 3", "timed out", ... for an error message.
  std::string why() const;
};

// Runs one program (`command`: the program, its arguments and redirections, for /bin/sh)
// and waits at most `timeout_s` seconds for it (coreutils timeout, then SIGKILL 5 s later).
CommandResult run_command(const std::string& command, int timeout_s);

// `text` as one single-quoted shell word.
std::string shell_quote(const std::string& text);

}  // namespace bench
