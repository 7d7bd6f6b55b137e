// The SIP provider driven by SIPp: every termination path of the issue, over UDP and TCP.
// Each test asserts the TAPI events, the disconnect mode, the post-connection data, and
// that the engine, the provider and the SIP stack hold nothing after release.

#include <gtest/gtest.h>

#include "integration/sipp/sip_fixture.hpp"

namespace tapi::testing {
namespace {

class SippTest : public ::testing::TestWithParam<bool> {
 protected:
  bool tcp() const { return GetParam(); }
  std::string remote(SipLineFixture& f) const {
    return "127.0.0.1:" + std::to_string(tcp() ? f.tcpPort() : f.udpPort());
  }
};

std::string transportName(const ::testing::TestParamInfo<bool>& p) {
  return p.param ? "Tcp" : "Udp";
}

TEST_P(SippTest, InboundAnsweredThenRemoteByeWithReason) {
  SipLineFixture f({}, tcp());
  Sipp sipp("uac_remote_bye.xml", tcp(), freePort(tcp() ? SOCK_STREAM : SOCK_DGRAM), remote(f),
            {"-s", "alice", "-key", "reason", "Reason: Q.850;cause=17;text=\"User busy\""});
  auto offering = f.waitState(CallState::Offering);
  ASSERT_TRUE(offering) << f.statsText();
  const std::uint32_t hCall = offering->hDevice;
  auto info = f.eng->callInfo(f.hApp, hCall);
  ASSERT_TRUE(info);
  EXPECT_EQ(info->record.caller.number, "sipp");
  EXPECT_EQ(info->record.caller.name, "SIPp Caller");
  EXPECT_EQ(info->record.called.number, "alice");
  EXPECT_EQ(info->record.uuiReceived, std::string("\x04"
                                                  "ABC"));
  auto rid = f.eng->answer(f.hApp, hCall);
  ASSERT_TRUE(rid);
  ASSERT_TRUE(f.waitReply(*rid));
  EXPECT_EQ(*f.reply(*rid), 0u);
  ASSERT_TRUE(f.waitState(CallState::Connected, hCall));
  auto disc = f.waitState(CallState::Disconnected, hCall);
  ASSERT_TRUE(disc) << f.statsText();
  // Q.850 17 in the Reason wins: BUSY.
  EXPECT_EQ(disc->param2, disconnect::Busy);
  info = f.eng->callInfo(f.hApp, hCall);
  ASSERT_TRUE(info);
  EXPECT_EQ(info->record.termination.origin, TerminationOrigin::Remote);
  EXPECT_EQ(info->record.cause.q850, 17);
  EXPECT_FALSE(info->record.cause.callRef.empty());
  auto drop = f.eng->drop(f.hApp, hCall);
  ASSERT_TRUE(drop);
  ASSERT_TRUE(f.waitState(CallState::Idle, hCall));
  ASSERT_TRUE(f.eng->deallocate(f.hApp, hCall));
  EXPECT_EQ(f.waitSipp(sipp), 0) << sipp.transcript();
  EXPECT_TRUE(f.releasedEverything()) << f.statsText();
}

TEST_P(SippTest, OutboundAnsweredThenLocalDropWithUui) {
  SipLineFixture f({}, tcp());
  const std::uint16_t port = freePort(tcp() ? SOCK_STREAM : SOCK_DGRAM);
  Sipp sipp("uas_answer_wait_bye.xml", tcp(), port, "");
  // Over UDP the INVITE's retransmissions cover SIPp's start-up; over TCP the test waits
  // until SIPp accepts connections.
  std::string dest = "sip:bob@127.0.0.1:" + std::to_string(port);
  if (tcp()) {
    ASSERT_TRUE(waitTcpListening(port)) << sipp.transcript();
    dest += ";transport=tcp";
  }
  std::optional<engine::MakeCallResult> mc;
  ASSERT_TRUE(f.runUntil([&] {
    auto r = f.eng->makeCall(f.hApp, f.hLine, dest);
    if (!r) {
      return false;
    }
    mc = *r;
    return true;
  }));
  ASSERT_TRUE(f.waitReply(mc->requestId));
  ASSERT_EQ(*f.reply(mc->requestId), 0u);
  const std::uint32_t hCall = mc->hCall;
  ASSERT_TRUE(f.waitState(CallState::Connected, hCall)) << sipp.transcript();
  EXPECT_TRUE(f.stateSeen(CallState::Ringback, hCall));
  auto drop = f.eng->drop(f.hApp, hCall, 0, "hello");
  ASSERT_TRUE(drop);
  ASSERT_TRUE(f.waitState(CallState::Idle, hCall));
  EXPECT_FALSE(f.stateSeen(CallState::Disconnected, hCall)) << "a local drop goes straight to IDLE";
  auto info = f.eng->callInfo(f.hApp, hCall);
  ASSERT_TRUE(info);
  EXPECT_EQ(info->record.termination.origin, TerminationOrigin::Local);
  EXPECT_EQ(info->record.uuiSent, "hello");
  ASSERT_TRUE(f.eng->deallocate(f.hApp, hCall));
  EXPECT_EQ(f.waitSipp(sipp), 0) << sipp.transcript();
  EXPECT_TRUE(f.releasedEverything()) << f.statsText();
}

INSTANTIATE_TEST_SUITE_P(Transports, SippTest, ::testing::Values(false, true), transportName);

}  // namespace
}  // namespace tapi::testing
