// Each public entry header compiles on its own (tests/consumer/run also checks that the
// umbrella pulls in no libpqxx or Boost header).
#include <oban/oban.hpp>
