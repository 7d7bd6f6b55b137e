// The SIP line behind a record-routing proxy (Kamailio 5.6, kamailio.cfg here): it registers
// and unregisters there, and calls in both directions with SIPp as the other party, each
// side hanging up, over UDP and TCP. What these tests add to the SIPp tests is the route
// set: the ACK and the BYE of every call must go through the proxy (RFC 3261 §12.1.1,
// §16.12). SIPp checks the Record-Route and Via headers it sees; the proxy's log shows each
// in-dialog request it relayed by its Route, and any that skipped it.

#include <gtest/gtest.h>

#include "integration/kamailio/kamailio_fixture.hpp"

namespace tapi::testing {
namespace {

/** The proxy's log line for an in-dialog request that came to it through the route set. */
std::string routed(const std::string& method) {
  return "proxy: in-dialog " + method + " routed";
}

class KamailioProxy : public SippTest {
 protected:
  void SetUp() override {
    if (const std::string missing = missingProxyTools(); !missing.empty()) {
      GTEST_SKIP() << missing;
    }
    proxy_ = std::make_unique<Kamailio>();
    ASSERT_TRUE(proxy_->ready());
  }

  /** The engine and the line, registered at the proxy. */
  std::unique_ptr<SipLineFixture> registeredLine() {
    auto f = std::make_unique<SipLineFixture>(
        std::vector<providers::sip::SipLineConfig>{aliceBehind(*proxy_, tcp())}, tcp());
    EXPECT_TRUE(f->runUntil([&] { return f->provider->sipStats().registrations == 1; }))
        << f->statsText() << "\n"
        << proxy_->log();
    return f;
  }

  /** A SIPp scenario that talks to the proxy; @PROXY@ in it is the proxy's address. */
  std::unique_ptr<Sipp> sipp(const std::string& scenario, const std::string& remote,
                             std::vector<std::string> extra = {}) {
    return std::make_unique<Sipp>(
        scenario, tcp(), freePort(sockType()), remote, std::move(extra),
        std::map<std::string, std::string>{{"PROXY", proxy_->hostPort()}});
  }

  /** The call's ACK and BYE passed the proxy by its Record-Route, and nothing skipped it. */
  void expectAckAndByeRouted() {
    EXPECT_GE(proxy_->logged(routed("ACK")), 1u) << proxy_->log();
    EXPECT_EQ(proxy_->logged(routed("BYE")), 1u) << proxy_->log();
    EXPECT_EQ(proxy_->logged("without Route"), 0u) << proxy_->log();
  }

