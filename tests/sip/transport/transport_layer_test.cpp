#include "sip/transport/transport_layer.hpp"

#include <gtest/gtest.h>

#include <vector>

#include "base/sim_loop.hpp"
#include "sip/transport/branch.hpp"
#include "sip/transport/loop_transport.hpp"

namespace tapi::sip::transport {
namespace {

Endpoint ep(const char* ip, std::uint16_t port) {
  return Endpoint{boost::asio::ip::make_address(ip), port};
}

message::SipMessage request(std::string_view via, std::string_view method = "OPTIONS") {
  std::string m = std::string(method) + " sip:bob@10.0.0.1 SIP/2.0\r\nVia: " + std::string(via) +
                  "\r\nMax-Forwards: 70\r\nFrom: <sip:a@b>;tag=1\r\nTo: <sip:bob@10.0.0.1>\r\n"
                  "Call-ID: c1\r\nCSeq: 1 " +
                  std::string(method) + "\r\nContent-Length: 0\r\n\r\n";
  auto r = message::parse(m);
  EXPECT_TRUE(r.ok()) << m;
  return std::move(*r);
}

struct Collect : MessageSink {
  std::vector<IncomingMessage> got;
  void onMessage(IncomingMessage&& in) override { got.push_back(std::move(in)); }
};

// ---- RFC 3261 §18.2.1 / RFC 3581 §4: received and rport ------------------------------------

TEST(StampReceived, AddsReceivedWhenSentByIsAHostName) {
  auto r = request("SIP/2.0/UDP client.example.com:5060;branch=z9hG4bK1");
  EXPECT_EQ(stampReceived(r, ep("192.0.2.7", 5060)), 1);
  EXPECT_EQ(r.topVia().received, "192.0.2.7");
  EXPECT_FALSE(r.topVia().hasRport);
}

TEST(StampReceived, AddsReceivedWhenSentByIsAnotherAddress) {
  auto r = request("SIP/2.0/UDP 10.1.1.1:5060;branch=z9hG4bK1");
  EXPECT_EQ(stampReceived(r, ep("192.0.2.7", 5060)), 1);
  EXPECT_EQ(r.topVia().received, "192.0.2.7");
}

TEST(StampReceived, LeavesAMatchingSentByAlone) {
  auto r = request("SIP/2.0/UDP 192.0.2.7:5060;branch=z9hG4bK1");
  EXPECT_EQ(stampReceived(r, ep("192.0.2.7", 5999)), 0);
  EXPECT_TRUE(r.topVia().received.empty());
  EXPECT_FALSE(r.modified()) << "untouched messages are forwarded byte for byte";
}

TEST(StampReceived, FillsRportAndAlwaysAddsReceivedWithIt) {
  auto r = request("SIP/2.0/UDP 192.0.2.7:5060;rport;branch=z9hG4bK1");
  EXPECT_EQ(stampReceived(r, ep("192.0.2.7", 41000)), 3);
  EXPECT_EQ(r.topVia().received, "192.0.2.7");
  EXPECT_EQ(r.topVia().rport, 41000);
  EXPECT_EQ(r.topVia().branch, "z9hG4bK1");
}

TEST(StampReceived, ComparesIpv6AddressesNotText) {
  auto same = request("SIP/2.0/UDP [2001:db8::0:1]:5060;branch=z9hG4bK1");
  EXPECT_EQ(stampReceived(same, ep("2001:db8::1", 5060)), 0);
  auto other = request("SIP/2.0/UDP [2001:db8::1]:5060;branch=z9hG4bK1");
  EXPECT_EQ(stampReceived(other, ep("2001:db8::2", 5060)), 1);
  EXPECT_EQ(other.topVia().received, "2001:db8::2");
}

// ---- RFC 3261 §18.2.2: where responses go --------------------------------------------------

Arrival udpArrival(const char* ip, std::uint16_t port) {
  return Arrival{nullptr, Protocol::Udp, ep(ip, port), {}, 0};
}

TEST(ResponseDestination, UnreliableUsesReceivedAndSentByPort) {
  auto r = request("SIP/2.0/UDP client.example.com:5070;branch=z9hG4bK1");
  stampReceived(r, ep("192.0.2.7", 41000));
  auto d = responseDestination(r.topVia(), udpArrival("192.0.2.7", 41000));
  ASSERT_TRUE(d.ok());
  EXPECT_EQ(d->first, Protocol::Udp);
  EXPECT_EQ(d->second.endpoint, ep("192.0.2.7", 5070)) << "no rport: the sent-by port";
}

TEST(ResponseDestination, UnreliableDefaultsTo5060) {
  auto r = request("SIP/2.0/UDP 192.0.2.7;branch=z9hG4bK1");
  auto d = responseDestination(r.topVia(), udpArrival("192.0.2.7", 41000));
  ASSERT_TRUE(d.ok());
  EXPECT_EQ(d->second.endpoint, ep("192.0.2.7", 5060));
}

TEST(ResponseDestination, RportSendsBackToTheSourcePort) {
  auto r = request("SIP/2.0/UDP 10.1.1.1:5060;rport;branch=z9hG4bK1");
  stampReceived(r, ep("198.51.100.9", 62000));
  auto d = responseDestination(r.topVia(), udpArrival("198.51.100.9", 62000));
  ASSERT_TRUE(d.ok());
  EXPECT_EQ(d->second.endpoint, ep("198.51.100.9", 62000));
}

TEST(ResponseDestination, MaddrIsIgnoredSoAForgedViaCannotAimResponsesElsewhere) {
  auto r = request("SIP/2.0/UDP 10.1.1.1:5070;maddr=239.255.255.1;ttl=1;branch=z9hG4bK1");
  stampReceived(r, ep("10.1.1.1", 5070));
  auto d = responseDestination(r.topVia(), udpArrival("10.1.1.1", 5070));
  ASSERT_TRUE(d.ok());
  EXPECT_EQ(d->second.endpoint, ep("10.1.1.1", 5070));
}

TEST(ResponseDestination, AViaNamingAnUnservedTransportIsAnsweredOnTheArrivalTransport) {
  // RFC 4475-style: a datagram whose Via claims TLS (or a made-up token) is still answered,
  // over UDP to where it came from, so its server transaction can end.
  for (const char* via :
       {"SIP/2.0/TLS 192.0.2.7:5061;branch=z9hG4bK1", "SIP/2.0/SCTP 192.0.2.7;branch=z9hG4bK1",
        "SIP/2.0/FOO 192.0.2.7:5070;rport;branch=z9hG4bK1"}) {
    auto r = request(via);
    stampReceived(r, ep("192.0.2.7", 41000));
    auto d = responseDestination(r.topVia(), udpArrival("192.0.2.7", 41000));
    ASSERT_TRUE(d.ok()) << via;
    EXPECT_EQ(d->first, Protocol::Udp) << via;
    EXPECT_EQ(d->second.endpoint.address, ep("192.0.2.7", 1).address) << via;
  }
}

TEST(ResponseDestination, ReliableUsesTheOpenConnectionElseReceivedAndSentByPort) {
  base::SimLoop loop;
  LoopTransport tcp(loop, Protocol::Tcp, ep("10.0.0.1", 5060));
  tcp.inject(ep("192.0.2.7", 40001), "x", 9);  // marks connection 9 open
  auto r = request("SIP/2.0/TCP client.example.com:5070;branch=z9hG4bK1");
  stampReceived(r, ep("192.0.2.7", 40001));
  const Arrival arrival{&tcp, Protocol::Tcp, ep("192.0.2.7", 40001), tcp.localEndpoint(), 9};
  auto open = responseDestination(r.topVia(), arrival);
  ASSERT_TRUE(open.ok());
  EXPECT_EQ(open->second.connection, 9u);
  EXPECT_EQ(open->second.endpoint, ep("192.0.2.7", 40001));
  tcp.closeConnection(9);
  auto closed = responseDestination(r.topVia(), arrival);
  ASSERT_TRUE(closed.ok());
  EXPECT_EQ(closed->second.connection, 0u);
  EXPECT_EQ(closed->second.endpoint, ep("192.0.2.7", 5070));
}

TEST(ResponseDestination, AHostNameWithoutReceivedCannotBeRoutedHere) {
  // Only possible when the layer was bypassed: sent-by names a host and nothing says where it came
  // from.
  auto r = request("SIP/2.0/UDP client.example.com:5070;branch=z9hG4bK1");
  EXPECT_FALSE(responseDestination(r.topVia(), udpArrival("192.0.2.7", 1)).ok());
}

// ---- the layer over a loop transport -------------------------------------------------------

struct LayerFixture {
  base::SimLoop loop;
  LoopTransport udp{loop, Protocol::Udp, ep("10.0.0.1", 5060)};
  LoopTransport tcp{loop, Protocol::Tcp, ep("10.0.0.1", 5060)};
  TransportLayer layer;
  Collect sink;
  LayerFixture() {
    layer.addTransport(udp);
    layer.addTransport(tcp);
    layer.setSink(&sink);
  }
};

TEST(TransportLayer, RequestsArriveStampedWithReceivedAndRport) {
  LayerFixture f;
  f.udp.inject(ep("203.0.113.5", 33333),
               "OPTIONS sip:x@10.0.0.1 SIP/2.0\r\nVia: SIP/2.0/UDP "
               "192.168.1.2:5060;rport;branch=z9hG4bKa\r\n"
               "From: <sip:a@b>;tag=1\r\nTo: <sip:x@y>\r\nCall-ID: c\r\nCSeq: 1 "
               "OPTIONS\r\nContent-Length: 0\r\n\r\n");
  f.loop.runUntilIdle();
  ASSERT_EQ(f.sink.got.size(), 1u);
  const auto& via = f.sink.got[0].message.topVia();
  EXPECT_EQ(via.received, "203.0.113.5");
  EXPECT_EQ(via.rport, 33333);
  EXPECT_EQ(f.sink.got[0].arrival.transport, &f.udp);
  EXPECT_EQ(f.layer.stats().receivedAdded, 1u);
  EXPECT_EQ(f.layer.stats().rportFilled, 1u);
}

TEST(TransportLayer, AMalformedRequestGetsAStateless400BackWhereItCameFrom) {
  LayerFixture f;
  f.tcp.inject(ep("203.0.113.5", 40000),
               "OPTIONS sip:x@10.0.0.1 SIP/2.0\r\nVia: SIP/2.0/TCP 203.0.113.5;branch=z9hG4bKa\r\n"
               "From: <sip:a@b>;tag=1\r\nTo: <sip:x@y>\r\nCall-ID: c\r\nCSeq: 1 "
               "INVITE\r\nContent-Length: 0\r\n\r\n",
               4);
  f.loop.runUntilIdle();
  EXPECT_TRUE(f.sink.got.empty());
  ASSERT_EQ(f.tcp.sent().size(), 1u);
  EXPECT_EQ(f.tcp.sent()[0].bytes.rfind("SIP/2.0 400 ", 0), 0u) << f.tcp.sent()[0].bytes;
  EXPECT_EQ(f.tcp.sent()[0].to.connection, 4u);
  EXPECT_EQ(f.layer.stats().answered400, 1u);
  EXPECT_EQ(f.layer.stats().parse.rejectedTotal(), 1u);
}

TEST(TransportLayer, GarbageAndBadResponsesAreDroppedAndCounted) {
  LayerFixture f;
  f.udp.inject(ep("203.0.113.5", 1), "\x01\x02 not sip at all");
  f.udp.inject(ep("203.0.113.5", 1), "SIP/2.0 200 OK\r\nVia: nonsense\r\n\r\n");
  f.loop.runUntilIdle();
  EXPECT_TRUE(f.sink.got.empty());
  EXPECT_TRUE(f.udp.sent().empty());
  EXPECT_EQ(f.layer.stats().dropped(LayerDrop::ParseErrorDropped), 2u);
}

TEST(TransportLayer, ResponsesWhoseViaIsNotOursAreDropped) {
  LayerFixture f;
  const std::string tail =
      "From: <sip:a@b>;tag=1\r\nTo: <sip:x@y>;tag=2\r\nCall-ID: c\r\nCSeq: 1 OPTIONS\r\n"
      "Content-Length: 0\r\n\r\n";
  f.udp.inject(ep("203.0.113.5", 5060),
               "SIP/2.0 200 OK\r\nVia: SIP/2.0/UDP 10.9.9.9:5060;branch=z9hG4bKa\r\n" + tail);
  f.udp.inject(ep("203.0.113.5", 5060),
               "SIP/2.0 200 OK\r\nVia: SIP/2.0/UDP 10.0.0.1;branch=z9hG4bKb\r\n" + tail);
  f.loop.runUntilIdle();
  ASSERT_EQ(f.sink.got.size(), 1u);
  EXPECT_EQ(f.sink.got[0].message.topVia().branch, "z9hG4bKb");
  EXPECT_EQ(f.layer.stats().dropped(LayerDrop::ResponseViaMismatch), 1u);
}

TEST(TransportLayer, PrepareRequestWritesOurViaAndPicksTheTransport) {
  LayerFixture f;
  auto r = request("SIP/2.0/UDP placeholder;branch=z9hG4bKold");
  const std::string branch = generateBranch();
  auto route = f.layer.prepareRequest(r, Target{Protocol::Tcp, ep("10.0.0.2", 5080)}, branch);
  ASSERT_TRUE(route.ok());
  EXPECT_EQ(route->transport, &f.tcp);
  EXPECT_EQ(route->destination.endpoint, ep("10.0.0.2", 5080));
  const auto& via = r.topVia();
  EXPECT_EQ(via.transport, "TCP");
  EXPECT_EQ(via.host, "10.0.0.1");
  EXPECT_EQ(via.port, 5060);
  EXPECT_EQ(via.branch, branch);
  EXPECT_TRUE(via.hasRport);
  EXPECT_EQ(r.vias().size(), 1u);
  // No IPv6 transport: an IPv6 target has no route.
  EXPECT_FALSE(
      f.layer.prepareRequest(r, Target{Protocol::Udp, ep("2001:db8::1", 5060)}, branch).ok());
  EXPECT_EQ(f.layer.stats().dropped(LayerDrop::NoTransport), 1u);
}

TEST(TransportLayer, WildcardTransportsNeedAnAdvertisedHost) {
  base::SimLoop loop;
  LoopTransport bare(loop, Protocol::Udp, ep("0.0.0.0", 5060));
  LoopTransport named(loop, Protocol::Tcp, ep("0.0.0.0", 5062));
  TransportLayer layer;
  Collect sink;
  layer.setSink(&sink);
  layer.addTransport(bare);
  layer.addTransport(named, "Sip.Example.com");
  auto r = request("SIP/2.0/UDP placeholder;branch=z9hG4bKold");
  EXPECT_FALSE(
      layer.prepareRequest(r, Target{Protocol::Udp, ep("10.0.0.2", 5060)}, generateBranch()).ok())
      << "a Via naming 0.0.0.0 is useless to the peer";
  ASSERT_TRUE(
      layer.prepareRequest(r, Target{Protocol::Tcp, ep("10.0.0.2", 5060)}, generateBranch()).ok());
  EXPECT_EQ(r.topVia().host, "Sip.Example.com");
  EXPECT_EQ(r.topVia().port, 5062);
  // Responses naming the advertised host (any case) are ours.
  named.inject(ep("10.0.0.2", 5060),
               "SIP/2.0 200 OK\r\nVia: SIP/2.0/TCP sip.example.COM:5062;branch=z9hG4bKa\r\n"
               "From: <sip:a@b>;tag=1\r\nTo: <sip:x@y>;tag=2\r\nCall-ID: c\r\nCSeq: 1 OPTIONS\r\n"
               "Content-Length: 0\r\n\r\n",
               3);
  loop.runUntilIdle();
  EXPECT_EQ(sink.got.size(), 1u);
}

TEST(TransportLayer, StatelessResponseFollowsRport) {
  LayerFixture f;
  f.udp.inject(ep("203.0.113.5", 33333),
               "OPTIONS sip:x@10.0.0.1 SIP/2.0\r\nVia: SIP/2.0/UDP "
               "192.168.1.2:5060;rport;branch=z9hG4bKa\r\n"
               "From: <sip:a@b>;tag=1\r\nTo: <sip:x@y>\r\nCall-ID: c\r\nCSeq: 1 "
               "OPTIONS\r\nContent-Length: 0\r\n\r\n");
  f.loop.runUntilIdle();
  ASSERT_EQ(f.sink.got.size(), 1u);
  auto resp = message::makeResponse(f.sink.got[0].message, 200);
  ASSERT_TRUE(resp.ok());
  ASSERT_TRUE(f.layer.sendStateless(*resp, f.sink.got[0].arrival).ok());
  ASSERT_EQ(f.udp.sent().size(), 1u);
  EXPECT_EQ(f.udp.sent()[0].to.endpoint, ep("203.0.113.5", 33333));
}

}  // namespace
}  // namespace tapi::sip::transport
