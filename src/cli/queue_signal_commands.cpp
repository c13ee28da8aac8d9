// rindle-worker pause|resume|scale: Oban.pause_queue, Oban.resume_queue and Oban.scale_queue
// from the command line, with Oban's payloads, so Elixir and C++ nodes obey them alike.
#include <boost/program_options.hpp>
#include <iostream>
#include <optional>

#include "cli/commands.hpp"
#include "cli/parse_options.hpp"
#include "oban/client/client.hpp"

namespace po = boost::program_options;

namespace cli {
namespace {

const char* const kFooter =
    "Without --node the signal goes to every node (ident \"any\"), Elixir and C++ alike; with\n"
    "--node it goes to the Oban instance named Oban on that node (ident \"Oban.<node>\").\n"
    "DATABASE_URL names the database.\n";

po::options_description queue_options(const std::string& title) {
  po::options_description options{title};
  options.add_options()
      ("help,h", "show this help")
      ("queue", po::value<std::string>(), "the queue to signal")
      ("all-queues", po::bool_switch(), "every queue (Oban's queue \"*\")")
      ("node", po::value<std::string>(), "only this node, e.g. web-1@host (default: every node)")
      ("prefix", po::value<std::string>()->default_value(env_or("OBAN_PREFIX", "public")),
       "schema holding oban_jobs (env OBAN_PREFIX)");
  return options;
}

oban::QueueSignal target_from(const po::variables_map& vars) {
  const bool all = vars["all-queues"].as<bool>();
  if (all == (vars.count("queue") > 0)) throw std::invalid_argument("give either --queue NAME or --all-queues");
  oban::QueueSignal target;
  target.queue = all ? "*" : vars["queue"].as<std::string>();
  if (target.queue.empty()) throw std::invalid_argument("--queue must not be empty");
  if (vars.count("node")) target.node = vars["node"].as<std::string>();
  return target;
}

oban::Client client_for(const po::variables_map& vars) {
  oban::ClientConfig config;
  config.dsn = database_url_from_env();
  config.prefix = vars["prefix"].as<std::string>();
  config.pool_size = 1;
  return oban::Client{config};
}

std::string where(const oban::QueueSignal& target) {
  const std::string queues = target.queue == "*" ? "every queue" : "queue " + target.queue;
  return queues + (target.node ? " on node " + *target.node : " on every node");
}

int pause_or_resume(const Args& args, bool pause) {
  const std::string verb = pause ? "pause" : "resume";
  const auto options = queue_options("rindle-worker " + verb + ": " + verb +
                                     " a queue, as Oban." + verb + "_queue does");
  const auto parsed = parse_options(args, options, kFooter);
  if (!parsed) return 0;
  const auto target = target_from(*parsed);
  auto client = client_for(*parsed);
  pause ? client.pause_queue(target) : client.resume_queue(target);
  std::cout << verb << " sent to " << where(target) << "\n";
  return 0;
}

}  // namespace

int pause_command(const Args& args) { return pause_or_resume(args, true); }

int resume_command(const Args& args) { return pause_or_resume(args, false); }

int scale_command(const Args& args) {
  auto options = queue_options("rindle-worker scale: change a queue's limit, as Oban.scale_queue does");
  options.add_options()("limit", po::value<int>()->required(), "the new limit (concurrent jobs per node), > 0");
  const auto parsed = parse_options(args, options, kFooter);
  if (!parsed) return 0;
  const auto target = target_from(*parsed);
  const int limit = (*parsed)["limit"].as<int>();
  if (limit <= 0) throw std::invalid_argument("--limit must be a positive integer, got " + std::to_string(limit));
  auto client = client_for(*parsed);
  client.scale_queue(target, limit);
  std::cout << "scale to " << limit << " sent to " << where(target) << "\n";
  return 0;
}

}  // namespace cli
