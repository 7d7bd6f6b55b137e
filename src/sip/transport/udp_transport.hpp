#pragma once
// SIP over UDP (RFC 3261 §18): one socket, one datagram per message.

#include <memory>

#include <boost/asio/io_context.hpp>

#include "base/result.hpp"
#include "sip/transport/transport.hpp"

namespace tapi::sip::transport {

/** Limits for a UDP transport. */
struct UdpOptions {
  /** Largest datagram read whole; a larger one is dropped as truncated. */
  std::size_t maxDatagram = 65535;
};

/**
 * A UDP transport bound to one local address (IPv4 or IPv6). Runs on the io_context's
 * thread (the loop). Sends complete after the kernel accepted the datagram.
 */
class UdpTransport final : public Transport {
 public:
  /**
   * Binds and starts receiving.
   * @param local the address and port to bind (port 0: the kernel picks one).
   * @return the transport, or the bind error.
   */
  static Result<std::unique_ptr<UdpTransport>> open(boost::asio::io_context& io, const Endpoint& local,
                                                    UdpOptions options = {});
  ~UdpTransport() override;

  UdpTransport(const UdpTransport&) = delete;
  UdpTransport& operator=(const UdpTransport&) = delete;

  // Transport
  Protocol protocol() const override { return Protocol::Udp; }
  Endpoint localEndpoint() const override;
  void setSink(TransportSink* sink) override;
  void send(const Destination& to, std::string bytes, SendDone done) override;
  bool isOpen(ConnectionId) const override { return false; }
  void close() override;
  const TransportStats& stats() const override;

  struct Impl;

 private:
  explicit UdpTransport(std::shared_ptr<Impl> impl);
  std::shared_ptr<Impl> impl_;
};

}  // namespace tapi::sip::transport
