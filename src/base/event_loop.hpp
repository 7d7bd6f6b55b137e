#pragma once
// The loop abstraction every layer runs on: one thread owns all engine and SIP state, and
// time comes from the loop so tests can run on a simulated clock.

#include <chrono>
#include <cstdint>
#include <functional>

namespace tapi::base {

using Duration = std::chrono::nanoseconds;
/** Monotonic time of the loop: only for intervals and deadlines. */
using TimePoint = std::chrono::time_point<std::chrono::steady_clock, Duration>;
/** Wall-clock (UTC) time: for timestamps reported to applications and records. */
using WallTime = std::chrono::time_point<std::chrono::system_clock, Duration>;

/** Identifies a scheduled timer; 0 is never a valid id. */
using TimerId = std::uint64_t;

/**
 * A single-threaded event loop with timers.
 *
 * Tasks and timer callbacks run on the loop thread, one at a time, never inside the call
 * that posted or scheduled them. Only post() may be called from other threads.
 */
class EventLoop {
 public:
  using Task = std::function<void()>;

  virtual ~EventLoop() = default;

  /** Monotonic now. Loop thread only. */
  virtual TimePoint now() const = 0;
  /** Wall-clock now (for a simulated loop: a fixed epoch plus simulated time). */
  virtual WallTime wallNow() const = 0;

  /** Queues a task to run later on the loop. Any thread. */
  virtual void post(Task task) = 0;

  /**
   * Runs `task` once, `after` from now. Loop thread only.
   * @return an id for cancel(); never 0.
   */
  virtual TimerId schedule(Duration after, Task task) = 0;

  /** Cancels a pending timer. @return false if it already ran, was cancelled, or is 0. */
  virtual bool cancel(TimerId id) = 0;

  /** Number of timers scheduled and not yet run or cancelled (resource accounting). */
  virtual std::size_t pendingTimers() const = 0;

  /** True when called on the loop's own thread (always true for a simulated loop). */
  virtual bool onLoopThread() const = 0;
};

}  // namespace tapi::base
