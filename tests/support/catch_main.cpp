// The one translation unit that holds Catch2's runner for every suite.
#define CATCH_CONFIG_MAIN
#include <catch2/catch.hpp>
