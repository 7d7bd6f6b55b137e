#include "sip/transport/loop_transport.hpp"

#include <boost/asio/error.hpp>

namespace tapi::sip::transport {

LoopTransport::LoopTransport(base::EventLoop& loop, Protocol protocol, Endpoint local)
    : loop_(loop), protocol_(protocol), local_(std::move(local)) {}

LoopTransport::~LoopTransport() {
  life_.end();
  if (peer_ != nullptr) {
    peer_->peer_ = nullptr;
  }
}

void LoopTransport::send(const Destination& to, std::string bytes, SendDone done) {
  std::error_code ec;
  if (closed_) {
    ec = make_error_code(Errc::Cancelled);
  } else if (failCount_ > 0) {
    --failCount_;
    ec = failError_;
    stats_.count(DropReason::SendError);
  }
  if (!ec) {
    ++stats_.messagesSent;
    stats_.bytesSent += bytes.size();
    if (peer_ != nullptr) {
      peer_->inject(local_, bytes, to.connection);
    }
    sent_.push_back(Sent{to, std::move(bytes), loop_.now()});
  }
  if (done) {
    // A completion runs exactly once, even if the transport is gone by then.
    loop_.post([done = std::move(done), ec] { done(ec); });
  }
}

void LoopTransport::inject(const Endpoint& from, std::string bytes, ConnectionId connection) {
  if (connection != 0) {
    open_.insert(connection);
  }
  loop_.post(life_.guard([this, from, connection, bytes = std::move(bytes)]() mutable {
    if (closed_ || sink_ == nullptr) {
      return;
    }
    ++stats_.messagesReceived;
    stats_.bytesReceived += bytes.size();
    ReceivedPacket p;
    p.protocol = protocol_;
    p.source = from;
    p.local = local_;
    p.connection = connection;
    p.bytes = std::move(bytes);
    sink_->onPacket(*this, std::move(p));
  }));
}

void LoopTransport::link(LoopTransport& a, LoopTransport& b) {
  a.peer_ = &b;
  b.peer_ = &a;
}

void LoopTransport::failSends(std::error_code error, std::size_t count) {
  failError_ = error;
  failCount_ = count;
}

void LoopTransport::close() {
  closed_ = true;
  open_.clear();
}

std::vector<LoopTransport::Sent> LoopTransport::takeSent() {
  std::vector<Sent> out;
  out.swap(sent_);
  return out;
}

}  // namespace tapi::sip::transport
