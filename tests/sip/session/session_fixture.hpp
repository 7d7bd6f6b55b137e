#pragma once
// Our SessionLayer on a LoopTransport and a simulated clock, with a recording observer.
// Tests play the peer: they inject hand-written requests and responses built from what
// the layer sent, and inspect what it sends (parsed) and when.

#include <gtest/gtest.h>

#include <chrono>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "base/sim_loop.hpp"
#include "sip/message/message.hpp"
#include "sip/session/session_layer.hpp"
#include "sip/transport/loop_transport.hpp"
#include "sip/transport/transport_layer.hpp"

namespace tapi::sip::testing {

using namespace std::chrono_literals;
using message::SipMessage;
using session::EndKind;
using session::HeaderList;
using session::SessionHandle;
using session::SessionState;
using transport::Endpoint;
using transport::Protocol;

inline Endpoint ep(const char* ip, std::uint16_t port) {
  return Endpoint{boost::asio::ip::make_address(ip), port};
}

/** Seconds since the start of the simulation. */
inline double secs(base::TimePoint t) {
  return std::chrono::duration<double>(t.time_since_epoch()).count();
}

/** Records every callback, with the simulated time it ran at. */
class RecordingObserver final : public session::SessionObserver {
 public:
  struct Event {
    std::string kind;  ///< "incoming", "progress", "answered", "confirmed", "ended", "challenge"
    SessionHandle session;
    double at = 0;
    int status = 0;           ///< response status (progress/answered/ended with a message)
    EndKind end{};            ///< "ended" only
    std::string endMethod;    ///< "ended": method of EndInfo::message if it is a request
    bool hadMessage = false;  ///< "ended": EndInfo::message was set
    bool ringingSeen = false;
    bool weCancelled = false;
    int endStatus = 0;  ///< EndInfo::status
  };

  explicit RecordingObserver(base::EventLoop& loop) : loop_(loop) {}

  void onIncoming(SessionHandle s, const SipMessage& invite,
                  const transport::Arrival& arrival) override {
    (void)arrival;
    events.push_back(Event{"incoming", s, now(), 0, {}, {}, false, false, false, 0});
    if (incomingHook) {
      incomingHook(s, invite);
    }
  }
  void onProgress(SessionHandle s, const SipMessage& response) override {
    events.push_back(
        Event{"progress", s, now(), response.statusCode(), {}, {}, false, false, false, 0});
  }
  void onAnswered(SessionHandle s, const SipMessage& response) override {
    events.push_back(
        Event{"answered", s, now(), response.statusCode(), {}, {}, false, false, false, 0});
  }
  void onConfirmed(SessionHandle s) override {
    events.push_back(Event{"confirmed", s, now(), 0, {}, {}, false, false, false, 0});
  }
  void onEnded(SessionHandle s, const session::EndInfo& end) override {
    Event e{
        "ended",         s,         now(), 0, end.kind, {}, end.message != nullptr, end.ringingSeen,
        end.weCancelled, end.status};
    if (end.message != nullptr) {
      if (end.message->isRequest()) {
        e.endMethod = std::string(end.message->methodName());
      } else {
        e.status = end.message->statusCode();
      }
    }
    events.push_back(std::move(e));
    if (endedHook) {
      endedHook(s);
    }
  }
  std::optional<std::pair<std::string, std::string>> onChallenge(
      SessionHandle s, const SipMessage& response) override {
    events.push_back(
        Event{"challenge", s, now(), response.statusCode(), {}, {}, false, false, false, 0});
    return challengeAnswer;
  }

  /** Events of one kind, in order. */
  std::vector<Event> of(std::string_view kind) const {
    std::vector<Event> out;
    for (const auto& e : events) {
      if (e.kind == kind) {
        out.push_back(e);
      }
    }
    return out;
  }
  std::size_t count(std::string_view kind) const { return of(kind).size(); }
  /** The kinds in order, for sequence checks. */
  std::vector<std::string> kinds() const {
    std::vector<std::string> out;
    for (const auto& e : events) {
      out.push_back(e.kind);
    }
    return out;
  }

  std::vector<Event> events;
  std::function<void(SessionHandle, const SipMessage&)> incomingHook;
  std::function<void(SessionHandle)> endedHook;
  std::optional<std::pair<std::string, std::string>> challengeAnswer;

