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
  auto sent = f.take();
  auto acks = SessionFixture::requests(sent, "ACK");
  ASSERT_EQ(acks.size(), 1u) << SessionFixture::describe(sent);
  const Out& ack = acks[0];
  // §13.2.2.4: to the remote target (the 2xx's Contact), CSeq of the INVITE, new branch.
  EXPECT_EQ(ack.to.endpoint, ep("10.0.0.3", 5080));
  EXPECT_EQ(ack.msg.requestUri().text, "sip:bob@10.0.0.3:5080");
  EXPECT_EQ(ack.msg.cseq().number, 1u);
  EXPECT_EQ(ack.msg.cseq().methodName, "ACK");
  EXPECT_EQ(ack.msg.to().tag(), "bob-tag");
  EXPECT_EQ(ack.msg.from().tag(), inv.from().tag());
  EXPECT_NE(ack.msg.topVia().branch, inv.topVia().branch);
  EXPECT_EQ(f.observer.kinds(), (std::vector<std::string>{"progress", "progress", "answered"}));
  ASSERT_NE(f.layer.dialogOf(h), nullptr);
  EXPECT_TRUE(f.layer.dialogOf(h)->confirmed());
  EXPECT_EQ(f.layer.stats().sessions, 1u);
  EXPECT_EQ(f.layer.stats().dialogs, 1u);
  EXPECT_EQ(f.layer.unfinished(), 1u);

  ASSERT_TRUE(f.layer.hangup(h, {{"Reason", "Q.850;cause=16"}}).ok());
  f.loop.runUntilIdle();
  sent = f.take();
  auto byes = SessionFixture::requests(sent, "BYE");
  ASSERT_EQ(byes.size(), 1u) << SessionFixture::describe(sent);
  EXPECT_EQ(byes[0].to.endpoint, ep("10.0.0.3", 5080));
  EXPECT_EQ(byes[0].msg.cseq().number, 2u);
  EXPECT_EQ(byes[0].msg.to().tag(), "bob-tag");
  EXPECT_EQ(byes[0].msg.header("Reason"), "Q.850;cause=16");
  auto ended = f.observer.of("ended");
  ASSERT_EQ(ended.size(), 1u);
  EXPECT_EQ(ended[0].end, EndKind::LocalHangup);
  EXPECT_EQ(ended[0].at, 2.0);
  EXPECT_TRUE(ended[0].ringingSeen);
  EXPECT_FALSE(ended[0].weCancelled);
  EXPECT_EQ(f.layer.state(h), SessionState::Terminated);
  EXPECT_TRUE(f.layer.hangup(h).ok()) << "a second hangup is a no-op";
  EXPECT_EQ(f.layer.unfinished(), 1u) << "the BYE is not answered yet";

  f.reply(byes[0].msg, 200);
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
  auto sent = f.take();
  auto acks = SessionFixture::requests(sent, "ACK");
  ASSERT_EQ(acks.size(), 1u) << SessionFixture::describe(sent);
  EXPECT_EQ(acks[0].msg.cseq().number, 1u);
  EXPECT_EQ(acks[0].to.endpoint, ep("10.0.0.3", 5080));
  EXPECT_EQ(f.observer.count("answered"), 1u);

  // After Timer M the client transaction is gone; the dialog still re-ACKs a late 2xx.
  f.loop.advance(40s);
  f.answerOurInvite();
  sent = f.take();
  EXPECT_EQ(SessionFixture::requests(sent, "ACK").size(), 1u) << SessionFixture::describe(sent);
  EXPECT_EQ(f.observer.count("answered"), 1u);
  EXPECT_EQ(f.layer.state(h), SessionState::Confirmed);

  ASSERT_TRUE(f.layer.hangup(h).ok());
  f.loop.runUntilIdle();
  sent = f.take();
  auto byes = SessionFixture::requests(sent, "BYE");
  ASSERT_EQ(byes.size(), 1u);
  f.reply(byes[0].msg, 200);
  f.expectAllGone();
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
  sent = f.take();
  auto cancels = SessionFixture::requests(sent, "CANCEL");
  ASSERT_EQ(cancels.size(), 1u) << SessionFixture::describe(sent);
  const SipMessage& c = cancels[0].msg;
  EXPECT_EQ(c.topVia().branch, f.invite->topVia().branch);
  EXPECT_EQ(c.cseq().number, f.invite->cseq().number);
  EXPECT_EQ(c.cseq().methodName, "CANCEL");
  EXPECT_EQ(c.requestUri().text, f.invite->requestUri().text);
  EXPECT_EQ(c.header("Reason"), "Q.850;cause=16;text=\"Normal\"");
  EXPECT_EQ(f.layer.state(h), SessionState::Terminating);
  EXPECT_EQ(f.observer.count("ended"), 0u) << "over when the INVITE's final response comes";

  f.reply(c, 200);
  f.reply(*f.invite, 487, "bob-tag");
  sent = f.take();
  auto acks = SessionFixture::requests(sent, "ACK");
  ASSERT_EQ(acks.size(), 1u) << "the transaction ACKs the 487";
  EXPECT_EQ(acks[0].msg.topVia().branch, f.invite->topVia().branch);
  auto ended = f.observer.of("ended");
  ASSERT_EQ(ended.size(), 1u);
  EXPECT_EQ(ended[0].end, EndKind::LocalHangup);
  EXPECT_TRUE(ended[0].weCancelled);
  EXPECT_TRUE(ended[0].ringingSeen);
  EXPECT_EQ(ended[0].endStatus, 487);
  f.expectAllGone();
  EXPECT_EQ(f.observer.count("ended"), 1u);
}

TEST_P(UacTest, HangupWhileTryingSendsCancelAtOnce) {
  SessionFixture f(GetParam());
  SessionHandle h = f.call();
  f.reply(*f.invite, 100);
  ASSERT_TRUE(f.layer.hangup(h).ok());
  f.loop.runUntilIdle();
  auto sent = f.take();
  auto cancels = SessionFixture::requests(sent, "CANCEL");
  ASSERT_EQ(cancels.size(), 1u) << SessionFixture::describe(sent);
  f.reply(cancels[0].msg, 200);
  f.reply(*f.invite, 487);
  ASSERT_EQ(f.observer.count("ended"), 1u);
  EXPECT_FALSE(f.observer.of("ended")[0].ringingSeen);
  f.expectAllGone();
}

TEST_P(UacTest, HangupBeforeProvisionalThenFinalResponseSendsNoCancel) {
  SessionFixture f(GetParam());
  SessionHandle h = f.call();
  ASSERT_TRUE(f.layer.hangup(h).ok());
  f.reply(*f.invite, 486, "bob-tag");
  auto sent = f.take();
  EXPECT_TRUE(SessionFixture::requests(sent, "CANCEL").empty()) << SessionFixture::describe(sent);
  auto ended = f.observer.of("ended");
  ASSERT_EQ(ended.size(), 1u);
  EXPECT_EQ(ended[0].endStatus, 486);
  EXPECT_TRUE(ended[0].weCancelled);
  f.expectAllGone();
}

TEST_P(UacTest, HangupBeforeProvisionalAndNoAnswerAtAllEndsAtTimerB) {
  SessionFixture f(GetParam());
  SessionHandle h = f.call();
  ASSERT_TRUE(f.layer.hangup(h).ok());
  f.loop.advance(31s);
  EXPECT_EQ(f.observer.count("ended"), 0u);
  f.loop.advance(1s);
  auto ended = f.observer.of("ended");
  ASSERT_EQ(ended.size(), 1u);
  EXPECT_EQ(ended[0].at, 32.0);
  EXPECT_EQ(ended[0].end, EndKind::LocalHangup);
  EXPECT_TRUE(SessionFixture::requests(f.take(), "CANCEL").empty());
  f.expectAllGone();
}

TEST_P(UacTest, HangupBeforeProvisionalThenTwoHundredIsAckedThenByed) {
  SessionFixture f(GetParam());
  SessionHandle h = f.call();
  ASSERT_TRUE(f.layer.hangup(h, {{"Reason", "Q.850;cause=16"}}).ok());
  f.answerOurInvite();
  auto sent = f.take();
  ASSERT_EQ(sent.size(), 2u) << SessionFixture::describe(sent);
  EXPECT_TRUE(sent[0].isRequest("ACK"));
  EXPECT_TRUE(sent[1].isRequest("BYE"));
  EXPECT_EQ(sent[1].msg.header("Reason"), "Q.850;cause=16");
  EXPECT_TRUE(SessionFixture::requests(sent, "CANCEL").empty());
  EXPECT_EQ(f.observer.count("answered"), 0u);
  auto ended = f.observer.of("ended");
  ASSERT_EQ(ended.size(), 1u);
  EXPECT_EQ(ended[0].end, EndKind::LocalHangup);
  f.reply(sent[1].msg, 200);
  f.expectAllGone();
}

