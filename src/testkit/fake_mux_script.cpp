#include "fake_mux_script.hpp"

#include <cstdint>

namespace testkit {

namespace {

constexpr std::string_view kAssetsPath = "/video/v1/assets/";

// Written out rather than borrowed from OpenSSL so oban_testkit needs no crypto library.
std::string base64(std::string_view bytes) {
  static constexpr char kAlphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string encoded;
  for (std::size_t i = 0; i < bytes.size(); i += 3) {
    const std::size_t left = bytes.size() - i;
    std::uint32_t group = static_cast<std::uint32_t>(static_cast<unsigned char>(bytes[i])) << 16;
    if (left > 1) group |= static_cast<std::uint32_t>(static_cast<unsigned char>(bytes[i + 1])) << 8;
    if (left > 2) group |= static_cast<unsigned char>(bytes[i + 2]);
    encoded += kAlphabet[(group >> 18) & 0x3F];
    encoded += kAlphabet[(group >> 12) & 0x3F];
    encoded += left > 1 ? kAlphabet[(group >> 6) & 0x3F] : '=';
    encoded += left > 2 ? kAlphabet[group & 0x3F] : '=';
  }
  return encoded;
}

std::string quote(std::string_view text) {
  static constexpr char kHex[] = "0123456789abcdef";
  std::string quoted = "\"";
  for (const char c : text) {
    const auto byte = static_cast<unsigned char>(c);
    if (c == '"' || c == '\\') {
      quoted += '\\';
      quoted += c;
    } else if (byte < 0x20) {
      quoted += "\\u00";
      quoted += kHex[byte >> 4];
      quoted += kHex[byte & 0x0F];
    } else {
      quoted += c;
    }
  }
  return quoted + "\"";
}

int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

std::optional<std::string> percent_decode(std::string_view text) {
  std::string decoded;
  for (std::size_t i = 0; i < text.size(); ++i) {
    if (text[i] != '%') {
      decoded += text[i];
      continue;
    }
    if (i + 2 >= text.size()) return std::nullopt;
    const int high = hex_value(text[i + 1]);
    const int low = hex_value(text[i + 2]);
    if (high < 0 || low < 0) return std::nullopt;
    decoded += static_cast<char>(high * 16 + low);
    i += 2;
  }
  return decoded;
}

// Mux's error shape: {"error":{"type":"...","messages":["..."]}}.
FakeMuxAnswer error_answer(int status, std::string_view type, std::string_view message) {
  FakeMuxAnswer answer;
  answer.status = status;
  answer.body = "{\"error\":{\"type\":" + quote(type) + ",\"messages\":[" + quote(message) + "]}}";
  return answer;
}

std::string asset_body(const std::string& id, const std::string& status,
                       const std::vector<std::string>& playback_ids) {
  std::string ids;
  for (const auto& playback_id : playback_ids) {
    if (!ids.empty()) ids += ',';
    ids += "{\"id\":" + quote(playback_id) + ",\"policy\":\"public\"}";
  }
  // Fields beyond id/status/playback_ids make sure the client skips what it does not need.
  return "{\"data\":{\"id\":" + quote(id) + ",\"status\":" + quote(status) +
         ",\"playback_ids\":[" + ids + "],\"mp4_support\":\"none\",\"max_stored_resolution\":\"HD\"," +
         "\"duration\":12.5,\"tracks\":[{\"type\":\"video\",\"max_width\":1920}],\"passthrough\":null," +
         "\"created_at\":\"1700000000\"}}";
}

}  // namespace

FakeMuxScript::FakeMuxScript(std::string token_id, std::string token_secret)
    : expected_authorization_("Basic " + base64(token_id + ":" + token_secret)) {}

void FakeMuxScript::set_asset(const std::string& id, std::string status, std::vector<std::string> playback_ids) {
  std::lock_guard lock(mutex_);
  auto& script = assets_[id];
  script.status = std::move(status);
  script.playback_ids = std::move(playback_ids);
  script.raw.reset();
}

void FakeMuxScript::set_not_found(const std::string& id) {
  std::lock_guard lock(mutex_);
  auto& script = assets_[id];
  script.status.reset();
  script.playback_ids.clear();
  script.raw.reset();
}

void FakeMuxScript::set_rate_limited(const std::string& id, int retry_after_seconds, int times) {
  std::lock_guard lock(mutex_);
  auto& script = assets_[id];
  script.retry_after_seconds = retry_after_seconds;
  script.rate_limited_left = times;
}

void FakeMuxScript::set_server_error(const std::string& id, int status, int times) {
  std::lock_guard lock(mutex_);
  auto& script = assets_[id];
  script.server_error_status = status;
  script.server_errors_left = times;
}

void FakeMuxScript::set_delay(const std::string& id, std::chrono::milliseconds delay) {
  std::lock_guard lock(mutex_);
  assets_[id].delay = delay;
}

void FakeMuxScript::set_raw_response(const std::string& id, int status, std::string body) {
  std::lock_guard lock(mutex_);
  assets_[id].raw = std::make_pair(status, std::move(body));
}

FakeMuxAnswer FakeMuxScript::answer(std::string_view method, std::string_view target,
                                    std::string_view authorization) {
  const auto now = std::chrono::steady_clock::now();
  std::lock_guard lock(mutex_);
  times_.push_back(now);

  const auto query = target.find('?');
  const std::string_view path = target.substr(0, query);
  std::optional<std::string> id;
  if (path.substr(0, kAssetsPath.size()) == kAssetsPath) {
    const std::string_view segment = path.substr(kAssetsPath.size());
    if (!segment.empty() && segment.find('/') == std::string_view::npos) id = percent_decode(segment);
  }
  if (id) times_by_id_[*id].push_back(now);

  if (authorization != expected_authorization_) {
    return error_answer(401, "unauthorized", "Unauthorized request");
  }
  if (method != "GET") return error_answer(405, "method_not_allowed", "Method not allowed");
  if (!id) return error_answer(404, "not_found", "The requested resource was not found");
  return answer_asset(*id);
}

FakeMuxAnswer FakeMuxScript::answer_asset(const std::string& id) {
  const auto found = assets_.find(id);
  if (found == assets_.end()) return error_answer(404, "not_found", "The requested asset was not found");
  auto& script = found->second;

  FakeMuxAnswer answer;
  if (script.rate_limited_left > 0) {
    --script.rate_limited_left;
    answer = error_answer(429, "too_many_requests", "Too many requests");
    answer.retry_after_seconds = script.retry_after_seconds;
  } else if (script.server_errors_left > 0) {
    --script.server_errors_left;
    answer = error_answer(script.server_error_status, "internal_error", "Something went wrong");
  } else if (script.raw) {
    answer.status = script.raw->first;
    answer.body = script.raw->second;
  } else if (!script.status) {
    answer = error_answer(404, "not_found", "The requested asset was not found");
  } else {
    answer.body = asset_body(id, *script.status, script.playback_ids);
  }
  answer.delay = script.delay;
  return answer;
}

int FakeMuxScript::request_count() const {
  std::lock_guard lock(mutex_);
  return static_cast<int>(times_.size());
}

int FakeMuxScript::request_count(const std::string& id) const {
  std::lock_guard lock(mutex_);
  const auto found = times_by_id_.find(id);
  return found == times_by_id_.end() ? 0 : static_cast<int>(found->second.size());
}

std::vector<FakeMuxScript::TimePoint> FakeMuxScript::request_times() const {
  std::lock_guard lock(mutex_);
  return times_;
}

std::vector<FakeMuxScript::TimePoint> FakeMuxScript::request_times(const std::string& id) const {
  std::lock_guard lock(mutex_);
  const auto found = times_by_id_.find(id);
  return found == times_by_id_.end() ? std::vector<TimePoint>{} : found->second;
}

}  // namespace testkit
