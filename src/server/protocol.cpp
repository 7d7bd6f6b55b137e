#include "server/protocol.hpp"

#include <boost/json.hpp>

#include <limits>
#include <optional>
#include <utility>
#include <variant>

#include "cdr/record_json.hpp"
#include "providers/sim/sim_provider.hpp"
#include "providers/sim/sim_script.hpp"

namespace tapi::server {

namespace json = boost::json;

const char* toString(CloseReason r) noexcept {
  switch (r) {
    case CloseReason::Normal: return "normal";
    case CloseReason::TooLarge: return "too-large";
    case CloseReason::SlowReader: return "slow-reader";
    case CloseReason::ServerShutdown: return "server-shutdown";
  }
  return "?";
}

const char* toString(ProtoError e) noexcept {
  switch (e) {
    case ProtoError::BadJson: return "BADJSON";
    case ProtoError::BadRequest: return "BADREQUEST";
    case ProtoError::UnknownMethod: return "UNKNOWNMETHOD";
    case ProtoError::TooLarge: return "TOOLARGE";
    case ProtoError::TooManyRequests: return "TOOMANYREQUESTS";
    case ProtoError::NotInitialized: return "NOTINITIALIZED";
  }
  return "?";
}

// ---------------------------------------------------------------------------------------
// Hub

ProtocolHub::ProtocolHub(base::EventLoop& loop, engine::Engine& engine,
                         providers::sim::SimProvider* sim, Limits limits, std::size_t keepRecords)
    : loop_(loop), engine_(engine), sim_(sim), limits_(limits), keepRecords_(keepRecords) {}

void ProtocolHub::recordReleased(const CallRecord& r) {
  if (keepRecords_ == 0) {
    return;
  }
  auto [it, inserted] = released_.insert_or_assign(r.callId, cdr::toJson(r));
  if (inserted) {
    releasedOrder_.push_back(r.callId);
  }
  while (releasedOrder_.size() > keepRecords_) {
    released_.erase(releasedOrder_.front());
    releasedOrder_.pop_front();
  }
}

std::uint64_t ProtocolHub::attach(ProtocolSession* s) {
  const std::uint64_t id = ++nextSession_;
  sessions_.emplace(id, s);
  ++counters_.connectionsTotal;
  return id;
}

void ProtocolHub::detach(std::uint64_t id) { sessions_.erase(id); }

ProtocolSession* ProtocolHub::find(std::uint64_t id) const {
  auto it = sessions_.find(id);
  return it != sessions_.end() ? it->second : nullptr;
}

// ---------------------------------------------------------------------------------------
// JSON helpers

namespace {

/** A failed request: a protocol error or a TAPI error. */
struct Failure {
  std::variant<ProtoError, LineErr> code;
  std::string message;
};
using Reply = std::variant<json::value, Failure>;

Failure badParam(std::string_view name, std::string_view what) {
  return Failure{ProtoError::BadRequest,
                 "params." + std::string(name) + ": " + std::string(what)};
}

Failure lineError(const std::error_code& ec) {
  return Failure{toLineErr(ec), ec.message()};
}

/** Reads an optional unsigned integer parameter that must fit in `max`. */
std::variant<std::optional<std::uint64_t>, Failure> optUint(const json::object& p,
                                                            std::string_view name,
                                                            std::uint64_t max) {
  const json::value* v = p.if_contains(name);
  if (v == nullptr || v->is_null()) {
    return std::optional<std::uint64_t>{};
  }
  if (v->is_uint64() && v->get_uint64() <= max) {
    return std::optional<std::uint64_t>{v->get_uint64()};
  }
  if (v->is_int64() && v->get_int64() >= 0 && static_cast<std::uint64_t>(v->get_int64()) <= max) {
    return std::optional<std::uint64_t>{static_cast<std::uint64_t>(v->get_int64())};
  }
  return badParam(name, "expected an integer from 0 to " + std::to_string(max));
}

constexpr std::uint64_t kU32 = std::numeric_limits<std::uint32_t>::max();

std::variant<std::optional<std::string>, Failure> optString(const json::object& p,
                                                            std::string_view name) {
  const json::value* v = p.if_contains(name);
  if (v == nullptr || v->is_null()) {
    return std::optional<std::string>{};
  }
  if (!v->is_string()) {
    return badParam(name, "expected a string");
  }
  return std::optional<std::string>{std::string(v->get_string())};
}

/**
 * Parameter reading with early return: the handlers read parameters with these macros
 * so that each missing or malformed one becomes one BADREQUEST with its name.
 */
#define TAPID_OPT_UINT(var, params, name, max)                   \
  std::optional<std::uint64_t> var;                              \
  {                                                              \
    auto r_ = optUint(params, name, max);                        \
    if (auto* f_ = std::get_if<Failure>(&r_)) {                  \
      return std::move(*f_);                                     \
    }                                                            \
    var = std::get<0>(r_);                                       \
  }
#define TAPID_UINT(var, params, name, max)                       \
  std::uint64_t var = 0;                                         \
  {                                                              \
    auto r_ = optUint(params, name, max);                        \
    if (auto* f_ = std::get_if<Failure>(&r_)) {                  \
      return std::move(*f_);                                     \
    }                                                            \
    if (!std::get<0>(r_)) {                                      \
      return badParam(name, "required");                         \
    }                                                            \
    var = *std::get<0>(r_);                                      \
  }
#define TAPID_OPT_STRING(var, params, name)                      \
  std::string var;                                               \
  {                                                              \
    auto r_ = optString(params, name);                           \
    if (auto* f_ = std::get_if<Failure>(&r_)) {                  \
      return std::move(*f_);                                     \
    }                                                            \
    if (std::get<0>(r_)) {                                       \
      var = std::move(*std::get<0>(r_));                         \
    }                                                            \
  }

/** LINEDISCONNECTMODE_ bit from a number or a name ("BUSY"). */
std::optional<std::uint32_t> parseMode(const json::value& v) {
  if (v.is_uint64() && v.get_uint64() <= kU32) {
    return static_cast<std::uint32_t>(v.get_uint64());
  }
  if (v.is_int64() && v.get_int64() >= 0 && v.get_int64() <= static_cast<std::int64_t>(kU32)) {
    return static_cast<std::uint32_t>(v.get_int64());
  }
  if (v.is_string()) {
    std::string_view name = v.get_string();
    if (name.starts_with("LINEDISCONNECTMODE_")) {
      name.remove_prefix(19);
    }
    for (int bit = 0; bit < 32; ++bit) {
      const std::uint32_t mode = 1u << bit;
      if (disconnectModeName(mode) == name) {
        return mode;
      }
    }
  }
  return std::nullopt;
}

std::optional<Privilege> privilegeByName(std::string_view name) {
  if (name.starts_with("LINECALLPRIVILEGE_")) {
    name.remove_prefix(18);
  }
  for (Privilege p : {Privilege::None, Privilege::Monitor, Privilege::Owner}) {
    if (name == toString(p)) {
      return p;
    }
  }
  return std::nullopt;
}

/** Privilege bits from a number, a name, or an array of names/numbers. */
std::optional<std::uint32_t> parsePrivileges(const json::value& v) {
  if (v.is_uint64() && v.get_uint64() <= kU32) {
    return static_cast<std::uint32_t>(v.get_uint64());
  }
  if (v.is_int64() && v.get_int64() >= 0 && v.get_int64() <= static_cast<std::int64_t>(kU32)) {
    return static_cast<std::uint32_t>(v.get_int64());
  }
  if (v.is_string()) {
    auto p = privilegeByName(v.get_string());
    return p ? std::optional<std::uint32_t>(static_cast<std::uint32_t>(*p)) : std::nullopt;
  }
  if (v.is_array()) {
    std::uint32_t bits = 0;
    for (const json::value& e : v.get_array()) {
      if (e.is_array()) {
        return std::nullopt;
      }
      auto b = parsePrivileges(e);
      if (!b) {
        return std::nullopt;
      }
      bits |= *b;
    }
    return bits;
  }
  return std::nullopt;
}

json::value recordValue(const CallRecord& r) { return json::parse(cdr::toJson(r)); }

std::string eventJson(const Message& m) {
  json::object o;
  o["event"] = [&]() -> const char* {
    switch (m.type) {
      case MessageType::CallInfo: return "LINE_CALLINFO";
      case MessageType::CallState: return "LINE_CALLSTATE";
      case MessageType::Close: return "LINE_CLOSE";
      case MessageType::Reply: return "LINE_REPLY";
      case MessageType::AppNewCall: return "LINE_APPNEWCALL";
    }
    return "LINE_UNKNOWN";
  }();
  o["hDevice"] = m.hDevice;
  o["param1"] = m.param1;
  o["param2"] = m.param2;
  o["param3"] = m.param3;
  switch (m.type) {
    case MessageType::CallState:
      o["state"] = toString(static_cast<CallState>(m.param1));
      if (m.param1 == static_cast<std::uint32_t>(CallState::Disconnected)) {
        o["mode"] = disconnectModeName(m.param2);
      }
      if (m.param3 != 0) {
        o["privilege"] = toString(static_cast<Privilege>(m.param3));
      }
      break;
    case MessageType::Reply:
      o["requestId"] = m.param1;
      o["result"] = static_cast<std::int32_t>(m.param2);
      if (m.param2 != 0) {
        o["error"] = lineErrName(static_cast<LineErr>(m.param2));
      }
      break;
    case MessageType::AppNewCall:
      o["hCall"] = m.param2;
      o["privilege"] = toString(static_cast<Privilege>(m.param3));
      break;
    case MessageType::CallInfo:
    case MessageType::Close:
      break;
  }
  return json::serialize(o);
}

}  // namespace

// ---------------------------------------------------------------------------------------
// Methods

struct Methods {
  using Handler = Reply (*)(ProtocolSession&, const json::object&);
  struct Entry {
    Handler fn;
    bool needsApp;  // false: operator methods and lineInitialize
  };

