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

#include "../sip_test_support.hpp"
#include "sip/message/message.hpp"
#include "sip/session/session_layer.hpp"

namespace tapi::sip::testing {

using message::SipMessage;
using session::EndKind;
using session::HeaderList;
using session::SessionHandle;
using session::SessionState;

/** Records every callback, with the simulated time it ran at. */
class RecordingObserver final : public session::SessionObserver {
 public:
  struct Event {
    std::string kind;  ///< "incoming", "progress", "answered", "confirmed", "ended", "challenge",
                       ///< "offer"
    SessionHandle session;
    double at = 0;
    int status = 0;           ///< response status (progress/answered/ended with a message)
    EndKind end{};            ///< "ended" only
    std::string endMethod;    ///< "ended": method of EndInfo::message if it is a request
    bool hadMessage = false;  ///< "ended": EndInfo::message was set
    bool ringingSeen = false;
    bool weCancelled = false;
    int endStatus = 0;         ///< EndInfo::status
    std::error_code endError;  ///< EndInfo::error
  };

  explicit RecordingObserver(base::EventLoop& loop) : loop_(loop) {}

  void onIncoming(SessionHandle s, const SipMessage& invite,
                  const transport::Arrival& arrival) override {
    (void)arrival;
    record("incoming", s);
    if (incomingHook) {
      incomingHook(s, invite);
    }
  }
  void onProgress(SessionHandle s, const SipMessage& response) override {
    record("progress", s, response.statusCode());
  }
  void onAnswered(SessionHandle s, const SipMessage& response) override {
    record("answered", s, response.statusCode());
  }
  void onConfirmed(SessionHandle s) override { record("confirmed", s); }
  void onEnded(SessionHandle s, const session::EndInfo& end) override {
    Event& e = record("ended", s);
    e.end = end.kind;
    e.hadMessage = end.message != nullptr;
    e.ringingSeen = end.ringingSeen;
    e.weCancelled = end.weCancelled;
    e.endStatus = end.status;
    e.endError = end.error;
    if (end.message != nullptr) {
      if (end.message->isRequest()) {
        e.endMethod = std::string(end.message->methodName());
      } else {
        e.status = end.message->statusCode();
      }
    }
    if (endedHook) {
      endedHook(s);
    }
  }
  session::OfferAnswer onOffer(SessionHandle s, const session::OnOfferParam& p) override {
    record("offer", s);
    offers.emplace_back(p.offer);
    return offerHook ? offerHook(s, p) : session::OfferAnswer{};
  }
  std::optional<std::pair<std::string, std::string>> onChallenge(
      SessionHandle s, const SipMessage& response) override {
    record("challenge", s, response.statusCode());
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

  /** The one "ended" event; a test failure and nothing unless there is exactly one. */
  std::optional<Event> endedOnce() const {
    auto ended = of("ended");
    EXPECT_EQ(ended.size(), 1u) << "sessions ended";
    if (ended.size() != 1) {
      return std::nullopt;
    }
    return ended.front();
  }
  /** endedOnce(), which must be of `kind`. */
  std::optional<Event> endedOnce(EndKind kind) const {
    auto e = endedOnce();
    if (e) {
      EXPECT_EQ(e->end, kind) << session::toString(e->end) << " instead of "
                              << session::toString(kind);
    }
    return e;
  }

  std::vector<Event> events;
  std::function<void(SessionHandle, const SipMessage&)> incomingHook;
  std::function<void(SessionHandle)> endedHook;
  /** Answers in-dialog offers; unset: the layer's default (the current description). */
  std::function<session::OfferAnswer(SessionHandle, const session::OnOfferParam&)> offerHook;
  std::vector<std::string> offers;  ///< every in-dialog offer seen, in order
  std::optional<std::pair<std::string, std::string>> challengeAnswer;

 private:
  Event& record(std::string kind, SessionHandle s, int status = 0) {
    Event e;
    e.kind = std::move(kind);
    e.session = s;
    e.at = secs(loop_.now());
    e.status = status;
    events.push_back(std::move(e));
    return events.back();
  }

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

class SessionFixture : public SimulatedWire {
 public:
  static constexpr const char* kOurSdp = "v=0\r\no=alice 1 1 IN IP4 10.0.0.1\r\ns=-\r\n";
  static constexpr const char* kPeerSdp = "v=0\r\no=carol 2 2 IN IP4 10.0.0.2\r\ns=-\r\n";

  explicit SessionFixture(Protocol protocol = Protocol::Udp, session::SessionConfig config = {})
      : SimulatedWire(protocol),
        observer(loop),
        layer(loop, transportLayer, observer, transaction::TimerConfig{}, std::move(config)) {}

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
  /**
   * The one message in `matching`; a test failure and nothing unless there is exactly one.
   * `among` is what it was picked from, for the failure message.
   */
  static std::optional<Out> only(std::vector<Out> matching, const std::vector<Out>& among) {
    EXPECT_EQ(matching.size(), 1u) << describe(among);
    if (matching.size() != 1) {
      return std::nullopt;
    }
    return std::move(matching.front());
  }
  /** The one request with `method` sent since the last take() (see only()). */
  std::optional<Out> takeRequest(std::string_view method) {
    auto sent = take();
    return only(requests(sent, method), sent);
  }
  /** The one response with `status` (to `method`, if given) sent since the last take(). */
  std::optional<Out> takeResponse(int status, std::string_view method = {}) {
    auto sent = take();
    return only(responses(sent, status, method), sent);
  }
  /** The one final response (or request) sent since the last take(); provisionals aside. */
  std::optional<Out> takeFinal() {
    auto sent = take();
    return only(finals(sent), sent);
  }
  /**
   * Runs the clock on to `at` (seconds since the start): until `step` before it no request
   * with a method in `quiet` may go out (with `quiet` empty: nothing at all); then the one
   * `method` request, sent at `at`.
   */
  std::optional<Out> nextRequestAt(std::string_view method, double at, base::Duration step,
                                   const std::vector<std::string_view>& quiet = {}) {
    runTo(at, step);
    const auto before = take();
    if (quiet.empty()) {
      EXPECT_TRUE(before.empty()) << "before " << at << " s: " << describe(before);
    }
    for (auto m : quiet) {
      EXPECT_TRUE(requests(before, m).empty()) << "before " << at << " s: " << describe(before);
    }
    loop.advance(step);
    auto out = takeRequest(method);
    if (out) {
      EXPECT_EQ(out->at, at) << method;
    }
    return out;
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

  // ---- the peer (inject(), reply(): SimulatedWire) ---------------------------------------

  using PeerRequest = testing::PeerRequest;

  /** A request from the peer (Carol at 10.0.0.2:5070) to us, as text. */
  std::string peerRequest(const PeerRequest& p) const {
    std::string to = "<sip:alice@10.0.0.1>";
    if (!p.toTag.empty()) {
      to += ";tag=" + p.toTag;
    }
    return requestText(p, "10.0.0.2:5070", "\"Carol\" <sip:carol@10.0.0.2>;tag=" + p.fromTag, to,
                       p.callId, "<sip:carol@10.0.0.2:5070>");
  }

  // ---- UAC helpers ---------------------------------------------------------------------

  session::OutgoingInvite outgoing() const {
    session::OutgoingInvite c;
    c.requestUri = "sip:bob@10.0.0.2:5070";
    c.from = "\"Alice\" <sip:alice@10.0.0.1>";
    c.to = "<sip:bob@10.0.0.2>";
    c.contact = "<sip:alice@10.0.0.1:5060>";
    c.target = transport::Target{protocol(), peer()};
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

  /**
   * A request from Bob (at 10.0.0.3:5080, his Contact) in the dialog of our INVITE, as text.
   * Uses `p`'s method, branch, CSeq, Contact (his), extra headers and body.
   */
  std::string fromCallee(const PeerRequest& p) const {
    return requestText(p, "10.0.0.3:5080", "<sip:bob@10.0.0.2>;tag=bob-tag",
                       invite ? std::string(invite->from().text) : std::string{},
                       invite ? std::string(invite->callId()) : std::string{},
                       "<sip:bob@10.0.0.3:5080>");
  }

  /** The peer's 200 to our INVITE, from Bob at 10.0.0.3:5080 (its Contact). */
  void answerOurInvite(std::string_view toTag = "bob-tag", HeaderList extra = {},
                       std::string contact = "<sip:bob@10.0.0.3:5080>") {
    ASSERT_TRUE(invite.has_value());
    extra.insert(extra.begin(), {"Contact", std::move(contact)});
    reply(*invite, 200, toTag, extra, kPeerSdp);
  }

  /** call() + Bob's 180 (with `headers`): Early. */
  SessionHandle ringingUac(const HeaderList& headers = {}) {
    SessionHandle h = call();
    if (invite) {
      reply(*invite, 180, "bob-tag", headers);
    }
    return h;
  }

  /** ringingUac() + 200; the ACK is taken and the session Confirmed. */
  SessionHandle establishUac(HeaderList okHeaders = {}) {
    SessionHandle h = ringingUac({{"Contact", "<sip:bob@10.0.0.3:5080>"}});
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

  /** The ACK for a non-2xx final response to the INVITE with `branch` and `cseq` (§17.1.1.3). */
  std::string ackForNon2xx(SessionHandle h, std::string branch = "z9hG4bKpeer-inv",
                           std::uint32_t cseq = 1) const {
    return peerRequest({.method = "ACK",
                        .branch = std::move(branch),
                        .cseq = cseq,
                        .toTag = ourTag(h),
                        .contact = false});
  }

  /**
   * The peer's INVITE `p`, which we must refuse without a session: with `status`, and with
   * `header` (unless empty) set to `value`.
   */
  void expectRefused(PeerRequest p, int status, std::string_view header = {},
                     std::string_view value = {}) {
    EXPECT_FALSE(incoming(std::move(p)).valid()) << "no session for a refused INVITE";
    auto refusal = takeFinal();
    ASSERT_TRUE(refusal);
    EXPECT_TRUE(refusal->isResponse(status, "INVITE")) << refusal->msg.statusCode();
    if (!header.empty()) {
      EXPECT_EQ(refusal->msg.header(header), value) << header;
    }
  }

  /** incoming() + provisional(status); what was sent is taken. */
  SessionHandle earlyUas(int status = 180) {
    SessionHandle h = incoming();
    EXPECT_TRUE(layer.provisional(h, status).ok());
    loop.runUntilIdle();
    (void)take();
    return h;
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

  /**
   * Runs the clock on to `at` (seconds since the start): until `step` before it no session
   * may end; then the one end (see RecordingObserver::endedOnce), of `kind`, at `at`.
   */
  std::optional<RecordingObserver::Event> endsAt(EndKind kind, double at, base::Duration step) {
    runTo(at, step);
    EXPECT_EQ(observer.count("ended"), 0u) << "before " << at << " s";
    loop.advance(step);
    auto e = observer.endedOnce(kind);
    if (e) {
      EXPECT_EQ(e->at, at);
    }
    return e;
  }

  /** hangup(h, headers) and the one request with `method` (BYE, CANCEL) it sent at once. */
  std::optional<Out> hangupSends(SessionHandle h, std::string_view method,
                                 const HeaderList& headers = {}) {
    const auto r = layer.hangup(h, headers);
    EXPECT_TRUE(r.ok()) << r.error().message();
    loop.runUntilIdle();
    return takeRequest(method);
  }

  /** release(h) and the one request with `method` (BYE, CANCEL) it sent at once. */
  std::optional<Out> releaseSends(SessionHandle h, std::string_view method) {
    layer.release(h);
    loop.runUntilIdle();
    return takeRequest(method);
  }

  /** The peer answers `request` with `status`; then nothing may be left (expectAllGone). */
  void replyThenAllGone(const SipMessage& request, int status = 200) {
    reply(request, status);
    expectAllGone();
  }

  /** Ends `h` with a BYE of ours that the peer answers 200; then nothing may be left. */
  void hangupToTheEnd(SessionHandle h) {
    auto bye = hangupSends(h, "BYE");
    ASSERT_TRUE(bye);
    replyThenAllGone(bye->msg);
  }

  /** Runs the clock on past every linger timer and checks nothing is left. */
  void expectAllGone() {
    loop.advance(10min);
    const auto st = layer.stats();
    EXPECT_EQ(st.sessions, 0u);
    EXPECT_EQ(st.dialogs, 0u);
    EXPECT_EQ(st.timers, 0u);
    EXPECT_EQ(st.outOfDialog, 0u);
    EXPECT_EQ(st.rejectedTransitions, 0u);
    EXPECT_EQ(layer.unfinished(), 0u);
    EXPECT_EQ(layer.transactions().stats().liveTotal(), 0u);
    EXPECT_EQ(layer.transactions().stats().rejectedTransitions, 0u);
    EXPECT_EQ(loop.pendingTimers(), 0u);
  }

  RecordingObserver observer;
  session::SessionLayer layer;
  std::optional<SipMessage> invite;  // UAC: our INVITE as sent
  std::optional<SipMessage> ok;      // UAS: our 200 as sent

 private:
  /**
   * `p` as text, sent from `host` ("ip:port", in the Via) with `from`, `to` and `callId`;
   * `contact` is its Contact when `p` has one.
   */
  std::string requestText(const PeerRequest& p, std::string_view host, std::string_view from,
                          std::string_view to, std::string_view callId,
                          std::string_view contact) const {
    std::string m = p.method + " sip:alice@10.0.0.1:5060 SIP/2.0\r\n";
    m += "Via: SIP/2.0/" + std::string(proto()) + " " + std::string(host) + ";branch=" + p.branch +
         "\r\n";
    m += "Max-Forwards: 70\r\n";
    m += "From: " + std::string(from) + "\r\n";
    m += "To: " + std::string(to) + "\r\n";
    m += "Call-ID: " + std::string(callId) + "\r\n";
    m += "CSeq: " + std::to_string(p.cseq) + " " +
         (p.cseqMethod.empty() ? p.method : p.cseqMethod) + "\r\n";
    if (p.contact) {
      m += "Contact: " + std::string(contact) + "\r\n";
    }
    m += p.extra;
    if (!p.body.empty()) {
      m += "Content-Type: " + p.contentType + "\r\n";
    }
    m += "Content-Length: " + std::to_string(p.body.size()) + "\r\n\r\n" + p.body;
    return m;
  }

  /** Runs the clock on to `before` ahead of `at` (seconds since the start). */
  void runTo(double at, base::Duration before) {
    const base::TimePoint when{
        std::chrono::round<base::Duration>(std::chrono::duration<double>(at))};
    loop.advance(when - before - loop.now());
  }

  std::vector<SipMessage> log_;  // everything take() saw, kept for debugging
};

}  // namespace tapi::sip::testing
