// SipProvider on a LoopTransport and the simulated clock, with a fake engine (spi::Events)
// and the test as the far end: the SIP <-> TAPI mapping of /work/shared/spec/sip-mapping.md
// (call states both ways, disconnect modes from statuses and Reason headers, drop, answer
// and reject, CANCEL, BYE from either side, the timers) without SIPp or sockets. Every
// test ends with the provider holding nothing.

#include <gtest/gtest.h>

#include <chrono>
#include <functional>
#include <memory>
#include <optional>
#include <ostream>
#include <string>
#include <system_error>
#include <tuple>
#include <vector>

#include "base/sim_loop.hpp"
#include "mocks/sip/scripted_peer.hpp"
#include "mocks/spi/fake_events.hpp"
#include "providers/sip/sip_provider.hpp"
#include "sip/errc.hpp"
#include "sip/transport/loop_transport.hpp"

namespace tapi {
// Readable call states in failure messages.
inline void PrintTo(CallState s, std::ostream* os) {
  *os << toString(s);
}
}  // namespace tapi

namespace tapi::providers::sip {
namespace {

using namespace std::chrono_literals;
using tapi::sip::testing::PeerDialog;
using tapi::sip::testing::ScriptedPeer;
using tapi::sip::transport::Endpoint;
using tapi::sip::transport::LoopTransport;
using tapi::sip::transport::Protocol;
using Out = ScriptedPeer::Out;
using States = std::vector<CallState>;
namespace dm = tapi::disconnect;

constexpr spi::EngineCallId kHt = 77;  // the fake engine's id for our outgoing calls
const char* const kBob = "sip:bob@10.0.0.2:5070";

Endpoint ep(const char* ip, std::uint16_t port) {
  return Endpoint{boost::asio::ip::make_address(ip), port};
}

struct StatusCase;
Protocol protocolOf(Protocol p) {
  return p;
}
Protocol protocolOf(const std::tuple<Protocol, const StatusCase*>& p) {
  return std::get<0>(p);
}

/**
 * The provider with one line (alice) on a LoopTransport posing as the parameter's
 * protocol, the fake engine, and the peer at 10.0.0.2:5070.
 */
template <typename Param>
class ProviderTest : public ::testing::TestWithParam<Param> {
 protected:
  ProviderTest()
      : wire(loop, protocolOf(this->GetParam()), ep("10.0.0.1", 5060)), peer(loop, wire) {}

  void SetUp() override { start(); }

  void TearDown() override {
    if (provider) {
      EXPECT_TRUE(releasedEverything()) << stats();
    }
  }

  /** (Re)creates the provider with `edit` applied to the configuration; opens line 0. */
  void start(const std::function<void(SipProviderConfig&)>& edit = {}) {
    provider.reset();
    SipProviderConfig cfg;
    cfg.rtpAddress = "127.0.0.1";
    cfg.rtpFirstPort = 47000;
    cfg.rtpLastPort = 47999;
    SipLineConfig l;
    l.name = "sip/alice";
    l.user = "alice";
    l.domain = "10.0.0.1";
    l.displayName = "Alice";
    l.transport = tcp() ? "tcp" : "udp";
    cfg.lines.push_back(l);
    if (edit) {
      edit(cfg);
    }
    auto p = SipProvider::createOnTransports(loop, tcp() ? nullptr : &wire, tcp() ? &wire : nullptr,
                                             cfg);
    ASSERT_TRUE(p) << p.error().message();
    provider = std::move(*p);
    provider->setEvents(&events);
    ASSERT_TRUE(provider->openLine(0));
  }

  bool tcp() const { return protocolOf(this->GetParam()) == Protocol::Tcp; }
  std::string dest() const { return std::string(kBob) + (tcp() ? ";transport=tcp" : ""); }

  std::string stats() const {
    const SipStats s = provider->sipStats();
    return "calls " + std::to_string(s.calls) + " pending " + std::to_string(s.pendingRequests) +
           " sessions " + std::to_string(s.sessions) + " dialogs " + std::to_string(s.dialogs) +
           " transactions " + std::to_string(s.transactions) + " timers " +
           std::to_string(s.timers) + " rtp " + std::to_string(s.rtpPorts);
  }

  /** The engine side forgets every call, and time runs out every lingering transaction. */
  bool releasedEverything() {
    for (spi::ProviderCallId c : calls_) {
      provider->closeCall(c);
    }
    loop.runUntilIdle();
    (void)peer.take();
    loop.advance(64s);
    (void)peer.take();
    return provider->sipStats().allZero();
  }

  // ---- our side: outgoing ------------------------------------------------------------------

  /** lineMakeCall to `to`; the INVITE it sent. The request has completed. */
  std::optional<Out> makeCall(const std::string& uui = {}, std::string to = {}) {
    spi::MakeCallParams mp;
    mp.destination = to.empty() ? dest() : to;
    mp.userUserInfo = uui;
    const spi::RequestId rid = nextRequest_++;
    auto r = provider->makeCall(rid, 0, ht, mp);
    EXPECT_TRUE(r) << r.error().message();
    if (!r) {
      return std::nullopt;
    }
    call = *r;
    calls_.push_back(call);
    loop.runUntilIdle();
    EXPECT_TRUE(events.completion(rid).has_value() && events.completion(rid)->ok());
    auto inv = peer.takeRequest("INVITE");
    if (inv) {
      invite = inv->msg.clone();
      callee = ScriptedPeer::answering(*invite, "bob-tag");
    }
    return inv;
  }
  /** makeCall() and the peer's 180: RINGBACK. */
  void ringing() {
    ASSERT_TRUE(makeCall());
    peer.reply(*invite, 180, "bob-tag", {{"Contact", "<sip:bob@10.0.0.2:5070>"}});
  }
  /** ringing() and the peer's 200 (ACKed): CONNECTED. */
  void connectedOut(const std::vector<std::pair<std::string, std::string>>& extra = {}) {
    ASSERT_NO_FATAL_FAILURE(ringing());
    auto headers = extra;
    headers.insert(headers.begin(), {"Contact", "<sip:bob@10.0.0.2:5070>"});
    peer.reply(*invite, 200, "bob-tag", headers, ScriptedPeer::sdpOffer());
    ASSERT_TRUE(peer.takeRequest("ACK"));
  }

  // ---- our side: incoming ------------------------------------------------------------------

  /** The peer calls alice; the call the engine was told of (its ht), 0 if none. */
  spi::EngineCallId incoming(const std::string& extra = {}, std::string body = "-") {
    caller = peer.callTo("alice");
    if (body == "-") {
      body = ScriptedPeer::sdpOffer();
    }
    const std::size_t before = events.newCalls().size();
    peer.send(peer.request(caller, "INVITE", extra, body));
    const auto calls = events.newCalls();
    if (calls.size() != before + 1) {
      return 0;
    }
    call = calls.back().hdCall;
    calls_.push_back(call);
    return calls.back().call;
  }
  /** incoming() and lineAnswer: the 200 is in `ok`. */
  spi::EngineCallId answered(const std::string& uui = {}) {
    const spi::EngineCallId in = incoming();
    EXPECT_NE(in, 0u);
    const spi::RequestId rid = nextRequest_++;
    EXPECT_TRUE(provider->answer(rid, call, uui));
    loop.runUntilIdle();
    EXPECT_TRUE(events.completion(rid).has_value() && events.completion(rid)->ok());
    auto okr = peer.takeResponse(200, "INVITE");
    if (okr) {
      ok = okr->msg.clone();
      ScriptedPeer::learnTag(caller, *ok);
    }
    return in;
  }
  /** answered() and the peer's ACK. */
  spi::EngineCallId confirmedIn() {
    const spi::EngineCallId in = answered();
    peer.send(peer.request(caller, "ACK"));
    return in;
  }

