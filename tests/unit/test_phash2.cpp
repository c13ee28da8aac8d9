// erlang:phash2/1 port. Expected values come from BEAM nodes (docs/oban-protocol.md
// Appendix B and section 8) or, where marked, from hand-checked identities.
#include <catch2/catch.hpp>

#include <stdexcept>

#include "oban/core/erlang_term.hpp"
#include "oban/core/phash2.hpp"

using oban::ErlangTerm;
using oban::phash2;

TEST_CASE("phash2 of Elixir binaries matches the BEAM", "[phash2]") {
  CHECK(phash2("public") == 46515530U);
  CHECK(phash2("private") == 12338982U);
}

TEST_CASE("phash2 of cron entry tuples matches the BEAM", "[phash2][cron]") {
  CHECK(phash2(ErlangTerm::tuple({"* * * * *", "MyApp.Worker", ErlangTerm::map({})})) == 134037757U);
  CHECK(phash2(ErlangTerm::tuple(
            {"0 * * * *", "MyApp.Worker", ErlangTerm::map({{"args", ErlangTerm::map({{"id", 1}})}})})) ==
        104457797U);
  CHECK(phash2(ErlangTerm::tuple(
            {"@daily", "MyApp.Worker",
             ErlangTerm::map({{"queue", ErlangTerm::atom("scheduled")}, {"tags", ErlangTerm::list({"a"})}})})) ==
        122423055U);
  // Recorded on a production Oban node.
  CHECK(phash2(ErlangTerm::tuple({"* * * * *", "Rindle.Workers.MuxSyncCoordinator", ErlangTerm::map({})})) ==
        104637035U);
}

TEST_CASE("phash2 of a map does not depend on entry order", "[phash2]") {
  const auto forward =
      ErlangTerm::map({{"queue", ErlangTerm::atom("scheduled")}, {"tags", ErlangTerm::list({"a"})}});
  const auto backward =
      ErlangTerm::map({{"tags", ErlangTerm::list({"a"})}, {"queue", ErlangTerm::atom("scheduled")}});
  CHECK(phash2(forward) == phash2(backward));
  CHECK(forward == backward);
  // Swapping key and value changes the pair hash, so it must change the result.
  CHECK(phash2(ErlangTerm::map({{"a", "b"}})) != phash2(ErlangTerm::map({{"b", "a"}})));
}

TEST_CASE("phash2 distinguishes term kinds and values", "[phash2]") {
  CHECK(phash2("a") != phash2(ErlangTerm::atom("a")));
  CHECK(phash2(ErlangTerm::list({})) != phash2(ErlangTerm::tuple({})));
  CHECK(phash2(1) != phash2(-1));
  CHECK(phash2(ErlangTerm::nil()) == phash2(ErlangTerm::atom("nil")));
  CHECK(phash2(ErlangTerm::boolean(true)) == phash2(ErlangTerm::atom("true")));
  CHECK(phash2(ErlangTerm::boolean(false)) != phash2(ErlangTerm::boolean(true)));
  // Every result is inside phash2/1's range.
  for (const ErlangTerm& term :
       {ErlangTerm("x"), ErlangTerm(0), ErlangTerm(std::int64_t{1} << 40), ErlangTerm(-(std::int64_t{1} << 40)),
        ErlangTerm::atom("ok"), ErlangTerm::list({1, 2, 3, 300, "x"}), ErlangTerm::map({{1, 2}})}) {
    CHECK(phash2(term) < (1U << 27));
  }
}

TEST_CASE("ErlangTerm::map rejects duplicate keys", "[phash2]") {
  CHECK_THROWS_AS(ErlangTerm::map({{"a", 1}, {"a", 2}}), std::invalid_argument);
  CHECK_NOTHROW(ErlangTerm::map({{"a", 1}, {ErlangTerm::atom("a"), 2}}));
}

TEST_CASE("cron_name is the decimal phash2 of {expr, worker, opts}", "[phash2][cron]") {
  CHECK(oban::cron_name("* * * * *", "MyApp.Worker", ErlangTerm::map({})) == "134037757");
  CHECK(oban::cron_name("0 * * * *", "MyApp.Worker", ErlangTerm::map({{"args", ErlangTerm::map({{"id", 1}})}})) ==
        "104457797");
  CHECK(oban::cron_name(
            "@daily", "MyApp.Worker",
            ErlangTerm::map({{"queue", ErlangTerm::atom("scheduled")}, {"tags", ErlangTerm::list({"a"})}})) ==
        "122423055");
  CHECK(oban::cron_name("* * * * *", "Rindle.Workers.MuxSyncCoordinator", ErlangTerm::map({})) == "104637035");
  CHECK_THROWS_AS(oban::cron_name("* * * * *", "MyApp.Worker", ErlangTerm::list({})), std::invalid_argument);
}

TEST_CASE("phash2 of [] is the BEAM's fixed first-term value", "[phash2]") {
  // make_hash2 assigns 3468870702 for a leading [], which is the mix of NIL_DEF (2) into
  // a zero state; phash2/1 keeps its low 27 bits.
  CHECK(phash2(ErlangTerm::list({})) == 3468870702U % (1U << 27));
  CHECK(phash2(ErlangTerm::list({})) == 113427502U);
}
