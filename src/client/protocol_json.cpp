#include "client/protocol_json.hpp"

#include <array>
#include <cmath>
#include <cstdio>
#include <ctime>

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>

namespace tapi::detail::proto {

namespace json = boost::json;

std::string encodeRequest(std::uint64_t id, std::string_view method, const json::object& params) {
  json::object o;
  o["id"] = id;
  o["method"] = method;
  if (!params.empty()) {
    o["params"] = params;
  }
  return json::serialize(o);
}

Frame decodeFrame(std::string_view text) {
  Frame f;
  boost::system::error_code ec;
  json::value v = json::parse(text, ec);
  if (ec || !v.is_object()) {
    return f;
  }
  auto& o = v.as_object();
  if (o.contains("event")) {
    f.kind = Frame::Kind::Event;
    f.body = std::move(v);
    return f;
  }
  const json::value* id = o.if_contains("id");
  if (id == nullptr) {
    return f;
  }
  if (auto n = getInt(o, "id"); n && *n >= 0) {
    f.id = static_cast<std::uint64_t>(*n);
  } else if (!id->is_null()) {
    return f;
  }
  if (const json::value* err = o.if_contains("error")) {
    f.kind = Frame::Kind::Response;
    f.isError = true;
    f.body = *err;
  } else if (const json::value* res = o.if_contains("result")) {
    f.kind = Frame::Kind::Response;
    f.body = *res;
  }
  return f;
}

std::optional<std::int64_t> getInt(const json::object& o, std::string_view key) {
  const json::value* v = o.if_contains(key);
  if (v == nullptr) {
    return std::nullopt;
  }
  if (v->is_int64()) {
    return v->get_int64();
  }
  if (v->is_uint64()) {
    const auto u = v->get_uint64();
    return u <= static_cast<std::uint64_t>(INT64_MAX)
               ? std::optional<std::int64_t>(static_cast<std::int64_t>(u))
               : std::nullopt;
  }
  if (v->is_double()) {
    const double d = v->get_double();
    if (std::isfinite(d) && std::trunc(d) == d && std::fabs(d) < 9.0e15) {
      return static_cast<std::int64_t>(d);
    }
  }
  return std::nullopt;
}

std::string getString(const json::object& o, std::string_view key) {
  const json::value* v = o.if_contains(key);
  return v != nullptr && v->is_string() ? std::string(v->get_string()) : std::string();
}

namespace {

std::uint32_t u32(const json::object& o, std::string_view key, std::uint32_t dflt = 0) {
  auto v = getInt(o, key);
  return v ? static_cast<std::uint32_t>(*v) : dflt;
}

const json::object* objectOf(const json::value& v) {
  return v.is_object() ? &v.as_object() : nullptr;
}

const json::object* member(const json::object& o, std::string_view key) {
  const json::value* v = o.if_contains(key);
  return v != nullptr ? objectOf(*v) : nullptr;
}

std::optional<WallTime> timeMember(const json::object& o, std::string_view key) {
  const json::value* v = o.if_contains(key);
  if (v == nullptr || !v->is_string()) {
    return std::nullopt;
  }
  return parseTime(v->get_string());
}

Party partyMember(const json::object& o, std::string_view key) {
  Party p;
  if (const json::object* po = member(o, key)) {
    p.number = getString(*po, "number");
    p.name = getString(*po, "name");
  }
  return p;
}

constexpr std::array kStates = {CallState::Idle,           CallState::Offering,
                                CallState::Accepted,       CallState::DialTone,
                                CallState::Dialing,        CallState::Ringback,
                                CallState::Busy,           CallState::SpecialInfo,
                                CallState::Connected,      CallState::Proceeding,
                                CallState::OnHold,         CallState::Conferenced,
                                CallState::OnHoldPendConf, CallState::OnHoldPendTransfer,
                                CallState::Disconnected,   CallState::Unknown};

}  // namespace

LineErr lineErrFromJson(const json::value& error) {
  const json::object* o = objectOf(error);
  if (o == nullptr) {
    return LineErr::OperationFailed;
  }
  const std::string code = getString(*o, "code");
  if (code.starts_with("LINEERR_")) {
    if (auto v = getInt(*o, "value")) {
      return static_cast<LineErr>(static_cast<std::uint32_t>(static_cast<std::int32_t>(*v)));
    }
    return LineErr::OperationFailed;
  }
  if (code == "NOTINITIALIZED") {
    return LineErr::Uninitialized;
  }
  if (code == "UNKNOWNMETHOD") {
    return LineErr::OperationUnavail;
  }
  if (code == "BADREQUEST") {
    return LineErr::InvalParam;
  }
  if (code == "TOOMANYREQUESTS") {
    return LineErr::ResourceUnavail;
  }
  return LineErr::OperationFailed;
}

std::optional<Message> messageFromEvent(const json::value& event) {
  const json::object* o = objectOf(event);
  if (o == nullptr) {
    return std::nullopt;
  }
  const std::string name = getString(*o, "event");
  Message m;
  if (name == "LINE_CALLSTATE") {
    m.type = MessageType::CallState;
  } else if (name == "LINE_REPLY") {
    m.type = MessageType::Reply;
  } else if (name == "LINE_APPNEWCALL") {
    m.type = MessageType::AppNewCall;
  } else if (name == "LINE_CALLINFO") {
    m.type = MessageType::CallInfo;
  } else if (name == "LINE_CLOSE") {
    m.type = MessageType::Close;
  } else {
    return std::nullopt;
  }
  m.hDevice = u32(*o, "hDevice");
  m.param1 = u32(*o, "param1");
  m.param2 = u32(*o, "param2");
  m.param3 = u32(*o, "param3");
  return m;
}

std::optional<WallTime> parseTime(std::string_view t) {
  // YYYY-MM-DDTHH:MM:SS[.fff...]Z
  if (t.size() < 20 || t[4] != '-' || t[7] != '-' || (t[10] != 'T' && t[10] != 't') ||
      t[13] != ':' || t[16] != ':') {
    return std::nullopt;
  }
  auto digits = [&](std::size_t pos, std::size_t n) -> std::optional<int> {
    int v = 0;
    for (std::size_t i = pos; i < pos + n; ++i) {
      if (t[i] < '0' || t[i] > '9') {
        return std::nullopt;
      }
      v = v * 10 + (t[i] - '0');
    }
    return v;
  };
  auto year = digits(0, 4);
  auto mon = digits(5, 2);
  auto day = digits(8, 2);
  auto hour = digits(11, 2);
  auto min = digits(14, 2);
  auto sec = digits(17, 2);
  if (!year || !mon || !day || !hour || !min || !sec || *mon < 1 || *mon > 12 || *day < 1 ||
      *day > 31 || *hour > 23 || *min > 59 || *sec > 60) {
    return std::nullopt;
  }
  std::size_t pos = 19;
  std::int64_t nanos = 0;
  if (pos < t.size() && t[pos] == '.') {
    ++pos;
    std::int64_t scale = 100'000'000;
    const std::size_t start = pos;
    while (pos < t.size() && t[pos] >= '0' && t[pos] <= '9') {
      nanos += (t[pos] - '0') * scale;
      scale /= 10;
      ++pos;
    }
    if (pos == start) {
      return std::nullopt;
    }
  }
  if (pos + 1 != t.size() || (t[pos] != 'Z' && t[pos] != 'z')) {
    return std::nullopt;
  }
  std::tm tm{};
  tm.tm_year = *year - 1900;
  tm.tm_mon = *mon - 1;
  tm.tm_mday = *day;
  tm.tm_hour = *hour;
  tm.tm_min = *min;
  tm.tm_sec = *sec;
  const std::time_t secs = timegm(&tm);
  return WallTime(std::chrono::seconds(secs) + std::chrono::nanoseconds(nanos));
}

std::optional<CallState> callStateFromName(std::string_view name) {
  for (CallState s : kStates) {
    if (name == toString(s)) {
      return s;
    }
  }
  return std::nullopt;
}

std::optional<std::uint32_t> disconnectModeFromName(std::string_view name) {
  if (name.empty()) {
    return 0u;
  }
  for (std::uint32_t bit = 1; bit != 0; bit <<= 1) {
    if (disconnectModeName(bit) == name) {
      return bit;
    }
  }
  if (name.starts_with("0x") || name.starts_with("0X")) {
    unsigned long v = 0;
    if (std::sscanf(std::string(name).c_str() + 2, "%lx", &v) == 1) {
      return static_cast<std::uint32_t>(v);
    }
  }
  return std::nullopt;
}

std::optional<Privilege> privilegeFromName(std::string_view name) {
  for (Privilege p : {Privilege::None, Privilege::Monitor, Privilege::Owner}) {
    if (name == toString(p)) {
      return p;
    }
  }
  return std::nullopt;
}

std::optional<TerminationOrigin> terminationOriginFromName(std::string_view name) {
  for (TerminationOrigin o :
       {TerminationOrigin::None, TerminationOrigin::Local, TerminationOrigin::Remote,
        TerminationOrigin::Policy, TerminationOrigin::LineClose, TerminationOrigin::AppShutdown,
        TerminationOrigin::ProviderFailure, TerminationOrigin::ServerShutdown}) {
    if (name == toString(o)) {
      return o;
    }
  }
  return std::nullopt;
}

std::optional<Policy> policyFromName(std::string_view name) {
  for (Policy p : {Policy::None, Policy::NoAnswer, Policy::MaxDuration, Policy::SessionTimer,
                   Policy::Ownerless, Policy::IdleReclaim}) {
    if (name == toString(p)) {
      return p;
    }
  }
  return std::nullopt;
}

json::array privilegeNames(std::uint32_t bits) {
  json::array a;
  if ((bits & static_cast<std::uint32_t>(Privilege::Owner)) != 0) {
    a.emplace_back("OWNER");
  }
  if ((bits & static_cast<std::uint32_t>(Privilege::Monitor)) != 0) {
    a.emplace_back("MONITOR");
  }
  if ((bits & static_cast<std::uint32_t>(Privilege::None)) != 0) {
    a.emplace_back("NONE");
  }
  return a;
}

Result<CallStatus> callStatusFromJson(const json::value& result) {
  const json::object* o = objectOf(result);
  if (o == nullptr) {
    return LineErr::OperationFailed;
  }
  CallStatus s;
  if (auto st = getInt(*o, "state")) {
    s.state = static_cast<CallState>(static_cast<std::uint32_t>(*st));
  } else if (auto named = callStateFromName(getString(*o, "stateName"))) {
    s.state = *named;
  } else {
    return LineErr::OperationFailed;
  }
  s.mode = u32(*o, "mode");
  if (auto p = getInt(*o, "privilege")) {
    s.privilege = static_cast<Privilege>(static_cast<std::uint32_t>(*p));
  } else if (auto named = privilegeFromName(getString(*o, "privilegeName"))) {
    s.privilege = *named;
  }
  s.features = u32(*o, "features");
  if (auto t = timeMember(*o, "stateEntryTime")) {
    s.stateEntryTime = *t;
  }
  return s;
}

Result<CallRecord> callRecordFromJson(const json::value& record) {
  const json::object* o = objectOf(record);
  if (o == nullptr || !getInt(*o, "call_id")) {
    return LineErr::OperationFailed;
  }
  CallRecord r;
  r.callId = u32(*o, "call_id");
  r.lineDeviceId = u32(*o, "line");
  r.addressId = u32(*o, "address");
  r.origin = getString(*o, "direction") == "outbound" ? callorigin::Outbound : callorigin::Inbound;
  r.appName = getString(*o, "app");
  r.caller = partyMember(*o, "caller");
  r.called = partyMember(*o, "called");
  r.connected = partyMember(*o, "connected");
  if (const json::value* states = o->if_contains("states"); states && states->is_array()) {
    for (const json::value& sv : states->get_array()) {
      const json::object* so = objectOf(sv);
      if (so == nullptr) {
        continue;
      }
      StateVisit visit;
      visit.state = callStateFromName(getString(*so, "state")).value_or(CallState::Unknown);
      visit.mode = disconnectModeFromName(getString(*so, "mode")).value_or(0);
      visit.at = timeMember(*so, "at").value_or(WallTime{});
      r.states.push_back(visit);
    }
  }
  r.created = timeMember(*o, "created").value_or(WallTime{});
  r.offeringOrDialing = timeMember(*o, "offering_or_dialing");
  r.connectedAt = timeMember(*o, "connected_at");
  r.disconnectedAt = timeMember(*o, "disconnected_at");
  r.idleAt = timeMember(*o, "idle_at");
  r.releasedAt = timeMember(*o, "released_at");
  r.disconnectMode = disconnectModeFromName(getString(*o, "disconnect_mode")).value_or(0);
  if (const json::object* t = member(*o, "termination")) {
    r.termination.origin =
        terminationOriginFromName(getString(*t, "origin")).value_or(TerminationOrigin::None);
    r.termination.policy = policyFromName(getString(*t, "policy")).value_or(Policy::None);
    r.termination.app = getString(*t, "app");
    r.termination.detail = getString(*t, "detail");
  }
  if (const json::object* p = member(*o, "provider")) {
    r.cause.code = static_cast<int>(getInt(*p, "code").value_or(0));
    r.cause.q850 = static_cast<int>(getInt(*p, "q850").value_or(0));
    r.cause.text = getString(*p, "text");
    r.cause.callRef = getString(*p, "ref");
  }
  r.uuiSent = getString(*o, "uui_sent");
  r.uuiReceived = getString(*o, "uui_received");
  r.appSpecific = u32(*o, "app_specific");
  r.numOwners = u32(*o, "owners");
  r.numMonitors = u32(*o, "monitors");
  return r;
}

Result<std::vector<LineDevice>> linesFromJson(const json::value& result) {
  const json::object* o = objectOf(result);
  const json::value* lines = o != nullptr ? o->if_contains("lines") : nullptr;
  if (lines == nullptr || !lines->is_array()) {
    return LineErr::OperationFailed;
  }
  std::vector<LineDevice> out;
  for (const json::value& lv : lines->get_array()) {
    if (const json::object* l = objectOf(lv)) {
      out.push_back(LineDevice{u32(*l, "deviceId"), getString(*l, "name"), getString(*l, "address"),
                               u32(*l, "devCapFlags"), u32(*l, "maxUserUserInfo")});
    }
  }
  return out;
}

std::vector<std::pair<std::string, std::int64_t>> countersFromJson(const json::value& result) {
  std::vector<std::pair<std::string, std::int64_t>> out;
  if (const json::object* o = objectOf(result)) {
    for (const auto& kv : *o) {
      if (auto v = getInt(*o, kv.key())) {
        out.emplace_back(std::string(kv.key()), *v);
      }
    }
  }
  return out;
}

EngineStats engineStatsFromCounters(
    const std::vector<std::pair<std::string, std::int64_t>>& counters) {
  EngineStats s;
  for (const auto& [name, value] : counters) {
    const auto v = static_cast<std::size_t>(value < 0 ? 0 : value);
    if (name == "apps") {
      s.apps = v;
    } else if (name == "openLines") {
      s.openLines = v;
    } else if (name == "handles") {
      s.handles = v;
    } else if (name == "calls") {
      s.calls = v;
    } else if (name == "providerCalls") {
      s.providerCalls = v;
    } else if (name == "pendingRequests") {
      s.pendingRequests = v;
    } else if (name == "providerPendingRequests") {
      s.providerPendingRequests = v;
    } else if (name == "queuedEvents") {
      s.queuedEvents = v;
    } else if (name == "timers") {
      s.timers = v;
    } else if (name == "reclaimedHandles") {
      s.reclaimedHandles = v;
    } else if (name == "refusedTransitions") {
      s.refusedTransitions = v;
    }
  }
  return s;
}

}  // namespace tapi::detail::proto
