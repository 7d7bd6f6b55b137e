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

class SippOutbound : public SippTest {
 protected:
  /** SIPp answers and then hangs up with `reason` and `uui` header lines on its BYE. */
  void remoteByeAfterAnswer(const std::string& reason, const std::string& uui, std::uint32_t mode,
                            int q850, const std::string& uuiReceived);
  /** Calls SIPp on `port` and waits until it rings. @return the call, 0 on failure. */
  std::uint32_t ringing(SipLineFixture& f, Sipp& sipp, std::uint16_t port) {
    const std::uint32_t hCall = f.makeCall(destination(port, sipp));
    EXPECT_TRUE(hCall != 0 && f.waitState(CallState::Ringback, hCall)) << sipp.transcript();
    return hCall;
  }
};

void SippOutbound::remoteByeAfterAnswer(const std::string& reason, const std::string& uui,
                                        std::uint32_t mode, int q850,
                                        const std::string& uuiReceived) {
  SipLineFixture f({}, tcp());
  const std::uint16_t port = freePort(sockType());
  Sipp sipp("uas_answer_remote_bye.xml", tcp(), port, "",
            {"-key", "reason", reason, "-key", "uui", uui});
  const std::uint32_t hCall = f.makeCall(destination(port, sipp));
  ASSERT_NE(hCall, 0u);
  auto disc = f.waitState(CallState::Disconnected, hCall);
  ASSERT_TRUE(disc) << f.statesText(hCall) << "\n" << sipp.transcript();
  EXPECT_EQ(disc->param2, mode) << disconnectModeName(disc->param2);
  CallRecord r = f.record(hCall);
  EXPECT_EQ(r.disconnectMode, mode);
  EXPECT_EQ(r.termination.origin, TerminationOrigin::Remote);
  EXPECT_EQ(r.cause.code, 0) << "a BYE has no status";
  EXPECT_EQ(r.cause.q850, q850);
  EXPECT_NE(r.cause.text.find("BYE"), std::string::npos) << r.cause.text;
  if (reason.rfind("Reason:", 0) == 0) {
    EXPECT_NE(r.cause.text.find("Q.850;cause=" + std::to_string(q850)), std::string::npos)
        << r.cause.text;
  }
  EXPECT_FALSE(r.cause.callRef.empty());
  EXPECT_EQ(r.uuiReceived, uuiReceived);
  EXPECT_EQ(r.connected.number, "bob");
  // The call stays DISCONNECTED until the app drops it.
  ASSERT_TRUE(f.drop(hCall));
  ASSERT_TRUE(f.waitState(CallState::Idle, hCall));
  EXPECT_EQ(f.states(hCall), (States{CallState::Dialing, CallState::Ringback, CallState::Connected,
                                     CallState::Disconnected, CallState::Idle}))
      << f.statesText(hCall);
  r = f.record(hCall);
  EXPECT_EQ(r.termination.origin, TerminationOrigin::Remote) << "the drop only clears the call";
  EXPECT_EQ(r.disconnectMode, mode);
  ASSERT_TRUE(f.eng->deallocate(f.hApp, hCall));
  EXPECT_EQ(f.waitSipp(sipp), 0) << sipp.transcript();
  EXPECT_TRUE(f.releasedEverything()) << f.statsText();
}

