#pragma once
// A deterministic event loop on a simulated clock: time moves only when the test says so,
// and timers due at the same instant run in the order they were scheduled.

#include <map>
#include <mutex>
#include <unordered_map>
#include <utility>
#include <vector>

#include "base/event_loop.hpp"

namespace tapi::base {

class SimLoop final : public EventLoop {
 public:
  /** @param wallEpoch the wall-clock time that simulated time 0 corresponds to. */
  explicit SimLoop(WallTime wallEpoch = WallTime{std::chrono::seconds{1767225600}});

  // EventLoop
  TimePoint now() const override { return now_; }
  WallTime wallNow() const override { return wallEpoch_ + now_.time_since_epoch(); }
  void post(Task task) override;
  TimerId schedule(Duration after, Task task) override;
  bool cancel(TimerId id) override;
  std::size_t pendingTimers() const override { return index_.size(); }
  bool onLoopThread() const override { return true; }

  /** Runs posted tasks and due timers until none is left; time does not move. @return tasks run. */
  std::size_t runUntilIdle();
  /** Moves time forward by `d`, running due timers and posted tasks in time order. */
  void advance(Duration d);
  /** Runs until no task and no timer is left, or until `limit` of simulated time passed. */
  void runUntilQuiet(Duration limit);
  /** Time of the next timer, if any. */
  bool nextTimer(TimePoint* out) const;

 private:
  using Key = std::pair<TimePoint, std::uint64_t>;
  void fireDue();

  WallTime wallEpoch_;
  TimePoint now_{};
  std::uint64_t seq_ = 0;
  std::map<Key, std::pair<TimerId, Task>> timers_;
  std::unordered_map<TimerId, Key> index_;
  std::mutex postedMutex_;  // post() may be called from other threads
  std::vector<Task> posted_;
};

}  // namespace tapi::base
