#include "oban/insert/unique_batch.hpp"

#include <optional>

#include "oban/db/insert_statements.hpp"

namespace oban::insert {

// The batch is worked through in segments. Within a segment every decision uses one lookup
// (table rows as of that statement, plus the rows the segment's earlier jobs will insert),
// which is exactly what one-at-a-time inserts would see as long as no row changes under
// the lookup. Only a replace changes a row, so a job that must replace ends the segment:
// the jobs before it are inserted, it replaces (now against a table row), and the rest is
// looked up again. Without replaces the whole batch is one segment: lock, lookup, INSERT.
std::vector<InsertResult> insert_batch(pqxx::transaction_base& tx, const std::string& prefix,
                                       const std::vector<PreparedJob>& jobs) {
  const std::size_t n = jobs.size();
  std::vector<InsertResult> results(n);
  bool any_unique = false;
  for (const auto& job : jobs) any_unique = any_unique || job.unique.has_value();
  // All keys at once, sorted: held until commit, so later segments need no more locks.
  if (any_unique) db::lock_unique_keys(tx, jobs, 0, n);

  std::size_t start = 0;
  while (start < n) {
    std::vector<std::optional<db::UniqueMatch>> match_of(n - start);
    if (any_unique) {
      for (auto& match : db::find_unique_matches(tx, prefix, jobs, start, n)) {
        const std::size_t slot = match.index - start;
        match_of[slot] = std::move(match);
      }
    }

    std::vector<bool> will_insert(n - start, false);
    std::vector<std::optional<std::size_t>> same_as(n - start);  // conflict with an earlier batch job
    std::size_t stop = n;
    for (std::size_t i = start; i < n; ++i) {
      const std::size_t slot = i - start;
      if (!jobs[i].unique) {
        will_insert[slot] = true;
        continue;
      }
      const auto& match = *match_of[slot];
      if (match.existing) {
        const auto fields = replace_fields(jobs[i], match.existing->state);
        if (fields.empty()) {
          results[i] = InsertResult{*match.existing, true};
          continue;
        }
        if (i == start) results[i] = InsertResult{db::replace_job(tx, prefix, match.existing->id, jobs[i], fields), true};
        stop = i == start ? i + 1 : i;
        break;
      }
      std::optional<std::size_t> earlier;
      for (auto p : match.earlier) {
        if (will_insert[p - start]) {
          earlier = p;
          break;
        }
      }
      if (!earlier) {
        will_insert[slot] = true;
        continue;
      }
      if (!replace_fields(jobs[i], jobs[*earlier].state).empty()) {
        stop = i;  // insert the earlier job first, then replace on its row
        break;
      }
      same_as[slot] = earlier;
    }

    std::vector<const PreparedJob*> to_insert;
    std::vector<std::size_t> positions;
    for (std::size_t i = start; i < stop; ++i) {
      if (!will_insert[i - start]) continue;
      to_insert.push_back(&jobs[i]);
      positions.push_back(i);
    }
    if (!to_insert.empty()) {
      auto rows = db::insert_jobs(tx, prefix, to_insert);
      for (std::size_t k = 0; k < rows.size(); ++k) results[positions[k]] = InsertResult{std::move(rows[k]), false};
    }
    for (std::size_t i = start; i < stop; ++i) {
      if (const auto& earlier = same_as[i - start]) results[i] = InsertResult{results[*earlier].job, true};
    }
    start = stop;
  }
  return results;
}

}  // namespace oban::insert