 private:
  double now() const { return secs(loop_.now()); }
  base::EventLoop& loop_;
};

/** One message our layer sent, parsed. */
struct Out {
  SipMessage msg;
  double at = 0;
  transport::Destination to;

  bool isRequest(std::string_view method) const {
    return msg.isRequest() && msg.methodName() == method;
  }
  bool isResponse(int status, std::string_view method = {}) const {
    return msg.isResponse() && msg.statusCode() == status &&
           (method.empty() || msg.cseq().methodName == method);
  }
};

/** A request the peer sends us (see SessionFixture::peerRequest). */
struct PeerRequest {
  std::string method = "INVITE";
  std::string branch = "z9hG4bKpeer-inv";
  std::uint32_t cseq = 1;
  std::string cseqMethod;  ///< empty: the method
  std::string toTag;       ///< our tag, for in-dialog requests
  std::string callId = "peer-call-1";
  std::string fromTag = "ctag";
  std::string extra;  ///< header lines, each ending in CRLF
  bool contact = true;
  std::string body;
  std::string contentType = "application/sdp";
};

class SessionFixture {
 public:
  static constexpr transport::ConnectionId kConn = 7;
  static constexpr const char* kOurSdp = "v=0\r\no=alice 1 1 IN IP4 10.0.0.1\r\ns=-\r\n";
  static constexpr const char* kPeerSdp = "v=0\r\no=carol 2 2 IN IP4 10.0.0.2\r\ns=-\r\n";

  explicit SessionFixture(Protocol protocol = Protocol::Udp, session::SessionConfig config = {})
      : protocol_(protocol),
        wire(loop, protocol, ep("10.0.0.1", 5060)),
        observer(loop),
        layer(loop, transportLayer, observer, transaction::TimerConfig{}, std::move(config)) {
    transportLayer.addTransport(wire);
  }

  const char* proto() const { return protocol_ == Protocol::Udp ? "UDP" : "TCP"; }
  bool reliable() const { return transport::isReliable(protocol_); }

  // ---- what we sent ---------------------------------------------------------------------

  /** Everything sent since the last call (parsed); later calls see only newer messages. */
  std::vector<Out> take() {
    std::vector<Out> out;
    for (auto& s : wire.takeSent()) {
      auto m = message::parse(s.bytes);
      EXPECT_TRUE(m.ok()) << s.bytes;
      if (m.ok()) {
        out.push_back(Out{std::move(*m), secs(s.at), s.to});
        log_.push_back(out.back().msg.clone());
      }
    }
    return out;
  }

  /** Copies of the requests with `method` in `v` (safe to use on a temporary). */
  static std::vector<Out> requests(const std::vector<Out>& v, std::string_view method) {
    std::vector<Out> r;
    for (const auto& o : v) {
      if (o.isRequest(method)) {
        r.push_back(Out{o.msg.clone(), o.at, o.to});
      }
    }
    return r;
  }
  /** Copies of the responses with `status` (to `method`, if given) in `v`. */
  static std::vector<Out> responses(const std::vector<Out>& v, int status,
                                    std::string_view method = {}) {
    std::vector<Out> r;
    for (const auto& o : v) {
      if (o.isResponse(status, method)) {
        r.push_back(Out{o.msg.clone(), o.at, o.to});
      }
    }
    return r;
  }
  /** `v` without provisional responses (a 100 Trying may precede any INVITE's answer). */
  static std::vector<Out> finals(const std::vector<Out>& v) {
    std::vector<Out> r;
    for (const auto& o : v) {
      if (o.msg.isRequest() || o.msg.statusCode() >= 200) {
        r.push_back(Out{o.msg.clone(), o.at, o.to});
      }
    }
    return r;
  }
  /** Send times of the messages in `v`. */
  static std::vector<double> times(const std::vector<Out>& v) {
    std::vector<double> t;
    for (const auto& o : v) {
      t.push_back(o.at);
    }
    return t;
  }
  /** A one-line summary of `v` for failure messages. */
  static std::string describe(const std::vector<Out>& v) {
    std::string s;
    for (const auto& o : v) {
      s += o.msg.isRequest()
               ? std::string(o.msg.methodName())
               : std::to_string(o.msg.statusCode()) + "/" + std::string(o.msg.cseq().methodName);
      s += "@" + std::to_string(o.at) + " ";
    }
    return s;
  }

