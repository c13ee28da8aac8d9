#pragma once
// Looks for a secret in text: the whole of it, or any piece of it at least kMinFragment
// characters long (a redaction that stops at the wrong '@' leaks a tail), raw or
// percent-encoded as it sits in a URL.
#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

namespace fault {

// Every byte outside RFC 3986's unreserved set as %XX.
std::string percent_encode(std::string_view text);

class SecretScan {
 public:
  static constexpr std::size_t kMinFragment = 5;

  explicit SecretScan(std::string_view secret);
  bool leaks(std::string_view text) const;
  // How many of `texts` leak; the first one is kept for the report.
  std::size_t count_leaks(const std::vector<std::string>& texts);
  const std::string& first_leak() const { return first_leak_; }

 private:
  std::vector<std::string> fragments_;
  std::string first_leak_;
};

}  // namespace fault
