#include "providers/sim/sim_script.hpp"

#include <gtest/gtest.h>

namespace tapi::providers::sim {
namespace {

using namespace std::chrono_literals;

TEST(SimScript, DurationsNeedAUnit) {
  EXPECT_EQ(*parseDuration("250ms"), base::Duration(250ms));
  EXPECT_EQ(*parseDuration("2s"), base::Duration(2s));
  EXPECT_EQ(*parseDuration("1m"), base::Duration(60s));
  EXPECT_EQ(*parseDuration("0"), base::Duration(0s));
  EXPECT_FALSE(parseDuration("5").ok());
  EXPECT_FALSE(parseDuration("s").ok());
  EXPECT_FALSE(parseDuration("-1s").ok());
  EXPECT_FALSE(parseDuration("99999999999s").ok());
}

TEST(SimScript, AnswerThenHangup) {
  auto s = parseScript("sim:answer=2s;hangup=5s;mode=busy;uui=bye");
  ASSERT_TRUE(s.ok());
  ASSERT_EQ(s->steps.size(), 5u);
  EXPECT_EQ(s->steps[3].action, Action::Answer);
  EXPECT_EQ(s->steps[3].after, base::Duration(2s));
  EXPECT_EQ(s->steps[4].action, Action::RemoteHangup);
  EXPECT_EQ(s->steps[4].after, base::Duration(5s));
  EXPECT_EQ(s->steps[4].mode, disconnect::Busy);
  EXPECT_EQ(s->steps[4].uui, "bye");
}

TEST(SimScript, OutcomesAndFailures) {
  auto busy = parseScript("sim:busy;after=500ms");
  ASSERT_TRUE(busy.ok());
  EXPECT_EQ(busy->steps.back().action, Action::Busy);
  EXPECT_EQ(busy->steps.back().after, base::Duration(500ms));
  auto ring = parseScript("sim:ring");
  ASSERT_TRUE(ring.ok());
  EXPECT_EQ(ring->steps.back().action, Action::Ringback);
  EXPECT_TRUE(parseScript("sim:fail")->failMakeCall);
  auto in = parseScript("sim:cancel=3s", true);
  ASSERT_TRUE(in.ok());
  ASSERT_EQ(in->steps.size(), 1u);
  EXPECT_EQ(in->steps[0].action, Action::RemoteCancel);
  auto in2 = parseScript("sim:hangup=1s", true);
  ASSERT_EQ(in2->steps.size(), 2u);
  EXPECT_EQ(in2->steps[0].action, Action::AwaitAnswer);
}

TEST(SimScript, GarbageIsRefused) {
  for (const char* bad : {"200", "sim:answer", "sim:answer=x", "sim:mode=NOPE", "sim:explode",
                          "sim:ring=3s", "sim:hangup=-1s"}) {
    EXPECT_EQ(parseScript(bad).lineErr(), LineErr::InvalAddress) << bad;
  }
  EXPECT_TRUE(parseScript("sim:").ok());
  EXPECT_TRUE(parseScript("sim:;;answer=0s;").ok());
}

}  // namespace
}  // namespace tapi::providers::sim
