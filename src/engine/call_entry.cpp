#include "engine/detail/call_entry.hpp"

#include <cassert>

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

}  // namespace tapi::engine::detail
