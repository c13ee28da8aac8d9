#pragma once
// What inserting one job gave back, as Oban.insert returns it.
#include "oban/core/job.hpp"

namespace oban {

struct InsertResult {
  Job job;                // the inserted row, or for a conflict the existing (maybe replaced) row
  bool conflict = false;  // true when a unique job already existed
};

}  // namespace oban
