#include "cdr/record_json.hpp"

#include <cstdio>
#include <ctime>

namespace tapi::cdr {

std::string jsonEscape(std::string_view s) {
  std::string out;
  out.reserve(s.size() + 8);
  for (unsigned char ch : s) {
    switch (ch) {
      case '"': out += "\\\""; break;
      case '\\': out += "\\\\"; break;
      case '\n': out += "\\n"; break;
      case '\r': out += "\\r"; break;
      case '\t': out += "\\t"; break;
      default:
        if (ch < 0x20 || ch >= 0x7F) {
          // Non-ASCII bytes are escaped one by one: user-user info is binary, not UTF-8.
          char buf[8];
          std::snprintf(buf, sizeof buf, "\\u%04x", ch);
          out += buf;
        } else {
          out += static_cast<char>(ch);
        }
    }
  }
  return out;
}

std::string formatTime(WallTime t) {
  const auto ns = t.time_since_epoch().count();
  std::time_t secs = static_cast<std::time_t>(ns / 1'000'000'000);
  long millis = static_cast<long>((ns % 1'000'000'000) / 1'000'000);
  if (millis < 0) {
    millis += 1000;
    --secs;
  }
  std::tm tm{};
  gmtime_r(&secs, &tm);
  char buf[40];
  std::snprintf(buf, sizeof buf, "%04d-%02d-%02dT%02d:%02d:%02d.%03ldZ", tm.tm_year + 1900,
                tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, millis);
  return buf;
}

namespace {

void str(std::string& o, const char* key, std::string_view v) {
  o += '"';
  o += key;
  o += "\":\"";
  o += jsonEscape(v);
  o += "\",";
}

void num(std::string& o, const char* key, long long v) {
  o += '"';
  o += key;
  o += "\":";
  o += std::to_string(v);
  o += ',';
}

void time(std::string& o, const char* key, const std::optional<WallTime>& t) {
  o += '"';
  o += key;
  o += "\":";
  o += t ? "\"" + formatTime(*t) + "\"" : std::string("null");
  o += ',';
}

void party(std::string& o, const char* key, const Party& p) {
  o += '"';
  o += key;
  o += "\":{\"number\":\"" + jsonEscape(p.number) + "\",\"name\":\"" + jsonEscape(p.name) + "\"},";
}

}  // namespace

std::string toJson(const CallRecord& r) {
  std::string o = "{";
  num(o, "call_id", r.callId);
  num(o, "line", r.lineDeviceId);
  num(o, "address", r.addressId);
  str(o, "direction", r.origin == callorigin::Outbound ? "outbound" : "inbound");
  str(o, "app", r.appName);
  party(o, "caller", r.caller);
  party(o, "called", r.called);
  party(o, "connected", r.connected);
  o += "\"states\":[";
  for (std::size_t i = 0; i < r.states.size(); ++i) {
    const auto& v = r.states[i];
    o += i == 0 ? "" : ",";
    o += "{\"state\":\"";
    o += toString(v.state);
    o += "\"";
    if (v.state == CallState::Disconnected) {
      o += ",\"mode\":\"" + disconnectModeName(v.mode) + "\"";
    }
    o += ",\"at\":\"" + formatTime(v.at) + "\"}";
  }
  o += "],";
  time(o, "created", r.created);
  time(o, "offering_or_dialing", r.offeringOrDialing);
  time(o, "connected_at", r.connectedAt);
  time(o, "disconnected_at", r.disconnectedAt);
  time(o, "idle_at", r.idleAt);
  time(o, "released_at", r.releasedAt);
  str(o, "disconnect_mode", disconnectModeName(r.disconnectMode));
  o += "\"termination\":{\"origin\":\"";
  o += toString(r.termination.origin);
  o += "\",\"policy\":\"";
  o += toString(r.termination.policy);
  o += "\",\"app\":\"" + jsonEscape(r.termination.app) + "\",\"detail\":\"" +
       jsonEscape(r.termination.detail) + "\"},";
  o += "\"provider\":{\"code\":" + std::to_string(r.cause.code) +
       ",\"q850\":" + std::to_string(r.cause.q850) + ",\"text\":\"" + jsonEscape(r.cause.text) +
       "\",\"ref\":\"" + jsonEscape(r.cause.callRef) + "\"},";
  str(o, "uui_sent", r.uuiSent);
  str(o, "uui_received", r.uuiReceived);
  num(o, "app_specific", r.appSpecific);
  num(o, "owners", r.numOwners);
  num(o, "monitors", r.numMonitors);
  o.back() = '}';
  return o;
}

}  // namespace tapi::cdr