TEST_P(UacTest, TwoHundredCrossingTheCancelIsAckedThenByed) {
  SessionFixture f(GetParam());
  SessionHandle h = f.call();
  f.reply(*f.invite, 180, "bob-tag", {{"Contact", "<sip:bob@10.0.0.3:5080>"}});
  ASSERT_TRUE(f.layer.hangup(h, {{"Reason", "Q.850;cause=19"}}).ok());
  f.loop.runUntilIdle();
  auto sent = f.take();
  auto cancels = SessionFixture::requests(sent, "CANCEL");
  ASSERT_EQ(cancels.size(), 1u);
  const SipMessage cancel = cancels[0].msg.clone();

  // Row 1b: the 200 was already on its way.
  f.answerOurInvite();
  sent = f.take();
  ASSERT_EQ(sent.size(), 2u) << SessionFixture::describe(sent);
  EXPECT_TRUE(sent[0].isRequest("ACK")) << SessionFixture::describe(sent);
  EXPECT_TRUE(sent[1].isRequest("BYE")) << SessionFixture::describe(sent);
  EXPECT_EQ(sent[0].to.endpoint, ep("10.0.0.3", 5080));
  EXPECT_EQ(sent[1].to.endpoint, ep("10.0.0.3", 5080));
  EXPECT_EQ(sent[1].msg.cseq().number, 2u);
  EXPECT_EQ(sent[1].msg.to().tag(), "bob-tag");
  EXPECT_EQ(sent[1].msg.header("Reason"), "Q.850;cause=19");
  EXPECT_EQ(f.observer.count("answered"), 0u) << "never shown to the app as answered";
  auto ended = f.observer.of("ended");
  ASSERT_EQ(ended.size(), 1u);
  EXPECT_EQ(ended[0].end, EndKind::LocalHangup);
  EXPECT_TRUE(ended[0].weCancelled);

  f.reply(cancel, 200);
  f.reply(sent[1].msg, 200);
  f.expectAllGone();
  EXPECT_EQ(f.observer.count("ended"), 1u);
}

TEST_P(UacTest, CancelAnsweredButNoFinalResponseGivesUpAfter64T1) {
  SessionFixture f(GetParam());
  SessionHandle h = f.call();
  f.reply(*f.invite, 180, "bob-tag");
  ASSERT_TRUE(f.layer.hangup(h).ok());
  f.loop.runUntilIdle();
  auto cancels = SessionFixture::requests(f.take(), "CANCEL");
  ASSERT_EQ(cancels.size(), 1u);
  f.reply(cancels[0].msg, 200);
  // No 487 ever comes. §9.1: 64*T1 after the CANCEL the INVITE is given up.
  f.loop.advance(31900ms);
  EXPECT_EQ(f.observer.count("ended"), 0u);
  f.loop.advance(100ms);
  auto ended = f.observer.of("ended");
  ASSERT_EQ(ended.size(), 1u);
  EXPECT_EQ(ended[0].at, 32.0);
  EXPECT_EQ(ended[0].end, EndKind::LocalHangup);
  EXPECT_TRUE(ended[0].weCancelled);
  EXPECT_EQ(f.layer.unfinished(), 0u);
  f.expectAllGone();
}

TEST_P(UacTest, NoFinalResponseAfterRingingWaitsForTheApp) {
  SessionFixture f(GetParam());
  SessionHandle h = f.call();
  f.reply(*f.invite, 180, "bob-tag");
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
  SessionHandle h = f.call();
  f.reply(*f.invite, 180, "bob-tag");
  f.loop.advance(3s);
  f.reply(*f.invite, 486, "bob-tag");
  auto sent = f.take();
  auto acks = SessionFixture::requests(sent, "ACK");
  ASSERT_EQ(acks.size(), 1u) << "the INVITE transaction ACKs a non-2xx itself";
  EXPECT_EQ(acks[0].msg.topVia().branch, f.invite->topVia().branch);
  EXPECT_EQ(acks[0].to.endpoint, f.peer()) << "hop-by-hop, to the INVITE's target";
  auto ended = f.observer.of("ended");
  ASSERT_EQ(ended.size(), 1u);
  EXPECT_EQ(ended[0].end, EndKind::FinalResponse);
  EXPECT_TRUE(ended[0].hadMessage);
  EXPECT_EQ(ended[0].status, 486);
  EXPECT_EQ(ended[0].endStatus, 486);
  EXPECT_TRUE(ended[0].ringingSeen);
  EXPECT_FALSE(ended[0].weCancelled);
  EXPECT_EQ(ended[0].at, 3.0);
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
  f.loop.advance(31900ms);
  EXPECT_EQ(f.observer.count("ended"), 0u);
  if (!f.reliable()) {
    // Timer A: 0.5, 1.5, 3.5, 7.5, 15.5, 31.5.
    EXPECT_EQ(SessionFixture::times(SessionFixture::requests(f.take(), "INVITE")),
              seq({0.5, 1.5, 3.5, 7.5, 15.5, 31.5}));
  }
  f.loop.advance(100ms);
  auto ended = f.observer.of("ended");
  ASSERT_EQ(ended.size(), 1u);
  EXPECT_EQ(ended[0].end, EndKind::Timeout);
  EXPECT_EQ(ended[0].at, 32.0);
  EXPECT_FALSE(ended[0].hadMessage);
  EXPECT_TRUE(SessionFixture::requests(f.take(), "CANCEL").empty());
  f.expectAllGone();
}

TEST_P(UacTest, SecondForkedTwoHundredIsAckedAndByedNotReported) {
  SessionFixture f(GetParam());
  SessionHandle h = f.establishUac();
  // Another branch of the fork answers too, with another To tag and Contact.
  f.answerOurInvite("fork-tag", {}, "<sip:dave@10.0.0.4:5090>");
  auto sent = f.take();
  ASSERT_EQ(sent.size(), 2u) << SessionFixture::describe(sent);
  ASSERT_TRUE(sent[0].isRequest("ACK"));
  ASSERT_TRUE(sent[1].isRequest("BYE"));
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
  ASSERT_TRUE(f.layer.hangup(h).ok());
  f.loop.runUntilIdle();
  sent = f.take();
  auto byes = SessionFixture::requests(sent, "BYE");
  ASSERT_EQ(byes.size(), 1u);
  EXPECT_EQ(byes[0].msg.to().tag(), "bob-tag");
  EXPECT_EQ(byes[0].to.endpoint, ep("10.0.0.3", 5080));
  f.reply(byes[0].msg, 200);
  EXPECT_EQ(f.observer.count("ended"), 1u);
  f.expectAllGone();
}

TEST_P(UacTest, RecordRouteIsFollowedInDialog) {
  SessionFixture f(GetParam());
  SessionHandle h = f.call();
  f.answerOurInvite("bob-tag", {{"Record-Route", "<sip:10.0.0.9:5099;lr>"},
                                {"Record-Route", "<sip:10.0.0.8;lr>"}});
  auto sent = f.take();
  auto acks = SessionFixture::requests(sent, "ACK");
  ASSERT_EQ(acks.size(), 1u);
  // Route set = Record-Route reversed; the first hop is the first route.
  EXPECT_EQ(acks[0].to.endpoint, ep("10.0.0.8", 5060));
  EXPECT_EQ(acks[0].msg.requestUri().text, "sip:bob@10.0.0.3:5080");
  ASSERT_EQ(acks[0].msg.routes().size(), 2u);
  EXPECT_EQ(acks[0].msg.routes()[0].text, "<sip:10.0.0.8;lr>");
  ASSERT_TRUE(f.layer.hangup(h).ok());
  f.loop.runUntilIdle();
  sent = f.take();
  auto byes = SessionFixture::requests(sent, "BYE");
  ASSERT_EQ(byes.size(), 1u);
  EXPECT_EQ(byes[0].to.endpoint, ep("10.0.0.8", 5060));
  EXPECT_EQ(byes[0].msg.routes().size(), 2u);
  f.reply(byes[0].msg, 200);
  f.expectAllGone();
}

TEST_P(UacTest, TwoHundredWithoutContactStillEndsTheSession) {
  SessionFixture f(GetParam());
  SessionHandle h = f.call();
  f.reply(*f.invite, 180, "bob-tag");
  // A broken 2xx (§13.3.1.4: it MUST carry a Contact): no dialog can be made from it.
  f.reply(*f.invite, 200, "bob-tag", {}, SessionFixture::kPeerSdp);
  (void)f.take();
  // The session may not hang: once the INVITE transaction is over (Timer M, 64*T1 after
  // the 2xx) nothing can answer the INVITE any more, and the session ends exactly once.
  f.loop.advance(5min);
  auto ended = f.observer.of("ended");
  ASSERT_EQ(ended.size(), 1u) << "state "
                              << (f.layer.state(h) ? session::toString(*f.layer.state(h)) : "gone");
  EXPECT_LE(ended[0].at, 32.0);
  EXPECT_EQ(ended[0].end, EndKind::Timeout);
  EXPECT_TRUE(ended[0].ringingSeen);
  EXPECT_EQ(f.observer.count("answered"), 0u);
  f.expectAllGone();
}

