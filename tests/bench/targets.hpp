#pragma once
// Issue 12's targets, judged on the figures of this run (each against what it is
// compared with in the same run): added to the results as met / MISSED / not measured.
#include "bench_results.hpp"

namespace bench {

void judge_issue12_targets(Results& results);

}  // namespace bench
