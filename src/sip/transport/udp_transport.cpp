#include "sip/transport/udp_transport.hpp"

#include <vector>

#include <boost/asio/ip/udp.hpp>
#include <boost/asio/ip/v6_only.hpp>
#include <boost/asio/post.hpp>

namespace tapi::sip::transport {

namespace asio = boost::asio;
using udp = asio::ip::udp;

// Handlers hold the Impl by shared_ptr, so a completion that runs after the UdpTransport
// was destroyed finds the Impl closed (sink null) instead of freed memory.
struct UdpTransport::Impl : std::enable_shared_from_this<UdpTransport::Impl> {
  Impl(asio::io_context& io, UdpOptions opts) : io_(io), socket_(io), options_(opts) {}

  void startReceive() {
    if (closed_) {
      return;
    }
    socket_.async_receive_from(
        asio::buffer(rxBuf_), rxFrom_,
        [self = shared_from_this()](const boost::system::error_code& ec, std::size_t n) {
          self->onReceive(ec, n);
        });
  }

  void onReceive(const boost::system::error_code& ec, std::size_t n) {
    if (closed_ || ec == asio::error::operation_aborted) {
      return;
    }
    if (ec) {
      // ICMP port-unreachable from an earlier send surfaces here on Linux: not fatal.
      stats_.count(DropReason::ReadError);
      startReceive();
      return;
    }
    stats_.bytesReceived += n;
    if (n >= rxBuf_.size()) {
      stats_.count(DropReason::DatagramTooLarge);
    } else if (isOnlyCrlf(n)) {
      stats_.count(DropReason::EmptyDatagram);
    } else if (sink_ != nullptr) {
      ++stats_.messagesReceived;
      ReceivedPacket p;
      p.protocol = Protocol::Udp;
      p.source = Endpoint{rxFrom_.address(), rxFrom_.port()};
      p.local = local_;
      p.bytes.assign(rxBuf_.data(), n);
      sink_->onPacket(*owner_, std::move(p));
    }
    startReceive();
  }

  bool isOnlyCrlf(std::size_t n) const {
    for (std::size_t i = 0; i < n; ++i) {
      if (rxBuf_[i] != '\r' && rxBuf_[i] != '\n') {
        return false;
      }
    }
    return true;
  }

  void send(const Destination& to, std::string bytes, SendDone done) {
    if (closed_) {
      complete(std::move(done), make_error_code(Errc::Cancelled));
      return;
    }
    auto data = std::make_shared<std::string>(std::move(bytes));
    const udp::endpoint dest(to.endpoint.address, to.endpoint.port);
    socket_.async_send_to(asio::buffer(*data), dest,
                          [self = shared_from_this(), data, done = std::move(done)](
                              const boost::system::error_code& ec, std::size_t n) mutable {
                            if (ec) {
                              self->stats_.count(DropReason::SendError);
                            } else {
                              ++self->stats_.messagesSent;
                              self->stats_.bytesSent += n;
                            }
                            data.reset();  // free the buffer before the completion runs
                            if (done) {
                              done(ec);
                            }
                          });
  }

  void complete(SendDone done, std::error_code ec) {
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
    socket_.close(ignored);
  }

  asio::io_context& io_;
  udp::socket socket_;
  UdpOptions options_;
  Endpoint local_;
  TransportSink* sink_ = nullptr;
  Transport* owner_ = nullptr;
  bool closed_ = false;
  TransportStats stats_;
  std::vector<char> rxBuf_;
  udp::endpoint rxFrom_;
};

Result<std::unique_ptr<UdpTransport>> UdpTransport::open(asio::io_context& io,
                                                         const Endpoint& local,
                                                         UdpOptions options) {
  auto impl = std::make_shared<Impl>(io, options);
  boost::system::error_code ec;
  const udp::endpoint ep(local.address, local.port);
  impl->socket_.open(ep.protocol(), ec);
  if (!ec && local.address.is_v6()) {
    impl->socket_.set_option(asio::ip::v6_only(true), ec);
  }
  if (!ec) {
    impl->socket_.bind(ep, ec);
  }
  if (ec) {
    return fail(ec);
  }
  const udp::endpoint bound = impl->socket_.local_endpoint(ec);
  if (ec) {
    return fail(ec);
  }
  impl->local_ = Endpoint{bound.address(), bound.port()};
  // One extra byte detects truncation: a datagram that fills the buffer was too big.
  impl->rxBuf_.resize(options.maxDatagram + 1);
  std::unique_ptr<UdpTransport> t(new UdpTransport(impl));
  impl->owner_ = t.get();
  impl->startReceive();
  return t;
}

UdpTransport::UdpTransport(std::shared_ptr<Impl> impl) : impl_(std::move(impl)) {}

UdpTransport::~UdpTransport() {
  impl_->close();
}

Endpoint UdpTransport::localEndpoint() const {
  return impl_->local_;
}
void UdpTransport::setSink(TransportSink* sink) {
  impl_->sink_ = sink;
}
void UdpTransport::send(const Destination& to, std::string bytes, SendDone done) {
  impl_->send(to, std::move(bytes), std::move(done));
}
void UdpTransport::close() {
  impl_->close();
}
const TransportStats& UdpTransport::stats() const {
  return impl_->stats_;
}

}  // namespace tapi::sip::transport
