#pragma once
// The raw SQL limit: pgbench running Oban's fetch CTE and the complete UPDATE against a
// real oban_jobs table, `batch` jobs per fetch and per ack.
#include "bench_context.hpp"

namespace bench {

// Drains `jobs` pre-inserted jobs (rounded up to a whole number of rounds per client)
// with `clients` pgbench connections; jobs/s is negative after calling results.fail().
Drained pgbench_drain(Context& context, int batch, int clients, int jobs);

}  // namespace bench