  static const std::unordered_map<std::string_view, Entry>& table();

  static engine::Engine& eng(ProtocolSession& s) { return s.hub_.engine(); }
  static std::uint32_t app(ProtocolSession& s) { return s.hLineApp_; }

  static Reply initialize(ProtocolSession& s, const json::object& p) {
    if (s.hLineApp_ != 0) {
      return Failure{ProtoError::BadRequest, "this connection already has an application (hLineApp " +
                                                 std::to_string(s.hLineApp_) + ")"};
    }
    TAPID_OPT_STRING(name, p, "appName");
    TAPID_OPT_UINT(version, p, "apiVersion", kU32);
    engine::AppParams ap;
    ap.name = std::move(name);
    ap.apiVersion = version ? static_cast<std::uint32_t>(*version) : kApiVersion22;
    ProtocolHub* hub = &s.hub_;
    const std::uint64_t id = s.id_;
    // notify must not call the engine: post the drain, which finds the session again by
    // id (it may be gone by then).
    ap.notify = [hub, id] {
      hub->loop().post([hub, id] {
        if (ProtocolSession* live = hub->find(id)) {
          live->drainEvents();
        }
      });
    };
    const std::uint32_t apiVersion = ap.apiVersion;
    auto r = eng(s).initialize(std::move(ap));
    if (!r) {
      return lineError(r.error());
    }
    s.hLineApp_ = *r;
    json::object o;
    o["hLineApp"] = *r;
    o["apiVersion"] = apiVersion;
    return json::value(std::move(o));
  }

