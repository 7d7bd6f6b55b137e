#include "base/fd_budget.hpp"

#include <fcntl.h>
#include <sys/resource.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include "base/backoff.hpp"

namespace tapi::base {
namespace {

using std::chrono::milliseconds;

TEST(Backoff, DoublesFromTheFirstDelayUpToTheCeilingAndResets) {
  Backoff b(milliseconds{10}, milliseconds{1000});
  const long expected[] = {10, 20, 40, 80, 160, 320, 640, 1000, 1000};
  for (long e : expected) {
    EXPECT_EQ(b.next().count(), e);
  }
  EXPECT_EQ(b.failures(), 9u);
  b.reset();
  EXPECT_EQ(b.failures(), 0u);
  EXPECT_EQ(b.next().count(), 10);
}

TEST(Backoff, ACeilingBelowTheFirstDelayIsTheFirstDelay) {
  Backoff b(milliseconds{50}, milliseconds{5});
  EXPECT_EQ(b.next().count(), 50);
  EXPECT_EQ(b.next().count(), 50);
}

TEST(Backoff, OnlyDescriptorExhaustionCounts) {
  EXPECT_TRUE(isOutOfDescriptors(EMFILE));
  EXPECT_TRUE(isOutOfDescriptors(ENFILE));
  EXPECT_FALSE(isOutOfDescriptors(ECONNABORTED));
  EXPECT_FALSE(isOutOfDescriptors(0));
}

// A budget over a fake descriptor count and a fake clock.
struct FakeFds {
  std::size_t open = 0;
  bool readable = true;
  int counts = 0;
  std::chrono::steady_clock::time_point now{};

  FdBudget budget(std::size_t limit, std::size_t reserve) {
    return FdBudget(
        limit, reserve,
        [this]() -> std::optional<std::size_t> {
          ++counts;
          if (!readable) {
            return std::nullopt;
          }
          return open;
        },
        [this] { return now; });
  }
};

TEST(FdBudget, AdmitsUntilOnlyTheReserveIsLeft) {
  FakeFds fds;
  fds.open = 20;
  FdBudget b = fds.budget(64, 8);
  EXPECT_EQ(b.available(), 36u);
  for (int i = 0; i < 18; ++i) {
    ASSERT_TRUE(b.admit(2)) << i;  // a call's RTP + RTCP pair
  }
  EXPECT_EQ(b.open(), 56u);
  EXPECT_EQ(b.available(), 0u);
  fds.open = 56;  // the descriptors really were opened
  fds.now += milliseconds{20};
  EXPECT_FALSE(b.admit(2));
  EXPECT_FALSE(b.admit(1));
  EXPECT_EQ(b.refusals(), 2u);
}

TEST(FdBudget, CountsAgainWhenTheCachedFigureIsOld) {
  FakeFds fds;
  fds.open = 10;
  FdBudget b = fds.budget(100, 10);
  const int first = fds.counts;
  fds.open = 50;
  EXPECT_TRUE(b.admit(1));
  EXPECT_EQ(fds.counts, first);  // fresh: no second count
  EXPECT_EQ(b.open(), 11u);
  fds.now += milliseconds{100};
  EXPECT_TRUE(b.admit(1));
  EXPECT_EQ(fds.counts, first + 1);
  EXPECT_EQ(b.open(), 51u);
}

TEST(FdBudget, ARefusalIsDecidedOnAFreshCountAtMostEveryMinAge) {
  FakeFds fds;
  fds.open = 90;
  FdBudget b = fds.budget(100, 10);
  fds.now += milliseconds{10};
  EXPECT_FALSE(b.admit(1));
  fds.open = 40;  // descriptors were closed meanwhile
  fds.now += milliseconds{5};
  const int before = fds.counts;
  EXPECT_FALSE(b.admit(1));  // too soon to count again
  EXPECT_EQ(fds.counts, before);
  fds.now += milliseconds{5};
  EXPECT_TRUE(b.admit(1));  // 10 ms after the last count: counted, and there is room
  EXPECT_EQ(fds.counts, before + 1);
  EXPECT_EQ(b.refusals(), 2u);
}

TEST(FdBudget, AnUnreadableCountMeansFull) {
  FakeFds fds;
  fds.readable = false;
  FdBudget b = fds.budget(100, 10);
  EXPECT_EQ(b.open(), 100u);
  EXPECT_FALSE(b.admit(1));
}

TEST(FdBudget, GiveBackReturnsAdmittedDescriptors) {
  FakeFds fds;
  fds.open = 5;
  FdBudget b = fds.budget(20, 5);
  ASSERT_TRUE(b.admit(10));
  EXPECT_EQ(b.available(), 0u);
  b.giveBack(3);
  EXPECT_EQ(b.available(), 3u);
  b.giveBack(100);
  EXPECT_EQ(b.open(), 0u);
}

TEST(FdBudget, DefaultReserveIsASixteenthOfTheLimitAtLeastEight) {
  EXPECT_EQ(defaultFdReserve(64), 8u);
  EXPECT_EQ(defaultFdReserve(1024), 64u);
  EXPECT_EQ(defaultFdReserve(20000), 1250u);
}

TEST(FdCount, CountsTheProcessDescriptors) {
  const auto before = countOpenFds();
  ASSERT_TRUE(before.has_value());
  const int a = ::open("/dev/null", O_RDONLY | O_CLOEXEC);
  const int b = ::open("/dev/null", O_RDONLY | O_CLOEXEC);
  ASSERT_GE(a, 0);
  ASSERT_GE(b, 0);
  EXPECT_EQ(countOpenFds(), *before + 2);
  ::close(a);
  ::close(b);
  EXPECT_EQ(countOpenFds(), before);
}

TEST(FdCount, RaisingTheLimitReachesTheHardLimit) {
  rlimit rl{};
  ASSERT_EQ(::getrlimit(RLIMIT_NOFILE, &rl), 0);
  const rlimit saved = rl;
  if (rl.rlim_max != RLIM_INFINITY && rl.rlim_max > 64) {
    rl.rlim_cur = 64;
    ASSERT_EQ(::setrlimit(RLIMIT_NOFILE, &rl), 0);
    EXPECT_EQ(fileLimit(), 64u);
    EXPECT_EQ(raiseFileLimit(), static_cast<std::size_t>(rl.rlim_max));
  }
  ASSERT_EQ(::setrlimit(RLIMIT_NOFILE, &saved), 0);
}

}  // namespace
}  // namespace tapi::base
