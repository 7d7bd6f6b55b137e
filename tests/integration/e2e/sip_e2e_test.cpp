// Two OpenTAPI SIP endpoints (engine + SIP provider each) on one loop: alice calls bob over
// real UDP/TCP sockets on loopback. For every termination origin the test checks what each
// side's application sees and that both sides' post-connection data agree.

#include <gtest/gtest.h>

#include <chrono>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "base/asio_loop.hpp"
#include "engine/engine.hpp"
#include "providers/sip/sip_provider.hpp"

namespace tapi {
namespace {

using namespace std::chrono_literals;

struct Side {
  std::unique_ptr<providers::sip::SipProvider> provider;
  std::unique_ptr<engine::Engine> eng;
  std::uint32_t hApp = 0;
  std::uint32_t hLine = 0;
  std::vector<Message> messages;
  std::vector<CallRecord> released;

  void collect() {
    if (hApp == 0) {
      return;
    }
    for (;;) {
      auto m = eng->getMessage(hApp);
      if (!m || !m->has_value()) {
        return;
      }
      messages.push_back(**m);
    }
  }
  std::optional<Message> state(CallState s) const {
    for (const auto& m : messages) {
      if (m.type == MessageType::CallState && m.param1 == static_cast<std::uint32_t>(s)) {
        return m;
      }
    }
    return std::nullopt;
  }
  std::optional<std::uint32_t> reply(spi::RequestId id) const {
    for (const auto& m : messages) {
      if (m.type == MessageType::Reply && m.param1 == id) {
        return m.param2;
      }
    }
    return std::nullopt;
  }
};

/** A side with no call of its own left to free (see Pair::deallocateThenReleased). */
constexpr std::uint32_t kNoCall = 0;

struct Options {
  bool tcp = false;
  engine::Config aliceEngine;
  std::chrono::seconds sessionExpires{1800};  // RFC 4028 interval both sides ask for
};

// Both records name the same SIP dialog and the same user-user exchange.
void expectAgree(const CallRecord& a, const CallRecord& b) {
  EXPECT_FALSE(a.cause.callRef.empty());
  EXPECT_EQ(a.cause.callRef, b.cause.callRef);
  EXPECT_EQ(a.called.number, "bob");
  EXPECT_EQ(b.caller.number, "alice");
  EXPECT_EQ(b.caller.name, "Alice");
}

class Pair {
 public:
  explicit Pair(const Options& o) {
    alice = make("alice", o.tcp, o.aliceEngine, o.sessionExpires);
    bob = make("bob", o.tcp, {}, o.sessionExpires);
  }
  ~Pair() {
    alice.eng.reset();
    bob.eng.reset();
    alice.provider.reset();
    bob.provider.reset();
    loop.context().poll();
  }

  Side make(const std::string& user, bool tcp, engine::Config ec,
            std::chrono::seconds sessionExpires) {
    providers::sip::SipProviderConfig cfg;
    cfg.listenUdp = "127.0.0.1:0";
    cfg.listenTcp = "127.0.0.1:0";
    cfg.rtpFirstPort = user == "alice" ? 32000 : 33000;
    cfg.rtpLastPort = cfg.rtpFirstPort + 999;
    cfg.timers.t1 = 50ms;
    cfg.timers.t2 = 200ms;
    cfg.timers.t4 = 250ms;
    cfg.timers.timerD = 250ms;
    cfg.tcpIdleTimeout = 4000ms;
    cfg.session.sessionExpires = sessionExpires;
    cfg.session.minSessionExpires = std::min<std::chrono::seconds>(sessionExpires, 90s);
    providers::sip::SipLineConfig l;
    l.user = user;
    l.domain = "127.0.0.1";
    l.displayName = user == "alice" ? "Alice" : "Bob";
    l.transport = tcp ? "tcp" : "udp";
    cfg.lines.push_back(l);
    Side s;
    auto p = providers::sip::SipProvider::create(loop, loop.context(), cfg);
    EXPECT_TRUE(p) << p.error().message();
    s.provider = std::move(*p);
    ec.onCallReleased = nullptr;
    s.eng = std::make_unique<engine::Engine>(loop, *s.provider, ec);
    s.hApp = *s.eng->initialize({user + "-app", kApiVersion22, 0, {}});
    engine::LineOpenParams op;
    op.privileges = static_cast<std::uint32_t>(Privilege::Owner);
    op.mediaModes = 0x4;
    s.hLine = *s.eng->open(s.hApp, op);
    return s;
  }