  static Reply shutdown(ProtocolSession& s, const json::object&) {
    auto r = eng(s).shutdown(app(s));
    s.hLineApp_ = 0;
    if (!r) {
      return lineError(r.error());
    }
    return json::value(json::object{});
  }

  static Reply getLines(ProtocolSession& s, const json::object&) {
    json::array lines;
    for (const spi::LineInfo& l : eng(s).lines()) {
      json::object o;
      o["deviceId"] = l.deviceId;
      o["name"] = l.name;
      o["address"] = l.address;
      o["devCapFlags"] = l.devCapFlags;
      o["maxUserUserInfo"] = l.maxUserUserInfo;
      lines.push_back(std::move(o));
    }
    json::object o;
    o["lines"] = std::move(lines);
    return json::value(std::move(o));
  }

  static Reply negotiate(ProtocolSession& s, const json::object& p) {
    TAPID_UINT(deviceId, p, "deviceId", kU32);
    TAPID_UINT(low, p, "low", kU32);
    TAPID_UINT(high, p, "high", kU32);
    auto r = eng(s).negotiateApiVersion(app(s), static_cast<std::uint32_t>(deviceId),
                                        static_cast<std::uint32_t>(low),
                                        static_cast<std::uint32_t>(high));
    if (!r) {
      return lineError(r.error());
    }
    json::object o;
    o["apiVersion"] = *r;
    return json::value(std::move(o));
  }

