#include "secret_scan.hpp"

#include <algorithm>
#include <cctype>

namespace fault {

std::string percent_encode(std::string_view text) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string encoded;
  for (const char c : text) {
    const auto byte = static_cast<unsigned char>(c);
    if (std::isalnum(byte) || c == '-' || c == '.' || c == '_' || c == '~') {
      encoded += c;
    } else {
      encoded += '%';
      encoded += kHex[byte >> 4];
      encoded += kHex[byte & 0x0F];
    }
  }
  return encoded;
}

SecretScan::SecretScan(std::string_view secret) {
  // Pieces of exactly kMinFragment characters suffice: any longer piece contains one.
  for (const std::string& form : {std::string{secret}, percent_encode(secret)}) {
    const std::size_t length = std::min(kMinFragment, form.size());
    for (std::size_t start = 0; start + length <= form.size(); ++start) {
      fragments_.push_back(form.substr(start, length));
    }
  }
  std::sort(fragments_.begin(), fragments_.end());
  fragments_.erase(std::unique(fragments_.begin(), fragments_.end()), fragments_.end());
}

bool SecretScan::leaks(std::string_view text) const {
  return std::any_of(fragments_.begin(), fragments_.end(),
                     [&](const std::string& fragment) { return text.find(fragment) != std::string_view::npos; });
}

std::size_t SecretScan::count_leaks(const std::vector<std::string>& texts) {
  std::size_t count = 0;
  for (const auto& text : texts) {
    if (!leaks(text)) continue;
    if (count == 0 && first_leak_.empty()) first_leak_ = text;
    ++count;
  }
  return count;
}

}  // namespace fault
