#include "sip/transport/tcp_transport.hpp"

#include <array>
#include <deque>
#include <unordered_map>

#include <boost/asio/connect.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ip/v6_only.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/write.hpp>

#include "base/backoff.hpp"

namespace tapi::sip::transport {

namespace asio = boost::asio;
using tcp = asio::ip::tcp;

namespace {

struct PendingWrite {
  std::string bytes;
  SendDone done;
  std::size_t size = 0;
};

std::string peerKey(const Endpoint& e) {
  return e.toString();
}

}  // namespace

struct TcpTransport::Impl : std::enable_shared_from_this<TcpTransport::Impl> {
  // One stream connection. Handlers hold it by shared_ptr; `open` tells them whether the
  // transport still wants it.
  struct Conn {
    Conn(asio::io_context& io, ConnectionId cid, const FramerLimits& limits)
        : socket(io), idle(io), id(cid), framer(limits) {}
    tcp::socket socket;
    asio::steady_timer idle;
    ConnectionId id;
    Endpoint remote;
    StreamFramer framer;
    std::deque<PendingWrite> queue;
    std::size_t queuedBytes = 0;
    bool connected = false;
    bool writing = false;
    bool open = true;
    std::size_t pongsSent = 0;
    std::chrono::steady_clock::time_point lastActivity = std::chrono::steady_clock::now();
    std::array<char, 16 * 1024> rx{};
  };
  using ConnPtr = std::shared_ptr<Conn>;

  Impl(asio::io_context& io, TcpOptions opts)
      : io_(io),
        acceptor_(io),
        acceptRetry_(io),
        options_(opts),
        acceptBackoff_(opts.acceptRetryFirst, opts.acceptRetryMax) {}

  // --- accepting -------------------------------------------------------------------------

  void startAccept() {
    if (closed_) {
      return;
    }
    auto conn = std::make_shared<Conn>(io_, ++lastId_, options_.framing);
    acceptor_.async_accept(conn->socket,
                           [self = shared_from_this(), conn](const boost::system::error_code& ec) {
                             self->onAccept(conn, ec);
                           });
  }

  void onAccept(const ConnPtr& conn, const boost::system::error_code& ec) {
    if (closed_ || ec == asio::error::operation_aborted) {
      return;
    }
    if (ec && base::isOutOfDescriptors(ec.value())) {
      // The connection stays in the backlog and the socket stays readable: accepting again
      // at once would spin. Free a descriptor if an idle connection can give one, else wait.
      stats_.count(DropReason::NoDescriptors);
      if (evictIdlest()) {
        startAccept();
      } else {
        retryAcceptLater();
      }
      return;
    }
    if (!ec) {
      acceptBackoff_.reset();
      if (!roomForOneMore() && !evictIdlest()) {
        stats_.count(DropReason::TooManyConnections);
        boost::system::error_code ignored;
        conn->socket.close(ignored);
      } else {
        boost::system::error_code epErr;
        const tcp::endpoint peer = conn->socket.remote_endpoint(epErr);
        if (epErr) {
          stats_.count(DropReason::ReadError);
        } else {
          conn->remote = Endpoint{peer.address(), peer.port()};
          conn->connected = true;
          ++stats_.connectionsAccepted;
          adopt(conn);
          startRead(conn);
        }
      }
    }
    // Other accept errors (ECONNABORTED, ...) concern one connection: keep accepting.
    startAccept();
  }

  void retryAcceptLater() {
    acceptRetry_.expires_after(acceptBackoff_.next());
    acceptRetry_.async_wait([self = shared_from_this()](const boost::system::error_code& ec) {
      if (!ec && !self->closed_) {
        self->startAccept();
      }
    });
  }

  /** Whether one more connection fits under maxConnections and the descriptor budget. */
  bool roomForOneMore() {
    if (connections_.size() >= options_.maxConnections) {
      return false;
    }
    return options_.fdBudget == nullptr || options_.fdBudget->admit(1);
  }

