#include <tapi/tapi.hpp>

#include <gtest/gtest.h>

#include "client/simulation.hpp"
#include "providers/sim/sim_provider.hpp"

namespace tapi {
namespace {

using namespace std::chrono_literals;

std::optional<Message> waitFor(App& app, MessageType type, std::uint32_t param1 = 0,
                               std::chrono::milliseconds bound = 5s) {
  const auto deadline = std::chrono::steady_clock::now() + bound;
  while (std::chrono::steady_clock::now() < deadline) {
    auto m = app.waitMessage(std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - std::chrono::steady_clock::now()));
    if (m && m->type == type && (param1 == 0 || m->param1 == param1)) {
      return m;
    }
  }
  return std::nullopt;
}

TEST(CppApi, RaiiReleasesEverythingOnTheSimulatedClock) {
  auto rt = Runtime::embedded(EngineOptions{.simulatedClock = true});
  rt->simulation()->provider().scriptDestination("200", providers::sim::answerAfter(1s));
  {
    auto app = App::initialize(rt, {.name = "dialer"});
    ASSERT_TRUE(app.ok());
    auto line = app->open(0, Privilege::Owner);
    ASSERT_TRUE(line.ok());
    auto made = line->makeCall("200", {.userUserInfo = "hi"});
    ASSERT_TRUE(made.ok());
    rt->advance(2s);
    auto reply = app->nextMessage();
    ASSERT_TRUE(reply.has_value());
    EXPECT_EQ(reply->type, MessageType::Reply);
    EXPECT_EQ(reply->param1, made->requestId);
    EXPECT_EQ(reply->param2, 0u);
    auto st = made->call.status();
    ASSERT_TRUE(st.ok());
    EXPECT_EQ(st->state, CallState::Connected);
    ASSERT_TRUE(made->call.drop(0, "bye").ok());
    rt->runUntilIdle();
    auto info = made->call.info();
    ASSERT_TRUE(info.ok());
    EXPECT_EQ(info->termination.origin, TerminationOrigin::Local);
    EXPECT_EQ(info->uuiSent, "bye");
    EXPECT_EQ(rt->stats().handles, 1u);
    // Call, Line and App go out of scope here: handle released, line closed, app shut down.
  }
  rt->runUntilIdle();
  EXPECT_TRUE(rt->stats().allZero());
  EXPECT_TRUE(rt->leakReport().empty());
}

TEST(CppApi, DestroyingALiveCallReleasesItAndTheProviderDropsIt) {
  std::vector<CallRecord> records;
  auto rt = Runtime::embedded(
      EngineOptions{.simulatedClock = true,
                    .onCallReleased = [&](const CallRecord& r) { records.push_back(r); }});
  auto app = App::initialize(rt, {.name = "forgetful"}).value();
  auto line = app.open(0, Privilege::Owner).value();
  {
    auto made = line.makeCall("200").value();
    rt->advance(2s);
  }  // the app forgot the call while connected
  rt->runUntilIdle();
  ASSERT_EQ(records.size(), 1u);
  EXPECT_EQ(records[0].termination.origin, TerminationOrigin::Local);
  EXPECT_EQ(records[0].termination.app, "forgetful");
  EXPECT_TRUE(records[0].connectedAt.has_value());
  EXPECT_EQ(rt->stats().calls, 0u);
  EXPECT_EQ(rt->stats().providerCalls, 0u);
}

TEST(CppApi, InertObjectsAfterShutdownFailCleanly) {
  auto rt = Runtime::embedded(EngineOptions{.simulatedClock = true});
  auto app = App::initialize(rt).value();
  auto line = app.open(0, Privilege::Owner).value();
  auto made = line.makeCall("200").value();
  rt->advance(2s);
  ASSERT_TRUE(app.shutdown().ok());
  EXPECT_EQ(app.shutdown().lineErr(), LineErr::InvalAppHandle);
  EXPECT_EQ(made.call.drop().lineErr(), LineErr::Uninitialized);
  EXPECT_EQ(line.makeCall("200").lineErr(), LineErr::InvalLineHandle);
  EXPECT_FALSE(app.nextMessage().has_value());
  rt->runUntilIdle();
  EXPECT_TRUE(rt->stats().allZero());
  Call empty;
  EXPECT_EQ(empty.drop().lineErr(), LineErr::InvalCallHandle);
  EXPECT_EQ(empty.disconnect(9).lineErr(), LineErr::InvalCallHandle);
}

TEST(CppApi, RealTimeLoopDeliversEventsToWaitingThreads) {
  auto rt = Runtime::embedded();
  rt->simulation();  // exists in the embedded runtime
  auto dialer = App::initialize(rt, {.name = "dialer"}).value();
  auto logger = App::initialize(rt, {.name = "logger"}).value();
  auto line = dialer.open(0, Privilege::Owner).value();
  auto mon = logger.open(0, Privilege::Monitor).value();
  // Scripts are set on the loop thread through the runtime's own loop order: a call made
  // after this line uses them.
  auto made = line.makeCall("fast", {.maxDuration = 20ms});
  ASSERT_TRUE(made.ok());
  auto reply = waitFor(dialer, MessageType::Reply);
  ASSERT_TRUE(reply.has_value());
  EXPECT_EQ(reply->param1, made->requestId);
  auto newCall = waitFor(logger, MessageType::AppNewCall);
  ASSERT_TRUE(newCall.has_value());
  Call monitored = logger.adopt(newCall->param2);
  // Default simulated far end answers after 1 s; the max-duration policy then ends it.
  auto disc =
      waitFor(dialer, MessageType::CallState, static_cast<std::uint32_t>(CallState::Disconnected));
  ASSERT_TRUE(disc.has_value());
  EXPECT_EQ(disc->param2, disconnect::Normal);
  auto info = monitored.info();
  ASSERT_TRUE(info.ok());
  EXPECT_EQ(info->termination.origin, TerminationOrigin::Policy);
  EXPECT_EQ(info->termination.policy, Policy::MaxDuration);
  ASSERT_TRUE(made->call.drop().ok());
  ASSERT_TRUE(waitFor(dialer, MessageType::CallState, static_cast<std::uint32_t>(CallState::Idle))
                  .has_value());
  ASSERT_TRUE(made->call.deallocate().ok());
  ASSERT_TRUE(monitored.deallocate().ok());
  ASSERT_TRUE(dialer.shutdown().ok());
  ASSERT_TRUE(logger.shutdown().ok());
  EXPECT_TRUE(rt->stats().allZero()) << rt->stats().calls;
}

}  // namespace
}  // namespace tapi
