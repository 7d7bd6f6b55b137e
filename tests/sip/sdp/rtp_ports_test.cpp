#include "sip/sdp/rtp_ports.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <cerrno>
#include <cstdint>
#include <optional>
#include <set>
#include <utility>
#include <vector>

namespace tapi::sip::sdp {
namespace {

// A range far from the usual ephemeral ports and from the SIP tests' ports. Other tests on
// the machine may hold some of it: every test below finds its ports through a pool first
// instead of assuming a given port is free.
constexpr std::uint16_t kFirst = 24000;
constexpr std::uint16_t kLast = 25999;

/** An even port whose pair is free right now: reserved from a pool over the range, released. */
std::optional<std::uint16_t> freePair() {
  RtpPortPool finder("127.0.0.1", kFirst, kLast);
  auto found = finder.reserve();
  if (!found.ok()) {
    ADD_FAILURE() << "no free pair: " << found.error().message();
    return std::nullopt;
  }
  return found->port();
}

/** Try to bind a UDP socket on 127.0.0.1:@p port. @return the errno of bind(), 0 on success. */
int bindErrno(std::uint16_t port, int family = AF_INET) {
  const int fd = ::socket(family, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  EXPECT_GE(fd, 0);
  int result = 0;
  if (family == AF_INET) {
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_port = htons(port);
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    result = ::bind(fd, reinterpret_cast<const sockaddr*>(&a), sizeof(a));
  } else {
    const int on = 1;
    ::setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &on, sizeof(on));
    sockaddr_in6 a{};
    a.sin6_family = AF_INET6;
    a.sin6_port = htons(port);
    a.sin6_addr = in6addr_loopback;
    result = ::bind(fd, reinterpret_cast<const sockaddr*>(&a), sizeof(a));
  }
  const int error = result == 0 ? 0 : errno;
  ::close(fd);
  return error;
}

/** The local port a socket descriptor is bound to. */
std::uint16_t boundPort(int fd) {
  sockaddr_storage s{};
  socklen_t len = sizeof(s);
  EXPECT_EQ(::getsockname(fd, reinterpret_cast<sockaddr*>(&s), &len), 0);
  if (s.ss_family == AF_INET6) {
    return ntohs(reinterpret_cast<const sockaddr_in6*>(&s)->sin6_port);
  }
  return ntohs(reinterpret_cast<const sockaddr_in*>(&s)->sin_port);
}

TEST(RtpPortsTest, ReserveBindsAnEvenPairAndReleaseFreesIt) {
  RtpPortPool pool("127.0.0.1", kFirst, kLast);
  EXPECT_EQ(pool.inUse(), 0U);
  auto r = pool.reserve();
  ASSERT_TRUE(r.ok()) << r.error().message();
  RtpPort port = std::move(*r);
  EXPECT_TRUE(port.valid());
  EXPECT_EQ(port.port() % 2, 0);
  EXPECT_GE(port.port(), kFirst);
  EXPECT_LE(port.rtcpPort(), kLast);
  EXPECT_EQ(port.rtcpPort(), port.port() + 1);
  EXPECT_EQ(port.address(), "127.0.0.1");
  EXPECT_EQ(pool.inUse(), 1U);

  // Really bound: the kernel refuses a second bind on either port.
  EXPECT_EQ(boundPort(port.rtpSocket()), port.port());
  EXPECT_EQ(boundPort(port.rtcpSocket()), port.rtcpPort());
  EXPECT_EQ(bindErrno(port.port()), EADDRINUSE);
  EXPECT_EQ(bindErrno(port.rtcpPort()), EADDRINUSE);

  const std::uint16_t p = port.port();
  port.release();
  EXPECT_FALSE(port.valid());
  EXPECT_EQ(port.port(), 0);
  EXPECT_EQ(port.rtcpPort(), 0);
  EXPECT_EQ(port.rtpSocket(), -1);
  EXPECT_EQ(pool.inUse(), 0U);
  EXPECT_EQ(bindErrno(p), 0);
  EXPECT_EQ(bindErrno(static_cast<std::uint16_t>(p + 1)), 0);
  port.release();  // idempotent
  EXPECT_EQ(pool.inUse(), 0U);
}

TEST(RtpPortsTest, DestructorReleases) {
  RtpPortPool pool("127.0.0.1", kFirst, kLast);
  std::uint16_t p = 0;
  {
    auto r = pool.reserve();
    ASSERT_TRUE(r.ok());
    p = r->port();
    EXPECT_EQ(pool.inUse(), 1U);
  }
  EXPECT_EQ(pool.inUse(), 0U);
  EXPECT_EQ(bindErrno(p), 0);
}

TEST(RtpPortsTest, MoveTransfersOwnership) {
  RtpPortPool pool("127.0.0.1", kFirst, kLast);
  auto r = pool.reserve();
  ASSERT_TRUE(r.ok());
  RtpPort a = std::move(*r);
  const std::uint16_t p = a.port();
  RtpPort b(std::move(a));
  EXPECT_FALSE(a.valid());  // NOLINT(bugprone-use-after-move): moved-from state is specified
  EXPECT_TRUE(b.valid());
  EXPECT_EQ(b.port(), p);
  EXPECT_EQ(pool.inUse(), 1U);

  auto r2 = pool.reserve();
  ASSERT_TRUE(r2.ok());
  RtpPort c = std::move(*r2);
  EXPECT_EQ(pool.inUse(), 2U);
  c = std::move(b);  // c's own pair is released, b's moves in
  EXPECT_EQ(pool.inUse(), 1U);
  EXPECT_EQ(c.port(), p);
  EXPECT_EQ(bindErrno(p), EADDRINUSE);
  c = RtpPort();
  EXPECT_EQ(pool.inUse(), 0U);
  EXPECT_EQ(bindErrno(p), 0);
}

TEST(RtpPortsTest, RoundRobinDoesNotReuseAJustFreedPair) {
  RtpPortPool pool("127.0.0.1", kFirst, kLast);
  std::set<std::uint16_t> seen;
  for (int i = 0; i < 5; ++i) {
    auto r = pool.reserve();
    ASSERT_TRUE(r.ok());
    EXPECT_TRUE(seen.insert(r->port()).second) << r->port();
    // r released here, yet the next reservation moves on.
  }
  EXPECT_EQ(pool.inUse(), 0U);
}

TEST(RtpPortsTest, SkipsPairsTheOsRefuses) {
  RtpPortPool holder("127.0.0.1", kFirst, kLast);
  auto held = holder.reserve();
  ASSERT_TRUE(held.ok());
  const std::uint16_t p = held->port();

  // A second pool over the same range must step over the pair the first one holds.
  RtpPortPool other("127.0.0.1", p, kLast);
  auto r = other.reserve();
  ASSERT_TRUE(r.ok()) << r.error().message();
  EXPECT_GT(r->port(), p);
  EXPECT_EQ(r->port() % 2, 0);
}

TEST(RtpPortsTest, TinyRangeExhaustsAndReleasingFreesASlot) {
  // Find a free pair, then make a pool whose range is exactly that pair.
  const auto found = freePair();
  ASSERT_TRUE(found);
  const std::uint16_t p = *found;
  RtpPortPool pool("127.0.0.1", p, static_cast<std::uint16_t>(p + 1));
  auto first = pool.reserve();
  ASSERT_TRUE(first.ok()) << first.error().message();
  EXPECT_EQ(first->port(), p);

  auto second = pool.reserve();
  ASSERT_FALSE(second.ok());
  EXPECT_EQ(second.error(), RtpPortError::RangeExhausted);
  EXPECT_EQ(second.error().message(), "RTP port range exhausted");
  EXPECT_EQ(pool.inUse(), 1U);

  first->release();
  EXPECT_EQ(pool.inUse(), 0U);
  auto third = pool.reserve();
  ASSERT_TRUE(third.ok());
  EXPECT_EQ(third->port(), p);
  third->release();
  EXPECT_EQ(pool.inUse(), 0U);
}

TEST(RtpPortsTest, OddBoundsUseOnlyWholeEvenPairs) {
  const auto found = freePair();
  ASSERT_TRUE(found);
  const std::uint16_t p = *found;
  // [p - 1, p + 2]: p - 1 is odd and p + 2 has no partner, so only (p, p + 1) fits.
  RtpPortPool pool("127.0.0.1", static_cast<std::uint16_t>(p - 1),
                   static_cast<std::uint16_t>(p + 2));
  auto a = pool.reserve();
  ASSERT_TRUE(a.ok());
  EXPECT_EQ(a->port(), p);
  EXPECT_EQ(pool.reserve().error(), RtpPortError::RangeExhausted);
}

TEST(RtpPortsTest, ConfigurationErrors) {
  RtpPortPool badAddress("not-an-address", kFirst, kLast);
  EXPECT_EQ(badAddress.reserve().error(), RtpPortError::BadBindAddress);
  RtpPortPool reversed("127.0.0.1", kLast, kFirst);
  EXPECT_EQ(reversed.reserve().error(), RtpPortError::BadRange);
  RtpPortPool single("127.0.0.1", kFirst, kFirst);
  EXPECT_EQ(single.reserve().error(), RtpPortError::BadRange);
  RtpPortPool zero("127.0.0.1", 0, 1);
  EXPECT_EQ(zero.reserve().error(), RtpPortError::BadRange);
  // An address that is not ours: the OS error comes back as is, not as exhaustion.
  RtpPortPool foreign("192.0.2.123", kFirst, kLast);
  auto r = foreign.reserve();
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error(), std::error_code(EADDRNOTAVAIL, std::system_category()));
  EXPECT_EQ(foreign.inUse(), 0U);
  EXPECT_STREQ(rtpPortErrorCategory().name(), "sip.rtp_ports");
}

TEST(RtpPortsTest, Ipv6) {
  const int probe = ::socket(AF_INET6, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  if (probe < 0) {
    GTEST_SKIP() << "no IPv6";
  }
  ::close(probe);
  RtpPortPool pool("::1", kFirst, kLast);
  auto r = pool.reserve();
  if (!r.ok() && r.error() == std::error_code(EADDRNOTAVAIL, std::system_category())) {
    GTEST_SKIP() << "no ::1";
  }
  ASSERT_TRUE(r.ok()) << r.error().message();
  EXPECT_EQ(r->address(), "::1");
  EXPECT_EQ(bindErrno(r->port(), AF_INET6), EADDRINUSE);
  r->release();
  EXPECT_EQ(pool.inUse(), 0U);
}

TEST(RtpPortsTest, ManyCallsLeaveNothingBehind) {
  RtpPortPool pool("127.0.0.1", kFirst, kLast);
  std::vector<RtpPort> calls;
  for (int i = 0; i < 20; ++i) {
    auto r = pool.reserve();
    ASSERT_TRUE(r.ok());
    calls.push_back(std::move(*r));
  }
  EXPECT_EQ(pool.inUse(), 20U);
  std::set<std::uint16_t> distinct;
  for (const auto& c : calls) {
    distinct.insert(c.port());
  }
  EXPECT_EQ(distinct.size(), 20U);
  calls.erase(calls.begin(), calls.begin() + 7);
  EXPECT_EQ(pool.inUse(), 13U);
  calls.clear();
  EXPECT_EQ(pool.inUse(), 0U);
}

}  // namespace
}  // namespace tapi::sip::sdp
