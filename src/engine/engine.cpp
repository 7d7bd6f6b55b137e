#include "engine/engine.hpp"

#include <algorithm>
#include <cstdio>
#include <utility>

namespace tapi::engine {

namespace {

bool hasBit(std::uint32_t bits, Privilege p) {
  return (bits & static_cast<std::uint32_t>(p)) != 0;
}

// Most calls visit at most six states (e.g. DIALING, PROCEEDING, RINGBACK, CONNECTED,
// DISCONNECTED, IDLE): reserving them at once avoids regrowth and its slack.
constexpr std::size_t kTypicalStates = 6;

bool isEnded(CallState s) {
  return s == CallState::Disconnected || s == CallState::Idle;
}

// The state's mode as an app of `version` may see it: disconnect modes newer than the
// version are down-mapped, and LINECONNECTEDMODE_ exists only from API 1.4 on (spec §2).
std::uint32_t modeForApp(CallState state, std::uint32_t mode, std::uint32_t version) {
  if (state == CallState::Disconnected) {
    return downMapDisconnectMode(mode, version);
  }
  if (state == CallState::Connected && version < kApiVersion14) {
    return 0;
  }
  if (state == CallState::Connected && version < kApiVersion20 &&
      (mode == connectedmode::ActiveHeld || mode == connectedmode::InactiveHeld)) {
    // The held modes exist from API 2.0 on; an older app still participates (media spec 7).
    return mode == connectedmode::ActiveHeld ? connectedmode::Active : connectedmode::Inactive;
  }
  return mode;
}

std::string secondsText(base::Duration d) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%g s",
                std::chrono::duration_cast<std::chrono::milliseconds>(d).count() / 1000.0);
  return buf;
}

}  // namespace

Engine::Engine(base::EventLoop& loop, spi::Provider& provider, Config config)
    : loop_(loop), provider_(provider), config_(std::move(config)), devices_(provider.lines()) {
  provider_.setEvents(this);
}

Engine::~Engine() {
  // Timers capture `this`; none may outlive the engine.
  calls_.forEach([&](CallH, Call& c) {
    cancelTimer(c.noAnswerTimer);
    cancelTimer(c.maxDurationTimer);
    cancelTimer(c.ownerlessTimer);
    cancelTimer(c.reclaimTimer);
  });
  provider_.setEvents(nullptr);
}

void Engine::log(const std::string& line) const {
  if (config_.log) {
    config_.log(line);
  }
}

// ---------------------------------------------------------------------------------------
// Lookups

Engine::App* Engine::findApp(std::uint32_t hLineApp, AppH* out) const {
  const AppH* h = appValues_.find(hLineApp);
  if (h == nullptr) {
    return nullptr;
  }
  if (out != nullptr) {
    *out = *h;
  }
  return apps_.get(*h);
}

Result<std::pair<Engine::Call*, Engine::Holder*>> Engine::resolve(std::uint32_t hLineApp,
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
  Call* c = calls_.get(*ch);
  if (c == nullptr) {
    return LineErr::InvalCallHandle;
  }
  for (Holder& h : c->holders) {
    if (h.app == ah && h.hCall == hCall) {
      if (!h.valid) {
        return LineErr::InvalCallHandle;  // make-call not yet (or never) successful
      }
      return std::make_pair(c, &h);
    }
  }
  return LineErr::InvalCallHandle;
}

Engine::Call* Engine::findCall(spi::EngineCallId id) const {
  Call* c = calls_.get(CallH::fromPacked(id));
  return (c == nullptr || c->closed || c->deleting) ? nullptr : c;
}

std::uint32_t Engine::versionOf(const Holder& h) const {
  if (const LineOpen* o = opens_.get(h.line)) {
    return o->apiVersion;
  }
  const App* a = apps_.get(h.app);
  return a != nullptr ? a->apiVersion : kApiVersionHighest;
}

const spi::LineInfo* Engine::device(std::uint32_t deviceId) const {
  for (const auto& d : devices_) {
    if (d.deviceId == deviceId) {
      return &d;
    }
  }
  return nullptr;
}

// ---------------------------------------------------------------------------------------
// Messages

