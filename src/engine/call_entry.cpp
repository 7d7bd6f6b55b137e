#include "engine/detail/call_entry.hpp"

#include <cassert>

#include "engine/detail/call_states.hpp"

namespace tapi::engine::detail {

// ---------------------------------------------------------------------------------------
// Timers

void cancelTimer(base::EventLoop& loop, base::TimerId& id) {
  if (id != 0) {
    loop.cancel(id);
    id = 0;
  }
}

std::size_t CallTimers::armed() const noexcept {
  return static_cast<std::size_t>(noAnswer != 0) + static_cast<std::size_t>(maxDuration != 0) +
         static_cast<std::size_t>(ownerless != 0) + static_cast<std::size_t>(reclaim != 0);
}

void CallTimers::cancelAll(base::EventLoop& loop) {
  cancelTimer(loop, noAnswer);
  cancelTimer(loop, maxDuration);
  cancelTimer(loop, ownerless);
  cancelTimer(loop, reclaim);
}

// ---------------------------------------------------------------------------------------
// Holders

Holder* CallEntry::holder(AppH app, std::uint32_t hCall) {
  for (Holder& h : holders) {
    if (h.app == app && h.hCall == hCall) {
      return &h;
    }
  }
  return nullptr;
}

Holder* CallEntry::holderOf(AppH app) {
  for (Holder& h : holders) {
    if (h.app == app) {
      return &h;
    }
  }
  return nullptr;
}

bool CallEntry::heldBy(AppH app) const {
  for (const Holder& h : holders) {
    if (h.app == app) {
      return true;
    }
  }
  return false;
}

bool CallEntry::hasOwner() const {
  for (const Holder& h : holders) {
    if (h.owner()) {
      return true;
    }
  }
  return false;
}

std::size_t CallEntry::indexOf(const Holder& h) const {
  assert(&h >= holders.data() && &h < holders.data() + holders.size());
  return static_cast<std::size_t>(&h - holders.data());
}

Holder& CallEntry::addHolder(AppH appH, App& app, OpenH line, Privilege privilege, bool valid) {
  Holder h;
  h.app = appH;
  h.line = line;
  h.privilege = privilege;
  h.valid = valid;
  h.hCall = app.calls.insert(self);
  holders.push_back(h);
  return holders.back();
}

void CallEntry::countHolders() {
  if (state == CallState::Idle) {
    // The counts are post-connection data: they freeze when the call ends, so the record
    // written at release says who held the call, not the 0/0 left once every handle went.
    return;
  }
  std::uint32_t owners = 0;
  std::uint32_t monitors = 0;
  for (const Holder& h : holders) {
    (h.owner() ? owners : monitors) += 1;
  }
  record.numOwners = owners;
  record.numMonitors = monitors;
}

// ---------------------------------------------------------------------------------------
// Call state arrows

namespace {

// An outbound call's progress: the provider reports any subset, in any order (spec §2),
// and a failed attempt may stop in BUSY or SPECIALINFO before it ends.
bool isSettingUp(CallState s) noexcept {
  switch (s) {
    case CallState::DialTone:
    case CallState::Dialing:
    case CallState::Proceeding:
    case CallState::Ringback:
    case CallState::Busy:
    case CallState::SpecialInfo:
      return true;
    case CallState::Idle:
    case CallState::Offering:
    case CallState::Accepted:
    case CallState::Connected:
    case CallState::OnHold:
    case CallState::Conferenced:
    case CallState::OnHoldPendConf:
    case CallState::OnHoldPendTransfer:
    case CallState::Disconnected:
    case CallState::Unknown:
      return false;
  }
  return false;
}

// A call that was answered: connected, or held or conferenced from there.
bool isEstablished(CallState s) noexcept {
  switch (s) {
    case CallState::Connected:
    case CallState::OnHold:
    case CallState::Conferenced:
    case CallState::OnHoldPendConf:
    case CallState::OnHoldPendTransfer:
      return true;
    case CallState::Idle:
    case CallState::Offering:
    case CallState::Accepted:
    case CallState::DialTone:
    case CallState::Dialing:
    case CallState::Proceeding:
    case CallState::Ringback:
    case CallState::Busy:
    case CallState::SpecialInfo:
    case CallState::Disconnected:
    case CallState::Unknown:
      return false;
  }
  return false;
}

}  // namespace

bool callArrowAllowed(CallState from, CallState to) noexcept {
  if (from == CallState::Idle) {
    return false;  // IDLE is terminal: a call never leaves it
  }
  if (from == to || isEnded(to)) {
    return true;  // a mode change, or the end every live call may reach
  }
  switch (from) {
    case CallState::Unknown:
      return true;  // a placeholder: the real state follows, whatever it is
    case CallState::Offering:
      return to == CallState::Accepted || isEstablished(to);
    case CallState::Accepted:
      return isEstablished(to);
    case CallState::DialTone:
    case CallState::Dialing:
    case CallState::Proceeding:
    case CallState::Ringback:
    case CallState::Busy:
    case CallState::SpecialInfo:
      return isSettingUp(to) || isEstablished(to);
    case CallState::Connected:
    case CallState::OnHold:
    case CallState::Conferenced:
    case CallState::OnHoldPendConf:
    case CallState::OnHoldPendTransfer:
      return isEstablished(to);
    case CallState::Disconnected:  // the far end has gone: only IDLE (above) follows
    case CallState::Idle:
      return false;
  }
  return false;
}

}  // namespace tapi::engine::detail