TEST_P(SippOutbound, AnsweredThenLocalDropWithUui) {
  SipLineFixture f({}, tcp());
  const std::uint16_t port = freePort(sockType());
  Sipp sipp("uas_answer_wait_bye.xml", tcp(), port, "");
  const std::uint32_t hCall = f.makeCall(destination(port, sipp));
  ASSERT_NE(hCall, 0u);
  ASSERT_TRUE(f.waitState(CallState::Connected, hCall)) << sipp.transcript();
  ASSERT_TRUE(f.drop(hCall, 0, "hello"));
  ASSERT_TRUE(f.waitState(CallState::Idle, hCall));
  // A local drop goes straight to IDLE: no DISCONNECTED.
  EXPECT_EQ(f.states(hCall), (States{CallState::Dialing, CallState::Ringback, CallState::Connected,
                                     CallState::Idle}))
      << f.statesText(hCall);
  const CallRecord r = f.record(hCall);
  EXPECT_EQ(r.termination.origin, TerminationOrigin::Local);
  EXPECT_EQ(r.uuiSent, "hello");
  EXPECT_EQ(r.called.number, "bob");
  EXPECT_EQ(r.cause.code, 0) << "a BYE has no status";
  EXPECT_EQ(r.cause.q850, 16) << "the cause sent in the BYE";
  EXPECT_EQ(r.cause.text.rfind("BYE; Q.850;cause=16", 0), 0u) << r.cause.text;
  EXPECT_FALSE(r.cause.callRef.empty());
  ASSERT_TRUE(f.eng->deallocate(f.hApp, hCall));
  // SIPp checked the BYE's Reason (Q.850 16) and User-to-User.
  EXPECT_EQ(f.waitSipp(sipp), 0) << sipp.transcript();
  EXPECT_TRUE(f.releasedEverything()) << f.statsText();
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
  const std::uint16_t port = freePort(sockType());
  Sipp sipp("uas_ring_cancel.xml", tcp(), port, "", {}, {{"CAUSE", "19"}});
  const std::uint32_t hCall = ringing(f, sipp, port);
  ASSERT_NE(hCall, 0u);
  // The policy cleared the network side; the owner sees DISCONNECTED(NOANSWER) and drops.
  auto disc = f.waitState(CallState::Disconnected, hCall);
  ASSERT_TRUE(disc) << f.statesText(hCall) << "\n" << sipp.transcript();
  EXPECT_EQ(disc->param2, disconnect::NoAnswer) << disconnectModeName(disc->param2);
  CallRecord r = f.record(hCall);
  EXPECT_EQ(r.termination.origin, TerminationOrigin::Policy);
  EXPECT_EQ(r.termination.policy, Policy::NoAnswer);
  EXPECT_EQ(r.disconnectMode, disconnect::NoAnswer);
  EXPECT_EQ(r.cause.code, 487);
  EXPECT_EQ(r.cause.q850, 19) << "the cause sent in the CANCEL";
  EXPECT_EQ(r.cause.text.rfind("487 Request Terminated; Q.850;cause=19", 0), 0u) << r.cause.text;
  EXPECT_FALSE(r.cause.callRef.empty());
  ASSERT_TRUE(f.drop(hCall));
  ASSERT_TRUE(f.waitState(CallState::Idle, hCall));
  EXPECT_EQ(f.states(hCall), (States{CallState::Dialing, CallState::Ringback,
                                     CallState::Disconnected, CallState::Idle}))
      << f.statesText(hCall);
  ASSERT_TRUE(f.eng->deallocate(f.hApp, hCall));
  EXPECT_EQ(f.waitSipp(sipp), 0) << sipp.transcript();
  EXPECT_TRUE(f.releasedEverything()) << f.statsText();
}

TEST_P(SippOutbound, LocalDropWhileRingingCancels) {
  SipLineFixture f({}, tcp());
  const std::uint16_t port = freePort(sockType());
  Sipp sipp("uas_ring_cancel.xml", tcp(), port, "", {}, {{"CAUSE", "16"}});
  const std::uint32_t hCall = ringing(f, sipp, port);
  ASSERT_NE(hCall, 0u);
  // The drop completes when the 487 has arrived: the call is IDLE, never DISCONNECTED.
  ASSERT_TRUE(f.drop(hCall));
  ASSERT_TRUE(f.waitState(CallState::Idle, hCall)) << sipp.transcript();
  EXPECT_EQ(f.states(hCall), (States{CallState::Dialing, CallState::Ringback, CallState::Idle}))
      << f.statesText(hCall);
  const CallRecord r = f.record(hCall);
  EXPECT_EQ(r.termination.origin, TerminationOrigin::Local);
  EXPECT_EQ(r.cause.code, 487);
  EXPECT_EQ(r.cause.q850, 16) << "the cause sent in the CANCEL";
  EXPECT_EQ(r.cause.text.rfind("487 Request Terminated; Q.850;cause=16", 0), 0u) << r.cause.text;
  EXPECT_FALSE(r.cause.callRef.empty());
  ASSERT_TRUE(f.eng->deallocate(f.hApp, hCall));
  EXPECT_EQ(f.waitSipp(sipp), 0) << sipp.transcript();
  EXPECT_TRUE(f.releasedEverything()) << f.statsText();
}

