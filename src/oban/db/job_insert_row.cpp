#include "oban/db/job_insert_row.hpp"

#include "oban/json/json_writer.hpp"

namespace oban::db {
namespace {

char mode_letter(MapMatch mode) {
  switch (mode) {
    case MapMatch::none: return '-';
    case MapMatch::equal: return '=';
    case MapMatch::contain: return '>';
    case MapMatch::empty: return '0';
  }
  return '-';
}

}  // namespace

std::string UniqueCheck::shape() const {
  std::string out;
  out += by_queue ? 'q' : '-';
  out += by_worker ? 'w' : '-';
  out += mode_letter(args);
  out += mode_letter(meta);
  out += timestamp == UniqueTimestamp::scheduled_at ? 's' : 'i';
  out += cutoff ? 'p' : '-';
  out += json::quote(args_probe);
  out += json::quote(meta_probe);
  for (auto state : states) {
    out += ',';
    out += to_string(state);
  }
  return out;
}

}  // namespace oban::db