  /**
   * Closes the connection idle longest if it has been idle at least evictIdleAfter and has
   * nothing to write. @return whether one was closed (its descriptor is free again).
   */
  bool evictIdlest() {
    if (options_.evictIdleAfter.count() <= 0) {
      return false;
    }
    const auto now = std::chrono::steady_clock::now();
    ConnPtr idlest;
    for (const auto& [id, c] : connections_) {
      if (c->connected && !c->writing && c->queue.empty() &&
          now - c->lastActivity >= options_.evictIdleAfter &&
          (!idlest || c->lastActivity < idlest->lastActivity)) {
        idlest = c;
      }
    }
    if (!idlest) {
      return false;
    }
    stats_.count(DropReason::Evicted);
    closeConn(idlest, asio::error::timed_out);
    return true;
  }

  void adopt(const ConnPtr& conn) {
    connections_.emplace(conn->id, conn);
    byPeer_[peerKey(conn->remote)] = conn->id;
    ++stats_.connectionsOpen;
    armIdle(conn);
  }

  // --- reading ---------------------------------------------------------------------------

  void startRead(const ConnPtr& conn) {
    if (!conn->open) {
      return;
    }
    conn->socket.async_read_some(
        asio::buffer(conn->rx),
        [self = shared_from_this(), conn](const boost::system::error_code& ec, std::size_t n) {
          self->onRead(conn, ec, n);
        });
  }

  void onRead(const ConnPtr& conn, const boost::system::error_code& ec, std::size_t n) {
    if (!conn->open || closed_) {
      return;
    }
    if (ec) {
      if (ec != asio::error::eof) {
        stats_.count(DropReason::ReadError);
      }
      closeConn(conn, ec);
      return;
    }
    stats_.bytesReceived += n;
    conn->lastActivity = std::chrono::steady_clock::now();
    if (!conn->framer.feed(std::string_view(conn->rx.data(), n))) {
      stats_.count(*conn->framer.error());
      closeConn(conn, asio::error::message_size);
      return;
    }
    while (auto msg = conn->framer.next()) {
      ++stats_.messagesReceived;
      if (sink_ != nullptr) {
        ReceivedPacket p;
        p.protocol = Protocol::Tcp;
        p.source = conn->remote;
        p.local = local_;
        p.connection = conn->id;
        p.bytes = std::move(*msg);
        sink_->onPacket(*owner_, std::move(p));
      }
      // The sink may have closed this connection or the whole transport.
      if (!conn->open || closed_) {
        return;
      }
    }
    if (auto err = conn->framer.error()) {
      stats_.count(*err);
      closeConn(conn, asio::error::invalid_argument);
      return;
    }
    // RFC 5626 §3.5.1: a double-CRLF ping gets a single-CRLF pong.
    while (conn->framer.keepAlives() / 2 > conn->pongsSent) {
      ++conn->pongsSent;
      ++stats_.keepAlivePongs;
      if (conn->queuedBytes + 2 <= options_.maxQueuedBytes) {
        conn->queuedBytes += 2;
        conn->queue.push_back(PendingWrite{"\r\n", nullptr, 2});
        writeNext(conn);
      }
    }
    startRead(conn);
  }

  // --- idle close ------------------------------------------------------------------------

  void armIdle(const ConnPtr& conn) {
    if (options_.idleTimeout.count() <= 0) {
      return;
    }
    const auto deadline = conn->lastActivity + options_.idleTimeout;
    conn->idle.expires_at(deadline);
    conn->idle.async_wait([self = shared_from_this(), conn](const boost::system::error_code& ec) {
      if (ec || !conn->open || self->closed_) {
        return;
      }
      // Activity moved the deadline on: wait for the rest instead of rearming on every read.
      if (std::chrono::steady_clock::now() - conn->lastActivity < self->options_.idleTimeout) {
        self->armIdle(conn);
        return;
      }
      self->stats_.count(DropReason::IdleTimeout);
      self->closeConn(conn, asio::error::timed_out);
    });
  }

  // --- sending ---------------------------------------------------------------------------

  ConnPtr find(ConnectionId id) const {
    auto it = connections_.find(id);
    return it == connections_.end() ? nullptr : it->second;
  }