TEST_P(SippOutbound, ChallengedInviteIsAuthenticated) {
  providers::sip::SipLineConfig l;
  l.name = "sip/alice";
  l.user = "alice";
  l.domain = "127.0.0.1";
  l.transport = tcp() ? "tcp" : "udp";
  l.authUser = "alice-auth";
  l.password = "s3cret";
  SipLineFixture f({l}, tcp());
  const std::uint16_t port = freePort(sockType());
  Sipp sipp("uas_auth_invite.xml", tcp(), port, "", {},
            {{"USER", "alice-auth"}, {"PASSWORD", "s3cret"}});
  const std::uint32_t hCall = f.makeCall(destination(port, sipp));
  ASSERT_NE(hCall, 0u);
  ASSERT_TRUE(f.waitState(CallState::Connected, hCall)) << f.statesText(hCall) << "\n"
                                                        << sipp.transcript();
  ASSERT_TRUE(f.drop(hCall));
  ASSERT_TRUE(f.waitState(CallState::Idle, hCall));
  EXPECT_EQ(f.states(hCall), (States{CallState::Dialing, CallState::Ringback, CallState::Connected,
                                     CallState::Idle}))
      << "the 401 is not an end of the call: " << f.statesText(hCall);
  const CallRecord r = f.record(hCall);
  EXPECT_EQ(r.termination.origin, TerminationOrigin::Local);
  EXPECT_EQ(r.cause.q850, 16);
  EXPECT_FALSE(r.cause.callRef.empty());
  ASSERT_TRUE(f.eng->deallocate(f.hApp, hCall));
  EXPECT_EQ(f.waitSipp(sipp), 0) << sipp.transcript();
  EXPECT_TRUE(f.releasedEverything()) << f.statsText();
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

class SippOutboundRefused : public ::testing::TestWithParam<std::tuple<bool, Refusal>> {};

TEST_P(SippOutboundRefused, DisconnectedWithMappedMode) {
  const bool tcp = std::get<0>(GetParam());
  const Refusal& rf = std::get<1>(GetParam());
  SipLineFixture f({}, tcp);
  const std::uint16_t port = freePort(tcp ? SOCK_STREAM : SOCK_DGRAM);
  Sipp sipp("uas_reject.xml", tcp, port, "", {"-key", "extra", rf.extra},
            {{"STATUS", rf.statusLine}});
  const std::uint32_t hCall = f.makeCall(sippDestination(port, tcp, sipp));
  ASSERT_NE(hCall, 0u);
  auto disc = f.waitState(CallState::Disconnected, hCall);
  ASSERT_TRUE(disc) << f.statesText(hCall) << "\n" << sipp.transcript();
  EXPECT_EQ(disc->param2, rf.mode) << disconnectModeName(disc->param2);
  const CallRecord r = f.record(hCall);
  EXPECT_EQ(r.disconnectMode, rf.mode);
  EXPECT_EQ(r.termination.origin, TerminationOrigin::Remote);
  EXPECT_EQ(r.cause.code, std::atoi(rf.statusLine));
  EXPECT_EQ(r.cause.q850, rf.q850);
  EXPECT_EQ(r.cause.text.rfind(rf.statusLine, 0), 0u) << r.cause.text;
  EXPECT_FALSE(r.cause.callRef.empty());
  ASSERT_TRUE(f.drop(hCall));
  ASSERT_TRUE(f.waitState(CallState::Idle, hCall));
  EXPECT_EQ(f.states(hCall), (States{CallState::Dialing, CallState::Ringback,
                                     CallState::Disconnected, CallState::Idle}))
      << f.statesText(hCall);
  ASSERT_TRUE(f.eng->deallocate(f.hApp, hCall));
  // SIPp's scenario ends with the ACK of its refusal.
  EXPECT_EQ(f.waitSipp(sipp), 0) << sipp.transcript();
  EXPECT_TRUE(f.releasedEverything()) << f.statsText();
}

INSTANTIATE_TEST_SUITE_P(Statuses, SippOutboundRefused,
                         ::testing::Combine(::testing::Values(false, true),
                                            ::testing::ValuesIn(kRefusals)),
                         [](const ::testing::TestParamInfo<std::tuple<bool, Refusal>>& p) {
                           return std::string(std::get<1>(p.param).name) +
                                  (std::get<0>(p.param) ? "Tcp" : "Udp");
                         });

}  // namespace
}  // namespace tapi::testing
