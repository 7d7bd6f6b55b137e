#pragma once
// The API listeners: a Unix socket (file permissions are the authentication) and TCP
// (bearer token, optional TLS). Each accepted connection is handed to session.hpp, unless
// SessionContext::maxClients are open (then it is closed at once and counted). When accept()
// fails for lack of descriptors the listener waits (10 ms doubling to 1 s) before trying
// again: the pending connection keeps the socket readable, so retrying at once would spin.

#include <cstdint>
#include <memory>
#include <string>
#include <variant>

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/local/stream_protocol.hpp>
#include <boost/asio/steady_timer.hpp>

#include "base/backoff.hpp"
#include "server/session.hpp"

namespace tapi::server {

namespace detail {
/** What both listeners keep to pace accept() when descriptors run out. */
struct AcceptPacing {
  explicit AcceptPacing(boost::asio::io_context& io) : retry(io) {}
  boost::asio::steady_timer retry;  ///< the wait before the next accept after EMFILE/ENFILE
  base::Backoff backoff;
  bool closed = false;
};
}  // namespace detail

class UnixListener {
 public:
  /**
   * Binds `path` with permissions `mode`. A stale socket file (nobody accepting on it)
   * is removed first; a live one means another server runs there: an error.
   * @return the listener (not yet accepting), or a message.
   */
  static std::variant<std::unique_ptr<UnixListener>, std::string> bind(boost::asio::io_context& io,
                                                                       const std::string& path,
                                                                       std::uint32_t mode,
                                                                       SessionContext& ctx);
  ~UnixListener();

  void start();
  /** Stops accepting and removes the socket file. */
  void close();
  const std::string& path() const noexcept { return path_; }

 private:
  UnixListener(boost::asio::io_context& io, std::string path, SessionContext& ctx);
  void acceptNext();

  boost::asio::local::stream_protocol::acceptor acceptor_;
  detail::AcceptPacing pacing_;
  std::string path_;
  SessionContext& ctx_;
};

class TcpListener {
 public:
  /**
   * Binds "host:port" (port 0: any free port). `tls` may be null (plain TCP); it must
   * outlive the listener and its connections.
   */
  static std::variant<std::unique_ptr<TcpListener>, std::string> bind(
      boost::asio::io_context& io, const std::string& hostPort, SessionContext& ctx,
      boost::asio::ssl::context* tls);

  void start();
  void close();
  /** The bound address, e.g. "127.0.0.1:8720". */
  std::string address() const;

 private:
  TcpListener(boost::asio::io_context& io, SessionContext& ctx, boost::asio::ssl::context* tls);
  void acceptNext();

  boost::asio::ip::tcp::acceptor acceptor_;
  detail::AcceptPacing pacing_;
  SessionContext& ctx_;
  boost::asio::ssl::context* tls_;
};

}  // namespace tapi::server
