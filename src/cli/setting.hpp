#pragma once
// One setting of `run`: its flag if given, else its environment variable if set and not
// empty, else nothing (the caller's default). Parsing it gives an error that names where
// the bad text came from (the flag or the variable) and the text itself.
#include <boost/program_options.hpp>
#include <optional>
#include <string>

namespace cli {

struct Setting {
  std::string text;    // the raw value
  std::string origin;  // "--poll-interval" or "OBAN_POLL_INTERVAL"

  // `flag` without dashes, e.g. "poll-interval". The flag must be a po::value<std::string>.
  static std::optional<Setting> lookup(const boost::program_options::variables_map& vars, const std::string& flag,
                                       const char* env);

  // A number of seconds (decimals allowed) above 0, or at least 0 with allow_zero.
  double seconds(bool allow_zero = false) const;
  // A whole number above 0.
  long positive_integer() const;
  // A whole number of milliseconds, 0 or more.
  long milliseconds() const;
  // on/off, also true/false, yes/no, 1/0.
  bool on_off() const;

 private:
  [[noreturn]] void reject(const std::string& expected) const;
};

// The switch `flag` (a bool_switch) when given, else the variable `env` read as on/off,
// else false.
bool switch_setting(const boost::program_options::variables_map& vars, const std::string& flag, const char* env);

}  // namespace cli
