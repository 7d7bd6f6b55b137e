#include "base/asio_loop.hpp"

#include <boost/asio/post.hpp>

namespace tapi::base {

AsioLoop::AsioLoop()
    : work_(std::make_unique<boost::asio::executor_work_guard<boost::asio::io_context::executor_type>>(
          io_.get_executor())) {}

AsioLoop::~AsioLoop() {
  stop();
  timers_.clear();
}

TimePoint AsioLoop::now() const {
  return std::chrono::time_point_cast<Duration>(std::chrono::steady_clock::now());
}

WallTime AsioLoop::wallNow() const {
  return std::chrono::time_point_cast<Duration>(std::chrono::system_clock::now());
}

void AsioLoop::post(Task task) { boost::asio::post(io_, std::move(task)); }

TimerId AsioLoop::schedule(Duration after, Task task) {
  const TimerId id = ++nextId_;
  auto timer = std::make_unique<boost::asio::steady_timer>(io_);
  timer->expires_after(after);
  timer->async_wait([this, id, task = std::move(task)](const boost::system::error_code& ec) {
    if (ec) {
      return;  // cancelled: the entry is already gone
    }
    auto it = timers_.find(id);
    if (it == timers_.end()) {
      return;
    }
    // Free the timer before running the task, so the task sees accurate accounting.
    auto keep = std::move(it->second);
    timers_.erase(it);
    task();
    boost::asio::post(io_, [k = std::move(keep)]() {});
  });
  timers_.emplace(id, std::move(timer));
  return id;
}

bool AsioLoop::cancel(TimerId id) {
  auto it = timers_.find(id);
  if (it == timers_.end()) {
    return false;
  }
  it->second->cancel();
  // The cancelled handler still holds no reference to the timer object itself, but the
  // timer must outlive its pending wait: release it on a later turn.
  boost::asio::post(io_, [t = std::shared_ptr<boost::asio::steady_timer>(std::move(it->second))]() {});
  timers_.erase(it);
  return true;
}

bool AsioLoop::onLoopThread() const { return loopThread_.load() == std::this_thread::get_id(); }

void AsioLoop::run() {
  loopThread_ = std::this_thread::get_id();
  io_.run();
  loopThread_ = std::thread::id{};
}

void AsioLoop::start() {
  thread_ = std::thread([this] { run(); });
}

void AsioLoop::stop() {
  work_.reset();
  if (thread_.joinable()) {
    if (thread_.get_id() == std::this_thread::get_id()) {
      io_.stop();
      thread_.detach();
      return;
    }
    post([this] { io_.stop(); });
    thread_.join();
  }
}

}  // namespace tapi::base
