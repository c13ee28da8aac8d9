#pragma once
#include <string>
#include <vector>

#include "oban/core/new_job.hpp"

namespace oban::insert {

// Checks what Oban's changeset checks (worker/queue 1..127 chars, max_attempts > 0,
// priority 0..9, args and meta JSON objects, unique keys need args or meta). Returns every
// problem, empty when valid.
std::vector<std::string> validate(const NewJob& job);

}  // namespace oban::insert
