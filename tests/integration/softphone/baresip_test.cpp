// The SIP line with a real softphone, baresip, as the other party: calls in both directions,
// answered, held and resumed by the softphone, and hung up from each side, over UDP and TCP.
// baresip's hold is a re-INVITE offering sendonly, so the line's answer must be recvonly
// (RFC 3264 §6.1), and its resume offers sendrecv again; baresip's SIP trace shows both
// answers. When the phone cancels a ringing call, the 200 to its CANCEL must carry the To
// tag of the INVITE's responses (RFC 3261 §9.2). Each test also checks the TAPI states, the
// post-connection record, and that the engine, the provider and the SIP stack hold nothing
// afterwards.

#include <gtest/gtest.h>

#include "integration/softphone/baresip.hpp"

namespace tapi::testing {
namespace {

class BaresipCall : public SippTest {
 protected:
  void SetUp() override {
    if (access(kBaresip, X_OK) != 0) {
      GTEST_SKIP() << kBaresip << " is not installed (scripts/install-deps.sh installs it)";
    }
  }

  /** The line's address, for the phone to dial. */
  std::string lineUri(const SipLineFixture& f) const {
    return "sip:alice@127.0.0.1:" + std::to_string(tcp() ? f.tcpPort() : f.udpPort()) +
           (tcp() ? ";transport=tcp" : "");
  }

