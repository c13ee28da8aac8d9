#include "cli/setting.hpp"

#include <cmath>
#include <stdexcept>

#include "cli/commands.hpp"

namespace cli {

std::optional<Setting> Setting::lookup(const boost::program_options::variables_map& vars, const std::string& flag,
                                       const char* env) {
  if (vars.count(flag)) return Setting{vars[flag].as<std::string>(), "--" + flag};
  const std::string value = env_or(env, "");
  if (!value.empty()) return Setting{value, env};
  return std::nullopt;
}

void Setting::reject(const std::string& expected) const {
  throw std::invalid_argument(origin + " must be " + expected + ", got '" + text + "'");
}

double Setting::seconds(bool allow_zero) const {
  const std::string expected = allow_zero ? "a number of seconds, 0 or more" : "a number of seconds above 0";
  try {
    std::size_t used = 0;
    const double value = std::stod(text, &used);
    if (used == text.size() && std::isfinite(value) && (value > 0 || (allow_zero && value == 0))) return value;
  } catch (const std::exception&) {
  }
  reject(expected);
}

long Setting::positive_integer() const {
  try {
    std::size_t used = 0;
    const long value = std::stol(text, &used);
    if (used == text.size() && value > 0) return value;
  } catch (const std::exception&) {
  }
  reject("a whole number above 0");
}

long Setting::milliseconds() const {
  try {
    std::size_t used = 0;
    const long value = std::stol(text, &used);
    if (used == text.size() && value >= 0) return value;
  } catch (const std::exception&) {
  }
  reject("a whole number of milliseconds, 0 or more");
}

bool Setting::on_off() const {
  if (text == "on" || text == "true" || text == "yes" || text == "1") return true;
  if (text == "off" || text == "false" || text == "no" || text == "0") return false;
  reject("on or off");
}

bool switch_setting(const boost::program_options::variables_map& vars, const std::string& flag, const char* env) {
  if (vars.count(flag) && vars[flag].as<bool>()) return true;
  const std::string value = env_or(env, "");
  return !value.empty() && Setting{value, env}.on_off();
}

}  // namespace cli
