#pragma once
// One side of a SIP exchange on the simulated clock: our TransactionLayer on a
// LoopTransport, and helpers that play the peer (inject requests/responses) and inspect
// what we sent, and when.

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "../sip_test_support.hpp"
#include "mocks/sip/fake_transaction_user.hpp"
#include "sip/message/message.hpp"
#include "sip/transaction/transaction_layer.hpp"

namespace tapi::sip::testing {

using transaction::TransactionHandle;
using transaction::TransactionLayer;

class TransactionFixture : public SimulatedWire {
 public:
  explicit TransactionFixture(Protocol protocol, transaction::TimerConfig timers = {})
      : SimulatedWire(protocol), tu(loop), layer(loop, transportLayer, tu, timers) {}

  /** A request as a UA core would build it (the layer writes the real Via). */
  message::SipMessage makeRequest(std::string_view method) {
    auto b = message::MessageBuilder::request(message::methodFromString(method),
                                              "sip:bob@10.0.0.2:5070");
    b.header("Via", "SIP/2.0/UDP placeholder.invalid;branch=z9hG4bKplaceholder")
        .header("Max-Forwards", "70")
        .header("From", "<sip:alice@10.0.0.1>;tag=fromtag1")
        .header("To", "<sip:bob@10.0.0.2>")
        .header("Call-ID", "call-1@10.0.0.1")
        .header("CSeq", "1 " + std::string(method))
        .header("Route", "<sip:proxy.invalid;lr>");
    auto m = b.build();
    EXPECT_TRUE(m.ok()) << m.error().message();
    return std::move(*m);
  }

  transport::Target peerTarget() const { return transport::Target{protocol(), peer()}; }

  /** Starts a client transaction for a fresh request of `method`. */
  TransactionHandle startClient(std::string_view method) {
    auto h = layer.sendRequest(makeRequest(method), peerTarget());
    EXPECT_TRUE(h.ok()) << h.error().message();
    return h.ok() ? *h : TransactionHandle{};
  }

  /** Everything we sent, parsed, with its send time. */
  struct Sent {
    message::SipMessage msg;
    base::TimePoint at;
    transport::Destination to;
  };
  std::vector<Sent> sent() const {
    std::vector<Sent> out;
    for (const auto& s : wire.sent()) {
      auto m = message::parse(s.bytes);
      EXPECT_TRUE(m.ok()) << s.bytes;
      if (m.ok()) {
        out.push_back(Sent{std::move(*m), s.at, s.to});
      }
    }
    return out;
  }

  /** Send times (seconds) of requests with `method`, or responses with `status`. */
  std::vector<double> sendTimes(std::string_view method, int status = 0) const {
    std::vector<double> out;
    for (const auto& s : sent()) {
      const bool match = status == 0 ? (s.msg.isRequest() && s.msg.methodName() == method)
                                     : (s.msg.isResponse() && s.msg.statusCode() == status);
      if (match) {
        out.push_back(secs(s.at));
      }
    }
    return out;
  }

  /** The first request we sent with `method`. */
  message::SipMessage firstSent(std::string_view method) {
    for (auto& s : sent()) {
      if (s.msg.isRequest() && s.msg.methodName() == method) {
        return std::move(s.msg);
      }
    }
    ADD_FAILURE() << "no " << method << " sent";
    return makeRequest("OPTIONS");
  }

  /** The peer answers `request` (one we sent) with `status`. */
  void answer(const message::SipMessage& request, int status, std::string_view toTag = "peer-tag") {
    reply(request, status, toTag);
  }

  /** The peer sends a request (text with its own Via). */
  void peerSends(const std::string& text) { inject(text); }

  /** A request from the peer, as text. */
  std::string peerRequest(std::string_view method, std::string_view branch = "z9hG4bKpeer1",
                          std::string_view toTag = {}, std::string_view cseqMethod = {}) const {
    std::string to = "<sip:bob@10.0.0.1>";
    if (!toTag.empty()) {
      to += ";tag=" + std::string(toTag);
    }
    std::string m = std::string(method) + " sip:bob@10.0.0.1 SIP/2.0\r\n";
    m += "Via: SIP/2.0/" + std::string(proto()) + " 10.0.0.2:5070;branch=" + std::string(branch) +
         "\r\n";
    m += "Max-Forwards: 70\r\nFrom: <sip:carol@10.0.0.2>;tag=ct1\r\nTo: " + to + "\r\n";
    m += "Call-ID: peer-call-1\r\nCSeq: 5 " +
         std::string(cseqMethod.empty() ? method : cseqMethod) + "\r\n";
    m += "Content-Length: 0\r\n\r\n";
    return m;
  }

  /** Makes the TU create a server transaction for every new non-ACK request. */
  void autoCreateServers() {
    tu.onRequestHook = [this](const transaction::RequestParam& p) {
      if (p.request.method() == message::Method::Ack) {
        return;
      }
      auto h = layer.createServer(p.request, p.arrival);
      ASSERT_TRUE(h.ok()) << h.error().message();
      servers.push_back(*h);
    };
  }

  /** Our answer through server transaction `h`. */
  Result<void> respond(TransactionHandle h, int status, std::string_view toTag = "our-tag") {
    const message::SipMessage* req = layer.request(h);
    if (req == nullptr) {
      return fail(std::make_error_code(std::errc::no_such_process));
    }
    auto r = message::makeResponse(*req, status, {}, toTag);
    EXPECT_TRUE(r.ok());
    auto out = layer.respond(h, std::move(*r));
    loop.runUntilIdle();
    return out;
  }

  /** Runs the clock on and checks that nothing is left behind. */
  void expectAllGone() {
    loop.advance(10min);
    const auto s = layer.stats();
    EXPECT_EQ(s.liveTotal(), 0u);
    EXPECT_EQ(s.timersPending, 0u);
    EXPECT_EQ(loop.pendingTimers(), 0u);
    EXPECT_EQ(s.rejectedTransitions, 0u);
  }

  FakeTransactionUser tu;
  TransactionLayer layer;
  std::vector<TransactionHandle> servers;
};

}  // namespace tapi::sip::testing
