#include "server/listener.hpp"

#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include <spdlog/spdlog.h>

namespace tapi::server {

namespace asio = boost::asio;
using asio::ip::tcp;
using asio::local::stream_protocol;

namespace {

/** True if something accepts connections on the Unix socket at `path`. */
bool socketIsLive(const std::string& path) {
  const int fd = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) {
    return false;
  }
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  std::strncpy(addr.sun_path, path.c_str(), sizeof addr.sun_path - 1);
  const bool live = ::connect(fd, reinterpret_cast<const sockaddr*>(&addr), sizeof addr) == 0;
  ::close(fd);
  return live;
}

/** What a listener does after one accept() completed. */
enum class AfterAccept : std::uint8_t {
  Serve,       ///< a connection to serve; accept the next at once
  Refused,     ///< closed at once (maxClients open); accept the next at once
  Retry,       ///< a failure about this one connection; accept the next at once
  WaitForFds,  ///< no descriptor left: wait before accepting again
};

template <typename Socket>
AfterAccept afterAccept(const boost::system::error_code& ec, Socket& s, SessionContext& ctx,
                        const char* transport) {
  if (ec) {
    if (base::isOutOfDescriptors(ec.value())) {
      ++ctx.acceptNoFds;
      return AfterAccept::WaitForFds;
    }
    spdlog::warn("event=accept_failed transport={} error=\"{}\"", transport, ec.message());
    return AfterAccept::Retry;
  }
  if (ctx.live.size() >= ctx.maxClients) {
    ++ctx.refusedClients;
    boost::system::error_code ignored;
    s.close(ignored);
    return AfterAccept::Refused;
  }
  return AfterAccept::Serve;
}

/** Logs the first failure of a run of EMFILE/ENFILE, not each retry. */
void logOutOfFds(const base::Backoff& b, const char* transport,
                 const boost::system::error_code& ec) {
  if (b.failures() == 1) {
    spdlog::warn("event=accept_no_descriptors transport={} error=\"{}\" action=backoff", transport,
                 ec.message());
  }
}

/**
 * One turn of a listener's accept loop: `serve` takes the connection (or afterAccept refused
 * it), then `next` accepts again, at once or, when descriptors ran out, after the backoff.
 */
template <typename Socket, typename Serve, typename Next>
void acceptTurn(detail::AcceptPacing& pacing, const boost::system::error_code& ec, Socket& s,
                SessionContext& ctx, const char* transport, Serve&& serve, Next next) {
  switch (afterAccept(ec, s, ctx, transport)) {
    case AfterAccept::Serve:
      pacing.backoff.reset();
      serve(std::move(s));
      break;
    case AfterAccept::Refused:
    case AfterAccept::Retry:
      break;
    case AfterAccept::WaitForFds:
      pacing.retry.expires_after(pacing.backoff.next());
      logOutOfFds(pacing.backoff, transport, ec);
      pacing.retry.async_wait([&pacing, next](const boost::system::error_code& tec) {
        // Checked first: after close() the listener may be gone.
        if (tec != asio::error::operation_aborted && !pacing.closed) {
          next();
        }
      });
      return;
  }
  next();
}

}  // namespace

// ---------------------------------------------------------------------------------------
// Unix

UnixListener::UnixListener(asio::io_context& io, std::string path, SessionContext& ctx)
    : acceptor_(io), pacing_(io), path_(std::move(path)), ctx_(ctx) {}

UnixListener::~UnixListener() {
  close();
}

std::variant<std::unique_ptr<UnixListener>, std::string> UnixListener::bind(asio::io_context& io,
                                                                            const std::string& path,
                                                                            std::uint32_t mode,
                                                                            SessionContext& ctx) {
  if (path.size() >= sizeof(sockaddr_un{}.sun_path)) {
    return "unix socket path too long (max " + std::to_string(sizeof(sockaddr_un{}.sun_path) - 1) +
           " bytes): " + path;
  }
  struct stat st {};
  if (::lstat(path.c_str(), &st) == 0) {
    if (!S_ISSOCK(st.st_mode)) {
      return path + " exists and is not a socket: not removing it";
    }
    if (socketIsLive(path)) {
      return "another server is already serving on " + path;
    }
    spdlog::info("event=stale_socket_removed path={}", path);
    ::unlink(path.c_str());
  }
  std::unique_ptr<UnixListener> l(new UnixListener(io, path, ctx));
  boost::system::error_code ec;
  l->acceptor_.open(stream_protocol(), ec);
  if (!ec) {
    // The socket file is created with the permissions the umask leaves: no window in
    // which it is more open than `mode`.
    const mode_t old = ::umask(static_cast<mode_t>(~mode & 0777));
    l->acceptor_.bind(stream_protocol::endpoint(path), ec);
    ::umask(old);
  }
  if (!ec && ::chmod(path.c_str(), static_cast<mode_t>(mode)) != 0) {
    ec.assign(errno, boost::system::system_category());
  }
  if (!ec) {
    l->acceptor_.listen(asio::socket_base::max_listen_connections, ec);
  }
  if (ec) {
    l->pacing_.closed = true;
    return "cannot listen on " + path + ": " + ec.message();
  }
  return l;
}

