// The UAS session's state machine: its table of allowed transitions and a refused
// transition (counted, and the state kept).

#include "sip/session/uas_session.hpp"

#include <gtest/gtest.h>

#include "session_fixture.hpp"
#include "sip/session/session_layer.hpp"

namespace tapi::sip::testing {
namespace {

using Uas = session::UasSession;
using S = Uas::State;

TEST(UasSessionTable, HasTheArrowsOfAnInviteWeReceived) {
  EXPECT_TRUE(Uas::allowed(S::Offered, S::Accepted));
  EXPECT_TRUE(Uas::allowed(S::Offered, S::Terminated));
  EXPECT_TRUE(Uas::allowed(S::Accepted, S::Confirmed));
  EXPECT_TRUE(Uas::allowed(S::Accepted, S::Terminated));
  EXPECT_TRUE(Uas::allowed(S::Confirmed, S::Terminated));
}

TEST(UasSessionTable, RefusesArrowsNoEventTakes) {
  EXPECT_FALSE(Uas::allowed(S::Offered, S::Confirmed)) << "confirmed only by the ACK of a 2xx";
  EXPECT_FALSE(Uas::allowed(S::Accepted, S::Offered));
  EXPECT_FALSE(Uas::allowed(S::Confirmed, S::Accepted));
  for (S to : {S::Offered, S::Accepted, S::Confirmed, S::Terminated}) {
    EXPECT_FALSE(Uas::allowed(S::Terminated, to)) << Uas::toString(to);
    EXPECT_FALSE(Uas::allowed(to, to)) << Uas::toString(to);
  }
}

TEST(UasSessionTable, ARefusedTransitionIsCountedAndChangesNothing) {
  SessionFixture f(Protocol::Udp);
  SessionHandle h = f.incoming();
  auto* s = static_cast<Uas*>(f.layer.find(h));
  ASSERT_NE(s, nullptr);
  ASSERT_EQ(s->state(), S::Offered);
  EXPECT_FALSE(s->transitionTo(S::Confirmed));
  EXPECT_EQ(s->state(), S::Offered);
  EXPECT_EQ(f.layer.state(h), SessionState::Offered);
  EXPECT_EQ(f.layer.stats().rejectedTransitions, 1u);
  // The session still works as before: it can be answered and confirmed.
  ASSERT_TRUE(f.layer.answer(h, std::string(SessionFixture::kOurSdp), "<sip:alice@10.0.0.1>").ok());
  EXPECT_EQ(s->state(), S::Accepted);
  f.inject(f.ackFor(h));
  EXPECT_EQ(s->state(), S::Confirmed);
  EXPECT_EQ(f.layer.stats().rejectedTransitions, 1u);
}

}  // namespace
}  // namespace tapi::sip::testing
