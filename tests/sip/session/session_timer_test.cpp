// RFC 4028 session-interval negotiation and refresh failures, on the simulated clock.

#include <gtest/gtest.h>

#include <chrono>

#include "session_fixture.hpp"
#include "sip/session/session_layer.hpp"

namespace tapi::sip::testing {
namespace {

using namespace std::chrono_literals;

// §7.4: a 422 carries the peer's Min-SE; the INVITE goes again (new CSeq, same Call-ID and
// From tag) asking for that interval, once. A second 422 ends the call.
TEST(SessionInterval, TooSmallIsRetriedOnceWithThePeersMinSe) {
  SessionFixture f(Protocol::Udp);
  SessionHandle h = f.call();
  const SipMessage first = f.invite->clone();
  f.reply(first, 422, "t1", {{"Min-SE", "3600"}});
  auto sent = f.take();
  auto again = SessionFixture::requests(sent, "INVITE");
  ASSERT_EQ(again.size(), 1u) << SessionFixture::describe(sent);
  const SipMessage& second = again[0].msg;
  EXPECT_EQ(second.cseq().number, first.cseq().number + 1);
  EXPECT_EQ(second.callId(), first.callId());
  EXPECT_EQ(second.from().tag(), first.from().tag());
  EXPECT_EQ(second.header("Session-Expires"), "3600");
  EXPECT_EQ(second.header("Min-SE"), "3600");
  EXPECT_TRUE(f.observer.of("ended").empty());
  f.invite = second.clone();
  f.reply(second, 422, "t2", {{"Min-SE", "7200"}});
  EXPECT_TRUE(SessionFixture::requests(f.take(), "INVITE").empty()) << "one retry only";
  auto ended = f.observer.of("ended");
  ASSERT_EQ(ended.size(), 1u);
  EXPECT_EQ(ended[0].end, EndKind::FinalResponse);
  EXPECT_EQ(f.layer.state(h), SessionState::Terminated);
  f.expectAllGone();
}

// §10: only 408, 481 or a timeout end the session at once; after another failure the
// session lives until it expires (here: no refresh from the peer either).
TEST(SessionInterval, RefreshRefusedOtherwiseLeavesTheSessionToExpire) {
  SessionFixture f(Protocol::Udp);
  SessionHandle h = f.establishUac({{"Session-Expires", "90;refresher=uac"}});
  f.loop.advance(45s);
  auto refresh = SessionFixture::requests(f.take(), "INVITE");
  ASSERT_EQ(refresh.size(), 1u);
  f.reply(refresh[0].msg, 488);
  auto sent = f.take();
  EXPECT_TRUE(SessionFixture::requests(sent, "BYE").empty()) << SessionFixture::describe(sent);
  EXPECT_EQ(f.layer.state(h), SessionState::Confirmed);
  EXPECT_TRUE(f.observer.of("ended").empty());
  f.loop.advance(45s);
  sent = f.take();
  auto byes = SessionFixture::requests(sent, "BYE");
  ASSERT_FALSE(byes.empty()) << SessionFixture::describe(sent);
  EXPECT_NE(byes[0].msg.header("Reason").value_or("").find("cause=102"), std::string_view::npos);
  auto ended = f.observer.of("ended");
  ASSERT_EQ(ended.size(), 1u);
  EXPECT_EQ(ended[0].end, EndKind::SessionExpired);
  EXPECT_EQ(ended[0].endError, Errc::Timeout);
  f.reply(byes[0].msg, 200);
  f.expectAllGone();
}

}  // namespace
}  // namespace tapi::sip::testing
