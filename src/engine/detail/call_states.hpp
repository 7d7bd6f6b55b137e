#pragma once
// The call state machine's allowed arrows. TAPI publishes no full table (spec §2); this one
// encodes the documented rules: IDLE is terminal, every live state may end (DISCONNECTED or
// IDLE), a DISCONNECTED call only goes IDLE, OFFERING and ACCEPTED are reached only while an
// inbound call is being offered, an established call does not go back to setting up, and a
// known state never falls back to UNKNOWN. Only the engine's own .cpp files (and its tests)
// include this header.

#include "spi/provider.hpp"

namespace tapi::engine::detail {

/**
 * Whether a call in `from` may move to `to`. A move to the same state (a mode change, such as
 * CONNECTED ACTIVE -> ACTIVEHELD) is allowed for every state but IDLE.
 */
bool callArrowAllowed(CallState from, CallState to) noexcept;

/** DISCONNECTED or IDLE. */
inline bool isEnded(CallState s) noexcept {
  return s == CallState::Disconnected || s == CallState::Idle;
}

}  // namespace tapi::engine::detail
