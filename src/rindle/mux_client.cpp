#include "rindle/mux_client.hpp"

#include <openssl/evp.h>
#include <simdjson.h>

#include <stdexcept>

#include "http_get.hpp"
#include "http_url.hpp"
#include "rindle_telemetry.hpp"
#include "rindle/retry_after.hpp"

namespace rindle {

namespace {

using Kind = MuxAssetResponse::Kind;

// Longest slice of an error body quoted in `error`; last_sync_error caps at 4096.
constexpr std::size_t kBodySnippetLimit = 200;
constexpr std::string_view kRedacted = "[redacted]";

std::string base64(std::string_view bytes) {
  std::string encoded(4 * ((bytes.size() + 2) / 3), '\0');
  const int written = EVP_EncodeBlock(reinterpret_cast<unsigned char*>(encoded.data()),
                                      reinterpret_cast<const unsigned char*>(bytes.data()),
                                      static_cast<int>(bytes.size()));
  encoded.resize(static_cast<std::size_t>(written));
  return encoded;
}

std::string basic_credentials(const MuxClientConfig& config) {
  return base64(config.token_id + ":" + config.token_secret);
}

// As Rindle's redact_id/1: enough to correlate log lines, not enough to call Mux.
std::string redact_id(std::string_view id) {
  if (id.size() <= 4) return "...redacted";
  return "..." + std::string(id.substr(id.size() - 4));
}

MuxAssetResponse failure(Kind kind, int http_status, std::string error) {
  MuxAssetResponse response;
  response.kind = kind;
  response.http_status = http_status;
  response.error = std::move(error);
  return response;
}

// Printable ASCII only, cut short: error bodies may be HTML pages from a proxy.
std::string snippet(std::string_view body) {
  std::string text;
  for (const char c : body.substr(0, kBodySnippetLimit)) text += (c >= 0x20 && c < 0x7F) ? c : ' ';
  if (body.size() > kBodySnippetLimit) text += "...";
  return text;
}

// Mux error bodies look like {"error":{"type":"not_found","messages":["..."]}}.
std::string describe_error_body(const std::string& body) {
  if (body.empty()) return "";
  simdjson::dom::parser parser;
  simdjson::dom::object error;
  if (parser.parse(body)["error"].get_object().get(error)) return ": " + snippet(body);
  std::string text;
  std::string_view type;
  if (!error["type"].get_string().get(type)) text += std::string(type);
  simdjson::dom::array messages;
  if (!error["messages"].get_array().get(messages)) {
    for (const auto message : messages) {
      std::string_view line;
      if (message.get_string().get(line)) continue;
      text += text.empty() ? "" : " - ";
      text += std::string(line);
    }
  }
  return text.empty() ? ": " + snippet(body) : ": " + snippet(text);
}

MuxAssetResponse unreadable(std::string_view why) {
  return failure(Kind::http_error, 200,
                 "mux returned HTTP 200 with an unreadable asset body: " + std::string(why));
}

MuxAssetResponse parse_asset(const std::string& body) {
  simdjson::dom::parser parser;
  simdjson::dom::element root;
  if (const auto error = parser.parse(body).get(root)) return unreadable(simdjson::error_message(error));
  simdjson::dom::object data;
  if (root["data"].get_object().get(data)) return unreadable("no \"data\" object");
  std::string_view status;
  if (data["status"].get_string().get(status)) return unreadable("no \"data.status\" string");

  MuxAssetResponse response;
  response.kind = Kind::ok;
  response.http_status = 200;
  response.status = std::string(status);
  simdjson::dom::element ids;
  const auto ids_error = data["playback_ids"].get(ids);
  if (ids_error == simdjson::NO_SUCH_FIELD || (!ids_error && ids.is_null())) return response;
  simdjson::dom::array list;
  if (ids_error || ids.get_array().get(list)) return unreadable("\"data.playback_ids\" is not an array");
  for (const auto entry : list) {
    std::string_view id;
    if (entry["id"].get_string().get(id)) return unreadable("a playback id has no \"id\" string");
    response.playback_ids.emplace_back(id);
  }
  return response;
}

MuxAssetResponse classify(const HttpGetResult& answer) {
  if (answer.transport_error) {
    return failure(Kind::transport_error, 0, "mux request failed: " + *answer.transport_error);
  }
  switch (answer.status) {
    case 200:
      return parse_asset(answer.body);
    case 404:
      return failure(Kind::not_found, 404, "mux asset not found");
    case 429: {
      auto response = failure(Kind::rate_limited, 429, "mux rate limit exceeded (HTTP 429)");
      response.retry_after = parse_retry_after(answer.retry_after, std::chrono::system_clock::now());
      if (response.retry_after) {
        response.error += ", retry after " + std::to_string(response.retry_after->count()) + " s";
      }
      return response;
    }
    default:
      return failure(Kind::http_error, answer.status,
                     "mux returned HTTP " + std::to_string(answer.status) + describe_error_body(answer.body));
  }
}

}  // namespace

MuxClient::MuxClient(MuxClientConfig config) : config_(std::move(config)) {}

MuxAssetResponse MuxClient::get_asset(const std::string& asset_id, std::stop_token stop) const {
  auto response = fetch_asset(asset_id, std::move(stop));
  // The last line of defence: whatever a server or library echoed, no credential leaves.
  response.error = redact_credentials(std::move(response.error));
  report("rindle:mux:get_asset", oban::telemetry::Level::debug,
       {{"asset_id", redact_id(asset_id)}, {"outcome", std::string{to_string(response.kind)}},
        {"http_status", response.http_status}});
  return response;
}

MuxAssetResponse MuxClient::fetch_asset(const std::string& asset_id, std::stop_token stop) const {
  // Refused before any I/O: an empty id would turn the call into "list all assets".
  if (asset_id.empty()) return failure(Kind::transport_error, 0, "mux request not sent: empty asset id");
  if (config_.token_id.empty() || config_.token_secret.empty()) {
    return failure(Kind::transport_error, 0,
                   "mux request not sent: RINDLE_MUX_TOKEN_ID / RINDLE_MUX_TOKEN_SECRET are not set");
  }
  HttpGetRequest request;
  try {
    request.url = parse_http_url(config_.base_url);
  } catch (const std::invalid_argument& bad_url) {
    return failure(Kind::transport_error, 0, std::string("mux request not sent: ") + bad_url.what());
  }
  request.target = request.url.path_prefix + "/video/v1/assets/" + percent_encode_path_segment(asset_id);
  request.authorization = "Basic " + basic_credentials(config_);
  request.connect_timeout = config_.connect_timeout;
  request.read_timeout = config_.read_timeout;
  request.stop = std::move(stop);
  return classify(http_get(request));
}

std::string MuxClient::redact_credentials(std::string text) const {
  const bool has_credentials = !config_.token_id.empty() || !config_.token_secret.empty();
  const std::string secrets[] = {has_credentials ? basic_credentials(config_) : "", config_.token_secret,
                                 config_.token_id};
  for (const auto& secret : secrets) {
    if (secret.empty()) continue;
    for (auto at = text.find(secret); at != std::string::npos; at = text.find(secret, at + kRedacted.size())) {
      text.replace(at, secret.size(), kRedacted);
    }
  }
  return text;
}

}  // namespace rindle
