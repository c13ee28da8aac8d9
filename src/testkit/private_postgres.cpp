#include "testkit/private_postgres.hpp"

#include <arpa/inet.h>
#include <fcntl.h>
#include <grp.h>
#include <netinet/in.h>
#include <sys/socket.h>
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

// A port the kernel just handed out on 127.0.0.1 and took back: free unless someone else
// grabs it in the moment before the server binds it (start_server() retries then).
int free_tcp_port() {
  const int fd = socket(AF_INET, SOCK_STREAM, 0);
  if (fd < 0) throw std::runtime_error("socket() failed while looking for a free port");
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  address.sin_port = 0;
  socklen_t length = sizeof address;
  const bool ok = bind(fd, reinterpret_cast<sockaddr*>(&address), sizeof address) == 0 &&
                  getsockname(fd, reinterpret_cast<sockaddr*>(&address), &length) == 0;
  close(fd);
  if (!ok) throw std::runtime_error("cannot find a free TCP port on 127.0.0.1");
  return ntohs(address.sin_port);
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
  // TCP logins (the fault suite's path, as a production DSN would go) need a password.
  const std::vector<std::string> auth =
      options.listen_tcp ? std::vector<std::string>{"--auth-local=trust", "--auth-host=scram-sha-256"}
                         : std::vector<std::string>{"--auth=trust"};
  std::vector<std::string> initdb{bin_dir_ + "/initdb", "-D", dir_ + "/data", "-U", "postgres", "--no-sync",
                                  "-E", "UTF8", "--locale=C"};
  initdb.insert(initdb.end(), auth.begin(), auth.end());
  const int status = run(initdb, run_as_, log);
  if (status != 0) {
    const std::string output = read_file(log);
    fs::remove_all(dir_);
    throw std::runtime_error("initdb failed (" + std::to_string(status) + "): " + output);
  }
  {
    std::ofstream conf{dir_ + "/data/postgresql.conf", std::ios::app};
    conf << "\nlisten_addresses = '" << (options.listen_tcp ? "127.0.0.1" : "") << "'\n"
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
  if (!options.listen_tcp) {
    dsn_ = "host=" + dir_ + " dbname=postgres user=postgres";
    start_server();
    return;
  }
  // The port names the unix socket too, so the DSN carries it.
  for (int attempt = 1;; ++attempt) {
    port_ = free_tcp_port();
    {
      std::ofstream conf{dir_ + "/data/postgresql.conf", std::ios::app};
      conf << "port = " << port_ << "\n";  // the last setting wins
    }
    dsn_ = "host=" + dir_ + " port=" + std::to_string(port_) + " dbname=postgres user=postgres";
    try {
      start_server();
      return;
    } catch (const std::exception&) {
      if (attempt == 3) {
        fs::remove_all(dir_);
        throw;
      }
    }
  }
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

void PrivatePostgres::stop_server(StopMode mode) {
  if (!running_) return;
  run({bin_dir_ + "/pg_ctl", "-D", dir_ + "/data", "-m", mode == StopMode::immediate ? "immediate" : "fast", "-w",
       "stop"},
      run_as_, dir_ + "/setup.log");
  running_ = false;
}

void PrivatePostgres::restart(StopMode mode) {
  stop_server(mode);
  start_server();
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
