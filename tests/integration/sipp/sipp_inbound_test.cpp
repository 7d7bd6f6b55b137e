// The SIP line as the callee (SIPp is the caller, a UAC): every way an incoming call ends,
// plus the UA core's answers to retransmitted and stray requests, over UDP and TCP. Each
// test asserts the TAPI states, the disconnect mode, the post-connection data, SIPp's
// verdict on what the line sent, and that the engine, the provider and the SIP stack hold
// nothing afterwards.

#include <gtest/gtest.h>

#include <tuple>

#include "integration/sipp/sip_fixture.hpp"

namespace tapi::testing {
namespace {

using States = std::vector<CallState>;

/** An answered incoming call the far end (or the line's stack) ended, dropped by the app. */
const States kAnsweredThenDisconnected{CallState::Offering, CallState::Connected,
                                       CallState::Disconnected, CallState::Idle};

class SippInbound : public SippTest {
 protected:
  /** Waits for the offered call; checks who calls whom. @return the call, 0 on failure. */
  std::uint32_t offered(SipLineFixture& f, Sipp& sipp) {
    auto offering = f.waitState(CallState::Offering);
    EXPECT_TRUE(offering) << f.statsText() << "\n" << sipp.transcript();
    if (!offering) {
      return 0;
    }
    const CallRecord r = f.record(offering->hDevice);
    EXPECT_EQ(r.caller.number, "sipp");
    EXPECT_EQ(r.caller.name, "SIPp Caller");
    EXPECT_EQ(r.called.number, "alice");
    EXPECT_FALSE(r.cause.callRef.empty());
    return offering->hDevice;
  }
  /** lineAnswer and its successful LINE_REPLY, then CONNECTED. */
  bool answer(SipLineFixture& f, std::uint32_t hCall, const std::string& uui = {}) {
    auto rid = f.eng->answer(f.hApp, hCall, uui);
    return rid && f.waitReply(*rid) && *f.reply(*rid) == 0 &&
           f.waitState(CallState::Connected, hCall).has_value();
  }
  /** SIPp calls, the line answers, SIPp hangs up with `reason` (a header line) on its BYE. */
  void remoteBye(const std::string& reason, std::uint32_t mode, int q850);
};

void SippInbound::remoteBye(const std::string& reason, std::uint32_t mode, int q850) {
  SipLineFixture f({}, tcp());
  Sipp sipp("uac_remote_bye.xml", tcp(), freePort(sockType()), remote(f),
            {"-s", "alice", "-key", "reason", reason});
  const std::uint32_t hCall = offered(f, sipp);
  ASSERT_NE(hCall, 0u);
  EXPECT_EQ(f.record(hCall).uuiReceived, std::string("\x04"
                                                     "ABC"))
      << "the INVITE's User-to-User";
  ASSERT_TRUE(answer(f, hCall));
  auto r = f.disconnected(hCall, mode, sipp);
  ASSERT_TRUE(r);
  expectRemoteBye(*r, q850);
  ASSERT_NO_FATAL_FAILURE(f.dropToIdle(hCall, kAnsweredThenDisconnected));
  EXPECT_EQ(f.record(hCall).termination.origin, TerminationOrigin::Remote);
  f.deallocateThenAllReleased(hCall, sipp);
}

TEST_P(SippInbound, AnsweredThenRemoteByeWithReason) {
  // Q.850 17 in the Reason wins: BUSY.
  remoteBye("Reason: Q.850;cause=17;text=\"User busy\"", disconnect::Busy, 17);
}

TEST_P(SippInbound, AnsweredThenRemoteByeWithoutReason) {
  remoteBye("X-Reason: none", disconnect::Normal, 16);
}

TEST_P(SippInbound, RemoteHoldAndResumeAreAnsweredAndReported) {
  // SIPp checks each re-INVITE's answer (mirrored direction, o= version rules); the app sees
  // the holds as CONNECTED/ACTIVEHELD and the resume as CONNECTED/ACTIVE.
  SipLineFixture f({}, tcp());
  Sipp sipp("uac_hold_resume.xml", tcp(), freePort(sockType()), remote(f), {"-s", "alice"});
  const std::uint32_t hCall = offered(f, sipp);
  ASSERT_NE(hCall, 0u);
  ASSERT_TRUE(answer(f, hCall));
  ASSERT_TRUE(f.disconnected(hCall, disconnect::Normal, sipp));
  ASSERT_NO_FATAL_FAILURE(
      f.dropToIdle(hCall, {CallState::Offering, CallState::Connected, CallState::Connected,
                           CallState::Connected, CallState::Disconnected, CallState::Idle}));
  // The connected modes the app was told (LINE_CALLSTATE dwParam2).
  std::vector<std::uint32_t> modes;
  for (const auto& m : f.messages) {
    if (m.type == MessageType::CallState && m.hDevice == hCall &&
        m.param1 == static_cast<std::uint32_t>(CallState::Connected)) {
      modes.push_back(m.param2);
    }
  }
  const std::vector<std::uint32_t> expected{
      connectedmode::Active,      // answered
      connectedmode::ActiveHeld,  // sendonly (inactive next: still held, nothing new)
      connectedmode::Active};     // sendrecv again (a repeated offer changes nothing)
  EXPECT_EQ(modes, expected);
  f.deallocateThenAllReleased(hCall, sipp);
}

TEST_P(SippInbound, AnsweredThenLocalDropWithUui) {
  SipLineFixture f({}, tcp());
  Sipp sipp("uac_answered_local_bye.xml", tcp(), freePort(sockType()), remote(f), {"-s", "alice"});
  const std::uint32_t hCall = offered(f, sipp);
  ASSERT_NE(hCall, 0u);
  ASSERT_TRUE(answer(f, hCall, "hi"));
  ASSERT_NO_FATAL_FAILURE(
      f.dropToIdle(hCall, {CallState::Offering, CallState::Connected, CallState::Idle}, 0, "bye"));
  expectLocalBye(f.record(hCall), "bye");
  // SIPp checked the 2xx's and the BYE's User-to-User and the BYE's Reason.
  f.deallocateThenAllReleased(hCall, sipp);
}

TEST_P(SippInbound, RemoteCancelWhileOffering) {
  SipLineFixture f({}, tcp());
  Sipp sipp("uac_cancel.xml", tcp(), freePort(sockType()), remote(f), {"-s", "alice"});
  const std::uint32_t hCall = offered(f, sipp);
  ASSERT_NE(hCall, 0u);
  // Nothing is left to clear: DISCONNECTED(CANCELLED) and IDLE without a lineDrop.
  ASSERT_TRUE(f.waitState(CallState::Idle, hCall)) << f.statesText(hCall) << "\n"
                                                   << sipp.transcript();
  f.expectStates(hCall, {CallState::Offering, CallState::Disconnected, CallState::Idle});
  auto r = f.disconnected(hCall, disconnect::Cancelled, sipp);
  ASSERT_TRUE(r);
  EXPECT_EQ(r->termination.origin, TerminationOrigin::Remote);
  EXPECT_EQ(r->cause.code, 0) << "a CANCEL has no status";
  EXPECT_EQ(r->cause.q850, 0) << "the CANCEL had no Reason";
  EXPECT_EQ(r->cause.text, "CANCEL");
  EXPECT_FALSE(r->cause.callRef.empty());
  // SIPp got 200 for the CANCEL and 487 for the INVITE, and sent the ACK.
  f.deallocateThenAllReleased(hCall, sipp);
}

TEST_P(SippInbound, AckNeverArrives) {
  SipLineFixture f({}, tcp());
  Sipp sipp("uac_no_ack.xml", tcp(), freePort(sockType()), remote(f), {"-s", "alice"});
  const std::uint32_t hCall = offered(f, sipp);
  ASSERT_NE(hCall, 0u);
  ASSERT_TRUE(answer(f, hCall));
  const auto answeredAt = std::chrono::steady_clock::now();
  // 64*T1 (6.4 s with the fixture's T1) after the 2xx, the line gives up and sends BYE.
  auto r = f.disconnected(hCall, disconnect::TempFailure, sipp);
  ASSERT_TRUE(r);
  EXPECT_GE(std::chrono::steady_clock::now() - answeredAt, std::chrono::milliseconds(6000));
  EXPECT_EQ(r->termination.origin, TerminationOrigin::Remote) << "the far end never ACKed";
  EXPECT_EQ(r->cause.code, 0);
  EXPECT_EQ(r->cause.q850, 102);
  EXPECT_EQ(r->cause.text, "2xx not acknowledged");
  EXPECT_FALSE(r->cause.callRef.empty());
  ASSERT_NO_FATAL_FAILURE(f.dropToIdle(hCall, kAnsweredThenDisconnected));
  // SIPp received the BYE (with its Reason) and answered it.
  f.deallocateThenAllReleased(hCall, sipp);
}

TEST_P(SippInbound, ByeRetransmitted) {
  SipLineFixture f({}, tcp());
  // -nr: SIPp would take the line's retransmitted 200 for the BYE as a duplicate of the first
  // and answer it by sending its BYE again, forever.
  Sipp sipp("uac_bye_twice.xml", tcp(), freePort(sockType()), remote(f), {"-s", "alice", "-nr"});
  const std::uint32_t hCall = offered(f, sipp);
  ASSERT_NE(hCall, 0u);
  ASSERT_TRUE(answer(f, hCall));
  // Both BYEs got 200 when SIPp exits with success.
  EXPECT_EQ(f.waitSipp(sipp), 0) << sipp.transcript();
  ASSERT_TRUE(f.waitState(CallState::Disconnected, hCall));
  f.collect();
  EXPECT_EQ(f.count(CallState::Disconnected, hCall), 1u) << f.statesText(hCall);
  const CallRecord r = f.record(hCall);
  EXPECT_EQ(r.disconnectMode, disconnect::Normal);
  EXPECT_EQ(r.termination.origin, TerminationOrigin::Remote);
  EXPECT_EQ(r.cause.q850, 16);
  EXPECT_FALSE(r.cause.callRef.empty());
  ASSERT_NO_FATAL_FAILURE(f.dropToIdle(hCall, kAnsweredThenDisconnected));
  f.deallocateThenAllReleased(hCall, sipp);  // SIPp has exited already
}

TEST_P(SippInbound, ByeForUnknownDialogGets481) {
  SipLineFixture f({}, tcp());
  const std::uint64_t before = f.provider->sipStats().answered481;
  Sipp sipp("uac_unknown_dialog_bye.xml", tcp(), freePort(sockType()), remote(f), {"-s", "alice"});
  EXPECT_EQ(f.waitSipp(sipp), 0) << sipp.transcript();
  EXPECT_EQ(f.provider->sipStats().answered481, before + 1);
  f.collect();
  f.expectNoCalls("no call may appear");
  EXPECT_EQ(f.provider->sipStats().callsTotal, 0u);
  EXPECT_TRUE(f.releasedEverything()) << f.statsText();
}

TEST_P(SippInbound, UnknownUserAndClosedLineGetTheSameAnswer) {
  // A scan must not tell which users exist (docs/security.md): "bob" is a line no app has
  // open, "nobody" is not a line at all; both get 480 with Q.850 cause 20.
  providers::sip::SipLineConfig bob = aliceLine(tcp());
  bob.name = "sip/bob";
  bob.user = "bob";
  SipLineFixture f({aliceLine(tcp()), bob}, tcp());
  for (const char* user : {"bob", "nobody"}) {
    Sipp sipp("uac_rejected.xml", tcp(), freePort(sockType()), remote(f), {"-s", user},
              {{"STATUS", "480"}, {"CAUSE", "20"}});
    EXPECT_EQ(f.waitSipp(sipp), 0) << user << "\n" << sipp.transcript();
  }
  f.collect();
  f.expectNoCalls("no call may appear");
  EXPECT_EQ(f.provider->sipStats().callsTotal, 0u);
  EXPECT_TRUE(f.releasedEverything()) << f.statsText();
}

INSTANTIATE_TEST_SUITE_P(Transports, SippInbound, ::testing::Values(false, true), transportName);

// ---- refusals by lineDrop on the offered call --------------------------------------------

struct Refusal {
  const char* name;
  std::uint32_t mode;  // lineDrop's mode
  int status;          // what SIPp must receive
  int q850;            // in its Reason
};

const Refusal kRefusals[] = {
    {"Busy", disconnect::Busy, 486, 17},
    {"Reject", disconnect::Reject, 603, 21},
    {"Unavail", disconnect::Unavail, 480, 31},
};

using SippInboundRefused = SippCaseTest<Refusal>;

TEST_P(SippInboundRefused, DropOfOfferedCallRejects) {
  const Refusal& rf = testCase();
  SipLineFixture f({}, tcp());
  Sipp sipp("uac_rejected.xml", tcp(), freePort(sockType()), remote(f), {"-s", "alice"},
            {{"STATUS", std::to_string(rf.status)}, {"CAUSE", std::to_string(rf.q850)}});
  auto offering = f.waitState(CallState::Offering);
  ASSERT_TRUE(offering) << f.statsText() << "\n" << sipp.transcript();
  const std::uint32_t hCall = offering->hDevice;
  // lineDrop on an offered call rejects it: the local end goes IDLE, no DISCONNECTED.
  ASSERT_NO_FATAL_FAILURE(
      f.dropToIdle(hCall, {CallState::Offering, CallState::Idle}, rf.mode, "no"));
  const CallRecord r = f.record(hCall);
  EXPECT_EQ(r.termination.origin, TerminationOrigin::Local);
  EXPECT_EQ(r.uuiSent, "no");
  EXPECT_EQ(r.cause.code, rf.status) << "the status the line answered";
  EXPECT_EQ(r.cause.q850, rf.q850) << "the cause the line sent";
  EXPECT_EQ(r.cause.text.rfind(std::to_string(rf.status) + " ", 0), 0u) << r.cause.text;
  EXPECT_NE(r.cause.text.find("Q.850;cause=" + std::to_string(rf.q850) + ";"), std::string::npos)
      << r.cause.text;
  EXPECT_FALSE(r.cause.callRef.empty());
  // SIPp checked the status and the Reason, and sent the ACK.
  f.deallocateThenAllReleased(hCall, sipp);
}

INSTANTIATE_TEST_SUITE_P(Modes, SippInboundRefused, overBothTransports(kRefusals),
                         caseAndTransportName<Refusal>);

}  // namespace
}  // namespace tapi::testing
