#pragma once
// A background loop's heartbeat, as a health check reads it. Every loop of a node (the
// TimerLoops, and the few threads that wait on their own, such as the notifier's) reports
// one, so a liveness probe covers them all the same way.
#include <chrono>
#include <string>

namespace oban::core {

struct LoopHealth {
  std::string name;          // e.g. "peer", "Oban.Plugins.Pruner", "producer:default"
  bool running = false;      // its thread exists and has not ended
  bool in_step = false;      // doing work now (not waiting for its next round)
  std::chrono::steady_clock::time_point last_beat{};  // last start or end of a step or a wait

  // Alive: running, and not in one step for longer than `stuck_after`. A loop waiting
  // between steps is alive however long its wait (a plugin may run once an hour).
  bool alive(std::chrono::steady_clock::time_point now, std::chrono::steady_clock::duration stuck_after) const {
    return running && !(in_step && now - last_beat > stuck_after);
  }
};

}  // namespace oban::core
