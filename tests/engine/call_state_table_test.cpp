// The call state machine's table of allowed arrows, and what the engine does with an arrow
// the table refuses: the call stays where it is, no app hears of it, and it is counted.

#include <gtest/gtest.h>

#include <memory>
#include <string>
#include <vector>

#include "base/sim_loop.hpp"
#include "engine/detail/call_states.hpp"
#include "engine/engine.hpp"
#include "providers/sim/sim_provider.hpp"

namespace tapi::testing {
namespace {

using namespace std::chrono_literals;
using engine::detail::callArrowAllowed;

constexpr CallState kEveryState[] = {
    CallState::Idle,           CallState::Offering,
    CallState::Accepted,       CallState::DialTone,
    CallState::Dialing,        CallState::Ringback,
    CallState::Busy,           CallState::SpecialInfo,
    CallState::Connected,      CallState::Proceeding,
    CallState::OnHold,         CallState::Conferenced,
    CallState::OnHoldPendConf, CallState::OnHoldPendTransfer,
    CallState::Disconnected,   CallState::Unknown,
};

TEST(CallStateTable, IdleIsTerminal) {
  for (CallState to : kEveryState) {
    EXPECT_FALSE(callArrowAllowed(CallState::Idle, to)) << "IDLE -> " << toString(to);
  }
}

TEST(CallStateTable, EveryLiveStateMayEndAndChangeItsMode) {
  for (CallState from : kEveryState) {
    if (from == CallState::Idle) {
      continue;
    }
    EXPECT_TRUE(callArrowAllowed(from, CallState::Disconnected)) << toString(from);
    EXPECT_TRUE(callArrowAllowed(from, CallState::Idle)) << toString(from);
    EXPECT_TRUE(callArrowAllowed(from, from)) << toString(from);
  }
}

TEST(CallStateTable, DisconnectedOnlyGoesIdle) {
  for (CallState to : kEveryState) {
    const bool expected = to == CallState::Idle || to == CallState::Disconnected;
    EXPECT_EQ(callArrowAllowed(CallState::Disconnected, to), expected) << toString(to);
  }
}

TEST(CallStateTable, KnownStatesNeverFallBackToUnknownOrToBeingOffered) {
  for (CallState from : kEveryState) {
    if (from == CallState::Unknown) {
      continue;
    }
    EXPECT_FALSE(callArrowAllowed(from, CallState::Unknown)) << toString(from);
    if (from != CallState::Offering) {
      EXPECT_EQ(callArrowAllowed(from, CallState::Offering), false) << toString(from);
    }
  }
  // UNKNOWN is a placeholder: the real state follows, whatever it is.
  for (CallState to : kEveryState) {
    EXPECT_TRUE(callArrowAllowed(CallState::Unknown, to)) << toString(to);
  }
}

TEST(CallStateTable, SetupAndEstablishedArrows) {
  // Inbound: OFFERING -> (ACCEPTED) -> CONNECTED.
  EXPECT_TRUE(callArrowAllowed(CallState::Offering, CallState::Accepted));
  EXPECT_TRUE(callArrowAllowed(CallState::Offering, CallState::Connected));
  EXPECT_TRUE(callArrowAllowed(CallState::Accepted, CallState::Connected));
  EXPECT_FALSE(callArrowAllowed(CallState::Accepted, CallState::Offering));
  EXPECT_FALSE(callArrowAllowed(CallState::Offering, CallState::Dialing));
  // Outbound: the provider reports any subset of the progress states, in any order.
  EXPECT_TRUE(callArrowAllowed(CallState::Dialing, CallState::Proceeding));
  EXPECT_TRUE(callArrowAllowed(CallState::Ringback, CallState::Proceeding));
  EXPECT_TRUE(callArrowAllowed(CallState::Proceeding, CallState::Busy));
  EXPECT_TRUE(callArrowAllowed(CallState::Ringback, CallState::Connected));
  EXPECT_FALSE(callArrowAllowed(CallState::Dialing, CallState::Accepted));
  // Established calls hold and resume, but never go back to setting up.
  EXPECT_TRUE(callArrowAllowed(CallState::Connected, CallState::OnHold));
  EXPECT_TRUE(callArrowAllowed(CallState::OnHold, CallState::Connected));
  EXPECT_FALSE(callArrowAllowed(CallState::Connected, CallState::Ringback));
  EXPECT_FALSE(callArrowAllowed(CallState::Connected, CallState::Dialing));
  EXPECT_FALSE(callArrowAllowed(CallState::OnHold, CallState::Accepted));
}

// Passes everything to a SimProvider and keeps the engine's event sink and the engine call
// ids it was given, so a test can report what a faulty provider would.
class TapProvider final : public spi::Provider {
 public:
  explicit TapProvider(spi::Provider& inner) : inner_(inner) {}