  bool runUntil(const std::function<bool()>& pred, std::chrono::milliseconds bound = 15s) {
    const auto deadline = std::chrono::steady_clock::now() + bound;
    for (;;) {
      if (alice.eng) {
        alice.collect();
      }
      if (bob.eng) {
        bob.collect();
      }
      if (pred()) {
        return true;
      }
      if (std::chrono::steady_clock::now() >= deadline) {
        return false;
      }
      loop.context().run_one_for(10ms);
    }
  }

  std::string bobUri(bool tcp) const {
    const auto port = tcp ? bob.provider->tcpEndpoint()->port : bob.provider->udpEndpoint()->port;
    return "sip:bob@127.0.0.1:" + std::to_string(port) + (tcp ? ";transport=tcp" : "");
  }

  /** alice calls bob; bob answers unless `answer` is false. Returns both call handles. */
  std::pair<std::uint32_t, std::uint32_t> call(bool tcp, bool answer, const std::string& uui = {}) {
    engine::CallParams cp;
    cp.userUserInfo = uui;
    auto mc = alice.eng->makeCall(alice.hApp, alice.hLine, bobUri(tcp), cp);
    EXPECT_TRUE(mc);
    if (!mc) {
      return {0, 0};
    }
    EXPECT_TRUE(waitState(bob, CallState::Offering));
    const std::uint32_t hb =
        bob.state(CallState::Offering) ? bob.state(CallState::Offering)->hDevice : 0;
    EXPECT_TRUE(waitState(alice, CallState::Ringback));
    if (answer) {
      auto rid = bob.eng->answer(bob.hApp, hb, "hi");
      EXPECT_TRUE(rid);
      EXPECT_TRUE(waitBoth(CallState::Connected, CallState::Connected));
    }
    return {mc->hCall, hb};
  }

  /** Runs until the app on `s` has seen a call go into `state`. */
  bool waitState(Side& s, CallState state, std::chrono::milliseconds bound = 15s) {
    return runUntil([&] { return s.state(state).has_value(); }, bound);
  }
  /** Runs until alice's app has seen `forAlice` and bob's `forBob`. */
  bool waitBoth(CallState forAlice, CallState forBob) {
    return runUntil(
        [&] { return alice.state(forAlice).has_value() && bob.state(forBob).has_value(); });
  }

  /** The app on `s` drops its call `h`, which goes IDLE. */
  void dropToIdle(Side& s, std::uint32_t h) {
    ASSERT_TRUE(s.eng->drop(s.hApp, h));
    ASSERT_TRUE(waitState(s, CallState::Idle));
  }

  /**
   * Each app deallocates its call (`ha` alice's, `hb` bob's; kNoCall where that side has
   * none left to free), and then neither side holds anything.
   */
  void deallocateThenReleased(std::uint32_t ha, std::uint32_t hb) {
    if (ha != kNoCall) {
      EXPECT_TRUE(alice.eng->deallocate(alice.hApp, ha));
    }
    if (hb != kNoCall) {
      EXPECT_TRUE(bob.eng->deallocate(bob.hApp, hb));
    }
    EXPECT_TRUE(released());
  }

  /** The usual end of a test: `dropper` drops its call (to IDLE), then deallocateThenReleased. */
  void dropThenRelease(Side& dropper, std::uint32_t ha, std::uint32_t hb) {
    ASSERT_NO_FATAL_FAILURE(dropToIdle(dropper, &dropper == &alice ? ha : hb));
    deallocateThenReleased(ha, hb);
  }

  /** Both sides' records of the call (alice's `ha`, bob's `hb`), which must agree. */
  std::pair<CallRecord, CallRecord> agreeingRecords(std::uint32_t ha, std::uint32_t hb) {
    std::pair<CallRecord, CallRecord> r{record(alice, ha), record(bob, hb)};
    expectAgree(r.first, r.second);
    return r;
  }

