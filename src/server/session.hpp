#pragma once
// Client connections: HTTP/1.1 (GET /healthz, GET /metrics) and the WebSocket API on
// GET /v1, over a Unix socket, TCP, or TLS over TCP. All Beast code lives in session.cpp;
// this header only names what the listeners and the server need.

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <unordered_map>

#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/local/stream_protocol.hpp>

#include "server/protocol.hpp"

namespace boost::asio::ssl {
class context;
}

namespace tapi::server {

/** What the server can do to any live connection. */
class Connection {
 public:
  virtual ~Connection() = default;
  /** Server shutdown: queued events are written, then the WebSocket is closed (going away). */
  virtual void shutdownClose() = 0;
  /** Closes the socket now; pending writes are dropped. */
  virtual void forceClose() = 0;
};

/** Shared by every connection of one server. Loop thread only; outlives the connections. */
struct SessionContext {
  ProtocolHub& hub;
  /** Prometheus text for GET /metrics. */
  std::function<std::string()> metrics;
  /** Bearer token required on TCP (for /v1 and /metrics). */
  std::string token;
  /** Every live connection, for shutdown. Entries remove themselves when they end. */
  std::unordered_map<std::uint64_t, std::weak_ptr<Connection>> live;
  std::uint64_t nextId = 0;
  /** Set at shutdown: new requests are refused. */
  bool stopping = false;
  /** Counters for /metrics. */
  std::uint64_t httpRequests = 0;
  std::uint64_t unauthorized = 0;
  /** Client sockets (all listeners together) above which new ones are closed at once. */
  std::size_t maxClients = 1024;
  /** Connections closed at once because maxClients were open. */
  std::uint64_t refusedClients = 0;
  /** accept() failures for lack of descriptors (EMFILE/ENFILE), each followed by a backoff. */
  std::uint64_t acceptNoFds = 0;
};

/** Serves one accepted Unix-socket connection (no authentication: file permissions). */
void startUnixSession(boost::asio::local::stream_protocol::socket socket, SessionContext& ctx);

/**
 * Serves one accepted TCP connection; `tls` non-null: TLS handshake first.
 * The bearer token is required on /v1 and /metrics.
 */
void startTcpSession(boost::asio::ip::tcp::socket socket, SessionContext& ctx,
                     boost::asio::ssl::context* tls);

/** Constant-time comparison of a presented token with the expected one. */
bool tokenMatches(std::string_view presented, std::string_view expected) noexcept;

}  // namespace tapi::server
