#pragma once
// An Oban node with Rindle's two workers registered: what `run` and `demo` start.
#include <memory>
#include <optional>
#include <string>

#include "oban/runtime/node.hpp"
#include "oban/worker.hpp"
#include "rindle/rindle_services.hpp"

namespace cli {

class RindleRuntime {
 public:
  // Reads Rindle's and Mux's settings from the environment; `rindle_schema` (the
  // --rindle-schema flag) overrides RINDLE_SCHEMA. Throws on bad values, and when Rindle's
  // tables are not in that schema.
  explicit RindleRuntime(oban::NodeConfig config, std::optional<std::string> rindle_schema = std::nullopt);
  ~RindleRuntime();
  void start();
  void stop() noexcept;
  oban::Node& node() { return *node_; }

 private:
  oban::NodeConfig config_;
  oban::WorkerRegistry registry_;
  std::unique_ptr<oban::db::ConnectionPool> pool_;  // Rindle's own table queries and fan-out
  std::unique_ptr<rindle::MuxClient> mux_;
  std::unique_ptr<rindle::TokenBucket> mux_rate_;
  std::unique_ptr<rindle::RindleServices> services_;
  std::unique_ptr<oban::Node> node_;
};

}  // namespace cli
