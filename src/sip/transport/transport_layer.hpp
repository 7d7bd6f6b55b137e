#pragma once
// The message side of the transport layer (RFC 3261 §18, RFC 3581): parses what the
// transports receive, stamps received/rport on requests, answers unparseable requests with
// a stateless 400, chooses where responses go (§18.2.2) and writes the Via of outgoing
// requests. Transactions sit on top of it.

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "base/result.hpp"
#include "sip/message/message.hpp"
#include "sip/transport/transport.hpp"

namespace tapi::sip::transport {

/** Where a message came from, kept with the parsed message. */
struct Arrival {
  Transport* transport = nullptr;  ///< the transport it arrived on (outlives the message's use)
  Protocol protocol = Protocol::Udp;
  Endpoint source;
  Endpoint local;
  ConnectionId connection = 0;
};

/** A parsed message handed up by the transport layer. */
struct IncomingMessage {
  message::SipMessage message;
  Arrival arrival;
};

/** Receives parsed messages. Loop thread. */
class MessageSink {
 public:
  virtual ~MessageSink() = default;
  /** A message parsed (requests already carry received/rport). Ownership passes. */
  virtual void onMessage(IncomingMessage&& in) = 0;
};

/** A resolved next hop for a request (name resolution, RFC 3263, happens above). */
struct Target {
  Protocol protocol = Protocol::Udp;
  Endpoint endpoint;
};

/** A transport plus destination: where one message goes, computed once and reused. */
struct Route {
  Transport* transport = nullptr;
  Destination destination;
};

/** Why the transport layer dropped a parsed message or could not send one. */
enum class LayerDrop : std::uint8_t {
  ParseErrorDropped,    ///< unparseable and unanswerable (responses, ACKs, garbage)
  ResponseViaMismatch,  ///< a response whose top Via is not ours (§18.1.2)
  NoRouteForResponse,   ///< Via sent-by is not an IP address we can reach (no DNS here)
  NoTransport,          ///< no transport of the wanted protocol and address family
  Count_,               ///< not a reason: the number of reasons
};

/** The name of a LayerDrop value. */
std::string_view toString(LayerDrop d) noexcept;

/** Counters of the message side of the transport layer. */
struct TransportLayerStats {
  std::uint64_t requestsIn = 0;
  std::uint64_t responsesIn = 0;
  std::uint64_t answered400 = 0;
  std::uint64_t receivedAdded = 0;  ///< requests stamped with received=
  std::uint64_t rportFilled = 0;    ///< requests whose rport got its value
  std::array<std::uint64_t, static_cast<std::size_t>(LayerDrop::Count_)> drops{};
  message::ParseStats parse;  ///< parse failures by reason

  std::uint64_t dropped(LayerDrop d) const { return drops[static_cast<std::size_t>(d)]; }
};

/**
 * Where a response to a request with top Via `via`, received as `arrival`, must go
 * (RFC 3261 §18.2.2, RFC 3581 §4), always over the arrival's protocol (the Via's transport
 * token is not trusted to name another path back, and maddr is ignored: docs/security.md):
 * - reliable: the connection it came on if still open, else received (or sent-by) and the
 *   sent-by port (default 5060/5061);
 * - unreliable: received (or sent-by) and rport if it has a value, else the sent-by port
 *   (default 5060).
 * @return the protocol and destination, or an error when the address is not an IP literal.
 */
Result<std::pair<Protocol, Destination>> responseDestination(const message::Via& via,
                                                             const Arrival& arrival);

/**
 * RFC 3261 §18.2.1 / RFC 3581 §4: adds received= when the sent-by host differs from the
 * source address (always when rport is present), and fills an empty rport with the
 * source port. @return which of the two it did (bit 1: received, bit 2: rport).
 */
int stampReceived(message::SipMessage& request, const Endpoint& source);

/**
 * Owns no transports; routes between the ones added and a MessageSink. Loop thread only.
 */
class TransportLayer final : public TransportSink {
 public:
  /** @param limits parse limits for received messages. */
  explicit TransportLayer(message::ParseLimits limits = {});
  ~TransportLayer() override;

  TransportLayer(const TransportLayer&) = delete;
  TransportLayer& operator=(const TransportLayer&) = delete;

  /**
   * Adds a transport (not owned; it must outlive this layer or be removed first).
   * @param advertisedHost the host our Via sent-by names for it; empty means its bound
   * address. Required for a transport bound to a wildcard address (0.0.0.0 or ::), whose
   * bound address means nothing to a peer.
   */
  void addTransport(Transport& transport, std::string advertisedHost = {});
  /** Removes a transport added before, and stops receiving from it. */
  void removeTransport(Transport& transport);
  /** Where parsed messages go. */
  void setSink(MessageSink* sink) { sink_ = sink; }

  /**
   * Prepares a request for sending: picks the transport for `target`, and replaces the
   * request's Via with "SIP/2.0/<proto> <local address:port>;rport;branch=<branch>".
   * @param branch the branch to use (from generateBranch(), or the INVITE's for CANCEL).
   * @return the route to send the serialised request on.
   */
  Result<Route> prepareRequest(message::SipMessage& request, const Target& target,
                               std::string_view branch);

  /** The route a response to a request that arrived as `arrival` takes (§18.2.2). */
  Result<Route> routeResponse(const message::Via& requestTopVia, const Arrival& arrival);

  /** Sends bytes on a route. @param done as Transport::send. */
  void send(const Route& route, std::string bytes, SendDone done);

  /**
   * Sends a response statelessly (no transaction), routed from its own top Via.
   * @param arrival how the request arrived.
   */
  Result<void> sendStateless(const message::SipMessage& response, const Arrival& arrival,
                             SendDone done = {});

  /** Counters. */
  const TransportLayerStats& stats() const { return stats_; }

  // TransportSink
  void onPacket(Transport& from, ReceivedPacket&& packet) override;

 private:
  struct Entry {
    Transport* transport;
    std::string advertisedHost;  // empty: the bound address
  };
  const Entry* pick(Protocol protocol, const boost::asio::ip::address& dest) const;
  /** The sent-by host of `e` for our Via, or empty if it has none (wildcard, not advertised). */
  static std::string sentByHost(const Entry& e);
  void count(LayerDrop d) { ++stats_.drops[static_cast<std::size_t>(d)]; }

  message::ParseLimits limits_;
  std::vector<Entry> transports_;
  MessageSink* sink_ = nullptr;
  TransportLayerStats stats_;
};

}  // namespace tapi::sip::transport
