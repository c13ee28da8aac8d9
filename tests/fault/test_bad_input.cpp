// Bad bytes and bad input (issue 10, point 7): an exception text PostgreSQL cannot store as
// it is, args that are not an object, and a password whose '@' breaks a URL.
#include <catch2/catch.hpp>

#include <iostream>

#include "child_process.hpp"
#include "fault_world.hpp"
#include "oban/db/identifiers.hpp"
#include "running_node.hpp"

using namespace fault;

TEST_CASE("h. invalid UTF-8 or a NUL in an exception text: the ack lands, the job retries", "[fault][bad_input]") {
  FaultWorld world{"bad_bytes_in_error"};
  RunningNode node{world, world.node_config(world.server().direct_dsn(), 5)};
  world.insert_jobs(1, {.mode = "bad_utf8_once"});
  world.insert_jobs(1, {.mode = "bad_utf8_reason_once"});
  world.insert_jobs(1, {.mode = "nul_once"});
  world.insert_jobs(20);
  // The first runs fail at once; the retry comes after the worker's 1 s backoff.
  world.wait_until_settled(10s);
  auto census = world.census();
  census.add("readable_utf8_entry",
             world.count("args->>'mode' = 'bad_utf8_once' AND errors[1]->>'error' LIKE '%scripted bytes%not UTF-8%'"));
  census.add("readable_reason_entry", world.count("args->>'mode' = 'bad_utf8_reason_once' AND "
                                                  "errors[1]->>'error' LIKE '%scripted reason%not UTF-8%'"));
  // what() is a C string: the text ends at the NUL, and what comes before must survive.
  census.add("readable_nul_entry",
             world.count("args->>'mode' = 'nul_once' AND errors[1]->>'error' LIKE '%scripted NUL%'"));
  node.stop();
  world.report_and_check(census);
  CHECK(census.get("readable_utf8_entry") == "1");
  CHECK(census.get("readable_reason_entry") == "1");
  CHECK(census.get("readable_nul_entry") == "1");
}

TEST_CASE("i. args that are not an object end at once with an error that names the problem", "[fault][bad_input]") {
  FaultWorld world{"non_object_args"};
  RunningNode node{world, world.node_config(world.server().direct_dsn(), 5)};
  for (const char* args : {"[]", "\"text\"", "null", "42"}) {
    world.exec("INSERT INTO " + world.jobs_table() + " (worker, queue, args, max_attempts) VALUES (" +
               oban::db::quote_literal(kWorkerName) + ", " + oban::db::quote_literal(kQueue) + ", " +
               oban::db::quote_literal(args) + "::jsonb, " + std::to_string(kMaxAttempts) + ")");
  }
  world.insert_jobs(10);
  const std::string bad = "jsonb_typeof(args) <> 'object'";
  // Retrying cannot help such a job: it ends on its first attempt, cancelled or discarded.
  world.wait_until_settled(10s, "'completed','cancelled','discarded'");
  auto census = world.census("jsonb_typeof(args) = 'object'");
  census.add("bad_args_inserted", world.count(bad));
  census.add("bad_args_ended", world.count(bad + " AND state IN ('cancelled','discarded')"));
  census.add("bad_args_one_attempt", world.count(bad + " AND attempt = 1 AND cardinality(errors) = 1"));
  census.add("bad_args_named", world.count(bad + " AND errors[1]->>'error' ILIKE '%args%'"));
  census.add("bad_args_cpp_type_names", world.count(bad + " AND errors::text LIKE '%std::%'"));
  census.add("bad_args_runs", world.worker().total_runs() - 10);
  const auto example = world.text("SELECT errors[array_length(errors, 1)]->>'error' FROM " + world.jobs_table() +
                                  " WHERE " + bad + " ORDER BY id LIMIT 1");
  node.stop();
  world.report_and_check(census);
  std::cout << "  example bad-args error: " << example << std::endl;
  CHECK(census.get("bad_args_ended") == "4");
  CHECK(census.get("bad_args_one_attempt") == "4");
  CHECK(census.get("bad_args_named") == "4");
  CHECK(census.get("bad_args_cpp_type_names") == "0");
  CHECK(census.get("bad_args_runs") == "0");
}

TEST_CASE("a raw '@' in the password of a URL leaks no piece of it", "[fault][bad_input][secrets]") {
  FaultWorld world{"raw_at_password"};
  // What an operator pastes: the password not percent-encoded.
  const std::string dsn = std::string{"postgresql://"} + kRole + ":" + kPassword + "@127.0.0.1:" +
                          std::to_string(world.server().port()) + "/postgres";
  std::string error;
  try {
    RunningNode node{world, world.node_config(dsn, 1)};
  } catch (const std::exception& e) {
    error = e.what();  // noted for the scan by RunningNode
  }
  // The same URL given to rindle-worker: its stderr is what an operator's log holds.
  ChildProcess child{{OBAN_RINDLE_WORKER, "run", "--queues", "fault:1", "--prefix", "fault", "--no-cron"},
                     {{"DATABASE_URL", dsn}}};
  const auto status = child.wait(scaled(20s));
  const std::string output = child.output();
  world.note_text(output);
  const auto leaks = world.secrets_leaked();
  const bool child_refused = status && describe_wait_status(*status) != "0";
  std::cout << "fault scenario=raw_at_password start_refused=" << (error.empty() ? 0 : 1)
            << " child_refused=" << (child_refused ? 1 : 0) << " secrets_in_logs=" << leaks << std::endl;
  std::cout << "  node error: " << error << "\n  rindle-worker: " << output << std::flush;
  if (leaks > 0) std::cout << "  first leak: " << world.first_leak() << std::endl;
  CHECK_FALSE(error.empty());
  CHECK(error.find("percent-encode") != std::string::npos);  // names the problem and the fix
  CHECK(child_refused);
  CHECK(output.find("percent-encode") != std::string::npos);
  CHECK(leaks == 0);
}