  // ---- requests ----------------------------------------------------------------------------

  /** lineDrop; its request id. */
  spi::RequestId drop(std::uint32_t mode = 0, const std::string& uui = {}) {
    const spi::RequestId rid = nextRequest_++;
    auto r = provider->drop(rid, call, mode, uui);
    EXPECT_TRUE(r) << r.error().message();
    loop.runUntilIdle();
    return rid;
  }
  bool completedOk(spi::RequestId rid) const {
    auto c = events.completion(rid);
    return c.has_value() && c->ok() && events.completions(rid) == 1;
  }

  /** The Reason header of `m`, or "". */
  static std::string reasonOf(const Out& m) {
    return std::string(m.msg.header("Reason").value_or(""));
  }

  base::SimLoop loop;
  LoopTransport wire;
  ScriptedPeer peer;
  spi::testing::FakeEvents events;
  std::unique_ptr<SipProvider> provider;
  spi::ProviderCallId call = 0;  // the call under test
  spi::EngineCallId ht = kHt;    // the engine's id for the next outgoing call
  std::optional<tapi::sip::message::SipMessage> invite;  // our INVITE (outgoing)
  std::optional<tapi::sip::message::SipMessage> ok;      // our 200 (incoming)
  PeerDialog callee;                                     // the peer answering our INVITE
  PeerDialog caller;                                     // the peer calling us

