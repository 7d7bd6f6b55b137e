#pragma once
// Call state predicates the engine's .cpp files share. Only the engine's own .cpp files
// include this header.

#include "spi/provider.hpp"

namespace tapi::engine::detail {

/** DISCONNECTED or IDLE. */
inline bool isEnded(CallState s) noexcept {
  return s == CallState::Disconnected || s == CallState::Idle;
}

}  // namespace tapi::engine::detail
