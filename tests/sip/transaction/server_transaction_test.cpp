#include "sip/transaction/server_transaction.hpp"

#include <gtest/gtest.h>

#include "transaction_fixture.hpp"

namespace tapi::sip::testing {
namespace {

using transaction::EndReason;
using transaction::TransactionKind;
using Ist = transaction::InviteServerTransaction;
using Nist = transaction::NonInviteServerTransaction;

std::vector<double> seq(std::initializer_list<double> v) {
  return v;
}

// ---- INVITE server: RFC 3261 §17.2.1 / RFC 6026 figure 7 ---------------------------------

struct InviteServerTest : ::testing::Test {
  void receiveInvite(TransactionFixture& f) {
    f.autoCreateServers();
    f.peerSends(f.peerRequest("INVITE"));
    ASSERT_EQ(f.servers.size(), 1u);
    h = f.servers[0];
    EXPECT_EQ(f.layer.kind(h), TransactionKind::InviteServer);
  }
  transaction::TransactionHandle h;
};

TEST_F(InviteServerTest, TryingAtOnceAndRetransmittedInviteGetsTheLatestProvisional) {
  TransactionFixture f(Protocol::Udp);
  receiveInvite(f);
  EXPECT_EQ(f.layer.stateName(h), "Proceeding");
  EXPECT_EQ(f.sendTimes("", 100), seq({0}));
  const auto sent = f.sent();
  EXPECT_EQ(sent[0].to.endpoint, ep("10.0.0.2", 5070)) << "sent-by port, no rport";
  f.loop.advance(500ms);
  f.peerSends(f.peerRequest("INVITE"));
  EXPECT_EQ(f.sendTimes("", 100), seq({0, 0.5}));
  EXPECT_EQ(f.tu.requests.size(), 1u) << "the retransmission does not reach the TU";
  ASSERT_TRUE(f.respond(h, 180).ok());
  f.loop.advance(500ms);
  f.peerSends(f.peerRequest("INVITE"));
  EXPECT_EQ(f.sendTimes("", 180), seq({0.5, 1.0}));
  EXPECT_EQ(f.layer.stats().absorbed, 2u);
}

TEST_F(InviteServerTest, UdpFailureRetransmitsWithTimerGCappedAtT2UntilTimerH) {
  TransactionFixture f(Protocol::Udp);
  receiveInvite(f);
  ASSERT_TRUE(f.respond(h, 486).ok());
  EXPECT_EQ(f.layer.stateName(h), "Completed");
  f.loop.advance(31999ms);
  EXPECT_EQ(f.sendTimes("", 486), seq({0, 0.5, 1.5, 3.5, 7.5, 11.5, 15.5, 19.5, 23.5, 27.5, 31.5}));
  EXPECT_TRUE(f.tu.terminated.empty());
  f.loop.advance(1ms);  // Timer H = 64*T1 without an ACK
  ASSERT_EQ(f.tu.terminated.size(), 1u);
  EXPECT_EQ(f.tu.terminated[0].reason, EndReason::Timeout);
  EXPECT_EQ(f.tu.terminated[0].kind, TransactionKind::InviteServer);
  f.expectAllGone();
}

TEST_F(InviteServerTest, CustomT2CapsTimerG) {
  transaction::TimerConfig t;
  t.t2 = 1s;
  TransactionFixture f(Protocol::Udp, t);
  receiveInvite(f);
  ASSERT_TRUE(f.respond(h, 600).ok());
  f.loop.advance(4s);
  EXPECT_EQ(f.sendTimes("", 600), seq({0, 0.5, 1.5, 2.5, 3.5}));
}

TEST_F(InviteServerTest, AFloodOfRequestsIsBoundedByTheTransactionLimit) {
  transaction::TimerConfig t;
  t.maxTransactions = 3;
  TransactionFixture f(Protocol::Udp, t);
  int refused = 0;
  f.tu.onRequestHook = [&](const transaction::RequestParam& p) {
    if (!f.layer.createServer(p.request, p.arrival).ok()) {
      ++refused;
    }
  };
  for (int i = 0; i < 10; ++i) {
    f.peerSends(f.peerRequest("OPTIONS", "z9hG4bKflood" + std::to_string(i)));
  }
  EXPECT_EQ(f.layer.stats().liveTotal(), 3u);
  EXPECT_EQ(refused, 7);
  EXPECT_EQ(f.layer.stats().refusedOverLimit, 7u);
}

TEST_F(InviteServerTest, RetransmittedInviteInCompletedGetsTheFinalAgain) {
  TransactionFixture f(Protocol::Udp);
  receiveInvite(f);
  ASSERT_TRUE(f.respond(h, 404).ok());
  f.loop.advance(200ms);
  f.peerSends(f.peerRequest("INVITE"));
  EXPECT_EQ(f.sendTimes("", 404), seq({0, 0.2}));
  EXPECT_FALSE(f.respond(h, 500).ok()) << "only one final";
}

TEST_F(InviteServerTest, AckConfirmsAndTimerIAbsorbsAckRetransmissions) {
  TransactionFixture f(Protocol::Udp);
  receiveInvite(f);
  ASSERT_TRUE(f.respond(h, 486).ok());
  f.loop.advance(600ms);
  f.peerSends(f.peerRequest("ACK", "z9hG4bKpeer1", "our-tag"));
  EXPECT_EQ(f.layer.stateName(h), "Confirmed");
  EXPECT_TRUE(f.tu.acks.empty()) << "the ACK for a non-2xx stays in the transaction";
  EXPECT_EQ(f.tu.requests.size(), 1u);
  f.peerSends(f.peerRequest("ACK", "z9hG4bKpeer1", "our-tag"));
  f.peerSends(f.peerRequest("INVITE"));
  f.loop.advance(4999ms);
  EXPECT_EQ(f.sendTimes("", 486), seq({0, 0.5}))
      << "G stopped by the ACK, nothing re-sent in Confirmed";
  EXPECT_TRUE(f.tu.terminated.empty());
  f.loop.advance(1ms);  // Timer I = T4 after the ACK
  ASSERT_EQ(f.tu.terminated.size(), 1u);
  EXPECT_EQ(f.tu.terminated[0].reason, EndReason::Completed);
  EXPECT_DOUBLE_EQ(secs(f.tu.terminated[0].at), 5.6);
  f.expectAllGone();
}

TEST_F(InviteServerTest, TcpFailureHasNoTimerGAndAckEndsAtOnce) {
  TransactionFixture f(Protocol::Tcp);
  receiveInvite(f);
  ASSERT_TRUE(f.respond(h, 486).ok());
  EXPECT_EQ(f.layer.stats().timersPending, 1u) << "H only";
  const auto sent = f.sent();
  EXPECT_EQ(sent.back().to.connection, TransactionFixture::kConn)
      << "the response reuses the connection";
  f.loop.advance(10s);
  EXPECT_EQ(f.sendTimes("", 486), seq({0}));
  f.peerSends(f.peerRequest("ACK", "z9hG4bKpeer1", "our-tag"));
  EXPECT_FALSE(f.layer.alive(h)) << "Timer I is zero on reliable transports";
  EXPECT_DOUBLE_EQ(secs(f.tu.terminated.at(0).at), 10.0);
  ASSERT_EQ(f.tu.terminated.size(), 1u);
  f.expectAllGone();
}

TEST_F(InviteServerTest, TcpTimerHStillRuns) {
  TransactionFixture f(Protocol::Tcp);
  receiveInvite(f);
  ASSERT_TRUE(f.respond(h, 486).ok());
  f.loop.advance(32s);
  ASSERT_EQ(f.tu.terminated.size(), 1u);
  EXPECT_EQ(f.tu.terminated[0].reason, EndReason::Timeout);
}

TEST_F(InviteServerTest, SuccessEntersAcceptedWhere2xxPassAndAckGoesToTheTu) {
  TransactionFixture f(Protocol::Udp);
  receiveInvite(f);
  ASSERT_TRUE(f.respond(h, 200).ok());
  EXPECT_EQ(f.layer.stateName(h), "Accepted");
  // A retransmitted INVITE is absorbed: the TU, not the transaction, repeats the 2xx.
  f.loop.advance(500ms);
  f.peerSends(f.peerRequest("INVITE"));
  EXPECT_EQ(f.sendTimes("", 200), seq({0}));
  ASSERT_TRUE(f.respond(h, 200).ok()) << "the TU's 2xx retransmission passes through";
  EXPECT_EQ(f.sendTimes("", 200), seq({0, 0.5}));
  EXPECT_FALSE(f.respond(h, 486).ok()) << "no failure after a 2xx";
  f.peerSends(f.peerRequest("ACK", "z9hG4bKpeer1", "our-tag"));
  ASSERT_EQ(f.tu.acks.size(), 1u);
  EXPECT_EQ(f.tu.acks[0].transaction, h);
  EXPECT_EQ(f.layer.stateName(h), "Accepted");
  f.loop.advance(31499ms);
  EXPECT_TRUE(f.tu.terminated.empty());
  f.loop.advance(1ms);  // Timer L = 64*T1 after the 2xx
  ASSERT_EQ(f.tu.terminated.size(), 1u);
  EXPECT_EQ(f.tu.terminated[0].reason, EndReason::Completed);
  EXPECT_DOUBLE_EQ(secs(f.tu.terminated[0].at), 32.0);
  // After L, an ACK matches nothing and goes to the TU as a plain request.
  f.peerSends(f.peerRequest("ACK", "z9hG4bKpeer1", "our-tag"));
  EXPECT_EQ(f.tu.requests.back().request.methodName(), "ACK");
  f.expectAllGone();
}

TEST_F(InviteServerTest, TransportErrorInAcceptedIsReportedButKeepsTheTransaction) {
  TransactionFixture f(Protocol::Udp);
  receiveInvite(f);
  ASSERT_TRUE(f.respond(h, 200).ok());
  f.wire.failSends(std::make_error_code(std::errc::host_unreachable));
  ASSERT_TRUE(f.respond(h, 200).ok());
  EXPECT_EQ(f.tu.transportErrors.size(), 1u);
  EXPECT_EQ(f.layer.stateName(h), "Accepted");
}

TEST_F(InviteServerTest, TransportErrorInProceedingTerminates) {
  TransactionFixture f(Protocol::Udp);
  receiveInvite(f);
  f.wire.failSends(std::make_error_code(std::errc::host_unreachable));
  ASSERT_TRUE(f.respond(h, 180).ok());
  ASSERT_EQ(f.tu.terminated.size(), 1u);
  EXPECT_EQ(f.tu.terminated[0].reason, EndReason::TransportError);
  f.expectAllGone();
}

TEST_F(InviteServerTest, TransportErrorInCompletedTerminates) {
  TransactionFixture f(Protocol::Udp);
  receiveInvite(f);
  f.wire.failSends(std::make_error_code(std::errc::host_unreachable));
  ASSERT_TRUE(f.respond(h, 500).ok());
  ASSERT_EQ(f.tu.terminated.size(), 1u);
  EXPECT_EQ(f.tu.terminated[0].reason, EndReason::TransportError);
  f.expectAllGone();
}

TEST_F(InviteServerTest, CancelFindsItsInvite) {
  TransactionFixture f(Protocol::Udp);
  receiveInvite(f);
  f.tu.onRequestHook = nullptr;
  f.peerSends(f.peerRequest("CANCEL"));
  ASSERT_EQ(f.tu.requests.size(), 2u) << "a CANCEL matches no transaction of its own";
  EXPECT_EQ(f.layer.findInviteServerForCancel(f.tu.requests[1].request), h);
  // A CANCEL with another branch targets nothing.
  f.peerSends(f.peerRequest("CANCEL", "z9hG4bKother"));
  EXPECT_FALSE(f.layer.findInviteServerForCancel(f.tu.requests[2].request).valid());
  // The CANCEL gets its own non-INVITE server transaction, distinct from the INVITE's.
  auto c = f.layer.createServer(f.tu.requests[1].request, f.tu.requests[1].arrival);
  ASSERT_TRUE(c.ok());
  EXPECT_EQ(f.layer.kind(*c), TransactionKind::NonInviteServer);
  EXPECT_NE(*c, h);
}

TEST_F(InviteServerTest, Rfc2543RequestsMatchWithoutTheMagicCookie) {
  TransactionFixture f(Protocol::Udp);
  f.autoCreateServers();
  f.peerSends(f.peerRequest("INVITE", "oldstyle1"));
  ASSERT_EQ(f.servers.size(), 1u);
  h = f.servers[0];
  f.peerSends(f.peerRequest("INVITE", "oldstyle1"));
  EXPECT_EQ(f.servers.size(), 1u) << "the retransmission matched";
  ASSERT_TRUE(f.respond(h, 486).ok());
  // The ACK carries our To tag, which the INVITE did not: it still matches.
  f.peerSends(f.peerRequest("ACK", "oldstyle1", "our-tag"));
  EXPECT_EQ(f.layer.stateName(h), "Confirmed");
  f.tu.onRequestHook = nullptr;
  f.peerSends(f.peerRequest("CANCEL", "oldstyle1"));
  EXPECT_EQ(f.layer.findInviteServerForCancel(f.tu.requests.back().request), h);
}

TEST_F(InviteServerTest, NoAutomaticTryingWhenConfiguredOff) {
  transaction::TimerConfig t;
  t.autoTrying = false;
  TransactionFixture f(Protocol::Udp, t);
  receiveInvite(f);
  EXPECT_TRUE(f.sent().empty());
  f.peerSends(f.peerRequest("INVITE"));
  EXPECT_TRUE(f.sent().empty()) << "nothing to resend yet";
}

// ---- non-INVITE server: RFC 3261 §17.2.2 / figure 8 --------------------------------------

struct NonInviteServerTest : ::testing::Test {
  void receive(TransactionFixture& f, std::string_view method) {
    f.autoCreateServers();
    f.peerSends(f.peerRequest(method));
    ASSERT_EQ(f.servers.size(), 1u);
    h = f.servers[0];
  }
  transaction::TransactionHandle h;
};

TEST_F(NonInviteServerTest, UdpWalksTryingProceedingCompletedAndTimerJ) {
  TransactionFixture f(Protocol::Udp);
  receive(f, "BYE");
  EXPECT_EQ(f.layer.stateName(h), "Trying");
  f.peerSends(f.peerRequest("BYE"));
  EXPECT_TRUE(f.sent().empty()) << "Trying absorbs retransmissions silently";
  ASSERT_TRUE(f.respond(h, 100).ok());
  EXPECT_EQ(f.layer.stateName(h), "Proceeding");
  f.loop.advance(1s);
  f.peerSends(f.peerRequest("BYE"));
  EXPECT_EQ(f.sendTimes("", 100), seq({0, 1}));
  ASSERT_TRUE(f.respond(h, 200).ok());
  EXPECT_EQ(f.layer.stateName(h), "Completed");
  f.loop.advance(1s);
  f.peerSends(f.peerRequest("BYE"));
  EXPECT_EQ(f.sendTimes("", 200), seq({1, 2}));
  EXPECT_FALSE(f.respond(h, 500).ok());
  EXPECT_EQ(f.tu.requests.size(), 1u);
  f.loop.advance(30999ms);
  EXPECT_TRUE(f.tu.terminated.empty());
  f.loop.advance(1ms);  // Timer J = 64*T1 after the final
  ASSERT_EQ(f.tu.terminated.size(), 1u);
  EXPECT_EQ(f.tu.terminated[0].reason, EndReason::Completed);
  EXPECT_DOUBLE_EQ(secs(f.tu.terminated[0].at), 33.0);
  f.expectAllGone();
}

TEST_F(NonInviteServerTest, AViaNamingAnUnservedTransportIsAnsweredAndTheTransactionEnds) {
  // RFC 4475-style traffic: a UDP datagram whose Via says TLS. Its response goes back over
  // UDP, and the transaction ends by Timer J like any other; none is left without a timer.
  TransactionFixture f(Protocol::Udp);
  f.autoCreateServers();
  std::string text = f.peerRequest("OPTIONS");
  const auto at = text.find("SIP/2.0/UDP");
  ASSERT_NE(at, std::string::npos);
  text.replace(at, 11, "SIP/2.0/TLS");
  f.peerSends(text);
  ASSERT_EQ(f.servers.size(), 1u);
  ASSERT_TRUE(f.respond(f.servers[0], 200).ok());
  EXPECT_EQ(f.sendTimes("", 200), seq({0}));
  EXPECT_EQ(f.layer.stats().withoutTimer, 0u) << "Timer J runs";
  f.loop.advance(32s);
  ASSERT_EQ(f.tu.terminated.size(), 1u);
  f.expectAllGone();
}

TEST_F(NonInviteServerTest, AServerTransactionWaitingForItsTuCountsAsWithoutTimer) {
  TransactionFixture f(Protocol::Udp);
  receive(f, "OPTIONS");
  EXPECT_EQ(f.layer.stats().withoutTimer, 1u) << "Trying waits for the TU, no timer";
  ASSERT_TRUE(f.respond(h, 200).ok());
  EXPECT_EQ(f.layer.stats().withoutTimer, 0u);
  f.loop.advance(32s);
  f.expectAllGone();
}

TEST_F(NonInviteServerTest, FinalStraightFromTrying) {
  TransactionFixture f(Protocol::Udp);
  receive(f, "OPTIONS");
  ASSERT_TRUE(f.respond(h, 200).ok());
  EXPECT_EQ(f.layer.stateName(h), "Completed");
  f.expectAllGone();
}

TEST_F(NonInviteServerTest, TcpTerminatesWithTheFinalButNotInsideTheCall) {
  TransactionFixture f(Protocol::Tcp);
  receive(f, "OPTIONS");
  const message::SipMessage* req = f.layer.request(h);
  ASSERT_NE(req, nullptr);
  auto resp = message::makeResponse(*req, 200);
  ASSERT_TRUE(resp.ok());
  ASSERT_TRUE(f.layer.respond(h, std::move(*resp)).ok());
  EXPECT_EQ(f.layer.stateName(h), "Terminated") << "Timer J is zero on reliable transports";
  EXPECT_TRUE(f.tu.terminated.empty()) << "the TU hears of the end on a later loop turn";
  EXPECT_NE(f.layer.find(h), nullptr) << "and memory is released then, not inside respond()";
  f.loop.runUntilIdle();
  EXPECT_EQ(f.tu.terminated.size(), 1u);
  EXPECT_EQ(f.layer.find(h), nullptr);
  EXPECT_FALSE(
      f.layer.respond(h, message::makeResponse(f.tu.requests[0].request, 200).value()).ok())
      << "a stale handle finds nothing";
  f.expectAllGone();
}

TEST_F(NonInviteServerTest, TransportErrorInCompletedTerminates) {
  TransactionFixture f(Protocol::Udp);
  receive(f, "OPTIONS");
  f.wire.failSends(std::make_error_code(std::errc::host_unreachable));
  ASSERT_TRUE(f.respond(h, 200).ok());
  ASSERT_EQ(f.tu.terminated.size(), 1u);
  EXPECT_EQ(f.tu.terminated[0].reason, EndReason::TransportError);
  f.expectAllGone();
}

TEST_F(NonInviteServerTest, TransportErrorInProceedingTerminates) {
  TransactionFixture f(Protocol::Udp);
  receive(f, "OPTIONS");
  f.wire.failSends(std::make_error_code(std::errc::host_unreachable));
  ASSERT_TRUE(f.respond(h, 100).ok());
  ASSERT_EQ(f.tu.terminated.size(), 1u);
  EXPECT_EQ(f.tu.terminated[0].reason, EndReason::TransportError);
}

TEST_F(NonInviteServerTest, DuplicateServerTransactionIsRefused) {
  TransactionFixture f(Protocol::Udp);
  receive(f, "OPTIONS");
  EXPECT_FALSE(f.layer.createServer(f.tu.requests[0].request, f.tu.requests[0].arrival).ok());
  EXPECT_FALSE(f.layer.createServer(f.makeRequest("ACK"), f.tu.requests[0].arrival).ok());
}

TEST(StatelessHandling, UnmatchedRequestsGoToTheTuWhichMayAnswerWithoutATransaction) {
  TransactionFixture f(Protocol::Udp);
  f.tu.onRequestHook = [&](const transaction::RequestParam& p) {
    auto r = message::makeResponse(p.request, 405);
    ASSERT_TRUE(r.ok());
    ASSERT_TRUE(f.layer.respondStateless(*r, p.arrival).ok());
  };
  f.peerSends(f.peerRequest("SUBSCRIBE"));
  EXPECT_EQ(f.sendTimes("", 405), seq({0}));
  EXPECT_EQ(f.layer.stats().unmatchedRequests, 1u);
  EXPECT_EQ(f.layer.stats().liveTotal(), 0u);
}

TEST(TransitionTables, InviteServerFollowsFigure7WithAccepted) {
  using S = Ist::State;
  EXPECT_TRUE(Ist::allowed(S::Proceeding, S::Completed));
  EXPECT_TRUE(Ist::allowed(S::Proceeding, S::Accepted));
  EXPECT_TRUE(Ist::allowed(S::Completed, S::Confirmed));
  EXPECT_TRUE(Ist::allowed(S::Confirmed, S::Terminated));
  EXPECT_TRUE(Ist::allowed(S::Accepted, S::Terminated));
  EXPECT_FALSE(Ist::allowed(S::Accepted, S::Completed));
  EXPECT_FALSE(Ist::allowed(S::Confirmed, S::Completed));
  EXPECT_FALSE(Ist::allowed(S::Completed, S::Accepted));
  EXPECT_FALSE(Ist::allowed(S::Terminated, S::Proceeding));
}

TEST(TransitionTables, NonInviteServerFollowsFigure8) {
  using S = Nist::State;
  EXPECT_TRUE(Nist::allowed(S::Trying, S::Proceeding));
  EXPECT_TRUE(Nist::allowed(S::Trying, S::Completed));
  EXPECT_TRUE(Nist::allowed(S::Proceeding, S::Completed));
  EXPECT_TRUE(Nist::allowed(S::Completed, S::Terminated));
  EXPECT_FALSE(Nist::allowed(S::Completed, S::Proceeding));
  // Not in figure 8: a TU response that cannot be routed ends a transaction still in Trying.
  EXPECT_TRUE(Nist::allowed(S::Trying, S::Terminated));
  EXPECT_FALSE(Nist::allowed(S::Terminated, S::Trying));
}

}  // namespace
}  // namespace tapi::sip::testing
