// The UAC session's state machine: its table of allowed transitions, the state summary the
// owner sees, and a refused transition (counted, and the state kept).

#include "sip/session/uac_session.hpp"

#include <gtest/gtest.h>

#include "session_fixture.hpp"
#include "sip/session/session_layer.hpp"

namespace tapi::sip::testing {
namespace {

using Uac = session::UacSession;
using S = Uac::State;

TEST(UacSessionTable, HasTheArrowsOfAnInviteWeSent) {
  EXPECT_TRUE(Uac::allowed(S::Calling, S::Early));
  EXPECT_TRUE(Uac::allowed(S::Calling, S::Cancelling));
  EXPECT_TRUE(Uac::allowed(S::Calling, S::Confirmed));
  EXPECT_TRUE(Uac::allowed(S::Cancelling, S::Terminating));
  EXPECT_TRUE(Uac::allowed(S::Early, S::Calling)) << "the INVITE re-sent after 401/407/422";
  EXPECT_TRUE(Uac::allowed(S::Early, S::Terminating));
  EXPECT_TRUE(Uac::allowed(S::Early, S::Confirmed));
  EXPECT_TRUE(Uac::allowed(S::Terminating, S::Terminated));
  EXPECT_TRUE(Uac::allowed(S::Confirmed, S::Terminated));
  for (S from : {S::Calling, S::Cancelling, S::Early, S::Terminating, S::Confirmed}) {
    EXPECT_TRUE(Uac::allowed(from, S::Terminated)) << Uac::toString(from);
  }
}

TEST(UacSessionTable, RefusesArrowsNoEventTakes) {
  EXPECT_FALSE(Uac::allowed(S::Early, S::Cancelling)) << "the CANCEL goes at once once early";
  EXPECT_FALSE(Uac::allowed(S::Terminating, S::Confirmed)) << "a 2xx after CANCEL is BYEd";
  EXPECT_FALSE(Uac::allowed(S::Cancelling, S::Confirmed));
  EXPECT_FALSE(Uac::allowed(S::Confirmed, S::Early));
  EXPECT_FALSE(Uac::allowed(S::Confirmed, S::Calling));
  for (S to : {S::Calling, S::Cancelling, S::Early, S::Terminating, S::Confirmed, S::Terminated}) {
    EXPECT_FALSE(Uac::allowed(S::Terminated, to)) << Uac::toString(to);
    EXPECT_FALSE(Uac::allowed(to, to)) << Uac::toString(to);
  }
}

TEST(UacSessionTable, CancellingLooksLikeCallingToTheOwner) {
  SessionFixture f(Protocol::Udp);
  SessionHandle h = f.call();
  ASSERT_TRUE(f.layer.hangup(h).ok());
  auto* s = static_cast<Uac*>(f.layer.find(h));
  ASSERT_NE(s, nullptr);
  EXPECT_EQ(s->state(), S::Cancelling);
  EXPECT_EQ(f.layer.state(h), SessionState::Calling);
  f.reply(*f.invite, 180, "bob-tag");
  EXPECT_EQ(s->state(), S::Terminating);
  EXPECT_EQ(f.layer.state(h), SessionState::Terminating);
  EXPECT_EQ(f.layer.stats().rejectedTransitions, 0u);
}

TEST(UacSessionTable, ARefusedTransitionIsCountedAndChangesNothing) {
  SessionFixture f(Protocol::Udp);
  SessionHandle h = f.ringingUac();
  auto* s = static_cast<Uac*>(f.layer.find(h));
  ASSERT_NE(s, nullptr);
  ASSERT_EQ(s->state(), S::Early);
  EXPECT_FALSE(s->transitionTo(S::Cancelling));
  EXPECT_EQ(s->state(), S::Early);
  EXPECT_EQ(f.layer.state(h), SessionState::Early);
  EXPECT_EQ(f.layer.stats().rejectedTransitions, 1u);
  EXPECT_TRUE(s->transitionTo(S::Terminating)) << "an allowed arrow still goes";
  EXPECT_EQ(f.layer.stats().rejectedTransitions, 1u);
}

}  // namespace
}  // namespace tapi::sip::testing
