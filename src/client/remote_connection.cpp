#include "client/remote_connection.hpp"

#include <utility>

#include <boost/asio/connect.hpp>
#include <boost/asio/post.hpp>
#include <boost/beast/core/buffers_to_string.hpp>
#include <boost/beast/http/field.hpp>

#include "client/protocol_json.hpp"

namespace tapi::detail {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace websocket = boost::beast::websocket;
namespace json = boost::json;
using boost::system::error_code;

namespace {

/** WebSocket options of every connection: timeouts, the token, text frames. */
template <typename Ws>
void configure(Ws& ws, const std::string& token) {
  ws.set_option(websocket::stream_base::timeout::suggested(beast::role_type::client));
  ws.set_option(websocket::stream_base::decorator([token](websocket::request_type& req) {
    req.set(beast::http::field::user_agent, "opentapi-client");
    if (!token.empty()) {
      req.set(beast::http::field::authorization, "Bearer " + token);
    }
  }));
  ws.read_message_max(64u << 20);  // operator listings (tapidCalls) can be large
  ws.text(true);
}

}  // namespace

RemoteConnection::RemoteConnection(asio::io_context& io,
                                   const std::atomic<std::thread::id>& ioThread,
                                   std::function<void()> notify)
    : io_(io), ioThread_(ioThread), resolver_(io), notify_(std::move(notify)) {}

Result<void> RemoteConnection::open(const ServerAddress& address, const std::string& token,
                                    std::chrono::milliseconds bound) {
  auto done = std::make_shared<std::promise<Result<void>>>();
  auto fut = done->get_future();
  asio::post(io_, [self = shared_from_this(), address, token, done] {
    self->connectPromise_ = done;
    self->startConnect(address, token);
  });
  if (fut.wait_for(bound) != std::future_status::ready) {
    abort();
    return LineErr::OperationFailed;
  }
  return fut.get();
}

Result<json::value> RemoteConnection::request(std::string_view method, const json::object& params,
                                              std::chrono::milliseconds bound) {
  if (std::this_thread::get_id() == ioThread_.load()) {
    // A notify callback calling back into the API: waiting here would stop the thread
    // that has to deliver the response.
    return LineErr::OperationFailed;
  }
  auto pending = std::make_shared<std::promise<Result<json::value>>>();
  auto fut = pending->get_future();
  std::uint64_t id = 0;
  {
    std::lock_guard lock(mutex_);
    if (state_ != State::Open) {
      return state_ == State::Lost ? LineErr::Reinit : LineErr::Uninitialized;
    }
    id = ++nextId_;
    pending_.emplace(id, pending);
  }
  asio::post(
      io_, [self = shared_from_this(), frame = proto::encodeRequest(id, method, params)]() mutable {
        self->enqueueWrite(std::move(frame));
      });
  if (fut.wait_for(bound) != std::future_status::ready) {
    std::lock_guard lock(mutex_);
    pending_.erase(id);
    return LineErr::OperationFailed;
  }
  return fut.get();
}

Result<std::optional<Message>> RemoteConnection::popMessage() {
  std::lock_guard lock(mutex_);
  if (!events_.empty()) {
    Message m = events_.front();
    events_.pop_front();
    return std::optional<Message>(m);
  }
  if (state_ == State::Closed || state_ == State::Lost) {
    return LineErr::Uninitialized;
  }
  return std::optional<Message>();
}

bool RemoteConnection::isOpen() const {
  std::lock_guard lock(mutex_);
  return state_ == State::Open;
}

bool RemoteConnection::isLost() const {
  std::lock_guard lock(mutex_);
  return state_ == State::Lost;
}

bool RemoteConnection::lineOpened(std::uint32_t hLine) {
  std::lock_guard lock(mutex_);
  if (state_ == State::Lost) {
    return false;
  }
  openLines_.insert(hLine);
  return true;
}

void RemoteConnection::lineClosed(std::uint32_t hLine) {
  std::lock_guard lock(mutex_);
  openLines_.erase(hLine);
}

void RemoteConnection::close() {
  expectEnd();
  asio::post(io_, [self = shared_from_this()] {
    if (self->closing_ || self->closed()) {
      return;
    }
    self->closing_ = true;
    std::visit(
        [&](auto& ws) {
          if (ws) {
            ws->async_close(websocket::close_code::normal, [self](error_code) { self->end(); });
          }
        },
        self->ws_);
  });
}

void RemoteConnection::abort() {
  expectEnd();
  asio::post(io_, [self = shared_from_this()] { self->end(); });
}

bool RemoteConnection::closed() const {
  std::lock_guard lock(mutex_);
  return state_ == State::Closed || state_ == State::Lost;
}

void RemoteConnection::startConnect(const ServerAddress& address, const std::string& token) {
  if (closed()) {
    settleConnect(LineErr::OperationFailed);
    return;
  }
  auto self = shared_from_this();
  switch (address.kind) {
    case ServerAddress::Kind::Unix: {
      auto& ws = ws_.emplace<std::unique_ptr<UnixWs>>(std::make_unique<UnixWs>(io_));
      configure(*ws, token);
      ws->next_layer().async_connect(asio::local::stream_protocol::endpoint(address.path),
                                     [self](error_code ec) {
                                       if (ec) {
                                         self->end();
                                         return;
                                       }
                                       self->startHandshake("localhost");
                                     });
      return;
    }
    case ServerAddress::Kind::Tcp: {
      auto& ws = ws_.emplace<std::unique_ptr<TcpWs>>(std::make_unique<TcpWs>(io_));
      configure(*ws, token);
      const std::string host = address.host + ":" + std::to_string(address.port);
      resolver_.async_resolve(
          address.host, std::to_string(address.port),
          [self, host](error_code ec, const asio::ip::tcp::resolver::results_type& results) {
            auto* tcp = std::get_if<std::unique_ptr<TcpWs>>(&self->ws_);
            if (ec || tcp == nullptr || !*tcp || self->closed()) {
              self->end();
              return;
            }
            asio::async_connect(
                (*tcp)->next_layer(), results,
                [self, host](error_code ec2, const asio::ip::tcp::endpoint&) {
                  if (ec2) {
                    self->end();
                    return;
                  }
                  (void)std::get<std::unique_ptr<TcpWs>>(self->ws_)->next_layer().set_option(
                      asio::ip::tcp::no_delay(true), ec2);
                  self->startHandshake(host);
                });
          });
      return;
    }
  }
}

void RemoteConnection::startHandshake(const std::string& host) {
  auto self = shared_from_this();
  std::visit(
      [&](auto& ws) {
        ws->async_handshake(host, "/v1", [self](error_code ec) {
          if (ec) {
            self->end();
            return;
          }
          {
            std::lock_guard lock(self->mutex_);
            if (self->state_ != State::Connecting) {
              return;
            }
            self->state_ = State::Open;
          }
          self->settleConnect(Result<void>{});
          self->startRead();
        });
      },
      ws_);
}

void RemoteConnection::settleConnect(Result<void> r) {
  if (auto p = std::exchange(connectPromise_, nullptr)) {
    p->set_value(r);
  }
}

void RemoteConnection::startRead() {
  auto self = shared_from_this();
  std::visit(
      [&](auto& ws) {
        ws->async_read(readBuffer_, [self](error_code ec, std::size_t) {
          if (ec) {
            self->end();
            return;
          }
          const std::string text = beast::buffers_to_string(self->readBuffer_.data());
          self->readBuffer_.consume(self->readBuffer_.size());
          self->onFrame(text);
          self->startRead();
        });
      },
      ws_);
}

void RemoteConnection::onFrame(std::string_view text) {
  proto::Frame f = proto::decodeFrame(text);
  switch (f.kind) {
    case proto::Frame::Kind::Response: {
      if (!f.id) {
        return;  // BADJSON answers carry no id; nothing of ours is waiting for it
      }
      PendingPtr p;
      {
        std::lock_guard lock(mutex_);
        auto it = pending_.find(*f.id);
        if (it == pending_.end()) {
          return;  // its caller gave up waiting
        }
        p = std::move(it->second);
        pending_.erase(it);
      }
      if (f.isError) {
        p->set_value(tapi::fail(proto::lineErrFromJson(f.body)));
      } else {
        p->set_value(std::move(f.body));
      }
      return;
    }
    case proto::Frame::Kind::Event: {
      auto m = proto::messageFromEvent(f.body);
      if (!m) {
        return;  // an event this client does not know; newer servers may add some
      }
      bool wasEmpty = false;
      {
        std::lock_guard lock(mutex_);
        if (m->type == MessageType::Close) {
          openLines_.erase(m->hDevice);  // closed by the server: nothing to report later
        }
        wasEmpty = events_.empty();
        events_.push_back(*m);
      }
      if (wasEmpty && notify_) {
        notify_();
      }
      return;
    }
    case proto::Frame::Kind::Invalid:
      return;
  }
}

void RemoteConnection::enqueueWrite(std::string frame) {
  if (closed()) {
    return;  // end() already failed the request that wrote this
  }
  writeQueue_.push_back(std::move(frame));
  if (!writing_) {
    writeNext();
  }
}

void RemoteConnection::writeNext() {
  writing_ = true;
  auto self = shared_from_this();
  std::visit(
      [&](auto& ws) {
        ws->async_write(asio::buffer(writeQueue_.front()), [self](error_code ec, std::size_t) {
          self->writing_ = false;
          if (ec) {
            self->end();
            return;
          }
          self->writeQueue_.pop_front();
          if (!self->writeQueue_.empty() && !self->closed()) {
            self->writeNext();
          }
        });
      },
      ws_);
}

void RemoteConnection::end() {
  std::unordered_map<std::uint64_t, PendingPtr> pending;
  LineErr failure = LineErr::Uninitialized;
  {
    std::lock_guard lock(mutex_);
    switch (state_) {
      case State::Closed:
      case State::Lost:
        return;
      case State::Connecting:
        state_ = State::Closed;
        break;
      case State::Open:
        if (endExpected_) {
          state_ = State::Closed;
          break;
        }
        state_ = State::Lost;
        failure = LineErr::Reinit;
        for (std::uint32_t hLine : openLines_) {
          events_.push_back(Message{.hDevice = hLine, .type = MessageType::Close});
        }
        openLines_.clear();
        events_.push_back(Message{.type = kLineDevStateMessage, .param1 = linedevstate::Reinit});
        break;
    }
    pending.swap(pending_);
  }
  for (auto& [id, p] : pending) {
    p->set_value(tapi::fail(failure));
  }
  settleConnect(LineErr::OperationFailed);
  resolver_.cancel();
  std::visit(
      [](auto& ws) {
        if (ws) {
          error_code ignored;
          beast::get_lowest_layer(*ws).close(ignored);
        }
      },
      ws_);
  if (notify_) {
    notify_();  // a thread in waitMessage() should see the end now, not at its timeout
  }
}

}  // namespace tapi::detail
