#include "client/remote_backend.hpp"

#include <utility>

#include <boost/asio/post.hpp>

#include "client/protocol_json.hpp"
#include "client/remote_connection.hpp"

namespace tapi::detail {

namespace asio = boost::asio;
namespace json = boost::json;

namespace {

json::object withCall(std::uint32_t hCall) {
  return json::object{{"hCall", hCall}};
}

std::int64_t toMs(std::chrono::nanoseconds d) {
  return std::chrono::duration_cast<std::chrono::milliseconds>(d).count();
}

std::optional<std::uint32_t> u32Member(const json::value& v, std::string_view key) {
  if (!v.is_object()) {
    return std::nullopt;
  }
  auto n = proto::getInt(v.as_object(), key);
  if (!n || *n < 0 || *n > 0xFFFFFFFFLL) {
    return std::nullopt;
  }
  return static_cast<std::uint32_t>(*n);
}

}  // namespace

// ----------------------------------------------------------------------------- RemoteBackend

RemoteBackend::RemoteBackend(ServerAddress address, std::string token, Options options)
    : address_(std::move(address)),
      token_(std::move(token)),
      options_(options),
      work_(std::make_unique<asio::executor_work_guard<asio::io_context::executor_type>>(
          io_.get_executor())) {
  thread_ = std::thread([this] {
    ioThread_ = std::this_thread::get_id();
    io_.run();
  });
}

Result<std::unique_ptr<RemoteBackend>> RemoteBackend::connect(ServerAddress address,
                                                              std::string token, Options options) {
  std::unique_ptr<RemoteBackend> be(
      new RemoteBackend(std::move(address), std::move(token), options));
  auto control = be->openConnection(nullptr);
  if (!control) {
    return fail(control.error());
  }
  be->control_ = std::move(*control);
  return be;
}

RemoteBackend::~RemoteBackend() {
  std::unordered_map<std::uint32_t, ConnectionPtr> apps;
  {
    std::lock_guard lock(mutex_);
    apps.swap(apps_);
  }
  for (auto& [h, c] : apps) {
    c->abort();  // the server shuts these apps down as for lineShutdown
  }
  if (control_) {
    control_->abort();
  }
  // Handlers run in order: the aborts above, then the stop. Handlers still pending after
  // it are destroyed with io_, after the connections below are released.
  asio::post(io_, [this] { io_.stop(); });
  thread_.join();
  apps.clear();
  control_.reset();
}

bool RemoteBackend::serverLost() const {
  return control_ && control_->isLost();
}

Result<RemoteBackend::ConnectionPtr> RemoteBackend::openConnection(std::function<void()> notify) {
  auto conn = std::make_shared<RemoteConnection>(io_, ioThread_, std::move(notify));
  auto r = conn->open(address_, token_, options_.connectTimeout);
  if (!r) {
    return fail(r.error());
  }
  return conn;
}

Result<RemoteBackend::ConnectionPtr> RemoteBackend::appConnection(std::uint32_t app) {
  std::lock_guard lock(mutex_);
  auto it = apps_.find(app);
  if (it == apps_.end()) {
    return LineErr::InvalAppHandle;
  }
  return it->second;
}

Result<json::value> RemoteBackend::appRequest(std::uint32_t app, std::string_view method,
                                              const json::object& params) {
  auto conn = appConnection(app);
  if (!conn) {
    return fail(conn.error());
  }
  return (*conn)->request(method, params, options_.requestTimeout);
}

Result<json::value> RemoteBackend::lineRequest(std::uint32_t app, std::string_view method,
                                               const json::object& params) {
  auto r = appRequest(app, method, params);
  if (!r && r.lineErr() == LineErr::Reinit) {
    return LineErr::InvalLineHandle;  // the LINE_CLOSE queued for the lost connection voided it
  }
  return r;
}

Result<json::value> RemoteBackend::callRequest(std::uint32_t app, std::string_view method,
                                               const json::object& params) {
  auto r = appRequest(app, method, params);
  if (!r && r.lineErr() == LineErr::Reinit) {
    return LineErr::InvalCallHandle;  // LINE_CLOSE voided every call handle on the line
  }
  return r;
}

Result<json::value> RemoteBackend::controlRequest(std::string_view method,
                                                  const json::object& params) {
  return control_->request(method, params, options_.requestTimeout);
}

Result<std::uint32_t> RemoteBackend::asyncRequest(std::uint32_t app, std::string_view method,
                                                  const json::object& params) {
  auto r = callRequest(app, method, params);
  if (!r) {
    return fail(r.error());
  }
  auto id = u32Member(*r, "requestId");
  if (!id) {
    return LineErr::OperationFailed;
  }
  return *id;
}

std::vector<LineDevice> RemoteBackend::lines() {
  auto r = controlRequest("lineGetLines");
  if (!r && r.lineErr() == LineErr::Uninitialized) {
    // The server wants an app for lineGetLines: use one of ours, else a short-lived one.
    ConnectionPtr conn;
    {
      std::lock_guard lock(mutex_);
      for (auto& [h, c] : apps_) {
        if (c->isOpen()) {
          conn = c;
          break;
        }
      }
    }
    if (conn) {
      r = conn->request("lineGetLines", {}, options_.requestTimeout);
    } else if (auto app = initialize("lines", kApiVersion22, nullptr)) {
      r = appRequest(*app, "lineGetLines", {});
      (void)shutdown(*app);
    }
  }
  if (!r) {
    return {};
  }
  auto lines = proto::linesFromJson(*r);
  return lines ? std::move(*lines) : std::vector<LineDevice>{};
}

EngineStats RemoteBackend::stats() {
  auto c = counters();
  return c ? proto::engineStatsFromCounters(*c) : EngineStats{};
}

Result<Counters> RemoteBackend::counters() {
  auto r = controlRequest("tapidStats");
  if (!r) {
    return fail(r.error());
  }
  return proto::countersFromJson(*r);
}

Result<std::vector<CallRecord>> RemoteBackend::calls() {
  auto r = controlRequest("tapidCalls");
  if (!r) {
    return fail(r.error());
  }
  const json::value* list = r->is_object() ? r->as_object().if_contains("calls") : nullptr;
  if (list == nullptr || !list->is_array()) {
    return LineErr::OperationFailed;
  }
  std::vector<CallRecord> out;
  for (const json::value& v : list->get_array()) {
    auto rec = proto::callRecordFromJson(v);
    if (!rec) {
      return fail(rec.error());
    }
    out.push_back(std::move(*rec));
  }
  return out;
}

Result<CallRecord> RemoteBackend::callRecord(std::uint32_t callId) {
  auto r = controlRequest("tapidCallRecord", json::object{{"callId", callId}});
  if (!r) {
    return fail(r.error());
  }
  const json::value* rec = r->is_object() ? r->as_object().if_contains("callInfo") : nullptr;
  if (rec == nullptr) {
    return LineErr::OperationFailed;
  }
  return proto::callRecordFromJson(*rec);
}

Result<std::uint32_t> RemoteBackend::placeInbound(const InboundCall& call) {
  json::object p{{"deviceId", call.deviceId}, {"caller", call.caller}};
  if (!call.callerName.empty()) {
    p["callerName"] = call.callerName;
  }
  if (!call.script.empty()) {
    p["script"] = call.script;
  }
  auto r = controlRequest("simPlaceInbound", p);
  if (!r) {
    return fail(r.error());
  }
  auto id = u32Member(*r, "callId");
  if (!id) {
    return LineErr::OperationFailed;
  }
  return *id;
}

Result<std::uint32_t> RemoteBackend::initialize(const std::string& name, std::uint32_t apiVersion,
                                                std::function<void()> notify) {
  if (serverLost()) {
    // The server went away: TAPI refuses new work until the app re-initializes, which
    // here means a new Runtime::connect.
    return LineErr::Reinit;
  }
  auto conn = openConnection(std::move(notify));
  if (!conn) {
    return fail(conn.error());
  }
  auto r = (*conn)->request("lineInitialize",
                            json::object{{"appName", name}, {"apiVersion", apiVersion}},
                            options_.requestTimeout);
  std::optional<std::uint32_t> h;
  if (r) {
    h = u32Member(*r, "hLineApp");
  }
  std::lock_guard lock(mutex_);
  if (!r || !h || *h == 0 || apps_.contains(*h)) {
    (*conn)->abort();
    return r ? fail(LineErr::OperationFailed) : fail(r.error());
  }
  apps_.emplace(*h, std::move(*conn));
  return *h;
}

Result<void> RemoteBackend::shutdown(std::uint32_t app) {
  ConnectionPtr conn;
  {
    std::lock_guard lock(mutex_);
    auto it = apps_.find(app);
    if (it == apps_.end()) {
      return LineErr::InvalAppHandle;
    }
    conn = std::move(it->second);
    apps_.erase(it);
  }
  conn->expectEnd();  // the server closes the connection after its response
  auto r = conn->request("lineShutdown", {}, options_.requestTimeout);
  conn->close();  // the server closes too; whichever side is first, the app is gone
  if (!r && r.lineErr() != LineErr::Reinit && r.lineErr() != LineErr::Uninitialized) {
    return fail(r.error());
  }
  // An app whose connection is gone (lost, or ended by the server as it answered) has
  // been shut down by the server already, as for lineShutdown.
  return {};
}

Result<std::uint32_t> RemoteBackend::open(std::uint32_t app, const OpenRequest& req) {
  json::object p{{"deviceId", req.deviceId},
                 {"privileges", proto::privilegeNames(req.privileges)},
                 {"mediaModes", req.options.mediaModes}};
  if (req.options.apiVersion != 0) {
    p["apiVersion"] = req.options.apiVersion;
  }
  if (req.options.noAnswerTimeout) {
    p["noAnswerTimeoutMs"] = toMs(*req.options.noAnswerTimeout);
  }
  if (req.options.maxDuration) {
    p["maxDurationMs"] = toMs(*req.options.maxDuration);
  }
  auto conn = appConnection(app);
  if (!conn) {
    return fail(conn.error());
  }
  auto r = (*conn)->request("lineOpen", p, options_.requestTimeout);
  if (!r) {
    return fail(r.error());  // LINEERR_REINIT once the connection is lost
  }
  auto h = u32Member(*r, "hLine");
  if (!h) {
    return LineErr::OperationFailed;
  }
  if (!(*conn)->lineOpened(*h)) {
    return LineErr::Reinit;  // lost right after the server opened it: the line is gone
  }
  return *h;
}

Result<void> RemoteBackend::close(std::uint32_t app, std::uint32_t hLine) {
  auto conn = appConnection(app);
  if (!conn) {
    return fail(conn.error());
  }
  (*conn)->lineClosed(hLine);
  auto r = lineRequest(app, "lineClose", json::object{{"hLine", hLine}});
  return r ? Result<void>{} : Result<void>(fail(r.error()));
}

Result<MakeCallReply> RemoteBackend::makeCall(std::uint32_t app, std::uint32_t hLine,
                                              const std::string& destination,
                                              const MakeCallOptions& options) {
  json::object p{{"hLine", hLine}, {"destination", destination}};
  if (!options.userUserInfo.empty()) {
    p["userUserInfo"] = options.userUserInfo;
  }
  if (options.addressId != 0) {
    p["addressId"] = options.addressId;
  }
  if (options.noAnswerTimeout) {
    p["noAnswerTimeoutMs"] = toMs(*options.noAnswerTimeout);
  }
  if (options.maxDuration) {
    p["maxDurationMs"] = toMs(*options.maxDuration);
  }
  auto r = lineRequest(app, "lineMakeCall", p);
  if (!r) {
    return fail(r.error());
  }
  auto req = u32Member(*r, "requestId");
  auto h = u32Member(*r, "hCall");
  if (!req || !h) {
    return LineErr::OperationFailed;
  }
  return MakeCallReply{*req, *h};
}

Result<std::uint32_t> RemoteBackend::answer(std::uint32_t app, std::uint32_t hCall,
                                            const std::string& uui) {
  auto p = withCall(hCall);
  if (!uui.empty()) {
    p["userUserInfo"] = uui;
  }
  return asyncRequest(app, "lineAnswer", p);
}

Result<std::uint32_t> RemoteBackend::accept(std::uint32_t app, std::uint32_t hCall,
                                            const std::string& uui) {
  auto p = withCall(hCall);
  if (!uui.empty()) {
    p["userUserInfo"] = uui;
  }
  return asyncRequest(app, "lineAccept", p);
}

Result<std::uint32_t> RemoteBackend::drop(std::uint32_t app, std::uint32_t hCall,
                                          std::uint32_t mode, const std::string& uui) {
  auto p = withCall(hCall);
  if (mode != 0) {
    p["mode"] = mode;
  }
  if (!uui.empty()) {
    p["userUserInfo"] = uui;
  }
  return asyncRequest(app, "lineDrop", p);
}

Result<void> RemoteBackend::deallocate(std::uint32_t app, std::uint32_t hCall) {
  auto r = callRequest(app, "lineDeallocateCall", withCall(hCall));
  return r ? Result<void>{} : Result<void>(fail(r.error()));
}

Result<CallRecord> RemoteBackend::callInfo(std::uint32_t app, std::uint32_t hCall) {
  auto r = callRequest(app, "lineGetCallInfo", withCall(hCall));
  if (!r) {
    return fail(r.error());
  }
  const json::value* rec = r->is_object() ? r->as_object().if_contains("callInfo") : nullptr;
  if (rec == nullptr) {
    return LineErr::OperationFailed;
  }
  return proto::callRecordFromJson(*rec);
}

Result<CallStatus> RemoteBackend::callStatus(std::uint32_t app, std::uint32_t hCall) {
  auto r = callRequest(app, "lineGetCallStatus", withCall(hCall));
  if (!r) {
    return fail(r.error());
  }
  return proto::callStatusFromJson(*r);
}

Result<void> RemoteBackend::setAppSpecific(std::uint32_t app, std::uint32_t hCall,
                                           std::uint32_t value) {
  auto p = withCall(hCall);
  p["value"] = value;
  auto r = callRequest(app, "lineSetAppSpecific", p);
  return r ? Result<void>{} : Result<void>(fail(r.error()));
}

Result<void> RemoteBackend::setCallPrivilege(std::uint32_t app, std::uint32_t hCall, Privilege p) {
  auto params = withCall(hCall);
  params["privilege"] = toString(p);
  auto r = callRequest(app, "lineSetCallPrivilege", params);
  return r ? Result<void>{} : Result<void>(fail(r.error()));
}

Result<void> RemoteBackend::handoff(std::uint32_t app, std::uint32_t hCall,
                                    const std::string& target, std::uint32_t mediaMode) {
  auto p = withCall(hCall);
  if (!target.empty()) {
    p["target"] = target;
  } else {
    p["mediaMode"] = mediaMode;
  }
  auto r = callRequest(app, "lineHandoff", p);
  return r ? Result<void>{} : Result<void>(fail(r.error()));
}

Result<std::vector<std::uint32_t>> RemoteBackend::getNewCalls(std::uint32_t app,
                                                              std::uint32_t hLine) {
  auto r = lineRequest(app, "lineGetNewCalls", json::object{{"hLine", hLine}});
  if (!r) {
    return fail(r.error());
  }
  const json::value* list = r->is_object() ? r->as_object().if_contains("hCalls") : nullptr;
  if (list == nullptr || !list->is_array()) {
    return LineErr::OperationFailed;
  }
  std::vector<std::uint32_t> out;
  for (const json::value& v : list->get_array()) {
    if (v.is_int64() && v.get_int64() > 0) {
      out.push_back(static_cast<std::uint32_t>(v.get_int64()));
    } else if (v.is_uint64()) {
      out.push_back(static_cast<std::uint32_t>(v.get_uint64()));
    }
  }
  return out;
}

Result<std::optional<Message>> RemoteBackend::getMessage(std::uint32_t app) {
  ConnectionPtr conn;
  {
    std::lock_guard lock(mutex_);
    auto it = apps_.find(app);
    if (it == apps_.end()) {
      return LineErr::InvalAppHandle;
    }
    conn = it->second;
  }
  return conn->popMessage();
}

}  // namespace tapi::detail
