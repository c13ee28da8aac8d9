#pragma once
// Private to oban_testkit: what FakeMux answers, kept apart from the socket code.
#include <chrono>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace testkit {

struct FakeMuxAnswer {
  int status = 200;
  std::string body;                        // JSON
  std::optional<int> retry_after_seconds;  // sent as Retry-After when set
  std::chrono::milliseconds delay{0};      // wait this long before answering
};

// The scripted table and the request log. Thread-safe: every server thread calls answer().
class FakeMuxScript {
 public:
  using TimePoint = std::chrono::steady_clock::time_point;

  FakeMuxScript(std::string token_id, std::string token_secret);

  void set_asset(const std::string& id, std::string status, std::vector<std::string> playback_ids);
  void set_not_found(const std::string& id);
  void set_rate_limited(const std::string& id, int retry_after_seconds, int times);
  void set_server_error(const std::string& id, int status, int times);
  void set_delay(const std::string& id, std::chrono::milliseconds delay);
  void set_raw_response(const std::string& id, int status, std::string body);

  // Logs the request, then decides its answer.
  FakeMuxAnswer answer(std::string_view method, std::string_view target, std::string_view authorization);

  int request_count() const;
  int request_count(const std::string& id) const;
  std::vector<TimePoint> request_times() const;
  std::vector<TimePoint> request_times(const std::string& id) const;

 private:
  struct AssetScript {
    std::optional<std::string> status;  // nullopt: 404
    std::vector<std::string> playback_ids;
    std::optional<std::pair<int, std::string>> raw;  // status, body: overrides the asset
    int rate_limited_left = 0;
    int retry_after_seconds = 0;
    int server_errors_left = 0;
    int server_error_status = 500;
    std::chrono::milliseconds delay{0};
  };

  FakeMuxAnswer answer_asset(const std::string& id);

  const std::string expected_authorization_;
  mutable std::mutex mutex_;
  // Guarded by mutex_.
  std::map<std::string, AssetScript> assets_;
  std::vector<TimePoint> times_;
  std::map<std::string, std::vector<TimePoint>> times_by_id_;
};

}  // namespace testkit
