#pragma once
// A transport with no network: what is sent is recorded (and optionally handed to a peer
// LoopTransport), and tests inject what is "received". Everything goes through the event
// loop, so on a SimLoop every run is the same.

#include <memory>
#include <set>
#include <vector>

#include "base/event_loop.hpp"
#include "base/life_token.hpp"
#include "sip/transport/transport.hpp"

namespace tapi::sip::transport {

/**
 * A deterministic in-memory transport for tests and simulations. It can pose as any
 * protocol, so the same test covers reliable and unreliable behaviour. Loop thread only.
 */
class LoopTransport final : public Transport {
 public:
  /** One message handed to send(). */
  struct Sent {
    Destination to;
    std::string bytes;
    base::TimePoint at;  ///< loop time of the send() call
  };

  /**
   * @param loop where completions and deliveries run; must outlive this object.
   * @param protocol the protocol to pose as (Udp: unreliable; Tcp/Tls: reliable).
   * @param local the address to report as localEndpoint().
   */
  LoopTransport(base::EventLoop& loop, Protocol protocol, Endpoint local);
  ~LoopTransport() override;

  // Transport
  Protocol protocol() const override { return protocol_; }
  Endpoint localEndpoint() const override { return local_; }
  void setSink(TransportSink* sink) override { sink_ = sink; }
  void send(const Destination& to, std::string bytes, SendDone done) override;
  bool isOpen(ConnectionId id) const override { return open_.count(id) != 0; }
  void close() override;
  const TransportStats& stats() const override { return stats_; }

  /**
   * Delivers `bytes` to the sink as if they arrived from `from` (on `connection` for a
   * stream; the connection then counts as open). Runs later on the loop.
   */
  void inject(const Endpoint& from, std::string bytes, ConnectionId connection = 0);

  /** Links two loop transports both ways: each one's sends become the other's receives. */
  static void link(LoopTransport& a, LoopTransport& b);

  /** Makes the next `count` sends complete with `error` (and not be delivered). */
  void failSends(std::error_code error, std::size_t count = 1);

  /** Marks a stream connection closed (isOpen() turns false). */
  void closeConnection(ConnectionId id) { open_.erase(id); }

  /** Everything sent so far, oldest first. */
  const std::vector<Sent>& sent() const { return sent_; }
  /** Returns and forgets everything sent so far. */
  std::vector<Sent> takeSent();

 private:
  base::EventLoop& loop_;
  Protocol protocol_;
  Endpoint local_;
  TransportSink* sink_ = nullptr;
  LoopTransport* peer_ = nullptr;
  bool closed_ = false;
  std::set<ConnectionId> open_;
  std::vector<Sent> sent_;
  std::error_code failError_;
  std::size_t failCount_ = 0;
  TransportStats stats_;
  // Posted tasks are guarded, so a transport destroyed before they run is not touched.
  base::LifeToken life_;
};

}  // namespace tapi::sip::transport
