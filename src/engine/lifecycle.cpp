// A call's life: checked state transitions, the end it records, the drops the engine
// starts itself, handle release, and the release of the call once its last handle is gone.

#include <spdlog/spdlog.h>

#include <string>

#include "engine/detail/call_states.hpp"
#include "engine/detail/engine_impl.hpp"

namespace tapi::engine::detail {

void EngineImpl::transition(CallEntry& c, CallState state, std::uint32_t mode) {
  if (c.state == state && c.mode == mode) {
    return;
  }
  if (!callArrowAllowed(c.state, state)) {
    ++refusedTransitions_;
    log("call " + std::to_string(c.record.callId) + ": refused " + toString(c.state) + " -> " +
        toString(state));
    return;
  }
  spdlog::debug("engine call {}: {} -> {}", c.record.callId, toString(c.state), toString(state));
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
        cancelTimer(loop_, c.timers.noAnswer);
        const base::Duration maxDur = c.maxDuration.value_or(base::Duration::zero());
        if (maxDur > base::Duration::zero()) {
          arm(c, &CallTimers::maxDuration, maxDur, &EngineImpl::onMaxDuration);
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
    cancelTimer(loop_, c.timers.noAnswer);
    cancelTimer(loop_, c.timers.maxDuration);
    if (state == CallState::Idle) {
      cancelTimer(loop_, c.timers.ownerless);
    }
    if (config_.idleReclaimAfter > base::Duration::zero()) {
      cancelTimer(loop_, c.timers.reclaim);
      arm(c, &CallTimers::reclaim, config_.idleReclaimAfter, &EngineImpl::onReclaim);
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

void EngineImpl::recordEnd(CallEntry& c, const Termination& t, std::uint32_t mode) {
  if (c.record.termination.origin != TerminationOrigin::None) {
    return;  // the first end wins
  }
  c.record.termination = t;
  c.record.disconnectMode = mode;
}

void EngineImpl::engineDrop(CallEntry& c, PendingEnd end) {
  if (c.state == CallState::Idle || c.released()) {
    return;
  }
  if (c.networkCleared) {
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

Termination EngineImpl::terminationFor(ReleaseCause cause, const std::string& app, bool ownerless) {
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

void EngineImpl::releaseHolder(CallEntry& c, std::size_t index, ReleaseCause cause) {
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
  c.countHolders();
  if (c.state == CallState::Idle || !c.announced) {
    return;
  }
  sendCallInfoToOthers(c, h.app,
                       h.owner() ? callinfostate::NumOwnerDecr : callinfostate::NumMonitors);
  if (h.owner() && c.record.numOwners == 0) {
    startOwnerless(c, terminationFor(cause, appName, true));
  }
}

void EngineImpl::finishCall(CallEntry& c, const Termination& why) {
  if (c.released()) {
    return;
  }
  c.timers.cancelAll(loop_);
  if (c.state != CallState::Idle) {
    recordEnd(c, why, disconnect::Normal);
    transition(c, CallState::Idle, 0);
  }
  c.lifecycle = CallLifecycle::Released;
  if (c.hd != 0) {
    provider_.closeCall(c.hd);  // drops it on the network if it is somehow still up
  }
  c.record.releasedAt = loop_.wallNow();
  if (config_.onCallReleased) {
    config_.onCallReleased(c.record);
  }
  // Never freed while it may be on the call stack: the slot goes at the end of this turn.
  const CallH ch = c.self;
  loop_.post([this, ch] { calls_.erase(ch); });
}

}  // namespace tapi::engine::detail
