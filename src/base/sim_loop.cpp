#include "base/sim_loop.hpp"

namespace tapi::base {

SimLoop::SimLoop(WallTime wallEpoch) : wallEpoch_(wallEpoch) {}

void SimLoop::post(Task task) {
  std::lock_guard lock(postedMutex_);
  posted_.push_back(std::move(task));
}

TimerId SimLoop::schedule(Duration after, Task task) {
  if (after < Duration::zero()) {
    after = Duration::zero();
  }
  const TimerId id = ++seq_;
  const Key key{now_ + after, id};
  timers_.emplace(key, std::make_pair(id, std::move(task)));
  index_.emplace(id, key);
  return id;
}

bool SimLoop::cancel(TimerId id) {
  auto it = index_.find(id);
  if (it == index_.end()) {
    return false;
  }
  timers_.erase(it->second);
  index_.erase(it);
  return true;
}

std::size_t SimLoop::runUntilIdle() {
  std::size_t ran = 0;
  for (;;) {
    std::vector<Task> batch;
    {
      std::lock_guard lock(postedMutex_);
      batch.swap(posted_);
    }
    if (batch.empty()) {
      // Timers already due (e.g. scheduled with zero delay) are runnable without moving time.
      if (!timers_.empty() && timers_.begin()->first.first <= now_) {
        auto node = timers_.extract(timers_.begin());
        index_.erase(node.mapped().first);
        node.mapped().second();
        ++ran;
        continue;
      }
      return ran;
    }
    for (auto& t : batch) {
      t();
      ++ran;
    }
  }
}

void SimLoop::fireDue() { runUntilIdle(); }

void SimLoop::advance(Duration d) {
  const TimePoint end = now_ + d;
  runUntilIdle();
  while (!timers_.empty() && timers_.begin()->first.first <= end) {
    now_ = std::max(now_, timers_.begin()->first.first);
    fireDue();
  }
  now_ = end;
  runUntilIdle();
}

void SimLoop::runUntilQuiet(Duration limit) {
  const TimePoint end = now_ + limit;
  runUntilIdle();
  while (!timers_.empty() && timers_.begin()->first.first <= end) {
    now_ = std::max(now_, timers_.begin()->first.first);
    fireDue();
  }
}

bool SimLoop::nextTimer(TimePoint* out) const {
  if (timers_.empty()) {
    return false;
  }
  *out = timers_.begin()->first.first;
  return true;
}

}  // namespace tapi::base