TEST_P(UacTest, PeerByeEndsTheCall) {
  SessionFixture f(GetParam());
  SessionHandle h = f.establishUac();
  const std::string tag(f.invite->from().tag());
  std::string bye = "BYE sip:alice@10.0.0.1:5060 SIP/2.0\r\n";
  bye += std::string("Via: SIP/2.0/") + f.proto() + " 10.0.0.3:5080;branch=z9hG4bKbobbye1\r\n";
  bye += "Max-Forwards: 70\r\nFrom: <sip:bob@10.0.0.2>;tag=bob-tag\r\n";
  bye += "To: \"Alice\" <sip:alice@10.0.0.1>;tag=" + tag + "\r\n";
  bye += "Call-ID: " + std::string(f.invite->callId()) + "\r\nCSeq: 1 BYE\r\n";
  bye += "Reason: Q.850;cause=16\r\nContent-Length: 0\r\n\r\n";
  f.inject(bye);
  auto sent = f.take();
  ASSERT_EQ(SessionFixture::responses(sent, 200, "BYE").size(), 1u)
      << SessionFixture::describe(sent);
  auto ended = f.observer.of("ended");
  ASSERT_EQ(ended.size(), 1u);
  EXPECT_EQ(ended[0].end, EndKind::Bye);
  EXPECT_EQ(ended[0].endMethod, "BYE");
  EXPECT_EQ(f.layer.state(h), SessionState::Terminated);
  f.expectAllGone();
}

TEST_P(UacTest, ChallengeIsAnsweredWithCredentialsAndNextCSeq) {
  SessionFixture f(GetParam());
  f.observer.challengeAnswer =
      std::make_pair(std::string("Proxy-Authorization"), std::string("Digest username=\"alice\""));
  SessionHandle h = f.call();
  f.reply(*f.invite, 407, "proxy-tag", {{"Proxy-Authenticate", "Digest realm=\"x\", nonce=\"n\""}});
  auto sent = f.take();
  auto invites = SessionFixture::requests(sent, "INVITE");
  ASSERT_EQ(invites.size(), 1u) << SessionFixture::describe(sent);
  EXPECT_EQ(SessionFixture::requests(sent, "ACK").size(), 1u) << "the 407 is ACKed";
  const SipMessage retry = invites[0].msg.clone();
  EXPECT_EQ(retry.cseq().number, 2u);
  EXPECT_EQ(retry.header("Proxy-Authorization"), "Digest username=\"alice\"");
  EXPECT_EQ(retry.callId(), f.invite->callId());
  EXPECT_EQ(retry.from().tag(), f.invite->from().tag());
  EXPECT_NE(retry.topVia().branch, f.invite->topVia().branch);
  EXPECT_EQ(f.observer.count("challenge"), 1u);
  EXPECT_EQ(f.observer.count("ended"), 0u);

  f.invite = retry.clone();
  f.answerOurInvite();
  sent = f.take();
  auto acks = SessionFixture::requests(sent, "ACK");
  ASSERT_EQ(acks.size(), 1u);
  EXPECT_EQ(acks[0].msg.cseq().number, 2u);
  EXPECT_EQ(f.observer.count("answered"), 1u);
  ASSERT_TRUE(f.layer.hangup(h).ok());
  f.loop.runUntilIdle();
  auto byes = SessionFixture::requests(f.take(), "BYE");
  ASSERT_EQ(byes.size(), 1u);
  EXPECT_EQ(byes[0].msg.cseq().number, 3u);
  f.reply(byes[0].msg, 200);
  f.expectAllGone();
}

TEST_P(UacTest, SecondChallengeEndsTheCall) {
  SessionFixture f(GetParam());
  f.observer.challengeAnswer = std::make_pair(std::string("Authorization"), std::string("x"));
  f.call();
  f.reply(*f.invite, 401, "t1", {{"WWW-Authenticate", "Digest realm=\"x\", nonce=\"n\""}});
  auto invites = SessionFixture::requests(f.take(), "INVITE");
  ASSERT_EQ(invites.size(), 1u);
  f.invite = invites[0].msg.clone();
  f.reply(*f.invite, 401, "t2", {{"WWW-Authenticate", "Digest realm=\"x\", nonce=\"m\""}});
  auto ended = f.observer.of("ended");
  ASSERT_EQ(ended.size(), 1u);
  EXPECT_EQ(ended[0].end, EndKind::FinalResponse);
  EXPECT_EQ(ended[0].status, 401);
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
    auto ended = f.observer.of("ended");
    ASSERT_EQ(ended.size(), 1u);
    EXPECT_EQ(ended[0].end, EndKind::TransportError);
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
  sent = f.take();
  auto ringing = SessionFixture::responses(sent, 180);
  ASSERT_EQ(ringing.size(), 1u);
  EXPECT_EQ(ringing[0].msg.to().tag(), f.ourTag(h));
  EXPECT_FALSE(f.ourTag(h).empty());
  EXPECT_EQ(ringing[0].msg.contacts().size(), 1u);
  EXPECT_FALSE(f.layer.provisional(h, 200).ok());
  EXPECT_FALSE(f.layer.hangup(h).ok()) << "an offered call is ended with reject()";

  ASSERT_TRUE(f.layer.reject(h, 486, {}, {{"Reason", "Q.850;cause=17"}}).ok());
  f.loop.runUntilIdle();
  sent = f.take();
  auto busy = SessionFixture::responses(sent, 486);
  ASSERT_EQ(busy.size(), 1u);
  EXPECT_EQ(busy[0].msg.header("Reason"), "Q.850;cause=17");
  EXPECT_EQ(busy[0].msg.to().tag(), f.ourTag(h));
  auto ended = f.observer.of("ended");
  ASSERT_EQ(ended.size(), 1u);
  EXPECT_EQ(ended[0].end, EndKind::LocalHangup);
  EXPECT_EQ(ended[0].endStatus, 486);
  // The peer ACKs the 486 with the INVITE's branch: the transaction absorbs it.
  SessionFixture::PeerRequest ack;
  ack.method = "ACK";
  ack.toTag = f.ourTag(h);
  ack.contact = false;
  f.inject(f.peerRequest(ack));
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
  sent = f.take();
  ASSERT_EQ(SessionFixture::responses(sent, 200, "BYE").size(), 1u)
      << SessionFixture::describe(sent);
  auto ended = f.observer.of("ended");
  ASSERT_EQ(ended.size(), 1u);
  EXPECT_EQ(ended[0].end, EndKind::Bye);
  f.expectAllGone();
}

TEST(UasTiming, RetransmissionIntervalIsCappedAtT2) {
  SessionFixture f(Protocol::Udp);
  SessionHandle h = f.answeredUas();
  f.loop.advance(20s);
  auto oks = SessionFixture::responses(f.take(), 200, "INVITE");
  EXPECT_EQ(SessionFixture::times(oks), seq({0.5, 1.5, 3.5, 7.5, 11.5, 15.5, 19.5}));
  f.inject(f.ackFor(h));
  ASSERT_TRUE(f.layer.hangup(h).ok());
  f.loop.runUntilIdle();
  auto byes = SessionFixture::requests(f.take(), "BYE");
  ASSERT_EQ(byes.size(), 1u);
  f.reply(byes[0].msg, 200);
  f.expectAllGone();
}

TEST_P(UasTest, NoAckWithin64T1SendsByeAndEndsNoAck) {
  SessionFixture f(GetParam());
  SessionHandle h = f.answeredUas();
  f.loop.advance(31900ms);
  auto sent = f.take();
  EXPECT_TRUE(SessionFixture::requests(sent, "BYE").empty()) << SessionFixture::describe(sent);
  EXPECT_EQ(f.observer.count("ended"), 0u);
  f.loop.advance(100ms);
  sent = f.take();
  auto byes = SessionFixture::requests(sent, "BYE");
  ASSERT_EQ(byes.size(), 1u) << SessionFixture::describe(sent);
  EXPECT_EQ(byes[0].at, 32.0);
  EXPECT_EQ(byes[0].msg.requestUri().text, "sip:carol@10.0.0.2:5070");
  EXPECT_EQ(byes[0].msg.to().tag(), "ctag");
  EXPECT_EQ(byes[0].msg.from().tag(), f.ourTag(h));
  EXPECT_EQ(byes[0].msg.cseq().number, 1u);
  const auto reason = byes[0].msg.header("Reason");
  ASSERT_TRUE(reason.has_value()) << "every BYE we start says why (mapping decision 3)";
  EXPECT_NE(reason->find("Q.850;cause=102"), std::string_view::npos) << *reason;
  auto ended = f.observer.of("ended");
  ASSERT_EQ(ended.size(), 1u);
  EXPECT_EQ(ended[0].end, EndKind::NoAck);
  EXPECT_EQ(ended[0].at, 32.0);
  f.loop.advance(10s);
  EXPECT_TRUE(SessionFixture::responses(f.take(), 200, "INVITE").empty())
      << "retransmissions stop with the BYE";
  f.reply(byes[0].msg, 200);
  f.expectAllGone();
  EXPECT_EQ(f.observer.count("ended"), 1u);
}