void UnixListener::start() {
  acceptNext();
}

void UnixListener::acceptNext() {
  acceptor_.async_accept([this](boost::system::error_code ec, stream_protocol::socket s) {
    // Checked first: after close() the listener may be gone when the aborted accept
    // completes, and `this` must not be read then.
    if (ec == asio::error::operation_aborted || pacing_.closed) {
      return;
    }
    acceptTurn(
        pacing_, ec, s, ctx_, "unix",
        [this](stream_protocol::socket&& conn) { startUnixSession(std::move(conn), ctx_); },
        [this] { acceptNext(); });
  });
}

void UnixListener::close() {
  if (pacing_.closed) {
    return;
  }
  pacing_.closed = true;
  boost::system::error_code ec;
  acceptor_.close(ec);
  pacing_.retry.cancel();
  ::unlink(path_.c_str());
}

// ---------------------------------------------------------------------------------------
// TCP

TcpListener::TcpListener(asio::io_context& io, SessionContext& ctx, asio::ssl::context* tls)
    : acceptor_(io), pacing_(io), ctx_(ctx), tls_(tls) {}

std::variant<std::unique_ptr<TcpListener>, std::string> TcpListener::bind(
    asio::io_context& io, const std::string& hostPort, SessionContext& ctx,
    asio::ssl::context* tls) {
  const auto colon = hostPort.rfind(':');
  if (colon == std::string::npos) {
    return "tcp_listen must be host:port, not \"" + hostPort + "\"";
  }
  std::string host = hostPort.substr(0, colon);
  if (host.size() >= 2 && host.front() == '[' && host.back() == ']') {
    host = host.substr(1, host.size() - 2);
  }
  const std::string portText = hostPort.substr(colon + 1);
  boost::system::error_code ec;
  const auto address = asio::ip::make_address(host, ec);
  if (ec) {
    return "tcp_listen: \"" + host + "\" is not an IP address";
  }
  unsigned long port = 0;
  try {
    std::size_t used = 0;
    port = std::stoul(portText, &used);
    if (used != portText.size() || port > 65535) {
      throw std::out_of_range("port");
    }
  } catch (const std::exception&) {
    return "tcp_listen: \"" + portText + "\" is not a port number";
  }
  std::unique_ptr<TcpListener> l(new TcpListener(io, ctx, tls));
  const tcp::endpoint ep(address, static_cast<unsigned short>(port));
  l->acceptor_.open(ep.protocol(), ec);
  if (!ec) {
    l->acceptor_.set_option(asio::socket_base::reuse_address(true), ec);
  }
  if (!ec) {
    l->acceptor_.bind(ep, ec);
  }
  if (!ec) {
    l->acceptor_.listen(asio::socket_base::max_listen_connections, ec);
  }
  if (ec) {
    l->pacing_.closed = true;
    return "cannot listen on " + hostPort + ": " + ec.message();
  }
  return l;
}

void TcpListener::start() {
  acceptNext();
}

void TcpListener::acceptNext() {
  acceptor_.async_accept([this](boost::system::error_code ec, tcp::socket s) {
    // Checked first: after close() the listener may be gone when the aborted accept
    // completes, and `this` must not be read then.
    if (ec == asio::error::operation_aborted || pacing_.closed) {
      return;
    }
    acceptTurn(
        pacing_, ec, s, ctx_, "tcp",
        [this](tcp::socket&& conn) { startTcpSession(std::move(conn), ctx_, tls_); },
        [this] { acceptNext(); });
  });
}

void TcpListener::close() {
  if (pacing_.closed) {
    return;
  }
  pacing_.closed = true;
  boost::system::error_code ec;
  acceptor_.close(ec);
  pacing_.retry.cancel();
}

std::string TcpListener::address() const {
  boost::system::error_code ec;
  const auto ep = acceptor_.local_endpoint(ec);
  if (ec) {
    return "?";
  }
  const std::string host =
      ep.address().is_v6() ? "[" + ep.address().to_string() + "]" : ep.address().to_string();
  return host + ":" + std::to_string(ep.port());
}

}  // namespace tapi::server
