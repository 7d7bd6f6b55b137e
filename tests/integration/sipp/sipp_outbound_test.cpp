// The SIP line as the caller (SIPp is the callee, a UAS): every way an outgoing call ends,
// over UDP and TCP. Each test asserts the TAPI states, the disconnect mode, the
// post-connection data, SIPp's verdict on what the line sent, and that the engine, the
// provider and the SIP stack hold nothing afterwards.

#include <gtest/gtest.h>

#include <tuple>

#include "integration/sipp/sip_fixture.hpp"

namespace tapi::testing {
namespace {

using States = std::vector<CallState>;

/** An outgoing call answered and then dropped by the app: no DISCONNECTED. */
const States kAnsweredThenDropped{CallState::Dialing, CallState::Ringback, CallState::Connected,
                                  CallState::Idle};
/** An outgoing call the far end ended before it was answered, dropped by the app. */
const States kRefusedThenDropped{CallState::Dialing, CallState::Ringback, CallState::Disconnected,
                                 CallState::Idle};

class SippOutbound : public SippTest {
 protected:
  /** SIPp answers and then hangs up with `reason` and `uui` header lines on its BYE. */
  void remoteByeAfterAnswer(const std::string& reason, const std::string& uui, std::uint32_t mode,
                            int q850, const std::string& uuiReceived);
  /** Calls SIPp and waits until it rings. @return the call, 0 on failure. */
  std::uint32_t ringing(SipLineFixture& f, Sipp& sipp) {
    const std::uint32_t hCall = f.makeCall(destination(sipp));
    EXPECT_TRUE(hCall != 0 && f.waitState(CallState::Ringback, hCall)) << sipp.transcript();
    return hCall;
  }
};

void SippOutbound::remoteByeAfterAnswer(const std::string& reason, const std::string& uui,
                                        std::uint32_t mode, int q850,
                                        const std::string& uuiReceived) {
  SipLineFixture f({}, tcp());
  Sipp sipp("uas_answer_remote_bye.xml", tcp(), freePort(sockType()), "",
            {"-key", "reason", reason, "-key", "uui", uui});
  const std::uint32_t hCall = f.makeCall(destination(sipp));
  ASSERT_NE(hCall, 0u);
  auto r = f.disconnected(hCall, mode, sipp);
  ASSERT_TRUE(r);
  expectRemoteBye(*r, q850);
  if (reason.rfind("Reason:", 0) == 0) {
    EXPECT_NE(r->cause.text.find("Q.850;cause=" + std::to_string(q850)), std::string::npos)
        << r->cause.text;
  }
  EXPECT_EQ(r->uuiReceived, uuiReceived);
  EXPECT_EQ(r->connected.number, "bob");
  // The call stays DISCONNECTED until the app drops it.
  ASSERT_NO_FATAL_FAILURE(
      f.dropToIdle(hCall, {CallState::Dialing, CallState::Ringback, CallState::Connected,
                           CallState::Disconnected, CallState::Idle}));
  const CallRecord cleared = f.record(hCall);
  EXPECT_EQ(cleared.termination.origin, TerminationOrigin::Remote)
      << "the drop only clears the call";
  EXPECT_EQ(cleared.disconnectMode, mode);
  f.deallocateThenAllReleased(hCall, sipp);
}

TEST_P(SippOutbound, AnsweredThenLocalDropWithUui) {
  SipLineFixture f({}, tcp());
  Sipp sipp("uas_answer_wait_bye.xml", tcp(), freePort(sockType()), "");
  const std::uint32_t hCall = f.makeCall(destination(sipp));
  ASSERT_NE(hCall, 0u);
  ASSERT_TRUE(f.waitState(CallState::Connected, hCall)) << sipp.transcript();
  // A local drop goes straight to IDLE: no DISCONNECTED.
  ASSERT_NO_FATAL_FAILURE(f.dropToIdle(hCall, kAnsweredThenDropped, 0, "hello"));
  const CallRecord r = f.record(hCall);
  expectLocalBye(r, "hello");
  EXPECT_EQ(r.called.number, "bob");
  // SIPp checked the BYE's Reason (Q.850 16) and User-to-User.
  f.deallocateThenAllReleased(hCall, sipp);
}

TEST_P(SippOutbound, AnsweredThenRemoteByeWithReason) {
  // Q.850 17 in the Reason wins over "a BYE is NORMAL": BUSY. The BYE's UUI is recorded.
  remoteByeAfterAnswer("Reason: Q.850;cause=17;text=\"User busy\"",
                       "User-to-User: 04627965;encoding=hex", disconnect::Busy, 17,
                       std::string("\x04"
                                   "bye"));
}

TEST_P(SippOutbound, AnsweredThenRemoteByeWithoutReason) {
  remoteByeAfterAnswer("X-Reason: none", "X-User-to-User: none", disconnect::Normal, 16, "");
}

TEST_P(SippOutbound, NoAnswerTimerCancels) {
  engine::Config cfg;
  cfg.noAnswerTimeout = std::chrono::milliseconds(800);
  SipLineFixture f({}, tcp(), cfg);
  Sipp sipp("uas_ring_cancel.xml", tcp(), freePort(sockType()), "", {}, {{"CAUSE", "19"}});
  const std::uint32_t hCall = ringing(f, sipp);
  ASSERT_NE(hCall, 0u);
  // The policy cleared the network side; the owner sees DISCONNECTED(NOANSWER) and drops.
  auto r = f.disconnected(hCall, disconnect::NoAnswer, sipp);
  ASSERT_TRUE(r);
  EXPECT_EQ(r->termination.origin, TerminationOrigin::Policy);
  EXPECT_EQ(r->termination.policy, Policy::NoAnswer);
  EXPECT_EQ(r->cause.code, 487);
  EXPECT_EQ(r->cause.q850, 19) << "the cause sent in the CANCEL";
  EXPECT_EQ(r->cause.text.rfind("487 Request Terminated; Q.850;cause=19", 0), 0u) << r->cause.text;
  EXPECT_FALSE(r->cause.callRef.empty());
  ASSERT_NO_FATAL_FAILURE(f.dropToIdle(hCall, kRefusedThenDropped));
  f.deallocateThenAllReleased(hCall, sipp);
}

TEST_P(SippOutbound, LocalDropWhileRingingCancels) {
  SipLineFixture f({}, tcp());
  Sipp sipp("uas_ring_cancel.xml", tcp(), freePort(sockType()), "", {}, {{"CAUSE", "16"}});
  const std::uint32_t hCall = ringing(f, sipp);
  ASSERT_NE(hCall, 0u);
  // The drop completes when the 487 has arrived: the call is IDLE, never DISCONNECTED.
  ASSERT_NO_FATAL_FAILURE(
      f.dropToIdle(hCall, {CallState::Dialing, CallState::Ringback, CallState::Idle}));
  const CallRecord r = f.record(hCall);
  EXPECT_EQ(r.termination.origin, TerminationOrigin::Local);
  EXPECT_EQ(r.cause.code, 487);
  EXPECT_EQ(r.cause.q850, 16) << "the cause sent in the CANCEL";
  EXPECT_EQ(r.cause.text.rfind("487 Request Terminated; Q.850;cause=16", 0), 0u) << r.cause.text;
  EXPECT_FALSE(r.cause.callRef.empty());
  f.deallocateThenAllReleased(hCall, sipp);
}

TEST_P(SippOutbound, ChallengedInviteIsAuthenticated) {
  providers::sip::SipLineConfig l = aliceLine(tcp());
  l.authUser = "alice-auth";
  l.password = "s3cret";
  SipLineFixture f({l}, tcp());
  Sipp sipp("uas_auth_invite.xml", tcp(), freePort(sockType()), "", {},
            {{"USER", "alice-auth"}, {"PASSWORD", "s3cret"}});
  const std::uint32_t hCall = f.makeCall(destination(sipp));
  ASSERT_NE(hCall, 0u);
  ASSERT_TRUE(f.waitState(CallState::Connected, hCall)) << f.statesText(hCall) << "\n"
                                                        << sipp.transcript();
  // The 401 is not an end of the call.
  ASSERT_NO_FATAL_FAILURE(f.dropToIdle(hCall, kAnsweredThenDropped));
  const CallRecord r = f.record(hCall);
  EXPECT_EQ(r.termination.origin, TerminationOrigin::Local);
  EXPECT_EQ(r.cause.q850, 16);
  EXPECT_FALSE(r.cause.callRef.empty());
  f.deallocateThenAllReleased(hCall, sipp);
}

INSTANTIATE_TEST_SUITE_P(Transports, SippOutbound, ::testing::Values(false, true), transportName);

// ---- refusals by the far end ------------------------------------------------------------

struct Refusal {
  const char* name;
  const char* statusLine;  // what SIPp answers
  const char* extra;       // one more header line
  std::uint32_t mode;
  int q850;
};

const Refusal kRefusals[] = {
    {"Busy486", "486 Busy Here", "X-Extra: none", disconnect::Busy, 17},
    {"Decline603", "603 Decline", "X-Extra: none", disconnect::Reject, 21},
    {"NotFound404", "404 Not Found", "X-Extra: none", disconnect::BadAddress, 1},
    {"Unavailable480", "480 Temporarily Unavailable", "X-Extra: none", disconnect::NoAnswer, 18},
    {"Unavailable503", "503 Service Unavailable", "X-Extra: none", disconnect::TempFailure, 41},
    {"Congested503RetryAfter", "503 Service Unavailable", "Retry-After: 30", disconnect::Congestion,
     34},
};

using SippOutboundRefused = SippCaseTest<Refusal>;

TEST_P(SippOutboundRefused, DisconnectedWithMappedMode) {
  const Refusal& rf = testCase();
  SipLineFixture f({}, tcp());
  Sipp sipp("uas_reject.xml", tcp(), freePort(sockType()), "", {"-key", "extra", rf.extra},
            {{"STATUS", rf.statusLine}});
  const std::uint32_t hCall = f.makeCall(destination(sipp));
  ASSERT_NE(hCall, 0u);
  auto r = f.disconnected(hCall, rf.mode, sipp);
  ASSERT_TRUE(r);
  EXPECT_EQ(r->termination.origin, TerminationOrigin::Remote);
  EXPECT_EQ(r->cause.code, std::atoi(rf.statusLine));
  EXPECT_EQ(r->cause.q850, rf.q850);
  EXPECT_EQ(r->cause.text.rfind(rf.statusLine, 0), 0u) << r->cause.text;
  EXPECT_FALSE(r->cause.callRef.empty());
  ASSERT_NO_FATAL_FAILURE(f.dropToIdle(hCall, kRefusedThenDropped));
  // SIPp's scenario ends with the ACK of its refusal.
  f.deallocateThenAllReleased(hCall, sipp);
}

INSTANTIATE_TEST_SUITE_P(Statuses, SippOutboundRefused, overBothTransports(kRefusals),
                         caseAndTransportName<Refusal>);

}  // namespace
}  // namespace tapi::testing
