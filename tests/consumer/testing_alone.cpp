// The testing helpers' header compiles on its own.
#include <oban/testing/testing.hpp>
