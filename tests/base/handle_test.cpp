#include "base/handle.hpp"

#include <gtest/gtest.h>

#include <deque>
#include <random>
#include <unordered_set>

namespace tapi::base {
namespace {

struct Obj {
  int v = 0;
};

TEST(SlotMap, StaleHandleFindsNothingAfterSlotReuse) {
  SlotMap<Obj> map;
  auto [h1, p1] = map.emplace(Obj{1});
  ASSERT_EQ(map.get(h1), p1);
  EXPECT_TRUE(map.erase(h1));
  EXPECT_EQ(map.get(h1), nullptr);
  EXPECT_FALSE(map.erase(h1));
  auto [h2, p2] = map.emplace(Obj{2});
  EXPECT_EQ(h2.slot, h1.slot);  // the slot is reused ...
  EXPECT_NE(h2.gen, h1.gen);    // ... under a new generation
  EXPECT_EQ(map.get(h1), nullptr);
  EXPECT_EQ(map.get(h2)->v, 2);
  EXPECT_EQ(map.get(Handle<Obj>{}), nullptr);
  EXPECT_EQ(map.get(Handle<Obj>{99, 1}), nullptr);
}

TEST(AppHandleTable, ValuesAreNeverZeroAndForeignValuesAreUnknown) {
  AppHandleTable<int> a;
  AppHandleTable<int> b;
  const auto va = a.insert(1);
  const auto vb = b.insert(2);
  EXPECT_NE(va, 0u);
  EXPECT_NE(vb, 0u);
  EXPECT_EQ(a.find(0), nullptr);
  EXPECT_EQ(a.find(0xDEADBEEF), nullptr);
  EXPECT_TRUE(a.erase(va));
  EXPECT_EQ(a.find(va), nullptr);  // stale
}

TEST(AppHandleTable, WrapSkipsZeroAndValuesStillHeld) {
  AppHandleTable<int> t(0xFFFFFFFEu);
  const auto held = t.insert(0);  // 0xFFFFFFFE, kept across the wrap
  EXPECT_EQ(held, 0xFFFFFFFEu);
  EXPECT_EQ(t.insert(0), 0xFFFFFFFFu);
  EXPECT_EQ(t.insert(0), 1u);  // skipped 0
  // Allocate around to the held value again: it must be skipped.
  AppHandleTable<int> u(0xFFFFFFFFu);
  const auto v1 = u.insert(0);
  EXPECT_EQ(v1, 0xFFFFFFFFu);
  const auto v2 = u.insert(0);
  EXPECT_EQ(v2, 1u);
}

// 10 million allocate/release cycles: no value handed out may equal any of the values
// released in the recent past (here: the last 1 million), nor a value still held.
TEST(AppHandleTable, TenMillionCyclesNeverRepeatARecentValue) {
  AppHandleTable<std::uint32_t> t;
  constexpr std::size_t kCycles = 10'000'000;
  constexpr std::size_t kWindow = 1'000'000;
  std::deque<std::uint32_t> live;  // a few live handles, like an app with calls up
  std::uint32_t lastValue = 0;
  std::mt19937 rng(42);
  std::size_t violations = 0;
  for (std::size_t i = 0; i < kCycles; ++i) {
    const auto v = t.insert(static_cast<std::uint32_t>(i));
    // Strictly increasing values over this range imply no recent value can repeat.
    if (v <= lastValue) {
      ++violations;
    }
    lastValue = v;
    live.push_back(v);
    if (live.size() > 8 || (rng() & 1u)) {
      const auto victim = live.front();
      live.pop_front();
      ASSERT_TRUE(t.erase(victim));
      ASSERT_EQ(t.find(victim), nullptr);
    }
  }
  EXPECT_EQ(violations, 0u);
  // And explicitly: the last kWindow released values are all distinct from current ones.
  std::unordered_set<std::uint32_t> liveSet(live.begin(), live.end());
  EXPECT_EQ(liveSet.size(), live.size());
  EXPECT_GE(lastValue, kCycles - kWindow);
}

}  // namespace
}  // namespace tapi::base
