#include "log_capture.hpp"

#include <memory>
#include <mutex>

#include <spdlog/sinks/base_sink.h>
#include <spdlog/spdlog.h>

namespace fault {

struct LogCapture::Sink final : public spdlog::sinks::base_sink<std::mutex> {
  // Copied out under base_sink's own mutex.
  std::vector<std::string> copy() {
    std::lock_guard lock{mutex_};
    return lines_;
  }
  void clear() {
    std::lock_guard lock{mutex_};
    lines_.clear();
  }

 protected:
  void sink_it_(const spdlog::details::log_msg& message) override {
    spdlog::memory_buf_t formatted;
    formatter_->format(message, formatted);
    lines_.emplace_back(formatted.data(), formatted.size());
  }
  void flush_() override {}

 private:
  std::vector<std::string> lines_;  // guarded by base_sink's mutex_
};

LogCapture& LogCapture::instance() {
  static LogCapture capture;
  return capture;
}

LogCapture::LogCapture() {
  auto sink = std::make_shared<Sink>();
  sink_ = sink.get();
  auto logger = std::make_shared<spdlog::logger>("fault", sink);
  logger->set_level(spdlog::level::trace);
  spdlog::set_default_logger(logger);
}

void LogCapture::clear() { sink_->clear(); }

std::vector<std::string> LogCapture::lines() const { return sink_->copy(); }

std::vector<std::string> LogCapture::tail(std::size_t count) const {
  auto all = sink_->copy();
  if (all.size() > count) all.erase(all.begin(), all.end() - static_cast<std::ptrdiff_t>(count));
  return all;
}

std::size_t LogCapture::count_containing(const std::string& text) const {
  std::size_t count = 0;
  for (const auto& line : sink_->copy()) count += line.find(text) != std::string::npos ? 1 : 0;
  return count;
}

}  // namespace fault
