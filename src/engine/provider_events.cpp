// spi::Events: what the provider reports (new calls, call states, call information, a
// line taken away). Request completions are in requests.cpp.

#include <algorithm>
#include <vector>

#include "engine/detail/call_states.hpp"
#include "engine/detail/engine_impl.hpp"
#include "engine/detail/helpers.hpp"

namespace tapi::engine::detail {

spi::EngineCallId EngineImpl::onNewCall(std::uint32_t deviceId, spi::ProviderCallId hdCall,
                                        const spi::NewCallInfo& info) {
  if (shutDown_) {
    return 0;
  }
  auto dit = opensByDevice_.find(deviceId);
  if (dit == opensByDevice_.end()) {
    return 0;
  }
  // Who gets a handle: one per app, through its first open that may see the call; the first
  // open with owner privilege (in open order) owns it.
  struct Candidate {
    AppH app;
    OpenH line;
    Privilege privilege = Privilege::Monitor;
  };
  std::vector<Candidate> candidates;
  bool ownerChosen = false;
  for (OpenH oh : dit->second) {
    const LineOpen* o = opens_.get(oh);
    if (o == nullptr || std::any_of(candidates.begin(), candidates.end(),
                                    [&](const Candidate& k) { return k.app == o->app; })) {
      continue;
    }
    if (!ownerChosen && o->allows(Privilege::Owner)) {
      candidates.push_back(Candidate{o->app, oh, Privilege::Owner});
      ownerChosen = true;
    } else if (o->allows(Privilege::Monitor)) {
      candidates.push_back(Candidate{o->app, oh, Privilege::Monitor});
    }
  }
  if (candidates.empty()) {
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
  for (const Candidate& k : candidates) {
    // The owner's lineOpen override applies to inbound calls as it does to outbound ones.
    if (const LineOpen* o = opens_.get(k.line);
        o != nullptr && k.privilege == Privilege::Owner && o->maxDuration) {
      c->maxDuration = o->maxDuration;
    }
  }
  for (const Candidate& k : candidates) {
    App* app = apps_.get(k.app);
    c->addHolder(k.app, *app, k.line, k.privilege, true);
    if (k.privilege == Privilege::Owner) {
      c->record.appName = app->name;
    }
  }
  c->countHolders();
  for (const Holder& h : c->holders) {
    announceNewHandle(*c, h);
  }
  if (!ownerChosen) {
    startOwnerless(*c, Termination{TerminationOrigin::Policy, Policy::Ownerless, "",
                                   "no owner application had the line open"});
  }
  return ch.packed();
}

void EngineImpl::onCallState(spi::EngineCallId id, CallState state, std::uint32_t mode) {
  CallEntry* c = findCall(id);
  if (c == nullptr || !c->announced) {
    return;
  }
  if (c->state == CallState::Idle) {
    return;  // IDLE is terminal: late events are dropped
  }
  const bool hasOwner = c->hasOwner();
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

void EngineImpl::onCallInfo(spi::EngineCallId id, const spi::CallInfoUpdate& u) {
  CallEntry* c = findCall(id);
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

void EngineImpl::onLineClosed(std::uint32_t deviceId) {
  auto it = opensByDevice_.find(deviceId);
  if (it == opensByDevice_.end()) {
    return;
  }
  const std::vector<OpenH> opens = it->second;
  for (OpenH oh : opens) {
    if (const LineOpen* o = opens_.get(oh)) {
      sendLineClose(*o);
    }
    closeLineOpen(oh, ReleaseCause::LineForcedClose);
  }
}

}  // namespace tapi::engine::detail