 private:
  std::vector<spi::ProviderCallId> calls_;
  spi::RequestId nextRequest_ = 1;
};

using SipProviderTest = ProviderTest<Protocol>;

std::string protocolName(const ::testing::TestParamInfo<Protocol>& p) {
  return p.param == Protocol::Tcp ? "Tcp" : "Udp";
}

// ==== outgoing calls: states ================================================================

TEST_P(SipProviderTest, OutgoingCallStatesAndInfo) {
  auto inv = makeCall("\x04hi");
  ASSERT_TRUE(inv);
  EXPECT_EQ(inv->msg.from().unquotedDisplayName(), "Alice");
  EXPECT_EQ(inv->msg.header("User-to-User").value_or("").rfind("046869;encoding=hex", 0), 0u);
  EXPECT_EQ(events.states(kHt), States{CallState::Dialing});
  const spi::CallInfoUpdate info = events.info(kHt);
  ASSERT_TRUE(info.caller && info.called && info.cause);
  EXPECT_EQ(info.caller->number, "alice");
  EXPECT_EQ(info.called->number, "bob");
  EXPECT_EQ(info.cause->callRef, std::string(inv->msg.callId()));
  peer.reply(*invite, 100);
  peer.reply(*invite, 183, "bob-tag");
  EXPECT_EQ(events.states(kHt), (States{CallState::Dialing, CallState::Proceeding}))
      << "one PROCEEDING for every provisional before ringing";
  peer.reply(*invite, 180, "bob-tag", {{"User-to-User", "0472696e67;encoding=hex"}});
  EXPECT_EQ(events.info(kHt).userUserInfo, std::string("\x04ring"));
  peer.reply(*invite, 200, "bob-tag",
             {{"Contact", "<sip:bob@10.0.0.2:5070>"}, {"User-to-User", "0479;encoding=hex"}},
             ScriptedPeer::sdpOffer());
  EXPECT_TRUE(peer.takeRequest("ACK"));
  EXPECT_EQ(events.states(kHt), (States{CallState::Dialing, CallState::Proceeding,
                                        CallState::Ringback, CallState::Connected}));
  EXPECT_EQ(events.modeOf(kHt, CallState::Connected), connectedmode::Active);
  EXPECT_EQ(events.info(kHt).connected->number, "bob");
  EXPECT_EQ(events.info(kHt).userUserInfo, std::string("\x04y"));
}

TEST_P(SipProviderTest, MakeCallRefusals) {
  spi::MakeCallParams mp;
  mp.destination = dest();
  mp.userUserInfo = std::string(129, 'x');
  EXPECT_EQ(provider->makeCall(90, 0, kHt, mp).lineErr(), LineErr::UserUserInfoTooBig);
  mp.userUserInfo.clear();
  mp.destination = "bob <sip:bob@10.0.0.2>";
  EXPECT_EQ(provider->makeCall(91, 0, kHt, mp).lineErr(), LineErr::InvalAddress);
  mp.destination = "sips:bob@10.0.0.2";
  EXPECT_EQ(provider->makeCall(92, 0, kHt, mp).lineErr(), LineErr::InvalAddress);
  mp.destination = dest();
  EXPECT_EQ(provider->makeCall(93, 5, kHt, mp).lineErr(), LineErr::OperationFailed);
  provider->beginShutdown();
  EXPECT_EQ(provider->makeCall(94, 0, kHt, mp).lineErr(), LineErr::OperationUnavail);
  loop.runUntilIdle();
  EXPECT_TRUE(peer.take().empty());
  EXPECT_TRUE(events.events.empty()) << "a refused request never completes";
}

// ==== outgoing calls: timers and the transport (§1 rows 9, 11) ==============================

TEST_P(SipProviderTest, NoAnswerAtAllIsUnreachableAfterTimerB) {
  ASSERT_TRUE(makeCall());
  loop.advance(31s);
  EXPECT_FALSE(events.modeOf(kHt, CallState::Disconnected)) << "Timer B is 64*T1 = 32 s";
  loop.advance(1s);
  EXPECT_EQ(events.modeOf(kHt, CallState::Disconnected), dm::Unreachable);
  ASSERT_TRUE(events.cause(kHt));
  EXPECT_EQ(events.cause(kHt)->q850, 102);
  if (!tcp()) {
    EXPECT_FALSE(peer.take().empty()) << "the INVITE was retransmitted";
  }
  EXPECT_TRUE(completedOk(drop()));
}

TEST_P(SipProviderTest, InviteThatCannotBeSentIsUnreachable) {
  wire.failSends(std::make_error_code(std::errc::network_unreachable), 100);
  spi::MakeCallParams mp;
  mp.destination = dest();
  auto r = provider->makeCall(900, 0, kHt, mp);
  ASSERT_TRUE(r);
  call = *r;
  loop.runUntilIdle();
  EXPECT_EQ(events.modeOf(kHt, CallState::Disconnected), dm::Unreachable);
  EXPECT_EQ(events.info(kHt).endHint, spi::EndHint::ProviderFailure);
  EXPECT_TRUE(completedOk(drop()));
  provider->closeCall(call);
}

// ==== outgoing calls: the application drops (§2a, §1 rows 1, 1a, 1b, 4) =====================

TEST_P(SipProviderTest, DropBeforeAnyProvisionalWaitsThenCancels) {
  ASSERT_TRUE(makeCall());
  const spi::RequestId rid = drop();
  EXPECT_TRUE(peer.take().empty()) << "no CANCEL before a provisional (RFC 3261 §9.1)";
  EXPECT_FALSE(events.completion(rid));
  peer.reply(*invite, 180, "bob-tag");
  auto cancel = peer.takeRequest("CANCEL");
  ASSERT_TRUE(cancel);
  EXPECT_EQ(reasonOf(*cancel).rfind("Q.850;cause=16", 0), 0u) << reasonOf(*cancel);
  peer.reply(cancel->msg, 200);
  peer.reply(*invite, 487, "bob-tag");
  EXPECT_TRUE(peer.takeRequest("ACK"));
  EXPECT_TRUE(completedOk(rid));
  EXPECT_EQ(events.states(kHt).back(), CallState::Idle);
  EXPECT_FALSE(events.modeOf(kHt, CallState::Disconnected)) << "a local drop has no mode";
}

TEST_P(SipProviderTest, DropBeforeAnyProvisionalThenFinalSendsNoCancel) {
  ASSERT_TRUE(makeCall());
  const spi::RequestId rid = drop();
  peer.reply(*invite, 486, "bob-tag");
  const auto sent = peer.take();
  ASSERT_EQ(sent.size(), 1u) << ScriptedPeer::describe(sent);
  EXPECT_TRUE(sent[0].isRequest("ACK"));
  EXPECT_TRUE(completedOk(rid));
  EXPECT_EQ(events.states(kHt), (States{CallState::Dialing, CallState::Idle}));
  EXPECT_EQ(events.cause(kHt)->code, 486);
}

struct CancelCase {
  std::uint32_t mode;
  const char* reason;  // the Reason the CANCEL carries
  int q850;            // recorded
};

TEST_P(SipProviderTest, DropWhileRingingCancelsWithTheModesReason) {
  const CancelCase cases[] = {
      {0, "Q.850;cause=16", 16},
      {dm::Normal, "Q.850;cause=16", 16},
      {dm::NoAnswer, "Q.850;cause=19", 19},  // the no-answer timer
      {dm::Pickup, "SIP;cause=200;text=\"Call completed elsewhere\"", 0},
  };
  for (const CancelCase& cc : cases) {
    SCOPED_TRACE(disconnectModeName(cc.mode));
    ++ht;
    ASSERT_NO_FATAL_FAILURE(ringing());
    const spi::RequestId rid = drop(cc.mode);
    auto cancel = peer.takeRequest("CANCEL");
    ASSERT_TRUE(cancel);
    EXPECT_EQ(reasonOf(*cancel).rfind(cc.reason, 0), 0u) << reasonOf(*cancel);
    EXPECT_FALSE(events.completion(rid)) << "done when the INVITE's final answer came";
    peer.reply(cancel->msg, 200);
    peer.reply(*invite, 487, "bob-tag");
    EXPECT_TRUE(peer.takeRequest("ACK"));
    EXPECT_TRUE(completedOk(rid));
    EXPECT_EQ(events.states(ht),
              (States{CallState::Dialing, CallState::Ringback, CallState::Idle}));
    ASSERT_TRUE(events.cause(ht));
    EXPECT_EQ(events.cause(ht)->code, 487);
    EXPECT_EQ(events.cause(ht)->q850, cc.q850);
    EXPECT_EQ(events.cause(ht)->text.rfind("487 Request Terminated; ", 0), 0u)
        << events.cause(ht)->text;
  }
}

TEST_P(SipProviderTest, CancelCrossingTheTwoHundredEndsWithAckAndBye) {
  ASSERT_NO_FATAL_FAILURE(ringing());
  const spi::RequestId rid = drop();
  auto cancel = peer.takeRequest("CANCEL");
  ASSERT_TRUE(cancel);
  peer.reply(cancel->msg, 200);
  peer.reply(*invite, 200, "bob-tag", {{"Contact", "<sip:bob@10.0.0.2:5070>"}},
             ScriptedPeer::sdpOffer());
  const auto sent = peer.take();
  ASSERT_EQ(sent.size(), 2u) << ScriptedPeer::describe(sent);
  EXPECT_TRUE(sent[0].isRequest("ACK"));
  EXPECT_TRUE(sent[1].isRequest("BYE"));
  peer.reply(sent[1].msg, 200);
  EXPECT_TRUE(completedOk(rid));
  EXPECT_EQ(events.states(kHt).back(), CallState::Idle);
  EXPECT_FALSE(events.modeOf(kHt, CallState::Disconnected));
}

TEST_P(SipProviderTest, DropOfConnectedCallSendsByeWithTheModesCause) {
  const std::pair<std::uint32_t, int> cases[] = {
      {0, 16}, {dm::Normal, 16}, {dm::TempFailure, 41}, {dm::Unknown, 31}, {dm::Unavail, 31}};
  for (const auto& [mode, q850] : cases) {
    SCOPED_TRACE(disconnectModeName(mode));
    ++ht;
    ASSERT_NO_FATAL_FAILURE(connectedOut());
    const spi::RequestId rid = drop(mode,
                                    "\x04"
                                    "bye");
    auto bye = peer.takeRequest("BYE");
    ASSERT_TRUE(bye);
    EXPECT_EQ(reasonOf(*bye).rfind("Q.850;cause=" + std::to_string(q850) + ";", 0), 0u)
        << reasonOf(*bye);
    EXPECT_EQ(bye->msg.header("User-to-User").value_or("").rfind("04627965;encoding=hex", 0), 0u);
    EXPECT_TRUE(completedOk(rid)) << "a BYE ends the call at once";
    EXPECT_EQ(events.states(ht), (States{CallState::Dialing, CallState::Ringback,
                                         CallState::Connected, CallState::Idle}));
    EXPECT_EQ(events.cause(ht)->q850, q850);
    EXPECT_EQ(events.cause(ht)->text.rfind("BYE; Q.850;cause=" + std::to_string(q850), 0), 0u)
        << events.cause(ht)->text;
    peer.reply(bye->msg, 200);
  }
}

TEST_P(SipProviderTest, UnansweredByeStillEndsTheCall) {
  ASSERT_NO_FATAL_FAILURE(connectedOut());
  const spi::RequestId rid = drop();
  EXPECT_TRUE(peer.takeRequest("BYE"));
  EXPECT_TRUE(completedOk(rid));
  loop.advance(33s);  // Timer F: the BYE's transaction gives up; nothing else happens
  EXPECT_EQ(events.states(kHt).back(), CallState::Idle);
  EXPECT_EQ(provider->sipStats().sessions, 0u) << stats();
  EXPECT_EQ(provider->sipStats().transactions, 0u) << stats();
}

// ==== outgoing calls: the far end ends it (§1 rows 4, 15; §2b BYE rows) ======================

TEST_P(SipProviderTest, RemoteByeOfOutgoingCall) {
  const std::pair<std::string, std::pair<std::uint32_t, int>> cases[] = {
      {"", {dm::Normal, 16}},
      {"Reason: Q.850;cause=16\r\n", {dm::Normal, 16}},
      {"Reason: Q.850;cause=17;text=\"User busy\"\r\n", {dm::Busy, 17}},
      {"Reason: Q.850;cause=41\r\n", {dm::TempFailure, 41}},
  };
  for (const auto& [reason, expected] : cases) {
    SCOPED_TRACE(reason);
    ++ht;
    ASSERT_NO_FATAL_FAILURE(connectedOut());
    peer.send(peer.request(callee, "BYE", reason + "User-to-User: 04627965;encoding=hex\r\n"));
    EXPECT_TRUE(peer.takeResponse(200, "BYE"));
    EXPECT_EQ(events.modeOf(ht, CallState::Disconnected), expected.first);
    const auto info = events.info(ht);
    EXPECT_EQ(info.cause->q850, expected.second);
    EXPECT_EQ(info.cause->code, 0);
    EXPECT_EQ(info.userUserInfo, std::string("\x04"
                                             "bye"));
    EXPECT_EQ(info.endHint, spi::EndHint::Remote);
    // Post-connection data first, then DISCONNECTED (RFC 7433 UUI before the state).
    const std::size_t uuiAt = events.indexOf([&](const auto& e) {
      return e.call == ht && e.kind == spi::testing::FakeEvents::Event::Kind::Info &&
             e.info.userUserInfo.has_value() &&
             *e.info.userUserInfo ==
                 "\x04"
                 "bye";
    });
    const std::size_t discAt = events.indexOf(
        [&](const auto& e) { return e.call == ht && e.state == CallState::Disconnected; });
    EXPECT_LT(uuiAt, discAt);
    // DISCONNECTED until the engine drops it; the drop sends nothing.
    const spi::RequestId rid = drop();
    EXPECT_TRUE(completedOk(rid));
    EXPECT_TRUE(peer.take().empty());
    EXPECT_EQ(events.states(ht).back(), CallState::Idle);
  }
}

TEST_P(SipProviderTest, ExtraForkedTwoHundredIsAckedAndByed) {
  ASSERT_NO_FATAL_FAILURE(connectedOut());
  peer.reply(*invite, 200, "fork-tag", {{"Contact", "<sip:bob2@10.0.0.2:5070>"}},
             ScriptedPeer::sdpOffer());
  const auto sent = peer.take();
  ASSERT_EQ(sent.size(), 2u) << ScriptedPeer::describe(sent);
  EXPECT_TRUE(sent[0].isRequest("ACK"));
  EXPECT_TRUE(sent[1].isRequest("BYE"));
  EXPECT_EQ(sent[1].msg.to().tag(), "fork-tag");
  peer.reply(sent[1].msg, 200);
  EXPECT_EQ(events.states(kHt),
            (States{CallState::Dialing, CallState::Ringback, CallState::Connected}))
      << "the extra dialog never reaches the engine";
  EXPECT_TRUE(completedOk(drop()));
}

TEST_P(SipProviderTest, ChallengedInviteIsAnsweredOnce) {
  start([](SipProviderConfig& c) { c.lines[0].password = "s3cret"; });
  ASSERT_TRUE(makeCall());
  peer.reply(*invite, 401, "bob-tag",
             {{"WWW-Authenticate", "Digest realm=\"example\", nonce=\"abc\", algorithm=MD5"}});
  const auto sent = peer.take();
  ASSERT_EQ(sent.size(), 2u) << ScriptedPeer::describe(sent);
  EXPECT_TRUE(sent[0].isRequest("ACK"));
  ASSERT_TRUE(sent[1].isRequest("INVITE"));
  EXPECT_NE(sent[1].msg.header("Authorization").value_or("").find("username=\"alice\""),
            std::string::npos);
  EXPECT_EQ(events.states(kHt), States{CallState::Dialing}) << "a challenge is no end";
  invite = sent[1].msg.clone();
  peer.reply(*invite, 401, "bob-tag",
             {{"WWW-Authenticate", "Digest realm=\"example\", nonce=\"def\", algorithm=MD5"}});
  EXPECT_EQ(events.modeOf(kHt, CallState::Disconnected), dm::Blocked) << "401 after a failed retry";
  EXPECT_TRUE(completedOk(drop()));
}

// ==== incoming calls: states, accept and answer =============================================

TEST_P(SipProviderTest, IncomingCallIsOfferedWithItsParties) {
  const spi::EngineCallId in = incoming("User-to-User: 04414243;encoding=hex\r\n");
  ASSERT_NE(in, 0u);
  const auto nc = events.newCalls().front();
  EXPECT_EQ(nc.deviceId, 0u);
  EXPECT_EQ(nc.newCall.initialState, CallState::Offering);
  EXPECT_EQ(nc.newCall.caller.number, "carol");
  EXPECT_EQ(nc.newCall.caller.name, "Carol");
  EXPECT_EQ(nc.newCall.called.number, "alice");
  EXPECT_EQ(nc.newCall.userUserInfo, std::string("\x04"
                                                 "ABC"));
  EXPECT_EQ(nc.newCall.providerRef, caller.callId);
  EXPECT_EQ(events.info(in).cause->callRef, caller.callId);
  EXPECT_TRUE(events.states(in).empty()) << "OFFERING comes with the call";
  EXPECT_TRUE(peer.takeResponse(180, "INVITE")) << "ringOnOffer";
  EXPECT_TRUE(completedOk(drop()));
}

TEST_P(SipProviderTest, AcceptThenAnswerWithUserUserInfo) {
  start([](SipProviderConfig& c) { c.lines[0].ringOnOffer = false; });
  const spi::EngineCallId in = incoming();
  ASSERT_NE(in, 0u);
  auto early = peer.take();
  for (const auto& o : early) {
    EXPECT_FALSE(o.isResponse(180)) << "no 180 until lineAccept";
  }
  EXPECT_TRUE(completedOk([&] {
    const spi::RequestId rid = 50;
    EXPECT_TRUE(provider->accept(rid, call,
                                 "\x04"
                                 "acc"));
    loop.runUntilIdle();
    return rid;
  }()));
  auto ringing = peer.takeResponse(180, "INVITE");
  ASSERT_TRUE(ringing);
  EXPECT_EQ(ringing->msg.header("User-to-User").value_or("").rfind("04616363;encoding=hex", 0), 0u);
  EXPECT_EQ(events.states(in), States{CallState::Accepted});
  EXPECT_TRUE(provider->answer(51, call,
                               "\x04"
                               "hi"));
  loop.runUntilIdle();
  EXPECT_TRUE(completedOk(51));
  auto okr = peer.takeResponse(200, "INVITE");
  ASSERT_TRUE(okr);
  EXPECT_EQ(okr->msg.header("User-to-User").value_or("").rfind("046869;encoding=hex", 0), 0u);
  EXPECT_NE(okr->msg.body().find("m=audio "), std::string_view::npos) << "an SDP answer";
  EXPECT_NE(okr->msg.body().find("c=IN IP4 10.0.0.1"), std::string_view::npos);
  EXPECT_EQ(events.states(in), (States{CallState::Accepted, CallState::Connected}));
  EXPECT_EQ(events.modeOf(in, CallState::Connected), connectedmode::Active);
  ScriptedPeer::learnTag(caller, okr->msg);
  peer.send(peer.request(caller, "ACK"));
  EXPECT_EQ(events.states(in), (States{CallState::Accepted, CallState::Connected}))
      << "the ACK changes nothing";
  EXPECT_EQ(provider->accept(52, call, {}).lineErr(), LineErr::InvalCallState);
  EXPECT_TRUE(completedOk(drop()));
  EXPECT_TRUE(peer.takeRequest("BYE"));
}

TEST_P(SipProviderTest, InvitesRefusedBeforeAnyCallExists) {
  struct Refusal {
    const char* what;
    std::function<void()> arrange;
    const char* user;
    std::string body;
    int status;
    int q850;
  };
  const std::string sdp = ScriptedPeer::sdpOffer();
  const Refusal refusals[] = {
      {"unknown user", [] {}, "nobody", sdp, 480, 20},
      {"line closed", [&] { provider->closeLine(0); }, "alice", sdp, 480, 20},
      {"engine refuses", [&] { events.refuseNewCalls = true; }, "alice", sdp, 480, 21},
      {"unusable SDP", [] {}, "alice", "v=0\r\nbad\r\n", 488, 88},
      {"shutting down", [&] { provider->beginShutdown(); }, "alice", sdp, 503, 41},
  };
  int n = 0;
  for (const Refusal& r : refusals) {
    SCOPED_TRACE(r.what);
    start();
    r.arrange();
    PeerDialog d = peer.callTo(r.user, "10.0.0.1:5060", "refused-" + std::to_string(++n));
    peer.send(peer.request(d, "INVITE", {}, r.body));
    auto final = peer.takeResponse(r.status, "INVITE");
    ASSERT_TRUE(final);
    EXPECT_EQ(reasonOf(*final).rfind("Q.850;cause=" + std::to_string(r.q850), 0), 0u)
        << reasonOf(*final);
    ScriptedPeer::learnTag(d, final->msg);
    peer.send(peer.request(d, "ACK", {}, {}, false));
    events.refuseNewCalls = false;
    EXPECT_EQ(provider->sipStats().calls, 0u);
  }
  for (const auto& e : events.events) {
    EXPECT_NE(e.kind, spi::testing::FakeEvents::Event::Kind::State) << "no call appeared";
  }
}

// ==== incoming calls: the far end CANCELs (§1 row 1, §2b CANCEL rows) ========================

TEST_P(SipProviderTest, RemoteCancelOfOfferedCall) {
  struct Case {
    const char* reason;
    bool cancelAsNormal;
    std::uint32_t mode;
    int q850;
  };
  const Case cases[] = {
      {"", false, dm::Cancelled, 0},
      {"", true, dm::Normal, 0},
      {"Reason: Q.850;cause=16\r\n", false, dm::Cancelled, 16},
      {"Reason: SIP;cause=200;text=\"Call completed elsewhere\"\r\n", false, dm::Pickup, 26},
      {"Reason: Q.850;cause=26\r\n", false, dm::Pickup, 26},
      {"Reason: Q.850;cause=19\r\n", false, dm::NoAnswer, 19},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(std::string(c.reason) + (c.cancelAsNormal ? " (cancelAsNormal)" : ""));
    start([&](SipProviderConfig& cfg) { cfg.cancelAsNormal = c.cancelAsNormal; });
    const spi::EngineCallId in = incoming();
    ASSERT_NE(in, 0u);
    (void)peer.take();
    peer.send(peer.request(caller, "CANCEL", c.reason));
    const auto sent = peer.take();
    EXPECT_EQ(ScriptedPeer::describe(sent), "200/CANCEL 487/INVITE");
    ASSERT_EQ(sent.size(), 2u);
    ScriptedPeer::learnTag(caller, sent[1].msg);
    peer.send(peer.request(caller, "ACK", {}, {}, false));
    // Nothing is left to clear: DISCONNECTED and IDLE without a drop (decision 4).
    EXPECT_EQ(events.states(in), (States{CallState::Disconnected, CallState::Idle}));
    EXPECT_EQ(events.modeOf(in, CallState::Disconnected), c.mode)
        << disconnectModeName(*events.modeOf(in, CallState::Disconnected));
    ASSERT_TRUE(events.cause(in));
    EXPECT_EQ(events.cause(in)->code, 0) << "a CANCEL has no status";
    EXPECT_EQ(events.cause(in)->q850, c.q850);
    EXPECT_EQ(events.cause(in)->text.rfind("CANCEL", 0), 0u) << events.cause(in)->text;
    EXPECT_EQ(provider->drop(99, call, 0, {}).lineErr(), LineErr::InvalCallState);
  }
}

// ==== incoming calls: lineDrop rejects (§2a incoming rows, §1 rows 3a, 8) ====================

TEST_P(SipProviderTest, DropOfOfferedCallRejectsWithTheModesStatus) {
  struct Case {
    std::uint32_t mode;
    int status;
    int q850;
    bool retryAfter = false;
    const char* phrase = nullptr;
  };
  const Case cases[] = {
      {0, 603, 21},
      {dm::Reject, 603, 21},
      {dm::Normal, 603, 21},
      {dm::Cancelled, 603, 21},
      {dm::Busy, 486, 17},
      {dm::NoAnswer, 480, 19},
      {dm::BadAddress, 404, 1},
      {dm::Unreachable, 404, 3},
      {dm::Forwarded, 480, 23},
      {dm::NumberChanged, 410, 22},
      {dm::Congestion, 503, 34, true},
      {dm::TempFailure, 503, 41},
      {dm::OutOfOrder, 502, 27},
      {dm::Incompatible, 488, 88},
      {dm::QosUnavail, 580, 49},
      {dm::Blocked, 403, 21},
      {dm::DestinationBarred, 403, 55},
      {dm::FdnRestrict, 403, 53},
      {dm::DoNotDisturb, 480, 31, false, "Do Not Disturb"},
      {dm::Unknown, 603, 21},  // the cause map's choice: a plain reject
      {dm::Unavail, 480, 31},
      {dm::Pickup, 480, 26},
      {dm::NoDialTone, 603, 21},  // sends nothing by plan, so rejected as a plain drop
  };
  int n = 0;
  for (const Case& c : cases) {
    SCOPED_TRACE(disconnectModeName(c.mode));
    caller = peer.callTo("alice", "10.0.0.1:5060", "offered-" + std::to_string(++n));
    peer.send(peer.request(caller, "INVITE", {}, ScriptedPeer::sdpOffer()));
    ASSERT_FALSE(events.newCalls().empty());
    const spi::EngineCallId in = events.newCalls().back().call;
    call = events.newCalls().back().hdCall;
    (void)peer.take();
    const spi::RequestId rid = drop(c.mode,
                                    "\x04"
                                    "no");
    auto final = peer.takeResponse(c.status, "INVITE");
    ASSERT_TRUE(final);
    EXPECT_EQ(reasonOf(*final).rfind("Q.850;cause=" + std::to_string(c.q850) + ";", 0), 0u)
        << reasonOf(*final);
    EXPECT_EQ(final->msg.header("Retry-After").has_value(), c.retryAfter);
    EXPECT_EQ(final->msg.header("User-to-User").value_or("").rfind("046e6f;encoding=hex", 0), 0u);
    if (c.phrase != nullptr) {
      EXPECT_EQ(final->msg.reasonPhrase(), c.phrase);
    }
    // The local end goes IDLE with no DISCONNECTED, then the request completes.
    EXPECT_EQ(events.states(in), States{CallState::Idle});
    EXPECT_TRUE(completedOk(rid));
    EXPECT_LT(events.indexOf([&](const auto& e) { return e.call == in; }),
              events.indexOf([&](const auto& e) { return e.request == rid; }));
    ASSERT_TRUE(events.cause(in));
    EXPECT_EQ(events.cause(in)->code, c.status);
    EXPECT_EQ(events.cause(in)->q850, c.q850);
    EXPECT_EQ(events.cause(in)->text.rfind(std::to_string(c.status) + " ", 0), 0u);
    ScriptedPeer::learnTag(caller, final->msg);
    peer.send(peer.request(caller, "ACK", {}, {}, false));
    provider->closeCall(call);
  }
}

TEST_P(SipProviderTest, LineChoosesTheStatusOfAPlainReject) {
  start([](SipProviderConfig& c) { c.lines[0].offeredRejectStatus = 486; });
  ASSERT_NE(incoming(), 0u);
  (void)peer.take();
  EXPECT_TRUE(completedOk(drop()));
  auto final = peer.takeResponse(486, "INVITE");
  ASSERT_TRUE(final);
  EXPECT_EQ(reasonOf(*final).rfind("Q.850;cause=17", 0), 0u);
  // No ACK ever comes: Timer H frees the transaction (§1 row 8); TearDown checks it.
}

// ==== incoming calls: BYE and ACK timing (§1 rows 4-7) ======================================

TEST_P(SipProviderTest, RemoteByeOfIncomingCall) {
  const spi::EngineCallId in = confirmedIn();
  ASSERT_NE(in, 0u);
  peer.send(peer.request(caller, "BYE"));
  EXPECT_TRUE(peer.takeResponse(200, "BYE"));
  EXPECT_EQ(events.states(in), (States{CallState::Connected, CallState::Disconnected}));
  EXPECT_EQ(events.modeOf(in, CallState::Disconnected), dm::Normal);
  EXPECT_EQ(events.cause(in)->q850, 16);
  EXPECT_EQ(events.cause(in)->text.rfind("BYE", 0), 0u) << events.cause(in)->text;
  EXPECT_TRUE(completedOk(drop()));
  EXPECT_TRUE(peer.take().empty());
}

TEST_P(SipProviderTest, ByeBeforeTheAckEndsTheCall) {
  const spi::EngineCallId in = answered();
  ASSERT_NE(in, 0u);
  peer.send(peer.request(caller, "BYE"));
  EXPECT_TRUE(peer.takeResponse(200, "BYE"));
  EXPECT_EQ(events.modeOf(in, CallState::Disconnected), dm::Normal);
  loop.advance(5s);
  for (const auto& o : peer.take()) {
    EXPECT_FALSE(o.isResponse(200, "INVITE")) << "the 2xx is no longer retransmitted";
  }
  EXPECT_TRUE(completedOk(drop()));
}

TEST_P(SipProviderTest, LocalDropBeforeTheAckHoldsTheBye) {
  const spi::EngineCallId in = answered();
  ASSERT_NE(in, 0u);
  const spi::RequestId rid = drop();
  EXPECT_TRUE(completedOk(rid));
  EXPECT_EQ(events.states(in), (States{CallState::Connected, CallState::Idle}));
  for (const auto& o : peer.take()) {
    EXPECT_FALSE(o.isRequest("BYE")) << "no BYE before the ACK (RFC 3261 §15)";
  }
  peer.send(peer.request(caller, "ACK"));
  auto bye = peer.takeRequest("BYE");
  ASSERT_TRUE(bye);
  EXPECT_EQ(reasonOf(*bye).rfind("Q.850;cause=16", 0), 0u);
  peer.reply(bye->msg, 200);
}

TEST_P(SipProviderTest, TwoHundredNeverAckedEndsWithTempFailure) {
  const spi::EngineCallId in = answered();
  ASSERT_NE(in, 0u);
  loop.advance(31s);
  EXPECT_FALSE(events.modeOf(in, CallState::Disconnected));
  if (!tcp()) {
    EXPECT_GE(peer.take().size(), 5u) << "the 2xx is retransmitted";
  }
  loop.advance(1s);
  auto bye = peer.takeRequest("BYE");
  ASSERT_TRUE(bye);
  peer.reply(bye->msg, 200);
  EXPECT_EQ(events.modeOf(in, CallState::Disconnected), dm::TempFailure);
  EXPECT_EQ(events.cause(in)->q850, 102);
  EXPECT_EQ(events.cause(in)->text, "2xx not acknowledged");
  EXPECT_TRUE(completedOk(drop()));
}

// ==== in-dialog: hold, unknown dialogs, session timers (§1 rows 12-14) ======================

TEST_P(SipProviderTest, RemoteHoldAndResume) {
  const spi::EngineCallId in = confirmedIn();
  ASSERT_NE(in, 0u);
  peer.send(peer.request(caller, "INVITE", {}, ScriptedPeer::sdpOffer(2, "sendonly")));
  auto held = peer.takeResponse(200, "INVITE");
  ASSERT_TRUE(held);
  EXPECT_NE(held->msg.body().find("a=recvonly"), std::string_view::npos) << held->msg.body();
  peer.send(peer.request(caller, "ACK"));
  peer.send(peer.request(caller, "INVITE", {}, ScriptedPeer::sdpOffer(3, "sendrecv")));
  auto resumed = peer.takeResponse(200, "INVITE");
  ASSERT_TRUE(resumed);
  peer.send(peer.request(caller, "ACK"));
  EXPECT_EQ(events.modes(in, CallState::Connected),
            (std::vector<std::uint32_t>{connectedmode::Active, connectedmode::ActiveHeld,
                                        connectedmode::Active}));
  EXPECT_TRUE(completedOk(drop()));
  EXPECT_TRUE(peer.takeRequest("BYE"));
}

TEST_P(SipProviderTest, RequestsForUnknownDialogsGet481) {
  PeerDialog stray = peer.callTo("alice", "10.0.0.1:5060", "stray-call");
  stray.to += ";tag=nosuchtag";
  peer.send(peer.request(stray, "BYE"));
  EXPECT_TRUE(peer.takeResponse(481, "BYE"));
  EXPECT_EQ(provider->sipStats().answered481, 1u);
  peer.send(peer.request(stray, "ACK"));
  EXPECT_TRUE(peer.take().empty()) << "a stray ACK is dropped silently";
  EXPECT_TRUE(events.events.empty());
}

TEST_P(SipProviderTest, SessionExpiresWithoutRefresh) {
  start([](SipProviderConfig& c) {
    c.session.sessionExpires = 90s;
    c.session.minSessionExpires = 90s;
  });
  caller = peer.callTo("alice");
  peer.send(peer.request(caller, "INVITE",
                         "Supported: timer\r\nSession-Expires: 90;refresher=uac\r\n",
                         ScriptedPeer::sdpOffer()));
  ASSERT_FALSE(events.newCalls().empty());
  const spi::EngineCallId in = events.newCalls().back().call;
  call = events.newCalls().back().hdCall;
  ASSERT_TRUE(provider->answer(5, call, {}));
  loop.runUntilIdle();
  auto okr = peer.takeResponse(200, "INVITE");
  ASSERT_TRUE(okr);
  EXPECT_NE(okr->msg.header("Session-Expires").value_or("").find("refresher=uac"),
            std::string_view::npos);
  ScriptedPeer::learnTag(caller, okr->msg);
  peer.send(peer.request(caller, "ACK"));
  // Without a refresh the UAS ends the session shortly before it expires (RFC 4028 §10).
  loop.advance(50s);
  EXPECT_FALSE(events.modeOf(in, CallState::Disconnected)) << "still inside the interval";
  loop.advance(40s);
  std::optional<Out> bye;
  for (auto& o : peer.take()) {
    if (!bye && o.isRequest("BYE")) {
      bye = std::move(o);  // the first; over UDP it is retransmitted until answered
    }
  }
  ASSERT_TRUE(bye);
  peer.reply(bye->msg, 200);
  EXPECT_EQ(events.modeOf(in, CallState::Disconnected), dm::TempFailure);
  EXPECT_EQ(events.info(in).endHint, spi::EndHint::SessionTimer);
  EXPECT_TRUE(completedOk(drop()));
  provider->closeCall(call);
}

TEST_P(SipProviderTest, OurRefreshFailingEndsTheCall) {
  // We are the refresher (refresher=uas): a 481 to the refresh means the dialog is gone
  // (§1 row 13, TEMPFAILURE 41); no answer at all means the session is dead (row 12, 102).
  const std::pair<int, int> cases[] = {{481, 41}, {0, 102}};
  int n = 0;
  for (const auto& [status, q850] : cases) {
    SCOPED_TRACE(status);
    start([](SipProviderConfig& c) {
      c.session.sessionExpires = 90s;
      c.session.minSessionExpires = 90s;
    });
    caller = peer.callTo("alice", "10.0.0.1:5060", "refresh-" + std::to_string(++n));
    peer.send(peer.request(caller, "INVITE",
                           "Supported: timer\r\nSession-Expires: 90;refresher=uas\r\n",
                           ScriptedPeer::sdpOffer()));
    ASSERT_FALSE(events.newCalls().empty());
    const spi::EngineCallId in = events.newCalls().back().call;
    call = events.newCalls().back().hdCall;
    ASSERT_TRUE(provider->answer(70 + n, call, {}));
    loop.runUntilIdle();
    auto okr = peer.takeResponse(200, "INVITE");
    ASSERT_TRUE(okr);
    ScriptedPeer::learnTag(caller, okr->msg);
    peer.send(peer.request(caller, "ACK"));
    loop.advance(45s);  // half the interval
    std::optional<Out> refresh;
    for (auto& o : peer.take()) {
      if (!refresh && (o.isRequest("UPDATE") || o.isRequest("INVITE"))) {
        refresh = std::move(o);
      }
    }
    ASSERT_TRUE(refresh) << "the refresh is due half-way";
    if (status != 0) {
      peer.reply(refresh->msg, status);
    } else {
      loop.advance(40s);
    }
    for (auto& o : peer.take()) {
      if (o.isRequest("BYE")) {
        peer.reply(o.msg, 200);
      }
    }
    EXPECT_EQ(events.modeOf(in, CallState::Disconnected), dm::TempFailure);
    ASSERT_TRUE(events.cause(in));
    EXPECT_EQ(events.cause(in)->q850, q850) << events.cause(in)->text;
    EXPECT_TRUE(completedOk(drop()));
    provider->closeCall(call);
  }
}

// ==== lines, closing calls, shutdown, registration ==========================================

TEST_P(SipProviderTest, CloseLineDropsItsCallsOnTheWire) {
  ASSERT_NO_FATAL_FAILURE(connectedOut());
  const std::size_t before = events.events.size();
  // CLOSEDROP: the provider ends the line's calls on the wire, the engine closes them.
  provider->closeLine(0);
  provider->closeCall(call);
  loop.runUntilIdle();
  auto bye = peer.takeRequest("BYE");
  ASSERT_TRUE(bye);
  EXPECT_EQ(reasonOf(*bye).rfind("Q.850;cause=16", 0), 0u);
  peer.reply(bye->msg, 200);
  EXPECT_EQ(events.events.size(), before) << "no event for a closed call";
  spi::MakeCallParams mp;
  mp.destination = dest();
  EXPECT_EQ(provider->makeCall(60, 0, kHt + 1, mp).lineErr(), LineErr::OperationFailed)
      << "the line is closed";
}

TEST_P(SipProviderTest, CloseCallCompletesWhatIsOutstandingAndSilencesTheCall) {
  ASSERT_TRUE(makeCall());
  const spi::RequestId rid = drop();  // waits for a provisional before it can CANCEL
  provider->closeCall(call);
  loop.runUntilIdle();
  auto c = events.completion(rid);
  ASSERT_TRUE(c);
  EXPECT_EQ(c->lineErr(), LineErr::OperationFailed);
  const std::size_t before = events.events.size();
  peer.reply(*invite, 180, "bob-tag");
  auto cancel = peer.takeRequest("CANCEL");
  ASSERT_TRUE(cancel) << "the INVITE is still ended on the wire";
  peer.reply(cancel->msg, 200);
  peer.reply(*invite, 487, "bob-tag");
  EXPECT_EQ(events.events.size(), before) << "no event after closeCall";
  EXPECT_EQ(provider->drop(7, call, 0, {}).lineErr(), LineErr::InvalCallHandle);
}

TEST_P(SipProviderTest, ShutdownEndsCallsWithShutdownCauses) {
  ASSERT_NO_FATAL_FAILURE(connectedOut());
  const spi::ProviderCallId out = call;
  ASSERT_NE(incoming(), 0u);
  const spi::ProviderCallId in = call;
  (void)peer.take();
  provider->beginShutdown();
  call = out;
  EXPECT_TRUE(completedOk(drop(dm::Busy)));
  auto bye = peer.takeRequest("BYE");
  ASSERT_TRUE(bye);
  EXPECT_EQ(reasonOf(*bye).rfind("Q.850;cause=16", 0), 0u) << reasonOf(*bye);
  peer.reply(bye->msg, 200);
  call = in;
  EXPECT_TRUE(completedOk(drop(dm::Busy)));
  auto final = peer.takeResponse(503, "INVITE");
  ASSERT_TRUE(final);
  EXPECT_EQ(reasonOf(*final).rfind("Q.850;cause=41", 0), 0u) << reasonOf(*final);
}

TEST_P(SipProviderTest, RegistersAnswersTheChallengeRefreshesAndUnregisters) {
  start([&](SipProviderConfig& c) {
    c.lines[0].registrar = std::string("sip:10.0.0.2:5070") + (tcp() ? ";transport=tcp" : "");
    c.lines[0].password = "s3cret";
    c.lines[0].registerExpires = 600;
  });
  auto reg = peer.takeRequest("REGISTER");
  ASSERT_TRUE(reg);
  EXPECT_EQ(reg->msg.header("Expires").value_or(""), "600");
  peer.reply(reg->msg, 401, "reg-tag",
             {{"WWW-Authenticate", "Digest realm=\"example\", nonce=\"n1\", algorithm=MD5"}});
  auto authed = peer.takeRequest("REGISTER");
  ASSERT_TRUE(authed);
  EXPECT_NE(authed->msg.header("Authorization").value_or("").find("nonce=\"n1\""),
            std::string_view::npos);
  EXPECT_EQ(authed->msg.callId(), reg->msg.callId()) << "one Call-ID for the binding";
  EXPECT_GT(authed->msg.cseq().number, reg->msg.cseq().number);
  peer.reply(authed->msg, 200, "reg-tag", {{"Expires", "120"}});
  EXPECT_EQ(provider->sipStats().registrations, 1u);
  // Refreshed 30 s before the granted 120 s run out.
  loop.advance(89s);
  for (const auto& o : peer.take()) {
    EXPECT_FALSE(o.isRequest("REGISTER")) << "refreshed too early";
  }
  loop.advance(1s);
  auto refresh = peer.takeRequest("REGISTER");
  ASSERT_TRUE(refresh);
  EXPECT_EQ(refresh->msg.header("Expires").value_or(""), "600");
  peer.reply(refresh->msg, 200, "reg-tag", {{"Expires", "600"}});
  provider->closeLine(0);
  loop.runUntilIdle();
  auto unreg = peer.takeRequest("REGISTER");
  ASSERT_TRUE(unreg);
  EXPECT_EQ(unreg->msg.header("Expires").value_or(""), "0");
  peer.reply(unreg->msg, 200, "reg-tag");
  EXPECT_EQ(provider->sipStats().registrations, 0u);
  loop.advance(700s);
  EXPECT_TRUE(peer.take().empty()) << "no refresh after the line closed";
}

// ==== outgoing calls: every final status of §2b ============================================

struct StatusCase {
  const char* name;
  int status;
  std::vector<std::pair<std::string, std::string>> headers;
  bool ringFirst;
  std::uint32_t mode;
  int q850;
  const char* phrase = nullptr;  // reason phrase to send instead of the default
};

using OutgoingRefused = ProviderTest<std::tuple<Protocol, const StatusCase*>>;

// Spec §2b, row by row (the status rows, then Reason headers that win over the status).
const StatusCase kStatusCases[] = {
    {"Moved301", 301, {}, true, dm::NumberChanged, 22},
    {"Gone410", 410, {}, true, dm::NumberChanged, 22},
    {"Moved302", 302, {}, true, dm::Forwarded, 23},
    {"UseProxy305", 305, {}, true, dm::Forwarded, 23},
    {"Alternative380", 380, {}, true, dm::Forwarded, 23},
    {"BadRequest400", 400, {}, true, dm::TempFailure, 41},
    {"NoDialog481", 481, {}, true, dm::TempFailure, 41},
    {"ServerError500", 500, {}, true, dm::TempFailure, 41},
    {"Unavailable503", 503, {}, true, dm::TempFailure, 41},
    {"Unavailable503RetryAfter", 503, {{"Retry-After", "30"}}, true, dm::Congestion, 34},
    {"Unauthorized401",
     401,
     {{"WWW-Authenticate", "Digest realm=\"x\", nonce=\"n\""}},
     true,
     dm::Blocked,
     21},
    {"PaymentRequired402", 402, {}, true, dm::Blocked, 21},
    {"Forbidden403", 403, {}, true, dm::Blocked, 21},
    {"ProxyAuth407",
     407,
     {{"Proxy-Authenticate", "Digest realm=\"x\", nonce=\"n\""}},
     true,
     dm::Blocked,
     21},
    {"Forbidden403RejectAtUser",
     403,
     {{"Reason", "Q.850;cause=21;location=U"}},
     true,
     dm::Reject,
     21},
    {"NotFound404", 404, {}, true, dm::BadAddress, 1},
    {"Ambiguous485", 485, {}, true, dm::BadAddress, 1},
    {"DoesNotExist604", 604, {}, true, dm::BadAddress, 1},
    {"BadScheme416", 416, {}, true, dm::BadAddress, 1},
    {"Incomplete484", 484, {}, true, dm::BadAddress, 28},
    {"NotAllowed405", 405, {}, true, dm::Incompatible, 63},
    {"NotImplemented501", 501, {}, true, dm::Incompatible, 79},
    {"MediaType415", 415, {}, true, dm::Incompatible, 79},
    {"NotAcceptable406", 406, {}, true, dm::Incompatible, 79},
    {"NotAcceptableHere488", 488, {}, true, dm::Incompatible, 88},
    {"NotAcceptable606", 606, {}, true, dm::Incompatible, 88},
    {"Timeout408AfterRinging", 408, {}, true, dm::NoAnswer, 102},
    {"Timeout408BeforeRinging", 408, {}, false, dm::Unreachable, 102},
    {"GatewayTimeout504AfterRinging", 504, {}, true, dm::NoAnswer, 102},
    {"GatewayTimeout504BeforeRinging", 504, {}, false, dm::Unreachable, 102},
    {"Unavailable480", 480, {}, true, dm::NoAnswer, 18},
    {"Unavailable480Absent", 480, {{"Reason", "Q.850;cause=20"}}, true, dm::Unreachable, 20},
    {"Unavailable480Dnd", 480, {}, true, dm::DoNotDisturb, 18, "Do Not Disturb"},
    {"Loop482", 482, {}, true, dm::Unreachable, 25},
    {"TooManyHops483", 483, {}, true, dm::Unreachable, 25},
    {"Busy486", 486, {}, true, dm::Busy, 17},
    {"BusyEverywhere600", 600, {}, true, dm::Busy, 17},
    {"Terminated487Unasked", 487, {}, true, dm::NoAnswer, 0},
    {"BadGateway502", 502, {}, true, dm::OutOfOrder, 38},
    {"Precondition580", 580, {}, true, dm::QosUnavail, 49},
    {"Decline603", 603, {}, true, dm::Reject, 21},
    {"Unwanted607", 607, {}, true, dm::Blocked, 21},
    {"Rejected608", 608, {}, true, dm::Blocked, 21},
    {"Anonymity433", 433, {}, true, dm::Blocked, 24},
    {"Unmapped4xx", 499, {}, true, dm::Unavail, 127},
    {"Busy486WithQ850Congestion", 486, {{"Reason", "Q.850;cause=34"}}, true, dm::Congestion, 34},
    {"Busy486WithQ850Normal", 486, {{"Reason", "Q.850;cause=16"}}, true, dm::Busy, 16},
    {"Unavailable503WithQ850_42", 503, {{"Reason", "Q.850;cause=42"}}, true, dm::Congestion, 42},
    {"Decline603WithSipReason", 603, {{"Reason", "SIP;cause=600"}}, true, dm::Reject, 21},
};

TEST_P(OutgoingRefused, DisconnectedWithMappedMode) {
  const StatusCase& sc = *std::get<1>(GetParam());
  ASSERT_TRUE(makeCall());
  if (sc.ringFirst) {
    peer.reply(*invite, 180, "bob-tag");
  }
  peer.reply(*invite, sc.status, "bob-tag", sc.headers, {}, sc.phrase ? sc.phrase : "");
  EXPECT_TRUE(peer.takeRequest("ACK")) << "the refusal is ACKed";
  const States before =
      sc.ringFirst ? States{CallState::Dialing, CallState::Ringback} : States{CallState::Dialing};
  States expected = before;
  expected.push_back(CallState::Disconnected);
  EXPECT_EQ(events.states(kHt), expected);
  EXPECT_EQ(events.modeOf(kHt, CallState::Disconnected), sc.mode)
      << disconnectModeName(*events.modeOf(kHt, CallState::Disconnected));
  const spi::CallInfoUpdate info = events.info(kHt);
  ASSERT_TRUE(info.cause);
  EXPECT_EQ(info.cause->code, sc.status);
  EXPECT_EQ(info.cause->q850, sc.q850);
  EXPECT_EQ(info.cause->text.rfind(std::to_string(sc.status) + " ", 0), 0u) << info.cause->text;
  EXPECT_EQ(info.cause->callRef, std::string(invite->callId()));
  EXPECT_EQ(info.endHint, spi::EndHint::Remote);
  // The call stays DISCONNECTED until the engine drops it; the drop sends nothing.
  const spi::RequestId rid = drop();
  EXPECT_TRUE(completedOk(rid));
  expected.push_back(CallState::Idle);
  EXPECT_EQ(events.states(kHt), expected);
  EXPECT_TRUE(peer.take().empty());
}

std::string statusCaseName(
    const ::testing::TestParamInfo<std::tuple<Protocol, const StatusCase*>>& p) {
  return std::string(std::get<1>(p.param)->name) +
         (std::get<0>(p.param) == Protocol::Tcp ? "Tcp" : "Udp");
}

std::vector<const StatusCase*> allStatusCases() {
  std::vector<const StatusCase*> v;
  for (const StatusCase& c : kStatusCases) {
    v.push_back(&c);
  }
  return v;
}

INSTANTIATE_TEST_SUITE_P(Statuses, OutgoingRefused,
                         ::testing::Combine(::testing::Values(Protocol::Udp),
                                            ::testing::ValuesIn(allStatusCases())),
                         statusCaseName);

INSTANTIATE_TEST_SUITE_P(Transports, SipProviderTest,
                         ::testing::Values(Protocol::Udp, Protocol::Tcp), protocolName);

TEST(SipProviderCreate, ARefusalSaysWhatFailed) {
  base::SimLoop loop;
  LoopTransport wire(loop, Protocol::Udp, ep("10.0.0.1", 5060));
  SipProviderConfig cfg;
  auto none = SipProvider::createOnTransports(loop, nullptr, nullptr, cfg);
  ASSERT_FALSE(none);
  EXPECT_EQ(none.error().code, tapi::sip::Errc::InvalidConfig);
  EXPECT_EQ(none.error().code, std::errc::invalid_argument) << "equivalent to the code it was";
  EXPECT_EQ(none.error().message(), "sip: neither a UDP nor a TCP transport is given");

  SipLineConfig nobody;
  nobody.name = "sip/nobody";
  cfg.lines.push_back(nobody);
  auto noUser = SipProvider::createOnTransports(loop, &wire, nullptr, cfg);
  ASSERT_FALSE(noUser);
  EXPECT_EQ(noUser.error().code, tapi::sip::Errc::InvalidConfig);
  EXPECT_EQ(noUser.error().message(), "sip: line 'sip/nobody' needs a user and a domain");

  boost::asio::io_context io;
  SipProviderConfig badListen;
  badListen.listenUdp = "pbx.example.com:5060";
  auto named = SipProvider::create(loop, io, badListen);
  ASSERT_FALSE(named);
  EXPECT_EQ(named.error().code, tapi::sip::Errc::InvalidConfig);
  EXPECT_EQ(named.error().message(),
            "sip: listen_udp 'pbx.example.com:5060' is not an IP address and port");

  SipProviderConfig noRtp;
  noRtp.rtpFirstPort = 0;
  auto empty = SipProvider::createOnTransports(loop, &wire, nullptr, noRtp);
  ASSERT_FALSE(empty);
  EXPECT_EQ(empty.error().message(), "sip: the RTP port range is empty");
}

}  // namespace
}  // namespace tapi::providers::sip
