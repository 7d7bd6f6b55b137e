// The engine's construction, its lookups and the messages it queues for applications.

#include <utility>

#include "engine/detail/engine_impl.hpp"
#include "engine/detail/helpers.hpp"

namespace tapi::engine::detail {

EngineImpl::EngineImpl(base::EventLoop& loop, spi::Provider& provider, Config config)
    : loop_(loop), provider_(provider), config_(std::move(config)), devices_(provider.lines()) {
  provider_.setEvents(this);
}

EngineImpl::~EngineImpl() {
  // Timers capture `this`; none may outlive the engine.
  calls_.forEach([&](CallH, CallEntry& c) { c.timers.cancelAll(loop_); });
  provider_.setEvents(nullptr);
}

void EngineImpl::log(const std::string& line) const {
  if (config_.log) {
    config_.log(line);
  }
}

// ---------------------------------------------------------------------------------------
// Lookups

App* EngineImpl::findApp(std::uint32_t hLineApp, AppH* out) const {
  const AppH* h = appValues_.find(hLineApp);
  if (h == nullptr) {
    return nullptr;
  }
  if (out != nullptr) {
    *out = *h;
  }
  return apps_.get(*h);
}

Result<std::pair<CallEntry*, Holder*>> EngineImpl::resolve(std::uint32_t hLineApp,
                                                           std::uint32_t hCall) const {
  AppH ah;
  App* app = findApp(hLineApp, &ah);
  if (app == nullptr) {
    return LineErr::Uninitialized;
  }
  const CallH* ch = app->calls.find(hCall);
  if (ch == nullptr) {
    return LineErr::InvalCallHandle;
  }
  CallEntry* c = calls_.get(*ch);
  if (c == nullptr) {
    return LineErr::InvalCallHandle;
  }
  Holder* h = c->holder(ah, hCall);
  if (h == nullptr || !h->valid) {
    return LineErr::InvalCallHandle;  // !valid: make-call not yet (or never) successful
  }
  return std::make_pair(c, h);
}

Result<std::pair<CallEntry*, Holder*>> EngineImpl::resolveOwned(std::uint32_t hLineApp,
                                                                std::uint32_t hCall) const {
  auto r = resolve(hLineApp, hCall);
  if (r && !r->second->owner()) {
    return LineErr::NotOwner;
  }
  return r;
}

CallEntry* EngineImpl::findCall(spi::EngineCallId id) const {
  CallEntry* c = calls_.get(CallH::fromPacked(id));
  return (c == nullptr || c->released()) ? nullptr : c;
}

std::uint32_t EngineImpl::versionOf(const Holder& h) const {
  if (const LineOpen* o = opens_.get(h.line)) {
    return o->apiVersion;
  }
  const App* a = apps_.get(h.app);
  return a != nullptr ? a->apiVersion : kApiVersionHighest;
}

const spi::LineInfo* EngineImpl::device(std::uint32_t deviceId) const {
  for (const auto& d : devices_) {
    if (d.deviceId == deviceId) {
      return &d;
    }
  }
  return nullptr;
}

// ---------------------------------------------------------------------------------------
// Messages

void EngineImpl::enqueue(AppH appH, const Message& m) {
  App* app = apps_.get(appH);
  if (app == nullptr) {
    return;
  }
  const bool wasEmpty = app->queue.empty();
  app->queue.push_back(m);
  if (wasEmpty && app->notify) {
    app->notify();
  }
}

void EngineImpl::sendCallState(CallEntry& c, const Holder& h, std::uint32_t privilegeParam) {
  const LineOpen* o = opens_.get(h.line);
  Message m;
  m.hDevice = h.hCall;
  m.type = MessageType::CallState;
  m.callbackInstance = o != nullptr ? o->callbackInstance : 0;
  m.param1 = static_cast<std::uint32_t>(c.state);
  m.param2 = modeForApp(c.state, c.mode, versionOf(h));
  m.param3 = privilegeParam;
  enqueue(h.app, m);
}

void EngineImpl::sendCallInfo(const Holder& h, std::uint32_t bits) {
  const LineOpen* o = opens_.get(h.line);
  Message m;
  m.hDevice = h.hCall;
  m.type = MessageType::CallInfo;
  m.callbackInstance = o != nullptr ? o->callbackInstance : 0;
  m.param1 = bits;
  enqueue(h.app, m);
}

void EngineImpl::sendCallInfoToOthers(CallEntry& c, AppH except, std::uint32_t bits) {
  for (const Holder& h : c.holders) {
    if (h.valid && h.app != except) {
      sendCallInfo(h, bits);
    }
  }
}

void EngineImpl::announceNewHandle(CallEntry& c, const Holder& h) {
  const LineOpen* o = opens_.get(h.line);
  if (o == nullptr) {
    return;
  }
  if (o->apiVersion >= kApiVersion20) {
    Message m;
    m.hDevice = o->hLine;
    m.type = MessageType::AppNewCall;
    m.callbackInstance = o->callbackInstance;
    m.param1 = c.record.addressId;
    m.param2 = h.hCall;
    m.param3 = static_cast<std::uint32_t>(h.privilege);
    enqueue(h.app, m);
  }
  sendCallState(c, h, static_cast<std::uint32_t>(h.privilege));
}

void EngineImpl::sendLineClose(const LineOpen& o) {
  Message m;
  m.hDevice = o.hLine;
  m.type = MessageType::Close;
  m.callbackInstance = o.callbackInstance;
  enqueue(o.app, m);
}

}  // namespace tapi::engine::detail
