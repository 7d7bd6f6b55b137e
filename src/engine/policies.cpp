// The timed termination policies: no answer, maximum duration, ownerless grace, and idle
// reclaim of handles left after a call ended.

#include <string>

#include "engine/detail/call_states.hpp"
#include "engine/detail/engine_impl.hpp"
#include "engine/detail/helpers.hpp"

namespace tapi::engine::detail {

void EngineImpl::arm(CallEntry& c, TimerSlot slot, base::Duration after, TimerFired fired) {
  const CallH ch = c.self;
  c.timers.*slot = loop_.schedule(after, [this, ch, slot, fired] {
    // The prologue every policy shares: the call may be gone, or released this turn.
    CallEntry* call = calls_.get(ch);
    if (call == nullptr || call->released()) {
      return;
    }
    call->timers.*slot = 0;
    (this->*fired)(*call);
  });
}

void EngineImpl::startOwnerless(CallEntry& c, Termination why) {
  if (c.timers.ownerless != 0 || c.state == CallState::Idle) {
    return;
  }
  c.ownerlessWhy = std::move(why);
  arm(c, &CallTimers::ownerless, config_.ownerlessGrace, &EngineImpl::onOwnerless);
}

void EngineImpl::onNoAnswer(CallEntry& c) {
  if (isEnded(c.state) || c.state == CallState::Connected) {
    return;
  }
  const base::Duration after = c.noAnswerTimeout.value_or(base::Duration::zero());
  engineDrop(c, PendingEnd{Termination{TerminationOrigin::Policy, Policy::NoAnswer, "",
                                       "not answered within " + secondsText(after)},
                           disconnect::NoAnswer, true});
}

void EngineImpl::onMaxDuration(CallEntry& c) {
  if (c.state != CallState::Connected) {
    return;
  }
  const base::Duration after = c.maxDuration.value_or(base::Duration::zero());
  engineDrop(c, PendingEnd{Termination{TerminationOrigin::Policy, Policy::MaxDuration, "",
                                       "connected longer than " + secondsText(after)},
                           disconnect::Normal, true});
}

void EngineImpl::onOwnerless(CallEntry& c) {
  if (c.state == CallState::Idle || c.record.numOwners != 0) {
    return;
  }
  engineDrop(
      c, PendingEnd{c.ownerlessWhy ? *c.ownerlessWhy : Termination{}, disconnect::Normal, false});
}

void EngineImpl::onReclaim(CallEntry& c) {
  const auto age = loop_.now() - c.createdMono;
  while (!c.holders.empty() && !c.released()) {
    const Holder& h = c.holders.front();
    const App* app = apps_.get(h.app);
    log("reclaimed handle " + std::to_string(h.hCall) + " of app '" +
        (app != nullptr ? app->name : std::string{}) + "': call id " +
        std::to_string(c.record.callId) + ", state " + toString(c.state) + ", age " +
        secondsText(age));
    ++reclaimed_;
    releaseHolder(c, 0, ReleaseCause::Reclaim);
  }
}

}  // namespace tapi::engine::detail
