#pragma once
// Inserting prepared jobs with the result one insert per job, in order, would give, while
// sending only a few statements for the whole batch.
#include <string>
#include <vector>

#include <pqxx/pqxx>

#include "oban/insert/inserter.hpp"
#include "oban/insert/prepared_job.hpp"

namespace oban::insert {

// Locks the unique keys, finds matches (table rows and earlier jobs of the batch), applies
// replaces and inserts the rest. Results in the order of `jobs`. Sends no notification.
std::vector<InsertResult> insert_batch(pqxx::transaction_base& tx, const std::string& prefix,
                                       const std::vector<PreparedJob>& jobs);

}  // namespace oban::insert