  // ---- the peer ----------------------------------------------------------------------------

  Endpoint peer() const { return ep("10.0.0.2", 5070); }

  void inject(const std::string& text) {
    wire.inject(peer(), text, reliable() ? kConn : 0);
    loop.runUntilIdle();
  }

  /** The peer answers `request` (one we sent). `toTag` is added when To has none. */
  void reply(const SipMessage& request, int status, std::string_view toTag = "peer-tag",
             const HeaderList& headers = {}, std::string_view body = {}) {
    auto r = message::makeResponse(request, status, {}, status == 100 ? std::string_view{} : toTag);
    ASSERT_TRUE(r.ok());
    for (const auto& [name, value] : headers) {
      ASSERT_TRUE(r->addHeader(name, value).ok()) << name << ": " << value;
    }
    if (!body.empty()) {
      r->setBody(body, "application/sdp");
    }
    inject(r->serialize());
  }

  using PeerRequest = testing::PeerRequest;

  /** A request from the peer (Carol at 10.0.0.2:5070) to us, as text. */
  std::string peerRequest(const PeerRequest& p) const {
    std::string m = p.method + " sip:alice@10.0.0.1:5060 SIP/2.0\r\n";
    m += "Via: SIP/2.0/" + std::string(proto()) + " 10.0.0.2:5070;branch=" + p.branch + "\r\n";
    m += "Max-Forwards: 70\r\n";
    m += "From: \"Carol\" <sip:carol@10.0.0.2>;tag=" + p.fromTag + "\r\n";
    m += "To: <sip:alice@10.0.0.1>";
    if (!p.toTag.empty()) {
      m += ";tag=" + p.toTag;
    }
    m += "\r\nCall-ID: " + p.callId + "\r\n";
    m += "CSeq: " + std::to_string(p.cseq) + " " +
         (p.cseqMethod.empty() ? p.method : p.cseqMethod) + "\r\n";
    if (p.contact) {
      m += "Contact: <sip:carol@10.0.0.2:5070>\r\n";
    }
    m += p.extra;
    if (!p.body.empty()) {
      m += "Content-Type: " + p.contentType + "\r\n";
    }
    m += "Content-Length: " + std::to_string(p.body.size()) + "\r\n\r\n" + p.body;
    return m;
  }

  // ---- UAC helpers ---------------------------------------------------------------------

  session::OutgoingInvite outgoing() const {
    session::OutgoingInvite c;
    c.requestUri = "sip:bob@10.0.0.2:5070";
    c.from = "\"Alice\" <sip:alice@10.0.0.1>";
    c.to = "<sip:bob@10.0.0.2>";
    c.contact = "<sip:alice@10.0.0.1:5060>";
    c.target = transport::Target{protocol_, peer()};
    c.sdp = kOurSdp;
    return c;
  }

  /** Sends an INVITE; `invite` holds what went on the wire. */
  SessionHandle call(std::optional<session::OutgoingInvite> c = std::nullopt) {
    auto h = layer.invite(c ? std::move(*c) : outgoing());
    EXPECT_TRUE(h.ok()) << h.error().message();
    loop.runUntilIdle();
    auto sent = take();
    auto inv = requests(sent, "INVITE");
    EXPECT_EQ(inv.size(), 1u) << describe(sent);
    if (!inv.empty()) {
      invite = inv.front().msg.clone();
    }
    return h.ok() ? *h : SessionHandle{};
  }

  /** The peer's 200 to our INVITE, from Bob at 10.0.0.3:5080 (its Contact). */
  void answerOurInvite(std::string_view toTag = "bob-tag", HeaderList extra = {},
                       std::string contact = "<sip:bob@10.0.0.3:5080>") {
    ASSERT_TRUE(invite.has_value());
    extra.insert(extra.begin(), {"Contact", std::move(contact)});
    reply(*invite, 200, toTag, extra, kPeerSdp);
  }