TEST_P(UasTest, HangupInAcceptedHoldsTheByeUntilTheAck) {
  SessionFixture f(GetParam());
  SessionHandle h = f.answeredUas();
  f.loop.advance(1s);
  ASSERT_TRUE(f.layer.hangup(h, {{"Reason", "Q.850;cause=16"}}).ok());
  f.loop.runUntilIdle();
  auto ended = f.observer.of("ended");
  ASSERT_EQ(ended.size(), 1u) << "over locally at once";
  EXPECT_EQ(ended[0].end, EndKind::LocalHangup);
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
  sent = f.take();
  auto byes = SessionFixture::requests(sent, "BYE");
  ASSERT_EQ(byes.size(), 1u) << SessionFixture::describe(sent);
  EXPECT_EQ(byes[0].at, 2.0);
  EXPECT_EQ(byes[0].msg.header("Reason"), "Q.850;cause=16");
  EXPECT_EQ(f.observer.count("confirmed"), 0u) << "released from the app's view already";
  f.loop.advance(10s);
  sent = f.take();
  EXPECT_TRUE(SessionFixture::responses(sent, 200, "INVITE").empty())
      << SessionFixture::describe(sent);
  f.reply(byes[0].msg, 200);
  EXPECT_EQ(f.layer.unfinished(), 0u);
  f.expectAllGone();
  EXPECT_EQ(f.observer.count("ended"), 1u);
}

TEST_P(UasTest, HangupInAcceptedWithoutAckByesAt64T1) {
  SessionFixture f(GetParam());
  SessionHandle h = f.answeredUas();
  ASSERT_TRUE(f.layer.hangup(h).ok());
  f.loop.advance(32s);
  auto byes = SessionFixture::requests(f.take(), "BYE");
  ASSERT_EQ(byes.size(), 1u);
  EXPECT_EQ(byes[0].at, 32.0);
  auto ended = f.observer.of("ended");
  ASSERT_EQ(ended.size(), 1u);
  EXPECT_EQ(ended[0].end, EndKind::LocalHangup);
  f.reply(byes[0].msg, 200);
  f.expectAllGone();
}

TEST_P(UasTest, PeerByeAfterOurHangupInAcceptedStopsEverything) {
  SessionFixture f(GetParam());
  SessionHandle h = f.answeredUas();
  ASSERT_TRUE(f.layer.hangup(h).ok());  // our BYE waits for the ACK (row 5)
  f.loop.advance(1s);
  // ... but the peer hangs up first (row 6): 200, and nothing of ours is left to send.
  f.inject(f.inDialog(h, "BYE", 2));
  auto sent = f.take();
  EXPECT_EQ(SessionFixture::responses(sent, 200, "BYE").size(), 1u)
      << SessionFixture::describe(sent);
  EXPECT_EQ(f.observer.count("ended"), 1u);
  EXPECT_EQ(f.layer.unfinished(), 0u);
  f.loop.advance(40s);
  sent = f.take();
  EXPECT_TRUE(SessionFixture::responses(sent, 200, "INVITE").empty())
      << "the 2xx retransmissions stop; " << SessionFixture::describe(sent);
  EXPECT_TRUE(SessionFixture::requests(sent, "BYE").empty())
      << "no BYE into a dialog the peer has ended; " << SessionFixture::describe(sent);
  f.expectAllGone();
}

TEST_P(UasTest, ReInviteForAnUnknownDialogGets481) {
  SessionFixture f(GetParam());
  SessionFixture::PeerRequest p;
  p.branch = "z9hG4bKre-unknown";
  p.cseq = 2;
  p.toTag = "no-such-tag";
  f.inject(f.peerRequest(p));
  auto sent = SessionFixture::finals(f.take());
  ASSERT_EQ(sent.size(), 1u) << SessionFixture::describe(sent);
  EXPECT_TRUE(sent[0].isResponse(481, "INVITE"));
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
  auto sent = f.take();
  ASSERT_EQ(SessionFixture::responses(sent, 200, "BYE").size(), 1u)
      << SessionFixture::describe(sent);
  auto ended = f.observer.of("ended");
  ASSERT_EQ(ended.size(), 1u);
  EXPECT_EQ(ended[0].end, EndKind::Bye);
  EXPECT_EQ(ended[0].endMethod, "BYE");
  f.loop.advance(20s);
  sent = f.take();
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
  SessionHandle h = f.incoming();
  ASSERT_TRUE(f.layer.provisional(h, 180).ok());
  f.loop.runUntilIdle();
  (void)f.take();
  SessionFixture::PeerRequest c;
  c.method = "CANCEL";
  c.contact = false;
  c.extra = "Reason: SIP;cause=200;text=\"Call completed elsewhere\"\r\n";
  f.inject(f.peerRequest(c));
  auto sent = f.take();
  ASSERT_EQ(sent.size(), 2u) << SessionFixture::describe(sent);
  EXPECT_TRUE(sent[0].isResponse(200, "CANCEL"));
  EXPECT_TRUE(sent[1].isResponse(487, "INVITE"));
  EXPECT_EQ(sent[1].msg.to().tag(), f.ourTag(h));
  auto ended = f.observer.of("ended");
  ASSERT_EQ(ended.size(), 1u);
  EXPECT_EQ(ended[0].end, EndKind::Cancel);
  EXPECT_EQ(ended[0].endMethod, "CANCEL");
  EXPECT_FALSE(f.layer.answer(h, SessionFixture::kOurSdp, "<sip:alice@10.0.0.1>").ok());

  // The ACK for the 487 (same branch) ends the server transaction.
  SessionFixture::PeerRequest ack;
  ack.method = "ACK";
  ack.toTag = f.ourTag(h);
  ack.contact = false;
  f.inject(f.peerRequest(ack));
  EXPECT_TRUE(f.take().empty());
  f.expectAllGone();
  EXPECT_EQ(f.observer.count("ended"), 1u);
}

TEST_P(UasTest, CancelAfterTheAnswerHasNoEffect) {
  SessionFixture f(GetParam());
  SessionHandle h = f.answeredUas();
  SessionFixture::PeerRequest c;
  c.method = "CANCEL";
  c.contact = false;
  f.inject(f.peerRequest(c));
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
  SessionFixture::PeerRequest c;
  c.method = "CANCEL";
  c.branch = "z9hG4bKnothing";
  c.contact = false;
  f.inject(f.peerRequest(c));
  auto sent = f.take();
  ASSERT_EQ(sent.size(), 1u) << SessionFixture::describe(sent);
  EXPECT_TRUE(sent[0].isResponse(481, "CANCEL"));
  EXPECT_EQ(f.layer.stats().answered481, 1u);
  EXPECT_EQ(f.observer.events.size(), 0u);
  f.expectAllGone();
}

TEST_P(UasTest, ByeForAnUnknownDialogGets481) {
  SessionFixture f(GetParam());
  SessionFixture::PeerRequest b;
  b.method = "BYE";
  b.branch = "z9hG4bKbye-unknown";
  b.toTag = "no-such-tag";
  b.contact = false;
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
  SessionFixture::PeerRequest b;
  b.method = "BYE";
  b.branch = "z9hG4bKbye-wrongfrom";
  b.cseq = 2;
  b.toTag = f.ourTag(h);
  b.fromTag = "someone-else";
  b.contact = false;
  f.inject(f.peerRequest(b));
  auto sent = f.take();
  ASSERT_EQ(SessionFixture::responses(sent, 481, "BYE").size(), 1u)
      << SessionFixture::describe(sent);
  EXPECT_EQ(f.observer.count("ended"), 0u);
  f.inject(f.inDialog(h, "BYE", 3));
  EXPECT_EQ(f.observer.count("ended"), 1u);
  f.expectAllGone();
}