  static Reply open(ProtocolSession& s, const json::object& p) {
    TAPID_UINT(deviceId, p, "deviceId", kU32);
    TAPID_OPT_UINT(mediaModes, p, "mediaModes", kU32);
    TAPID_OPT_UINT(version, p, "apiVersion", kU32);
    TAPID_OPT_UINT(noAnswer, p, "noAnswerTimeoutMs", kU32);
    TAPID_OPT_UINT(maxDur, p, "maxDurationMs", kU32);
    const json::value* pv = p.if_contains("privileges");
    if (pv == nullptr) {
      return badParam("privileges", "required");
    }
    auto priv = parsePrivileges(*pv);
    if (!priv) {
      return badParam("privileges", "expected OWNER, MONITOR, NONE (names or numbers, or a list)");
    }
    engine::LineOpenParams lp;
    lp.deviceId = static_cast<std::uint32_t>(deviceId);
    lp.privileges = *priv;
    lp.mediaModes = mediaModes ? static_cast<std::uint32_t>(*mediaModes) : 0x4;
    lp.apiVersion = version ? static_cast<std::uint32_t>(*version) : 0;
    if (noAnswer) {
      lp.noAnswerTimeout = std::chrono::milliseconds(*noAnswer);
    }
    if (maxDur) {
      lp.maxDuration = std::chrono::milliseconds(*maxDur);
    }
    auto r = eng(s).open(app(s), lp);
    if (!r) {
      return lineError(r.error());
    }
    json::object o;
    o["hLine"] = *r;
    return json::value(std::move(o));
  }

  static Reply close(ProtocolSession& s, const json::object& p) {
    TAPID_UINT(hLine, p, "hLine", kU32);
    auto r = eng(s).close(app(s), static_cast<std::uint32_t>(hLine));
    if (!r) {
      return lineError(r.error());
    }
    return json::value(json::object{});
  }

  static Reply makeCall(ProtocolSession& s, const json::object& p) {
    TAPID_UINT(hLine, p, "hLine", kU32);
    TAPID_OPT_STRING(destination, p, "destination");
    TAPID_OPT_STRING(uui, p, "userUserInfo");
    TAPID_OPT_UINT(addressId, p, "addressId", kU32);
    TAPID_OPT_UINT(noAnswer, p, "noAnswerTimeoutMs", kU32);
    TAPID_OPT_UINT(maxDur, p, "maxDurationMs", kU32);
    if (!p.contains("destination")) {
      return badParam("destination", "required");
    }
    engine::CallParams cp;
    cp.userUserInfo = std::move(uui);
    cp.addressId = addressId ? static_cast<std::uint32_t>(*addressId) : 0;
    if (noAnswer) {
      cp.noAnswerTimeout = std::chrono::milliseconds(*noAnswer);
    }
    if (maxDur) {
      cp.maxDuration = std::chrono::milliseconds(*maxDur);
    }
    auto r = eng(s).makeCall(app(s), static_cast<std::uint32_t>(hLine), destination, cp);
    if (!r) {
      return lineError(r.error());
    }
    json::object o;
    o["requestId"] = r->requestId;
    o["hCall"] = r->hCall;
    return json::value(std::move(o));
  }

  static Reply requestReply(const Result<spi::RequestId>& r) {
    if (!r) {
      return lineError(r.error());
    }
    json::object o;
    o["requestId"] = *r;
    return json::value(std::move(o));
  }