  /** call() + 180 + 200; leaves the ACK in `acked` and the session Confirmed. */
  SessionHandle establishUac(HeaderList okHeaders = {}) {
    SessionHandle h = call();
    reply(*invite, 180, "bob-tag", {{"Contact", "<sip:bob@10.0.0.3:5080>"}});
    answerOurInvite("bob-tag", std::move(okHeaders));
    auto sent = take();
    auto acks = requests(sent, "ACK");
    EXPECT_EQ(acks.size(), 1u) << describe(sent);
    EXPECT_EQ(layer.state(h), SessionState::Confirmed);
    return h;
  }

  // ---- UAS helpers ---------------------------------------------------------------------

  /** The peer's INVITE; returns the session the observer saw (invalid if none). */
  SessionHandle incoming(PeerRequest p = {}) {
    const std::size_t before = observer.count("incoming");
    if (p.body.empty() && p.method == "INVITE") {
      p.body = kPeerSdp;
    }
    inject(peerRequest(p));
    auto in = observer.of("incoming");
    if (in.size() != before + 1) {
      return SessionHandle{};
    }
    return in.back().session;
  }

  /** Our tag in the dialog of `h` (what the peer puts in To). */
  std::string ourTag(SessionHandle h) const {
    const auto* d = layer.dialogOf(h);
    return d == nullptr ? std::string{} : d->id().localTag;
  }

  /** An in-dialog request from the peer to session `h`. */
  std::string inDialog(SessionHandle h, std::string method, std::uint32_t cseq,
                       std::string extra = {}, std::string body = {}) const {
    PeerRequest p;
    p.method = std::move(method);
    p.branch = "z9hG4bKpeer-" + p.method + "-" + std::to_string(cseq);
    p.cseq = cseq;
    p.toTag = ourTag(h);
    p.contact = p.method == "INVITE";
    p.extra = std::move(extra);
    p.body = std::move(body);
    return peerRequest(p);
  }

  /** The ACK for our 2xx. */
  std::string ackFor(SessionHandle h, std::uint32_t cseq = 1) const {
    PeerRequest p;
    p.method = "ACK";
    p.branch = "z9hG4bKpeer-ack-" + std::to_string(cseq);
    p.cseq = cseq;
    p.toTag = ourTag(h);
    p.contact = false;
    return peerRequest(p);
  }

  /** incoming() + answer(); the 200 sent is in `ok`. */
  SessionHandle answeredUas(PeerRequest p = {}) {
    SessionHandle h = incoming(std::move(p));
    EXPECT_TRUE(h.valid());
    EXPECT_TRUE(layer.answer(h, kOurSdp, "<sip:alice@10.0.0.1:5060>").ok());
    loop.runUntilIdle();
    auto sent = take();
    auto oks = responses(sent, 200, "INVITE");
    EXPECT_EQ(oks.size(), 1u) << describe(sent);
    if (!oks.empty()) {
      ok = oks.front().msg.clone();
    }
    return h;
  }

  /** answeredUas() + the ACK: Confirmed. */
  SessionHandle confirmedUas(PeerRequest p = {}) {
    SessionHandle h = answeredUas(std::move(p));
    inject(ackFor(h));
    EXPECT_EQ(layer.state(h), SessionState::Confirmed);
    (void)take();
    return h;
  }

  // ---- the end ---------------------------------------------------------------------------

  /** Runs the clock on past every linger timer and checks nothing is left. */
  void expectAllGone() {
    loop.advance(10min);
    const auto st = layer.stats();
    EXPECT_EQ(st.sessions, 0u);
    EXPECT_EQ(st.dialogs, 0u);
    EXPECT_EQ(st.timers, 0u);
    EXPECT_EQ(st.outOfDialog, 0u);
    EXPECT_EQ(layer.unfinished(), 0u);
    EXPECT_EQ(layer.transactions().stats().liveTotal(), 0u);
    EXPECT_EQ(layer.transactions().stats().rejectedTransitions, 0u);
    EXPECT_EQ(loop.pendingTimers(), 0u);
  }

  base::SimLoop loop;

 private:
  Protocol protocol_;
  std::vector<SipMessage> log_;  // everything take() saw, kept for debugging

 public:
  transport::LoopTransport wire;
  transport::TransportLayer transportLayer;
  RecordingObserver observer;
  session::SessionLayer layer;
  std::optional<SipMessage> invite;  // UAC: our INVITE as sent
  std::optional<SipMessage> ok;      // UAS: our 200 as sent
};

}  // namespace tapi::sip::testing
