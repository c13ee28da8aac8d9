#include "testkit/private_postgres.hpp"

#include <fcntl.h>
#include <grp.h>
#include <pwd.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <stdexcept>
#include <vector>

namespace testkit {
namespace fs = std::filesystem;

std::string postgres_bin_dir() {
  if (const char* bin = std::getenv("OBAN_PG_BIN"); bin && *bin) return bin;
  std::string best;
  std::error_code ec;
  for (const auto& entry : fs::directory_iterator("/usr/lib/postgresql", ec)) {
    const auto candidate = entry.path() / "bin";
    if (fs::exists(candidate / "initdb") && candidate.string() > best) best = candidate.string();
  }
  if (best.empty()) {
    throw std::runtime_error("no PostgreSQL server found in /usr/lib/postgresql; install it with: "
                             "sudo apt-get install postgresql-15 (or set OBAN_PG_BIN)");
  }
  return best;
}

namespace {

// Runs a program, as `user` when given (we are root then), with output to `log`.
// Returns its exit status.
int run(const std::vector<std::string>& argv, const std::string& user, const std::string& log) {
  pid_t pid = fork();
  if (pid < 0) throw std::runtime_error("fork failed");
  if (pid == 0) {
    int fd = open(log.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0644);
    if (fd >= 0) {
      dup2(fd, STDOUT_FILENO);
      dup2(fd, STDERR_FILENO);
      close(fd);
    }
    if (!user.empty()) {
      const passwd* pw = getpwnam(user.c_str());
      if (!pw || setgroups(0, nullptr) != 0 || setgid(pw->pw_gid) != 0 || setuid(pw->pw_uid) != 0) _exit(126);
    }
    // The caller's directory may be closed to the unprivileged user (a clone under /root).
    if (chdir("/tmp") != 0) _exit(125);
    std::vector<char*> args;
    for (const auto& arg : argv) args.push_back(const_cast<char*>(arg.c_str()));
    args.push_back(nullptr);
    execv(args[0], args.data());
    _exit(127);
  }
  int status = 0;
  while (waitpid(pid, &status, 0) < 0) {
  }
  return WIFEXITED(status) ? WEXITSTATUS(status) : 128;
}

std::string read_file(const std::string& path) {
  std::ifstream in{path};
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

}  // namespace

PrivatePostgres::PrivatePostgres(PrivatePostgresOptions options) : bin_dir_(postgres_bin_dir()) {
  // A short path: unix socket paths are limited to about 100 bytes.
  char pattern[] = "/tmp/obanpg-XXXXXX";
  if (!mkdtemp(pattern)) throw std::runtime_error("cannot create a temp dir for PostgreSQL");
  dir_ = pattern;
  if (geteuid() == 0) {
    const char* user = std::getenv("OBAN_PG_USER");
    run_as_ = user && *user ? user : "nobody";
    const passwd* pw = getpwnam(run_as_.c_str());
    if (!pw) throw std::runtime_error("user " + run_as_ + " not found to run PostgreSQL as (set OBAN_PG_USER)");
    if (chown(dir_.c_str(), pw->pw_uid, pw->pw_gid) != 0) throw std::runtime_error("cannot chown " + dir_);
  }
  const std::string log = dir_ + "/setup.log";
  const int status = run({bin_dir_ + "/initdb", "-D", dir_ + "/data", "-U", "postgres", "--auth=trust", "--no-sync",
                          "-E", "UTF8", "--locale=C"},
                         run_as_, log);
  if (status != 0) {
    const std::string output = read_file(log);
    fs::remove_all(dir_);
    throw std::runtime_error("initdb failed (" + std::to_string(status) + "): " + output);
  }
  {
    std::ofstream conf{dir_ + "/data/postgresql.conf", std::ios::app};
    conf << "\nlisten_addresses = ''\n"
         << "unix_socket_directories = '" << dir_ << "'\n"
         << "max_connections = " << options.max_connections << "\n"
         << "shared_buffers = 128MB\n"
         << "fsync = " << (options.fsync ? "on" : "off") << "\n"
         << "synchronous_commit = " << (options.fsync ? "on" : "off") << "\n"
         << "full_page_writes = " << (options.fsync ? "on" : "off") << "\n"
         << "log_min_messages = warning\n"
         << options.extra_config << "\n";
    // For investigations, e.g. OBAN_PG_EXTRA_CONFIG="log_min_duration_statement = 20".
    if (const char* extra = std::getenv("OBAN_PG_EXTRA_CONFIG"); extra && *extra) conf << extra << "\n";
  }
  dsn_ = "host=" + dir_ + " dbname=postgres user=postgres";
  start_server();
}

void PrivatePostgres::start_server() {
  const std::string log = dir_ + "/server.log";
  const int status = run({bin_dir_ + "/pg_ctl", "-D", dir_ + "/data", "-l", log, "-w", "-t", "60", "start"}, run_as_,
                         dir_ + "/setup.log");
  if (status != 0) {
    throw std::runtime_error("pg_ctl start failed: " + read_file(dir_ + "/setup.log") + read_file(log));
  }
  running_ = true;
}

void PrivatePostgres::restart() {
  run({bin_dir_ + "/pg_ctl", "-D", dir_ + "/data", "-m", "fast", "-w", "stop"}, run_as_, dir_ + "/setup.log");
  running_ = false;
  start_server();
}

void PrivatePostgres::stop_server(StopMode mode) {
  if (!running_) return;
  run({bin_dir_ + "/pg_ctl", "-D", dir_ + "/data", "-m", mode == StopMode::fast ? "fast" : "immediate", "-w", "stop"},
      run_as_, dir_ + "/setup.log");
  running_ = false;
}

void PrivatePostgres::stop() noexcept {
  try {
    if (running_) {
      run({bin_dir_ + "/pg_ctl", "-D", dir_ + "/data", "-m", "immediate", "-w", "stop"}, run_as_, dir_ + "/setup.log");
      running_ = false;
    }
    if (!dir_.empty()) {
      std::error_code ec;
      fs::remove_all(dir_, ec);
      dir_.clear();
    }
  } catch (...) {
  }
}

PrivatePostgres::~PrivatePostgres() { stop(); }

}  // namespace testkit
