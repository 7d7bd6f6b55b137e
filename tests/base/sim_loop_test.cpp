#include "base/sim_loop.hpp"

#include <gtest/gtest.h>

#include <string>

namespace tapi::base {
namespace {

using namespace std::chrono_literals;

TEST(SimLoop, TimersFireInDeadlineThenScheduleOrder) {
  SimLoop loop;
  std::string seen;
  loop.schedule(20ms, [&] { seen += "c"; });
  loop.schedule(10ms, [&] { seen += "a"; });
  loop.schedule(10ms, [&] { seen += "b"; });
  EXPECT_EQ(loop.pendingTimers(), 3u);
  loop.advance(15ms);
  EXPECT_EQ(seen, "ab");
  loop.advance(5ms);
  EXPECT_EQ(seen, "abc");
  EXPECT_EQ(loop.pendingTimers(), 0u);
}

TEST(SimLoop, CancelPreventsFiringAndIsIdempotent) {
  SimLoop loop;
  int fired = 0;
  const TimerId id = loop.schedule(1s, [&] { ++fired; });
  EXPECT_TRUE(loop.cancel(id));
  EXPECT_FALSE(loop.cancel(id));
  EXPECT_FALSE(loop.cancel(0));
  loop.advance(2s);
  EXPECT_EQ(fired, 0);
}

TEST(SimLoop, TimeSeenByTimerIsItsDeadline) {
  SimLoop loop;
  TimePoint at{};
  loop.schedule(7ms, [&] {
    at = loop.now();
    loop.schedule(3ms, [&] { at = loop.now(); });
  });
  loop.advance(8ms);
  EXPECT_EQ(at.time_since_epoch(), 7ms);
  loop.advance(10ms);
  EXPECT_EQ(at.time_since_epoch(), 10ms);
  EXPECT_EQ(loop.now().time_since_epoch(), 18ms);
}

TEST(SimLoop, PostedTasksNeverRunInsidePost) {
  SimLoop loop;
  int ran = 0;
  loop.post([&] {
    ++ran;
    loop.post([&] { ++ran; });
    EXPECT_EQ(ran, 1);
  });
  EXPECT_EQ(ran, 0);
  EXPECT_EQ(loop.runUntilIdle(), 2u);
  EXPECT_EQ(ran, 2);
}

}  // namespace
}  // namespace tapi::base
