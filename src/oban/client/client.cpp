#include "oban/client/client.hpp"

#include <algorithm>
#include <mutex>
#include <stdexcept>

#include <pqxx/pqxx>

#include "oban/client/client_access.hpp"
#include "oban/core/telemetry.hpp"
#include "oban/db/job_control.hpp"
#include "oban/db/notification.hpp"
#include "oban/db/schema.hpp"
#include "oban/insert/inserter.hpp"
#include "oban/json/json_value.hpp"

namespace oban {

struct Client::Impl {
  std::unique_ptr<db::ConnectionPool> own_pool;  // null for a node's client
  db::ConnectionPool* pool = nullptr;
  std::string prefix;
  std::string name;
  std::optional<std::string> node;  // a node's client: local_only means this node
  std::vector<std::string> local_queues;
  const Clock* clock = nullptr;

  std::mutex mutex;
  std::unique_ptr<Inserter> inserter;  // guarded by mutex; built on first use

  // The inserter, built on first use: it needs the schema version, so nothing connects
  // before a job is inserted.
  Inserter& get_inserter() {
    std::lock_guard lock{mutex};
    if (!inserter) {
      int version = 0;
      {
        auto lease = pool->acquire();
        db::require_runnable_schema(*lease, prefix);
        version = db::schema_version(*lease, prefix);
      }
      inserter = std::make_unique<Inserter>(*pool, prefix, *clock, version);
    }
    return *inserter;
  }

  // Oban's scope_signal: the local ident for local_only, "<name>.<node>" for node, else "any".
  std::string ident(const QueueSignal& target) const {
    if (target.queue.empty()) throw std::invalid_argument("a queue signal needs a queue (a name, or \"*\" for all)");
    if (target.local_only && target.node) throw std::invalid_argument("give local_only or node, not both");
    if (target.local_only) {
      const bool local = node && (target.queue == "*" || std::find(local_queues.begin(), local_queues.end(),
                                                                    target.queue) != local_queues.end());
      if (!local) throw std::invalid_argument("queue " + target.queue + " does not exist locally");
      return name + "." + *node;
    }
    if (target.node) {
      if (target.node->empty()) throw std::invalid_argument("node must not be empty");
      return name + "." + *target.node;
    }
    return "any";
  }

  void send_signals(const std::vector<std::string>& payloads) {
    telemetry::Span span{"notifier:notify", {{"channel", "signal"}, {"prefix", prefix}}};
    db::notify(*pool, prefix, "signal", payloads);
  }

