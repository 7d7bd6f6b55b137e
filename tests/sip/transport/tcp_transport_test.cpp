#include "sip/transport/tcp_transport.hpp"

#include <sys/resource.h>

#include <gtest/gtest.h>

#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/read.hpp>
#include <boost/asio/write.hpp>
#include <vector>

#include "mocks/sip/run_until.hpp"

namespace tapi::sip::transport {
namespace {

using sip::testing::runUntil;
namespace asio = boost::asio;
using tcp = asio::ip::tcp;

struct Collect : TransportSink {
  std::vector<ReceivedPacket> got;
  void onPacket(Transport&, ReceivedPacket&& p) override { got.push_back(std::move(p)); }
};

Endpoint any(const char* ip) {
  return Endpoint{asio::ip::make_address(ip), 0};
}

std::string msg(std::string_view body) {
  return "OPTIONS sip:a@b SIP/2.0\r\nVia: SIP/2.0/TCP h;branch=z9hG4bKx\r\nContent-Length: " +
         std::to_string(body.size()) + "\r\n\r\n" + std::string(body);
}

// A raw client socket: lets tests send arbitrary bytes and notice when the server closes.
struct RawClient {
  RawClient(asio::io_context& io, const Endpoint& to) : sock(io) {
    sock.connect(tcp::endpoint(to.address, to.port));
  }
  void write(const std::string& s) { asio::write(sock, asio::buffer(s)); }
  // Starts a read that records EOF/reset (how a test sees the server close the connection).
  void watchClose() {
    sock.async_read_some(asio::buffer(buf),
                         [this](const boost::system::error_code& ec, std::size_t n) {
                           if (ec) {
                             closed = true;
                             return;
                           }
                           received.append(buf.data(), n);
                           watchClose();
                         });
  }
  tcp::socket sock;
  std::array<char, 4096> buf{};
  std::string received;
  bool closed = false;
};

void exchange(const char* ip) {
  asio::io_context io;
  auto client = TcpTransport::open(io, any(ip));
  auto server = TcpTransport::open(io, any(ip));
  if (!client || !server) {
    GTEST_SKIP() << "cannot listen on " << ip;
  }
  Collect cc, cs;
  (*client)->setSink(&cc);
  (*server)->setSink(&cs);
  const std::string request = msg("");
  bool sent = false;
  (*client)->send(Destination{(*server)->localEndpoint()}, request, [&](std::error_code ec) {
    EXPECT_FALSE(ec) << ec.message();
    sent = true;
  });
  ASSERT_TRUE(runUntil(io, [&] { return sent && cs.got.size() == 1; }));
  const ReceivedPacket in = cs.got[0];  // a copy: got grows below
  EXPECT_EQ(in.bytes, request);
  EXPECT_EQ(in.protocol, Protocol::Tcp);
  EXPECT_NE(in.connection, 0u);
  EXPECT_TRUE((*server)->isOpen(in.connection));

  // The response goes back on the same connection: nothing new is opened.
  (*server)->send(Destination{in.source, in.connection},
                  "SIP/2.0 200 OK\r\nContent-Length: 0\r\n\r\n", nullptr);
  ASSERT_TRUE(runUntil(io, [&] { return cc.got.size() == 1; }));
  EXPECT_EQ((*server)->stats().connectionsAccepted, 1u);
  EXPECT_EQ((*server)->stats().connectionsOpened, 0u);

  // A second request from the client reuses its connection.
  (*client)->send(Destination{(*server)->localEndpoint()}, msg("x"), nullptr);
  ASSERT_TRUE(runUntil(io, [&] { return cs.got.size() == 2; }));
  EXPECT_EQ(cs.got[1].connection, in.connection);
  EXPECT_EQ((*client)->stats().connectionsOpened, 1u);
  EXPECT_EQ((*client)->stats().connectionsOpen, 1u);
  EXPECT_EQ((*client)->connectionTo((*server)->localEndpoint()), cc.got[0].connection);
}

TEST(TcpTransport, RequestResponseAndReuseOverIpv4) {
  exchange("127.0.0.1");
}
TEST(TcpTransport, RequestResponseAndReuseOverIpv6) {
  exchange("::1");
}

TEST(TcpTransport, FramesCoalescedAndSplitMessages) {
  asio::io_context io;
  auto server = TcpTransport::open(io, any("127.0.0.1"));
  ASSERT_TRUE(server);
  Collect cs;
  (*server)->setSink(&cs);
  RawClient raw(io, (*server)->localEndpoint());
  const std::string a = msg("first"), b = msg(""), c = msg("third-body");
  raw.write(a + b + c.substr(0, 30));
  ASSERT_TRUE(runUntil(io, [&] { return cs.got.size() == 2; }));
  raw.write(c.substr(30));
  ASSERT_TRUE(runUntil(io, [&] { return cs.got.size() == 3; }));
  EXPECT_EQ(cs.got[0].bytes, a);
  EXPECT_EQ(cs.got[1].bytes, b);
  EXPECT_EQ(cs.got[2].bytes, c);
  EXPECT_EQ(cs.got[0].connection, cs.got[2].connection);
}

TEST(TcpTransport, DoubleCrlfPingGetsACrlfPong) {
  asio::io_context io;
  auto server = TcpTransport::open(io, any("127.0.0.1"));
  ASSERT_TRUE(server);
  Collect cs;
  (*server)->setSink(&cs);
  RawClient raw(io, (*server)->localEndpoint());
  raw.watchClose();
  raw.write("\r\n\r");
  raw.write("\n" + msg(""));
  ASSERT_TRUE(runUntil(io, [&] { return raw.received == "\r\n" && cs.got.size() == 1; }));
  EXPECT_EQ((*server)->stats().keepAlivePongs, 1u);
  EXPECT_FALSE(raw.closed);
}

TEST(TcpTransport, MissingContentLengthClosesTheConnection) {
  asio::io_context io;
  auto server = TcpTransport::open(io, any("127.0.0.1"));
  ASSERT_TRUE(server);
  Collect cs;
  (*server)->setSink(&cs);
  RawClient raw(io, (*server)->localEndpoint());
  raw.watchClose();
  raw.write("OPTIONS sip:a@b SIP/2.0\r\nVia: SIP/2.0/TCP h\r\n\r\n");
  ASSERT_TRUE(runUntil(io, [&] { return raw.closed; }));
  EXPECT_TRUE(cs.got.empty());
  EXPECT_EQ((*server)->stats().dropped(DropReason::MissingContentLength), 1u);
  EXPECT_EQ((*server)->stats().connectionsOpen, 0u);
}

TEST(TcpTransport, OversizedMessageClosesTheConnection) {
  asio::io_context io;
  TcpOptions opts;
  opts.framing.maxBodyBytes = 1000;
  auto server = TcpTransport::open(io, any("127.0.0.1"), opts);
  ASSERT_TRUE(server);
  Collect cs;
  (*server)->setSink(&cs);
  RawClient raw(io, (*server)->localEndpoint());
  raw.watchClose();
  raw.write(msg(std::string(1001, 'b')));
  ASSERT_TRUE(runUntil(io, [&] { return raw.closed; }));
  EXPECT_TRUE(cs.got.empty());
  EXPECT_EQ((*server)->stats().dropped(DropReason::BodyTooLarge), 1u);
}

TEST(TcpTransport, EndlessGarbageIsCutOffAtTheBufferBound) {
  asio::io_context io;
  TcpOptions opts;
  opts.framing.maxHeaderBytes = 2048;
  opts.framing.maxBuffered = 4096;
  auto server = TcpTransport::open(io, any("127.0.0.1"), opts);
  ASSERT_TRUE(server);
  RawClient raw(io, (*server)->localEndpoint());
  raw.watchClose();
  const std::string junk(1024, 'j');
  boost::system::error_code ec;
  for (int i = 0; i < 64 && !ec && !raw.closed; ++i) {
    asio::write(raw.sock, asio::buffer(junk), ec);
    io.poll();
  }
  ASSERT_TRUE(runUntil(io, [&] { return raw.closed; }));
  const auto& s = (*server)->stats();
  EXPECT_EQ(s.dropped(DropReason::HeaderTooLarge) + s.dropped(DropReason::BufferOverflow), 1u);
}

TEST(TcpTransport, IdleConnectionIsClosed) {
  asio::io_context io;
  TcpOptions opts;
  opts.idleTimeout = std::chrono::milliseconds{50};
  auto server = TcpTransport::open(io, any("127.0.0.1"), opts);
  ASSERT_TRUE(server);
  Collect cs;
  (*server)->setSink(&cs);
  RawClient raw(io, (*server)->localEndpoint());
  raw.watchClose();
  raw.write(msg(""));
  ASSERT_TRUE(runUntil(io, [&] { return cs.got.size() == 1; }));
  EXPECT_TRUE((*server)->isOpen(cs.got[0].connection));
  ASSERT_TRUE(runUntil(io, [&] { return raw.closed; }));
  EXPECT_FALSE((*server)->isOpen(cs.got[0].connection));
  EXPECT_EQ((*server)->stats().dropped(DropReason::IdleTimeout), 1u);
}

TEST(TcpTransport, ConnectionsOverTheLimitAreRefused) {
  asio::io_context io;
  TcpOptions opts;
  opts.maxConnections = 1;
  auto server = TcpTransport::open(io, any("127.0.0.1"), opts);
  ASSERT_TRUE(server);
  Collect cs;
  (*server)->setSink(&cs);
  RawClient first(io, (*server)->localEndpoint());
  first.write(msg(""));
  ASSERT_TRUE(runUntil(io, [&] { return cs.got.size() == 1; }));
  RawClient second(io, (*server)->localEndpoint());
  second.watchClose();
  ASSERT_TRUE(runUntil(io, [&] { return second.closed; }));
  EXPECT_EQ((*server)->stats().dropped(DropReason::TooManyConnections), 1u);
  EXPECT_EQ((*server)->stats().connectionsOpen, 1u);
}

// Lets idle time pass on the loop (idleness is measured in time; nothing else to wait on).
void idleFor(asio::io_context& io, std::chrono::milliseconds d) {
  const auto until = std::chrono::steady_clock::now() + d;
  runUntil(
      io, [&] { return std::chrono::steady_clock::now() >= until; }, d + d);
}

TEST(TcpTransport, AtTheLimitTheIdlestConnectionMakesRoomForANewOne) {
  asio::io_context io;
  TcpOptions opts;
  opts.maxConnections = 2;
  opts.evictIdleAfter = std::chrono::milliseconds{20};
  auto server = TcpTransport::open(io, any("127.0.0.1"), opts);
  ASSERT_TRUE(server);
  Collect cs;
  (*server)->setSink(&cs);
  RawClient oldest(io, (*server)->localEndpoint());
  oldest.watchClose();
  oldest.write(msg(""));
  ASSERT_TRUE(runUntil(io, [&] { return cs.got.size() == 1; }));
  RawClient younger(io, (*server)->localEndpoint());
  younger.watchClose();
  idleFor(io, std::chrono::milliseconds{30});
  younger.write(msg(""));  // keeps `younger` busy, so `oldest` is the idlest
  ASSERT_TRUE(runUntil(io, [&] { return cs.got.size() == 2; }));
  RawClient newest(io, (*server)->localEndpoint());
  newest.write(msg(""));
  ASSERT_TRUE(runUntil(io, [&] { return cs.got.size() == 3 && oldest.closed; }));
  EXPECT_FALSE(younger.closed);
  EXPECT_FALSE((*server)->isOpen(cs.got[0].connection));
  EXPECT_TRUE((*server)->isOpen(cs.got[2].connection));
  EXPECT_EQ((*server)->stats().dropped(DropReason::Evicted), 1u);
  EXPECT_EQ((*server)->stats().dropped(DropReason::TooManyConnections), 0u);
  EXPECT_EQ((*server)->stats().connectionsOpen, 2u);
}

TEST(TcpTransport, AConnectionBeyondTheDescriptorBudgetIsRefused) {
  asio::io_context io;
  std::size_t openFds = 50;
  base::FdBudget budget(100, 10, [&]() -> std::optional<std::size_t> { return openFds; });
  TcpOptions opts;
  opts.fdBudget = &budget;
  auto server = TcpTransport::open(io, any("127.0.0.1"), opts);
  ASSERT_TRUE(server);
  Collect cs;
  (*server)->setSink(&cs);
  RawClient first(io, (*server)->localEndpoint());
  first.write(msg(""));
  ASSERT_TRUE(runUntil(io, [&] { return cs.got.size() == 1; }));
  openFds = 95;  // only the reserve is left
  budget.recount();
  RawClient second(io, (*server)->localEndpoint());
  second.watchClose();
  ASSERT_TRUE(runUntil(io, [&] { return second.closed; }));
  EXPECT_EQ((*server)->stats().dropped(DropReason::TooManyConnections), 1u);
  EXPECT_EQ((*server)->stats().connectionsOpen, 1u);
  EXPECT_GE(budget.refusals(), 1u);
}

// Restores RLIMIT_NOFILE when the test ends, passed or not.
struct FileLimitGuard {
  rlimit saved{};
  FileLimitGuard() { ::getrlimit(RLIMIT_NOFILE, &saved); }
  ~FileLimitGuard() { ::setrlimit(RLIMIT_NOFILE, &saved); }
  bool setSoft(std::size_t n) {
    rlimit rl = saved;
    rl.rlim_cur = n;
    return ::setrlimit(RLIMIT_NOFILE, &rl) == 0;
  }
};

TEST(TcpTransport, AcceptBacksOffWhenDescriptorsRunOutAndRecovers) {
  asio::io_context io;
  auto server = TcpTransport::open(io, any("127.0.0.1"));
  ASSERT_TRUE(server);
  Collect cs;
  (*server)->setSink(&cs);
  FileLimitGuard limit;
  tcp::socket client(io);
  client.open(tcp::v4());
  // The client's socket took the lowest free descriptor number; with the limit just above it
  // the server's accept() gets EMFILE while the connection waits in the backlog (the
  // handshake is the kernel's).
  ASSERT_TRUE(limit.setSoft(static_cast<std::size_t>(client.native_handle()) + 1));
  const Endpoint to = (*server)->localEndpoint();
  client.connect(tcp::endpoint(to.address, to.port));

  // 600 ms of a busy retry would be many thousands of attempts; the backoff
  // (10, 20, 40, 80, 160, 320 ms) allows about six.
  idleFor(io, std::chrono::milliseconds{600});
  const auto failures = (*server)->stats().dropped(DropReason::NoDescriptors);
  EXPECT_GE(failures, 3u);
  EXPECT_LE(failures, 10u);
  EXPECT_EQ((*server)->stats().connectionsAccepted, 0u);

  ASSERT_TRUE(limit.setSoft(limit.saved.rlim_cur));
  ASSERT_TRUE(runUntil(io, [&] { return (*server)->stats().connectionsAccepted == 1; }));
  asio::write(client, asio::buffer(msg("")));
  ASSERT_TRUE(runUntil(io, [&] { return cs.got.size() == 1; }));
}

TEST(TcpTransport, ConnectFailureCompletesTheSendWithAnError) {
  asio::io_context io;
  auto client = TcpTransport::open(io, any("127.0.0.1"));
  ASSERT_TRUE(client);
  // A port that was just free: bind a listener, note its port, close it.
  Endpoint dead;
  {
    tcp::acceptor a(io, tcp::endpoint(asio::ip::make_address("127.0.0.1"), 0));
    dead = Endpoint{a.local_endpoint().address(), a.local_endpoint().port()};
  }
  std::error_code got;
  bool done = false;
  (*client)->send(Destination{dead}, msg(""), [&](std::error_code ec) {
    got = ec;
    done = true;
  });
  ASSERT_TRUE(runUntil(io, [&] { return done; }));
  EXPECT_TRUE(got);
  EXPECT_EQ((*client)->stats().connectionsOpen, 0u);
  EXPECT_EQ((*client)->stats().dropped(DropReason::SendError), 1u);
}

TEST(TcpTransport, CloseFailsQueuedSends) {
  asio::io_context io;
  auto client = TcpTransport::open(io, any("127.0.0.1"));
  auto server = TcpTransport::open(io, any("127.0.0.1"));
  ASSERT_TRUE(client && server);
  int failures = 0;
  for (int i = 0; i < 3; ++i) {
    (*client)->send(Destination{(*server)->localEndpoint()}, msg(""),
                    [&](std::error_code ec) { failures += ec ? 1 : 0; });
  }
  (*client)->close();
  ASSERT_TRUE(runUntil(io, [&] { return failures == 3; }));
}

}  // namespace
}  // namespace tapi::sip::transport