TEST_P(UasTest, StrayAckIsDroppedSilently) {
  SessionFixture f(GetParam());
  SessionFixture::PeerRequest a;
  a.method = "ACK";
  a.branch = "z9hG4bKstray";
  a.toTag = "no-such-tag";
  a.contact = false;
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
  ASSERT_TRUE(f.layer.hangup(h).ok());
  f.loop.runUntilIdle();
  auto byes = SessionFixture::requests(f.take(), "BYE");
  ASSERT_EQ(byes.size(), 1u);
  EXPECT_EQ(byes[0].msg.cseq().number, 1u);
  ASSERT_EQ(f.observer.count("ended"), 1u);
  // The peer's BYE crosses ours.
  f.inject(f.inDialog(h, "BYE", 2));
  auto sent = f.take();
  EXPECT_EQ(SessionFixture::responses(sent, 200, "BYE").size(), 1u)
      << SessionFixture::describe(sent);
  EXPECT_EQ(f.observer.count("ended"), 1u);
  EXPECT_EQ(f.observer.of("ended")[0].end, EndKind::LocalHangup);
  // Then ours is answered 481 (the peer forgot the dialog): still over, nothing new.
  f.reply(byes[0].msg, 481);
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
  SessionFixture::PeerRequest p;
  p.method = "INVITE";
  p.branch = "z9hG4bKreinv2";
  p.cseq = 2;
  p.toTag = f.ourTag(h);
  p.body = newSdp;
  std::string text = f.peerRequest(p);
  // The re-INVITE moves the peer: target refresh.
  const auto at = text.find("Contact: <sip:carol@10.0.0.2:5070>");
  ASSERT_NE(at, std::string::npos);
  text.replace(at, 34, "Contact: <sip:carol@10.0.0.5:5075>");
  f.inject(text);
  auto sent = f.take();
  auto oks = SessionFixture::responses(sent, 200, "INVITE");
  ASSERT_EQ(oks.size(), 1u) << SessionFixture::describe(sent);
  EXPECT_EQ(oks[0].msg.body(), SessionFixture::kOurSdp);
  EXPECT_EQ(oks[0].msg.cseq().number, 2u);
  EXPECT_EQ(oks[0].msg.to().tag(), f.ourTag(h));
  ASSERT_EQ(oks[0].msg.contacts().size(), 1u);
  EXPECT_EQ(oks[0].msg.contacts().front().uri.text, "sip:alice@10.0.0.1:5060");
  EXPECT_EQ(f.layer.state(h), SessionState::Confirmed);
  EXPECT_EQ(f.layer.dialogOf(h)->remoteTarget(), "sip:carol@10.0.0.5:5075");
  // Its ACK is absorbed quietly.
  f.inject(f.ackFor(h, 2));
  EXPECT_TRUE(f.take().empty());
  EXPECT_EQ(f.observer.count("confirmed"), 1u);

  ASSERT_TRUE(f.layer.hangup(h).ok());
  f.loop.runUntilIdle();
  auto byes = SessionFixture::requests(f.take(), "BYE");
  ASSERT_EQ(byes.size(), 1u);
  EXPECT_EQ(byes[0].msg.requestUri().text, "sip:carol@10.0.0.5:5075");
  if (!f.reliable()) {
    // (On TCP the layer reuses the connection the INVITE came on.)
    EXPECT_EQ(byes[0].to.endpoint, ep("10.0.0.5", 5075)) << "BYE to the refreshed target";
  }
  f.reply(byes[0].msg, 200);
  f.expectAllGone();
}

TEST_P(UasTest, LowerCSeqGets500) {
  SessionFixture f(GetParam());
  SessionHandle h = f.confirmedUas({});
  f.inject(f.inDialog(h, "INFO", 5));
  auto sent = f.take();
  ASSERT_EQ(SessionFixture::responses(sent, 200, "INFO").size(), 1u)
      << SessionFixture::describe(sent);
  f.inject(f.inDialog(h, "BYE", 4));
  sent = f.take();
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
  SessionFixture::PeerRequest p;
  p.extra = "Require: 100rel, timer\r\n";
  EXPECT_FALSE(f.incoming(p).valid());
  auto sent = SessionFixture::finals(f.take());
  ASSERT_EQ(sent.size(), 1u) << SessionFixture::describe(sent);
  EXPECT_TRUE(sent[0].isResponse(420, "INVITE"));
  EXPECT_EQ(sent[0].msg.header("Unsupported"), "100rel");
  EXPECT_EQ(f.layer.stats().sessions, 0u);
  // Require: timer alone is fine.
  SessionFixture::PeerRequest q;
  q.branch = "z9hG4bKtimer";
  q.callId = "peer-call-2";
  q.extra = "Require: timer\r\nSupported: timer\r\nSession-Expires: 1800\r\n";
  SessionHandle h = f.incoming(q);
  ASSERT_TRUE(h.valid());
  ASSERT_TRUE(f.layer.reject(h, 603).ok());
  f.loop.runUntilIdle();
  f.expectAllGone();
}

TEST_P(UasTest, NonSdpBodyGets415) {
  SessionFixture f(GetParam());
  SessionFixture::PeerRequest p;
  p.body = "hello";
  p.contentType = "text/plain";
  EXPECT_FALSE(f.incoming(p).valid());
  auto sent = SessionFixture::finals(f.take());
  ASSERT_EQ(sent.size(), 1u) << SessionFixture::describe(sent);
  EXPECT_TRUE(sent[0].isResponse(415, "INVITE"));
  EXPECT_EQ(sent[0].msg.header("Accept"), "application/sdp");
  f.expectAllGone();
}

TEST_P(UasTest, SessionExpiresBelowMinSeGets422) {
  SessionFixture f(GetParam());
  SessionFixture::PeerRequest p;
  p.extra = "Supported: timer\r\nSession-Expires: 60\r\n";
  EXPECT_FALSE(f.incoming(p).valid());
  auto sent = SessionFixture::finals(f.take());
  ASSERT_EQ(sent.size(), 1u) << SessionFixture::describe(sent);
  EXPECT_TRUE(sent[0].isResponse(422, "INVITE"));
  EXPECT_EQ(sent[0].msg.header("Min-SE"), "90");
  // Compact form too (RFC 4028: x).
  SessionFixture::PeerRequest c;
  c.branch = "z9hG4bKcompact";
  c.callId = "peer-call-3";
  c.extra = "x: 30;refresher=uac\r\n";
  EXPECT_FALSE(f.incoming(c).valid());
  sent = SessionFixture::finals(f.take());
  ASSERT_EQ(sent.size(), 1u) << SessionFixture::describe(sent);
  EXPECT_TRUE(sent[0].isResponse(422, "INVITE"));
  f.expectAllGone();
}

TEST_P(UasTest, InviteWithoutContactGets400) {
  SessionFixture f(GetParam());
  SessionFixture::PeerRequest p;
  p.contact = false;
  EXPECT_FALSE(f.incoming(p).valid());
  auto sent = SessionFixture::finals(f.take());
  ASSERT_EQ(sent.size(), 1u) << SessionFixture::describe(sent);
  EXPECT_TRUE(sent[0].isResponse(400, "INVITE"));
  f.expectAllGone();
}

TEST_P(UasTest, OutOfDialogOptionsAndUnknownMethods) {
  SessionFixture f(GetParam());
  SessionFixture::PeerRequest o;
  o.method = "OPTIONS";
  o.branch = "z9hG4bKopt";
  o.contact = false;
  f.inject(f.peerRequest(o));
  SessionFixture::PeerRequest m;
  m.method = "MESSAGE";
  m.branch = "z9hG4bKmsg";
  m.contact = false;
  f.inject(f.peerRequest(m));
  SessionFixture::PeerRequest x;
  x.method = "FOO";
  x.branch = "z9hG4bKfoo";
  x.contact = false;
  f.inject(f.peerRequest(x));
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
  SessionHandle h = f.incoming();
  ASSERT_TRUE(f.layer.provisional(h, 180).ok());
  f.loop.runUntilIdle();
  (void)f.take();
  // §14.2: a second INVITE on the dialog before we answered the first (lower CSeq) → 500
  // with Retry-After 0-10 s. (491 is for an INVITE of our own in progress.)
  f.inject(f.inDialog(h, "INVITE", 2, {}, SessionFixture::kPeerSdp));
  auto sent = SessionFixture::finals(f.take());
  ASSERT_EQ(sent.size(), 1u) << SessionFixture::describe(sent);
  EXPECT_TRUE(sent[0].isResponse(500, "INVITE")) << SessionFixture::describe(sent);
  const auto retryAfter = sent[0].msg.header("Retry-After");
  ASSERT_TRUE(retryAfter.has_value());
  const int seconds = std::stoi(std::string(*retryAfter));
  EXPECT_GE(seconds, 0);
  EXPECT_LE(seconds, 10);
  EXPECT_EQ(f.layer.state(h), SessionState::Offered);
  SessionFixture::PeerRequest ack;  // ACK for the 500
  ack.method = "ACK";
  ack.branch = "z9hG4bKpeer-INVITE-2";
  ack.cseq = 2;
  ack.toTag = f.ourTag(h);
  ack.contact = false;
  f.inject(f.peerRequest(ack));
  ASSERT_TRUE(f.layer.reject(h, 486).ok());
  f.loop.runUntilIdle();
  f.expectAllGone();
}

