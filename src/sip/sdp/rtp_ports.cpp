#include "sip/sdp/rtp_ports.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cassert>
#include <cerrno>
#include <cstring>
#include <utility>

namespace tapi::sip::sdp {
namespace {

class RtpPortErrorCategory final : public std::error_category {
 public:
  const char* name() const noexcept override { return "sip.rtp_ports"; }
  std::string message(int ev) const override {
    if (ev < 0 || ev > static_cast<int>(RtpPortError::RangeExhausted)) {
      return "unknown RTP port error";
    }
    return toString(static_cast<RtpPortError>(ev));
  }
};

/** A parsed bind address; the port is filled in per attempt. */
struct BindAddress {
  sockaddr_storage storage{};
  socklen_t length = 0;
  int family = AF_UNSPEC;

  bool parse(const std::string& text) {
    auto* v4 = reinterpret_cast<sockaddr_in*>(&storage);
    if (inet_pton(AF_INET, text.c_str(), &v4->sin_addr) == 1) {
      v4->sin_family = AF_INET;
      family = AF_INET;
      length = sizeof(sockaddr_in);
      return true;
    }
    auto* v6 = reinterpret_cast<sockaddr_in6*>(&storage);
    if (inet_pton(AF_INET6, text.c_str(), &v6->sin6_addr) == 1) {
      v6->sin6_family = AF_INET6;
      family = AF_INET6;
      length = sizeof(sockaddr_in6);
      return true;
    }
    return false;
  }

  void setPort(std::uint16_t port) {
    if (family == AF_INET) {
      reinterpret_cast<sockaddr_in*>(&storage)->sin_port = htons(port);
    } else {
      reinterpret_cast<sockaddr_in6*>(&storage)->sin6_port = htons(port);
    }
  }
};

/** One bound UDP socket, or -1 with errno set. */
int bindUdp(BindAddress& addr, std::uint16_t port) {
  const int fd = ::socket(addr.family, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  if (fd < 0) {
    return -1;
  }
  if (addr.family == AF_INET6) {
    // Keep "::" from also taking the IPv4 port, as the SIP UDP transport does.
    const int on = 1;
    if (::setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &on, sizeof(on)) != 0) {
      const int saved = errno;
      ::close(fd);
      errno = saved;
      return -1;
    }
  }
  addr.setPort(port);
  if (::bind(fd, reinterpret_cast<const sockaddr*>(&addr.storage), addr.length) != 0) {
    const int saved = errno;
    ::close(fd);
    errno = saved;
    return -1;
  }
  return fd;
}

void closeFd(int& fd) noexcept {
  if (fd >= 0) {
    ::close(fd);
    fd = -1;
  }
}

}  // namespace

const char* toString(RtpPortError e) noexcept {
  switch (e) {
    case RtpPortError::BadBindAddress:
      return "bad RTP bind address";
    case RtpPortError::BadRange:
      return "bad RTP port range";
    case RtpPortError::RangeExhausted:
      return "RTP port range exhausted";
  }
  return "unknown RTP port error";
}

const std::error_category& rtpPortErrorCategory() noexcept {
  static const RtpPortErrorCategory cat;
  return cat;
}

// ---- RtpPort ----------------------------------------------------------------------------

RtpPort::RtpPort(RtpPortPool* pool, std::string address, std::uint16_t port, int rtpFd,
                 int rtcpFd) noexcept
    : pool_(pool), address_(std::move(address)), port_(port), rtpFd_(rtpFd), rtcpFd_(rtcpFd) {}

RtpPort::RtpPort(RtpPort&& other) noexcept
    : pool_(std::exchange(other.pool_, nullptr)),
      address_(std::move(other.address_)),
      port_(std::exchange(other.port_, 0)),
      rtpFd_(std::exchange(other.rtpFd_, -1)),
      rtcpFd_(std::exchange(other.rtcpFd_, -1)) {
  other.address_.clear();
}

RtpPort& RtpPort::operator=(RtpPort&& other) noexcept {
  if (this != &other) {
    release();
    pool_ = std::exchange(other.pool_, nullptr);
    address_ = std::move(other.address_);
    other.address_.clear();
    port_ = std::exchange(other.port_, 0);
    rtpFd_ = std::exchange(other.rtpFd_, -1);
    rtcpFd_ = std::exchange(other.rtcpFd_, -1);
  }
  return *this;
}

RtpPort::~RtpPort() {
  release();
}

void RtpPort::release() noexcept {
  if (pool_ == nullptr) {
    return;
  }
  closeFd(rtpFd_);
  closeFd(rtcpFd_);
  std::exchange(pool_, nullptr)->released();
  port_ = 0;
  address_.clear();
}

// ---- RtpPortPool ------------------------------------------------------------------------

RtpPortPool::RtpPortPool(std::string bindAddress, std::uint16_t first, std::uint16_t last)
    : bindAddress_(std::move(bindAddress)) {
  // Port 0 would mean "any port" to bind(), so the lowest pair is (2, 3).
  unsigned lo = first < 2 ? 2U : first;
  lo += lo % 2;
  if (lo + 1 <= last) {
    firstEven_ = static_cast<std::uint16_t>(lo);
    pairs_ = (static_cast<std::size_t>(last) - lo - 1) / 2 + 1;
  }
}

RtpPortPool::~RtpPortPool() {
  // Every RtpPort points back here; one outliving the pool would write to freed memory.
  assert(inUse_ == 0 && "RtpPortPool destroyed while ports are still reserved");
}

Result<RtpPort> RtpPortPool::reserve() {
  BindAddress addr;
  if (!addr.parse(bindAddress_)) {
    return fail(make_error_code(RtpPortError::BadBindAddress));
  }
  if (pairs_ == 0) {
    return fail(make_error_code(RtpPortError::BadRange));
  }
  for (std::size_t tried = 0; tried < pairs_; ++tried) {
    const std::size_t index = (next_ + tried) % pairs_;
    const auto port = static_cast<std::uint16_t>(firstEven_ + 2 * index);
    int rtp = bindUdp(addr, port);
    if (rtp < 0) {
      if (errno == EADDRINUSE) {
        continue;
      }
      return fail(std::error_code(errno, std::system_category()));
    }
    int rtcp = bindUdp(addr, static_cast<std::uint16_t>(port + 1));
    if (rtcp < 0) {
      const int saved = errno;
      closeFd(rtp);
      if (saved == EADDRINUSE) {
        continue;
      }
      return fail(std::error_code(saved, std::system_category()));
    }
    next_ = (index + 1) % pairs_;
    ++inUse_;
    return RtpPort(this, bindAddress_, port, rtp, rtcp);
  }
  return fail(make_error_code(RtpPortError::RangeExhausted));
}

void RtpPortPool::released() noexcept {
  assert(inUse_ > 0);
  --inUse_;
}

}  // namespace tapi::sip::sdp
