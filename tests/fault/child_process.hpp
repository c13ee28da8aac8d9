#pragma once
// A child process (the real rindle-worker binary) with its stdout and stderr read into one
// text, for scenarios that signal a node from outside as an operator or an orchestrator does.
#include <sys/types.h>

#include <chrono>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace fault {

class ChildProcess {
 public:
  // Starts `argv` (argv[0] a path) with this process's environment plus `env`.
  ChildProcess(const std::vector<std::string>& argv, const std::map<std::string, std::string>& env);
  ~ChildProcess();  // a child still running is killed (SIGKILL) and reaped
  ChildProcess(const ChildProcess&) = delete;
  ChildProcess& operator=(const ChildProcess&) = delete;

  pid_t pid() const { return pid_; }
  void send(int signal_number);
  // Waits up to `timeout` for the child to exit; its wait status (see <sys/wait.h>), or
  // nullopt while it still runs.
  std::optional<int> wait(std::chrono::milliseconds timeout);
  // Everything the child wrote so far, stdout and stderr interleaved.
  std::string output() const;

 private:
  struct Reader;
  pid_t pid_ = -1;
  std::optional<int> status_;
  std::shared_ptr<Reader> reader_;
};

// "0", "3" (exit codes) or "signal_11" for a wait status.
std::string describe_wait_status(int status);

}  // namespace fault
