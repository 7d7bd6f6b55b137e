// The INVITE session layer against a peer played by hand (RFC 3261 §12-§15, RFC 6026,
// RFC 4028; /work/shared/spec/sip-mapping.md §1 rows and §4). Everything runs on the
// simulated clock: times in expectations are seconds since the start of the test.

#include "sip/session/session_layer.hpp"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "session_fixture.hpp"

namespace tapi::sip::testing {
namespace {

using ::testing::TestWithParam;
using ::testing::Values;

std::vector<double> seq(std::initializer_list<double> v) {
  return v;
}

std::string nameOf(const ::testing::TestParamInfo<Protocol>& info) {
  return info.param == Protocol::Udp ? "Udp" : "Tcp";
}

bool hasValue(const SipMessage& m, std::string_view header, std::string_view value) {
  for (auto v : m.headerValues(header)) {
    if (v == value) {
      return true;
    }
  }
  return false;
}

/** `sent` is an ACK and then a BYE: what answers a 2xx for a call we are giving up. */
void expectAckThenBye(const std::vector<Out>& sent) {
  ASSERT_EQ(sent.size(), 2u) << SessionFixture::describe(sent);
  ASSERT_TRUE(sent[0].isRequest("ACK")) << SessionFixture::describe(sent);
  ASSERT_TRUE(sent[1].isRequest("BYE")) << SessionFixture::describe(sent);
}

// ======================================================================================
// UAC
// ======================================================================================

class UacTest : public TestWithParam<Protocol> {};
INSTANTIATE_TEST_SUITE_P(Both, UacTest, Values(Protocol::Udp, Protocol::Tcp), nameOf);

TEST_P(UacTest, HappyPathInviteRingingAnswerAckByeEndsOnce) {
  SessionFixture f(GetParam());
  SessionHandle h = f.call();
  ASSERT_TRUE(f.invite.has_value());
  const SipMessage& inv = *f.invite;
  EXPECT_EQ(inv.requestUri().text, "sip:bob@10.0.0.2:5070");
  EXPECT_FALSE(inv.from().tag().empty());
  EXPECT_TRUE(inv.to().tag().empty());
  EXPECT_EQ(inv.cseq().number, 1u);
  EXPECT_EQ(inv.body(), SessionFixture::kOurSdp);
  EXPECT_EQ(inv.header("Content-Type"), "application/sdp");
  EXPECT_TRUE(hasValue(inv, "Supported", "timer"));
  EXPECT_EQ(inv.header("Session-Expires"), "1800");
  EXPECT_EQ(inv.header("Min-SE"), "90");
  ASSERT_EQ(inv.contacts().size(), 1u);
  EXPECT_EQ(inv.contacts().front().uri.text, "sip:alice@10.0.0.1:5060");
  EXPECT_EQ(f.layer.callId(h), inv.callId());
  EXPECT_EQ(f.layer.state(h), SessionState::Calling);

  f.reply(inv, 100);
  f.reply(inv, 180, "bob-tag", {{"Contact", "<sip:bob@10.0.0.3:5080>"}});
  EXPECT_EQ(f.layer.state(h), SessionState::Early);
  ASSERT_EQ(f.observer.count("progress"), 2u);
  EXPECT_EQ(f.observer.of("progress")[1].status, 180);
  ASSERT_NE(f.layer.dialogOf(h), nullptr);
  EXPECT_FALSE(f.layer.dialogOf(h)->confirmed());

  f.loop.advance(2s);
  f.answerOurInvite();
  EXPECT_EQ(f.layer.state(h), SessionState::Confirmed);
  ASSERT_EQ(f.observer.count("answered"), 1u);
  EXPECT_EQ(f.observer.of("answered")[0].status, 200);
  auto ack = f.takeRequest("ACK");
  ASSERT_TRUE(ack);
  // §13.2.2.4: to the remote target (the 2xx's Contact), CSeq of the INVITE, new branch.
  EXPECT_EQ(ack->to.endpoint, ep("10.0.0.3", 5080));
  EXPECT_EQ(ack->msg.requestUri().text, "sip:bob@10.0.0.3:5080");
  EXPECT_EQ(ack->msg.cseq().number, 1u);
  EXPECT_EQ(ack->msg.cseq().methodName, "ACK");
  EXPECT_EQ(ack->msg.to().tag(), "bob-tag");
  EXPECT_EQ(ack->msg.from().tag(), inv.from().tag());
  EXPECT_NE(ack->msg.topVia().branch, inv.topVia().branch);
  EXPECT_EQ(f.observer.kinds(), (std::vector<std::string>{"progress", "progress", "answered"}));
  ASSERT_NE(f.layer.dialogOf(h), nullptr);
  EXPECT_TRUE(f.layer.dialogOf(h)->confirmed());
  EXPECT_EQ(f.layer.stats().sessions, 1u);
  EXPECT_EQ(f.layer.stats().dialogs, 1u);
  EXPECT_EQ(f.layer.unfinished(), 1u);

  auto bye = f.hangupSends(h, "BYE", {{"Reason", "Q.850;cause=16"}});
  ASSERT_TRUE(bye);
  EXPECT_EQ(bye->to.endpoint, ep("10.0.0.3", 5080));
  EXPECT_EQ(bye->msg.cseq().number, 2u);
  EXPECT_EQ(bye->msg.to().tag(), "bob-tag");
  EXPECT_EQ(bye->msg.header("Reason"), "Q.850;cause=16");
  auto ended = f.observer.endedOnce(EndKind::LocalBye);
  ASSERT_TRUE(ended);
  EXPECT_EQ(ended->at, 2.0);
  EXPECT_TRUE(ended->ringingSeen);
  EXPECT_FALSE(ended->weCancelled);
  EXPECT_FALSE(ended->endError) << "an end we asked for is no failure";
  EXPECT_EQ(f.layer.state(h), SessionState::Terminated);
  EXPECT_TRUE(f.layer.hangup(h).ok()) << "a second hangup is a no-op";
  EXPECT_EQ(f.layer.unfinished(), 1u) << "the BYE is not answered yet";

  f.reply(bye->msg, 200);
  EXPECT_EQ(f.layer.unfinished(), 0u);
  EXPECT_EQ(f.observer.count("ended"), 1u);
  f.expectAllGone();
  EXPECT_FALSE(f.layer.state(h).has_value()) << "the handle is stale once freed";
  EXPECT_FALSE(f.layer.hangup(h).ok());
}

TEST_P(UacTest, RetransmittedTwoHundredIsAckedAgainAndReportedOnce) {
  SessionFixture f(GetParam());
  SessionHandle h = f.establishUac();
  f.loop.advance(1s);
  f.answerOurInvite();  // the same 2xx again
  auto ack = f.takeRequest("ACK");
  ASSERT_TRUE(ack);
  EXPECT_EQ(ack->msg.cseq().number, 1u);
  EXPECT_EQ(ack->to.endpoint, ep("10.0.0.3", 5080));
  EXPECT_EQ(f.observer.count("answered"), 1u);

  // After Timer M the client transaction is gone; the dialog still re-ACKs a late 2xx.
  f.loop.advance(40s);
  f.answerOurInvite();
  EXPECT_TRUE(f.takeRequest("ACK"));
  EXPECT_EQ(f.observer.count("answered"), 1u);
  EXPECT_EQ(f.layer.state(h), SessionState::Confirmed);
  f.hangupToTheEnd(h);
}

TEST_P(UacTest, HangupBeforeAnyProvisionalDefersCancelUntilOneArrives) {
  SessionFixture f(GetParam());
  SessionHandle h = f.call();
  ASSERT_TRUE(f.layer.hangup(h, {{"Reason", "Q.850;cause=16;text=\"Normal\""}}).ok());
  f.loop.advance(1s);
  auto sent = f.take();
  EXPECT_TRUE(SessionFixture::requests(sent, "CANCEL").empty())
      << "§9.1: no CANCEL before a provisional; " << SessionFixture::describe(sent);
  EXPECT_EQ(f.observer.count("ended"), 0u);
  EXPECT_EQ(f.layer.unfinished(), 1u);

  f.reply(*f.invite, 180, "bob-tag");
  auto cancel = f.takeRequest("CANCEL");
  ASSERT_TRUE(cancel);
  const SipMessage& c = cancel->msg;
  EXPECT_EQ(c.topVia().branch, f.invite->topVia().branch);
  EXPECT_EQ(c.cseq().number, f.invite->cseq().number);
  EXPECT_EQ(c.cseq().methodName, "CANCEL");
  EXPECT_EQ(c.requestUri().text, f.invite->requestUri().text);
  EXPECT_EQ(c.header("Reason"), "Q.850;cause=16;text=\"Normal\"");
  EXPECT_EQ(f.layer.state(h), SessionState::Terminating);
  EXPECT_EQ(f.observer.count("ended"), 0u) << "over when the INVITE's final response comes";

  f.reply(c, 200);
  f.reply(*f.invite, 487, "bob-tag");
  auto ack = f.takeRequest("ACK");
  ASSERT_TRUE(ack) << "the transaction ACKs the 487";
  EXPECT_EQ(ack->msg.topVia().branch, f.invite->topVia().branch);
  auto ended = f.observer.endedOnce(EndKind::LocalCancel);
  ASSERT_TRUE(ended);
  EXPECT_TRUE(ended->weCancelled);
  EXPECT_TRUE(ended->ringingSeen);
  EXPECT_EQ(ended->endStatus, 487);
  f.expectAllGone();
  EXPECT_EQ(f.observer.count("ended"), 1u);
}

TEST_P(UacTest, HangupWhileTryingSendsCancelAtOnce) {
  SessionFixture f(GetParam());
  SessionHandle h = f.call();
  f.reply(*f.invite, 100);
  auto cancel = f.hangupSends(h, "CANCEL");
  ASSERT_TRUE(cancel);
  f.reply(cancel->msg, 200);
  f.reply(*f.invite, 487);
  auto ended = f.observer.endedOnce();
  ASSERT_TRUE(ended);
  EXPECT_FALSE(ended->ringingSeen);
  f.expectAllGone();
}

TEST_P(UacTest, HangupBeforeProvisionalThenFinalResponseSendsNoCancel) {
  SessionFixture f(GetParam());
  SessionHandle h = f.call();
  ASSERT_TRUE(f.layer.hangup(h).ok());
  f.reply(*f.invite, 486, "bob-tag");
  auto sent = f.take();
  EXPECT_TRUE(SessionFixture::requests(sent, "CANCEL").empty()) << SessionFixture::describe(sent);
  auto ended = f.observer.endedOnce();
  ASSERT_TRUE(ended);
  EXPECT_EQ(ended->endStatus, 486);
  EXPECT_TRUE(ended->weCancelled);
  f.expectAllGone();
}

TEST_P(UacTest, HangupBeforeProvisionalAndNoAnswerAtAllEndsAtTimerB) {
  SessionFixture f(GetParam());
  SessionHandle h = f.call();
  ASSERT_TRUE(f.layer.hangup(h).ok());
  ASSERT_TRUE(f.endsAt(EndKind::LocalCancel, 32.0, 1s));
  EXPECT_TRUE(SessionFixture::requests(f.take(), "CANCEL").empty());
  f.expectAllGone();
}

TEST_P(UacTest, HangupBeforeProvisionalThenTwoHundredIsAckedThenByed) {
  SessionFixture f(GetParam());
  SessionHandle h = f.call();
  ASSERT_TRUE(f.layer.hangup(h, {{"Reason", "Q.850;cause=16"}}).ok());
  f.answerOurInvite();
  auto sent = f.take();
  ASSERT_NO_FATAL_FAILURE(expectAckThenBye(sent));
  EXPECT_EQ(sent[1].msg.header("Reason"), "Q.850;cause=16");
  EXPECT_TRUE(SessionFixture::requests(sent, "CANCEL").empty());
  EXPECT_EQ(f.observer.count("answered"), 0u);
  ASSERT_TRUE(f.observer.endedOnce(EndKind::LocalCancel));
  f.replyThenAllGone(sent[1].msg);
}

TEST_P(UacTest, TwoHundredCrossingTheCancelIsAckedThenByed) {
  SessionFixture f(GetParam());
  SessionHandle h = f.ringingUac({{"Contact", "<sip:bob@10.0.0.3:5080>"}});
  auto cancel = f.hangupSends(h, "CANCEL", {{"Reason", "Q.850;cause=19"}});
  ASSERT_TRUE(cancel);

  // Row 1b: the 200 was already on its way.
  f.answerOurInvite();
  auto sent = f.take();
  ASSERT_NO_FATAL_FAILURE(expectAckThenBye(sent));
  EXPECT_EQ(sent[0].to.endpoint, ep("10.0.0.3", 5080));
  EXPECT_EQ(sent[1].to.endpoint, ep("10.0.0.3", 5080));
  EXPECT_EQ(sent[1].msg.cseq().number, 2u);
  EXPECT_EQ(sent[1].msg.to().tag(), "bob-tag");
  EXPECT_EQ(sent[1].msg.header("Reason"), "Q.850;cause=19");
  EXPECT_EQ(f.observer.count("answered"), 0u) << "never shown to the app as answered";
  auto ended = f.observer.endedOnce(EndKind::LocalCancel);
  ASSERT_TRUE(ended);
  EXPECT_TRUE(ended->weCancelled);

  f.reply(cancel->msg, 200);
  f.reply(sent[1].msg, 200);
  f.expectAllGone();
  EXPECT_EQ(f.observer.count("ended"), 1u);
}

TEST_P(UacTest, CancelAnsweredButNoFinalResponseGivesUpAfter64T1) {
  SessionFixture f(GetParam());
  SessionHandle h = f.ringingUac();
  auto cancel = f.hangupSends(h, "CANCEL");
  ASSERT_TRUE(cancel);
  f.reply(cancel->msg, 200);
  // No 487 ever comes. §9.1: 64*T1 after the CANCEL the INVITE is given up.
  auto ended = f.endsAt(EndKind::LocalCancel, 32.0, 100ms);
  ASSERT_TRUE(ended);
  EXPECT_TRUE(ended->weCancelled);
  EXPECT_EQ(f.layer.unfinished(), 0u);
  f.expectAllGone();
}

TEST_P(UacTest, NoFinalResponseAfterRingingWaitsForTheApp) {
  SessionFixture f(GetParam());
  SessionHandle h = f.ringingUac();
  // Row 9: Timer B does not run once a 1xx came; only the app's no-answer timer ends it.
  f.loop.advance(10min);
  EXPECT_EQ(f.observer.count("ended"), 0u);
  EXPECT_EQ(f.layer.state(h), SessionState::Early);
  f.reply(*f.invite, 480, "bob-tag");
  EXPECT_EQ(f.observer.count("ended"), 1u);
  f.expectAllGone();
}

TEST_P(UacTest, FinalBusyEndsWithTheResponse) {
  SessionFixture f(GetParam());
  SessionHandle h = f.ringingUac();
  f.loop.advance(3s);
  f.reply(*f.invite, 486, "bob-tag");
  auto ack = f.takeRequest("ACK");
  ASSERT_TRUE(ack) << "the INVITE transaction ACKs a non-2xx itself";
  EXPECT_EQ(ack->msg.topVia().branch, f.invite->topVia().branch);
  EXPECT_EQ(ack->to.endpoint, f.peer()) << "hop-by-hop, to the INVITE's target";
  auto ended = f.observer.endedOnce(EndKind::FinalResponse);
  ASSERT_TRUE(ended);
  EXPECT_TRUE(ended->hadMessage);
  EXPECT_EQ(ended->status, 486);
  EXPECT_EQ(ended->endStatus, 486);
  EXPECT_EQ(ended->endError, SipStatus{486});
  EXPECT_EQ(ended->endError.message(), "Busy Here");
  EXPECT_TRUE(ended->ringingSeen);
  EXPECT_FALSE(ended->weCancelled);
  EXPECT_EQ(ended->at, 3.0);
  // Terminated, or already freed on a reliable transport (Timer D is zero there).
  EXPECT_EQ(f.layer.state(h).value_or(SessionState::Terminated), SessionState::Terminated);
  // A retransmitted 486 is absorbed by the transaction: no second onEnded.
  f.reply(*f.invite, 486, "bob-tag");
  EXPECT_EQ(f.observer.count("ended"), 1u);
  f.expectAllGone();
}

TEST_P(UacTest, NoResponseAtAllIsTimerBTimeout) {
  SessionFixture f(GetParam());
  f.call();
  auto ended = f.endsAt(EndKind::Timeout, 32.0, 100ms);
  ASSERT_TRUE(ended);
  EXPECT_FALSE(ended->hadMessage);
  EXPECT_EQ(ended->endError, Errc::Timeout);
  const auto sent = f.take();
  if (!f.reliable()) {
    // Timer A: 0.5, 1.5, 3.5, 7.5, 15.5, 31.5.
    EXPECT_EQ(SessionFixture::times(SessionFixture::requests(sent, "INVITE")),
              seq({0.5, 1.5, 3.5, 7.5, 15.5, 31.5}));
  }
  EXPECT_TRUE(SessionFixture::requests(sent, "CANCEL").empty());
  f.expectAllGone();
}

TEST_P(UacTest, SecondForkedTwoHundredIsAckedAndByedNotReported) {
  SessionFixture f(GetParam());
  SessionHandle h = f.establishUac();
  // Another branch of the fork answers too, with another To tag and Contact.
  f.answerOurInvite("fork-tag", {}, "<sip:dave@10.0.0.4:5090>");
  auto sent = f.take();
  ASSERT_NO_FATAL_FAILURE(expectAckThenBye(sent));
  for (const auto& o : sent) {
    EXPECT_EQ(o.to.endpoint, ep("10.0.0.4", 5090));
    EXPECT_EQ(o.msg.requestUri().text, "sip:dave@10.0.0.4:5090");
    EXPECT_EQ(o.msg.to().tag(), "fork-tag");
    EXPECT_EQ(o.msg.callId(), f.invite->callId());
  }
  EXPECT_EQ(sent[0].msg.cseq().number, 1u);
  EXPECT_EQ(sent[1].msg.cseq().number, 2u);
  EXPECT_EQ(f.observer.count("answered"), 1u);
  EXPECT_EQ(f.observer.count("ended"), 0u);
  EXPECT_EQ(f.layer.state(h), SessionState::Confirmed);
  EXPECT_EQ(f.layer.dialogOf(h)->id().remoteTag, "bob-tag");
  f.reply(sent[1].msg, 200);

  // The kept dialog is untouched: its BYE goes to Bob with the next CSeq of its own.
  auto bye = f.hangupSends(h, "BYE");
  ASSERT_TRUE(bye);
  EXPECT_EQ(bye->msg.to().tag(), "bob-tag");
  EXPECT_EQ(bye->to.endpoint, ep("10.0.0.3", 5080));
  f.reply(bye->msg, 200);
  EXPECT_EQ(f.observer.count("ended"), 1u);
  f.expectAllGone();
}

TEST_P(UacTest, RecordRouteIsFollowedInDialog) {
  SessionFixture f(GetParam());
  SessionHandle h = f.call();
  f.answerOurInvite("bob-tag", {{"Record-Route", "<sip:10.0.0.9:5099;lr>"},
                                {"Record-Route", "<sip:10.0.0.8;lr>"}});
  auto ack = f.takeRequest("ACK");
  ASSERT_TRUE(ack);
  // Route set = Record-Route reversed; the first hop is the first route.
  EXPECT_EQ(ack->to.endpoint, ep("10.0.0.8", 5060));
  EXPECT_EQ(ack->msg.requestUri().text, "sip:bob@10.0.0.3:5080");
  ASSERT_EQ(ack->msg.routes().size(), 2u);
  EXPECT_EQ(ack->msg.routes()[0].text, "<sip:10.0.0.8;lr>");
  auto bye = f.hangupSends(h, "BYE");
  ASSERT_TRUE(bye);
  EXPECT_EQ(bye->to.endpoint, ep("10.0.0.8", 5060));
  EXPECT_EQ(bye->msg.routes().size(), 2u);
  f.replyThenAllGone(bye->msg);
}

TEST_P(UacTest, TwoHundredWithoutContactStillEndsTheSession) {
  SessionFixture f(GetParam());
  SessionHandle h = f.ringingUac();
  // A broken 2xx (§13.3.1.4: it MUST carry a Contact): no dialog can be made from it.
  f.reply(*f.invite, 200, "bob-tag", {}, SessionFixture::kPeerSdp);
  (void)f.take();
  // The session may not hang: once the INVITE transaction is over (Timer M, 64*T1 after
  // the 2xx) nothing can answer the INVITE any more, and the session ends exactly once.
  f.loop.advance(5min);
  auto ended = f.observer.endedOnce(EndKind::Timeout);
  ASSERT_TRUE(ended) << "state "
                     << (f.layer.state(h) ? session::toString(*f.layer.state(h)) : "gone");
  EXPECT_LE(ended->at, 32.0);
  EXPECT_TRUE(ended->ringingSeen);
  EXPECT_EQ(f.observer.count("answered"), 0u);
  f.expectAllGone();
}

TEST_P(UacTest, PeerByeEndsTheCall) {
  SessionFixture f(GetParam());
  SessionHandle h = f.establishUac();
  f.inject(f.fromCallee({.method = "BYE",
                         .branch = "z9hG4bKbobbye1",
                         .extra = "Reason: Q.850;cause=16\r\n",
                         .contact = false}));
  ASSERT_TRUE(f.takeResponse(200, "BYE"));
  auto ended = f.observer.endedOnce(EndKind::Bye);
  ASSERT_TRUE(ended);
  EXPECT_EQ(ended->endMethod, "BYE");
  EXPECT_EQ(f.layer.state(h), SessionState::Terminated);
  f.expectAllGone();
}

TEST_P(UacTest, InDialogRequestBeforeAnyDialogGets481) {
  // The callee knows our Call-ID and From tag from the INVITE itself; a request naming them
  // before any response with a To tag made a dialog finds no dialog (§12.2.2), and the call
  // goes on as it was.
  SessionFixture f(GetParam());
  SessionHandle h = f.call();
  f.reply(*f.invite, 100);
  for (const char* method : {"BYE", "INVITE", "UPDATE", "INFO"}) {
    f.inject(f.fromCallee({.method = method, .branch = std::string("z9hG4bKearly") + method}));
    EXPECT_TRUE(f.takeResponse(481, method)) << method;
  }
  EXPECT_EQ(f.layer.state(h), SessionState::Early);  // the 100 made it so, nothing else
  EXPECT_EQ(f.observer.count("ended"), 0u);
  f.reply(*f.invite, 486, "bob-tag");
  ASSERT_TRUE(f.observer.endedOnce(EndKind::FinalResponse));
  f.expectAllGone();
}

TEST_P(UacTest, ChallengeIsAnsweredWithCredentialsAndNextCSeq) {
  SessionFixture f(GetParam());
  f.observer.challengeAnswer =
      std::make_pair(std::string("Proxy-Authorization"), std::string("Digest username=\"alice\""));
  SessionHandle h = f.call();
  f.reply(*f.invite, 407, "proxy-tag", {{"Proxy-Authenticate", "Digest realm=\"x\", nonce=\"n\""}});
  auto sent = f.take();
  auto invite = SessionFixture::only(SessionFixture::requests(sent, "INVITE"), sent);
  ASSERT_TRUE(invite);
  EXPECT_EQ(SessionFixture::requests(sent, "ACK").size(), 1u) << "the 407 is ACKed";
  const SipMessage retry = invite->msg.clone();
  EXPECT_EQ(retry.cseq().number, 2u);
  EXPECT_EQ(retry.header("Proxy-Authorization"), "Digest username=\"alice\"");
  EXPECT_EQ(retry.callId(), f.invite->callId());
  EXPECT_EQ(retry.from().tag(), f.invite->from().tag());
  EXPECT_NE(retry.topVia().branch, f.invite->topVia().branch);
  EXPECT_EQ(f.observer.count("challenge"), 1u);
  EXPECT_EQ(f.observer.count("ended"), 0u);

  f.invite = retry.clone();
  f.answerOurInvite();
  auto ack = f.takeRequest("ACK");
  ASSERT_TRUE(ack);
  EXPECT_EQ(ack->msg.cseq().number, 2u);
  EXPECT_EQ(f.observer.count("answered"), 1u);
  auto bye = f.hangupSends(h, "BYE");
  ASSERT_TRUE(bye);
  EXPECT_EQ(bye->msg.cseq().number, 3u);
  f.replyThenAllGone(bye->msg);
}

TEST_P(UacTest, SecondChallengeEndsTheCall) {
  SessionFixture f(GetParam());
  f.observer.challengeAnswer = std::make_pair(std::string("Authorization"), std::string("x"));
  f.call();
  f.reply(*f.invite, 401, "t1", {{"WWW-Authenticate", "Digest realm=\"x\", nonce=\"n\""}});
  auto retry = f.takeRequest("INVITE");
  ASSERT_TRUE(retry);
  f.invite = retry->msg.clone();
  f.reply(*f.invite, 401, "t2", {{"WWW-Authenticate", "Digest realm=\"x\", nonce=\"m\""}});
  auto ended = f.observer.endedOnce(EndKind::FinalResponse);
  ASSERT_TRUE(ended);
  EXPECT_EQ(ended->status, 401);
  EXPECT_EQ(f.observer.count("challenge"), 1u);
  f.expectAllGone();
}

TEST(UacTransport, SendFailureEndsWithTransportError) {
  SessionFixture f(Protocol::Tcp);
  f.wire.failSends(std::make_error_code(std::errc::connection_refused));
  auto h = f.layer.invite(f.outgoing());
  f.loop.runUntilIdle();
  if (!h.ok()) {
    EXPECT_EQ(f.observer.count("ended"), 0u) << "no session, no callback";
  } else {
    auto ended = f.observer.endedOnce(EndKind::TransportError);
    ASSERT_TRUE(ended);
    EXPECT_EQ(ended->endError, Errc::TransportError);
  }
  f.expectAllGone();
}

// ======================================================================================
// UAS
// ======================================================================================

class UasTest : public TestWithParam<Protocol> {};
INSTANTIATE_TEST_SUITE_P(Both, UasTest, Values(Protocol::Udp, Protocol::Tcp), nameOf);

TEST_P(UasTest, IncomingInviteIsReportedAndTryingSent) {
  SessionFixture f(GetParam());
  SessionHandle h = f.incoming();
  ASSERT_TRUE(h.valid());
  EXPECT_EQ(f.layer.state(h), SessionState::Offered);
  EXPECT_EQ(f.layer.callId(h), "peer-call-1");
  auto sent = f.take();
  ASSERT_EQ(sent.size(), 1u) << SessionFixture::describe(sent);
  EXPECT_TRUE(sent[0].isResponse(100, "INVITE"));
  EXPECT_EQ(sent[0].to.endpoint, f.peer());
  EXPECT_EQ(f.layer.stats().sessions, 1u);
  EXPECT_EQ(f.layer.stats().createdTotal, 1u);
  EXPECT_EQ(f.layer.unfinished(), 1u);
  // A retransmitted INVITE is absorbed: no second session.
  f.inject(f.peerRequest({}));
  EXPECT_EQ(f.observer.count("incoming"), 1u);

  ASSERT_TRUE(f.layer.provisional(h, 180).ok());
  f.loop.runUntilIdle();
  auto ringing = f.takeResponse(180);
  ASSERT_TRUE(ringing);
  EXPECT_EQ(ringing->msg.to().tag(), f.ourTag(h));
  EXPECT_FALSE(f.ourTag(h).empty());
  EXPECT_EQ(ringing->msg.contacts().size(), 1u);
  EXPECT_FALSE(f.layer.provisional(h, 200).ok());
  EXPECT_FALSE(f.layer.hangup(h).ok()) << "an offered call is ended with reject()";

  ASSERT_TRUE(f.layer.reject(h, 486, {}, {{"Reason", "Q.850;cause=17"}}).ok());
  f.loop.runUntilIdle();
  auto busy = f.takeResponse(486);
  ASSERT_TRUE(busy);
  EXPECT_EQ(busy->msg.header("Reason"), "Q.850;cause=17");
  EXPECT_EQ(busy->msg.to().tag(), f.ourTag(h));
  auto ended = f.observer.endedOnce(EndKind::LocalReject);
  ASSERT_TRUE(ended);
  EXPECT_EQ(ended->endStatus, 486);
  // The peer ACKs the 486 with the INVITE's branch: the transaction absorbs it.
  f.inject(f.ackForNon2xx(h));
  EXPECT_TRUE(f.take().empty());
  f.expectAllGone();
}

TEST_P(UasTest, AnswerRetransmitsTheTwoHundredUntilTheAck) {
  SessionFixture f(GetParam());
  SessionHandle h = f.answeredUas();
  ASSERT_TRUE(f.ok.has_value());
  const SipMessage& ok = *f.ok;
  EXPECT_EQ(f.layer.state(h), SessionState::Accepted);
  EXPECT_EQ(ok.body(), SessionFixture::kOurSdp);
  EXPECT_EQ(ok.to().tag(), f.ourTag(h));
  ASSERT_EQ(ok.contacts().size(), 1u);
  EXPECT_EQ(ok.contacts().front().uri.text, "sip:alice@10.0.0.1:5060");
  EXPECT_FALSE(ok.header("Session-Expires").has_value()) << "the INVITE asked for none";

  f.loop.advance(10s);
  auto sent = f.take();
  auto oks = SessionFixture::responses(sent, 200, "INVITE");
  if (f.reliable()) {
    EXPECT_TRUE(oks.empty()) << "no 2xx retransmission on a reliable transport; "
                             << SessionFixture::describe(sent);
  } else {
    // §13.3.1.4: T1, 2*T1, 4*T1, ... capped at T2.
    EXPECT_EQ(SessionFixture::times(oks), seq({0.5, 1.5, 3.5, 7.5}));
    for (const auto& o : oks) {
      EXPECT_EQ(o.msg.serialize(), ok.serialize());
    }
  }
  EXPECT_EQ(f.observer.count("confirmed"), 0u);

  f.inject(f.ackFor(h));
  EXPECT_EQ(f.layer.state(h), SessionState::Confirmed);
  ASSERT_EQ(f.observer.count("confirmed"), 1u);
  EXPECT_EQ(f.observer.of("confirmed")[0].at, 10.0);
  f.loop.advance(30s);
  sent = f.take();
  EXPECT_TRUE(sent.empty()) << "the ACK stops the retransmissions; "
                            << SessionFixture::describe(sent);
  // A retransmitted ACK is dropped silently.
  f.inject(f.ackFor(h));
  EXPECT_TRUE(f.take().empty());
  EXPECT_EQ(f.observer.count("confirmed"), 1u);

  // The peer hangs up.
  f.inject(f.inDialog(h, "BYE", 2));
  ASSERT_TRUE(f.takeResponse(200, "BYE"));
  ASSERT_TRUE(f.observer.endedOnce(EndKind::Bye));
  f.expectAllGone();
}

TEST(UasTiming, RetransmissionIntervalIsCappedAtT2) {
  SessionFixture f(Protocol::Udp);
  SessionHandle h = f.answeredUas();
  f.loop.advance(20s);
  auto oks = SessionFixture::responses(f.take(), 200, "INVITE");
  EXPECT_EQ(SessionFixture::times(oks), seq({0.5, 1.5, 3.5, 7.5, 11.5, 15.5, 19.5}));
  f.inject(f.ackFor(h));
  f.hangupToTheEnd(h);
}

TEST_P(UasTest, NoAckWithin64T1SendsByeAndEndsNoAck) {
  SessionFixture f(GetParam());
  SessionHandle h = f.answeredUas();
  f.loop.advance(31900ms);
  EXPECT_EQ(f.observer.count("ended"), 0u);
  auto bye = f.nextRequestAt("BYE", 32.0, 100ms, {"BYE"});
  ASSERT_TRUE(bye);
  EXPECT_EQ(bye->msg.requestUri().text, "sip:carol@10.0.0.2:5070");
  EXPECT_EQ(bye->msg.to().tag(), "ctag");
  EXPECT_EQ(bye->msg.from().tag(), f.ourTag(h));
  EXPECT_EQ(bye->msg.cseq().number, 1u);
  const auto reason = bye->msg.header("Reason");
  ASSERT_TRUE(reason.has_value()) << "every BYE we start says why (mapping decision 3)";
  EXPECT_NE(reason->find("Q.850;cause=102"), std::string_view::npos) << *reason;
  auto ended = f.observer.endedOnce(EndKind::NoAck);
  ASSERT_TRUE(ended);
  EXPECT_EQ(ended->at, 32.0);
  EXPECT_EQ(ended->endError, Errc::Timeout);
  f.loop.advance(10s);
  EXPECT_TRUE(SessionFixture::responses(f.take(), 200, "INVITE").empty())
      << "retransmissions stop with the BYE";
  f.replyThenAllGone(bye->msg);
  EXPECT_EQ(f.observer.count("ended"), 1u);
}

TEST_P(UasTest, HangupInAcceptedHoldsTheByeUntilTheAck) {
  SessionFixture f(GetParam());
  SessionHandle h = f.answeredUas();
  f.loop.advance(1s);
  ASSERT_TRUE(f.layer.hangup(h, {{"Reason", "Q.850;cause=16"}}).ok());
  f.loop.runUntilIdle();
  ASSERT_TRUE(f.observer.endedOnce(EndKind::LocalBye)) << "over locally at once";
  EXPECT_EQ(f.layer.unfinished(), 1u) << "the BYE still has to go out";
  f.loop.advance(1s);
  auto sent = f.take();
  EXPECT_TRUE(SessionFixture::requests(sent, "BYE").empty())
      << "row 5: no BYE before the ACK; " << SessionFixture::describe(sent);
  if (!f.reliable()) {
    EXPECT_EQ(SessionFixture::times(SessionFixture::responses(sent, 200, "INVITE")),
              seq({0.5, 1.5}))
        << "the 2xx is still retransmitted";
  }

  f.inject(f.ackFor(h));
  auto bye = f.takeRequest("BYE");
  ASSERT_TRUE(bye);
  EXPECT_EQ(bye->at, 2.0);
  EXPECT_EQ(bye->msg.header("Reason"), "Q.850;cause=16");
  EXPECT_EQ(f.observer.count("confirmed"), 0u) << "released from the app's view already";
  f.loop.advance(10s);
  sent = f.take();
  EXPECT_TRUE(SessionFixture::responses(sent, 200, "INVITE").empty())
      << SessionFixture::describe(sent);
  f.reply(bye->msg, 200);
  EXPECT_EQ(f.layer.unfinished(), 0u);
  f.expectAllGone();
  EXPECT_EQ(f.observer.count("ended"), 1u);
}

TEST_P(UasTest, HangupInAcceptedWithoutAckByesAt64T1) {
  SessionFixture f(GetParam());
  SessionHandle h = f.answeredUas();
  ASSERT_TRUE(f.layer.hangup(h).ok());
  f.loop.advance(32s);
  auto bye = f.takeRequest("BYE");
  ASSERT_TRUE(bye);
  EXPECT_EQ(bye->at, 32.0);
  ASSERT_TRUE(f.observer.endedOnce(EndKind::LocalBye));
  f.replyThenAllGone(bye->msg);
}

TEST_P(UasTest, PeerByeAfterOurHangupInAcceptedStopsEverything) {
  SessionFixture f(GetParam());
  SessionHandle h = f.answeredUas();
  ASSERT_TRUE(f.layer.hangup(h).ok());  // our BYE waits for the ACK (row 5)
  f.loop.advance(1s);
  // ... but the peer hangs up first (row 6): 200, and nothing of ours is left to send.
  f.inject(f.inDialog(h, "BYE", 2));
  EXPECT_TRUE(f.takeResponse(200, "BYE"));
  EXPECT_EQ(f.observer.count("ended"), 1u);
  EXPECT_EQ(f.layer.unfinished(), 0u);
  f.loop.advance(40s);
  auto sent = f.take();
  EXPECT_TRUE(SessionFixture::responses(sent, 200, "INVITE").empty())
      << "the 2xx retransmissions stop; " << SessionFixture::describe(sent);
  EXPECT_TRUE(SessionFixture::requests(sent, "BYE").empty())
      << "no BYE into a dialog the peer has ended; " << SessionFixture::describe(sent);
  f.expectAllGone();
}

TEST_P(UasTest, ReInviteForAnUnknownDialogGets481) {
  SessionFixture f(GetParam());
  const SessionFixture::PeerRequest p{
      .branch = "z9hG4bKre-unknown", .cseq = 2, .toTag = "no-such-tag"};
  f.inject(f.peerRequest(p));
  auto answer = f.takeFinal();
  ASSERT_TRUE(answer);
  EXPECT_TRUE(answer->isResponse(481, "INVITE"));
  EXPECT_EQ(f.observer.events.size(), 0u);
  SessionFixture::PeerRequest ack = p;  // the peer's transaction ACKs the 481
  ack.method = "ACK";
  ack.contact = false;
  f.inject(f.peerRequest(ack));
  f.expectAllGone();
}

TEST_P(UasTest, ByeBeforeAckIsAcceptedAndStopsRetransmissions) {
  SessionFixture f(GetParam());
  SessionHandle h = f.answeredUas();
  f.loop.advance(1s);
  f.inject(f.inDialog(h, "BYE", 2));
  ASSERT_TRUE(f.takeResponse(200, "BYE"));
  auto ended = f.observer.endedOnce(EndKind::Bye);
  ASSERT_TRUE(ended);
  EXPECT_EQ(ended->endMethod, "BYE");
  f.loop.advance(20s);
  auto sent = f.take();
  EXPECT_TRUE(SessionFixture::responses(sent, 200, "INVITE").empty())
      << "row 6: retransmissions stop; " << SessionFixture::describe(sent);
  EXPECT_TRUE(SessionFixture::requests(sent, "BYE").empty());
  // The late ACK matches nothing and is dropped without a reply.
  f.inject(f.ackFor(h));
  EXPECT_TRUE(f.take().empty());
  EXPECT_EQ(f.observer.count("confirmed"), 0u);
  f.expectAllGone();
  EXPECT_EQ(f.observer.count("ended"), 1u);
}

TEST_P(UasTest, RemoteCancelWhileOfferedAnswers200And487) {
  SessionFixture f(GetParam());
  SessionHandle h = f.earlyUas(180);
  f.inject(f.peerRequest({.method = "CANCEL",
                          .extra = "Reason: SIP;cause=200;text=\"Call completed elsewhere\"\r\n",
                          .contact = false}));
  auto sent = f.take();
  ASSERT_EQ(sent.size(), 2u) << SessionFixture::describe(sent);
  EXPECT_TRUE(sent[0].isResponse(200, "CANCEL"));
  EXPECT_TRUE(sent[1].isResponse(487, "INVITE"));
  EXPECT_EQ(sent[1].msg.to().tag(), f.ourTag(h));
  auto ended = f.observer.endedOnce(EndKind::Cancel);
  ASSERT_TRUE(ended);
  EXPECT_EQ(ended->endMethod, "CANCEL");
  EXPECT_FALSE(f.layer.answer(h, SessionFixture::kOurSdp, "<sip:alice@10.0.0.1>").ok());

  // The ACK for the 487 (same branch) ends the server transaction.
  f.inject(f.ackForNon2xx(h));
  EXPECT_TRUE(f.take().empty());
  f.expectAllGone();
  EXPECT_EQ(f.observer.count("ended"), 1u);
}

TEST_P(UasTest, CancelAfterTheAnswerHasNoEffect) {
  SessionFixture f(GetParam());
  SessionHandle h = f.answeredUas();
  f.inject(f.peerRequest({.method = "CANCEL", .contact = false}));
  auto sent = f.take();
  EXPECT_EQ(SessionFixture::responses(sent, 200, "CANCEL").size(), 1u)
      << SessionFixture::describe(sent);
  EXPECT_TRUE(SessionFixture::responses(sent, 487).empty());
  EXPECT_EQ(f.observer.count("ended"), 0u);
  EXPECT_EQ(f.layer.state(h), SessionState::Accepted);
  f.inject(f.ackFor(h));
  f.inject(f.inDialog(h, "BYE", 2));
  EXPECT_EQ(f.observer.count("ended"), 1u);
  f.expectAllGone();
}

TEST_P(UasTest, CancelForNothingGets481) {
  SessionFixture f(GetParam());
  f.inject(f.peerRequest({.method = "CANCEL", .branch = "z9hG4bKnothing", .contact = false}));
  auto sent = f.take();
  ASSERT_EQ(sent.size(), 1u) << SessionFixture::describe(sent);
  EXPECT_TRUE(sent[0].isResponse(481, "CANCEL"));
  EXPECT_EQ(f.layer.stats().answered481, 1u);
  EXPECT_EQ(f.observer.events.size(), 0u);
  f.expectAllGone();
}

TEST_P(UasTest, ByeForAnUnknownDialogGets481) {
  SessionFixture f(GetParam());
  const SessionFixture::PeerRequest b{
      .method = "BYE", .branch = "z9hG4bKbye-unknown", .toTag = "no-such-tag", .contact = false};
  f.inject(f.peerRequest(b));
  SessionFixture::PeerRequest untagged = b;
  untagged.branch = "z9hG4bKbye-untagged";
  untagged.toTag.clear();
  f.inject(f.peerRequest(untagged));
  auto sent = f.take();
  ASSERT_EQ(sent.size(), 2u) << SessionFixture::describe(sent);
  EXPECT_TRUE(sent[0].isResponse(481, "BYE"));
  EXPECT_TRUE(sent[1].isResponse(481, "BYE"));
  EXPECT_EQ(f.layer.stats().answered481, 2u);
  if (!f.reliable()) {
    // A retransmitted BYE is absorbed by the server transaction: answered again, once.
    f.inject(f.peerRequest(b));
    sent = f.take();
    ASSERT_EQ(sent.size(), 1u);
    EXPECT_TRUE(sent[0].isResponse(481, "BYE"));
    EXPECT_EQ(f.layer.stats().answered481, 2u);
  }
  EXPECT_EQ(f.observer.events.size(), 0u);
  f.expectAllGone();
}

TEST_P(UasTest, ByeFromTheWrongRemoteTagGets481) {
  SessionFixture f(GetParam());
  SessionHandle h = f.confirmedUas();
  f.inject(f.peerRequest({.method = "BYE",
                          .branch = "z9hG4bKbye-wrongfrom",
                          .cseq = 2,
                          .toTag = f.ourTag(h),
                          .fromTag = "someone-else",
                          .contact = false}));
  ASSERT_TRUE(f.takeResponse(481, "BYE"));
  EXPECT_EQ(f.observer.count("ended"), 0u);
  f.inject(f.inDialog(h, "BYE", 3));
  EXPECT_EQ(f.observer.count("ended"), 1u);
  f.expectAllGone();
}

TEST_P(UasTest, StrayAckIsDroppedSilently) {
  SessionFixture f(GetParam());
  SessionFixture::PeerRequest a{
      .method = "ACK", .branch = "z9hG4bKstray", .toTag = "no-such-tag", .contact = false};
  f.inject(f.peerRequest(a));
  a.toTag.clear();
  a.branch = "z9hG4bKstray2";
  f.inject(f.peerRequest(a));
  EXPECT_TRUE(f.take().empty());
  EXPECT_EQ(f.observer.events.size(), 0u);
  EXPECT_EQ(f.layer.stats().answered481, 0u);
  f.expectAllGone();
}

TEST_P(UasTest, CrossedByesAreAnsweredWithoutASecondEnd) {
  SessionFixture f(GetParam());
  SessionHandle h = f.confirmedUas();
  auto bye = f.hangupSends(h, "BYE");
  ASSERT_TRUE(bye);
  EXPECT_EQ(bye->msg.cseq().number, 1u);
  ASSERT_EQ(f.observer.count("ended"), 1u);
  // The peer's BYE crosses ours.
  f.inject(f.inDialog(h, "BYE", 2));
  EXPECT_TRUE(f.takeResponse(200, "BYE"));
  EXPECT_EQ(f.observer.count("ended"), 1u);
  EXPECT_EQ(f.observer.of("ended")[0].end, EndKind::LocalBye);
  // Then ours is answered 481 (the peer forgot the dialog): still over, nothing new.
  f.reply(bye->msg, 481);
  EXPECT_EQ(f.observer.count("ended"), 1u);
  f.expectAllGone();
}

TEST_P(UasTest, UnansweredByeTimesOutAndTheCallStaysOver) {
  SessionFixture f(GetParam());
  SessionHandle h = f.confirmedUas();
  ASSERT_TRUE(f.layer.hangup(h).ok());
  f.loop.runUntilIdle();
  EXPECT_EQ(f.layer.unfinished(), 1u);
  f.loop.advance(32s);  // Timer F
  EXPECT_EQ(f.layer.unfinished(), 0u);
  EXPECT_EQ(f.observer.count("ended"), 1u);
  f.expectAllGone();
}

TEST_P(UasTest, ReInviteWhileConfirmedGets200WithOurSdp) {
  SessionFixture f(GetParam());
  SessionHandle h = f.confirmedUas();
  const std::string newSdp = "v=0\r\no=carol 2 3 IN IP4 10.0.0.2\r\ns=-\r\n";
  std::string text = f.peerRequest({.method = "INVITE",
                                    .branch = "z9hG4bKreinv2",
                                    .cseq = 2,
                                    .toTag = f.ourTag(h),
                                    .body = newSdp});
  // The re-INVITE moves the peer: target refresh.
  const auto at = text.find("Contact: <sip:carol@10.0.0.2:5070>");
  ASSERT_NE(at, std::string::npos);
  text.replace(at, 34, "Contact: <sip:carol@10.0.0.5:5075>");
  f.inject(text);
  auto answer = f.takeResponse(200, "INVITE");
  ASSERT_TRUE(answer);
  EXPECT_EQ(answer->msg.body(), SessionFixture::kOurSdp);
  EXPECT_EQ(answer->msg.cseq().number, 2u);
  EXPECT_EQ(answer->msg.to().tag(), f.ourTag(h));
  ASSERT_EQ(answer->msg.contacts().size(), 1u);
  EXPECT_EQ(answer->msg.contacts().front().uri.text, "sip:alice@10.0.0.1:5060");
  EXPECT_EQ(f.layer.state(h), SessionState::Confirmed);
  EXPECT_EQ(f.layer.dialogOf(h)->remoteTarget(), "sip:carol@10.0.0.5:5075");
  // Its ACK is absorbed quietly.
  f.inject(f.ackFor(h, 2));
  EXPECT_TRUE(f.take().empty());
  EXPECT_EQ(f.observer.count("confirmed"), 1u);

  auto bye = f.hangupSends(h, "BYE");
  ASSERT_TRUE(bye);
  EXPECT_EQ(bye->msg.requestUri().text, "sip:carol@10.0.0.5:5075");
  if (!f.reliable()) {
    // (On TCP the layer reuses the connection the INVITE came on.) Carol is no trusted
    // peer, so the BYE goes where her requests come from, not to the host her Contact names.
    EXPECT_EQ(bye->to.endpoint, ep("10.0.0.2", 5070)) << "send policy: the peer's address";
    EXPECT_EQ(f.layer.stats().redirectedTargets, 1u);
  }
  f.replyThenAllGone(bye->msg);
}

TEST_P(UasTest, ATrustedPeersRefreshedTargetGetsTheBye) {
  session::SessionConfig config;
  config.trustedPeers.push_back(ep("10.0.0.2", 1).address);
  SessionFixture f(GetParam(), config);
  SessionHandle h = f.confirmedUas();
  std::string text = f.inDialog(h, "INVITE", 2);
  const auto at = text.find("Contact: <sip:carol@10.0.0.2:5070>");
  ASSERT_NE(at, std::string::npos);
  text.replace(at, 34, "Contact: <sip:carol@10.0.0.5:5075>");
  f.inject(text);
  ASSERT_TRUE(f.takeResponse(200, "INVITE"));
  f.inject(f.ackFor(h, 2));
  auto bye = f.hangupSends(h, "BYE");
  ASSERT_TRUE(bye);
  if (!f.reliable()) {
    EXPECT_EQ(bye->to.endpoint, ep("10.0.0.5", 5075)) << "BYE to the refreshed target";
  }
  EXPECT_EQ(f.layer.stats().redirectedTargets, 0u);
  f.replyThenAllGone(bye->msg);
}

TEST_P(UasTest, AForgedContactCannotAimOurByeAtAThirdParty) {
  SessionFixture f(GetParam());
  std::string text = f.peerRequest({.body = SessionFixture::kPeerSdp});
  const auto at = text.find("Contact: <sip:carol@10.0.0.2:5070>");
  ASSERT_NE(at, std::string::npos);
  text.replace(at, 34, "Contact: <sip:carol@192.0.2.99:5060>");
  f.inject(text);
  ASSERT_EQ(f.observer.count("incoming"), 1u);
  const SessionHandle h = f.observer.of("incoming").back().session;
  ASSERT_TRUE(f.layer.answer(h, SessionFixture::kOurSdp, "<sip:alice@10.0.0.1:5060>").ok());
  f.inject(f.ackFor(h));
  (void)f.take();
  auto bye = f.hangupSends(h, "BYE");
  ASSERT_TRUE(bye);
  EXPECT_EQ(bye->msg.requestUri().text, "sip:carol@192.0.2.99:5060") << "the dialog is intact";
  EXPECT_EQ(bye->to.endpoint, ep("10.0.0.2", 5070)) << "but the BYE goes where Carol is";
  f.replyThenAllGone(bye->msg);
}

// ---- RFC 3261 §12.1.1: Record-Route in responses that create the dialog ---------------------

TEST_P(UasTest, ProvisionalAnd2xxCopyEveryRecordRouteInOrder) {
  SessionFixture f(GetParam());
  const SessionHandle h =
      f.incoming({.extra = "Record-Route: <sip:10.0.0.7;lr>, <sip:10.0.0.8;lr;transport=tcp>\r\n"
                           "Record-Route: <sip:10.0.0.9;lr>\r\n"});
  ASSERT_TRUE(h.valid());
  (void)f.take();  // 100 Trying: no To tag, no dialog, no Record-Route needed
  ASSERT_TRUE(f.layer.provisional(h, 180).ok());
  auto ringing = f.takeResponse(180, "INVITE");
  ASSERT_TRUE(ringing);
  const std::vector<std::string_view> expected{
      "<sip:10.0.0.7;lr>", "<sip:10.0.0.8;lr;transport=tcp>", "<sip:10.0.0.9;lr>"};
  EXPECT_EQ(ringing->msg.headerValues("Record-Route"), expected);
  ASSERT_TRUE(f.layer.answer(h, SessionFixture::kOurSdp, "<sip:alice@10.0.0.1:5060>").ok());
  auto ok = f.takeResponse(200, "INVITE");
  ASSERT_TRUE(ok);
  EXPECT_EQ(ok->msg.headerValues("Record-Route"), expected);
  f.inject(f.ackFor(h));
  // Our own requests follow the same route set: first hop the first Record-Route.
  auto bye = f.hangupSends(h, "BYE");
  ASSERT_TRUE(bye);
  ASSERT_EQ(bye->msg.routes().size(), 3u);
  EXPECT_EQ(bye->msg.routes().front().uri.text, "sip:10.0.0.7;lr");
  f.replyThenAllGone(bye->msg);
}

TEST_P(UasTest, RejectionsCreateNoDialogAndCarryNoRecordRoute) {
  SessionFixture f(GetParam());
  const SessionHandle h = f.incoming({.extra = "Record-Route: <sip:10.0.0.7;lr>\r\n"});
  ASSERT_TRUE(f.layer.reject(h, 486).ok());
  auto busy = f.takeFinal();
  ASSERT_TRUE(busy);
  EXPECT_TRUE(busy->msg.headerValues("Record-Route").empty());
  f.inject(f.ackForNon2xx(h));
  f.expectAllGone();
}

// ---- RFC 3261 §9.2: the 200 to a CANCEL carries the INVITE's To tag -------------------------

TEST_P(UasTest, CancelsTwoHundredCarriesTheToTagOfTheInvitesResponses) {
  SessionFixture f(GetParam());
  const SessionHandle h = f.earlyUas(180);
  f.inject(f.peerRequest({.method = "CANCEL", .contact = false}));
  auto sent = f.take();
  auto ok = SessionFixture::only(SessionFixture::responses(sent, 200, "CANCEL"), sent);
  auto terminated = SessionFixture::only(SessionFixture::responses(sent, 487, "INVITE"), sent);
  ASSERT_TRUE(ok && terminated);
  EXPECT_FALSE(ok->msg.to().tag().empty());
  EXPECT_EQ(ok->msg.to().tag(), f.ourTag(h));
  EXPECT_EQ(terminated->msg.to().tag(), f.ourTag(h));
  f.inject(f.ackForNon2xx(h));
  f.expectAllGone();
}

// ---- RFC 3264 §8: a new offer in the dialog gets the observer's answer -----------------------

TEST_P(UasTest, ReInviteOfferIsAnsweredByTheObserver) {
  SessionFixture f(GetParam());
  const SessionHandle h = f.confirmedUas();
  const std::string hold = "v=0\r\no=carol 2 3 IN IP4 10.0.0.2\r\ns=-\r\na=sendonly\r\n";
  const std::string held = "v=0\r\no=alice 1 2 IN IP4 10.0.0.1\r\ns=-\r\na=recvonly\r\n";
  f.observer.offerHook = [&](SessionHandle s, const session::OnOfferParam& p) {
    EXPECT_EQ(s, h);
    EXPECT_EQ(p.request.method(), message::Method::Invite);
    return session::OfferAnswer{200, p.offer == hold ? held : std::string()};
  };
  f.inject(f.inDialog(h, "INVITE", 2, {}, hold));
  auto answer = f.takeResponse(200, "INVITE");
  ASSERT_TRUE(answer);
  EXPECT_EQ(answer->msg.body(), held);
  EXPECT_EQ(f.observer.offers, std::vector<std::string>{hold});
  f.inject(f.ackFor(h, 2));
  // An offerless re-INVITE gets our current description (the last answer) as the offer.
  f.inject(f.inDialog(h, "INVITE", 3));
  auto offer = f.takeResponse(200, "INVITE");
  ASSERT_TRUE(offer);
  EXPECT_EQ(offer->msg.body(), held);
  f.inject(f.ackFor(h, 3));
  // And a session refresh of ours offers it too.
  EXPECT_EQ(f.layer.state(h), SessionState::Confirmed);
  auto bye = f.hangupSends(h, "BYE");
  ASSERT_TRUE(bye);
  f.replyThenAllGone(bye->msg);
}

TEST_P(UasTest, ARefusedOfferGetsItsStatusAndChangesNothing) {
  SessionFixture f(GetParam());
  const SessionHandle h = f.confirmedUas();
  f.observer.offerHook = [](SessionHandle, const session::OnOfferParam&) {
    return session::OfferAnswer{488, {}};
  };
  std::string text = f.inDialog(h, "INVITE", 2, {}, "v=0\r\nbroken\r\n");
  const auto at = text.find("Contact: <sip:carol@10.0.0.2:5070>");
  ASSERT_NE(at, std::string::npos);
  text.replace(at, 34, "Contact: <sip:carol@10.0.0.5:5075>");
  f.inject(text);
  ASSERT_TRUE(f.takeResponse(488, "INVITE"));
  EXPECT_EQ(f.layer.dialogOf(h)->remoteTarget(), "sip:carol@10.0.0.2:5070")
      << "§12.2.2: only an accepted re-INVITE refreshes the target";
  EXPECT_EQ(f.layer.state(h), SessionState::Confirmed);
  // A body that is not SDP is refused before the observer sees it.
  f.observer.offerHook = nullptr;
  f.inject(f.peerRequest({.method = "INVITE",
                          .branch = "z9hG4bKpeer-text",
                          .cseq = 3,
                          .toTag = f.ourTag(h),
                          .body = "hello",
                          .contentType = "text/plain"}));
  auto sent = f.take();
  EXPECT_FALSE(SessionFixture::responses(sent, 415, "INVITE").empty())
      << SessionFixture::describe(sent);
  EXPECT_EQ(f.observer.offers.size(), 1u);
  auto bye = f.hangupSends(h, "BYE");
  ASSERT_TRUE(bye);
  f.replyThenAllGone(bye->msg);
}

TEST_P(UasTest, UpdateWithAnOfferGetsAnAnswer) {
  SessionFixture f(GetParam());
  const SessionHandle h = f.confirmedUas();
  const std::string answerSdp = "v=0\r\no=alice 1 2 IN IP4 10.0.0.1\r\ns=-\r\na=inactive\r\n";
  f.observer.offerHook = [&](SessionHandle, const session::OnOfferParam&) {
    return session::OfferAnswer{200, answerSdp};
  };
  f.inject(f.inDialog(h, "UPDATE", 2, {},
                      "v=0\r\no=carol 2 3 IN IP4 10.0.0.2\r\ns=-\r\na=inactive\r\n"));
  auto ok = f.takeResponse(200, "UPDATE");
  ASSERT_TRUE(ok);
  EXPECT_EQ(ok->msg.body(), answerSdp);
  EXPECT_EQ(ok->msg.header("Content-Type"), "application/sdp");
  auto bye = f.hangupSends(h, "BYE");
  ASSERT_TRUE(bye);
  f.replyThenAllGone(bye->msg);
}

TEST_P(UasTest, LowerCSeqGets500) {
  SessionFixture f(GetParam());
  SessionHandle h = f.confirmedUas({});
  f.inject(f.inDialog(h, "INFO", 5));
  ASSERT_TRUE(f.takeResponse(200, "INFO"));
  f.inject(f.inDialog(h, "BYE", 4));
  auto sent = f.take();
  ASSERT_EQ(sent.size(), 1u) << SessionFixture::describe(sent);
  EXPECT_TRUE(sent[0].isResponse(500, "BYE"));
  EXPECT_EQ(f.observer.count("ended"), 0u);
  EXPECT_EQ(f.layer.state(h), SessionState::Confirmed);
  f.inject(f.inDialog(h, "BYE", 6));
  EXPECT_EQ(f.observer.count("ended"), 1u);
  f.expectAllGone();
}

TEST_P(UasTest, RequireWeDoNotSupportGets420) {
  SessionFixture f(GetParam());
  ASSERT_NO_FATAL_FAILURE(
      f.expectRefused({.extra = "Require: 100rel, timer\r\n"}, 420, "Unsupported", "100rel"));
  EXPECT_EQ(f.layer.stats().sessions, 0u);
  // Require: timer alone is fine.
  SessionHandle h =
      f.incoming({.branch = "z9hG4bKtimer",
                  .callId = "peer-call-2",
                  .extra = "Require: timer\r\nSupported: timer\r\nSession-Expires: 1800\r\n"});
  ASSERT_TRUE(h.valid());
  ASSERT_TRUE(f.layer.reject(h, 603).ok());
  f.loop.runUntilIdle();
  f.expectAllGone();
}

TEST_P(UasTest, NonSdpBodyGets415) {
  SessionFixture f(GetParam());
  f.expectRefused({.body = "hello", .contentType = "text/plain"}, 415, "Accept", "application/sdp");
  f.expectAllGone();
}

TEST_P(UasTest, SessionExpiresBelowMinSeGets422) {
  SessionFixture f(GetParam());
  ASSERT_NO_FATAL_FAILURE(f.expectRefused({.extra = "Supported: timer\r\nSession-Expires: 60\r\n"},
                                          422, "Min-SE", "90"));
  // Compact form too (RFC 4028: x).
  f.expectRefused(
      {.branch = "z9hG4bKcompact", .callId = "peer-call-3", .extra = "x: 30;refresher=uac\r\n"},
      422);
  f.expectAllGone();
}

TEST_P(UasTest, AnRfc2543InviteWithoutContactIsAccepted) {
  // RFC 4475 §3.4.1 inv2543: no Contact; the From URI is the remote target.
  SessionFixture f(GetParam());
  const SessionHandle h = f.incoming({.contact = false});
  ASSERT_TRUE(h.valid());
  EXPECT_EQ(f.layer.dialogOf(h)->remoteTarget(), "sip:carol@10.0.0.2");
  ASSERT_TRUE(f.layer.reject(h, 486).ok());
  f.inject(f.ackForNon2xx(h));
  f.expectAllGone();
}

TEST_P(UasTest, OutOfDialogOptionsAndUnknownMethods) {
  SessionFixture f(GetParam());
  f.inject(f.peerRequest({.method = "OPTIONS", .branch = "z9hG4bKopt", .contact = false}));
  f.inject(f.peerRequest({.method = "MESSAGE", .branch = "z9hG4bKmsg", .contact = false}));
  f.inject(f.peerRequest({.method = "FOO", .branch = "z9hG4bKfoo", .contact = false}));
  auto sent = f.take();
  ASSERT_EQ(sent.size(), 3u) << SessionFixture::describe(sent);
  EXPECT_TRUE(sent[0].isResponse(200, "OPTIONS"));
  EXPECT_TRUE(sent[0].msg.header("Allow").has_value());
  EXPECT_TRUE(sent[1].isResponse(405, "MESSAGE"));
  EXPECT_TRUE(sent[2].isResponse(501, "FOO"));
  f.expectAllGone();
}

TEST_P(UasTest, ReInviteBeforeOurFinalResponseGets500WithRetryAfter) {
  SessionFixture f(GetParam());
  SessionHandle h = f.earlyUas(180);
  // §14.2: a second INVITE on the dialog before we answered the first (lower CSeq) → 500
  // with Retry-After 0-10 s. (491 is for an INVITE of our own in progress.)
  f.inject(f.inDialog(h, "INVITE", 2, {}, SessionFixture::kPeerSdp));
  auto answer = f.takeFinal();
  ASSERT_TRUE(answer);
  EXPECT_TRUE(answer->isResponse(500, "INVITE")) << answer->msg.statusCode();
  const auto retryAfter = answer->msg.header("Retry-After");
  ASSERT_TRUE(retryAfter.has_value());
  const int seconds = std::stoi(std::string(*retryAfter));
  EXPECT_GE(seconds, 0);
  EXPECT_LE(seconds, 10);
  EXPECT_EQ(f.layer.state(h), SessionState::Offered);
  f.inject(f.ackForNon2xx(h, "z9hG4bKpeer-INVITE-2", 2));  // ACK for the 500
  ASSERT_TRUE(f.layer.reject(h, 486).ok());
  f.loop.runUntilIdle();
  f.expectAllGone();
}

TEST_P(UasTest, ByeOnTheEarlyDialogEndsTheOfferedCall) {
  SessionFixture f(GetParam());
  SessionHandle h = f.earlyUas(183);
  // §15: the caller may BYE an early dialog; we answer it 200 and the INVITE 487.
  f.inject(f.inDialog(h, "BYE", 2));
  auto sent = f.take();
  EXPECT_EQ(SessionFixture::responses(sent, 200, "BYE").size(), 1u)
      << SessionFixture::describe(sent);
  EXPECT_EQ(SessionFixture::responses(sent, 487, "INVITE").size(), 1u)
      << SessionFixture::describe(sent);
  ASSERT_TRUE(f.observer.endedOnce(EndKind::Bye));
  f.inject(f.ackForNon2xx(h));
  f.expectAllGone();
}

TEST_P(UasTest, UpdateAndInfoInDialogGet200) {
  SessionFixture f(GetParam());
  SessionHandle h = f.confirmedUas();
  f.inject(f.inDialog(h, "UPDATE", 2));
  f.inject(f.inDialog(h, "INFO", 3));
  f.inject(f.inDialog(h, "OPTIONS", 4));
  f.inject(f.inDialog(h, "REFER", 5));
  auto sent = f.take();
  EXPECT_EQ(SessionFixture::responses(sent, 200, "UPDATE").size(), 1u)
      << SessionFixture::describe(sent);
  EXPECT_EQ(SessionFixture::responses(sent, 200, "INFO").size(), 1u);
  EXPECT_EQ(SessionFixture::responses(sent, 200, "OPTIONS").size(), 1u);
  EXPECT_EQ(SessionFixture::responses(sent, 501, "REFER").size(), 1u);
  EXPECT_EQ(f.layer.state(h), SessionState::Confirmed);
  f.inject(f.inDialog(h, "BYE", 6));
  f.expectAllGone();
}

// ======================================================================================
// Session timers (RFC 4028)
// ======================================================================================

/** Our call with a 90 s session timer that we refresh, run on to its first refresh (45 s). */
struct RefreshingCall {
  explicit RefreshingCall(SessionFixture& f)
      : h(f.establishUac({{"Session-Expires", "90;refresher=uac"}})) {
    f.loop.advance(45s);
    refresh = f.takeRequest("INVITE");
  }
  SessionHandle h;
  std::optional<Out> refresh;  ///< our re-INVITE
};

/**
 * The session `h` runs out at `at` (`step` and `quiet`: see SessionFixture::nextRequestAt):
 * our BYE, the end (SessionExpired), and nothing left after the peer's 200.
 */
void expectExpiryAt(SessionFixture& f, SessionHandle h, double at, base::Duration step,
                    const std::vector<std::string_view>& quiet) {
  auto bye = f.nextRequestAt("BYE", at, step, quiet);
  ASSERT_TRUE(bye);
  ASSERT_TRUE(f.observer.endedOnce(EndKind::SessionExpired));
  EXPECT_EQ(f.layer.state(h), SessionState::Terminated);
  f.replyThenAllGone(bye->msg);
}

TEST(SessionTimer, UacNotRefresherSendsByeBeforeExpiry) {
  SessionFixture f(Protocol::Udp);
  SessionHandle h = f.establishUac({{"Session-Expires", "90;refresher=uas"}, {"Require", "timer"}});
  EXPECT_EQ(f.layer.stats().timers, 1u);
  // §10: BYE at 90 - min(32, 90/3) = 60 s after the 2xx, unless refreshed.
  auto bye = f.nextRequestAt("BYE", 60.0, 100ms);
  ASSERT_TRUE(bye);
  const auto reason = bye->msg.header("Reason");
  ASSERT_TRUE(reason.has_value());
  EXPECT_NE(reason->find("Q.850;cause=102"), std::string_view::npos) << *reason;
  auto ended = f.observer.endedOnce(EndKind::SessionExpired);
  ASSERT_TRUE(ended);
  EXPECT_EQ(ended->at, 60.0);
  EXPECT_EQ(f.layer.state(h), SessionState::Terminated);
  f.replyThenAllGone(bye->msg);
}

TEST(SessionTimer, UacNotRefresherIsKeptAliveByPeerRefreshes) {
  SessionFixture f(Protocol::Udp);
  SessionHandle h = f.establishUac({{"Session-Expires", "90;refresher=uas"}});
  // Bob refreshes at 45 s with a re-INVITE (he is its UAC now, and the refresher).
  f.loop.advance(45s);
  f.inject(f.fromCallee({.branch = "z9hG4bKbobre1",
                         .extra = "Supported: timer\r\nSession-Expires: 90;refresher=uac\r\n"}));
  auto answer = f.takeResponse(200, "INVITE");
  ASSERT_TRUE(answer);
  EXPECT_EQ(answer->msg.header("Session-Expires"), "90;refresher=uac");
  EXPECT_EQ(answer->msg.body(), SessionFixture::kOurSdp);
  // The expiry moved: 45 + 60 = 105 s.
  expectExpiryAt(f, h, 105.0, 1s, {"BYE"});
}

TEST(SessionTimer, UacRefresherSendsReInviteAtHalfIntervalAndRestarts) {
  SessionFixture f(Protocol::Udp);
  SessionHandle h = f.establishUac({{"Session-Expires", "90;refresher=uac"}, {"Require", "timer"}});
  auto refresh = f.nextRequestAt("INVITE", 45.0, 100ms);
  ASSERT_TRUE(refresh);
  const SipMessage re = refresh->msg.clone();
  EXPECT_EQ(refresh->to.endpoint, ep("10.0.0.3", 5080));
  EXPECT_EQ(re.requestUri().text, "sip:bob@10.0.0.3:5080");
  EXPECT_EQ(re.cseq().number, 2u);
  EXPECT_EQ(re.to().tag(), "bob-tag");
  EXPECT_EQ(re.header("Session-Expires"), "90;refresher=uac");
  EXPECT_EQ(re.body(), SessionFixture::kOurSdp);
  ASSERT_EQ(re.contacts().size(), 1u);
  EXPECT_EQ(re.contacts().front().uri.text, "sip:alice@10.0.0.1:5060");

  // Glare: Bob's own re-INVITE arrives while ours is pending → 491 (§14.2).
  f.inject(f.fromCallee({.branch = "z9hG4bKglare", .cseq = 7}));
  auto sent = f.take();
  EXPECT_EQ(SessionFixture::responses(sent, 491, "INVITE").size(), 1u)
      << SessionFixture::describe(sent);
  EXPECT_TRUE(SessionFixture::responses(sent, 200, "INVITE").empty());
  // Bob's transaction ACKs the 491 (same branch).
  f.inject(f.fromCallee({.method = "ACK", .branch = "z9hG4bKglare", .cseq = 7, .contact = false}));
  EXPECT_TRUE(f.take().empty());

  f.loop.advance(1s);
  f.reply(re, 200, "bob-tag",
          {{"Contact", "<sip:bob@10.0.0.3:5080>"}, {"Session-Expires", "90;refresher=uac"}},
          SessionFixture::kPeerSdp);
  auto ack = f.takeRequest("ACK");
  ASSERT_TRUE(ack);
  EXPECT_EQ(ack->msg.cseq().number, 2u);
  EXPECT_EQ(ack->to.endpoint, ep("10.0.0.3", 5080));
  EXPECT_EQ(f.layer.state(h), SessionState::Confirmed);

  // The timer restarted at the refresh's 2xx (46 s): the next refresh is at 91 s, and no
  // BYE comes at 90 s (the old expiry).
  refresh = f.nextRequestAt("INVITE", 91.0, 100ms);
  ASSERT_TRUE(refresh);
  EXPECT_EQ(refresh->msg.cseq().number, 3u);
  f.reply(refresh->msg, 200, "bob-tag",
          {{"Contact", "<sip:bob@10.0.0.3:5080>"}, {"Session-Expires", "90;refresher=uac"}});
  EXPECT_EQ(f.observer.count("ended"), 0u);

  auto bye = f.hangupSends(h, "BYE");
  ASSERT_TRUE(bye);
  EXPECT_EQ(bye->msg.cseq().number, 4u);
  f.replyThenAllGone(bye->msg);
}

TEST(SessionTimer, HangupWhileRefreshIsPendingStillAcksItsAnswer) {
  SessionFixture f(Protocol::Udp);
  RefreshingCall call(f);
  ASSERT_TRUE(call.refresh);
  auto bye = f.hangupSends(call.h, "BYE");
  ASSERT_TRUE(bye);
  EXPECT_EQ(bye->msg.cseq().number, 3u);
  // The refresh's 200 arrives after our BYE: it is still ACKed (§13.2.2.4), nothing else.
  f.reply(call.refresh->msg, 200, "bob-tag", {{"Session-Expires", "90;refresher=uac"}});
  auto sent = f.take();
  ASSERT_EQ(sent.size(), 1u) << SessionFixture::describe(sent);
  EXPECT_TRUE(sent[0].isRequest("ACK"));
  EXPECT_EQ(sent[0].msg.cseq().number, 2u);
  f.reply(bye->msg, 200);
  EXPECT_EQ(f.observer.count("ended"), 1u);
  f.expectAllGone();
  EXPECT_TRUE(SessionFixture::requests(f.take(), "INVITE").empty()) << "no refresh after the end";
}

TEST(SessionTimer, RefreshAnswered481EndsWithByeDialogGone) {
  SessionFixture f(Protocol::Udp);
  RefreshingCall call(f);
  ASSERT_TRUE(call.refresh);
  f.reply(call.refresh->msg, 481, "bob-tag");
  auto sent = f.take();
  auto bye = SessionFixture::only(SessionFixture::requests(sent, "BYE"), sent);
  ASSERT_TRUE(bye);
  EXPECT_EQ(bye->msg.cseq().number, 3u);
  EXPECT_EQ(SessionFixture::requests(sent, "ACK").size(), 1u) << "the 481 is ACKed hop-by-hop";
  auto ended = f.observer.endedOnce(EndKind::DialogGone);
  ASSERT_TRUE(ended);
  EXPECT_EQ(ended->status, 481);
  EXPECT_EQ(ended->endError, SipStatus{481});
  EXPECT_EQ(f.layer.state(call.h), SessionState::Terminated);
  f.replyThenAllGone(bye->msg, 481);
}

TEST(SessionTimer, UnansweredRefreshEndsRefreshFailed) {
  SessionFixture f(Protocol::Udp);
  RefreshingCall call(f);
  ASSERT_TRUE(call.refresh);
  // RFC 4028 §10: the refresh timing out (Timer B, 32 s after it) ends the session at once,
  // before the 90 s expiry.
  f.loop.advance(std::chrono::milliseconds(32200));
  auto bye = f.takeRequest("BYE");
  ASSERT_TRUE(bye);
  auto ended = f.observer.endedOnce(EndKind::RefreshFailed);
  ASSERT_TRUE(ended);
  EXPECT_DOUBLE_EQ(ended->at, 77.0);
  EXPECT_EQ(ended->endError, Errc::Timeout);
  EXPECT_EQ(f.layer.state(call.h), SessionState::Terminated);
  f.replyThenAllGone(bye->msg);
}

TEST(SessionTimer, UasAcceptsTheIntervalAndTheUacRefreshes) {
  SessionFixture f(Protocol::Udp);
  SessionHandle h = f.answeredUas({.extra = "Supported: timer\r\nSession-Expires: 120\r\n"});
  ASSERT_TRUE(f.ok.has_value());
  EXPECT_EQ(f.ok->header("Session-Expires"), "120;refresher=uac");
  EXPECT_TRUE(hasValue(*f.ok, "Require", "timer"));
  f.inject(f.ackFor(h));
  // The UAC refreshes: we only guard, with BYE at 120 - 32 = 88 s.
  expectExpiryAt(f, h, 88.0, 1s, {"BYE", "INVITE"});
}

TEST(SessionTimer, UasRefresherSendsReInviteAsItsUac) {
  SessionFixture f(Protocol::Udp);
  SessionHandle h =
      f.answeredUas({.extra = "Supported: timer\r\nSession-Expires: 90;refresher=uas\r\n"});
  EXPECT_EQ(f.ok->header("Session-Expires"), "90;refresher=uas");
  f.inject(f.ackFor(h));
  f.loop.advance(45s);
  auto refresh = f.takeRequest("INVITE");
  ASSERT_TRUE(refresh);
  const SipMessage re = refresh->msg.clone();
  EXPECT_EQ(re.requestUri().text, "sip:carol@10.0.0.2:5070");
  EXPECT_EQ(re.from().tag(), f.ourTag(h));
  EXPECT_EQ(re.to().tag(), "ctag");
  EXPECT_EQ(re.cseq().number, 1u);
  // RFC 4028 §7.4: in a refresh, refresher=uac names the sender when it is the refresher.
  EXPECT_EQ(re.header("Session-Expires"), "90;refresher=uac");
  f.reply(re, 200, "ctag",
          {{"Contact", "<sip:carol@10.0.0.2:5070>"}, {"Session-Expires", "90;refresher=uac"}});
  ASSERT_TRUE(f.takeRequest("ACK"));
  // Still the refresher: the next refresh at 90 s.
  f.loop.advance(45s);
  refresh = f.takeRequest("INVITE");
  ASSERT_TRUE(refresh);
  EXPECT_EQ(refresh->at, 90.0);
  EXPECT_EQ(refresh->msg.cseq().number, 2u);
  f.reply(refresh->msg, 200, "ctag", {{"Session-Expires", "90;refresher=uac"}});
  f.inject(f.inDialog(h, "BYE", 2));
  EXPECT_EQ(f.observer.count("ended"), 1u);
  f.expectAllGone();
}

TEST(SessionTimer, UasRefresherHandsOverWhenThePeersAnswerSaysSo) {
  SessionFixture f(Protocol::Udp);
  SessionHandle h =
      f.answeredUas({.extra = "Supported: timer\r\nSession-Expires: 90;refresher=uas\r\n"});
  f.inject(f.ackFor(h));
  f.loop.advance(45s);
  auto refresh = f.takeRequest("INVITE");
  ASSERT_TRUE(refresh);
  // Carol's 200 makes herself (the UAS of this refresh) the refresher (§7.2).
  f.reply(refresh->msg, 200, "ctag", {{"Session-Expires", "90;refresher=uas"}});
  ASSERT_TRUE(f.takeRequest("ACK"));
  // We only guard now: BYE at 45 + 60 = 105 s, no refresh of our own at 90 s.
  expectExpiryAt(f, h, 105.0, 1s, {"INVITE", "BYE"});
}

// ======================================================================================
// release(), out-of-dialog requests, bookkeeping
// ======================================================================================

TEST(Release, ConfirmedUacSendsByeAndNoCallbacksFollow) {
  SessionFixture f(Protocol::Udp);
  SessionHandle h = f.establishUac();
  const std::size_t before = f.observer.events.size();
  auto bye = f.releaseSends(h, "BYE");
  ASSERT_TRUE(bye);
  EXPECT_EQ(f.layer.unfinished(), 1u);
  f.replyThenAllGone(bye->msg);
  EXPECT_EQ(f.observer.events.size(), before) << "no callback after release()";
  f.layer.release(h);  // stale: harmless
}

TEST(Release, EarlyUacSendsCancelAndNoCallbacksFollow) {
  SessionFixture f(Protocol::Udp);
  SessionHandle h = f.ringingUac();
  const std::size_t before = f.observer.events.size();
  auto cancel = f.releaseSends(h, "CANCEL");
  ASSERT_TRUE(cancel);
  f.reply(cancel->msg, 200);
  f.reply(*f.invite, 487, "bob-tag");
  f.expectAllGone();
  EXPECT_EQ(f.observer.events.size(), before);
}

TEST(Release, CallingUacCancelsAfterTheProvisionalSilently) {
  SessionFixture f(Protocol::Udp);
  SessionHandle h = f.call();
  f.layer.release(h);
  f.loop.runUntilIdle();
  EXPECT_TRUE(SessionFixture::requests(f.take(), "CANCEL").empty());
  f.reply(*f.invite, 180, "bob-tag");
  auto cancel = f.takeRequest("CANCEL");
  ASSERT_TRUE(cancel);
  // The 200 crosses the CANCEL: ACK and BYE, still without callbacks.
  f.answerOurInvite();
  auto sent = f.take();
  EXPECT_EQ(SessionFixture::requests(sent, "ACK").size(), 1u);
  auto bye = SessionFixture::only(SessionFixture::requests(sent, "BYE"), sent);
  ASSERT_TRUE(bye);
  f.reply(cancel->msg, 200);
  f.replyThenAllGone(bye->msg);
  EXPECT_TRUE(f.observer.of("ended").empty());
  EXPECT_TRUE(f.observer.of("answered").empty());
}

TEST(Release, OfferedUasIsRejectedSilently) {
  SessionFixture f(Protocol::Udp);
  SessionHandle h = f.incoming();
  (void)f.take();
  f.layer.release(h);
  f.loop.runUntilIdle();
  auto sent = f.take();
  ASSERT_EQ(sent.size(), 1u) << SessionFixture::describe(sent);
  EXPECT_GE(sent[0].msg.statusCode(), 400);
  EXPECT_EQ(f.observer.count("ended"), 0u);
  f.expectAllGone();
}

TEST(Release, AcceptedUasByesAfterTheAckWithoutCallbacks) {
  SessionFixture f(Protocol::Udp);
  SessionHandle h = f.answeredUas();
  f.layer.release(h);
  f.loop.runUntilIdle();
  EXPECT_TRUE(SessionFixture::requests(f.take(), "BYE").empty());
  f.inject(f.ackFor(h));
  auto bye = f.takeRequest("BYE");
  ASSERT_TRUE(bye);
  f.replyThenAllGone(bye->msg);
  EXPECT_EQ(f.observer.count("ended"), 0u);
  EXPECT_EQ(f.observer.count("confirmed"), 0u);
}

TEST(Release, FromInsideOnEndedIsSafe) {
  SessionFixture f(Protocol::Udp);
  f.observer.endedHook = [&](SessionHandle s) { f.layer.release(s); };
  SessionHandle h = f.establishUac();
  ASSERT_NO_FATAL_FAILURE(f.hangupToTheEnd(h));
  EXPECT_EQ(f.observer.count("ended"), 1u);
}

TEST(Release, RejectFromInsideOnIncoming) {
  SessionFixture f(Protocol::Udp);
  f.observer.incomingHook = [&](SessionHandle s, const SipMessage&) {
    EXPECT_TRUE(f.layer.reject(s, 603).ok());
  };
  f.incoming();
  auto sent = f.take();
  EXPECT_EQ(SessionFixture::responses(sent, 603).size(), 1u) << SessionFixture::describe(sent);
  EXPECT_EQ(f.observer.count("ended"), 1u);
  f.expectAllGone();
}

/** What the completion callback of an out-of-dialog request of ours reported. */
struct Completion {
  int calls = 0;
  int status = -1;  ///< of the last call: the response's status, 0 when it had none
  std::error_code error;
};

/**
 * Sends an out-of-dialog request of ours to the peer, built as a UA core would build it (the
 * layer writes the real Via); `done` records what its completion reports.
 */
Result<void> sendOutOfDialog(SessionFixture& f, message::Method method, std::string_view from,
                             std::string_view to, std::string_view callId, Completion& done) {
  auto b = message::MessageBuilder::request(method, "sip:10.0.0.2:5070");
  b.header("Via", std::string("SIP/2.0/") + f.proto() + " 0.0.0.0;branch=z9hG4bKx")
      .header("Max-Forwards", "70")
      .header("From", from)
      .header("To", to)
      .header("Call-ID", callId)
      .header("CSeq", "1 " + std::string(message::toString(method)));
  auto req = b.build();
  if (!req.ok()) {
    ADD_FAILURE() << req.error().message();
    return fail(req.error());
  }
  return f.layer.sendRequest(std::move(*req), transport::Target{f.protocol(), f.peer()},
                             [&done](const SipMessage* r, std::error_code ec) {
                               ++done.calls;
                               done.status = r != nullptr ? r->statusCode() : 0;
                               done.error = ec;
                             });
}

TEST(OutOfDialog, RequestGetsItsFinalResponseOnce) {
  SessionFixture f(Protocol::Udp);
  Completion done;
  ASSERT_TRUE(sendOutOfDialog(f, message::Method::Options, "<sip:alice@10.0.0.1>;tag=o1",
                              "<sip:10.0.0.2>", "options-1", done)
                  .ok());
  f.loop.runUntilIdle();
  auto sent = f.takeRequest("OPTIONS");
  ASSERT_TRUE(sent);
  EXPECT_EQ(f.layer.stats().outOfDialog, 1u);
  f.reply(sent->msg, 100);
  EXPECT_EQ(done.calls, 0);
  f.reply(sent->msg, 200, "opt-tag");
  EXPECT_EQ(done.calls, 1);
  EXPECT_EQ(done.status, 200);
  EXPECT_FALSE(done.error);
  EXPECT_EQ(f.layer.stats().outOfDialog, 0u);
  f.expectAllGone();
  EXPECT_EQ(done.calls, 1);
}

TEST(OutOfDialog, AFailingFinalResponseReportsItsStatusAsAnError) {
  SessionFixture f(Protocol::Udp);
  Completion done;
  ASSERT_TRUE(sendOutOfDialog(f, message::Method::Register, "<sip:alice@10.0.0.2>;tag=r2",
                              "<sip:alice@10.0.0.2>", "reg-2", done)
                  .ok());
  f.loop.runUntilIdle();
  auto sent = f.takeRequest("REGISTER");
  ASSERT_TRUE(sent);
  f.reply(sent->msg, 403, "reg-tag");
  EXPECT_EQ(done.calls, 1);
  EXPECT_EQ(done.status, 403) << "the response still comes with it";
  EXPECT_EQ(done.error, SipStatus{403});
  EXPECT_EQ(sipStatusOf(done.error), 403);
  EXPECT_EQ(done.error.message(), "Forbidden");
  f.expectAllGone();
  EXPECT_EQ(done.calls, 1);
}

TEST(OutOfDialog, TimeoutReportsAnError) {
  SessionFixture f(Protocol::Udp);
  Completion done;
  ASSERT_TRUE(sendOutOfDialog(f, message::Method::Register, "<sip:alice@10.0.0.2>;tag=r1",
                              "<sip:alice@10.0.0.2>", "reg-1", done)
                  .ok());
  f.loop.advance(32s);
  EXPECT_EQ(done.calls, 1);
  EXPECT_EQ(done.status, 0) << "no response";
  EXPECT_EQ(done.error, Errc::Timeout);
  EXPECT_EQ(done.error, std::errc::timed_out) << "still equivalent to the generic code";
  f.expectAllGone();
}

TEST(OutOfDialog, TransportErrorReportsAnError) {
  SessionFixture f(Protocol::Tcp);
  f.wire.failSends(std::make_error_code(std::errc::connection_refused));
  Completion done;
  auto sent = sendOutOfDialog(f, message::Method::Options, "<sip:alice@10.0.0.1>;tag=o2",
                              "<sip:10.0.0.2>", "options-2", done);
  f.loop.runUntilIdle();
  if (sent.ok()) {
    EXPECT_EQ(done.calls, 1);
    EXPECT_EQ(done.status, 0) << "no response";
    EXPECT_EQ(done.error, Errc::TransportError);
    EXPECT_EQ(done.error, std::errc::host_unreachable) << "still equivalent to the generic code";
  } else {
    EXPECT_EQ(done.calls, 0);
  }
  f.expectAllGone();
}

TEST(Lifetime, DestroyingTheLayerWithLiveSessionsIsClean) {
  // Every kind of live state at once; ASan/UBSan and the leak checker judge the teardown.
  SessionFixture f(Protocol::Udp);
  SessionHandle out = f.establishUac({{"Session-Expires", "90;refresher=uac"}});
  SessionHandle ringing = f.call();
  f.reply(*f.invite, 180, "r-tag");
  SessionHandle offered = f.incoming();
  SessionHandle accepted = f.incoming({.branch = "z9hG4bKsecond", .callId = "peer-call-2"});
  ASSERT_TRUE(f.layer.answer(accepted, SessionFixture::kOurSdp, "<sip:alice@10.0.0.1>").ok());
  f.loop.advance(2s);
  EXPECT_TRUE(out.valid() && ringing.valid() && offered.valid());
  EXPECT_EQ(f.layer.stats().sessions, 4u);
  EXPECT_GT(f.layer.stats().timers, 0u);
  EXPECT_EQ(f.layer.unfinished(), 4u);
}

TEST(UasMerged, SameInviteByAnotherPathGets482) {
  // §8.2.2.2: no To tag, same From tag, Call-ID and CSeq as a transaction in progress, but
  // a different branch: a merged request (forked back to us); answer 482, not a new call.
  SessionFixture f(Protocol::Udp);
  SessionHandle h = f.incoming();
  ASSERT_TRUE(h.valid());
  (void)f.take();
  f.inject(f.peerRequest({.branch = "z9hG4bKotherpath"}));
  EXPECT_EQ(f.observer.count("incoming"), 1u);
  auto answer = f.takeFinal();
  ASSERT_TRUE(answer);
  EXPECT_TRUE(answer->isResponse(482, "INVITE"));
  ASSERT_TRUE(f.layer.reject(h, 486).ok());
  f.loop.runUntilIdle();
  f.expectAllGone();
}

TEST(Bookkeeping, ManyCallsEveryWayAllGoBackToZero) {
  SessionFixture f(Protocol::Udp);
  // A rejected incoming call, an answered-and-byed one, a cancelled outgoing one.
  SessionHandle in1 = f.incoming();
  ASSERT_TRUE(f.layer.reject(in1, 480).ok());
  SessionHandle in2 =
      f.incoming({.branch = "z9hG4bKsecond", .callId = "peer-call-2", .fromTag = "ctag2"});
  ASSERT_TRUE(in2.valid());
  ASSERT_TRUE(f.layer.answer(in2, SessionFixture::kOurSdp, "<sip:alice@10.0.0.1:5060>").ok());
  SessionHandle out = f.call();
  f.reply(*f.invite, 183, "b2");
  auto cancel = f.hangupSends(out, "CANCEL");
  EXPECT_EQ(f.layer.stats().sessions, 3u);
  EXPECT_EQ(f.layer.stats().createdTotal, 3u);
  ASSERT_TRUE(cancel);
  f.reply(cancel->msg, 200);
  f.reply(*f.invite, 487, "b2");
  f.inject(f.peerRequest({.method = "BYE",
                          .branch = "z9hG4bKbye2",
                          .cseq = 2,
                          .toTag = f.ourTag(in2),
                          .callId = "peer-call-2",
                          .fromTag = "ctag2",
                          .contact = false}));
  EXPECT_EQ(f.observer.count("ended"), 3u);
  f.expectAllGone();
  EXPECT_EQ(f.layer.stats().createdTotal, 3u);
}

}  // namespace
}  // namespace tapi::sip::testing
