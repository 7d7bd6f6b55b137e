#include "providers/sim/sim_provider.hpp"

#include "providers/sim/sim_script.hpp"

#include <algorithm>
#include <utility>

namespace tapi::providers::sim {

using namespace std::chrono_literals;

const char* toString(Action a) noexcept {
  switch (a) {
    case Action::Dialing:
      return "dialing";
    case Action::Proceeding:
      return "proceeding";
    case Action::Ringback:
      return "ringback";
    case Action::Answer:
      return "answer";
    case Action::Busy:
      return "busy";
    case Action::Reject:
      return "reject";
    case Action::Unreachable:
      return "unreachable";
    case Action::RemoteHangup:
      return "remote-hangup";
    case Action::RemoteCancel:
      return "remote-cancel";
    case Action::ProviderFailure:
      return "provider-failure";
    case Action::SessionExpired:
      return "session-expired";
    case Action::AwaitAnswer:
      return "await-answer";
  }
  return "?";
}

Script answerAfter(base::Duration ring, base::Duration hangupAfter, std::uint32_t mode,
                   std::string uui) {
  Script s;
  s.steps = {{0ms, Action::Dialing},
             {0ms, Action::Proceeding},
             {0ms, Action::Ringback},
             {ring, Action::Answer}};
  if (hangupAfter > base::Duration::zero()) {
    s.steps.push_back({hangupAfter, Action::RemoteHangup, mode, std::move(uui)});
  }
  return s;
}

Script ringForever() {
  Script s;
  s.steps = {{0ms, Action::Dialing}, {0ms, Action::Proceeding}, {0ms, Action::Ringback}};
  return s;
}

SimProvider::SimProvider(base::EventLoop& loop, std::vector<LineConfig> lines)
    : loop_(loop), lineConfigs_(std::move(lines)), open_(lineConfigs_.size(), false) {
  defaultScript_ = std::make_shared<const Script>(answerAfter(1s));
}

SimProvider::~SimProvider() {
  for (auto& [id, c] : calls_) {
    loop_.cancel(c.stepTimer);
  }
  for (auto& [id, p] : pending_) {
    loop_.cancel(p.timer);
  }
}

void SimProvider::scriptDestination(const std::string& destination, Script script) {
  scripts_[destination] = std::make_shared<const Script>(std::move(script));
}

void SimProvider::setDefaultScript(Script script) {
  defaultScript_ = std::make_shared<const Script>(std::move(script));
}

std::vector<spi::LineInfo> SimProvider::lines() const {
  std::vector<spi::LineInfo> out;
  for (std::uint32_t i = 0; i < lineConfigs_.size(); ++i) {
    spi::LineInfo info;
    info.deviceId = i;
    info.name = lineConfigs_[i].name.empty() ? "sim/" + std::to_string(i) : lineConfigs_[i].name;
    info.address = lineConfigs_[i].address;
    out.push_back(std::move(info));
  }
  return out;
}

Result<void> SimProvider::openLine(std::uint32_t deviceId) {
  if (deviceId >= open_.size()) {
    return LineErr::BadDeviceId;
  }
  open_[deviceId] = true;
  return {};
}

void SimProvider::closeLine(std::uint32_t deviceId) {
  if (deviceId >= open_.size()) {
    return;
  }
  open_[deviceId] = false;
  std::vector<spi::ProviderCallId> doomed;
  for (auto& [id, c] : calls_) {
    if (c.deviceId == deviceId) {
      doomed.push_back(id);
    }
  }
  for (auto id : doomed) {
    closeCall(id);
  }
}

void SimProvider::forceCloseLine(std::uint32_t deviceId) {
  loop_.post([this, deviceId] {
    if (deviceId < open_.size() && open_[deviceId] && events_ != nullptr) {
      events_->onLineClosed(deviceId);
    }
  });
}

SimProvider::SimCall* SimProvider::find(spi::ProviderCallId id) {
  auto it = calls_.find(id);
  return it == calls_.end() ? nullptr : &it->second;
}

Result<spi::ProviderCallId> SimProvider::makeCall(spi::RequestId id, std::uint32_t deviceId,
                                                  spi::EngineCallId htCall,
                                                  const spi::MakeCallParams& params) {
  ++log_.makeCalls;
  if (deviceId >= open_.size() || !open_[deviceId]) {
    return LineErr::OperationFailed;
  }
  std::shared_ptr<const Script> shared = defaultScript_;
  if (auto sit = scripts_.find(params.destination); sit != scripts_.end()) {
    shared = sit->second;
  } else if (isScript(params.destination)) {
    auto parsed = parseScript(params.destination);
    if (!parsed) {
      return LineErr::InvalAddress;
    }
    shared = std::make_shared<const Script>(std::move(*parsed));
  }
  const Script& script = *shared;
  if (script.failMakeCallSync) {
    return LineErr::ResourceUnavail;
  }
  SimCall c;
  c.id = ++nextCallId_;
  c.ht = htCall;
  c.deviceId = deviceId;
  c.callId = nextNetworkCallId_++;
  c.script = std::move(shared);
  c.state = CallState::Unknown;
  auto [it, inserted] = calls_.emplace(c.id, std::move(c));
  SimCall& call = it->second;
  if (script.failMakeCall) {
    completeLater(call, id, LineErr::OperationFailed, script.requestLatency);
  } else {
    completeLater(call, id, Result<void>{}, script.requestLatency);
  }
  return call.id;
}

Result<void> SimProvider::answer(spi::RequestId id, spi::ProviderCallId callId,
                                 std::string_view /*uui*/) {
  SimCall* c = find(callId);
  if (c == nullptr) {
    return LineErr::InvalCallHandle;
  }
  ++log_.answers;
  if (c->state != CallState::Offering && c->state != CallState::Accepted) {
    return LineErr::InvalCallState;
  }
  if (c->script->failAnswer) {
    completeLater(*c, id, LineErr::OperationFailed, c->script->requestLatency);
    return {};
  }
  // Connected like a scripted answer: LINECONNECTEDMODE_ACTIVE (never a mode of 0).
  report(*c, CallState::Connected, 1 /* LINECONNECTEDMODE_ACTIVE */);
  completeLater(*c, id, Result<void>{}, c->script->requestLatency);
  // An inbound script waiting for the answer continues from here.
  if (c->nextStep < c->script->steps.size() &&
      c->script->steps[c->nextStep].action == Action::AwaitAnswer) {
    ++c->nextStep;
    scheduleNextStep(*c);
  }
  return {};
}

Result<void> SimProvider::accept(spi::RequestId id, spi::ProviderCallId callId,
                                 std::string_view /*uui*/) {
  SimCall* c = find(callId);
  if (c == nullptr) {
    return LineErr::InvalCallHandle;
  }
  if (c->state != CallState::Offering) {
    return LineErr::InvalCallState;
  }
  if (c->script->failAccept) {
    completeLater(*c, id, LineErr::OperationFailed, c->script->requestLatency);
    return {};
  }
  report(*c, CallState::Accepted, 0);
  completeLater(*c, id, Result<void>{}, c->script->requestLatency);
  return {};
}

Result<void> SimProvider::drop(spi::RequestId id, spi::ProviderCallId callId, std::uint32_t mode,
                               std::string_view uui) {
  SimCall* c = find(callId);
  if (c == nullptr) {
    return LineErr::InvalCallHandle;
  }
  if (c->state == CallState::Idle) {
    return LineErr::InvalCallState;
  }
  ++log_.drops;
  log_.dropModes.push_back(mode);
  log_.dropUuis.emplace_back(uui);
  if (c->script->failDrop) {
    completeLater(*c, id, LineErr::OperationFailed,
                  c->script->dropLatency.value_or(c->script->requestLatency));
    return {};
  }
  loop_.cancel(c->stepTimer);
  c->stepTimer = 0;
  c->nextStep = c->script->steps.size();
  report(*c, CallState::Idle, 0);
  completeLater(*c, id, Result<void>{}, c->script->dropLatency.value_or(c->script->requestLatency));
  return {};
}

void SimProvider::closeCall(spi::ProviderCallId callId) {
  SimCall* c = find(callId);
  if (c == nullptr) {
    ++log_.closeCallsUnknown;
    return;
  }
  ++log_.closeCalls;
  forget(*c);
}

void SimProvider::forget(SimCall& c) {
  loop_.cancel(c.stepTimer);
  // Outstanding requests complete with OPERATIONFAILED (posted, exactly once), in the
  // order they were made.
  std::vector<spi::RequestId> outstanding;
  for (const auto& [rid, p] : pending_) {
    if (p.call == c.id) {
      outstanding.push_back(rid);
    }
  }
  std::sort(outstanding.begin(), outstanding.end());
  for (auto rid : outstanding) {
    auto pit = pending_.find(rid);
    loop_.cancel(pit->second.timer);
    pending_.erase(pit);
    loop_.post([this, rid] {
      if (events_ != nullptr) {
        events_->onRequestComplete(rid, LineErr::OperationFailed);
      }
    });
  }
  calls_.erase(c.id);  // a live call is dropped silently: the network side is gone with it
}

spi::ProviderStats SimProvider::stats() const {
  spi::ProviderStats s;
  s.calls = calls_.size();
  s.pendingRequests = pending_.size();
  for (const auto& [id, c] : calls_) {
    s.timers += c.stepTimer != 0 ? 1 : 0;
  }
  for (const auto& [id, p] : pending_) {
    s.timers += p.timer != 0 ? 1 : 0;
  }
  for (bool o : open_) {
    s.openLines += o ? 1 : 0;
  }
  return s;
}

Result<spi::ProviderCallId> SimProvider::placeInbound(std::uint32_t deviceId, Inbound in) {
  if (deviceId >= open_.size() || !open_[deviceId]) {
    return LineErr::InvalLineHandle;
  }
  SimCall c;
  c.id = ++nextCallId_;
  c.deviceId = deviceId;
  c.callId = in.callId != 0 ? in.callId : nextNetworkCallId_++;
  c.inbound = true;
  c.state = CallState::Offering;
  c.script = std::make_shared<const Script>(std::move(in.script));
  const spi::ProviderCallId id = c.id;
  spi::NewCallInfo info;
  info.callId = c.callId;
  info.caller = std::move(in.caller);
  info.called = std::move(in.called);
  info.userUserInfo = std::move(in.uui);
  info.initialState = CallState::Offering;
  info.providerRef = "sim-" + std::to_string(id);
  calls_.emplace(id, std::move(c));
  loop_.post([this, id, info = std::move(info)] {
    SimCall* call = find(id);
    if (call == nullptr || events_ == nullptr) {
      return;
    }
    const spi::EngineCallId ht = events_->onNewCall(call->deviceId, id, info);
    call = find(id);  // the engine may have closed it from inside onNewCall
    if (call == nullptr) {
      return;
    }
    if (ht == 0) {
      forget(*call);  // refused: reject on the network and forget
      return;
    }
    call->ht = ht;
    call->announced = true;
    scheduleNextStep(*call);
  });
  return id;
}

void SimProvider::completeLater(SimCall& c, spi::RequestId id, Result<void> r,
                                base::Duration after) {
  Pending p;
  p.call = c.id;
  const spi::ProviderCallId callId = c.id;
  auto task = [this, id, r, callId] {
    auto it = pending_.find(id);
    if (it == pending_.end()) {
      return;  // already completed by closeCall
    }
    pending_.erase(it);
    if (SimCall* call = find(callId)) {
      if (!call->announced && r.ok()) {
        // A successful make call: the call is live from now on and its script starts.
        call->announced = true;
        if (events_ != nullptr) {
          spi::CallInfoUpdate u;
          u.callId = call->callId;
          events_->onCallInfo(call->ht, u);
        }
        scheduleNextStep(*call);
      }
    }
    complete(id, r);
  };
  if (after > base::Duration::zero()) {
    p.timer = loop_.schedule(after, [this, id, task] {
      if (auto it = pending_.find(id); it != pending_.end()) {
        it->second.timer = 0;
      }
      task();
    });
  } else {
    loop_.post(task);
  }
  pending_.emplace(id, p);
}

void SimProvider::complete(spi::RequestId id, Result<void> r) {
  if (events_ != nullptr) {
    events_->onRequestComplete(id, r);
  }
}

void SimProvider::report(SimCall& c, CallState state, std::uint32_t mode) {
  c.state = state;
  const spi::ProviderCallId id = c.id;
  loop_.post([this, id, state, mode] {
    SimCall* call = find(id);
    if (call == nullptr || !call->announced || events_ == nullptr) {
      return;  // closed, or not yet known to the engine: nothing may reach it
    }
    events_->onCallState(call->ht, state, mode);
  });
}

void SimProvider::scheduleNextStep(SimCall& c) {
  if (c.nextStep >= c.script->steps.size()) {
    return;
  }
  const Step& step = c.script->steps[c.nextStep];
  if (step.action == Action::AwaitAnswer) {
    return;
  }
  const spi::ProviderCallId id = c.id;
  c.stepTimer = loop_.schedule(step.after, [this, id] { runStep(id); });
}

void SimProvider::runStep(spi::ProviderCallId id) {
  SimCall* c = find(id);
  if (c == nullptr) {
    return;
  }
  c->stepTimer = 0;
  const Step step = c->script->steps[c->nextStep++];
  auto endWith = [&](std::uint32_t defaultMode, std::optional<spi::EndHint> hint) {
    spi::CallInfoUpdate u;
    if (!step.uui.empty()) {
      u.userUserInfo = step.uui;
    }
    if (step.cause.code != 0 || !step.cause.text.empty()) {
      u.cause = step.cause;
    }
    u.endHint = hint;
    const spi::ProviderCallId cid = c->id;
    loop_.post([this, cid, u = std::move(u)] {
      SimCall* call = find(cid);
      if (call != nullptr && call->announced && events_ != nullptr) {
        events_->onCallInfo(call->ht, u);
      }
    });
    report(*c, CallState::Disconnected, step.mode != 0 ? step.mode : defaultMode);
    c->nextStep = c->script->steps.size();  // nothing more happens on its own
  };
  switch (step.action) {
    case Action::Dialing:
      report(*c, CallState::Dialing, 0);
      break;
    case Action::Proceeding:
      report(*c, CallState::Proceeding, 0);
      break;
    case Action::Ringback:
      report(*c, CallState::Ringback, 0);
      break;
    case Action::Answer: {
      spi::CallInfoUpdate u;
      if (!step.uui.empty()) {
        u.userUserInfo = step.uui;
        const spi::ProviderCallId cid = c->id;
        loop_.post([this, cid, u] {
          SimCall* call = find(cid);
          if (call != nullptr && call->announced && events_ != nullptr) {
            events_->onCallInfo(call->ht, u);
          }
        });
      }
      report(*c, CallState::Connected, 1 /* LINECONNECTEDMODE_ACTIVE */);
      break;
    }
    case Action::Busy:
      endWith(disconnect::Busy, spi::EndHint::Remote);
      break;
    case Action::Reject:
      endWith(disconnect::Reject, spi::EndHint::Remote);
      break;
    case Action::Unreachable:
      endWith(disconnect::Unreachable, spi::EndHint::Remote);
      break;
    case Action::RemoteHangup:
      endWith(disconnect::Normal, spi::EndHint::Remote);
      break;
    case Action::ProviderFailure:
      endWith(disconnect::Unavail, spi::EndHint::ProviderFailure);
      break;
    case Action::SessionExpired:
      endWith(disconnect::TempFailure, spi::EndHint::SessionTimer);
      break;
    case Action::RemoteCancel:
      // Nothing is left to clear after a cancelled offer: DISCONNECTED, then IDLE at once.
      endWith(disconnect::Cancelled, spi::EndHint::Remote);
      report(*c, CallState::Idle, 0);
      break;
    case Action::AwaitAnswer:
      return;
  }
  scheduleNextStep(*c);
}

}  // namespace tapi::providers::sim
