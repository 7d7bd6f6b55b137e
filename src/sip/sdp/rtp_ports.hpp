#pragma once
/**
 * @file
 * RTP port reservation: a real, bound UDP port pair (RTP on an even port p, RTCP on p + 1,
 * RFC 3550 §11) per call, held for as long as the call lives.
 *
 *   RtpPortPool pool("0.0.0.0", 20000, 29999);     // lives longer than every port it gives
 *   auto port = pool.reserve();                     // Result<RtpPort>
 *   if (!port) { ... RtpPortError::RangeExhausted, or the OS error ... }
 *   local.port = port->port();                      // goes into the SDP (sdp::LocalMedia)
 *   ...                                             // call ends: ~RtpPort closes both sockets
 *
 * Threading: loop thread only. Nothing here locks; the pool and its ports belong to the
 * thread that owns the SIP sessions (CONVENTIONS 9).
 */

#include <cstddef>
#include <cstdint>
#include <string>
#include <system_error>
#include <type_traits>

#include "base/result.hpp"

namespace tapi::sip::sdp {

/** Why reserve() failed, besides errors the OS reports (those keep std::system_category). */
enum class RtpPortError : std::uint8_t {
  BadBindAddress,  ///< the pool's bind address is not an IPv4 or IPv6 literal
  BadRange,        ///< the range holds no even port p > 0 with p + 1 also inside
  RangeExhausted,  ///< every port pair in the range is in use (ours or another process's)
};

/** A short human-readable reason, e.g. "RTP port range exhausted". Never null. */
const char* toString(RtpPortError e) noexcept;

/** The error category "sip.rtp_ports"; message() gives toString() of the RtpPortError. */
const std::error_category& rtpPortErrorCategory() noexcept;

inline std::error_code make_error_code(RtpPortError e) noexcept {
  return {static_cast<int>(e), rtpPortErrorCategory()};
}

class RtpPortPool;

/**
 * A reserved RTP/RTCP port pair: two open, bound UDP sockets. Move-only RAII; destroying
 * it or calling release() closes both sockets and returns the pair to its pool. A
 * default-constructed or moved-from RtpPort holds nothing (valid() is false).
 *
 * Precondition: the pool that reserved it is still alive when it is released or destroyed.
 * Loop thread only.
 */
class RtpPort {
 public:
  RtpPort() = default;
  RtpPort(RtpPort&& other) noexcept;
  RtpPort& operator=(RtpPort&& other) noexcept;
  RtpPort(const RtpPort&) = delete;
  RtpPort& operator=(const RtpPort&) = delete;
  ~RtpPort();

  /** @return true while the pair is held. */
  bool valid() const noexcept { return pool_ != nullptr; }
  /** @return the RTP port (even); 0 when !valid(). */
  std::uint16_t port() const noexcept { return port_; }
  /** @return the RTCP port, port() + 1; 0 when !valid(). */
  std::uint16_t rtcpPort() const noexcept {
    return valid() ? static_cast<std::uint16_t>(port_ + 1) : 0;
  }
  /**
   * @return the address both sockets are bound to (the pool's bind address, possibly a
   * wildcard such as "0.0.0.0": the SDP needs the advertised address, not this one).
   */
  const std::string& address() const noexcept { return address_; }
  /** @return the RTP socket descriptor, still owned by this object; -1 when !valid(). */
  int rtpSocket() const noexcept { return rtpFd_; }
  /** @return the RTCP socket descriptor, still owned by this object; -1 when !valid(). */
  int rtcpSocket() const noexcept { return rtcpFd_; }

  /** Close both sockets and return the pair to the pool. Idempotent. */
  void release() noexcept;

 private:
  friend class RtpPortPool;
  RtpPort(RtpPortPool* pool, std::string address, std::uint16_t port, int rtpFd,
          int rtcpFd) noexcept;

  RtpPortPool* pool_ = nullptr;
  std::string address_;
  std::uint16_t port_ = 0;
  int rtpFd_ = -1;
  int rtcpFd_ = -1;
};

/**
 * Hands out RTP port pairs from [first, last], bound on one local address. Tries the even
 * ports round-robin, starting after the last pair it handed out (so a port just freed is
 * not reused at once and late packets of an old call do not reach a new one), and skips
 * pairs the OS refuses with EADDRINUSE.
 *
 * Lifetime: the pool must outlive every RtpPort it reserved (they point back to it to
 * update inUse()); destroying it with ports still held is a broken invariant (asserts).
 * Not copyable or movable, for the same reason. Loop thread only, no locking.
 */
class RtpPortPool {
 public:
  /**
   * @param bindAddress an IPv4 or IPv6 literal ("0.0.0.0", "::", "192.0.2.1"); checked by
   *        reserve().
   * @param first,last the inclusive port range; only even p with p + 1 <= last are used.
   */
  RtpPortPool(std::string bindAddress, std::uint16_t first, std::uint16_t last);
  ~RtpPortPool();
  RtpPortPool(const RtpPortPool&) = delete;
  RtpPortPool& operator=(const RtpPortPool&) = delete;

  /**
   * Bind a new pair (sockets are SOCK_CLOEXEC, IPv6 ones IPV6_V6ONLY).
   * @return the pair, RtpPortError::RangeExhausted when every pair is taken,
   *         RtpPortError::BadBindAddress / BadRange for a misconfigured pool, or the OS
   *         error (std::system_category) of a socket()/bind() that failed otherwise.
   */
  Result<RtpPort> reserve();

  /** @return how many pairs are held right now (leak accounting: 0 once all calls ended). */
  std::size_t inUse() const noexcept { return inUse_; }

  /** @return the bind address given at construction. */
  const std::string& bindAddress() const noexcept { return bindAddress_; }

 private:
  friend class RtpPort;
  void released() noexcept;

  std::string bindAddress_;
  std::uint16_t firstEven_ = 0;  // the lowest usable even port
  std::size_t pairs_ = 0;        // how many even ports p with p + 1 <= last there are
  std::size_t next_ = 0;         // index of the pair to try first, in [0, pairs_)
  std::size_t inUse_ = 0;
};

}  // namespace tapi::sip::sdp

template <>
struct std::is_error_code_enum<tapi::sip::sdp::RtpPortError> : std::true_type {};
