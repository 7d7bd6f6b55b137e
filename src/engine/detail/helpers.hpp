#pragma once
// Small functions several of the engine's .cpp files share. Only the engine's own .cpp files
// include this header.

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <string>

#include "base/event_loop.hpp"
#include "spi/provider.hpp"

namespace tapi::engine::detail {

// Most calls visit at most six states (e.g. DIALING, PROCEEDING, RINGBACK, CONNECTED,
// DISCONNECTED, IDLE): reserving them at once avoids regrowth and its slack.
inline constexpr std::size_t kTypicalStates = 6;

// The state's mode as an app of `version` may see it: disconnect modes newer than the
// version are down-mapped, and LINECONNECTEDMODE_ exists only from API 1.4 on (spec §2).
inline std::uint32_t modeForApp(CallState state, std::uint32_t mode, std::uint32_t version) {
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

/** A duration as diagnostics and termination details print it ("1.5 s"). */
inline std::string secondsText(base::Duration d) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%g s",
                std::chrono::duration_cast<std::chrono::milliseconds>(d).count() / 1000.0);
  return buf;
}

}  // namespace tapi::engine::detail
