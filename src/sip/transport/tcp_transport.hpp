#pragma once
// SIP over TCP (RFC 3261 §18): a listening socket plus the connections accepted or opened,
// each framed by Content-Length, reused for later messages to the same peer, and closed
// after an idle time. TLS will be a sibling built on the same connection logic.

#include <chrono>
#include <memory>

#include <boost/asio/io_context.hpp>

#include "base/fd_budget.hpp"
#include "base/result.hpp"
#include "sip/transport/stream_framer.hpp"
#include "sip/transport/transport.hpp"

namespace tapi::sip::transport {

/** Limits and timings of a TCP transport. Every limit bounds memory a peer can make us use. */
struct TcpOptions {
  FramerLimits framing;                  ///< per-connection framing limits
  std::size_t maxConnections = 1024;     ///< accepted + opened connections at once
  std::size_t maxQueuedBytes = 1 << 20;  ///< unsent bytes per connection
  /**
   * A connection with no traffic (read or written) for this long is closed; zero disables.
   * The transport does not see transactions: keep it at least 64*T1 so that no non-INVITE
   * transaction still waits on a connection it closes.
   */
  std::chrono::milliseconds idleTimeout{std::chrono::minutes{2}};
  /**
   * When a new connection finds no room (maxConnections, the descriptor budget, or accept()
   * failing with EMFILE/ENFILE), the connection idle longest is closed for it, provided it
   * has been idle at least this long (64*T1 by default); zero: never close one for room.
   */
  std::chrono::milliseconds evictIdleAfter{std::chrono::seconds{32}};
  /** Descriptors, shared with the rest of the process; null: only maxConnections counts. */
  base::FdBudget* fdBudget = nullptr;
  /** After accept() fails for lack of descriptors: first retry delay, doubling up to max. */
  std::chrono::milliseconds acceptRetryFirst{10};
  std::chrono::milliseconds acceptRetryMax{1000};
};

/**
 * A TCP transport listening on one local address (IPv4 or IPv6). Runs on the io_context's
 * thread (the loop).
 */
class TcpTransport final : public Transport {
 public:
  /**
   * Binds, listens and starts accepting.
   * @param local the address and port to listen on (port 0: the kernel picks one).
   */
  static Result<std::unique_ptr<TcpTransport>> open(boost::asio::io_context& io,
                                                    const Endpoint& local, TcpOptions options = {});
  ~TcpTransport() override;

  TcpTransport(const TcpTransport&) = delete;
  TcpTransport& operator=(const TcpTransport&) = delete;

  // Transport
  Protocol protocol() const override { return Protocol::Tcp; }
  Endpoint localEndpoint() const override;
  void setSink(TransportSink* sink) override;
  void send(const Destination& to, std::string bytes, SendDone done) override;
  bool isOpen(ConnectionId id) const override;
  void close() override;
  const TransportStats& stats() const override;

  /** Closes one connection (e.g. after the layer above found its stream corrupt). */
  void closeConnection(ConnectionId id);
  /** The open connection to `peer`, or 0. */
  ConnectionId connectionTo(const Endpoint& peer) const;

  struct Impl;

 private:
  explicit TcpTransport(std::shared_ptr<Impl> impl);
  std::shared_ptr<Impl> impl_;
};

}  // namespace tapi::sip::transport
