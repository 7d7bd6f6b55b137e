#pragma once
// The far end of a SIP endpoint under test, played by the test: it sits behind the
// endpoint's LoopTransport on a simulated clock, reads what the endpoint sent (parsed), and
// injects hand-written requests and responses. PeerDialog keeps the peer's side of one
// dialog (tags, CSeq, the INVITE's branch) so in-dialog requests, CANCEL and ACK are easy to
// write.

#include <gtest/gtest.h>

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "base/sim_loop.hpp"
#include "sip/message/message.hpp"
#include "sip/transport/loop_transport.hpp"

namespace tapi::sip::testing {

/** The peer's half of one dialog, and what it needs to write the next request in it. */
struct PeerDialog {
  std::string requestUri;  ///< where in-dialog requests go (the endpoint's Contact)
  std::string from;        ///< the peer's own address with its tag
  std::string to;          ///< the endpoint's address, with its tag once known
  std::string callId;
  std::uint32_t cseq = 0;  ///< of the last request the peer sent (not ACK/CANCEL)
  std::string inviteBranch;
  std::uint32_t inviteCseq = 0;
  std::string contact = "<sip:carol@10.0.0.2:5070>";
};

class ScriptedPeer {
 public:
  /** One message the endpoint sent, parsed. */
  struct Out {
    message::SipMessage msg;
    base::TimePoint at;
    transport::Destination to;

    bool isRequest(std::string_view method) const {
      return msg.isRequest() && msg.methodName() == method;
    }
    bool isResponse(int status, std::string_view method = {}) const {
      return msg.isResponse() && msg.statusCode() == status &&
             (method.empty() || msg.cseq().methodName == method);
    }
  };

  static constexpr transport::ConnectionId kConnection = 7;

  /**
   * @param loop the simulated loop everything runs on.
   * @param wire the endpoint's transport; the peer is at `self` (10.0.0.2:5070 by default).
   */
  ScriptedPeer(base::SimLoop& loop, transport::LoopTransport& wire,
               transport::Endpoint self = {boost::asio::ip::make_address("10.0.0.2"), 5070})
      : loop_(loop), wire_(wire), self_(self) {}

  bool reliable() const { return transport::isReliable(wire_.protocol()); }
  const char* viaTransport() const { return reliable() ? "TCP" : "UDP"; }
  const transport::Endpoint& self() const { return self_; }

  // ---- what the endpoint sent -------------------------------------------------------------

  /** Everything sent since the last take(), parsed, oldest first (also kept in log()). */
  std::vector<Out> take() {
    std::vector<Out> out;
    for (auto& s : wire_.takeSent()) {
      auto m = message::parse(s.bytes);
      EXPECT_TRUE(m.ok()) << s.bytes;
      if (m.ok()) {
        log_.push_back(Out{m->clone(), s.at, s.to});
        out.push_back(Out{std::move(*m), s.at, s.to});
      }
    }
    return out;
  }
  /** Every message taken so far. */
  const std::vector<Out>& log() const { return log_; }

  /** The one request with `method` among what was sent since the last take(). */
  std::optional<Out> takeRequest(std::string_view method) {
    return only(
        take(), [&](const Out& o) { return o.isRequest(method); }, std::string(method));
  }
  /** The one response with `status` (to `method`) among what was sent since the last take(). */
  std::optional<Out> takeResponse(int status, std::string_view method = {}) {
    return only(
        take(), [&](const Out& o) { return o.isResponse(status, method); },
        std::to_string(status) + " " + std::string(method));
  }

  /** A one-line summary of `v` for failure messages ("INVITE 180/INVITE BYE"). */
  static std::string describe(const std::vector<Out>& v) {
    std::string s;
    for (const auto& o : v) {
      s += s.empty() ? "" : " ";
      s += o.msg.isRequest()
               ? std::string(o.msg.methodName())
               : std::to_string(o.msg.statusCode()) + "/" + std::string(o.msg.cseq().methodName);
    }
    return s;
  }

  // ---- what the peer sends ----------------------------------------------------------------

  /** The peer sends `text` (on its connection over a reliable transport); runs the loop. */
  void send(const std::string& text) {
    wire_.inject(self_, text, reliable() ? kConnection : 0);
    loop_.runUntilIdle();
  }

  /**
   * The peer answers `request` (one the endpoint sent) with `status`: `headers` added, an SDP
   * `body` if given, `toTag` added when To has none (never to a 100). Runs the loop.
   */
  void reply(const message::SipMessage& request, int status, std::string_view toTag = "peer-tag",
             const std::vector<std::pair<std::string, std::string>>& headers = {},
             std::string_view body = {}, std::string_view reasonPhrase = {}) {
    auto r = message::makeResponse(request, status, reasonPhrase,
                                   status == 100 ? std::string_view{} : toTag);
    ASSERT_TRUE(r.ok());
    for (const auto& [name, value] : headers) {
      ASSERT_TRUE(r->addHeader(name, value).ok()) << name << ": " << value;
    }
    if (!body.empty()) {
      r->setBody(body, "application/sdp");
    }
    send(r->serialize());
  }