void Engine::enqueue(AppH appH, const Message& m) {
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

void Engine::sendCallState(Call& c, const Holder& h, std::uint32_t privilegeParam) {
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

void Engine::sendCallInfoToOthers(Call& c, AppH except, std::uint32_t bits) {
  for (const Holder& h : c.holders) {
    if (!h.valid || h.app == except) {
      continue;
    }
    const LineOpen* o = opens_.get(h.line);
    Message m;
    m.hDevice = h.hCall;
    m.type = MessageType::CallInfo;
    m.callbackInstance = o != nullptr ? o->callbackInstance : 0;
    m.param1 = bits;
    enqueue(h.app, m);
  }
}

void Engine::announceNewHandle(Call& c, const Holder& h) {
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

void Engine::countHolders(Call& c) {
  if (c.state == CallState::Idle) {
    // The counts are post-connection data: they freeze when the call ends, so the record
    // written at release says who held the call, not the 0/0 left once every handle went.
    return;
  }
  std::uint32_t owners = 0;
  std::uint32_t monitors = 0;
  for (const Holder& h : c.holders) {
    (h.privilege == Privilege::Owner ? owners : monitors) += 1;
  }
  c.record.numOwners = owners;
  c.record.numMonitors = monitors;
}

// ---------------------------------------------------------------------------------------
// Applications and lines

Result<std::uint32_t> Engine::initialize(AppParams params) {
  if (shutDown_) {
    return LineErr::OperationFailed;
  }
  if (params.apiVersion < kApiVersionLowest || params.apiVersion > kApiVersionHighest) {
    return LineErr::IncompatibleApiVersion;
  }
  auto [h, app] = apps_.emplace();
  app->name = params.name.empty() ? "app" : std::move(params.name);
  app->apiVersion = params.apiVersion;
  app->callbackInstance = params.callbackInstance;
  app->notify = std::move(params.notify);
  app->created = loop_.now();
  app->hLineApp = appValues_.insert(h);
  return app->hLineApp;
}

Result<void> Engine::shutdown(std::uint32_t hLineApp) {
  AppH ah;
  App* app = findApp(hLineApp, &ah);
  if (app == nullptr) {
    return LineErr::InvalAppHandle;
  }
  suppressRequests(ah, std::nullopt, std::nullopt);
  for (std::uint32_t hLine : app->lines.values()) {
    if (const OpenH* oh = app->lines.find(hLine)) {
      closeLineOpen(*oh, ReleaseCause::AppShutdown);
    }
  }
  appValues_.erase(hLineApp);
  apps_.erase(ah);
  return {};
}

Result<std::uint32_t> Engine::negotiateApiVersion(std::uint32_t hLineApp, std::uint32_t deviceId,
                                                  std::uint32_t low, std::uint32_t high) const {
  if (findApp(hLineApp) == nullptr) {
    return LineErr::InvalAppHandle;
  }
  if (device(deviceId) == nullptr) {
    return LineErr::BadDeviceId;
  }
  if (low > high || high < kApiVersionLowest || low > kApiVersionHighest) {
    return LineErr::IncompatibleApiVersion;
  }
  return std::min(high, kApiVersionHighest);
}

std::vector<spi::LineInfo> Engine::lines() const {
  return devices_;
}

Result<std::uint32_t> Engine::open(std::uint32_t hLineApp, const LineOpenParams& params) {
  AppH ah;
  App* app = findApp(hLineApp, &ah);
  if (app == nullptr) {
    return LineErr::InvalAppHandle;
  }
  if (shutDown_) {
    return LineErr::OperationFailed;
  }
  if (device(params.deviceId) == nullptr) {
    return LineErr::BadDeviceId;
  }
  const std::uint32_t none = static_cast<std::uint32_t>(Privilege::None);
  const std::uint32_t known = none | static_cast<std::uint32_t>(Privilege::Monitor) |
                              static_cast<std::uint32_t>(Privilege::Owner);
  const std::uint32_t priv = params.privileges & 0x00FFFFFFu;  // high bits: LINEOPENOPTION_
  if (priv == 0 || (priv & ~known) != 0 || ((priv & none) != 0 && priv != none)) {
    return LineErr::InvalPrivSelect;
  }
  const std::uint32_t version = params.apiVersion != 0 ? params.apiVersion : app->apiVersion;
  if (version < kApiVersionLowest || version > kApiVersionHighest) {
    return LineErr::IncompatibleApiVersion;
  }
  auto& list = opensByDevice_[params.deviceId];
  if (list.empty()) {
    if (auto r = provider_.openLine(params.deviceId); !r) {
      opensByDevice_.erase(params.deviceId);
      return r.error() ? fail(r.error()) : fail(LineErr::OperationFailed);
    }
  }
  auto [oh, o] = opens_.emplace();
  o->app = ah;
  o->deviceId = params.deviceId;
  o->privileges = priv;
  o->mediaModes = params.mediaModes;
  o->apiVersion = version;
  o->callbackInstance = params.callbackInstance;
  o->order = nextOpenOrder_++;
  o->noAnswerTimeout = params.noAnswerTimeout;
  o->maxDuration = params.maxDuration;
  o->hLine = app->lines.insert(oh);
  list.push_back(oh);
  return o->hLine;
}

Result<void> Engine::close(std::uint32_t hLineApp, std::uint32_t hLine) {
  App* app = findApp(hLineApp);
  if (app == nullptr) {
    return LineErr::Uninitialized;
  }
  const OpenH* oh = app->lines.find(hLine);
  if (oh == nullptr) {
    return LineErr::InvalLineHandle;
  }
  closeLineOpen(*oh, ReleaseCause::LineClose);
  return {};
}

void Engine::closeLineOpen(OpenH openH, ReleaseCause cause) {
  LineOpen* o = opens_.get(openH);
  if (o == nullptr) {
    return;
  }
  const AppH ah = o->app;
  const std::uint32_t deviceId = o->deviceId;
  suppressRequests(ah, openH, std::nullopt);
  for (CallH ch : calls_.handles()) {
    Call* c = calls_.get(ch);
    if (c == nullptr || c->deleting) {
      continue;
    }
    for (std::size_t i = 0; i < c->holders.size(); ++i) {
      if (c->holders[i].line == openH) {
        releaseHolder(*c, i, cause);
        break;
      }
    }
  }
  if (App* app = apps_.get(ah)) {
    app->lines.erase(o->hLine);
  }
  auto& list = opensByDevice_[deviceId];
  std::erase(list, openH);
  opens_.erase(openH);
  if (list.empty()) {
    opensByDevice_.erase(deviceId);
    provider_.closeLine(deviceId);
  }
}

void Engine::suppressRequests(AppH app, std::optional<OpenH> line, std::optional<CallH> call) {
  for (auto& [id, r] : requests_) {
    if (r.app == app && (!line || r.line == *line) && (!call || r.call == *call)) {
      r.suppressed = true;
    }
  }
}

void Engine::onLineClosed(std::uint32_t deviceId) {
  auto it = opensByDevice_.find(deviceId);
  if (it == opensByDevice_.end()) {
    return;
  }
  const std::vector<OpenH> opens = it->second;
  for (OpenH oh : opens) {
    if (const LineOpen* o = opens_.get(oh)) {
      Message m;
      m.hDevice = o->hLine;
      m.type = MessageType::Close;
      m.callbackInstance = o->callbackInstance;
      enqueue(o->app, m);
    }
    closeLineOpen(oh, ReleaseCause::LineForcedClose);
  }
}

// ---------------------------------------------------------------------------------------
// Requests

spi::RequestId Engine::newRequest(RequestKind kind, AppH app, CallH call, OpenH line,
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

void Engine::onRequestComplete(spi::RequestId id, Result<void> result) {
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

  Call* c = calls_.get(req.call);
  if (c != nullptr && (c->deleting || c->closed)) {
    c = nullptr;
  }
  switch (req.kind) {
    case RequestKind::MakeCall: {
      reply();
      if (c == nullptr) {
        return;
      }
      Holder* requester = nullptr;
      for (Holder& h : c->holders) {
        if (h.app == req.app && h.hCall == req.hCall) {
          requester = &h;
        }
      }
      if (!result.ok()) {
        recordEnd(*c,
                  Termination{TerminationOrigin::ProviderFailure, Policy::None, "",
                              std::string("make call failed: ") + lineErrName(result.lineErr())},
                  disconnect::Unavail);
        for (std::size_t i = 0; i < c->holders.size(); ++i) {
          if (&c->holders[i] == requester) {
            releaseHolder(*c, i, ReleaseCause::Deallocate);
            break;
          }
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
      // Monitors of the line learn of the call as the requester gets its reply.
      const LineOpen* reqOpen = opens_.get(req.line);
      if (auto dit = opensByDevice_.find(c->deviceId); dit != opensByDevice_.end()) {
        for (OpenH oh : dit->second) {
          const LineOpen* o = opens_.get(oh);
          if (o == nullptr || !hasBit(o->privileges, Privilege::Monitor) ||
              (reqOpen != nullptr && o->app == reqOpen->app)) {
            continue;
          }
          bool already = false;
          for (const Holder& h : c->holders) {
            already = already || h.app == o->app;
          }
          App* app = apps_.get(o->app);
          if (already || app == nullptr) {
            continue;
          }
          Holder h;
          h.app = o->app;
          h.line = oh;
          h.privilege = Privilege::Monitor;
          h.valid = true;
          h.hCall = app->calls.insert(c->self);
          c->holders.push_back(h);
          const CallState actual = c->state;
          const std::uint32_t actualMode = c->mode;
          c->state = CallState::Unknown;
          c->mode = 0;
          announceNewHandle(*c, c->holders.back());
          c->state = actual;
          c->mode = actualMode;
          if (actual != CallState::Unknown) {
            sendCallState(*c, c->holders.back(), 0);
          }
        }
      }
      countHolders(*c);
      const base::Duration noAnswer = c->noAnswerTimeout.value_or(base::Duration::zero());
      if (noAnswer > base::Duration::zero() && !isEnded(c->state) &&
          c->state != CallState::Connected) {
        c->noAnswerTimer = scheduleForCall(*c, noAnswer, &Engine::onNoAnswer);
      }
      return;
    }
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

// ---------------------------------------------------------------------------------------
// Call control

Result<MakeCallResult> Engine::makeCall(std::uint32_t hLineApp, std::uint32_t hLine,
                                        const std::string& destination, const CallParams& params) {
  AppH ah;
  App* app = findApp(hLineApp, &ah);
  if (app == nullptr) {
    return LineErr::Uninitialized;
  }
  const OpenH* ohp = app->lines.find(hLine);
  if (ohp == nullptr) {
    return LineErr::InvalLineHandle;
  }
  const OpenH oh = *ohp;
  const LineOpen* o = opens_.get(oh);
  const spi::LineInfo* dev = device(o->deviceId);
  if (destination.empty()) {
    return LineErr::InvalAddress;
  }
  if (params.addressId >= dev->numAddresses) {
    return LineErr::InvalAddressId;
  }
  if (params.userUserInfo.size() > dev->maxUserUserInfo) {
    return LineErr::UserUserInfoTooBig;
  }
  auto [ch, c] = calls_.emplace();
  c->self = ch;
  c->deviceId = o->deviceId;
  c->createdMono = loop_.now();
  c->stateEntry = loop_.wallNow();
  c->record.created = loop_.wallNow();
  c->record.lineDeviceId = o->deviceId;
  c->record.addressId = params.addressId;
  c->record.origin = callorigin::Outbound;
  c->record.caller = Party{dev->address, app->name};
  c->record.called = Party{destination, ""};
  c->record.appName = app->name;
  c->record.uuiSent = params.userUserInfo;
  c->record.states.reserve(kTypicalStates);
  c->noAnswerTimeout = params.noAnswerTimeout
                           ? params.noAnswerTimeout
                           : (o->noAnswerTimeout ? o->noAnswerTimeout : config_.noAnswerTimeout);
  c->maxDuration = params.maxDuration ? params.maxDuration
                                      : (o->maxDuration ? o->maxDuration : config_.maxDuration);
  Holder h;
  h.app = ah;
  h.line = oh;
  h.privilege = Privilege::Owner;
  h.valid = false;
  h.hCall = app->calls.insert(ch);
  c->holders.push_back(h);
  countHolders(*c);
  const spi::RequestId rid = newRequest(RequestKind::MakeCall, ah, ch, oh, h.hCall);
  spi::MakeCallParams mp{destination, params.userUserInfo, params.addressId};
  auto r = provider_.makeCall(rid, o->deviceId, ch.packed(), mp);
  if (!r) {
    // A synchronous failure: the call never existed for anyone, and needs no closeCall.
    requests_.erase(rid);
    app->calls.erase(h.hCall);
    calls_.erase(ch);
    return fail(r.error());
  }
  c->hd = *r;
  return MakeCallResult{rid, h.hCall};
}

Result<spi::RequestId> Engine::answer(std::uint32_t hLineApp, std::uint32_t hCall,
                                      const std::string& uui) {
  auto r = resolve(hLineApp, hCall);
  if (!r) {
    return fail(r.error());
  }
  auto [c, h] = *r;
  if (h->privilege != Privilege::Owner) {
    return LineErr::NotOwner;
  }
  if (c->state != CallState::Offering && c->state != CallState::Accepted) {
    return LineErr::InvalCallState;
  }
  if (const spi::LineInfo* dev = device(c->deviceId); uui.size() > dev->maxUserUserInfo) {
    return LineErr::UserUserInfoTooBig;
  }
  const spi::RequestId rid = newRequest(RequestKind::Answer, h->app, c->self, h->line, hCall);
  if (auto pr = provider_.answer(rid, c->hd, uui); !pr) {
    requests_.erase(rid);
    return fail(pr.error());
  }
  if (!uui.empty()) {
    requests_[rid].uuiBefore = c->record.uuiSent;
    c->record.uuiSent = uui;
  }
  if (const App* app = apps_.get(h->app)) {
    c->record.appName = app->name;
  }
  return rid;
}

Result<spi::RequestId> Engine::accept(std::uint32_t hLineApp, std::uint32_t hCall,
                                      const std::string& uui) {
  auto r = resolve(hLineApp, hCall);
  if (!r) {
    return fail(r.error());
  }
  auto [c, h] = *r;
  if (h->privilege != Privilege::Owner) {
    return LineErr::NotOwner;
  }
  if (c->state != CallState::Offering) {
    return LineErr::InvalCallState;
  }
  if (const spi::LineInfo* dev = device(c->deviceId); uui.size() > dev->maxUserUserInfo) {
    return LineErr::UserUserInfoTooBig;
  }
  const spi::RequestId rid = newRequest(RequestKind::Accept, h->app, c->self, h->line, hCall);
  if (auto pr = provider_.accept(rid, c->hd, uui); !pr) {
    requests_.erase(rid);
    return fail(pr.error());
  }
  return rid;
}

Result<spi::RequestId> Engine::drop(std::uint32_t hLineApp, std::uint32_t hCall, std::uint32_t mode,
                                    const std::string& uui) {
  auto r = resolve(hLineApp, hCall);
  if (!r) {
    return fail(r.error());
  }
  auto [c, h] = *r;
  if (h->privilege != Privilege::Owner) {
    return LineErr::NotOwner;
  }
  if (c->state == CallState::Idle) {
    return LineErr::InvalCallState;
  }
  if (const spi::LineInfo* dev = device(c->deviceId); uui.size() > dev->maxUserUserInfo) {
    return LineErr::UserUserInfoTooBig;
  }
  if (mode == 0) {
    mode = (c->state == CallState::Offering || c->state == CallState::Accepted)
               ? disconnect::Reject
               : disconnect::Normal;
  }
  const App* app = apps_.get(h->app);
  const std::string appName = app != nullptr ? app->name : std::string{};
  if (c->networkCleared) {
    // The network side already ended (an engine policy cleared it): only the engine's
    // DISCONNECTED remains, so the drop completes here.
    const spi::RequestId rid = newRequest(RequestKind::LocalDrop, h->app, c->self, h->line, hCall);
    const CallH ch = c->self;
    loop_.post([this, rid, ch] {
      if (Call* call = calls_.get(ch);
          call != nullptr && !call->deleting && call->state != CallState::Idle) {
        transition(*call, CallState::Idle, 0);
      }
      onRequestComplete(rid, Result<void>{});
    });
    return rid;
  }
  const spi::RequestId rid = newRequest(RequestKind::Drop, h->app, c->self, h->line, hCall);
  std::optional<PendingEnd> previous = c->pendingEnd.toOptional();
  if (c->state != CallState::Disconnected) {
    c->pendingEnd =
        PendingEnd{Termination{TerminationOrigin::Local, Policy::None, appName, ""}, mode, false};
  }
  if (auto pr = provider_.drop(rid, c->hd, mode, uui); !pr) {
    requests_.erase(rid);
    c->pendingEnd = previous;
    return fail(pr.error());
  }
  if (!uui.empty() && c->state != CallState::Disconnected) {
    // Clearing a call the far end already ended sends nothing (no BYE follows a BYE).
    requests_[rid].uuiBefore = c->record.uuiSent;
    c->record.uuiSent = uui;
  }
  return rid;
}

Result<void> Engine::deallocate(std::uint32_t hLineApp, std::uint32_t hCall) {
  auto r = resolve(hLineApp, hCall);
  if (!r) {
    return r.lineErr() == LineErr::Uninitialized ? fail(LineErr::Uninitialized)
                                                 : fail(LineErr::InvalCallHandle);
  }
  auto [c, h] = *r;
  const std::uint32_t version = versionOf(*h);
  if (h->privilege == Privilege::Owner && c->state != CallState::Idle && version < kApiVersion20 &&
      c->record.numOwners == 1) {
    return LineErr::InvalCallState;
  }
  if (version < kApiVersion20) {
    suppressRequests(h->app, std::nullopt, c->self);
  }
  const std::size_t index = static_cast<std::size_t>(h - c->holders.data());
  releaseHolder(*c, index, ReleaseCause::Deallocate);
  return {};
}

// ---------------------------------------------------------------------------------------
// Queries and settings

Result<CallInfo> Engine::callInfo(std::uint32_t hLineApp, std::uint32_t hCall) const {
  auto r = resolve(hLineApp, hCall);
  if (!r) {
    return fail(r.error());
  }
  auto [c, h] = *r;
  CallInfo info;
  const LineOpen* o = opens_.get(h->line);
  info.hLine = o != nullptr ? o->hLine : 0;
  info.record = c->record;
  info.record.disconnectMode = downMapDisconnectMode(c->record.disconnectMode, versionOf(*h));
  return info;
}

Result<CallStatus> Engine::callStatus(std::uint32_t hLineApp, std::uint32_t hCall) const {
  auto r = resolve(hLineApp, hCall);
  if (!r) {
    return fail(r.error());
  }
  auto [c, h] = *r;
  CallStatus s;
  s.state = c->state;
  s.mode = modeForApp(c->state, c->mode, versionOf(*h));
  s.privilege = h->privilege;
  s.stateEntryTime = c->stateEntry;
  if (h->privilege == Privilege::Owner) {
    switch (c->state) {
      case CallState::Offering:
        s.features = callfeature::Accept | callfeature::Answer | callfeature::Drop;
        break;
      case CallState::Accepted:
        s.features = callfeature::Answer | callfeature::Drop;
        break;
      case CallState::Idle:
        s.features = 0;
        break;
      case CallState::DialTone:
      case CallState::Dialing:
      case CallState::Ringback:
      case CallState::Busy:
      case CallState::SpecialInfo:
      case CallState::Connected:
      case CallState::Proceeding:
      case CallState::OnHold:
      case CallState::Conferenced:
      case CallState::OnHoldPendConf:
      case CallState::OnHoldPendTransfer:
      case CallState::Disconnected:
      case CallState::Unknown:
        s.features = callfeature::Drop;
        break;
    }
  }
  return s;
}

Result<void> Engine::setAppSpecific(std::uint32_t hLineApp, std::uint32_t hCall,
                                    std::uint32_t value) {
  auto r = resolve(hLineApp, hCall);
  if (!r) {
    return fail(r.error());
  }
  auto [c, h] = *r;
  if (h->privilege != Privilege::Owner) {
    return LineErr::NotOwner;
  }
  c->record.appSpecific = value;
  sendCallInfoToOthers(*c, h->app, callinfostate::AppSpecific);
  return {};
}

Result<void> Engine::setCallPrivilege(std::uint32_t hLineApp, std::uint32_t hCall,
                                      Privilege privilege) {
  auto r = resolve(hLineApp, hCall);
  if (!r) {
    return fail(r.error());
  }
  auto [c, h] = *r;
  if (privilege != Privilege::Monitor && privilege != Privilege::Owner) {
    return LineErr::InvalCallPrivilege;
  }
  if (privilege == h->privilege) {
    return {};
  }
  if (privilege == Privilege::Monitor && c->record.numOwners == 1 && c->state != CallState::Idle) {
    return LineErr::InvalCallState;
  }
  h->privilege = privilege;
  const AppH causer = h->app;
  countHolders(*c);
  if (c->state != CallState::Idle) {
    sendCallInfoToOthers(*c, causer,
                         (privilege == Privilege::Owner ? callinfostate::NumOwnerIncr
                                                        : callinfostate::NumOwnerDecr) |
                             callinfostate::NumMonitors);
  }
  if (privilege == Privilege::Owner) {
    cancelTimer(c->ownerlessTimer);
    c->ownerlessWhy.reset();  // owned again: no longer a reason to end it
  }
  return {};
}

Result<void> Engine::handoff(std::uint32_t hLineApp, std::uint32_t hCall, const std::string& target,
                             std::uint32_t mediaMode) {
  auto r = resolve(hLineApp, hCall);
  if (!r) {
    return fail(r.error());
  }
  auto [c, h] = *r;
  if (h->privilege != Privilege::Owner) {
    return LineErr::NotOwner;
  }
  const AppH self = h->app;
  auto dit = opensByDevice_.find(c->deviceId);
  if (dit == opensByDevice_.end()) {
    return LineErr::TargetNotFound;
  }
  const LineOpen* chosen = nullptr;
  OpenH chosenH;
  bool onlySelf = false;
  for (OpenH oh : dit->second) {  // in open order: the first match has the highest priority
    const LineOpen* o = opens_.get(oh);
    if (o == nullptr || !hasBit(o->privileges, Privilege::Owner)) {
      continue;
    }
    const App* app = apps_.get(o->app);
    if (app == nullptr) {
      continue;
    }
    if (!target.empty()) {
      if (app->name == target) {
        chosen = o;
        chosenH = oh;
        break;
      }
      continue;
    }
    if ((o->mediaModes & mediaMode) == 0) {
      continue;
    }
    if (o->app == self) {
      onlySelf = true;
      continue;
    }
    chosen = o;
    chosenH = oh;
    break;
  }
  if (chosen == nullptr) {
    return onlySelf ? LineErr::TargetSelf : LineErr::TargetNotFound;
  }
  if (chosen->app == self) {
    return {};  // a handoff to oneself by name is allowed and changes nothing
  }
  const AppH targetApp = chosen->app;
  Holder* existing = nullptr;
  for (Holder& x : c->holders) {
    if (x.app == targetApp) {
      existing = &x;
    }
  }
  std::uint32_t bits = callinfostate::NumOwnerIncr;
  if (existing != nullptr) {
    if (existing->privilege == Privilege::Monitor) {
      bits |= callinfostate::NumMonitors;
    }
    existing->privilege = Privilege::Owner;
    countHolders(*c);
    sendCallState(*c, *existing, static_cast<std::uint32_t>(Privilege::Owner));
  } else {
    App* app = apps_.get(targetApp);
    Holder nh;
    nh.app = targetApp;
    nh.line = chosenH;
    nh.privilege = Privilege::Owner;
    nh.valid = true;
    nh.hCall = app->calls.insert(c->self);
    c->holders.push_back(nh);
    countHolders(*c);
    announceNewHandle(*c, c->holders.back());
  }
  cancelTimer(c->ownerlessTimer);
  c->ownerlessWhy.reset();  // owned again: no longer a reason to end it
  if (c->state != CallState::Idle) {
    // Tell everyone else (not the handing-off app, not the target) about the new owner.
    for (const Holder& x : c->holders) {
      if (!x.valid || x.app == self || x.app == targetApp) {
        continue;
      }
      const LineOpen* o = opens_.get(x.line);
      Message m;
      m.hDevice = x.hCall;
      m.type = MessageType::CallInfo;
      m.callbackInstance = o != nullptr ? o->callbackInstance : 0;
      m.param1 = bits;
      enqueue(x.app, m);
    }
  }
  return {};
}

Result<std::vector<std::uint32_t>> Engine::getNewCalls(std::uint32_t hLineApp, std::uint32_t hLine,
                                                       std::uint32_t addressId, CallSelect select) {
  AppH ah;
  App* app = findApp(hLineApp, &ah);
  if (app == nullptr) {
    return LineErr::Uninitialized;
  }
  const OpenH* oh = app->lines.find(hLine);
  if (oh == nullptr) {
    return LineErr::InvalLineHandle;
  }
  const LineOpen* o = opens_.get(*oh);
  if (select != CallSelect::Line && select != CallSelect::Address) {
    return LineErr::InvalCallSelect;
  }
  if (select == CallSelect::Address && addressId >= device(o->deviceId)->numAddresses) {
    return LineErr::InvalAddressId;
  }
  std::vector<std::uint32_t> out;
  for (CallH ch : calls_.handles()) {
    Call* c = calls_.get(ch);
    if (c == nullptr || c->deleting || c->closed || !c->announced || c->deviceId != o->deviceId) {
      continue;
    }
    if (select == CallSelect::Address && c->record.addressId != addressId) {
      continue;
    }
    bool known = false;
    for (const Holder& h : c->holders) {
      known = known || h.app == ah;
    }
    if (known) {
      continue;
    }
    Holder h;
    h.app = ah;
    h.line = *oh;
    h.privilege = Privilege::Monitor;
    h.valid = true;
    h.hCall = app->calls.insert(ch);
    c->holders.push_back(h);
    countHolders(*c);
    if (c->state != CallState::Idle) {
      sendCallInfoToOthers(*c, ah, callinfostate::NumMonitors);
    }
    out.push_back(h.hCall);
  }
  return out;
}

Result<std::optional<Message>> Engine::getMessage(std::uint32_t hLineApp) {
  App* app = findApp(hLineApp);
  if (app == nullptr) {
    return LineErr::InvalAppHandle;
  }
  if (app->queue.empty()) {
    return std::optional<Message>{};
  }
  Message m = app->queue.front();
  app->queue.pop_front();
  return std::optional<Message>{m};
}

std::size_t Engine::queuedMessages(std::uint32_t hLineApp) const {
  const App* app = findApp(hLineApp);
  return app != nullptr ? app->queue.size() : 0;
}

Result<std::uint32_t> Engine::appApiVersion(std::uint32_t hLineApp) const {
  const App* app = findApp(hLineApp);
  if (app == nullptr) {
    return LineErr::InvalAppHandle;
  }
  return app->apiVersion;
}

// ---------------------------------------------------------------------------------------
// Provider events

spi::EngineCallId Engine::onNewCall(std::uint32_t deviceId, spi::ProviderCallId hdCall,
                                    const spi::NewCallInfo& info) {
  if (shutDown_) {
    return 0;
  }
  auto dit = opensByDevice_.find(deviceId);
  if (dit == opensByDevice_.end()) {
    return 0;
  }
  std::vector<Holder> holders;
  bool ownerChosen = false;
  for (OpenH oh : dit->second) {
    const LineOpen* o = opens_.get(oh);
    if (o == nullptr) {
      continue;
    }
    bool appHas = false;
    for (const Holder& h : holders) {
      appHas = appHas || h.app == o->app;
    }
    if (appHas) {
      continue;
    }
    Holder h;
    h.app = o->app;
    h.line = oh;
    h.valid = true;
    if (!ownerChosen && hasBit(o->privileges, Privilege::Owner)) {
      h.privilege = Privilege::Owner;
      ownerChosen = true;
    } else if (hasBit(o->privileges, Privilege::Monitor)) {
      h.privilege = Privilege::Monitor;
    } else {
      continue;
    }
    holders.push_back(h);
  }
  if (holders.empty()) {
    return 0;  // nobody could see it: the provider rejects it
  }
  auto [ch, c] = calls_.emplace();
  c->self = ch;
  c->hd = hdCall;
  c->deviceId = deviceId;
  c->announced = true;
  c->createdMono = loop_.now();
  c->state = info.initialState;
  c->stateEntry = loop_.wallNow();
  c->record.created = loop_.wallNow();
  c->record.callId = info.callId;
  c->record.lineDeviceId = deviceId;
  c->record.addressId = info.addressId;
  c->record.origin = callorigin::Inbound;
  c->record.caller = info.caller;
  c->record.called = info.called;
  c->record.uuiReceived = info.userUserInfo;
  c->record.cause.callRef = info.providerRef;
  c->record.states.reserve(kTypicalStates);
  c->record.states.push_back(StateVisit{info.initialState, 0, c->stateEntry});
  c->record.offeringOrDialing = c->stateEntry;
  c->maxDuration = config_.maxDuration;
  for (const Holder& h : holders) {
    // The owner's lineOpen override applies to inbound calls as it does to outbound ones.
    if (const LineOpen* o = opens_.get(h.line);
        o != nullptr && h.privilege == Privilege::Owner && o->maxDuration) {
      c->maxDuration = o->maxDuration;
    }
  }
  for (Holder& h : holders) {
    App* app = apps_.get(h.app);
    h.hCall = app->calls.insert(ch);
    if (h.privilege == Privilege::Owner) {
      c->record.appName = app->name;
    }
    c->holders.push_back(h);
  }
  countHolders(*c);
  for (const Holder& h : c->holders) {
    announceNewHandle(*c, h);
  }
  if (!ownerChosen) {
    startOwnerless(*c, Termination{TerminationOrigin::Policy, Policy::Ownerless, "",
                                   "no owner application had the line open"});
  }
  return ch.packed();
}

void Engine::onCallState(spi::EngineCallId id, CallState state, std::uint32_t mode) {
  Call* c = findCall(id);
  if (c == nullptr || !c->announced) {
    return;
  }
  if (c->state == CallState::Idle) {
    return;  // IDLE is terminal: late events are dropped
  }
  bool hasOwner = false;
  for (const Holder& h : c->holders) {
    hasOwner = hasOwner || h.privilege == Privilege::Owner;
  }
  if (state == CallState::Idle && c->pendingEnd && c->pendingEnd->presentDisconnected && hasOwner &&
      c->state != CallState::Disconnected) {
    // An engine policy cleared the network side; owners see DISCONNECTED and must drop.
    c->networkCleared = true;
    const PendingEnd end = *c->pendingEnd;
    c->pendingEnd.reset();
    recordEnd(*c, end.termination, end.mode);
    transition(*c, CallState::Disconnected, end.mode);
    return;
  }
  if (isEnded(state) && c->record.termination.origin == TerminationOrigin::None) {
    if (state == CallState::Idle && c->pendingEnd) {
      recordEnd(*c, c->pendingEnd->termination, c->pendingEnd->mode);
    } else {
      Termination t{TerminationOrigin::Remote, Policy::None, "", ""};
      if (c->endHint) {
        switch (*c->endHint) {
          case spi::EndHint::Remote:
            break;
          case spi::EndHint::ProviderFailure:
            t.origin = TerminationOrigin::ProviderFailure;
            break;
          case spi::EndHint::SessionTimer:
            t.origin = TerminationOrigin::Policy;
            t.policy = Policy::SessionTimer;
            break;
        }
      }
      recordEnd(*c, t, state == CallState::Disconnected ? mode : disconnect::Normal);
    }
  }
  if (state == CallState::Idle) {
    c->networkCleared = true;
    c->pendingEnd.reset();
  }
  transition(*c, state, mode);
  if (state == CallState::Disconnected && !hasOwner) {
    startOwnerless(*c, Termination{TerminationOrigin::Policy, Policy::Ownerless, "",
                                   "ended with no owner to clear it"});
  }
}

void Engine::onCallInfo(spi::EngineCallId id, const spi::CallInfoUpdate& u) {
  Call* c = findCall(id);
  if (c == nullptr || c->state == CallState::Idle) {
    return;
  }
  std::uint32_t bits = 0;
  if (u.callId && *u.callId != c->record.callId) {
    c->record.callId = *u.callId;
    bits |= callinfostate::CallId;
  }
  if (u.caller && *u.caller != c->record.caller) {
    c->record.caller = *u.caller;
    bits |= callinfostate::CallerId;
  }
  if (u.called && *u.called != c->record.called) {
    c->record.called = *u.called;
    bits |= callinfostate::CalledId;
  }
  if (u.connected && *u.connected != c->record.connected) {
    c->record.connected = *u.connected;
    bits |= callinfostate::ConnectedId;
  }
  if (u.userUserInfo) {
    c->record.uuiReceived = *u.userUserInfo;
    bits |= callinfostate::UserUserInfo;
  }
  if (u.cause) {
    // An update without the provider's own reference keeps the one the call came with.
    const std::string callRef = c->record.cause.callRef;
    c->record.cause = *u.cause;
    if (c->record.cause.callRef.empty()) {
      c->record.cause.callRef = callRef;
    }
  }
  if (u.endHint) {
    c->endHint = u.endHint;
  }
  if (bits != 0 && c->announced) {
    sendCallInfoToOthers(*c, AppH{}, bits);
  }
}

// ---------------------------------------------------------------------------------------
// State machine and termination

void Engine::transition(Call& c, CallState state, std::uint32_t mode) {
  if (c.state == state && c.mode == mode) {
    return;
  }
  c.state = state;
  c.mode = mode;
  c.stateEntry = loop_.wallNow();
  c.record.states.push_back(StateVisit{state, mode, c.stateEntry});
  switch (state) {
    case CallState::Offering:
    case CallState::Accepted:
    case CallState::DialTone:
    case CallState::Dialing:
    case CallState::Proceeding:
    case CallState::Ringback:
      if (!c.record.offeringOrDialing) {
        c.record.offeringOrDialing = c.stateEntry;
      }
      break;
    case CallState::Connected:
      if (!c.record.connectedAt) {
        c.record.connectedAt = c.stateEntry;
        if (c.record.connected.empty()) {
          c.record.connected =
              c.record.origin == callorigin::Outbound ? c.record.called : c.record.caller;
        }
        cancelTimer(c.noAnswerTimer);
        const base::Duration maxDur = c.maxDuration.value_or(base::Duration::zero());
        if (maxDur > base::Duration::zero()) {
          c.maxDurationTimer = scheduleForCall(c, maxDur, &Engine::onMaxDuration);
        }
      }
      break;
    case CallState::Disconnected:
      if (!c.record.disconnectedAt) {
        c.record.disconnectedAt = c.stateEntry;
      }
      break;
    case CallState::Idle:
      c.record.idleAt = c.stateEntry;
      break;
    case CallState::Busy:
    case CallState::SpecialInfo:
    case CallState::OnHold:
    case CallState::Conferenced:
    case CallState::OnHoldPendConf:
    case CallState::OnHoldPendTransfer:
    case CallState::Unknown:
      break;
  }
  if (isEnded(state)) {
    cancelTimer(c.noAnswerTimer);
    cancelTimer(c.maxDurationTimer);
    if (state == CallState::Idle) {
      cancelTimer(c.ownerlessTimer);
    }
    if (config_.idleReclaimAfter > base::Duration::zero()) {
      cancelTimer(c.reclaimTimer);
      c.reclaimTimer = scheduleForCall(c, config_.idleReclaimAfter, &Engine::onReclaim);
    }
  }
  if (c.announced) {
    for (const Holder& h : c.holders) {
      if (h.valid) {
        sendCallState(c, h, 0);
      }
    }
  }
  if (state == CallState::Idle && !c.idleReported) {
    c.idleReported = true;
    if (config_.onCallIdle) {
      config_.onCallIdle(c.record);
    }
  }
}

void Engine::recordEnd(Call& c, const Termination& t, std::uint32_t mode) {
  if (c.record.termination.origin != TerminationOrigin::None) {
    return;  // the first end wins
  }
  c.record.termination = t;
  c.record.disconnectMode = mode;
}

void Engine::engineDrop(Call& c, PendingEnd end) {
  if (c.state == CallState::Idle || c.deleting) {
    return;
  }
  if (c.networkCleared || c.closed) {
    recordEnd(c, end.termination, end.mode);
    transition(c, CallState::Idle, 0);
    return;
  }
  c.pendingEnd = end;
  const spi::RequestId rid = newRequest(RequestKind::Internal, AppH{}, c.self, OpenH{}, 0);
  if (auto r = provider_.drop(rid, c.hd, end.mode, ""); !r) {
    requests_.erase(rid);
    c.pendingEnd.reset();
    log("engine drop of call " + std::to_string(c.record.callId) +
        " refused: " + lineErrName(r.lineErr()));
  }
}

void Engine::startOwnerless(Call& c, Termination why) {
  if (c.ownerlessTimer != 0 || c.state == CallState::Idle) {
    return;
  }
  c.ownerlessWhy = std::move(why);
  c.ownerlessTimer = scheduleForCall(c, config_.ownerlessGrace, &Engine::onOwnerless);
}

Termination Engine::terminationFor(ReleaseCause cause, const std::string& app, bool ownerless) {
  const Policy p = ownerless ? Policy::Ownerless : Policy::None;
  switch (cause) {
    case ReleaseCause::Deallocate:
      return ownerless ? Termination{TerminationOrigin::Policy, Policy::Ownerless, app,
                                     "the last owner released its handle"}
                       : Termination{TerminationOrigin::Local, Policy::None, app,
                                     "the last handle was released"};
    case ReleaseCause::LineClose:
      return Termination{TerminationOrigin::LineClose, p, app, "the line was closed"};
    case ReleaseCause::LineForcedClose:
      return Termination{TerminationOrigin::LineClose, Policy::None, "",
                         "the provider closed the line"};
    case ReleaseCause::AppShutdown:
      return Termination{TerminationOrigin::AppShutdown, p, app, "the application shut down"};
    case ReleaseCause::Reclaim:
      return Termination{TerminationOrigin::Policy, Policy::IdleReclaim, app,
                         "handles reclaimed after the call ended"};
    case ReleaseCause::EngineShutdown:
      return Termination{TerminationOrigin::ServerShutdown, Policy::None, "",
                         "the server shut down"};
  }
  return {};
}

void Engine::releaseHolder(Call& c, std::size_t index, ReleaseCause cause) {
  const Holder h = c.holders[index];
  c.holders.erase(c.holders.begin() + static_cast<std::ptrdiff_t>(index));
  App* app = apps_.get(h.app);
  const std::string appName = app != nullptr ? app->name : std::string{};
  if (app != nullptr) {
    app->calls.erase(h.hCall);
  }
  if (c.holders.empty()) {
    // The release that ends the call is not counted down (the record keeps who held it).
    // A call already left without an owner ends for that reason (e.g. its owner
    // deallocated it and the monitor let go during the grace period), not because the
    // last monitor released a handle.
    const bool ownerless = c.ownerlessWhy && c.state != CallState::Idle;
    finishCall(c, ownerless ? *c.ownerlessWhy : terminationFor(cause, appName, false));
    return;
  }
  if (cause == ReleaseCause::LineForcedClose || cause == ReleaseCause::EngineShutdown) {
    // Every handle on the line goes void in the same step (LINE_CLOSE): no owner/monitor
    // count change is reported on handles about to vanish, and no ownerless grace starts
    // for a call that is being released anyway.
    return;
  }
  countHolders(c);
  if (c.state == CallState::Idle || !c.announced) {
    return;
  }
  sendCallInfoToOthers(
      c, h.app,
      h.privilege == Privilege::Owner ? callinfostate::NumOwnerDecr : callinfostate::NumMonitors);
  if (h.privilege == Privilege::Owner && c.record.numOwners == 0) {
    startOwnerless(c, terminationFor(cause, appName, true));
  }
}

void Engine::finishCall(Call& c, const Termination& why) {
  if (c.deleting) {
    return;
  }
  cancelTimer(c.noAnswerTimer);
  cancelTimer(c.maxDurationTimer);
  cancelTimer(c.ownerlessTimer);
  cancelTimer(c.reclaimTimer);
  if (c.state != CallState::Idle) {
    recordEnd(c, why, disconnect::Normal);
    transition(c, CallState::Idle, 0);
  }
  if (!c.closed && c.hd != 0) {
    c.closed = true;
    provider_.closeCall(c.hd);  // drops it on the network if it is somehow still up
  }
  c.closed = true;
  c.deleting = true;
  c.record.releasedAt = loop_.wallNow();
  if (config_.onCallReleased) {
    config_.onCallReleased(c.record);
  }
  // Never freed while it may be on the call stack: the slot goes at the end of this turn.
  const CallH ch = c.self;
  loop_.post([this, ch] { calls_.erase(ch); });
}

void Engine::cancelTimer(base::TimerId& id) {
  if (id != 0) {
    loop_.cancel(id);
    id = 0;
  }
}

base::TimerId Engine::scheduleForCall(Call& c, base::Duration after, void (Engine::*fn)(CallH)) {
  const CallH ch = c.self;
  return loop_.schedule(after, [this, ch, fn] { (this->*fn)(ch); });
}

void Engine::onNoAnswer(CallH ch) {
  Call* c = calls_.get(ch);
  if (c == nullptr || c->deleting) {
    return;
  }
  c->noAnswerTimer = 0;
  if (isEnded(c->state) || c->state == CallState::Connected) {
    return;
  }
  const base::Duration after = c->noAnswerTimeout.value_or(base::Duration::zero());
  engineDrop(*c, PendingEnd{Termination{TerminationOrigin::Policy, Policy::NoAnswer, "",
                                        "not answered within " + secondsText(after)},
                            disconnect::NoAnswer, true});
}

void Engine::onMaxDuration(CallH ch) {
  Call* c = calls_.get(ch);
  if (c == nullptr || c->deleting) {
    return;
  }
  c->maxDurationTimer = 0;
  if (c->state != CallState::Connected) {
    return;
  }
  const base::Duration after = c->maxDuration.value_or(base::Duration::zero());
  engineDrop(*c, PendingEnd{Termination{TerminationOrigin::Policy, Policy::MaxDuration, "",
                                        "connected longer than " + secondsText(after)},
                            disconnect::Normal, true});
}

void Engine::onOwnerless(CallH ch) {
  Call* c = calls_.get(ch);
  if (c == nullptr || c->deleting) {
    return;
  }
  c->ownerlessTimer = 0;
  if (c->state == CallState::Idle || c->record.numOwners != 0) {
    return;
  }
  engineDrop(*c, PendingEnd{c->ownerlessWhy ? *c->ownerlessWhy : Termination{}, disconnect::Normal,
                            false});
}

void Engine::onReclaim(CallH ch) {
  Call* c = calls_.get(ch);
  if (c == nullptr || c->deleting) {
    return;
  }
  c->reclaimTimer = 0;
  const auto age = loop_.now() - c->createdMono;
  while (!c->holders.empty() && !c->deleting) {
    const Holder& h = c->holders.front();
    const App* app = apps_.get(h.app);
    log("reclaimed handle " + std::to_string(h.hCall) + " of app '" +
        (app != nullptr ? app->name : std::string{}) + "': call id " +
        std::to_string(c->record.callId) + ", state " + toString(c->state) + ", age " +
        secondsText(age));
    ++reclaimed_;
    releaseHolder(*c, 0, ReleaseCause::Reclaim);
  }
}

// ---------------------------------------------------------------------------------------
// Shutdown and accounting

void Engine::shutdownAll() {
  for (CallH ch : calls_.handles()) {
    Call* c = calls_.get(ch);
    if (c != nullptr && !c->deleting && c->state != CallState::Idle) {
      recordEnd(*c, terminationFor(ReleaseCause::EngineShutdown, "", false), disconnect::Normal);
    }
  }
  std::vector<OpenH> all = opens_.handles();
  for (OpenH oh : all) {
    if (const LineOpen* o = opens_.get(oh)) {
      Message m;
      m.hDevice = o->hLine;
      m.type = MessageType::Close;
      m.callbackInstance = o->callbackInstance;
      enqueue(o->app, m);
    }
    closeLineOpen(oh, ReleaseCause::EngineShutdown);
  }
  shutDown_ = true;
}

EngineStats Engine::stats() const {
  EngineStats s;
  s.apps = apps_.size();
  s.openLines = opens_.size();
  apps_.forEach([&](AppH, const App& a) {
    s.handles += a.calls.size();
    s.queuedEvents += a.queue.size();
  });
  s.calls = calls_.size();
  calls_.forEach([&](CallH, const Call& c) {
    s.timers += (c.noAnswerTimer != 0) + (c.maxDurationTimer != 0) + (c.ownerlessTimer != 0) +
                (c.reclaimTimer != 0);
  });
  s.pendingRequests = requests_.size();
  const spi::ProviderStats ps = provider_.stats();
  s.providerCalls = ps.calls;
  s.providerPendingRequests = ps.pendingRequests;
  s.timers += ps.timers;
  s.reclaimedHandles = reclaimed_;
  return s;
}

std::vector<CallRecord> Engine::callRecords() const {
  std::vector<CallRecord> out;
  calls_.forEach([&](CallH, const Call& c) {
    if (!c.deleting && c.announced) {
      out.push_back(c.record);
    }
  });
  return out;
}

std::vector<LeakEntry> Engine::leakReport() const {
  std::vector<LeakEntry> out;
  const base::TimePoint now = loop_.now();
  apps_.forEach([&](AppH, const App& a) {
    out.push_back(LeakEntry{"app", a.name, a.hLineApp, 0, CallState::Unknown, now - a.created});
  });
  opens_.forEach([&](OpenH, const LineOpen& o) {
    const App* a = apps_.get(o.app);
    out.push_back(
        LeakEntry{"line", a != nullptr ? a->name : "", o.hLine, 0, CallState::Unknown, {}});
  });
  calls_.forEach([&](CallH, const Call& c) {
    out.push_back(LeakEntry{"call", "", 0, c.record.callId, c.state, now - c.createdMono});
    for (const Holder& h : c.holders) {
      const App* a = apps_.get(h.app);
      out.push_back(LeakEntry{"handle", a != nullptr ? a->name : "", h.hCall, c.record.callId,
                              c.state, now - c.createdMono});
    }
  });
  for (const auto& [id, r] : requests_) {
    const App* a = apps_.get(r.app);
    out.push_back(LeakEntry{"request", a != nullptr ? a->name : "", id, 0, CallState::Unknown, {}});
  }
  for (const spi::ProviderLeak& l : provider_.leaks()) {
    if (l.count > 0) {
      out.push_back(LeakEntry{l.what, "", 0, 0, CallState::Unknown, {}, l.count});
    }
  }
  return out;
}

}  // namespace tapi::engine