  spi::Events* events = nullptr;
  std::vector<spi::EngineCallId> engineCalls;

  void setEvents(spi::Events* e) override {
    events = e;
    inner_.setEvents(e);
  }
  std::vector<spi::LineInfo> lines() const override { return inner_.lines(); }
  Result<void> openLine(std::uint32_t deviceId) override { return inner_.openLine(deviceId); }
  void closeLine(std::uint32_t deviceId) override { inner_.closeLine(deviceId); }
  Result<spi::ProviderCallId> makeCall(spi::RequestId id, std::uint32_t deviceId,
                                       spi::EngineCallId htCall,
                                       const spi::MakeCallParams& params) override {
    engineCalls.push_back(htCall);
    return inner_.makeCall(id, deviceId, htCall, params);
  }
  Result<void> answer(spi::RequestId id, spi::ProviderCallId call, std::string_view uui) override {
    return inner_.answer(id, call, uui);
  }
  Result<void> accept(spi::RequestId id, spi::ProviderCallId call, std::string_view uui) override {
    return inner_.accept(id, call, uui);
  }
  Result<void> drop(spi::RequestId id, spi::ProviderCallId call, std::uint32_t mode,
                    std::string_view uui) override {
    return inner_.drop(id, call, mode, uui);
  }
  void closeCall(spi::ProviderCallId call) override { inner_.closeCall(call); }
  spi::ProviderStats stats() const override { return inner_.stats(); }
  std::vector<spi::ProviderLeak> leaks() const override { return inner_.leaks(); }

 private:
  spi::Provider& inner_;
};

class RefusedTransitionTest : public ::testing::Test {
 protected:
  RefusedTransitionTest()
      : sim_(loop_, std::vector<providers::sim::LineConfig>{{"sim/0", "100"}}), tap_(sim_) {
    engine::Config config;
    config.log = [this](const std::string& l) { logLines_.push_back(l); };
    engine_ = std::make_unique<engine::Engine>(loop_, tap_, std::move(config));
    app_ = *engine_->initialize(engine::AppParams{"dialer", kApiVersion22, 0, {}});
    engine::LineOpenParams p;
    p.privileges = static_cast<std::uint32_t>(Privilege::Owner);
    hLine_ = *engine_->open(app_, p);
  }

  /** Places a call to `destination` and runs until the script has played `after`. */
  std::uint32_t call(const std::string& destination, base::Duration after) {
    auto mc = engine_->makeCall(app_, hLine_, destination);
    EXPECT_TRUE(mc.ok());
    loop_.advance(after);
    EXPECT_EQ(tap_.engineCalls.size(), 1u);
    return mc.ok() ? mc->hCall : 0;
  }
  std::size_t queued() const { return engine_->queuedMessages(app_); }
  void drain() {
    while (engine_->queuedMessages(app_) != 0) {
      (void)engine_->getMessage(app_);
    }
  }
  /** What a faulty provider would report for the test's call. */
  void report(CallState state, std::uint32_t mode = 0) {
    tap_.events->onCallState(tap_.engineCalls.at(0), state, mode);
  }
  CallState stateOf(std::uint32_t hCall) const { return engine_->callStatus(app_, hCall)->state; }
  std::size_t visits(std::uint32_t hCall) const {
    return engine_->callInfo(app_, hCall)->record.states.size();
  }
  std::size_t refused() const { return engine_->stats().refusedTransitions; }