  void queue_signal(const std::string& action, const QueueSignal& target, std::optional<int> limit) {
    Value::Object payload{{"action", action}, {"ident", ident(target)}, {"queue", target.queue}};
    if (limit) {
      if (*limit <= 0) throw std::invalid_argument("limit must be a positive integer, got " + std::to_string(*limit));
      // Oban sends scale's whole option map: local_only and node ride along when given.
      payload["limit"] = *limit;
      if (target.local_only) payload["local_only"] = true;
      if (target.node) payload["node"] = *target.node;
    }
    send_signals({json::write(payload)});
  }
};

namespace {

std::vector<std::int64_t> ids_of(const std::vector<db::ChangedJob>& jobs) {
  std::vector<std::int64_t> ids;
  ids.reserve(jobs.size());
  for (const auto& job : jobs) ids.push_back(job.id);
  return ids;
}

Value::Array ids_value(const std::vector<std::int64_t>& ids) { return Value::Array(ids.begin(), ids.end()); }

}  // namespace

Client::Client(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}

Client::Client(ClientConfig config, const Clock& clock) : impl_(std::make_unique<Impl>()) {
  if (config.dsn.empty()) throw std::invalid_argument("the client needs a database (dsn is empty)");
  if (config.prefix.empty()) throw std::invalid_argument("the client needs a prefix (the schema holding oban_jobs)");
  if (config.pool_size == 0) throw std::invalid_argument("the client needs at least one connection (pool_size is 0)");
  impl_->own_pool = std::make_unique<db::ConnectionPool>(config.dsn, config.pool_size);
  impl_->pool = impl_->own_pool.get();
  impl_->prefix = std::move(config.prefix);
  impl_->name = std::move(config.name);
  impl_->clock = &clock;
}

Client::~Client() = default;
Client::Client(Client&&) noexcept = default;
Client& Client::operator=(Client&&) noexcept = default;

const std::string& Client::prefix() const { return impl_->prefix; }

InsertResult Client::insert(const NewJob& job) { return impl_->get_inserter().insert(job); }

std::vector<InsertResult> Client::insert_all(const std::vector<NewJob>& jobs) {
  return impl_->get_inserter().insert_all(jobs);
}

InsertResult Client::insert(pqxx::transaction_base& tx, const NewJob& job) {
  return insert_all(tx, std::vector<NewJob>{job}).front();
}

std::vector<InsertResult> Client::insert_all(pqxx::transaction_base& tx, const std::vector<NewJob>& jobs) {
  auto results = impl_->get_inserter().insert_all(tx, jobs);
  // NOTIFY inside the caller's transaction is delivered when it commits, and never if it
  // rolls back: the wake-ups go with the jobs.
  std::vector<std::string> payloads;
  for (const auto& result : results) {
    if (result.job.state != JobState::available) continue;
    auto payload = json::write(Value::Object{{"queue", result.job.queue}});
    if (std::find(payloads.begin(), payloads.end(), payload) == payloads.end()) payloads.push_back(std::move(payload));
  }
  if (!payloads.empty()) db::notify(tx, impl_->prefix, "insert", payloads);
  return results;
}

void Client::pause_queue(const QueueSignal& target) { impl_->queue_signal("pause", target, std::nullopt); }
void Client::resume_queue(const QueueSignal& target) { impl_->queue_signal("resume", target, std::nullopt); }
void Client::scale_queue(const QueueSignal& target, int limit) { impl_->queue_signal("scale", target, limit); }

bool Client::cancel_job(std::int64_t id) { return !cancel_jobs({id}).empty(); }

std::vector<std::int64_t> Client::cancel_jobs(const std::vector<std::int64_t>& ids) {
  if (ids.empty()) return {};
  telemetry::Span span{"engine:cancel_all_jobs", {{"prefix", impl_->prefix}, {"ids", ids_value(ids)}}};
  auto lease = impl_->pool->acquire();
  pqxx::work tx{*lease};
  const auto cancelled = db::cancel_jobs(tx, impl_->prefix, ids, impl_->clock->now());
  // As Oban.cancel_all_jobs: a pkill for each job that was executing, so the node running it
  // stops it. Sent in the same transaction, so it is never sent for a cancel that failed.
  std::vector<std::string> pkills;
  for (const auto& job : cancelled) {
    if (job.previous_state != JobState::executing) continue;
    pkills.push_back(json::write(Value::Object{{"action", "pkill"}, {"job_id", job.id}}));
  }
  if (!pkills.empty()) db::notify(tx, impl_->prefix, "signal", pkills);
  tx.commit();
  auto changed = ids_of(cancelled);
  span.add("jobs", ids_value(changed));
  return changed;
}

bool Client::retry_job(std::int64_t id) { return !retry_jobs({id}).empty(); }

std::vector<std::int64_t> Client::retry_jobs(const std::vector<std::int64_t>& ids) {
  if (ids.empty()) return {};
  telemetry::Span span{"engine:retry_all_jobs", {{"prefix", impl_->prefix}, {"ids", ids_value(ids)}}};
  auto lease = impl_->pool->acquire();
  pqxx::work tx{*lease};
  // Oban sends no notification for a retry: the leader's stager announces available jobs
  // within its interval, and every node also polls.
  const auto retried = db::retry_jobs(tx, impl_->prefix, ids, impl_->clock->now());
  tx.commit();
  auto changed = ids_of(retried);
  span.add("jobs", ids_value(changed));
  return changed;
}

std::unique_ptr<Client> ClientAccess::for_node(db::ConnectionPool& pool, std::string prefix, std::string node,
                                               std::vector<std::string> local_queues, const Clock& clock) {
  auto impl = std::make_unique<Client::Impl>();
  impl->pool = &pool;
  impl->prefix = std::move(prefix);
  impl->name = "Oban";
  impl->node = std::move(node);
  impl->local_queues = std::move(local_queues);
  impl->clock = &clock;
  return std::unique_ptr<Client>(new Client(std::move(impl)));
}

db::ConnectionPool& ClientAccess::pool(const Client& client) { return *client.impl_->pool; }
const Clock& ClientAccess::clock(const Client& client) { return *client.impl_->clock; }

}  // namespace oban
