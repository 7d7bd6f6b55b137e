#include "server/protocol.hpp"

#include <boost/json.hpp>

#include <utility>
#include <variant>

#include "cdr/record_json.hpp"
#include "server/protocol_codec.hpp"
#include "server/protocol_methods.hpp"

namespace tapi::server {

namespace json = boost::json;

const char* toString(CloseReason r) noexcept {
  switch (r) {
    case CloseReason::Normal:
      return "normal";
    case CloseReason::TooLarge:
      return "too-large";
    case CloseReason::SlowReader:
      return "slow-reader";
    case CloseReason::ServerShutdown:
      return "server-shutdown";
  }
  return "?";
}

const char* toString(ProtoError e) noexcept {
  switch (e) {
    case ProtoError::BadJson:
      return "BADJSON";
    case ProtoError::BadRequest:
      return "BADREQUEST";
    case ProtoError::UnknownMethod:
      return "UNKNOWNMETHOD";
    case ProtoError::TooLarge:
      return "TOOLARGE";
    case ProtoError::TooManyRequests:
      return "TOOMANYREQUESTS";
    case ProtoError::NotInitialized:
      return "NOTINITIALIZED";
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

void ProtocolHub::detach(std::uint64_t id) {
  sessions_.erase(id);
}

ProtocolSession* ProtocolHub::find(std::uint64_t id) const {
  auto it = sessions_.find(id);
  return it != sessions_.end() ? it->second : nullptr;
}

// ---------------------------------------------------------------------------------------
// Session

ProtocolSession::ProtocolSession(ProtocolHub& hub, ProtoConnection& conn) : hub_(hub), conn_(conn) {
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
  const detail::MethodEntry* entry = detail::findMethod(method);
  if (entry == nullptr) {
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
  if (entry->needsApp && hLineApp_ == 0) {
    sendError(idJson, ProtoError::NotInitialized,
              "call lineInitialize first: " + std::string(method) + " needs an application");
    return;
  }
  detail::Reply reply = entry->fn(*this, *params);
  if (auto* f = std::get_if<detail::Failure>(&reply)) {
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
    send(detail::eventJson(**m), FrameKind::Event);
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