  static Reply answer(ProtocolSession& s, const json::object& p) {
    TAPID_UINT(hCall, p, "hCall", kU32);
    TAPID_OPT_STRING(uui, p, "userUserInfo");
    return requestReply(eng(s).answer(app(s), static_cast<std::uint32_t>(hCall), uui));
  }

  static Reply accept(ProtocolSession& s, const json::object& p) {
    TAPID_UINT(hCall, p, "hCall", kU32);
    TAPID_OPT_STRING(uui, p, "userUserInfo");
    return requestReply(eng(s).accept(app(s), static_cast<std::uint32_t>(hCall), uui));
  }

  static Reply drop(ProtocolSession& s, const json::object& p) {
    TAPID_UINT(hCall, p, "hCall", kU32);
    TAPID_OPT_STRING(uui, p, "userUserInfo");
    std::uint32_t mode = 0;
    if (const json::value* mv = p.if_contains("mode"); mv != nullptr && !mv->is_null()) {
      auto m = parseMode(*mv);
      if (!m) {
        return badParam("mode", "expected a LINEDISCONNECTMODE_ name (NORMAL, BUSY...) or number");
      }
      mode = *m;
    }
    return requestReply(eng(s).drop(app(s), static_cast<std::uint32_t>(hCall), mode, uui));
  }

  static Reply deallocate(ProtocolSession& s, const json::object& p) {
    TAPID_UINT(hCall, p, "hCall", kU32);
    auto r = eng(s).deallocate(app(s), static_cast<std::uint32_t>(hCall));
    if (!r) {
      return lineError(r.error());
    }
    return json::value(json::object{});
  }

  static Reply callInfo(ProtocolSession& s, const json::object& p) {
    TAPID_UINT(hCall, p, "hCall", kU32);
    auto r = eng(s).callInfo(app(s), static_cast<std::uint32_t>(hCall));
    if (!r) {
      return lineError(r.error());
    }
    json::object o;
    o["hLine"] = r->hLine;
    o["callInfo"] = recordValue(r->record);
    return json::value(std::move(o));
  }

  static Reply callStatus(ProtocolSession& s, const json::object& p) {
    TAPID_UINT(hCall, p, "hCall", kU32);
    auto r = eng(s).callStatus(app(s), static_cast<std::uint32_t>(hCall));
    if (!r) {
      return lineError(r.error());
    }
    json::object o;
    o["state"] = static_cast<std::uint32_t>(r->state);
    o["stateName"] = toString(r->state);
    o["mode"] = r->mode;
    o["privilege"] = static_cast<std::uint32_t>(r->privilege);
    o["privilegeName"] = toString(r->privilege);
    o["features"] = r->features;
    o["stateEntryTime"] = cdr::formatTime(r->stateEntryTime);
    return json::value(std::move(o));
  }

  static Reply setAppSpecific(ProtocolSession& s, const json::object& p) {
    TAPID_UINT(hCall, p, "hCall", kU32);
    TAPID_UINT(value, p, "value", kU32);
    auto r = eng(s).setAppSpecific(app(s), static_cast<std::uint32_t>(hCall),
                                   static_cast<std::uint32_t>(value));
    if (!r) {
      return lineError(r.error());
    }
    return json::value(json::object{});
  }

  static Reply setCallPrivilege(ProtocolSession& s, const json::object& p) {
    TAPID_UINT(hCall, p, "hCall", kU32);
    const json::value* pv = p.if_contains("privilege");
    if (pv == nullptr) {
      return badParam("privilege", "required");
    }
    auto bits = parsePrivileges(*pv);
    if (!bits || pv->is_array()) {
      return badParam("privilege", "expected OWNER or MONITOR (name or number)");
    }
    auto r = eng(s).setCallPrivilege(app(s), static_cast<std::uint32_t>(hCall),
                                     static_cast<Privilege>(*bits));
    if (!r) {
      return lineError(r.error());
    }
    return json::value(json::object{});
  }

