// The thread pool when no thread can be created: submit says so, nothing terminates.
#include <catch2/catch.hpp>

#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <string>

#include "oban/queue/thread_pool.hpp"

namespace {

// The process's current virtual size, from /proc/self/statm (pages).
std::size_t virtual_bytes() {
  std::ifstream statm{"/proc/self/statm"};
  std::size_t pages = 0;
  statm >> pages;
  return pages * static_cast<std::size_t>(sysconf(_SC_PAGESIZE));
}

}  // namespace

// Runs in a fresh process (exec'd by the case below): a forked child of a process that has
// run threads inherits glibc's cache of freed thread stacks, and a thread reusing one needs no
// new memory, so the limit would not bite.
TEST_CASE("thread pool under an address-space limit (child process)", "[.][thread_pool_child]") {
  if (std::getenv("OBAN_THREAD_POOL_CHILD") == nullptr) return;
  int code = 0;
  {
    oban::queue::ThreadPool pool;
    rlimit limit{};
    limit.rlim_cur = limit.rlim_max = virtual_bytes() + 2 * 1024 * 1024;
    setrlimit(RLIMIT_AS, &limit);
    std::atomic<bool> ran{false};
    bool started = true;
    try {
      started = pool.submit([&] { ran = true; });
    } catch (...) {
      code = 3;  // it threw: in a producer this used to end the process
    }
    if (code == 0) code = started ? 2 : (ran ? 4 : 0);
    limit.rlim_cur = limit.rlim_max = RLIM_INFINITY;
    setrlimit(RLIMIT_AS, &limit);
  }
  std::fflush(nullptr);
  _exit(code);
}

TEST_CASE("ThreadPool::submit returns false when no thread can be created", "[thread_pool]") {
  // In a child process, so the address-space limit that makes thread creation fail
  // (a thread needs an 8 MiB stack) touches nothing else.
  const pid_t child = fork();
  REQUIRE(child >= 0);
  if (child == 0) {
    setenv("OBAN_THREAD_POOL_CHILD", "1", 1);
    execl("/proc/self/exe", "oban_unit_tests", "[thread_pool_child]", static_cast<char*>(nullptr));
    _exit(127);
  }
  int status = 0;
  REQUIRE(waitpid(child, &status, 0) == child);
  REQUIRE(WIFEXITED(status));
  // 0: refused, and the task did not run; 2: a thread started anyway; 3: submit threw.
  CHECK(WEXITSTATUS(status) == 0);
}

TEST_CASE("ThreadPool::submit runs tasks and grows when every thread is busy", "[thread_pool]") {
  oban::queue::ThreadPool pool;
  std::atomic<int> ran{0};
  for (int i = 0; i < 4; ++i) CHECK(pool.submit([&] { ran.fetch_add(1); }));
  pool.shutdown(std::chrono::steady_clock::now() + std::chrono::seconds{5});
  CHECK(ran.load() == 4);
  CHECK_FALSE(pool.submit([] {}));  // after shutdown
}
