#include "cpu_time.hpp"

#include <sys/resource.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

namespace bench {
namespace {

struct ProcStat {
  bool ok = false;
  long ppid = 0;
  double own = 0;       // utime + stime
  double children = 0;  // cutime + cstime (reaped children)
};

ProcStat read_stat(const std::string& pid) {
  ProcStat out;
  std::ifstream in{"/proc/" + pid + "/stat"};
  std::string text;
  if (!std::getline(in, text)) return out;
  // The command name, field 2, is in parentheses and may hold spaces: fields count from ')'.
  const auto close = text.rfind(')');
  if (close == std::string::npos) return out;
  std::istringstream fields{text.substr(close + 2)};
  std::vector<std::string> f;
  for (std::string field; fields >> field && f.size() < 15;) f.push_back(field);
  if (f.size() < 15) return out;
  const double tick = static_cast<double>(sysconf(_SC_CLK_TCK));
  // From field 3 (state): ppid is field 4, utime..cstime are fields 14-17.
  out.ppid = std::stol(f[1]);
  out.own = (std::stod(f[11]) + std::stod(f[12])) / tick;
  out.children = (std::stod(f[13]) + std::stod(f[14])) / tick;
  out.ok = true;
  return out;
}

double seconds(const timeval& t) { return static_cast<double>(t.tv_sec) + static_cast<double>(t.tv_usec) / 1e6; }

}  // namespace

double server_cpu_seconds(pqxx::connection& conn) {
  const auto backend = read_stat(std::to_string(conn.backendpid()));
  if (!backend.ok) return -1;
  const auto postmaster = read_stat(std::to_string(backend.ppid));
  if (!postmaster.ok) return -1;
  double total = postmaster.own + postmaster.children;
  for (const auto& entry : std::filesystem::directory_iterator{"/proc"}) {
    const auto name = entry.path().filename().string();
    if (name.find_first_not_of("0123456789") != std::string::npos) continue;
    const auto child = read_stat(name);
    if (child.ok && child.ppid == backend.ppid) total += child.own;
  }
  return total;
}

double client_cpu_seconds() {
  rusage self{}, children{};
  getrusage(RUSAGE_SELF, &self);
  getrusage(RUSAGE_CHILDREN, &children);
  return seconds(self.ru_utime) + seconds(self.ru_stime) + seconds(children.ru_utime) + seconds(children.ru_stime);
}

}  // namespace bench
