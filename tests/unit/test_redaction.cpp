// A database password never reaches an error or a log, not even a part of one that a URL
// cannot hold as written (a raw '@', '/' or ':').
#include <catch2/catch.hpp>

#include "oban/db/connection.hpp"

namespace {

// Every piece of `password` of 3 characters or more that `text` contains.
std::vector<std::string> leaked_pieces(const std::string& text, const std::string& password) {
  std::vector<std::string> leaked;
  for (std::size_t begin = 0; begin < password.size(); ++begin) {
    for (std::size_t length = 3; begin + length <= password.size(); ++length) {
      const auto piece = password.substr(begin, length);
      if (text.find(piece) != std::string::npos) leaked.push_back(piece);
    }
  }
  return leaked;
}

}  // namespace

TEST_CASE("redact_dsn hides the whole password, raw '@', '/' and ':' included", "[redact]") {
  const std::string password = "Pa@ss/wo:rd@9";
  const std::string url = "postgres://app:" + password + "@db.internal:5432/app?sslmode=disable";
  const auto redacted = oban::db::redact_dsn(url);
  CHECK(redacted == "postgres://app:***@db.internal:5432/app?sslmode=disable");
  CHECK(leaked_pieces(redacted, password).empty());
  CHECK(oban::db::redact_dsn("host=db user=app password='Pa@ss w/o:rd' dbname=app") ==
        "host=db user=app password=*** dbname=app");
  CHECK(oban::db::redact_dsn("postgres://app:s%40cret@db/app") == "postgres://app:***@db/app");
  CHECK(oban::db::redact_dsn("postgres://app@db/app") == "postgres://app@db/app");
}

TEST_CASE("a connection error never carries any part of the password", "[redact]") {
  oban::db::ConnectOptions quick;
  quick.connect_timeout = std::chrono::seconds{2};
  for (const std::string password : {"Pa@ss/wo:rd@9", "plain-secret-99", "sl/ash:colon", "s%40cret"}) {
    INFO(password);
    const std::string url = "postgres://app:" + password + "@127.0.0.1:1/app";
    try {
      oban::db::connect(url, quick);
      FAIL("connected to port 1?");
    } catch (const oban::db::ConnectionError& e) {
      const std::string message = e.what();
      CHECK(leaked_pieces(message, password).empty());
      CHECK(message.find("cannot connect to PostgreSQL at postgres://app:***@") == 0);
      if (password.find_first_of("@/") != std::string::npos) CHECK(message.find("percent-encode") != std::string::npos);
    }
  }
  try {
    oban::db::connect("host=127.0.0.1 port=1 user=app password=Pa@ss/wo:rd@9 dbname=app", quick);
  } catch (const oban::db::ConnectionError& e) {
    CHECK(leaked_pieces(e.what(), "Pa@ss/wo:rd@9").empty());
  }
}

TEST_CASE("redact_secrets removes the DSN and its password from any message", "[redact]") {
  const std::string dsn = "postgres://app:Pa@ss/wo:rd@db/app";
  const auto text = oban::db::redact_secrets("failed for " + dsn + " (password Pa@ss/wo:rd)", dsn);
  CHECK(text.find("Pa@ss") == std::string::npos);
  CHECK(text.find("wo:rd") == std::string::npos);
}
