#include "sip/transaction/client_transaction.hpp"

#include <gtest/gtest.h>

#include "transaction_fixture.hpp"

namespace tapi::sip::testing {
namespace {

using transaction::EndReason;
using transaction::TransactionKind;
using Ict = transaction::InviteClientTransaction;
using Nict = transaction::NonInviteClientTransaction;

std::vector<double> seq(std::initializer_list<double> v) {
  return v;
}

// ---- INVITE client: RFC 3261 §17.1.1 / RFC 6026 figure 5 ---------------------------------

TEST(InviteClient, UdpRetransmitsWithTimerADoublingUntilTimerB) {
  TransactionFixture f(Protocol::Udp);
  const auto h = f.startClient("INVITE");
  EXPECT_EQ(f.layer.stateName(h), "Calling");
  EXPECT_EQ(f.layer.stats().timersPending, 2u) << "A and B";
  f.loop.advance(31999ms);
  // A: T1, 2T1, 4T1, ... uncapped: sends at 0, 0.5, 1.5, 3.5, 7.5, 15.5, 31.5 s.
  EXPECT_EQ(f.sendTimes("INVITE"), seq({0, 0.5, 1.5, 3.5, 7.5, 15.5, 31.5}));
  EXPECT_TRUE(f.tu.terminated.empty());
  f.loop.advance(1ms);  // Timer B = 64*T1 = 32 s
  ASSERT_EQ(f.tu.terminated.size(), 1u);
  EXPECT_EQ(f.tu.terminated[0].reason, EndReason::Timeout);
  EXPECT_EQ(f.tu.terminated[0].kind, TransactionKind::InviteClient);
  EXPECT_DOUBLE_EQ(secs(f.tu.terminated[0].at), 32.0);
  EXPECT_EQ(f.layer.stats().timeouts, 1u);
  EXPECT_EQ(f.layer.stats().retransmissions, 6u);
  f.expectAllGone();
}

TEST(InviteClient, TcpSendsOnceAndStillTimesOutWithTimerB) {
  TransactionFixture f(Protocol::Tcp);
  f.startClient("INVITE");
  EXPECT_EQ(f.layer.stats().timersPending, 1u) << "B only: no Timer A on reliable transports";
  f.loop.advance(32s);
  EXPECT_EQ(f.sendTimes("INVITE"), seq({0}));
  ASSERT_EQ(f.tu.terminated.size(), 1u);
  EXPECT_EQ(f.tu.terminated[0].reason, EndReason::Timeout);
  f.expectAllGone();
}

TEST(InviteClient, CustomT1ScalesEveryTimer) {
  transaction::TimerConfig t;
  t.t1 = 100ms;
  TransactionFixture f(Protocol::Udp, t);
  f.startClient("INVITE");
  f.loop.advance(6400ms);
  EXPECT_EQ(f.sendTimes("INVITE"), seq({0, 0.1, 0.3, 0.7, 1.5, 3.1, 6.3}));
  ASSERT_EQ(f.tu.terminated.size(), 1u);
  EXPECT_DOUBLE_EQ(secs(f.tu.terminated[0].at), 6.4);
}

TEST(InviteClient, ProvisionalStopsRetransmissionAndTimerB) {
  TransactionFixture f(Protocol::Udp);
  const auto h = f.startClient("INVITE");
  f.loop.advance(600ms);
  const auto invite = f.firstSent("INVITE");
  f.answer(invite, 180);
  EXPECT_EQ(f.layer.stateName(h), "Proceeding");
  ASSERT_EQ(f.tu.responses.size(), 1u);
  EXPECT_EQ(f.tu.responses[0].status, 180);
  EXPECT_EQ(f.tu.responses[0].transaction, h);
  EXPECT_EQ(f.layer.stats().timersPending, 0u);
  f.loop.advance(100s);
  EXPECT_EQ(f.sendTimes("INVITE"), seq({0, 0.5}));
  EXPECT_EQ(f.layer.stateName(h), "Proceeding")
      << "only the TU (or a proxy's Timer C) ends the wait now";
  f.answer(invite, 183);
  EXPECT_EQ(f.tu.responses.size(), 2u) << "every provisional reaches the TU";
}

TEST(InviteClient, FailureInCallingIsAckedByTheTransactionAndTimerDEnds) {
  TransactionFixture f(Protocol::Udp);
  const auto h = f.startClient("INVITE");
  const auto invite = f.firstSent("INVITE");
  f.loop.advance(100ms);
  f.answer(invite, 486, "busy-tag");
  EXPECT_EQ(f.layer.stateName(h), "Completed");
  ASSERT_EQ(f.tu.responses.size(), 1u);
  EXPECT_EQ(f.tu.responses[0].status, 486);

  const auto ack = f.firstSent("ACK");
  EXPECT_EQ(ack.topVia().branch, invite.topVia().branch) << "§17.1.1.3: same branch as the INVITE";
  EXPECT_EQ(ack.requestUri().text, invite.requestUri().text);
  EXPECT_EQ(ack.to().tag(), "busy-tag");
  EXPECT_EQ(ack.from().tag(), invite.from().tag());
  EXPECT_EQ(ack.callId(), invite.callId());
  EXPECT_EQ(ack.cseq().number, invite.cseq().number);
  EXPECT_EQ(ack.cseq().methodName, "ACK");
  EXPECT_EQ(ack.headerValues("Route"), invite.headerValues("Route"));

  // A retransmitted final gets the ACK again; the TU hears nothing new.
  f.loop.advance(1s);
  f.answer(invite, 486, "busy-tag");
  EXPECT_EQ(f.sendTimes("ACK"), seq({0.1, 1.1}));
  EXPECT_EQ(f.tu.responses.size(), 1u);
  EXPECT_EQ(f.sendTimes("INVITE"), seq({0})) << "no INVITE retransmission after the final";

  f.loop.advance(30999ms);
  EXPECT_TRUE(f.tu.terminated.empty());
  f.loop.advance(1ms);  // Timer D = 32 s after the final
  ASSERT_EQ(f.tu.terminated.size(), 1u);
  EXPECT_EQ(f.tu.terminated[0].reason, EndReason::Completed);
  EXPECT_DOUBLE_EQ(secs(f.tu.terminated[0].at), 32.1);
  f.expectAllGone();
}

TEST(InviteClient, FailureInProceedingGoesToCompleted) {
  TransactionFixture f(Protocol::Udp);
  const auto h = f.startClient("INVITE");
  const auto invite = f.firstSent("INVITE");
  f.answer(invite, 180);
  f.answer(invite, 603);
  EXPECT_EQ(f.layer.stateName(h), "Completed");
  EXPECT_EQ(f.sendTimes("ACK").size(), 1u);
  f.expectAllGone();
  EXPECT_EQ(f.tu.terminated.at(0).reason, EndReason::Completed);
}

TEST(InviteClient, TcpFailureIsAckedAndTerminatesAtOnce) {
  TransactionFixture f(Protocol::Tcp);
  const auto h = f.startClient("INVITE");
  const auto invite = f.firstSent("INVITE");
  f.answer(invite, 404);
  EXPECT_EQ(f.sendTimes("ACK").size(), 1u);
  EXPECT_FALSE(f.layer.alive(h)) << "Timer D is zero on reliable transports";
  EXPECT_EQ(f.layer.stats().timersPending, 0u);
  ASSERT_EQ(f.tu.terminated.size(), 1u);
  EXPECT_EQ(f.tu.terminated[0].reason, EndReason::Completed);
  EXPECT_FALSE(f.layer.alive(h));
  f.expectAllGone();
}

TEST(InviteClient, SuccessEntersAcceptedAndPassesEvery2xxUntilTimerM) {
  TransactionFixture f(Protocol::Udp);
  const auto h = f.startClient("INVITE");
  const auto invite = f.firstSent("INVITE");
  f.loop.advance(1s);
  f.answer(invite, 200, "fork-a");
  EXPECT_EQ(f.layer.stateName(h), "Accepted");
  EXPECT_TRUE(f.sendTimes("ACK").empty()) << "the ACK for a 2xx is the TU's job";
  // A retransmitted 2xx and a 2xx from another fork both reach the TU (RFC 6026 §7.2).
  f.loop.advance(1s);
  f.answer(invite, 200, "fork-a");
  f.answer(invite, 200, "fork-b");
  // Provisionals and failures in Accepted are absorbed.
  f.answer(invite, 180, "fork-c");
  f.answer(invite, 500, "fork-c");
  ASSERT_EQ(f.tu.responses.size(), 3u);
  EXPECT_EQ(f.tu.responses[1].toTag, "fork-a");
  EXPECT_EQ(f.tu.responses[2].toTag, "fork-b");
  EXPECT_EQ(f.sendTimes("INVITE"), seq({0, 0.5})) << "A stops with the 2xx";
  f.loop.advance(30999ms);
  EXPECT_TRUE(f.tu.terminated.empty());
  f.loop.advance(1ms);  // Timer M = 64*T1 after the first 2xx
  ASSERT_EQ(f.tu.terminated.size(), 1u);
  EXPECT_DOUBLE_EQ(secs(f.tu.terminated[0].at), 33.0);
  EXPECT_EQ(f.tu.terminated[0].reason, EndReason::Completed);
  // Once the transaction is gone, a late 2xx is stray: it still reaches the TU, without a handle.
  f.answer(invite, 200, "fork-a");
  ASSERT_EQ(f.tu.responses.size(), 4u);
  EXPECT_FALSE(f.tu.responses[3].transaction.valid());
  EXPECT_EQ(f.layer.stats().strayResponses, 1u);
  f.expectAllGone();
}

TEST(InviteClient, SuccessAfterProvisionalEntersAccepted) {
  TransactionFixture f(Protocol::Tcp);
  const auto h = f.startClient("INVITE");
  const auto invite = f.firstSent("INVITE");
  f.answer(invite, 183);
  f.answer(invite, 200);
  EXPECT_EQ(f.layer.stateName(h), "Accepted") << "Timer M runs on reliable transports too";
  EXPECT_EQ(f.layer.stats().timersPending, 1u);
  f.expectAllGone();
}

TEST(InviteClient, TransportErrorTerminatesAndIsReported) {
  TransactionFixture f(Protocol::Udp);
  f.wire.failSends(std::make_error_code(std::errc::network_unreachable));
  const auto h = f.startClient("INVITE");
  f.loop.runUntilIdle();
  ASSERT_EQ(f.tu.transportErrors.size(), 1u);
  EXPECT_EQ(f.tu.transportErrors[0], std::make_error_code(std::errc::network_unreachable));
  ASSERT_EQ(f.tu.terminated.size(), 1u);
  EXPECT_EQ(f.tu.terminated[0].reason, EndReason::TransportError);
  EXPECT_EQ(f.tu.terminated[0].transaction, h);
  EXPECT_EQ(f.layer.stats().transportErrors, 1u);
  f.expectAllGone();
}

TEST(InviteClient, TransportErrorInAcceptedKeepsTheTransaction) {
  TransactionFixture f(Protocol::Udp);
  const auto h = f.startClient("INVITE");
  const auto invite = f.firstSent("INVITE");
  f.answer(invite, 200);
  auto* t = dynamic_cast<Ict*>(f.layer.find(h));
  ASSERT_NE(t, nullptr);
  t->onTransportError(std::make_error_code(std::errc::connection_reset));
  EXPECT_EQ(f.tu.transportErrors.size(), 1u);
  EXPECT_EQ(f.layer.stateName(h), "Accepted");
}

TEST(InviteClient, CancelNeedsAProvisionalAndTravelsLikeTheInvite) {
  TransactionFixture f(Protocol::Udp);
  const auto h = f.startClient("INVITE");
  EXPECT_FALSE(f.layer.sendCancel(h).ok()) << "§9.1: no CANCEL before a provisional";
  const auto invite = f.firstSent("INVITE");
  f.answer(invite, 180);
  auto c = f.layer.sendCancel(h);
  ASSERT_TRUE(c.ok());
  f.loop.runUntilIdle();
  const auto cancel = f.firstSent("CANCEL");
  EXPECT_EQ(cancel.topVia().branch, invite.topVia().branch);
  EXPECT_EQ(cancel.vias().size(), 1u);
  EXPECT_EQ(cancel.requestUri().text, invite.requestUri().text);
  EXPECT_EQ(cancel.cseq().number, invite.cseq().number);
  EXPECT_EQ(cancel.cseq().methodName, "CANCEL");
  EXPECT_EQ(cancel.to().text, invite.to().text);
  EXPECT_EQ(cancel.headerValues("Route"), invite.headerValues("Route"));
  EXPECT_EQ(f.layer.kind(*c), TransactionKind::NonInviteClient);
  // The 200 for the CANCEL and the 487 for the INVITE find their own transactions.
  f.answer(cancel, 200);
  f.answer(invite, 487);
  EXPECT_EQ(f.layer.stateName(*c), "Completed");
  EXPECT_EQ(f.layer.stateName(h), "Completed");
  ASSERT_EQ(f.tu.responses.size(), 3u);
  EXPECT_EQ(f.tu.responses[1].transaction, *c);
  EXPECT_EQ(f.tu.responses[2].transaction, h);
  EXPECT_FALSE(f.layer.sendCancel(h).ok()) << "no CANCEL after a final";
  f.expectAllGone();
}

// ---- non-INVITE client: RFC 3261 §17.1.2 / figure 6 --------------------------------------

TEST(NonInviteClient, UdpTimerEDoublesToT2UntilTimerF) {
  TransactionFixture f(Protocol::Udp);
  const auto h = f.startClient("OPTIONS");
  EXPECT_EQ(f.layer.stateName(h), "Trying");
  f.loop.advance(31999ms);
  EXPECT_EQ(f.sendTimes("OPTIONS"),
            seq({0, 0.5, 1.5, 3.5, 7.5, 11.5, 15.5, 19.5, 23.5, 27.5, 31.5}));
  EXPECT_TRUE(f.tu.terminated.empty());
  f.loop.advance(1ms);
  ASSERT_EQ(f.tu.terminated.size(), 1u);
  EXPECT_EQ(f.tu.terminated[0].reason, EndReason::Timeout);
  EXPECT_EQ(f.tu.terminated[0].kind, TransactionKind::NonInviteClient);
  f.expectAllGone();
}

TEST(NonInviteClient, ProceedingRetransmitsEveryT2) {
  TransactionFixture f(Protocol::Udp);
  const auto h = f.startClient("BYE");
  const auto bye = f.firstSent("BYE");
  f.loop.advance(1s);
  f.answer(bye, 100);
  EXPECT_EQ(f.layer.stateName(h), "Proceeding");
  EXPECT_EQ(f.tu.responses.size(), 1u);
  f.loop.advance(31s);
  // Trying: 0, 0.5; E was due at 1.5 and fires in Proceeding, then every T2.
  EXPECT_EQ(f.sendTimes("BYE"), seq({0, 0.5, 1.5, 5.5, 9.5, 13.5, 17.5, 21.5, 25.5, 29.5}));
  ASSERT_EQ(f.tu.terminated.size(), 1u);
  EXPECT_EQ(f.tu.terminated[0].reason, EndReason::Timeout) << "Timer F in Proceeding";
  EXPECT_DOUBLE_EQ(secs(f.tu.terminated[0].at), 32.0);
  f.expectAllGone();
}

TEST(NonInviteClient, FinalInTryingCompletesAndTimerKAbsorbsRetransmissions) {
  TransactionFixture f(Protocol::Udp);
  const auto h = f.startClient("OPTIONS");
  const auto req = f.firstSent("OPTIONS");
  f.loop.advance(200ms);
  f.answer(req, 200);
  EXPECT_EQ(f.layer.stateName(h), "Completed");
  f.answer(req, 200);
  EXPECT_EQ(f.tu.responses.size(), 1u) << "retransmitted finals are absorbed";
  EXPECT_EQ(f.layer.stats().absorbed, 1u);
  f.loop.advance(4999ms);
  EXPECT_TRUE(f.tu.terminated.empty());
  f.loop.advance(1ms);  // Timer K = T4
  ASSERT_EQ(f.tu.terminated.size(), 1u);
  EXPECT_DOUBLE_EQ(secs(f.tu.terminated[0].at), 5.2);
  EXPECT_EQ(f.tu.terminated[0].reason, EndReason::Completed);
  EXPECT_EQ(f.sendTimes("OPTIONS"), seq({0})) << "E stopped";
  f.expectAllGone();
}

TEST(NonInviteClient, FinalInProceedingCompletes) {
  TransactionFixture f(Protocol::Udp);
  const auto h = f.startClient("REGISTER");
  const auto req = f.firstSent("REGISTER");
  f.answer(req, 100);
  f.answer(req, 401);
  EXPECT_EQ(f.layer.stateName(h), "Completed");
  EXPECT_EQ(f.tu.responses.size(), 2u);
  f.expectAllGone();
}

TEST(NonInviteClient, TcpHasNoRetransmissionAndNoTimerK) {
  TransactionFixture f(Protocol::Tcp);
  const auto h = f.startClient("OPTIONS");
  EXPECT_EQ(f.layer.stats().timersPending, 1u) << "F only";
  f.loop.advance(10s);
  EXPECT_EQ(f.sendTimes("OPTIONS"), seq({0}));
  f.answer(f.firstSent("OPTIONS"), 200);
  EXPECT_FALSE(f.layer.alive(h)) << "Timer K is zero on reliable transports";
  EXPECT_EQ(f.layer.stats().timersPending, 0u);
  f.loop.runUntilIdle();
  EXPECT_EQ(f.tu.terminated.size(), 1u);
  f.expectAllGone();
}

TEST(NonInviteClient, TcpTimesOutWithTimerF) {
  TransactionFixture f(Protocol::Tcp);
  f.startClient("OPTIONS");
  f.loop.advance(32s);
  ASSERT_EQ(f.tu.terminated.size(), 1u);
  EXPECT_EQ(f.tu.terminated[0].reason, EndReason::Timeout);
}

TEST(NonInviteClient, TransportErrorTerminates) {
  TransactionFixture f(Protocol::Udp);
  f.wire.failSends(std::make_error_code(std::errc::host_unreachable));
  f.startClient("OPTIONS");
  f.loop.runUntilIdle();
  ASSERT_EQ(f.tu.terminated.size(), 1u);
  EXPECT_EQ(f.tu.terminated[0].reason, EndReason::TransportError);
  f.expectAllGone();
}

TEST(ClientTransactions, AckCannotStartATransaction) {
  TransactionFixture f(Protocol::Udp);
  EXPECT_FALSE(f.layer.sendRequest(f.makeRequest("ACK"), f.peerTarget()).ok());
  EXPECT_TRUE(f.layer.sendStateless(f.makeRequest("ACK"), f.peerTarget()).ok());
  f.loop.runUntilIdle();
  const auto ack = f.firstSent("ACK");
  EXPECT_TRUE(ack.topVia().hasMagicCookie());
  EXPECT_EQ(f.layer.stats().liveTotal(), 0u);
}

TEST(ClientTransactions, OurViaCarriesTransportSentByRportAndAFreshBranch) {
  TransactionFixture f(Protocol::Tcp);
  f.startClient("OPTIONS");
  f.startClient("OPTIONS");
  const auto sent = f.sent();
  ASSERT_EQ(sent.size(), 2u);
  const auto& via = sent[0].msg.topVia();
  EXPECT_EQ(via.transport, "TCP");
  EXPECT_EQ(via.host, "10.0.0.1");
  EXPECT_EQ(via.port, 5060);
  EXPECT_TRUE(via.hasRport);
  EXPECT_TRUE(via.hasMagicCookie());
  EXPECT_EQ(sent[0].msg.vias().size(), 1u) << "the placeholder Via is replaced";
  EXPECT_NE(via.branch, sent[1].msg.topVia().branch);
  EXPECT_EQ(f.layer.stats().liveOf(TransactionKind::NonInviteClient), 2u);
}

TEST(NonInviteClient, CustomT2CapsTimerE) {
  transaction::TimerConfig t;
  t.t2 = 1s;
  TransactionFixture f(Protocol::Udp, t);
  f.startClient("OPTIONS");
  f.loop.advance(5s);
  EXPECT_EQ(f.sendTimes("OPTIONS"), seq({0, 0.5, 1.5, 2.5, 3.5, 4.5}));
}

TEST(InviteClient, CustomTimerD) {
  transaction::TimerConfig t;
  t.timerD = 40s;
  TransactionFixture f(Protocol::Udp, t);
  f.startClient("INVITE");
  f.answer(f.firstSent("INVITE"), 500);
  f.loop.advance(39999ms);
  EXPECT_TRUE(f.tu.terminated.empty());
  f.loop.advance(1ms);
  EXPECT_EQ(f.tu.terminated.size(), 1u);
}

TEST(ClientTransactions, TheTransactionCountIsBounded) {
  transaction::TimerConfig t;
  t.maxTransactions = 2;
  TransactionFixture f(Protocol::Udp, t);
  EXPECT_TRUE(f.layer.sendRequest(f.makeRequest("OPTIONS"), f.peerTarget()).ok());
  EXPECT_TRUE(f.layer.sendRequest(f.makeRequest("OPTIONS"), f.peerTarget()).ok());
  auto third = f.layer.sendRequest(f.makeRequest("OPTIONS"), f.peerTarget());
  ASSERT_FALSE(third.ok());
  EXPECT_EQ(third.error(), Errc::OverLimit);
  EXPECT_EQ(third.error(), std::errc::resource_unavailable_try_again);
  EXPECT_EQ(f.layer.stats().refusedOverLimit, 1u);
  f.expectAllGone();
  EXPECT_TRUE(f.layer.sendRequest(f.makeRequest("OPTIONS"), f.peerTarget()).ok())
      << "room again once they end";
}

TEST(TransitionTables, InviteClientFollowsFigure5WithAccepted) {
  using S = Ict::State;
  EXPECT_TRUE(Ict::allowed(S::Calling, S::Proceeding));
  EXPECT_TRUE(Ict::allowed(S::Calling, S::Accepted));
  EXPECT_TRUE(Ict::allowed(S::Proceeding, S::Accepted));
  EXPECT_TRUE(Ict::allowed(S::Completed, S::Terminated));
  EXPECT_TRUE(Ict::allowed(S::Accepted, S::Terminated));
  EXPECT_FALSE(Ict::allowed(S::Proceeding, S::Calling));
  EXPECT_FALSE(Ict::allowed(S::Completed, S::Accepted));
  EXPECT_FALSE(Ict::allowed(S::Accepted, S::Completed));
  EXPECT_FALSE(Ict::allowed(S::Terminated, S::Calling));
}

TEST(TransitionTables, NonInviteClientFollowsFigure6) {
  using S = Nict::State;
  EXPECT_TRUE(Nict::allowed(S::Trying, S::Proceeding));
  EXPECT_TRUE(Nict::allowed(S::Trying, S::Completed));
  EXPECT_TRUE(Nict::allowed(S::Proceeding, S::Completed));
  EXPECT_FALSE(Nict::allowed(S::Completed, S::Proceeding));
  EXPECT_FALSE(Nict::allowed(S::Proceeding, S::Trying));
  EXPECT_FALSE(Nict::allowed(S::Terminated, S::Trying));
}

}  // namespace
}  // namespace tapi::sip::testing