  ConnPtr findPeer(const Endpoint& peer) const {
    auto it = byPeer_.find(peerKey(peer));
    return it == byPeer_.end() ? nullptr : find(it->second);
  }

  void send(const Destination& to, std::string bytes, SendDone done) {
    if (closed_) {
      post(std::move(done), make_error_code(Errc::Cancelled));
      return;
    }
    ConnPtr conn;
    if (to.connection != 0) {
      conn = find(to.connection);
    }
    if (!conn) {
      conn = findPeer(to.endpoint);
    }
    if (!conn) {
      if (!roomForOneMore() && !evictIdlest()) {
        stats_.count(DropReason::TooManyConnections);
        post(std::move(done), make_error_code(Errc::TooManyConnections));
        return;
      }
      conn = connect(to.endpoint);
    }
    if (conn->queuedBytes + bytes.size() > options_.maxQueuedBytes) {
      stats_.count(DropReason::SendQueueFull);
      post(std::move(done), make_error_code(Errc::QueueFull));
      return;
    }
    conn->queuedBytes += bytes.size();
    const std::size_t size = bytes.size();
    conn->queue.push_back(PendingWrite{std::move(bytes), std::move(done), size});
    writeNext(conn);
  }

  ConnPtr connect(const Endpoint& peer) {
    auto conn = std::make_shared<Conn>(io_, ++lastId_, options_.framing);
    conn->remote = peer;
    adopt(conn);
    conn->socket.async_connect(
        tcp::endpoint(peer.address, peer.port),
        [self = shared_from_this(), conn](const boost::system::error_code& ec) {
          if (!conn->open || self->closed_) {
            return;
          }
          if (ec) {
            self->stats_.count(DropReason::SendError);
            self->closeConn(conn, ec);
            return;
          }
          ++self->stats_.connectionsOpened;
          conn->connected = true;
          conn->lastActivity = std::chrono::steady_clock::now();
          self->startRead(conn);
          self->writeNext(conn);
        });
    return conn;
  }

  void writeNext(const ConnPtr& conn) {
    if (!conn->open || !conn->connected || conn->writing || conn->queue.empty()) {
      return;
    }
    conn->writing = true;
    // The handler owns the bytes, so closing the connection mid-write cannot free them.
    auto data = std::make_shared<std::string>(std::move(conn->queue.front().bytes));
    asio::async_write(conn->socket, asio::buffer(*data),
                      [self = shared_from_this(), conn, data](const boost::system::error_code& ec,
                                                              std::size_t n) mutable {
                        data.reset();  // free before the completion runs
                        self->onWritten(conn, ec, n);
                      });
  }

  void onWritten(const ConnPtr& conn, const boost::system::error_code& ec, std::size_t n) {
    conn->writing = false;
    if (!conn->open) {
      return;  // closeConn already failed the queue
    }
    PendingWrite w = std::move(conn->queue.front());
    conn->queue.pop_front();
    conn->queuedBytes -= w.size;
    if (ec) {
      stats_.count(DropReason::SendError);
      if (w.done) {
        w.done(ec);
      }
      closeConn(conn, ec);
      return;
    }
    ++stats_.messagesSent;
    stats_.bytesSent += n;
    conn->lastActivity = std::chrono::steady_clock::now();
    if (w.done) {
      w.done(std::error_code{});
    }
    if (!closed_) {
      writeNext(conn);
    }
  }

  // --- closing ---------------------------------------------------------------------------

  void closeConn(const ConnPtr& conn, const boost::system::error_code& why) {
    if (!conn->open) {
      return;
    }
    conn->open = false;
    connections_.erase(conn->id);
    auto it = byPeer_.find(peerKey(conn->remote));
    if (it != byPeer_.end() && it->second == conn->id) {
      byPeer_.erase(it);
    }
    ++stats_.connectionsClosed;
    --stats_.connectionsOpen;
    boost::system::error_code ignored;
    conn->idle.cancel();
    conn->socket.close(ignored);
    std::deque<PendingWrite> failed;
    if (conn->writing && !conn->queue.empty()) {
      // The write in flight owns its bytes (see writeNext); fail only its completion here.
      failed.push_back(PendingWrite{std::string(), std::move(conn->queue.front().done)});
      conn->queue.pop_front();
    }
    failed.insert(failed.end(), std::make_move_iterator(conn->queue.begin()),
                  std::make_move_iterator(conn->queue.end()));
    conn->queue.clear();
    conn->queuedBytes = 0;
    const std::error_code ec = why ? std::error_code(why) : make_error_code(Errc::Cancelled);
    for (auto& w : failed) {
      post(std::move(w.done), ec);
    }
  }

