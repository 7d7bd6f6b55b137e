#pragma once
// The Transport interface: the seam between the SIP stack and the network. A transport moves
// whole SIP messages as bytes (it frames streams itself) and knows nothing of SIP semantics;
// Via handling and response routing live one step up, in TransportLayer.

#include <array>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <system_error>

#include <boost/asio/ip/address.hpp>

#include "sip/errc.hpp"

namespace tapi::sip::transport {

/** The transport protocols a Via can name. Tls is the seam for a later TLS transport. */
enum class Protocol : std::uint8_t {
  Udp,  ///< datagrams, unreliable: transactions retransmit
  Tcp,  ///< stream, reliable: framed by Content-Length
  Tls,  ///< stream over TLS, reliable (not implemented yet)
};

/** "UDP", "TCP" or "TLS": the token used in a Via header. */
std::string_view toString(Protocol p) noexcept;
/** Parses a Via transport token case-insensitively. @return false if unknown. */
bool parseProtocol(std::string_view token, Protocol* out) noexcept;
/** True for stream transports, where SIP does no retransmission (RFC 3261 §17.1.1.2). */
bool isReliable(Protocol p) noexcept;
/** The default port for the protocol (5060, or 5061 for TLS; RFC 3261 §19.1.2). */
std::uint16_t defaultPort(Protocol p) noexcept;

/** An IP address and port (IPv4 or IPv6). */
struct Endpoint {
  boost::asio::ip::address address;
  std::uint16_t port = 0;

  /** "1.2.3.4:5060" or "[::1]:5060". */
  std::string toString() const;
  /** The host part as it goes into a Via or URI: IPv6 in brackets. */
  std::string hostString() const;
  friend bool operator==(const Endpoint&, const Endpoint&) = default;
};

/** Identifies one stream connection of a transport; 0 means "none" (datagrams). */
using ConnectionId = std::uint64_t;

/** Why a transport threw bytes or a connection away. Every reason has its own counter. */
enum class DropReason : std::uint8_t {
  DatagramTooLarge,      ///< a datagram filled the whole receive buffer (truncated)
  EmptyDatagram,         ///< a datagram with no bytes, or only CRLF keep-alives
  MissingContentLength,  ///< a stream message without Content-Length (connection closed)
  BadContentLength,      ///< Content-Length not a number, or two different values (closed)
  BodyTooLarge,          ///< Content-Length above the configured body limit (closed)
  HeaderTooLarge,        ///< no end of headers within the configured limit (closed)
  BufferOverflow,        ///< a connection buffered more unread bytes than allowed (closed)
  TooManyConnections,    ///< an accepted connection over the connection limit or the
                         ///< descriptor budget (closed at once)
  NoDescriptors,         ///< accept() failed with EMFILE/ENFILE (retried after a backoff)
  Evicted,               ///< an idle connection closed to make room for a new one
  SendQueueFull,         ///< a send to a connection whose write queue was full
  IdleTimeout,           ///< a connection closed after no traffic for the idle time
  ReadError,             ///< a socket read failed or the peer reset
  SendError,             ///< a socket write or connect failed
  Count_,                ///< not a reason: the number of reasons
};

/** The name of a drop reason ("MissingContentLength"). */
std::string_view toString(DropReason r) noexcept;

inline constexpr std::size_t kDropReasonCount = static_cast<std::size_t>(DropReason::Count_);

/** Counters a transport keeps; all only go up except the *Open gauges. */
struct TransportStats {
  std::uint64_t messagesReceived = 0;
  std::uint64_t messagesSent = 0;
  std::uint64_t bytesReceived = 0;
  std::uint64_t bytesSent = 0;
  std::uint64_t connectionsAccepted = 0;
  std::uint64_t connectionsOpened = 0;  ///< outgoing connects that succeeded
  std::uint64_t connectionsClosed = 0;
  std::uint64_t connectionsOpen = 0;  ///< gauge
  std::uint64_t keepAlivePongs = 0;   ///< CRLF pongs sent for CRLFCRLF pings (RFC 5626)
  std::array<std::uint64_t, kDropReasonCount> drops{};

  std::uint64_t dropped(DropReason r) const { return drops[static_cast<std::size_t>(r)]; }
  void count(DropReason r) { ++drops[static_cast<std::size_t>(r)]; }
};

/** One complete SIP message as received (a datagram, or one framed message of a stream). */
struct ReceivedPacket {
  Protocol protocol = Protocol::Udp;
  Endpoint source;              ///< the peer's address and port
  Endpoint local;               ///< the address and port it arrived on
  ConnectionId connection = 0;  ///< the stream connection, 0 for datagrams
  std::string bytes;            ///< the message; ownership passes to the receiver
};

/** Where to send: the peer, and for streams the connection to prefer if still open. */
struct Destination {
  Endpoint endpoint;
  ConnectionId connection = 0;  ///< 0: any open connection to `endpoint`, else connect
};

/** Completion of Transport::send: empty error on success. */
using SendDone = std::function<void(std::error_code)>;

class Transport;

/** Receives what a transport reads. Called on the loop thread. */
class TransportSink {
 public:
  virtual ~TransportSink() = default;
  /**
   * One whole message arrived. @param from the transport it came on.
   * @param packet the bytes and addresses; the sink may keep the bytes (moved).
   */
  virtual void onPacket(Transport& from, ReceivedPacket&& packet) = 0;
};

/**
 * A SIP transport: sends and receives whole messages on one local address.
 * Loop thread only. Implementations: UdpTransport, TcpTransport, LoopTransport.
 */
class Transport {
 public:
  virtual ~Transport() = default;

  /** The protocol (what goes into Via). */
  virtual Protocol protocol() const = 0;
  /** The address and port it listens on (the real port when bound to port 0). */
  virtual Endpoint localEndpoint() const = 0;
  /** Where received messages go; the sink must outlive the transport or be reset to null. */
  virtual void setSink(TransportSink* sink) = 0;

  /**
   * Sends one whole message. Streams reuse the connection in `to` if open, else any open
   * connection to the endpoint, else connect.
   * @param done runs exactly once, later on the loop, with the outcome (may be empty).
   * Cancelled by close(): completes with sip::Errc::Cancelled.
   */
  virtual void send(const Destination& to, std::string bytes, SendDone done) = 0;

  /** Whether a stream connection is still open (always false for datagrams). */
  virtual bool isOpen(ConnectionId id) const = 0;

  /** Stops receiving and closes every socket; pending sends complete with an error. */
  virtual void close() = 0;

  /** Counters (see TransportStats). */
  virtual const TransportStats& stats() const = 0;

  /** True for stream transports (shortcut for isReliable(protocol())). */
  bool reliable() const { return isReliable(protocol()); }
};

}  // namespace tapi::sip::transport
