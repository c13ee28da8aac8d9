#pragma once
// Notifier payloads exactly as Oban 2.21+ encodes them: JSON of 512 bytes or less is sent
// as is; longer JSON as "Z:" + base64(gzip(json)). Decoding also accepts the pre-2.21
// form (base64 gzip starting "H4sI", no prefix).
#include <string>
#include <string_view>

namespace oban::notify {

constexpr std::size_t kPlainPayloadLimit = 512;

std::string encode_payload(std::string_view json);

// The JSON text inside a payload. Throws std::invalid_argument for bad base64 or gzip.
std::string decode_payload(std::string_view payload);

}  // namespace oban::notify