  void endAndExpectNothingLeft(std::uint32_t hCall) {
    if (stateOf(hCall) != CallState::Idle) {
      ASSERT_TRUE(engine_->drop(app_, hCall).ok());
      loop_.runUntilIdle();
    }
    ASSERT_TRUE(engine_->deallocate(app_, hCall).ok());
    ASSERT_TRUE(engine_->shutdown(app_).ok());
    loop_.runUntilIdle();
    EXPECT_TRUE(engine_->stats().allZero());
    EXPECT_TRUE(engine_->leakReport().empty());
  }

  base::SimLoop loop_;
  providers::sim::SimProvider sim_;
  TapProvider tap_;
  std::unique_ptr<engine::Engine> engine_;
  std::vector<std::string> logLines_;
  std::uint32_t app_ = 0;
  std::uint32_t hLine_ = 0;
};

TEST_F(RefusedTransitionTest, AConnectedCallIsNotOfferedAgain) {
  sim_.scriptDestination("200", providers::sim::answerAfter(1s));
  const std::uint32_t hCall = call("200", 2s);
  ASSERT_EQ(stateOf(hCall), CallState::Connected);
  drain();
  const std::size_t before = visits(hCall);

  report(CallState::Offering);
  report(CallState::Ringback);

  EXPECT_EQ(stateOf(hCall), CallState::Connected);
  EXPECT_EQ(visits(hCall), before);  // the record lists no state the call never had
  EXPECT_EQ(queued(), 0u);           // and no app hears of one
  EXPECT_EQ(refused(), 2u);
  ASSERT_EQ(logLines_.size(), 2u);
  EXPECT_NE(logLines_[0].find("refused CONNECTED -> OFFERING"), std::string::npos) << logLines_[0];
  EXPECT_NE(logLines_[1].find("refused CONNECTED -> RINGBACK"), std::string::npos) << logLines_[1];

  // An allowed arrow still goes through: a mode change, then the end.
  report(CallState::Connected, connectedmode::ActiveHeld);
  EXPECT_EQ(engine_->callStatus(app_, hCall)->mode, connectedmode::ActiveHeld);
  EXPECT_EQ(queued(), 1u);
  EXPECT_EQ(refused(), 2u);
  endAndExpectNothingLeft(hCall);
  EXPECT_EQ(refused(), 2u);  // cumulative: it survives the call
}

TEST_F(RefusedTransitionTest, ADisconnectedCallDoesNotComeBack) {
  sim_.scriptDestination("300", providers::sim::answerAfter(1s, 2s, disconnect::Normal));
  const std::uint32_t hCall = call("300", 4s);
  ASSERT_EQ(stateOf(hCall), CallState::Disconnected);
  drain();

  report(CallState::Connected, connectedmode::Active);

  EXPECT_EQ(stateOf(hCall), CallState::Disconnected);
  EXPECT_EQ(queued(), 0u);
  EXPECT_EQ(refused(), 1u);
  endAndExpectNothingLeft(hCall);
}

TEST_F(RefusedTransitionTest, LateEventsForAnIdleCallAreDroppedBeforeTheTable) {
  sim_.scriptDestination("200", providers::sim::answerAfter(1s));
  const std::uint32_t hCall = call("200", 2s);
  ASSERT_TRUE(engine_->drop(app_, hCall).ok());
  loop_.runUntilIdle();
  ASSERT_EQ(stateOf(hCall), CallState::Idle);
  drain();

  report(CallState::Connected, connectedmode::Active);

  // IDLE is terminal (spec rule 2): the event is dropped as late, not refused as a bug.
  EXPECT_EQ(stateOf(hCall), CallState::Idle);
  EXPECT_EQ(queued(), 0u);
  EXPECT_EQ(refused(), 0u);
  EXPECT_TRUE(logLines_.empty());
  endAndExpectNothingLeft(hCall);
}

}  // namespace
}  // namespace tapi::testing
