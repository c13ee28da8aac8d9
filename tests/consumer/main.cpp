// A second team's first program on oban-cpp: a typed worker, jobs inserted before the node
// starts, a node that runs them, and Oban.Testing-style checks. Exits 0 when all held.
#include <oban/oban.hpp>
#include <oban/db/connection.hpp>  // db::connect, for migrating its private schema (brings libpqxx)
#include <oban/testing/testing.hpp>
#include <testkit/private_postgres.hpp>

#include <atomic>
#include <chrono>
#include <cstdlib>
#include <iostream>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

namespace {

struct GreetArgs {
  static constexpr std::string_view kWorker = "Greeter.Workers.Greet";
  static oban::WorkerOptions options() { return {.queue = "greetings", .max_attempts = 3}; }

  // Initialized ({}), so designated initializers may leave any of them out.
  std::string name{};
  std::vector<std::string> languages{};
  std::optional<std::string> signature{};
  static constexpr auto fields() {
    return oban::fields(oban::field("name", &GreetArgs::name), oban::field("languages", &GreetArgs::languages),
                        oban::field("signature", &GreetArgs::signature));
  }
};

class GreetWorker {
 public:
  using Args = GreetArgs;
  oban::JobResult perform(const GreetArgs& args, oban::JobContext&) {
    if (args.languages.empty()) return oban::JobResult::error("no language to greet " + args.name + " in");
    greeted.fetch_add(static_cast<int>(args.languages.size()));
    return oban::JobResult::ok();
  }
  std::atomic<int> greeted{0};
};

void require(bool condition, const std::string& what) {
  if (!condition) throw std::runtime_error("failed: " + what);
  std::cout << "ok: " << what << "\n";
}

}  // namespace

int main() {
  try {
    std::cout << "oban-cpp " << OBAN_CPP_VERSION << " (Oban " << OBAN_CPP_OBAN_VERSION << ")\n";
    std::optional<testkit::PrivatePostgres> postgres;
    const char* given = std::getenv("OBAN_TEST_DSN");
    if (!given) postgres.emplace();
    const std::string dsn = given ? given : postgres->dsn();
    const std::string prefix = "greeter";
    {
      auto conn = oban::db::connect(dsn);
      std::cout << oban::db::migrate(*conn, prefix).message << "\n";
    }

    // A worker's own tests: perform it with given args, no queue needed.
    GreetWorker worker;
    const auto performed = oban::testing::perform_job(worker, GreetArgs{.name = "Ada", .languages = {}});
    require(performed.state == oban::JobState::retryable, "perform_job: an error with attempts left is retryable");

    oban::WorkerRegistry registry;
    auto greeter = oban::add_worker(registry, std::make_shared<GreetWorker>());
    oban::Node node{
        {.dsn = dsn, .prefix = prefix, .queues = {{"greetings", 2}}, .poll_interval = std::chrono::milliseconds{200}},
        registry};

    // Inserting works before the node starts.
    node.client().insert(GreetArgs{.name = "Ada", .languages = {"en", "fr"}});
    node.client().insert_all({oban::new_job(GreetArgs{.name = "Grace", .languages = {"en"}, .signature = "G."})});
    oban::testing::assert_enqueued(node.client(), oban::testing::JobFilter::of(GreetArgs{.name = "Ada", .languages = {"en", "fr"}}));
    require(oban::testing::all_enqueued(node.client(), {.queue = "greetings"}).size() == 2, "two jobs enqueued");

    node.start();
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds{30};
    while (greeter->greeted.load() < 3 && std::chrono::steady_clock::now() < deadline) {
      std::this_thread::sleep_for(std::chrono::milliseconds{20});
    }
    require(greeter->greeted.load() == 3, "the node ran both jobs (3 greetings)");
    oban::testing::refute_enqueued(node.client(), {.worker = std::string{GreetArgs::kWorker}}, std::chrono::milliseconds{100});
    std::cout << "ok: nothing left enqueued\n";
    node.stop();
    std::cout << "consumer: all checks passed\n";
    return 0;
  } catch (const std::exception& error) {
    std::cerr << "consumer: " << error.what() << "\n";
    return 1;
  }
}