  std::unique_ptr<Kamailio> proxy_;
};

TEST_P(KamailioProxy, RegistersThenUnregistersOnClose) {
  auto f = registeredLine();
  const std::string port = std::to_string(tcp() ? f->tcpPort() : f->udpPort());
  const std::string contacts = proxy_->contactsOf("alice");
  EXPECT_NE(contacts.find("sip:alice@127.0.0.1:" + port), std::string::npos) << contacts;
  // Closing the line removes the binding (Expires: 0).
  ASSERT_TRUE(f->eng->close(f->hApp, f->hLine));
  ASSERT_TRUE(f->runUntil([&] {
    const auto s = f->provider->sipStats();
    return s.registrations == 0 && s.outOfDialog == 0;
  })) << f->statsText();
  EXPECT_EQ(proxy_->contactsOf("alice"), "") << "the binding must be gone";
  f->expectNoCalls("registration makes no calls");
  EXPECT_TRUE(f->releasedEverything()) << f->statsText();
}

class KamailioInbound : public KamailioProxy {
 protected:
  /** SIPp calls alice at the proxy; the line answers. @return the call, 0 on failure. */
  std::uint32_t answered(SipLineFixture& f, Sipp& s) {
    auto offering = f.waitState(CallState::Offering);
    EXPECT_TRUE(offering) << f.statsText() << "\n" << s.transcript() << "\n" << proxy_->log();
    if (!offering) {
      return 0;
    }
    const std::uint32_t hCall = offering->hDevice;
    EXPECT_EQ(f.record(hCall).caller.number, "sipp");
    EXPECT_EQ(f.record(hCall).called.number, "alice");
    auto rid = f.eng->answer(f.hApp, hCall, {});
    EXPECT_TRUE(rid && f.waitReply(*rid) && *f.reply(*rid) == 0);
    EXPECT_TRUE(f.waitState(CallState::Connected, hCall)) << f.statesText(hCall);
    return hCall;
  }
};

TEST_P(KamailioInbound, AnsweredThenRemoteBye) {
  auto f = registeredLine();
  auto s = sipp("uac_proxy_remote_bye.xml", proxy_->hostPort(), {"-s", "alice"});
  const std::uint32_t hCall = answered(*f, *s);
  ASSERT_NE(hCall, 0u);
  // A BYE that skipped the proxy would get 404 and leave the call up until 64*T1 later.
  auto r = f->disconnected(hCall, disconnect::Normal, *s);
  ASSERT_TRUE(r) << proxy_->log();
  expectRemoteBye(*r, 16);
  ASSERT_NO_FATAL_FAILURE(f->dropToIdle(hCall, {CallState::Offering, CallState::Connected,
                                                CallState::Disconnected, CallState::Idle}));
  f->deallocateThenAllReleased(hCall, *s);
  expectAckAndByeRouted();
}

TEST_P(KamailioInbound, AnsweredThenLocalDrop) {
  auto f = registeredLine();
  auto s = sipp("uac_proxy_local_bye.xml", proxy_->hostPort(), {"-s", "alice"});
  const std::uint32_t hCall = answered(*f, *s);
  ASSERT_NE(hCall, 0u);
  // The ACK came back through the proxy before the line hangs up.
  ASSERT_TRUE(f->runUntil([&] { return proxy_->logged(routed("ACK")) >= 1; }))
      << proxy_->log() << "\n"
      << s->transcript();
  ASSERT_NO_FATAL_FAILURE(
      f->dropToIdle(hCall, {CallState::Offering, CallState::Connected, CallState::Idle}));
  expectLocalBye(f->record(hCall), "");
  f->deallocateThenAllReleased(hCall, *s);
  expectAckAndByeRouted();
}

class KamailioOutbound : public KamailioProxy {
 protected:
  /** The line calls SIPp through the proxy and SIPp answers. @return the call, 0 on failure. */
  std::uint32_t answered(SipLineFixture& f, Sipp& s) {
    const std::uint32_t hCall = f.makeCall(destination(s));
    if (hCall == 0) {
      return 0;
    }
    EXPECT_TRUE(f.waitState(CallState::Connected, hCall)) << f.statesText(hCall) << "\n"
                                                          << s.transcript() << "\n"
                                                          << proxy_->log();
    EXPECT_EQ(f.record(hCall).called.number, "bob");
    // PROCEEDING: the proxy's 100 Trying, which SIPp alone never sends.
    return hCall;
  }
};

TEST_P(KamailioOutbound, AnsweredThenRemoteBye) {
  auto f = registeredLine();
  auto s = sipp("uas_proxy_remote_bye.xml", "");
  const std::uint32_t hCall = answered(*f, *s);
  ASSERT_NE(hCall, 0u);
  auto r = f->disconnected(hCall, disconnect::Normal, *s);
  ASSERT_TRUE(r) << proxy_->log();
  expectRemoteBye(*r, 16);
  ASSERT_NO_FATAL_FAILURE(
      f->dropToIdle(hCall, {CallState::Dialing, CallState::Proceeding, CallState::Ringback,
                            CallState::Connected, CallState::Disconnected, CallState::Idle}));
  f->deallocateThenAllReleased(hCall, *s);
  expectAckAndByeRouted();
}

TEST_P(KamailioOutbound, AnsweredThenLocalDrop) {
  auto f = registeredLine();
  auto s = sipp("uas_proxy_local_bye.xml", "");
  const std::uint32_t hCall = answered(*f, *s);
  ASSERT_NE(hCall, 0u);
  ASSERT_NO_FATAL_FAILURE(
      f->dropToIdle(hCall, {CallState::Dialing, CallState::Proceeding, CallState::Ringback,
                            CallState::Connected, CallState::Idle}));
  expectLocalBye(f->record(hCall), "");
  f->deallocateThenAllReleased(hCall, *s);
  expectAckAndByeRouted();
}

INSTANTIATE_TEST_SUITE_P(Transports, KamailioProxy, ::testing::Values(false, true), transportName);
INSTANTIATE_TEST_SUITE_P(Transports, KamailioInbound, ::testing::Values(false, true),
                         transportName);
INSTANTIATE_TEST_SUITE_P(Transports, KamailioOutbound, ::testing::Values(false, true),
                         transportName);

}  // namespace
}  // namespace tapi::testing
