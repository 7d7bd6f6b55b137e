// Transactions end to end over real sockets: two stacks on one AsioLoop, talking over
// 127.0.0.1 / ::1 with ephemeral ports, so Via, received/rport, response routing and TCP
// connection reuse are exercised as a peer would see them.

#include <gtest/gtest.h>

#include <memory>

#include "base/asio_loop.hpp"
#include "mocks/sip/fake_transaction_user.hpp"
#include "mocks/sip/run_until.hpp"
#include "sip/transaction/transaction_layer.hpp"
#include "sip/transport/tcp_transport.hpp"
#include "sip/transport/udp_transport.hpp"

namespace tapi::sip::testing {
namespace {

using transport::Endpoint;
using transport::Protocol;

// One SIP stack: UDP + TCP transports on `ip`, the transport layer, a recording TU and the
// transaction layer. `answer` (if not 0) is sent by the TU to every new request.
struct Stack {
  Stack(base::AsioLoop& loop, const char* ip, int answer) : tu(loop) {
    const Endpoint any{boost::asio::ip::make_address(ip), 0};
    auto u = transport::UdpTransport::open(loop.context(), any);
    auto t = transport::TcpTransport::open(loop.context(), any);
    if (!u || !t) {
      return;
    }
    udp = std::move(*u);
    tcp = std::move(*t);
    tl.addTransport(*udp);
    tl.addTransport(*tcp);
    layer = std::make_unique<transaction::TransactionLayer>(loop, tl, tu);
    tu.onRequestHook = [this, answer](const transaction::RequestParam& p) {
      if (answer == 0 || p.request.method() == message::Method::Ack) {
        return;
      }
      auto h = layer->createServer(p.request, p.arrival);
      ASSERT_TRUE(h.ok());
      servers.push_back(*h);
      auto r = message::makeResponse(p.request, answer);
      ASSERT_TRUE(r.ok());
      ASSERT_TRUE(layer->respond(*h, std::move(*r)).ok());
    };
  }
  ~Stack() {
    layer.reset();
    tl.removeTransport(*udp);
    tl.removeTransport(*tcp);
  }
  bool ok() const { return layer != nullptr; }

  message::SipMessage request(std::string_view method, const Endpoint& to) {
    auto b = message::MessageBuilder::request(message::methodFromString(method), "sip:svc@" + to.toString());
    b.header("Via", "SIP/2.0/UDP placeholder.invalid;branch=z9hG4bKx")
        .header("Max-Forwards", "70")
        .header("From", "<sip:alice@example.com>;tag=a1")
        .header("To", "<sip:svc@example.com>")
        .header("Call-ID", "sockets-" + std::string(method) + "@example.com")
        .header("CSeq", "1 " + std::string(method));
    return b.build().value();
  }

  std::unique_ptr<transport::UdpTransport> udp;
  std::unique_ptr<transport::TcpTransport> tcp;
  transport::TransportLayer tl;
  FakeTransactionUser tu;
  std::unique_ptr<transaction::TransactionLayer> layer;
  std::vector<transaction::TransactionHandle> servers;
};

void optionsRoundTrip(const char* ip, Protocol protocol) {
  base::AsioLoop loop;
  Stack server(loop, ip, 200);
  Stack client(loop, ip, 0);
  if (!server.ok() || !client.ok()) {
    GTEST_SKIP() << "cannot bind " << ip;
  }
  const Endpoint to = protocol == Protocol::Udp ? server.udp->localEndpoint() : server.tcp->localEndpoint();
  auto h = client.layer->sendRequest(client.request("OPTIONS", to), transport::Target{protocol, to});
  ASSERT_TRUE(h.ok()) << h.error().message();
  auto& io = loop.context();
  ASSERT_TRUE(runUntil(io, [&] { return !client.tu.responses.empty(); }));
  EXPECT_EQ(client.tu.responses[0].status, 200);
  EXPECT_EQ(client.tu.responses[0].transaction, *h);
  ASSERT_EQ(server.tu.requests.size(), 1u);
  // The server saw our real address: sent-by matched it, so only rport was filled in.
  const auto& via = server.tu.requests[0].request.topVia();
  const Endpoint from = protocol == Protocol::Udp ? client.udp->localEndpoint() : client.tcp->localEndpoint();
  EXPECT_EQ(via.port, from.port);
  EXPECT_TRUE(via.rport.has_value());
  if (protocol == Protocol::Udp) {
    EXPECT_EQ(client.layer->stateName(*h), "Completed") << "Timer K runs on UDP";
    EXPECT_EQ(server.layer->stateName(server.servers.at(0)), "Completed") << "Timer J runs on UDP";
  } else {
    // Reliable: both transactions end at once; the response came back on our connection.
    ASSERT_TRUE(runUntil(io, [&] { return !client.tu.terminated.empty() && !server.tu.terminated.empty(); }));
    EXPECT_EQ(client.tcp->stats().connectionsOpened, 1u);
    EXPECT_EQ(server.tcp->stats().connectionsAccepted, 1u);
    EXPECT_EQ(server.tcp->stats().connectionsOpened, 0u) << "the response reused the connection";
  }
}

TEST(TransactionsOverSockets, OptionsOverUdpIpv4) { optionsRoundTrip("127.0.0.1", Protocol::Udp); }
TEST(TransactionsOverSockets, OptionsOverTcpIpv4) { optionsRoundTrip("127.0.0.1", Protocol::Tcp); }
TEST(TransactionsOverSockets, OptionsOverUdpIpv6) { optionsRoundTrip("::1", Protocol::Udp); }
TEST(TransactionsOverSockets, OptionsOverTcpIpv6) { optionsRoundTrip("::1", Protocol::Tcp); }

TEST(TransactionsOverSockets, RejectedInviteIsAckedAndConfirmsTheServer) {
  base::AsioLoop loop;
  Stack server(loop, "127.0.0.1", 486);
  Stack client(loop, "127.0.0.1", 0);
  ASSERT_TRUE(server.ok() && client.ok());
  const Endpoint to = server.udp->localEndpoint();
  auto h = client.layer->sendRequest(client.request("INVITE", to), transport::Target{Protocol::Udp, to});
  ASSERT_TRUE(h.ok());
  auto& io = loop.context();
  ASSERT_TRUE(runUntil(io, [&] {
    return !server.servers.empty() && server.layer->stateName(server.servers[0]) == "Confirmed";
  })) << "the transaction's own ACK must reach the server transaction";
  std::vector<int> statuses;
  for (const auto& r : client.tu.responses) {
    statuses.push_back(r.status);
  }
  EXPECT_EQ(statuses, (std::vector<int>{100, 486}));
  EXPECT_EQ(client.layer->stateName(*h), "Completed");
  EXPECT_TRUE(server.tu.acks.empty()) << "the non-2xx ACK stays inside the transaction";
}

}  // namespace
}  // namespace tapi::sip::testing
