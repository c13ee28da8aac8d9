#include "targets.hpp"

#include <cmath>

namespace bench {
namespace {

// Why `key` has no figure: the skip reason of a skipped peer, else that it is absent.
std::string missing(const Results& r, const std::string& key) {
  for (const auto& f : r.figures()) {
    if (f.key != key) continue;
    if (const auto at = f.note.find("skipped: "); at != std::string::npos) return f.note.substr(at);
  }
  return "no figure " + key + " in this run";
}

bool measured(const Results& r, const std::string& key) { return r.value(key) > 0; }

}  // namespace

void judge_issue12_targets(Results& r) {
  auto judge = [&](const std::string& key, const std::string& goal, const std::vector<std::string>& needs,
                   auto met, auto shown) {
    Target t{key, goal, "", false, ""};
    for (const auto& need : needs) {
      if (!measured(r, need)) {
        t.not_measured = missing(r, need);
        r.add_target(t);
        return;
      }
    }
    t.met = met();
    t.measured = shown();
    r.add_target(t);
  };
  auto v = [&](const std::string& key) { return r.value(key); };

  judge("limit50_drain_vs_raw_sql", "limit-50 drain >= 0.85 of raw SQL at 50 per statement",
        {"drain_limit50_jobs_per_s", "baseline_batched_jobs_per_s"},
        [&] { return v("drain_limit50_jobs_per_s") >= 0.85 * v("baseline_batched_jobs_per_s"); },
        [&] {
          return fixed(v("drain_limit50_jobs_per_s") / v("baseline_batched_jobs_per_s"), 2) + " (" +
                 fixed(v("drain_limit50_jobs_per_s"), 0) + " vs " + fixed(v("baseline_batched_jobs_per_s"), 0) +
                 " jobs/s)";
        });
  judge("best_drain_vs_raw_sql", "best oban-cpp >= 0.90 of raw SQL at its batch size (the run's fastest raw SQL)",
        {"drain_best_jobs_per_s", "drain_best_ratio_to_ceiling"},
        [&] { return v("drain_best_ratio_to_ceiling") >= 0.90; },
        [&] { return fixed(v("drain_best_ratio_to_ceiling"), 2) + " (" + fixed(v("drain_best_jobs_per_s"), 0) + " jobs/s)"; });
  judge("best_drain_vs_graphile", "best oban-cpp >= graphile-worker's best",
        {"drain_best_jobs_per_s", "peer_graphile_best_jobs_per_s"},
        [&] { return v("drain_best_jobs_per_s") >= v("peer_graphile_best_jobs_per_s"); },
        [&] {
          return fixed(v("drain_best_jobs_per_s") / v("peer_graphile_best_jobs_per_s"), 2) + " (" +
                 fixed(v("drain_best_jobs_per_s"), 0) + " vs " + fixed(v("peer_graphile_best_jobs_per_s"), 0) +
                 " jobs/s)";
        });
  judge("latency_vs_graphile", "insert->start p50 below graphile-worker's",
        {"latency_notify_p50_ms", "peer_graphile_latency_p50_ms"},
        [&] { return v("latency_notify_p50_ms") < v("peer_graphile_latency_p50_ms"); },
        [&] {
          return fixed(v("latency_notify_p50_ms"), 2) + " vs " + fixed(v("peer_graphile_latency_p50_ms"), 2) + " ms";
        });
  judge("latency_under_2ms", "insert->start p50 below 2 ms", {"latency_notify_p50_ms"},
        [&] { return v("latency_notify_p50_ms") < 2; }, [&] { return fixed(v("latency_notify_p50_ms"), 2) + " ms"; });
  judge("fanout_10k_under_half_second", "fan-out of 10,000 rows under 0.5 s", {"fanout_10k_s"},
        [&] { return v("fanout_10k_s") < 0.5; }, [&] { return fixed(v("fanout_10k_s"), 3) + " s"; });
  const bool with_500 = measured(r, "rss_draining_limit500_mb");
  judge("rss_under_40mb", with_500 ? "RSS under 40 MB (nodes at limit 50 and 500)" : "RSS under 40 MB",
        {"rss_draining_mb"},
        [&] { return v("rss_draining_mb") < 40 && (!with_500 || v("rss_draining_limit500_mb") < 40); },
        [&] {
          return fixed(v("rss_draining_mb"), 1) + " MB" +
                 (with_500 ? ", " + fixed(v("rss_draining_limit500_mb"), 1) + " MB at limit 500" : "");
        });
}

}  // namespace bench
