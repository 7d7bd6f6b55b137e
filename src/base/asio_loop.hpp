#pragma once
// The real-time event loop: a Boost.Asio io_context run by one thread.

#include <atomic>
#include <memory>
#include <thread>
#include <unordered_map>

#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>

#include "base/event_loop.hpp"

namespace tapi::base {

class AsioLoop final : public EventLoop {
 public:
  AsioLoop();
  ~AsioLoop() override;

  // EventLoop
  TimePoint now() const override;
  WallTime wallNow() const override;
  void post(Task task) override;
  TimerId schedule(Duration after, Task task) override;
  bool cancel(TimerId id) override;
  std::size_t pendingTimers() const override { return timers_.size(); }
  bool onLoopThread() const override;

  /** Runs the loop on the calling thread until stop(). */
  void run();
  /** Starts a thread that runs the loop. */
  void start();
  /** Stops the loop and joins the thread started by start(). Any thread but the loop's. */
  void stop();

  boost::asio::io_context& context() { return io_; }

 private:
  boost::asio::io_context io_;
  std::unique_ptr<boost::asio::executor_work_guard<boost::asio::io_context::executor_type>> work_;
  std::thread thread_;
  std::atomic<std::thread::id> loopThread_{};
  TimerId nextId_ = 0;
  std::unordered_map<TimerId, std::unique_ptr<boost::asio::steady_timer>> timers_;
};

}  // namespace tapi::base
