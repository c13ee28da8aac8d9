#include "rindle/mux_status.hpp"

namespace rindle {

std::optional<std::string> normalize_mux_status(std::string_view mux_status) {
  if (mux_status == "preparing") return "processing";
  if (mux_status == "ready") return "ready";
  if (mux_status == "errored") return "errored";
  if (mux_status == "deleted") return "deleted";
  return std::nullopt;
}

}  // namespace rindle
