// Asynchronous requests: their ids, and what each kind's completion does (every app
// request gets exactly one LINE_REPLY unless the app let go first).

#include <string>

#include "engine/detail/call_states.hpp"
#include "engine/detail/engine_impl.hpp"

namespace tapi::engine::detail {

spi::RequestId EngineImpl::newRequest(RequestKind kind, AppH app, CallH call, OpenH line,
                                      std::uint32_t hCall) {
  // Request ids are positive LONGs (a negative return is an error) and never 0.
  do {
    nextRequest_ = (nextRequest_ + 1) & 0x7FFFFFFFu;
  } while (nextRequest_ == 0 || requests_.count(nextRequest_) != 0);
  Request r;
  r.kind = kind;
  r.app = app;
  r.call = call;
  r.line = line;
  r.hCall = hCall;
  requests_.emplace(nextRequest_, r);
  return nextRequest_;
}

void EngineImpl::onRequestComplete(spi::RequestId id, Result<void> result) {
  auto it = requests_.find(id);
  if (it == requests_.end()) {
    log("completion for unknown request " + std::to_string(id) + " ignored");
    return;
  }
  const Request req = it->second;
  requests_.erase(it);

  auto reply = [&] {
    if (req.suppressed || apps_.get(req.app) == nullptr) {
      return;
    }
    const App* app = apps_.get(req.app);
    Message m;
    m.type = MessageType::Reply;
    m.callbackInstance = app->callbackInstance;
    m.param1 = id;
    m.param2 = result.ok() ? 0u : static_cast<std::uint32_t>(toTapiLong(result.lineErr()));
    enqueue(req.app, m);
  };

  CallEntry* c = calls_.get(req.call);
  if (c != nullptr && c->released()) {
    c = nullptr;
  }
  switch (req.kind) {
    case RequestKind::MakeCall:
      reply();
      completeMakeCall(req, c, result);
      return;
    case RequestKind::Drop:
    case RequestKind::Internal:
      if (!result.ok() && c != nullptr) {
        c->pendingEnd.reset();  // the drop did not happen: the call goes on
        if (req.uuiBefore) {
          c->record.uuiSent = *req.uuiBefore;
        }
        if (req.kind == RequestKind::Internal) {
          log("engine drop of call " + std::to_string(c->record.callId) +
              " failed: " + lineErrName(result.lineErr()));
        }
      }
      if (req.kind == RequestKind::Drop) {
        reply();
      }
      return;
    case RequestKind::Answer:
      if (!result.ok() && c != nullptr && req.uuiBefore) {
        c->record.uuiSent = *req.uuiBefore;  // the answer (and its UUI) never went out
      }
      reply();
      return;
    case RequestKind::Accept:
    case RequestKind::LocalDrop:
      reply();
      return;
  }
}

void EngineImpl::completeMakeCall(const Request& req, CallEntry* c, Result<void> result) {
  if (c == nullptr) {
    return;
  }
  Holder* requester = c->holder(req.app, req.hCall);
  if (!result.ok()) {
    recordEnd(*c,
              Termination{TerminationOrigin::ProviderFailure, Policy::None, "",
                          std::string("make call failed: ") + lineErrName(result.lineErr())},
              disconnect::Unavail);
    if (requester != nullptr) {
      releaseHolder(*c, c->indexOf(*requester), ReleaseCause::Deallocate);
    }
    return;
  }
  c->announced = true;
  if (requester != nullptr) {
    requester->valid = true;
    if (c->state != CallState::Unknown) {
      sendCallState(*c, *requester, 0);
    }
  }
  announceToMonitors(*c, req);
  c->countHolders();
  const base::Duration noAnswer = c->noAnswerTimeout.value_or(base::Duration::zero());
  if (noAnswer > base::Duration::zero() && !isEnded(c->state) && c->state != CallState::Connected) {
    arm(*c, &CallTimers::noAnswer, noAnswer, &EngineImpl::onNoAnswer);
  }
}

void EngineImpl::announceToMonitors(CallEntry& c, const Request& req) {
  // Monitors of the line learn of the call as the requester gets its reply.
  const LineOpen* reqOpen = opens_.get(req.line);
  auto dit = opensByDevice_.find(c.deviceId);
  if (dit == opensByDevice_.end()) {
    return;
  }
  for (OpenH oh : dit->second) {
    const LineOpen* o = opens_.get(oh);
    if (o == nullptr || !o->allows(Privilege::Monitor) ||
        (reqOpen != nullptr && o->app == reqOpen->app)) {
      continue;
    }
    App* app = apps_.get(o->app);
    if (c.heldBy(o->app) || app == nullptr) {
      continue;
    }
    const Holder& h = c.addHolder(o->app, *app, oh, Privilege::Monitor, true);
    // A monitor first sees the call as UNKNOWN, then its real state (spec §2).
    const CallState actual = c.state;
    const std::uint32_t actualMode = c.mode;
    c.state = CallState::Unknown;
    c.mode = 0;
    announceNewHandle(c, h);
    c.state = actual;
    c.mode = actualMode;
    if (actual != CallState::Unknown) {
      sendCallState(c, h, 0);
    }
  }
}

}  // namespace tapi::engine::detail