  CallRecord record(Side& s, std::uint32_t h) {
    auto i = s.eng->callInfo(s.hApp, h);
    EXPECT_TRUE(i);
    return i ? i->record : CallRecord{};
  }

  bool released() {
    return runUntil(
        [&] {
          for (Side* s : {&alice, &bob}) {
            if (!s->eng) {
              continue;  // this side was taken down by the test
            }
            const auto es = s->eng->stats();
            const auto ps = s->provider->sipStats();
            if (es.calls != 0 || es.handles != 0 || es.timers != 0 || !ps.allZero() ||
                ps.connections != 0) {
              return false;
            }
          }
          return true;
        },
        20s);
  }

  base::AsioLoop loop;
  Side alice;
  Side bob;
};

class E2eTest : public ::testing::TestWithParam<bool> {};

std::string name(const ::testing::TestParamInfo<bool>& p) {
  return p.param ? "Tcp" : "Udp";
}

TEST_P(E2eTest, CallerDropsConnectedCall) {
  Pair p({GetParam(), {}});
  auto [ha, hb] = p.call(GetParam(), true, "req");
  auto drop = p.alice.eng->drop(p.alice.hApp, ha, 0, "bye-a");
  ASSERT_TRUE(drop);
  ASSERT_TRUE(p.waitState(p.bob, CallState::Disconnected));
  ASSERT_TRUE(p.waitState(p.alice, CallState::Idle));
  EXPECT_EQ(p.bob.state(CallState::Disconnected)->param2, disconnect::Normal);
  const auto [a, b] = p.agreeingRecords(ha, hb);
  EXPECT_EQ(a.termination.origin, TerminationOrigin::Local);
  EXPECT_EQ(b.termination.origin, TerminationOrigin::Remote);
  EXPECT_EQ(b.cause.q850, 16);
  EXPECT_EQ(b.uuiReceived, "bye-a");
  EXPECT_EQ(a.uuiSent, "bye-a");
  EXPECT_TRUE(a.connectedAt && b.connectedAt);
  p.dropThenRelease(p.bob, ha, hb);
}

TEST_P(E2eTest, CalleeDropsConnectedCall) {
  Pair p({GetParam(), {}});
  auto [ha, hb] = p.call(GetParam(), true);
  ASSERT_TRUE(p.bob.eng->drop(p.bob.hApp, hb, 0, "bye-b"));
  ASSERT_TRUE(p.waitState(p.alice, CallState::Disconnected));
  EXPECT_EQ(p.alice.state(CallState::Disconnected)->param2, disconnect::Normal);
  const auto [a, b] = p.agreeingRecords(ha, hb);
  EXPECT_EQ(a.termination.origin, TerminationOrigin::Remote);
  EXPECT_EQ(b.termination.origin, TerminationOrigin::Local);
  EXPECT_EQ(a.uuiReceived, "bye-b");
  p.dropThenRelease(p.alice, ha, hb);
}

TEST_P(E2eTest, CalleeRejectsAsBusy) {
  Pair p({GetParam(), {}});
  auto [ha, hb] = p.call(GetParam(), false);
  ASSERT_TRUE(p.bob.eng->drop(p.bob.hApp, hb, disconnect::Busy, "busy!"));
  ASSERT_TRUE(p.waitState(p.alice, CallState::Disconnected));
  EXPECT_EQ(p.alice.state(CallState::Disconnected)->param2, disconnect::Busy);
  const auto [a, b] = p.agreeingRecords(ha, hb);
  EXPECT_EQ(a.cause.code, 486);
  EXPECT_EQ(a.cause.q850, 17);
  EXPECT_EQ(a.uuiReceived, "busy!");
  EXPECT_EQ(b.termination.origin, TerminationOrigin::Local);
  EXPECT_FALSE(a.connectedAt);
  p.dropThenRelease(p.alice, ha, hb);
}

// NODIALTONE sends nothing per the mapping; an offered call still needs a final answer, so
// the drop is made as a plain rejection (603) rather than leaving the INVITE hanging.
TEST_P(E2eTest, CalleeDropWithModeThatSendsNothingStillRejects) {
  Pair p({GetParam(), {}});
  auto [ha, hb] = p.call(GetParam(), false);
  ASSERT_TRUE(p.bob.eng->drop(p.bob.hApp, hb, disconnect::NoDialTone));
  ASSERT_TRUE(p.waitBoth(CallState::Disconnected, CallState::Idle));
  EXPECT_EQ(p.alice.state(CallState::Disconnected)->param2, disconnect::Reject);
  EXPECT_EQ(p.record(p.alice, ha).cause.code, 603);
  p.dropThenRelease(p.alice, ha, hb);
}

TEST_P(E2eTest, CallerCancelsWhileRinging) {
  Pair p({GetParam(), {}});
  auto [ha, hb] = p.call(GetParam(), false);
  ASSERT_TRUE(p.alice.eng->drop(p.alice.hApp, ha));
  ASSERT_TRUE(p.waitBoth(CallState::Idle, CallState::Idle));
  EXPECT_EQ(p.bob.state(CallState::Disconnected)->param2, disconnect::Cancelled);
  EXPECT_FALSE(p.alice.state(CallState::Disconnected));
  const auto [a, b] = p.agreeingRecords(ha, hb);
  EXPECT_EQ(a.termination.origin, TerminationOrigin::Local);
  EXPECT_EQ(b.termination.origin, TerminationOrigin::Remote);
  p.deallocateThenReleased(ha, hb);
}

TEST_P(E2eTest, NoAnswerPolicyCancelsWithCause19) {
  Options o{GetParam(), {}};
  o.aliceEngine.noAnswerTimeout = 300ms;
  Pair p(o);
  auto [ha, hb] = p.call(GetParam(), false);
  ASSERT_TRUE(p.waitBoth(CallState::Disconnected, CallState::Idle));
  EXPECT_EQ(p.alice.state(CallState::Disconnected)->param2, disconnect::NoAnswer);
  EXPECT_EQ(p.bob.state(CallState::Disconnected)->param2, disconnect::NoAnswer);
  const auto [a, b] = p.agreeingRecords(ha, hb);
  EXPECT_EQ(a.termination.origin, TerminationOrigin::Policy);
  EXPECT_EQ(a.termination.policy, Policy::NoAnswer);
  EXPECT_EQ(b.cause.q850, 19);
  p.dropThenRelease(p.alice, ha, hb);
}

TEST_P(E2eTest, MaxDurationPolicyHangsUp) {
  Options o{GetParam(), {}};
  o.aliceEngine.maxDuration = 300ms;
  Pair p(o);
  auto [ha, hb] = p.call(GetParam(), true);
  ASSERT_TRUE(p.waitBoth(CallState::Disconnected, CallState::Disconnected));
  EXPECT_EQ(p.bob.state(CallState::Disconnected)->param2, disconnect::Normal);
  const auto [a, b] = p.agreeingRecords(ha, hb);
  EXPECT_EQ(a.termination.origin, TerminationOrigin::Policy);
  EXPECT_EQ(a.termination.policy, Policy::MaxDuration);
  EXPECT_EQ(b.termination.origin, TerminationOrigin::Remote);
  EXPECT_EQ(b.cause.q850, 16);
  for (Side* s : {&p.alice, &p.bob}) {
    const std::uint32_t h = s == &p.alice ? ha : hb;
    ASSERT_TRUE(s->eng->drop(s->hApp, h));
  }
  ASSERT_TRUE(p.waitBoth(CallState::Idle, CallState::Idle));
  p.deallocateThenReleased(ha, hb);
}

TEST_P(E2eTest, CallerClosesLine) {
  Pair p({GetParam(), {}});
  auto [ha, hb] = p.call(GetParam(), true);
  ASSERT_TRUE(p.alice.eng->close(p.alice.hApp, p.alice.hLine));
  ASSERT_TRUE(p.waitState(p.bob, CallState::Disconnected));
  const CallRecord b = p.record(p.bob, hb);
  EXPECT_EQ(b.termination.origin, TerminationOrigin::Remote);
  EXPECT_EQ(p.bob.state(CallState::Disconnected)->param2, disconnect::Normal);
  const auto a = p.alice.eng->callRecords();
  (void)ha;
  p.dropThenRelease(p.bob, kNoCall, hb);
}

TEST_P(E2eTest, CallerAppShutsDown) {
  Pair p({GetParam(), {}});
  std::vector<CallRecord> aliceReleased;
  auto [ha, hb] = p.call(GetParam(), true);
  (void)ha;
  ASSERT_TRUE(p.alice.eng->shutdown(p.alice.hApp));
  p.alice.hApp = 0;
  ASSERT_TRUE(p.waitState(p.bob, CallState::Disconnected));
  EXPECT_EQ(p.bob.state(CallState::Disconnected)->param2, disconnect::Normal);
  EXPECT_EQ(p.record(p.bob, hb).termination.origin, TerminationOrigin::Remote);
  p.dropThenRelease(p.bob, kNoCall, hb);
}

TEST_P(E2eTest, CallerServerShutsDown) {
  Pair p({GetParam(), {}});
  auto [ha, hb] = p.call(GetParam(), true);
  (void)ha;
  p.alice.provider->beginShutdown();
  p.alice.eng->shutdownAll();
  ASSERT_TRUE(p.waitState(p.bob, CallState::Disconnected));
  EXPECT_EQ(p.bob.state(CallState::Disconnected)->param2, disconnect::Normal);
  EXPECT_EQ(p.record(p.bob, hb).cause.q850, 16);
  ASSERT_TRUE(p.runUntil([&] { return p.alice.provider->drained(); }));
  ASSERT_NO_FATAL_FAILURE(p.dropToIdle(p.bob, hb));
  EXPECT_TRUE(p.bob.eng->deallocate(p.bob.hApp, hb));
  ASSERT_TRUE(p.alice.eng->shutdown(p.alice.hApp));
  p.alice.hApp = 0;
  EXPECT_TRUE(p.released());
}

// The far end is gone before the call: over TCP the connection is refused (a provider
// failure, the INVITE could not be sent); over UDP nothing answers and Timer B ends it.
TEST_P(E2eTest, FarEndGone) {
  Pair p({GetParam(), {}});
  const std::string uri = p.bobUri(GetParam());
  p.bob.eng.reset();
  p.bob.provider.reset();
  auto mc = p.alice.eng->makeCall(p.alice.hApp, p.alice.hLine, uri);
  ASSERT_TRUE(mc);
  ASSERT_TRUE(p.waitState(p.alice, CallState::Disconnected, 20s));
  const CallRecord a = p.record(p.alice, mc->hCall);
  if (GetParam()) {
    EXPECT_EQ(a.termination.origin, TerminationOrigin::ProviderFailure);
  } else {
    EXPECT_EQ(a.termination.origin, TerminationOrigin::Remote);
    EXPECT_EQ(p.alice.state(CallState::Disconnected)->param2, disconnect::Unreachable);
  }
  EXPECT_FALSE(a.cause.callRef.empty());
  p.dropThenRelease(p.alice, mc->hCall, kNoCall);
}

// RFC 4028: alice (the caller) is the refresher; when she vanishes without a BYE, bob's
// session timer ends the call: BYE with Q.850 102, mode TEMPFAILURE, origin policy.
TEST_P(E2eTest, SessionTimerExpiresWhenRefresherVanishes) {
  Options o{GetParam(), {}};
  o.sessionExpires = 2s;
  Pair p(o);
  auto [ha, hb] = p.call(GetParam(), true);
  (void)ha;
  // A refresh arrives at half the interval while both are up.
  ASSERT_TRUE(p.runUntil([&] { return false; }, 1500ms) == false);
  EXPECT_FALSE(p.bob.state(CallState::Disconnected)) << "the refresh kept the session alive";
  p.alice.eng.reset();
  p.alice.provider.reset();
  p.alice.hApp = 0;
  ASSERT_TRUE(p.waitState(p.bob, CallState::Disconnected, 10s));
  EXPECT_EQ(p.bob.state(CallState::Disconnected)->param2, disconnect::TempFailure);
  const CallRecord b = p.record(p.bob, hb);
  EXPECT_EQ(b.termination.origin, TerminationOrigin::Policy);
  EXPECT_EQ(b.termination.policy, Policy::SessionTimer);
  EXPECT_EQ(b.cause.q850, 102);
  p.dropThenRelease(p.bob, kNoCall, hb);
}

INSTANTIATE_TEST_SUITE_P(Transports, E2eTest, ::testing::Values(false, true), name);

}  // namespace
}  // namespace tapi
