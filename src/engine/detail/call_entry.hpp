#pragma once
// One physical call as the engine keeps it: its state, its post-connection record, the
// applications holding a handle to it, and the timers its policies have armed. Only the
// engine's own .cpp files include this header.

#include <cstddef>
#include <cstdint>
#include <optional>
#include <vector>

#include "base/boxed.hpp"
#include "base/event_loop.hpp"
#include "engine/detail/engine_types.hpp"

namespace tapi::engine::detail {

/** Cancels `id` if it is armed and sets it to 0. */
void cancelTimer(base::EventLoop& loop, base::TimerId& id);

/** The timers a call's policies may have armed; 0 means not armed. */
struct CallTimers {
  base::TimerId noAnswer = 0;     // an outbound call not answered within its timeout
  base::TimerId maxDuration = 0;  // connected longer than its maximum
  base::TimerId ownerless = 0;    // the grace period of a live call with no owner
  base::TimerId reclaim = 0;      // handles still held this long after the call ended

  /** How many are armed (resource accounting). */
  std::size_t armed() const noexcept;
  /** Cancels every armed timer. */
  void cancelAll(base::EventLoop& loop);
};

/** Where a call is in its life as an engine object (its call state is separate). */
enum class CallLifecycle : std::uint8_t {
  Live,      // held by at least one application (or being set up for one)
  Released,  // the last handle went: the provider's side is closed, and the slot is freed
             // at the end of the current loop turn
};

/** One engine call. Owned by the engine's call table; addressed by CallH. */
struct CallEntry {
  CallH self;
  spi::ProviderCallId hd = 0;
  std::uint32_t deviceId = 0;
  CallState state = CallState::Unknown;
  std::uint32_t mode = 0;
  WallTime stateEntry{};
  base::TimePoint createdMono{};
  bool announced = false;       // apps have been told of it (an outbound call: its make-call
                                // succeeded)
  bool networkCleared = false;  // the provider's side is idle; only the engine's remains
  CallLifecycle lifecycle = CallLifecycle::Live;
  std::vector<Holder> holders;
  CallRecord record;
  std::optional<spi::EndHint> endHint;
  base::Boxed<PendingEnd> pendingEnd;  // set by a drop the engine or an app started
  std::optional<base::Duration> noAnswerTimeout;
  std::optional<base::Duration> maxDuration;
  CallTimers timers;
  base::Boxed<Termination> ownerlessWhy;  // what made it ownerless: recorded if the grace
                                          // period ends
  bool idleReported = false;

  bool released() const noexcept { return lifecycle == CallLifecycle::Released; }

  /** The holder of `app`'s handle `hCall`, or nullptr. */
  Holder* holder(AppH app, std::uint32_t hCall);
  /** The holder of `app`'s handle (an app holds at most one per call), or nullptr. */
  Holder* holderOf(AppH app);
  /** Whether `app` holds a handle to this call. */
  bool heldBy(AppH app) const;
  /** Whether any holder is an owner. */
  bool hasOwner() const;
  /** The index of `h`, which must be one of this call's holders. */
  std::size_t indexOf(const Holder& h) const;
  /**
   * Gives `app` (whose handle is `appH`) a new handle to this call through its open `line`.
   * @return the new holder; the reference is valid until `holders` next changes.
   */
  Holder& addHolder(AppH appH, App& app, OpenH line, Privilege privilege, bool valid);
  /** Recounts owners and monitors into the record; frozen once the call is IDLE. */
  void countHolders();
};

}  // namespace tapi::engine::detail
