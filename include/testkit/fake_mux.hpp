#pragma once
// A scripted stand-in for the Mux Video API: a real HTTP/1.1 server on 127.0.0.1 that
// serves GET /video/v1/assets/{id}, checks Basic auth, and logs every request.
#include <chrono>
#include <memory>
#include <string>
#include <vector>

namespace testkit {

class FakeMux {
 public:
  using TimePoint = std::chrono::steady_clock::time_point;

  // Listens on an ephemeral port with two server threads; answers 401 unless the
  // request carries Basic auth for exactly these credentials.
  FakeMux(std::string token_id, std::string token_secret);
  ~FakeMux();  // stops the threads; open connections are dropped
  FakeMux(const FakeMux&) = delete;
  FakeMux& operator=(const FakeMux&) = delete;

  int port() const;
  std::string base_url() const;  // "http://127.0.0.1:PORT"

  // Scripting. Unknown ids answer 404. Per id, the next requests answer in this order:
  // pending 429s, then pending server errors, then the raw response or the asset.
  void set_asset(const std::string& id, std::string status, std::vector<std::string> playback_ids);
  void set_not_found(const std::string& id);
  void set_rate_limited(const std::string& id, int retry_after_seconds, int times);
  void set_server_error(const std::string& id, int status, int times);
  void set_delay(const std::string& id, std::chrono::milliseconds delay);  // every answer
  // Answers for `id` wait until release(id) (60 s at most), after any delay: for tests that
  // time an answer to what the client is doing (a shutdown under way).
  void hold(const std::string& id);
  void release(const std::string& id);
  void set_raw_response(const std::string& id, int status, std::string body);  // verbatim body

  // The request log, including refused (401) requests; times are when each request
  // was fully read, before any scripted delay.
  int request_count() const;
  int request_count(const std::string& id) const;
  std::vector<TimePoint> request_times() const;
  std::vector<TimePoint> request_times(const std::string& id) const;

 private:
  class Server;
  std::unique_ptr<Server> server_;
};

}  // namespace testkit
