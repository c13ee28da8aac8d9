#include "cli/rindle_runtime.hpp"

#include "rindle/mux_sync_provider_asset.hpp"
#include "rindle/rindle_schema.hpp"

namespace cli {

RindleRuntime::RindleRuntime(oban::NodeConfig config, std::optional<std::string> rindle_schema)
    : config_(std::move(config)) {
  auto rindle_config = rindle::RindleConfig::from_env();
  if (rindle_schema) rindle_config.schema = *rindle_schema;
  int limit = 0;
  for (const auto& [queue, queue_limit] : config_.queues) limit += queue_limit;
  // One connection per running job at most, plus the coordinator's.
  pool_ = std::make_unique<oban::db::ConnectionPool>(config_.dsn, static_cast<std::size_t>(limit) + 2,
                                                      oban::pool_options(config_));
  mux_ = std::make_unique<rindle::MuxClient>(rindle::MuxClientConfig::from_env());
  mux_rate_ = std::make_unique<rindle::TokenBucket>(rindle_config.mux_rate_limit);
  node_ = std::make_unique<oban::Node>(config_, registry_);
  config_.node = node_->name();
  {
    auto conn = pool_->acquire();
    rindle::require_rindle_tables(*conn, rindle_config.schema);
  }
  // Oban's tables live in the prefix (the node's client inserts there); Rindle's in its own schema.
  services_ = std::make_unique<rindle::RindleServices>(
      rindle::RindleServices{*pool_, node_->client(), *mux_, *mux_rate_, rindle_config, rindle_config.schema});
  rindle::register_rindle_workers(registry_, *services_);
}

RindleRuntime::~RindleRuntime() { stop(); }

void RindleRuntime::start() { node_->start(); }

void RindleRuntime::stop() noexcept {
  if (node_) node_->stop();
}

}  // namespace cli