  void post(SendDone done, std::error_code ec) {
    if (done) {
      asio::post(io_, [done = std::move(done), ec] { done(ec); });
    }
  }

  void close() {
    if (closed_) {
      return;
    }
    closed_ = true;
    sink_ = nullptr;
    boost::system::error_code ignored;
    acceptor_.close(ignored);
    acceptRetry_.cancel();
    auto all = connections_;
    for (auto& [id, conn] : all) {
      closeConn(conn, asio::error::operation_aborted);
    }
  }

  asio::io_context& io_;
  tcp::acceptor acceptor_;
  asio::steady_timer acceptRetry_;  // the wait after accept() ran out of descriptors
  TcpOptions options_;
  base::Backoff acceptBackoff_;
  Endpoint local_;
  TransportSink* sink_ = nullptr;
  Transport* owner_ = nullptr;
  bool closed_ = false;
  ConnectionId lastId_ = 0;
  std::unordered_map<ConnectionId, ConnPtr> connections_;
  std::unordered_map<std::string, ConnectionId> byPeer_;
  TransportStats stats_;
};

Result<std::unique_ptr<TcpTransport>> TcpTransport::open(asio::io_context& io,
                                                         const Endpoint& local,
                                                         TcpOptions options) {
  auto impl = std::make_shared<Impl>(io, options);
  boost::system::error_code ec;
  const tcp::endpoint ep(local.address, local.port);
  impl->acceptor_.open(ep.protocol(), ec);
  if (!ec) {
    impl->acceptor_.set_option(tcp::acceptor::reuse_address(true), ec);
  }
  if (!ec && local.address.is_v6()) {
    impl->acceptor_.set_option(asio::ip::v6_only(true), ec);
  }
  if (!ec) {
    impl->acceptor_.bind(ep, ec);
  }
  if (!ec) {
    impl->acceptor_.listen(asio::socket_base::max_listen_connections, ec);
  }
  if (ec) {
    return fail(ec);
  }
  const tcp::endpoint bound = impl->acceptor_.local_endpoint(ec);
  if (ec) {
    return fail(ec);
  }
  impl->local_ = Endpoint{bound.address(), bound.port()};
  std::unique_ptr<TcpTransport> t(new TcpTransport(impl));
  impl->owner_ = t.get();
  impl->startAccept();
  return t;
}

TcpTransport::TcpTransport(std::shared_ptr<Impl> impl) : impl_(std::move(impl)) {}
TcpTransport::~TcpTransport() {
  impl_->close();
}

Endpoint TcpTransport::localEndpoint() const {
  return impl_->local_;
}
void TcpTransport::setSink(TransportSink* sink) {
  impl_->sink_ = sink;
}
void TcpTransport::send(const Destination& to, std::string bytes, SendDone done) {
  impl_->send(to, std::move(bytes), std::move(done));
}
bool TcpTransport::isOpen(ConnectionId id) const {
  return impl_->find(id) != nullptr;
}
void TcpTransport::close() {
  impl_->close();
}
const TransportStats& TcpTransport::stats() const {
  return impl_->stats_;
}

void TcpTransport::closeConnection(ConnectionId id) {
  if (auto conn = impl_->find(id)) {
    impl_->closeConn(conn, asio::error::operation_aborted);
  }
}

ConnectionId TcpTransport::connectionTo(const Endpoint& peer) const {
  auto conn = impl_->findPeer(peer);
  return conn ? conn->id : 0;
}

}  // namespace tapi::sip::transport
