#pragma once
// Messages on the `signal` channel, as Elixir sends them (oban-protocol.md section 5).
#include <cstdint>
#include <optional>
#include <string>

namespace oban::queue {

struct Signal {
  std::string action;                  // "pause", "resume", "scale", "pkill", "start", "stop", ...
  std::optional<std::string> queue;    // a queue name, or "*" for every queue
  std::optional<std::string> ident;    // absent: every node; "any"; or "<name>.<node>"
  std::optional<int> limit;            // scale
  std::optional<bool> local_only;      // scale / pause / resume sent with local_only: true
  std::optional<std::int64_t> job_id;  // pkill

  // Whether this message is meant for a node whose idents are `idents` ("Oban.<node>"...).
  bool addressed_to(const std::vector<std::string>& idents) const;
  // Whether it names `queue_name` (or every queue with "*").
  bool names_queue(const std::string& queue_name) const;
};

// Parses a decoded payload. Throws std::invalid_argument for anything malformed: not a JSON
// object, no string action, a non-string ident or queue, a non-integer limit or job_id.
Signal parse_signal(const std::string& json);

}  // namespace oban::queue