  /** A new dialog in which the peer (Carol) calls `user` at the endpoint (`host`). */
  PeerDialog callTo(const std::string& user, const std::string& host = "10.0.0.1:5060",
                    const std::string& callId = "peer-call-1") const {
    PeerDialog d;
    d.requestUri = "sip:" + user + "@" + host;
    d.from = "\"Carol\" <sip:carol@10.0.0.2>;tag=carol-tag";
    d.to = "<sip:" + user + "@" + host + ">";
    d.callId = callId;
    return d;
  }

  /** The callee's side of the dialog the endpoint's `invite` created (peer tag `tag`). */
  static PeerDialog answering(const message::SipMessage& invite, const std::string& tag) {
    PeerDialog d;
    d.requestUri = invite.contacts().empty() ? std::string(invite.requestUri().text)
                                             : std::string(invite.contacts().front().uri.text);
    d.from = std::string(invite.to().text) + ";tag=" + tag;
    d.to = std::string(invite.from().text);
    d.callId = std::string(invite.callId());
    d.cseq = 100;
    return d;
  }

  /** Learns the endpoint's tag from its response (To) in dialog `d`. */
  static void learnTag(PeerDialog& d, const message::SipMessage& response) {
    if (d.to.find(";tag=") == std::string::npos && !response.to().tag().empty()) {
      d.to += ";tag=" + std::string(response.to().tag());
    }
  }

  /**
   * The peer's next request in `d`, as text. INVITE and other requests take the next CSeq
   * (an INVITE's branch and CSeq are kept for its CANCEL and non-2xx ACK); CANCEL reuses the
   * INVITE's; ACK for a 2xx (`ack2xx`) takes the INVITE's CSeq and a new branch, a non-2xx
   * ACK the INVITE's branch. `extra` is header lines, each ending in CRLF.
   */
  std::string request(PeerDialog& d, const std::string& method, const std::string& extra = {},
                      const std::string& body = {}, bool ack2xx = true) {
    std::string branch;
    std::uint32_t cseq = 0;
    if (method == "CANCEL") {
      branch = d.inviteBranch;
      cseq = d.inviteCseq;
    } else if (method == "ACK") {
      cseq = d.inviteCseq;
      branch = ack2xx ? nextBranch() : d.inviteBranch;
    } else {
      cseq = ++d.cseq;
      branch = nextBranch();
      if (method == "INVITE") {
        d.inviteBranch = branch;
        d.inviteCseq = cseq;
      }
    }
    std::string to = d.to;
    if (method == "CANCEL") {
      // A CANCEL's To is the INVITE's: without the tag of a dialog it may have made.
      to = to.substr(0, to.find(";tag="));
    }
    std::string text = method + " " + d.requestUri + " SIP/2.0\r\n";
    text += "Via: SIP/2.0/" + std::string(viaTransport()) + " " + self_.address.to_string() + ":" +
            std::to_string(self_.port) + ";branch=" + branch + "\r\n";
    text += "Max-Forwards: 70\r\n";
    text += "From: " + d.from + "\r\n";
    text += "To: " + to + "\r\n";
    text += "Call-ID: " + d.callId + "\r\n";
    text += "CSeq: " + std::to_string(cseq) + " " + method + "\r\n";
    if (method == "INVITE") {
      text += "Contact: " + d.contact + "\r\n";
    }
    text += extra;
    if (!body.empty()) {
      text += "Content-Type: application/sdp\r\n";
    }
    text += "Content-Length: " + std::to_string(body.size()) + "\r\n\r\n" + body;
    return text;
  }

  /** A plain audio offer from the peer; `direction` is the a= attribute (sendrecv, sendonly...). */
  static std::string sdpOffer(std::uint64_t version = 1, const std::string& direction = "sendrecv",
                              const std::string& address = "10.0.0.2") {
    return "v=0\r\no=carol 42 " + std::to_string(version) + " IN IP4 " + address +
           "\r\ns=-\r\nc=IN IP4 " + address +
           "\r\nt=0 0\r\nm=audio 40000 RTP/AVP 0 8 101\r\na=rtpmap:0 PCMU/8000\r\n"
           "a=rtpmap:8 PCMA/8000\r\na=rtpmap:101 telephone-event/8000\r\na=" +
           direction + "\r\n";
  }

 private:
  template <typename Pred>
  static std::optional<Out> only(std::vector<Out> sent, Pred pred, const std::string& what) {
    const std::string among = describe(sent);
    std::vector<Out> matching;
    for (auto& o : sent) {
      if (pred(o)) {
        matching.push_back(std::move(o));
      }
    }
    EXPECT_EQ(matching.size(), 1u) << what << " among: " << among;
    if (matching.size() != 1) {
      return std::nullopt;
    }
    return std::move(matching.front());
  }

  std::string nextBranch() { return "z9hG4bKpeer" + std::to_string(++branches_); }

  base::SimLoop& loop_;
  transport::LoopTransport& wire_;
  transport::Endpoint self_;
  std::vector<Out> log_;
  unsigned branches_ = 0;
};

}  // namespace tapi::sip::testing
