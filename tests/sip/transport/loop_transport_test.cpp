#include "sip/transport/loop_transport.hpp"

#include <gtest/gtest.h>

#include <boost/asio/error.hpp>
#include <vector>

#include "base/sim_loop.hpp"

namespace tapi::sip::transport {
namespace {

struct Collect : TransportSink {
  std::vector<ReceivedPacket> got;
  void onPacket(Transport&, ReceivedPacket&& p) override { got.push_back(std::move(p)); }
};

Endpoint ep(const char* ip, std::uint16_t port) { return Endpoint{boost::asio::ip::make_address(ip), port}; }

TEST(LoopTransport, RecordsSendsAndCompletesLater) {
  base::SimLoop loop;
  LoopTransport t(loop, Protocol::Udp, ep("10.0.0.1", 5060));
  bool done = false;
  t.send(Destination{ep("10.0.0.2", 5070)}, "hello", [&](std::error_code ec) {
    EXPECT_FALSE(ec);
    done = true;
  });
  EXPECT_FALSE(done) << "completion never runs inside send()";
  loop.runUntilIdle();
  EXPECT_TRUE(done);
  ASSERT_EQ(t.sent().size(), 1u);
  EXPECT_EQ(t.sent()[0].bytes, "hello");
  EXPECT_EQ(t.sent()[0].to.endpoint, ep("10.0.0.2", 5070));
  EXPECT_FALSE(t.reliable());
}

TEST(LoopTransport, LinkedPairDeliversBothWays) {
  base::SimLoop loop;
  LoopTransport a(loop, Protocol::Tcp, ep("10.0.0.1", 5060));
  LoopTransport b(loop, Protocol::Tcp, ep("10.0.0.2", 5060));
  LoopTransport::link(a, b);
  Collect ca, cb;
  a.setSink(&ca);
  b.setSink(&cb);
  a.send(Destination{b.localEndpoint(), 7}, "ping", nullptr);
  loop.runUntilIdle();
  ASSERT_EQ(cb.got.size(), 1u);
  EXPECT_EQ(cb.got[0].source, a.localEndpoint());
  EXPECT_EQ(cb.got[0].connection, 7u);
  EXPECT_TRUE(b.isOpen(7));
  EXPECT_TRUE(b.reliable());
  b.send(Destination{cb.got[0].source, cb.got[0].connection}, "pong", nullptr);
  loop.runUntilIdle();
  ASSERT_EQ(ca.got.size(), 1u);
  EXPECT_EQ(ca.got[0].bytes, "pong");
}

TEST(LoopTransport, FailedSendsReportTheErrorAndAreNotDelivered) {
  base::SimLoop loop;
  LoopTransport t(loop, Protocol::Udp, ep("10.0.0.1", 5060));
  t.failSends(std::make_error_code(std::errc::host_unreachable));
  std::error_code got;
  t.send(Destination{ep("10.0.0.2", 5060)}, "x", [&](std::error_code ec) { got = ec; });
  loop.runUntilIdle();
  EXPECT_EQ(got, std::make_error_code(std::errc::host_unreachable));
  EXPECT_TRUE(t.sent().empty());
  EXPECT_EQ(t.stats().dropped(DropReason::SendError), 1u);
}

TEST(LoopTransport, InjectAfterDestructionIsHarmless) {
  base::SimLoop loop;
  Collect c;
  {
    LoopTransport t(loop, Protocol::Udp, ep("10.0.0.1", 5060));
    t.setSink(&c);
    t.inject(ep("10.0.0.2", 1), "late");
  }
  loop.runUntilIdle();
  EXPECT_TRUE(c.got.empty());
}

}  // namespace
}  // namespace tapi::sip::transport