  /**
   * The phone holds the call and resumes it: each re-INVITE is answered (2xx) with the
   * mirror of its offer, and the call stays CONNECTED throughout.
   */
  void holdThenResume(SipLineFixture& f, Baresip& phone, std::uint32_t hCall) {
    f.collect();
    const std::size_t statesBefore = f.states(hCall).size();
    // The phone's offers are told apart by their direction and CSeq, not by counting
    // messages: its trace (stdout) may lag behind its ctrl_tcp events.
    std::optional<Baresip::OfferAnswer> hold;
    phone.command("hold");
    ASSERT_TRUE(f.runUntil([&] {
      for (const auto& x : phone.invitesAnswered()) {
        if (sdpDirection(x.offer) == "sendonly") {
          hold = x;
          return true;
        }
      }
      return false;
    })) << phone.messagesText()
        << phone.transcript();
    EXPECT_EQ(sdpDirection(hold->answer), "recvonly") << "the line's answer to the hold:\n"
                                                      << hold->answer;

    std::optional<Baresip::OfferAnswer> resume;
    phone.command("resume");
    ASSERT_TRUE(f.runUntil([&] {
      const auto all = phone.invitesAnswered();
      if (!all.empty() && all.back().cseq > hold->cseq) {
        resume = all.back();
      }
      return resume.has_value();
    })) << phone.messagesText()
        << phone.transcript();
    EXPECT_EQ(sdpDirection(resume->offer), "sendrecv") << resume->offer;
    EXPECT_EQ(sdpDirection(resume->answer), "sendrecv") << "the line's answer to the resume:\n"
                                                        << resume->answer;

    // The hold and the resume each reached the app as CONNECTED with a new connected mode.
    ASSERT_TRUE(f.runUntil([&] { return f.states(hCall).size() == statesBefore + 2; }))
        << f.statesText(hCall);
    std::vector<std::uint32_t> modes;
    for (const auto& m : f.messages) {
      if (m.type == MessageType::CallState && m.hDevice == hCall &&
          m.param1 == static_cast<std::uint32_t>(CallState::Connected)) {
        modes.push_back(m.param2);
      }
    }
    EXPECT_EQ(modes, (std::vector<std::uint32_t>{connectedmode::Active, connectedmode::ActiveHeld,
                                                 connectedmode::Active}));
  }
};

TEST_P(BaresipCall, LineCallsPhoneHoldsAndResumesLineDrops) {
  SipLineFixture f({}, tcp());
  Baresip phone;
  ASSERT_TRUE(phone.ready());
  const std::uint32_t hCall = f.makeCall(phone.uri(tcp()));
  ASSERT_NE(hCall, 0u);
  ASSERT_TRUE(f.runUntil([&] { return phone.events("CALL_INCOMING") == 1; }))
      << phone.messagesText() << phone.transcript();
  ASSERT_TRUE(f.waitState(CallState::Ringback, hCall)) << f.statesText(hCall);
  phone.command("accept");
  ASSERT_TRUE(f.waitState(CallState::Connected, hCall)) << f.statesText(hCall) << "\n"
                                                        << phone.transcript();
  ASSERT_TRUE(f.runUntil([&] { return phone.events("CALL_ESTABLISHED") == 1; }))
      << phone.messagesText();
  EXPECT_EQ(f.record(hCall).called.number, "bob");

  ASSERT_NO_FATAL_FAILURE(holdThenResume(f, phone, hCall));

  ASSERT_NO_FATAL_FAILURE(
      f.dropToIdle(hCall, {CallState::Dialing, CallState::Ringback, CallState::Connected,
                           CallState::Connected, CallState::Connected, CallState::Idle}));
  ASSERT_TRUE(f.runUntil([&] { return phone.events("CALL_CLOSED") == 1; }))
      << phone.messagesText() << phone.transcript();
  expectLocalBye(f.record(hCall), "");
  ASSERT_TRUE(f.eng->deallocate(f.hApp, hCall));
  EXPECT_TRUE(f.releasedEverything()) << f.statsText();
}

TEST_P(BaresipCall, PhoneCallsHoldsAndResumesThenHangsUp) {
  SipLineFixture f({}, tcp());
  Baresip phone;
  ASSERT_TRUE(phone.ready());
  phone.command("dial", lineUri(f));
  auto offering = f.waitState(CallState::Offering);
  ASSERT_TRUE(offering) << phone.messagesText() << phone.transcript();
  const std::uint32_t hCall = offering->hDevice;
  EXPECT_EQ(f.record(hCall).caller.number, "bob");
  EXPECT_EQ(f.record(hCall).called.number, "alice");
  auto rid = f.eng->answer(f.hApp, hCall, {});
  ASSERT_TRUE(rid && f.waitReply(*rid) && *f.reply(*rid) == 0);
  ASSERT_TRUE(f.waitState(CallState::Connected, hCall)) << f.statesText(hCall);
  ASSERT_TRUE(f.runUntil([&] { return phone.events("CALL_ESTABLISHED") == 1; }))
      << phone.messagesText() << phone.transcript();

  ASSERT_NO_FATAL_FAILURE(holdThenResume(f, phone, hCall));

  phone.command("hangup");
  auto disc = f.waitState(CallState::Disconnected, hCall);
  ASSERT_TRUE(disc) << f.statesText(hCall) << "\n" << phone.transcript();
  EXPECT_EQ(disc->param2, disconnect::Normal) << disconnectModeName(disc->param2);
  const CallRecord r = f.record(hCall);
  EXPECT_EQ(r.disconnectMode, disconnect::Normal);
  expectRemoteBye(r, 16);
  ASSERT_NO_FATAL_FAILURE(
      f.dropToIdle(hCall, {CallState::Offering, CallState::Connected, CallState::Connected,
                           CallState::Connected, CallState::Disconnected, CallState::Idle}));
  EXPECT_EQ(f.record(hCall).termination.origin, TerminationOrigin::Remote);
  ASSERT_TRUE(f.runUntil([&] { return phone.events("CALL_CLOSED") == 1; })) << phone.messagesText();
  ASSERT_TRUE(f.eng->deallocate(f.hApp, hCall));
  EXPECT_TRUE(f.releasedEverything()) << f.statsText();
}

TEST_P(BaresipCall, PhoneCallsThenCancels) {
  SipLineFixture f({}, tcp());
  Baresip phone;
  ASSERT_TRUE(phone.ready());
  phone.command("dial", lineUri(f));
  auto offering = f.waitState(CallState::Offering);
  ASSERT_TRUE(offering) << phone.messagesText() << phone.transcript();
  const std::uint32_t hCall = offering->hDevice;
  // The line rang (180 with its To tag); the phone gives up: CANCEL.
  ASSERT_TRUE(f.runUntil([&] { return phone.events("CALL_RINGING") == 1; }))
      << phone.messagesText() << phone.transcript();
  phone.command("hangup");
  ASSERT_TRUE(f.waitState(CallState::Idle, hCall)) << f.statesText(hCall) << "\n"
                                                   << phone.transcript();
  f.expectStates(hCall, {CallState::Offering, CallState::Disconnected, CallState::Idle});
  const CallRecord r = f.record(hCall);
  EXPECT_EQ(r.disconnectMode, disconnect::Cancelled) << disconnectModeName(r.disconnectMode);
  EXPECT_EQ(r.termination.origin, TerminationOrigin::Remote);
  EXPECT_EQ(r.cause.text, "CANCEL");

  // RFC 3261 §9.2: the 200 to the CANCEL carries the To tag of the INVITE's responses.
  std::string cancelOk;
  std::string terminated;
  ASSERT_TRUE(f.runUntil([&] {
    for (const auto& m : phone.traced("SIP/2.0 200", true)) {
      if (m.find(" CANCEL\r\n") != std::string::npos) {
        cancelOk = m;
      }
    }
    const auto finals = phone.traced("SIP/2.0 487", true);
    terminated = finals.empty() ? std::string() : finals.front();
    return !cancelOk.empty() && !terminated.empty();
  })) << phone.transcript();
  const auto ringing = phone.traced("SIP/2.0 180", true);
  ASSERT_FALSE(ringing.empty()) << phone.transcript();
  const std::string tag = Baresip::toTag(ringing.front());
  EXPECT_FALSE(tag.empty());
  EXPECT_EQ(Baresip::toTag(terminated), tag) << terminated;
  EXPECT_EQ(Baresip::toTag(cancelOk), tag) << cancelOk;

  ASSERT_TRUE(f.runUntil([&] { return phone.events("CALL_CLOSED") == 1; })) << phone.messagesText();
  ASSERT_TRUE(f.eng->deallocate(f.hApp, hCall));
  EXPECT_TRUE(f.releasedEverything()) << f.statsText();
}

INSTANTIATE_TEST_SUITE_P(Transports, BaresipCall, ::testing::Values(false, true), transportName);

}  // namespace
}  // namespace tapi::testing
