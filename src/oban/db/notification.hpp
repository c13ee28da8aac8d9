#pragma once
// Oban's notifications on "<prefix>.oban_<channel>": payloads exactly as Oban 2.21+ encodes
// them (JSON of 512 bytes or less as is; longer JSON as "Z:" + base64(gzip(json)); decoding
// also accepts the pre-2.21 form, base64 gzip starting "H4sI" with no prefix), and sending.
#include <string>
#include <string_view>
#include <vector>

#include <pqxx/pqxx>

#include "oban/db/connection.hpp"

namespace oban::db {

constexpr std::size_t kPlainPayloadLimit = 512;

std::string encode_payload(std::string_view json);

// The JSON text inside a payload. Throws std::invalid_argument for bad base64 or gzip.
std::string decode_payload(std::string_view payload);

// The payloads encoded as Oban encodes them, as one JSON array of strings: what notify()
// hands to pg_notify, one call per element.
std::string encoded_payloads(const std::vector<std::string>& json_payloads);

// Sends each payload (JSON, encoded as Oban encodes it) on "<prefix>.oban_<channel>", the
// way Oban does: one pg_notify per payload in a single statement. Inside a transaction,
// delivery waits for the commit.
void notify(pqxx::transaction_base& tx, const std::string& prefix, const std::string& channel,
            const std::vector<std::string>& json_payloads);

// The same in a transaction of its own on a connection of `pool`, committed at once: for
// notifications that go with no other write (Sonar pings, gossip, queue signals).
void notify(ConnectionPool& pool, const std::string& prefix, const std::string& channel,
            const std::vector<std::string>& json_payloads);

}  // namespace oban::db
