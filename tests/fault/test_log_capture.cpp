// The secret check must be able to fail: what a node reports through telemetry reaches the
// scan as the default logger would write it (text and JSON) and whole, at every level, even
// for an event the default logger leaves out.
#include <catch2/catch.hpp>

#include "fault_server.hpp"
#include "log_capture.hpp"
#include "secret_scan.hpp"

using namespace fault;

TEST_CASE("the log capture hands every telemetry event to the secret scan", "[fault][secrets]") {
  auto& capture = LogCapture::instance();
  capture.clear();
  const std::string encoded = percent_encode(kPassword);

  oban::telemetry::emit("fault:probe", oban::telemetry::Level::debug, {{"dsn", "postgresql://u:" + encoded + "@h/db"}});
  auto texts = capture.texts();
  REQUIRE(texts.size() == 3);  // text line, JSON line, whole event
  CHECK(texts[0].find("[debug] fault:probe") != std::string::npos);
  CHECK(texts[1].front() == '{');
  CHECK(SecretScan{kPassword}.count_leaks(texts) == 3);

  // An election that changed nothing: the default logger writes no line, the scan still
  // reads the event.
  capture.clear();
  oban::telemetry::emit("peer:election:stop", oban::telemetry::Level::debug,
                        {{"leader", false}, {"was_leader", false}, {"node", std::string{"n"} + kPassword}});
  texts = capture.texts();
  REQUIRE(texts.size() == 1);
  CHECK(SecretScan{kPassword}.count_leaks(texts) == 1);
  CHECK(capture.count_events("peer:election:stop") == 1);

  // A piece of the secret in a message is found too (a redaction that stopped at an '@').
  capture.clear();
  oban::telemetry::emit("fault:probe", oban::telemetry::Level::error, {}, {},
                        std::string{"could not connect: "} + (kPassword + 4));
  CHECK(SecretScan{kPassword}.count_leaks(capture.texts()) == 3);
  capture.clear();
}
