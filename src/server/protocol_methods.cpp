// The handlers of the API methods (docs/api.md "Methods"): parameters read from JSON, one
// engine call, the result written back as JSON.

#include "server/protocol_methods.hpp"

#include <unordered_map>
#include <utility>

#include "cdr/record_json.hpp"
#include "providers/sim/sim_provider.hpp"
#include "providers/sim/sim_script.hpp"

namespace tapi::server {

namespace json = boost::json;

using detail::badParam;
using detail::Failure;
using detail::kU32;
using detail::lineError;
using detail::optString;
using detail::optUint;
using detail::parseMode;
using detail::parsePrivileges;
using detail::recordValue;
using detail::Reply;

/**
 * Parameter reading with early return: the handlers read parameters with these macros
 * so that each missing or malformed one becomes one BADREQUEST with its name.
 */
#define TAPID_OPT_UINT(var, params, name, max)  \
  std::optional<std::uint64_t> var;             \
  {                                             \
    auto r_ = optUint(params, name, max);       \
    if (auto* f_ = std::get_if<Failure>(&r_)) { \
      return std::move(*f_);                    \
    }                                           \
    var = std::get<0>(r_);                      \
  }
#define TAPID_UINT(var, params, name, max)      \
  std::uint64_t var = 0;                        \
  {                                             \
    auto r_ = optUint(params, name, max);       \
    if (auto* f_ = std::get_if<Failure>(&r_)) { \
      return std::move(*f_);                    \
    }                                           \
    if (!std::get<0>(r_)) {                     \
      return badParam(name, "required");        \
    }                                           \
    var = *std::get<0>(r_);                     \
  }
#define TAPID_OPT_STRING(var, params, name)     \
  std::string var;                              \
  {                                             \
    auto r_ = optString(params, name);          \
    if (auto* f_ = std::get_if<Failure>(&r_)) { \
      return std::move(*f_);                    \
    }                                           \
    if (std::get<0>(r_)) {                      \
      var = std::move(*std::get<0>(r_));        \
    }                                           \
  }

/** The method handlers; a friend of ProtocolHub and ProtocolSession. */
struct Methods {
  static engine::Engine& eng(ProtocolSession& s) { return s.hub_.engine(); }
  static std::uint32_t app(ProtocolSession& s) { return s.hLineApp_; }

  /** The reply of a method that answers nothing but success or its error. */
  static Reply emptyReply(const Result<void>& r) {
    if (!r) {
      return lineError(r.error());
    }
    return json::value(json::object{});
  }

  /** The reply {"<key>": result} of a method whose result is one value. */
  template <typename T>
  static Reply fieldReply(const Result<T>& r, std::string_view key) {
    if (!r) {
      return lineError(r.error());
    }
    json::object o;
    o[key] = *r;
    return json::value(std::move(o));
  }

  static Reply initialize(ProtocolSession& s, const json::object& p) {
    if (s.hLineApp_ != 0) {
      return Failure{ProtoError::BadRequest,
                     "this connection already has an application (hLineApp " +
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
    return emptyReply(r);
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
    return fieldReply(r, "apiVersion");
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
    return fieldReply(eng(s).open(app(s), lp), "hLine");
  }

  static Reply close(ProtocolSession& s, const json::object& p) {
    TAPID_UINT(hLine, p, "hLine", kU32);
    return emptyReply(eng(s).close(app(s), static_cast<std::uint32_t>(hLine)));
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

  static Reply requestReply(const Result<spi::RequestId>& r) { return fieldReply(r, "requestId"); }

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
    return emptyReply(eng(s).deallocate(app(s), static_cast<std::uint32_t>(hCall)));
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
    return emptyReply(eng(s).setAppSpecific(app(s), static_cast<std::uint32_t>(hCall),
                                            static_cast<std::uint32_t>(value)));
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
    return emptyReply(eng(s).setCallPrivilege(app(s), static_cast<std::uint32_t>(hCall),
                                              static_cast<Privilege>(*bits)));
  }

  static Reply handoff(ProtocolSession& s, const json::object& p) {
    TAPID_UINT(hCall, p, "hCall", kU32);
    TAPID_OPT_STRING(target, p, "target");
    TAPID_OPT_UINT(mediaMode, p, "mediaMode", kU32);
    if (target.empty() && !mediaMode) {
      return badParam("target", "give a target app name or a mediaMode");
    }
    return emptyReply(eng(s).handoff(app(s), static_cast<std::uint32_t>(hCall), target,
                                     mediaMode ? static_cast<std::uint32_t>(*mediaMode) : 0));
  }

  static Reply getNewCalls(ProtocolSession& s, const json::object& p) {
    TAPID_UINT(hLine, p, "hLine", kU32);
    TAPID_OPT_UINT(addressId, p, "addressId", kU32);
    TAPID_OPT_UINT(select, p, "select", kU32);
    auto r = eng(s).getNewCalls(app(s), static_cast<std::uint32_t>(hLine),
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

namespace detail {

const MethodEntry* findMethod(std::string_view name) {
  static const std::unordered_map<std::string_view, MethodEntry> t{
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
  auto it = t.find(name);
  return it != t.end() ? &it->second : nullptr;
}

}  // namespace detail

}  // namespace tapi::server