  static Reply handoff(ProtocolSession& s, const json::object& p) {
    TAPID_UINT(hCall, p, "hCall", kU32);
    TAPID_OPT_STRING(target, p, "target");
    TAPID_OPT_UINT(mediaMode, p, "mediaMode", kU32);
    if (target.empty() && !mediaMode) {
      return badParam("target", "give a target app name or a mediaMode");
    }
    auto r = eng(s).handoff(app(s), static_cast<std::uint32_t>(hCall), target,
                            mediaMode ? static_cast<std::uint32_t>(*mediaMode) : 0);
    if (!r) {
      return lineError(r.error());
    }
    return json::value(json::object{});
  }

  static Reply getNewCalls(ProtocolSession& s, const json::object& p) {
    TAPID_UINT(hLine, p, "hLine", kU32);
    TAPID_OPT_UINT(addressId, p, "addressId", kU32);
    TAPID_OPT_UINT(select, p, "select", kU32);
    auto r = eng(s).getNewCalls(
        app(s), static_cast<std::uint32_t>(hLine),
        addressId ? static_cast<std::uint32_t>(*addressId) : 0,
        select ? static_cast<CallSelect>(*select) : CallSelect::Line);
    if (!r) {
      return lineError(r.error());
    }
    json::array calls;
    for (std::uint32_t h : *r) {
      calls.push_back(h);
    }
    json::object o;
    o["hCalls"] = std::move(calls);
    return json::value(std::move(o));
  }

  // Operator methods.

  static Reply stats(ProtocolSession& s, const json::object&) {
    const EngineStats st = eng(s).stats();
    json::object o;
    o["apps"] = st.apps;
    o["openLines"] = st.openLines;
    o["handles"] = st.handles;
    o["calls"] = st.calls;
    o["providerCalls"] = st.providerCalls;
    o["pendingRequests"] = st.pendingRequests;
    o["providerPendingRequests"] = st.providerPendingRequests;
    o["queuedEvents"] = st.queuedEvents;
    o["timers"] = st.timers;
    o["reclaimedHandles"] = st.reclaimedHandles;
    o["refusedTransitions"] = st.refusedTransitions;
    o["connections"] = s.hub_.connections();
    return json::value(std::move(o));
  }

  static Reply calls(ProtocolSession& s, const json::object&) {
    json::array calls;
    for (const CallRecord& r : eng(s).callRecords()) {
      calls.push_back(recordValue(r));
    }
    json::object o;
    o["calls"] = std::move(calls);
    return json::value(std::move(o));
  }

  static Reply callRecord(ProtocolSession& s, const json::object& p) {
    TAPID_UINT(callId, p, "callId", kU32);
    json::object o;
    for (const CallRecord& r : eng(s).callRecords()) {
      if (r.callId == callId) {
        o["callInfo"] = recordValue(r);
        return json::value(std::move(o));
      }
    }
    auto it = s.hub_.released_.find(static_cast<std::uint32_t>(callId));
    if (it == s.hub_.released_.end()) {
      return Failure{LineErr::InvalParam, "no call with id " + std::to_string(callId) +
                                              " is live or was released since start"};
    }
    o["callInfo"] = json::parse(it->second);
    return json::value(std::move(o));
  }

