#include "sip/transport/udp_transport.hpp"

#include <gtest/gtest.h>

#include <boost/asio/ip/udp.hpp>
#include <vector>

#include "mocks/sip/run_until.hpp"

namespace tapi::sip::transport {
namespace {

using sip::testing::runUntil;
namespace asio = boost::asio;

struct Collect : TransportSink {
  std::vector<ReceivedPacket> got;
  void onPacket(Transport&, ReceivedPacket&& p) override { got.push_back(std::move(p)); }
};

Endpoint any(const char* ip) {
  return Endpoint{asio::ip::make_address(ip), 0};
}

void exchange(const char* ip) {
  asio::io_context io;
  auto a = UdpTransport::open(io, any(ip));
  auto b = UdpTransport::open(io, any(ip));
  if (!a || !b) {
    GTEST_SKIP() << "cannot bind " << ip;
  }
  Collect ca, cb;
  (*a)->setSink(&ca);
  (*b)->setSink(&cb);
  EXPECT_NE((*a)->localEndpoint().port, 0);
  bool sent = false;
  (*a)->send(Destination{(*b)->localEndpoint()}, "OPTIONS sip:x SIP/2.0\r\n\r\n",
             [&](std::error_code ec) {
               EXPECT_FALSE(ec) << ec.message();
               sent = true;
             });
  ASSERT_TRUE(runUntil(io, [&] { return sent && cb.got.size() == 1; }));
  EXPECT_EQ(cb.got[0].bytes, "OPTIONS sip:x SIP/2.0\r\n\r\n");
  EXPECT_EQ(cb.got[0].source, (*a)->localEndpoint());
  EXPECT_EQ(cb.got[0].local, (*b)->localEndpoint());
  EXPECT_EQ(cb.got[0].protocol, Protocol::Udp);
  EXPECT_EQ(cb.got[0].connection, 0u);
  (*b)->send(Destination{cb.got[0].source}, "SIP/2.0 200 OK\r\n\r\n", nullptr);
  ASSERT_TRUE(runUntil(io, [&] { return ca.got.size() == 1; }));
  EXPECT_EQ((*a)->stats().messagesSent, 1u);
  EXPECT_EQ((*b)->stats().messagesReceived, 1u);
}

TEST(UdpTransport, ExchangesDatagramsOverIpv4) {
  exchange("127.0.0.1");
}
TEST(UdpTransport, ExchangesDatagramsOverIpv6) {
  exchange("::1");
}

TEST(UdpTransport, KeepAliveDatagramsAreCountedNotDelivered) {
  asio::io_context io;
  auto t = UdpTransport::open(io, any("127.0.0.1"));
  ASSERT_TRUE(t);
  Collect c;
  (*t)->setSink(&c);
  asio::ip::udp::socket raw(io, asio::ip::udp::endpoint(asio::ip::make_address("127.0.0.1"), 0));
  const asio::ip::udp::endpoint to((*t)->localEndpoint().address, (*t)->localEndpoint().port);
  raw.send_to(asio::buffer(std::string("\r\n\r\n")), to);
  raw.send_to(asio::buffer(std::string("REAL")), to);
  ASSERT_TRUE(runUntil(io, [&] { return c.got.size() == 1; }));
  EXPECT_EQ(c.got[0].bytes, "REAL");
  EXPECT_EQ((*t)->stats().dropped(DropReason::EmptyDatagram), 1u);
}

TEST(UdpTransport, OversizedDatagramIsDropped) {
  asio::io_context io;
  UdpOptions opts;
  opts.maxDatagram = 100;
  auto t = UdpTransport::open(io, any("127.0.0.1"), opts);
  ASSERT_TRUE(t);
  Collect c;
  (*t)->setSink(&c);
  asio::ip::udp::socket raw(io, asio::ip::udp::endpoint(asio::ip::make_address("127.0.0.1"), 0));
  const asio::ip::udp::endpoint to((*t)->localEndpoint().address, (*t)->localEndpoint().port);
  raw.send_to(asio::buffer(std::string(500, 'x')), to);
  raw.send_to(asio::buffer(std::string(100, 'y')), to);
  ASSERT_TRUE(runUntil(io, [&] { return c.got.size() == 1; }));
  EXPECT_EQ(c.got[0].bytes, std::string(100, 'y'));
  EXPECT_EQ((*t)->stats().dropped(DropReason::DatagramTooLarge), 1u);
}

TEST(UdpTransport, SendAfterCloseCompletesWithAbort) {
  asio::io_context io;
  auto t = UdpTransport::open(io, any("127.0.0.1"));
  ASSERT_TRUE(t);
  (*t)->close();
  std::error_code got;
  bool done = false;
  (*t)->send(Destination{Endpoint{asio::ip::make_address("127.0.0.1"), 9}}, "x",
             [&](std::error_code ec) {
               got = ec;
               done = true;
             });
  EXPECT_FALSE(done);
  ASSERT_TRUE(runUntil(io, [&] { return done; }));
  EXPECT_EQ(got, Errc::Cancelled);
  EXPECT_EQ(got, std::errc::operation_canceled);
}

TEST(UdpTransport, BindingABusyPortFails) {
  asio::io_context io;
  auto a = UdpTransport::open(io, any("127.0.0.1"));
  ASSERT_TRUE(a);
  auto b = UdpTransport::open(io, (*a)->localEndpoint());
  EXPECT_FALSE(b);
}

}  // namespace
}  // namespace tapi::sip::transport