TEST_P(UasTest, ByeOnTheEarlyDialogEndsTheOfferedCall) {
  SessionFixture f(GetParam());
  SessionHandle h = f.incoming();
  ASSERT_TRUE(f.layer.provisional(h, 183).ok());
  f.loop.runUntilIdle();
  (void)f.take();
  // §15: the caller may BYE an early dialog; we answer it 200 and the INVITE 487.
  f.inject(f.inDialog(h, "BYE", 2));
  auto sent = f.take();
  EXPECT_EQ(SessionFixture::responses(sent, 200, "BYE").size(), 1u)
      << SessionFixture::describe(sent);
  EXPECT_EQ(SessionFixture::responses(sent, 487, "INVITE").size(), 1u)
      << SessionFixture::describe(sent);
  auto ended = f.observer.of("ended");
  ASSERT_EQ(ended.size(), 1u);
  EXPECT_EQ(ended[0].end, EndKind::Bye);
  SessionFixture::PeerRequest ack;
  ack.method = "ACK";
  ack.toTag = f.ourTag(h);
  ack.contact = false;
  f.inject(f.peerRequest(ack));
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

TEST(SessionTimer, UacNotRefresherSendsByeBeforeExpiry) {
  SessionFixture f(Protocol::Udp);
  SessionHandle h = f.establishUac({{"Session-Expires", "90;refresher=uas"}, {"Require", "timer"}});
  EXPECT_EQ(f.layer.stats().timers, 1u);
  // §10: BYE at 90 - min(32, 90/3) = 60 s after the 2xx, unless refreshed.
  f.loop.advance(59900ms);
  auto sent = f.take();
  EXPECT_TRUE(sent.empty()) << SessionFixture::describe(sent);
  f.loop.advance(100ms);
  sent = f.take();
  auto byes = SessionFixture::requests(sent, "BYE");
  ASSERT_EQ(byes.size(), 1u) << SessionFixture::describe(sent);
  EXPECT_EQ(byes[0].at, 60.0);
  const auto reason = byes[0].msg.header("Reason");
  ASSERT_TRUE(reason.has_value());
  EXPECT_NE(reason->find("Q.850;cause=102"), std::string_view::npos) << *reason;
  auto ended = f.observer.of("ended");
  ASSERT_EQ(ended.size(), 1u);
  EXPECT_EQ(ended[0].end, EndKind::SessionExpired);
  EXPECT_EQ(ended[0].at, 60.0);
  EXPECT_EQ(f.layer.state(h), SessionState::Terminated);
  f.reply(byes[0].msg, 200);
  f.expectAllGone();
}

TEST(SessionTimer, UacNotRefresherIsKeptAliveByPeerRefreshes) {
  SessionFixture f(Protocol::Udp);
  SessionHandle h = f.establishUac({{"Session-Expires", "90;refresher=uas"}});
  const std::string ourTag(f.invite->from().tag());
  // Bob refreshes at 45 s with a re-INVITE (he is its UAC now, and the refresher).
  f.loop.advance(45s);
  std::string re = "INVITE sip:alice@10.0.0.1:5060 SIP/2.0\r\n";
  re += "Via: SIP/2.0/UDP 10.0.0.3:5080;branch=z9hG4bKbobre1\r\n";
  re += "Max-Forwards: 70\r\nFrom: <sip:bob@10.0.0.2>;tag=bob-tag\r\n";
  re += "To: \"Alice\" <sip:alice@10.0.0.1>;tag=" + ourTag + "\r\n";
  re += "Call-ID: " + std::string(f.invite->callId()) + "\r\nCSeq: 1 INVITE\r\n";
  re += "Contact: <sip:bob@10.0.0.3:5080>\r\nSupported: timer\r\n";
  re += "Session-Expires: 90;refresher=uac\r\nContent-Length: 0\r\n\r\n";
  f.inject(re);
  auto sent = f.take();
  auto oks = SessionFixture::responses(sent, 200, "INVITE");
  ASSERT_EQ(oks.size(), 1u) << SessionFixture::describe(sent);
  EXPECT_EQ(oks[0].msg.header("Session-Expires"), "90;refresher=uac");
  EXPECT_EQ(oks[0].msg.body(), SessionFixture::kOurSdp);
  // The expiry moved: 45 + 60 = 105 s.
  f.loop.advance(59s);
  sent = f.take();
  EXPECT_TRUE(SessionFixture::requests(sent, "BYE").empty()) << SessionFixture::describe(sent);
  f.loop.advance(1s);
  auto byes = SessionFixture::requests(f.take(), "BYE");
  ASSERT_EQ(byes.size(), 1u);
  EXPECT_EQ(byes[0].at, 105.0);
  EXPECT_EQ(f.observer.of("ended")[0].end, EndKind::SessionExpired);
  EXPECT_EQ(f.layer.state(h), SessionState::Terminated);
  f.reply(byes[0].msg, 200);
  f.expectAllGone();
}

TEST(SessionTimer, UacRefresherSendsReInviteAtHalfIntervalAndRestarts) {
  SessionFixture f(Protocol::Udp);
  SessionHandle h = f.establishUac({{"Session-Expires", "90;refresher=uac"}, {"Require", "timer"}});
  f.loop.advance(44900ms);
  EXPECT_TRUE(f.take().empty());
  f.loop.advance(100ms);
  auto sent = f.take();
  auto reinvites = SessionFixture::requests(sent, "INVITE");
  ASSERT_EQ(reinvites.size(), 1u) << SessionFixture::describe(sent);
  const SipMessage re = reinvites[0].msg.clone();
  EXPECT_EQ(reinvites[0].at, 45.0);
  EXPECT_EQ(reinvites[0].to.endpoint, ep("10.0.0.3", 5080));
  EXPECT_EQ(re.requestUri().text, "sip:bob@10.0.0.3:5080");
  EXPECT_EQ(re.cseq().number, 2u);
  EXPECT_EQ(re.to().tag(), "bob-tag");
  EXPECT_EQ(re.header("Session-Expires"), "90;refresher=uac");
  EXPECT_EQ(re.body(), SessionFixture::kOurSdp);
  ASSERT_EQ(re.contacts().size(), 1u);
  EXPECT_EQ(re.contacts().front().uri.text, "sip:alice@10.0.0.1:5060");

  // Glare: Bob's own re-INVITE arrives while ours is pending → 491 (§14.2).
  std::string bobs = "INVITE sip:alice@10.0.0.1:5060 SIP/2.0\r\n";
  bobs += "Via: SIP/2.0/UDP 10.0.0.3:5080;branch=z9hG4bKglare\r\n";
  bobs += "Max-Forwards: 70\r\nFrom: <sip:bob@10.0.0.2>;tag=bob-tag\r\n";
  bobs += "To: " + std::string(re.from().text) + "\r\n";
  bobs += "Call-ID: " + std::string(re.callId()) + "\r\nCSeq: 7 INVITE\r\n";
  bobs += "Contact: <sip:bob@10.0.0.3:5080>\r\nContent-Length: 0\r\n\r\n";
  f.inject(bobs);
  sent = f.take();
  EXPECT_EQ(SessionFixture::responses(sent, 491, "INVITE").size(), 1u)
      << SessionFixture::describe(sent);
  EXPECT_TRUE(SessionFixture::responses(sent, 200, "INVITE").empty());
  // Bob's transaction ACKs the 491 (same branch).
  std::string ack491 = bobs.substr(0, bobs.find("Contact:"));
  ack491.replace(0, 6, "ACK");
  ack491.replace(ack491.find("CSeq: 7 INVITE"), 14, "CSeq: 7 ACK");
  f.inject(ack491 + "Content-Length: 0\r\n\r\n");
  EXPECT_TRUE(f.take().empty());

  f.loop.advance(1s);
  f.reply(re, 200, "bob-tag",
          {{"Contact", "<sip:bob@10.0.0.3:5080>"}, {"Session-Expires", "90;refresher=uac"}},
          SessionFixture::kPeerSdp);
  sent = f.take();
  auto acks = SessionFixture::requests(sent, "ACK");
  ASSERT_EQ(acks.size(), 1u) << SessionFixture::describe(sent);
  EXPECT_EQ(acks[0].msg.cseq().number, 2u);
  EXPECT_EQ(acks[0].to.endpoint, ep("10.0.0.3", 5080));
  EXPECT_EQ(f.layer.state(h), SessionState::Confirmed);

  // The timer restarted at the refresh's 2xx (46 s): the next refresh is at 91 s, and no
  // BYE comes at 90 s (the old expiry).
  f.loop.advance(44900ms);
  sent = f.take();
  EXPECT_TRUE(sent.empty()) << SessionFixture::describe(sent);
  f.loop.advance(100ms);
  sent = f.take();
  reinvites = SessionFixture::requests(sent, "INVITE");
  ASSERT_EQ(reinvites.size(), 1u) << SessionFixture::describe(sent);
  EXPECT_EQ(reinvites[0].at, 91.0);
  EXPECT_EQ(reinvites[0].msg.cseq().number, 3u);
  f.reply(reinvites[0].msg, 200, "bob-tag",
          {{"Contact", "<sip:bob@10.0.0.3:5080>"}, {"Session-Expires", "90;refresher=uac"}});
  EXPECT_EQ(f.observer.count("ended"), 0u);

  ASSERT_TRUE(f.layer.hangup(h).ok());
  f.loop.runUntilIdle();
  auto byes = SessionFixture::requests(f.take(), "BYE");
  ASSERT_EQ(byes.size(), 1u);
  EXPECT_EQ(byes[0].msg.cseq().number, 4u);
  f.reply(byes[0].msg, 200);
  f.expectAllGone();
}

TEST(SessionTimer, HangupWhileRefreshIsPendingStillAcksItsAnswer) {
  SessionFixture f(Protocol::Udp);
  SessionHandle h = f.establishUac({{"Session-Expires", "90;refresher=uac"}});
  f.loop.advance(45s);
  auto reinvites = SessionFixture::requests(f.take(), "INVITE");
  ASSERT_EQ(reinvites.size(), 1u);
  ASSERT_TRUE(f.layer.hangup(h).ok());
  f.loop.runUntilIdle();
  auto byes = SessionFixture::requests(f.take(), "BYE");
  ASSERT_EQ(byes.size(), 1u);
  EXPECT_EQ(byes[0].msg.cseq().number, 3u);
  // The refresh's 200 arrives after our BYE: it is still ACKed (§13.2.2.4), nothing else.
  f.reply(reinvites[0].msg, 200, "bob-tag", {{"Session-Expires", "90;refresher=uac"}});
  auto sent = f.take();
  ASSERT_EQ(sent.size(), 1u) << SessionFixture::describe(sent);
  EXPECT_TRUE(sent[0].isRequest("ACK"));
  EXPECT_EQ(sent[0].msg.cseq().number, 2u);
  f.reply(byes[0].msg, 200);
  EXPECT_EQ(f.observer.count("ended"), 1u);
  f.expectAllGone();
  EXPECT_TRUE(SessionFixture::requests(f.take(), "INVITE").empty()) << "no refresh after the end";
}

TEST(SessionTimer, RefreshAnswered481EndsWithByeDialogGone) {
  SessionFixture f(Protocol::Udp);
  SessionHandle h = f.establishUac({{"Session-Expires", "90;refresher=uac"}});
  f.loop.advance(45s);
  auto reinvites = SessionFixture::requests(f.take(), "INVITE");
  ASSERT_EQ(reinvites.size(), 1u);
  const SipMessage re = reinvites[0].msg.clone();
  f.reply(re, 481, "bob-tag");
  auto sent = f.take();
  auto byes = SessionFixture::requests(sent, "BYE");
  ASSERT_EQ(byes.size(), 1u) << SessionFixture::describe(sent);
  EXPECT_EQ(byes[0].msg.cseq().number, 3u);
  EXPECT_EQ(SessionFixture::requests(sent, "ACK").size(), 1u) << "the 481 is ACKed hop-by-hop";
  auto ended = f.observer.of("ended");
  ASSERT_EQ(ended.size(), 1u);
  EXPECT_EQ(ended[0].end, EndKind::DialogGone);
  EXPECT_EQ(ended[0].status, 481);
  EXPECT_EQ(f.layer.state(h), SessionState::Terminated);
  f.reply(byes[0].msg, 481);
  f.expectAllGone();
}

TEST(SessionTimer, UnansweredRefreshEndsRefreshFailed) {
  SessionFixture f(Protocol::Udp);
  SessionHandle h = f.establishUac({{"Session-Expires", "90;refresher=uac"}});
  f.loop.advance(45s);
  ASSERT_EQ(SessionFixture::requests(f.take(), "INVITE").size(), 1u);
  // RFC 4028 §10: the refresh timing out (Timer B, 32 s after it) ends the session at once,
  // before the 90 s expiry.
  f.loop.advance(std::chrono::milliseconds(32200));
  auto sent = f.take();
  auto byes = SessionFixture::requests(sent, "BYE");
  ASSERT_EQ(byes.size(), 1u) << SessionFixture::describe(sent);
  auto ended = f.observer.of("ended");
  ASSERT_EQ(ended.size(), 1u);
  EXPECT_EQ(ended[0].end, EndKind::RefreshFailed);
  EXPECT_DOUBLE_EQ(ended[0].at, 77.0);
  EXPECT_EQ(f.layer.state(h), SessionState::Terminated);
  f.reply(byes[0].msg, 200);
  f.expectAllGone();
}

TEST(SessionTimer, UasAcceptsTheIntervalAndTheUacRefreshes) {
  SessionFixture f(Protocol::Udp);
  SessionFixture::PeerRequest p;
  p.extra = "Supported: timer\r\nSession-Expires: 120\r\n";
  SessionHandle h = f.answeredUas(p);
  ASSERT_TRUE(f.ok.has_value());
  EXPECT_EQ(f.ok->header("Session-Expires"), "120;refresher=uac");
  EXPECT_TRUE(hasValue(*f.ok, "Require", "timer"));
  f.inject(f.ackFor(h));
  // The UAC refreshes: we only guard, with BYE at 120 - 32 = 88 s.
  f.loop.advance(87s);
  auto sent = f.take();
  EXPECT_TRUE(SessionFixture::requests(sent, "BYE").empty()) << SessionFixture::describe(sent);
  EXPECT_TRUE(SessionFixture::requests(sent, "INVITE").empty());
  f.loop.advance(1s);
  auto byes = SessionFixture::requests(f.take(), "BYE");
  ASSERT_EQ(byes.size(), 1u);
  EXPECT_EQ(byes[0].at, 88.0);
  EXPECT_EQ(f.observer.of("ended")[0].end, EndKind::SessionExpired);
  f.reply(byes[0].msg, 200);
  f.expectAllGone();
}

TEST(SessionTimer, UasRefresherSendsReInviteAsItsUac) {
  SessionFixture f(Protocol::Udp);
  SessionFixture::PeerRequest p;
  p.extra = "Supported: timer\r\nSession-Expires: 90;refresher=uas\r\n";
  SessionHandle h = f.answeredUas(p);
  EXPECT_EQ(f.ok->header("Session-Expires"), "90;refresher=uas");
  f.inject(f.ackFor(h));
  f.loop.advance(45s);
  auto sent = f.take();
  auto reinvites = SessionFixture::requests(sent, "INVITE");
  ASSERT_EQ(reinvites.size(), 1u) << SessionFixture::describe(sent);
  const SipMessage re = reinvites[0].msg.clone();
  EXPECT_EQ(re.requestUri().text, "sip:carol@10.0.0.2:5070");
  EXPECT_EQ(re.from().tag(), f.ourTag(h));
  EXPECT_EQ(re.to().tag(), "ctag");
  EXPECT_EQ(re.cseq().number, 1u);
  // RFC 4028 §7.4: in a refresh, refresher=uac names the sender when it is the refresher.
  EXPECT_EQ(re.header("Session-Expires"), "90;refresher=uac");
  f.reply(re, 200, "ctag",
          {{"Contact", "<sip:carol@10.0.0.2:5070>"}, {"Session-Expires", "90;refresher=uac"}});
  sent = f.take();
  ASSERT_EQ(SessionFixture::requests(sent, "ACK").size(), 1u) << SessionFixture::describe(sent);
  // Still the refresher: the next refresh at 90 s.
  f.loop.advance(45s);
  sent = f.take();
  reinvites = SessionFixture::requests(sent, "INVITE");
  ASSERT_EQ(reinvites.size(), 1u) << SessionFixture::describe(sent);
  EXPECT_EQ(reinvites[0].at, 90.0);
  EXPECT_EQ(reinvites[0].msg.cseq().number, 2u);
  f.reply(reinvites[0].msg, 200, "ctag", {{"Session-Expires", "90;refresher=uac"}});
  f.inject(f.inDialog(h, "BYE", 2));
  EXPECT_EQ(f.observer.count("ended"), 1u);
  f.expectAllGone();
}

TEST(SessionTimer, UasRefresherHandsOverWhenThePeersAnswerSaysSo) {
  SessionFixture f(Protocol::Udp);
  SessionFixture::PeerRequest p;
  p.extra = "Supported: timer\r\nSession-Expires: 90;refresher=uas\r\n";
  SessionHandle h = f.answeredUas(p);
  f.inject(f.ackFor(h));
  f.loop.advance(45s);
  auto reinvites = SessionFixture::requests(f.take(), "INVITE");
  ASSERT_EQ(reinvites.size(), 1u);
  // Carol's 200 makes herself (the UAS of this refresh) the refresher (§7.2).
  f.reply(reinvites[0].msg, 200, "ctag", {{"Session-Expires", "90;refresher=uas"}});
  ASSERT_EQ(SessionFixture::requests(f.take(), "ACK").size(), 1u);
  // We only guard now: BYE at 45 + 60 = 105 s, no refresh of our own at 90 s.
  f.loop.advance(59s);
  auto sent = f.take();
  EXPECT_TRUE(SessionFixture::requests(sent, "INVITE").empty()) << SessionFixture::describe(sent);
  EXPECT_TRUE(SessionFixture::requests(sent, "BYE").empty());
  f.loop.advance(1s);
  auto byes = SessionFixture::requests(f.take(), "BYE");
  ASSERT_EQ(byes.size(), 1u);
  EXPECT_EQ(byes[0].at, 105.0);
  EXPECT_EQ(f.observer.of("ended")[0].end, EndKind::SessionExpired);
  f.reply(byes[0].msg, 200);
  f.expectAllGone();
}

// ======================================================================================
// release(), out-of-dialog requests, bookkeeping
// ======================================================================================

TEST(Release, ConfirmedUacSendsByeAndNoCallbacksFollow) {
  SessionFixture f(Protocol::Udp);
  SessionHandle h = f.establishUac();
  const std::size_t before = f.observer.events.size();
  f.layer.release(h);
  f.loop.runUntilIdle();
  auto byes = SessionFixture::requests(f.take(), "BYE");
  ASSERT_EQ(byes.size(), 1u);
  EXPECT_EQ(f.layer.unfinished(), 1u);
  f.reply(byes[0].msg, 200);
  f.expectAllGone();
  EXPECT_EQ(f.observer.events.size(), before) << "no callback after release()";
  f.layer.release(h);  // stale: harmless
}

TEST(Release, EarlyUacSendsCancelAndNoCallbacksFollow) {
  SessionFixture f(Protocol::Udp);
  SessionHandle h = f.call();
  f.reply(*f.invite, 180, "bob-tag");
  const std::size_t before = f.observer.events.size();
  f.layer.release(h);
  f.loop.runUntilIdle();
  auto cancels = SessionFixture::requests(f.take(), "CANCEL");
  ASSERT_EQ(cancels.size(), 1u);
  f.reply(cancels[0].msg, 200);
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
  auto cancels = SessionFixture::requests(f.take(), "CANCEL");
  ASSERT_EQ(cancels.size(), 1u);
  // The 200 crosses the CANCEL: ACK and BYE, still without callbacks.
  f.answerOurInvite();
  auto sent = f.take();
  EXPECT_EQ(SessionFixture::requests(sent, "ACK").size(), 1u);
  auto byes = SessionFixture::requests(sent, "BYE");
  ASSERT_EQ(byes.size(), 1u) << SessionFixture::describe(sent);
  f.reply(cancels[0].msg, 200);
  f.reply(byes[0].msg, 200);
  f.expectAllGone();
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
  auto byes = SessionFixture::requests(f.take(), "BYE");
  ASSERT_EQ(byes.size(), 1u);
  f.reply(byes[0].msg, 200);
  f.expectAllGone();
  EXPECT_EQ(f.observer.count("ended"), 0u);
  EXPECT_EQ(f.observer.count("confirmed"), 0u);
}

TEST(Release, FromInsideOnEndedIsSafe) {
  SessionFixture f(Protocol::Udp);
  f.observer.endedHook = [&](SessionHandle s) { f.layer.release(s); };
  SessionHandle h = f.establishUac();
  ASSERT_TRUE(f.layer.hangup(h).ok());
  f.loop.runUntilIdle();
  auto byes = SessionFixture::requests(f.take(), "BYE");
  ASSERT_EQ(byes.size(), 1u);
  f.reply(byes[0].msg, 200);
  f.expectAllGone();
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

TEST(OutOfDialog, RequestGetsItsFinalResponseOnce) {
  SessionFixture f(Protocol::Udp);
  auto b = message::MessageBuilder::request(message::Method::Options, "sip:10.0.0.2:5070");
  b.header("Via", "SIP/2.0/UDP 0.0.0.0;branch=z9hG4bKx")
      .header("Max-Forwards", "70")
      .header("From", "<sip:alice@10.0.0.1>;tag=o1")
      .header("To", "<sip:10.0.0.2>")
      .header("Call-ID", "options-1")
      .header("CSeq", "1 OPTIONS");
  auto req = b.build();
  ASSERT_TRUE(req.ok());
  int calls = 0;
  int status = 0;
  std::error_code error;
  ASSERT_TRUE(f.layer
                  .sendRequest(std::move(*req), transport::Target{Protocol::Udp, f.peer()},
                               [&](const SipMessage* r, std::error_code ec) {
                                 ++calls;
                                 status = r != nullptr ? r->statusCode() : 0;
                                 error = ec;
                               })
                  .ok());
  f.loop.runUntilIdle();
  auto sent = SessionFixture::requests(f.take(), "OPTIONS");
  ASSERT_EQ(sent.size(), 1u);
  EXPECT_EQ(f.layer.stats().outOfDialog, 1u);
  f.reply(sent[0].msg, 100);
  EXPECT_EQ(calls, 0);
  f.reply(sent[0].msg, 200, "opt-tag");
  EXPECT_EQ(calls, 1);
  EXPECT_EQ(status, 200);
  EXPECT_FALSE(error);
  EXPECT_EQ(f.layer.stats().outOfDialog, 0u);
  f.expectAllGone();
  EXPECT_EQ(calls, 1);
}

TEST(OutOfDialog, TimeoutReportsAnError) {
  SessionFixture f(Protocol::Udp);
  auto b = message::MessageBuilder::request(message::Method::Register, "sip:10.0.0.2:5070");
  b.header("Via", "SIP/2.0/UDP 0.0.0.0;branch=z9hG4bKx")
      .header("Max-Forwards", "70")
      .header("From", "<sip:alice@10.0.0.2>;tag=r1")
      .header("To", "<sip:alice@10.0.0.2>")
      .header("Call-ID", "reg-1")
      .header("CSeq", "1 REGISTER");
  auto req = b.build();
  ASSERT_TRUE(req.ok());
  int calls = 0;
  std::error_code error;
  bool hadResponse = true;
  ASSERT_TRUE(f.layer
                  .sendRequest(std::move(*req), transport::Target{Protocol::Udp, f.peer()},
                               [&](const SipMessage* r, std::error_code ec) {
                                 ++calls;
                                 hadResponse = r != nullptr;
                                 error = ec;
                               })
                  .ok());
  f.loop.advance(32s);
  EXPECT_EQ(calls, 1);
  EXPECT_FALSE(hadResponse);
  EXPECT_EQ(error, std::make_error_code(std::errc::timed_out));
  f.expectAllGone();
}

TEST(OutOfDialog, TransportErrorReportsAnError) {
  SessionFixture f(Protocol::Tcp);
  auto b = message::MessageBuilder::request(message::Method::Options, "sip:10.0.0.2:5070");
  b.header("Via", "SIP/2.0/TCP 0.0.0.0;branch=z9hG4bKx")
      .header("Max-Forwards", "70")
      .header("From", "<sip:alice@10.0.0.1>;tag=o2")
      .header("To", "<sip:10.0.0.2>")
      .header("Call-ID", "options-2")
      .header("CSeq", "1 OPTIONS");
  auto req = b.build();
  ASSERT_TRUE(req.ok());
  f.wire.failSends(std::make_error_code(std::errc::connection_refused));
  int calls = 0;
  std::error_code error;
  auto sent = f.layer.sendRequest(std::move(*req), transport::Target{Protocol::Tcp, f.peer()},
                                  [&](const SipMessage* r, std::error_code ec) {
                                    ++calls;
                                    EXPECT_EQ(r, nullptr);
                                    error = ec;
                                  });
  f.loop.runUntilIdle();
  if (sent.ok()) {
    EXPECT_EQ(calls, 1);
    EXPECT_EQ(error, std::make_error_code(std::errc::host_unreachable));
  } else {
    EXPECT_EQ(calls, 0);
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
  SessionFixture::PeerRequest second;
  second.branch = "z9hG4bKsecond";
  second.callId = "peer-call-2";
  SessionHandle accepted = f.incoming(second);
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
  SessionFixture::PeerRequest again;
  again.branch = "z9hG4bKotherpath";
  f.inject(f.peerRequest(again));
  EXPECT_EQ(f.observer.count("incoming"), 1u);
  auto sent = SessionFixture::finals(f.take());
  ASSERT_EQ(sent.size(), 1u) << SessionFixture::describe(sent);
  EXPECT_TRUE(sent[0].isResponse(482, "INVITE"));
  ASSERT_TRUE(f.layer.reject(h, 486).ok());
  f.loop.runUntilIdle();
  f.expectAllGone();
}

TEST(Bookkeeping, ManyCallsEveryWayAllGoBackToZero) {
  SessionFixture f(Protocol::Udp);
  // A rejected incoming call, an answered-and-byed one, a cancelled outgoing one.
  SessionHandle in1 = f.incoming();
  ASSERT_TRUE(f.layer.reject(in1, 480).ok());
  SessionFixture::PeerRequest second;
  second.branch = "z9hG4bKsecond";
  second.callId = "peer-call-2";
  second.fromTag = "ctag2";
  SessionHandle in2 = f.incoming(second);
  ASSERT_TRUE(in2.valid());
  ASSERT_TRUE(f.layer.answer(in2, SessionFixture::kOurSdp, "<sip:alice@10.0.0.1:5060>").ok());
  SessionHandle out = f.call();
  f.reply(*f.invite, 183, "b2");
  ASSERT_TRUE(f.layer.hangup(out).ok());
  f.loop.runUntilIdle();
  EXPECT_EQ(f.layer.stats().sessions, 3u);
  EXPECT_EQ(f.layer.stats().createdTotal, 3u);
  auto sent = f.take();
  auto cancels = SessionFixture::requests(sent, "CANCEL");
  ASSERT_EQ(cancels.size(), 1u);
  f.reply(cancels[0].msg, 200);
  f.reply(*f.invite, 487, "b2");
  SessionFixture::PeerRequest bye;
  bye.method = "BYE";
  bye.branch = "z9hG4bKbye2";
  bye.callId = "peer-call-2";
  bye.fromTag = "ctag2";
  bye.cseq = 2;
  bye.toTag = f.ourTag(in2);
  bye.contact = false;
  f.inject(f.peerRequest(bye));
  EXPECT_EQ(f.observer.count("ended"), 3u);
  f.expectAllGone();
  EXPECT_EQ(f.layer.stats().createdTotal, 3u);
}

}  // namespace
}  // namespace tapi::sip::testing