  static Reply placeInbound(ProtocolSession& s, const json::object& p) {
    TAPID_UINT(deviceId, p, "deviceId", kU32);
    TAPID_OPT_STRING(caller, p, "caller");
    TAPID_OPT_STRING(callerName, p, "callerName");
    TAPID_OPT_STRING(called, p, "called");
    TAPID_OPT_STRING(uui, p, "userUserInfo");
    TAPID_OPT_STRING(script, p, "script");
    if (s.hub_.sim_ == nullptr) {
      return Failure{LineErr::OperationUnavail, "no simulated line is configured"};
    }
    providers::sim::SimProvider::Inbound in;
    in.caller = {std::move(caller), std::move(callerName)};
    in.called = {std::move(called), ""};
    in.uui = std::move(uui);
    if (!script.empty()) {
      auto sc = providers::sim::parseScript(script, true);
      if (!sc) {
        return Failure{sc.lineErr(), "script: " + sc.error().message()};
      }
      in.script = std::move(*sc);
    } else {
      // Default: ring until the local side answers, then stay connected.
      in.script.steps = {{base::Duration{0}, providers::sim::Action::AwaitAnswer}};
    }
    // The server numbers the calls it places, so the reply can name the call's id at once.
    in.callId = s.hub_.nextInboundCallId_++;
    const std::uint32_t callId = in.callId;
    auto r = s.hub_.sim_->placeInbound(static_cast<std::uint32_t>(deviceId), std::move(in));
    if (!r) {
      return lineError(r.error());
    }
    json::object o;
    o["callId"] = callId;
    return json::value(std::move(o));
  }
};

const std::unordered_map<std::string_view, Methods::Entry>& Methods::table() {
  static const std::unordered_map<std::string_view, Entry> t{
      {"lineInitialize", {&Methods::initialize, false}},
      {"lineShutdown", {&Methods::shutdown, true}},
      {"lineGetLines", {&Methods::getLines, true}},
      {"lineNegotiateAPIVersion", {&Methods::negotiate, true}},
      {"lineOpen", {&Methods::open, true}},
      {"lineClose", {&Methods::close, true}},
      {"lineMakeCall", {&Methods::makeCall, true}},
      {"lineAnswer", {&Methods::answer, true}},
      {"lineAccept", {&Methods::accept, true}},
      {"lineDrop", {&Methods::drop, true}},
      {"lineDeallocateCall", {&Methods::deallocate, true}},
      {"lineGetCallInfo", {&Methods::callInfo, true}},
      {"lineGetCallStatus", {&Methods::callStatus, true}},
      {"lineSetAppSpecific", {&Methods::setAppSpecific, true}},
      {"lineSetCallPrivilege", {&Methods::setCallPrivilege, true}},
      {"lineHandoff", {&Methods::handoff, true}},
      {"lineGetNewCalls", {&Methods::getNewCalls, true}},
      {"tapidStats", {&Methods::stats, false}},
      {"tapidCalls", {&Methods::calls, false}},
      {"tapidCallRecord", {&Methods::callRecord, false}},
      {"simPlaceInbound", {&Methods::placeInbound, false}},
  };
  return t;
}

// ---------------------------------------------------------------------------------------
// Session

ProtocolSession::ProtocolSession(ProtocolHub& hub, ProtoConnection& conn)
    : hub_(hub), conn_(conn) {
  id_ = hub_.attach(this);
}

ProtocolSession::~ProtocolSession() {
  shutdownApp();
  hub_.detach(id_);
}

void ProtocolSession::send(std::string frame, FrameKind kind) {
  if (closed_) {
    return;
  }
  conn_.sendText(std::move(frame), kind);
  if (conn_.pendingBytes() > hub_.limits_.maxPendingBytes) {
    // The client does not read what it is sent: drop it rather than grow without bound.
    ++hub_.counters_.slowReaderDisconnects;
    closeConnection(CloseReason::SlowReader);
  }
}

void ProtocolSession::sendError(std::string_view idJson, ProtoError e, std::string_view message) {
  ++hub_.counters_.rejectedFrames[static_cast<std::size_t>(e)];
  json::object err;
  err["code"] = toString(e);
  err["message"] = message;
  std::string frame = "{\"id\":";
  frame += idJson;
  frame += ",\"error\":";
  frame += json::serialize(err);
  frame += '}';
  send(std::move(frame), FrameKind::Response);
}

void ProtocolSession::onFrame(std::string_view text) {
  if (closed_) {
    return;
  }
  ++hub_.counters_.requests;
  json::error_code ec;
  json::value v = json::parse(text, ec);
  if (ec || !v.is_object()) {
    sendError("null", ProtoError::BadJson,
              ec ? "not JSON: " + ec.message() : std::string("a request must be a JSON object"));
    return;
  }
  const json::object& req = v.get_object();
  const json::value* idv = req.if_contains("id");
  std::string idJson = "null";
  constexpr std::int64_t kMaxId = std::int64_t{1} << 53;
  if (idv != nullptr && idv->is_int64() && idv->get_int64() >= 0 && idv->get_int64() <= kMaxId) {
    idJson = std::to_string(idv->get_int64());
  } else if (idv != nullptr && idv->is_uint64() &&
             idv->get_uint64() <= static_cast<std::uint64_t>(kMaxId)) {
    idJson = std::to_string(idv->get_uint64());
  } else {
    sendError("null", ProtoError::BadRequest, "\"id\" must be an integer from 0 to 2^53");
    return;
  }
  if (conn_.pendingResponses() >= hub_.limits_.maxRequestsInFlight) {
    sendError(idJson, ProtoError::TooManyRequests,
              "more than " + std::to_string(hub_.limits_.maxRequestsInFlight) +
                  " requests in flight: read the responses first");
    return;
  }
  const json::value* mv = req.if_contains("method");
  if (mv == nullptr || !mv->is_string()) {
    sendError(idJson, ProtoError::BadRequest, "\"method\" must be a string");
    return;
  }
  const std::string_view method = mv->get_string();
  const auto& table = Methods::table();
  auto it = table.find(method);
  if (it == table.end()) {
    sendError(idJson, ProtoError::UnknownMethod, "no method \"" + std::string(method) + "\"");
    return;
  }
  static const json::object kNoParams;
  const json::object* params = &kNoParams;
  if (const json::value* pv = req.if_contains("params"); pv != nullptr && !pv->is_null()) {
    if (!pv->is_object()) {
      sendError(idJson, ProtoError::BadRequest, "\"params\" must be an object");
      return;
    }
    params = &pv->get_object();
  }
  if (it->second.needsApp && hLineApp_ == 0) {
    sendError(idJson, ProtoError::NotInitialized,
              "call lineInitialize first: " + std::string(method) + " needs an application");
    return;
  }
  Reply reply = it->second.fn(*this, *params);
  if (auto* f = std::get_if<Failure>(&reply)) {
    if (auto* pe = std::get_if<ProtoError>(&f->code)) {
      sendError(idJson, *pe, f->message);
    } else {
      const LineErr le = std::get<LineErr>(f->code);
      json::object err;
      err["code"] = lineErrName(le);
      err["value"] = toTapiLong(le);
      err["message"] = f->message;
      send("{\"id\":" + idJson + ",\"error\":" + json::serialize(err) + "}", FrameKind::Response);
    }
  } else {
    send("{\"id\":" + idJson + ",\"result\":" + json::serialize(std::get<json::value>(reply)) + "}",
         FrameKind::Response);
  }
  if (method == "lineShutdown" && hLineApp_ == 0) {
    closeConnection(CloseReason::Normal);
  }
}

void ProtocolSession::onBinaryFrame() {
  if (closed_) {
    return;
  }
  ++hub_.counters_.requests;
  sendError("null", ProtoError::BadJson, "binary frames are not accepted: send JSON text frames");
}

void ProtocolSession::onFrameTooLarge() {
  if (closed_) {
    return;
  }
  ++hub_.counters_.requests;
  sendError("null", ProtoError::TooLarge,
            "request frame larger than " + std::to_string(hub_.limits_.maxFrameBytes) +
                " bytes: closing the connection");
  closeConnection(CloseReason::TooLarge);
}

void ProtocolSession::onClosed() {
  closed_ = true;
  shutdownApp();
}

void ProtocolSession::drainEvents() {
  if (closed_ || hLineApp_ == 0) {
    return;
  }
  engine::Engine& e = hub_.engine();
  while (!closed_ && hLineApp_ != 0) {
    auto m = e.getMessage(hLineApp_);
    if (!m.ok() || !m->has_value()) {
      return;
    }
    ++hub_.counters_.eventsSent;
    send(eventJson(**m), FrameKind::Event);
  }
}

void ProtocolSession::closeForShutdown() {
  drainEvents();
  closeConnection(CloseReason::ServerShutdown);
}

void ProtocolSession::shutdownApp() {
  if (hLineApp_ != 0) {
    const std::uint32_t app = hLineApp_;
    hLineApp_ = 0;
    (void)hub_.engine().shutdown(app);
  }
}

void ProtocolSession::closeConnection(CloseReason reason) {
  if (closed_) {
    return;
  }
  closed_ = true;
  // The app goes now, not when the socket is finally closed: a slow reader's events stop
  // accumulating, and its calls are handled at once as on lineShutdown.
  shutdownApp();
  conn_.close(reason);
}

}  // namespace tapi::server
