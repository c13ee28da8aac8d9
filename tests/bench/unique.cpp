// Unique inserts as Rindle makes them (keys [provider_asset_id], period 60): one at a
// time and in insert_all batches, with fresh keys and with every key conflicting.
#include "bench_context.hpp"
#include "bench_db.hpp"
#include "oban/db/connection.hpp"
#include "oban/insert/inserter.hpp"

namespace bench {
namespace {

oban::NewJob unique_job(const std::string& key) {
  oban::NewJob job;
  job.worker = kNoopWorker;
  job.queue = "unique";  // nobody runs it: rows stay available and keep conflicting
  job.args = "{\"provider_asset_id\":\"" + key + "\"}";
  oban::UniqueOptions unique;
  unique.keys = {"provider_asset_id"};
  unique.period = std::chrono::seconds{60};
  job.unique = unique;
  return job;
}

// Inserts one at a time; returns inserts/s, or -1 when a result's conflict flag is wrong.
double one_at_a_time(Context& context, oban::Inserter& inserter, const std::string& key_prefix, int count,
                     bool expect_conflict) {
  const auto start = std::chrono::steady_clock::now();
  for (int i = 0; i < count; ++i) {
    const auto key = expect_conflict ? key_prefix : key_prefix + std::to_string(i);
    if (inserter.insert(unique_job(key)).conflict != expect_conflict) {
      context.results.fail("unique one at a time: insert " + std::to_string(i) + " of " + key + " conflict flag wrong");
      return -1;
    }
  }
  return count / seconds_since(start);
}

double batched(Context& context, oban::Inserter& inserter, const std::string& key_prefix, int count, int batch_size,
               bool expect_conflict) {
  const auto start = std::chrono::steady_clock::now();
  for (int done = 0; done < count; done += batch_size) {
    std::vector<oban::NewJob> jobs;
    for (int i = done; i < std::min(count, done + batch_size); ++i) jobs.push_back(unique_job(key_prefix + std::to_string(i)));
    for (const auto& result : inserter.insert_all(jobs)) {
      if (result.conflict != expect_conflict) {
        context.results.fail("unique batch: conflict flag wrong in batch at " + std::to_string(done));
        return -1;
      }
    }
  }
  return count / seconds_since(start);
}

}  // namespace

void run_unique(Context& context) {
  const auto& o = context.options;
  auto& r = context.results;
  const std::string section = "unique inserts (keys [provider_asset_id], period 60)";
  const auto prefix = fresh_schema(context.dsn, "unique");
  oban::db::ConnectionPool pool{context.dsn, 1};
  oban::Inserter inserter{pool, prefix};
  if (const double v = one_at_a_time(context, inserter, "fresh-", o.unique_single, false); v > 0) {
    r.add({section, "unique_fresh_per_s", v, "/s", "one at a time; Elixir 347/s"});
  }
  inserter.insert(unique_job("taken"));
  if (const double v = one_at_a_time(context, inserter, "taken", o.unique_single, true); v > 0) {
    r.add({section, "unique_conflict_per_s", v, "/s", "one at a time, all conflict; Elixir 440/s"});
  }
  const auto batch = std::to_string(o.unique_batch_size);
  if (const double v = batched(context, inserter, "batch-", o.unique_batch, o.unique_batch_size, false); v > 0) {
    r.add({section, "unique_batch_per_s", v, "/s", "insert_all of " + batch + ", fresh keys"});
  }
  if (const double v = batched(context, inserter, "batch-", o.unique_batch, o.unique_batch_size, true); v > 0) {
    r.add({section, "unique_batch_conflict_per_s", v, "/s", "insert_all of " + batch + ", all conflict"});
  }
}

}  // namespace bench
