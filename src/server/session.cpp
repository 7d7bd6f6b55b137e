// Every Boost.Beast use of the server is in this file (Beast is slow to compile).

#include "server/session.hpp"

#include <deque>
#include <optional>
#include <type_traits>

#include <boost/asio/ssl.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>
#include <boost/beast/websocket.hpp>
#include <boost/beast/websocket/ssl.hpp>
#include <openssl/crypto.h>
#include <spdlog/spdlog.h>

namespace tapi::server {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
namespace websocket = beast::websocket;

bool tokenMatches(std::string_view presented, std::string_view expected) noexcept {
  if (expected.empty()) {
    return false;
  }
  if (presented.size() != expected.size()) {
    // Compare anyway so that the time taken depends on the expected length only.
    (void)CRYPTO_memcmp(expected.data(), expected.data(), expected.size());
    return false;
  }
  return CRYPTO_memcmp(presented.data(), expected.data(), expected.size()) == 0;
}

namespace {

using UnixSocket = asio::local::stream_protocol::socket;
using TcpSocket = asio::ip::tcp::socket;
using TlsStream = beast::ssl_stream<TcpSocket>;

constexpr auto kRequestTimeout = std::chrono::seconds(30);

/**
 * One client connection. HTTP requests first; GET /v1 with an upgrade becomes the
 * WebSocket API and gets a ProtocolSession. Kept alive by its pending operations.
 */
template <typename Next>
class Session final : public Connection,
                      public ProtoConnection,
                      public std::enable_shared_from_this<Session<Next>> {
  static constexpr bool kTls = std::is_same_v<Next, TlsStream>;

 public:
  template <typename... Args>
  Session(SessionContext& ctx, bool requireToken, const char* transport, Args&&... args)
      : ctx_(ctx),
        requireToken_(requireToken),
        transport_(transport),
        ws_(std::forward<Args>(args)...),
        timer_(ws_.get_executor()) {}

  ~Session() override {
    proto_.reset();  // shuts the app down if it is still there
    ctx_.live.erase(id_);
  }

  void start() {
    id_ = ++ctx_.nextId;
    ctx_.live.emplace(id_, this->weak_from_this());
    armTimer();
    if constexpr (kTls) {
      ws_.next_layer().async_handshake(
          asio::ssl::stream_base::server,
          [self = this->shared_from_this()](beast::error_code ec) {
            if (ec) {
              spdlog::debug("event=tls_handshake_failed conn={} error=\"{}\"", self->id_, ec.message());
              self->hardClose();
              return;
            }
            self->readRequest();
          });
    } else {
      readRequest();
    }
  }

  // Connection
  void shutdownClose() override {
    if (proto_) {
      proto_->closeForShutdown();
    } else {
      hardClose();
    }
  }
  void forceClose() override { hardClose(); }

  // ProtoConnection
  void sendText(std::string frame, FrameKind kind) override {
    if (closeRequested_ || broken_) {
      return;
    }
    pendingBytes_ += frame.size();
    pendingResponses_ += kind == FrameKind::Response ? 1 : 0;
    queue_.push_back(Out{std::move(frame), kind});
    if (!writing_) {
      writeNext();
    }
  }
  void close(CloseReason reason) override {
    if (closeRequested_) {
      return;
    }
    closeRequested_ = true;
    closeReason_ = reason;
    spdlog::info("event=disconnect conn={} transport={} reason={} pending_bytes={}", id_, transport_,
                 toString(reason), pendingBytes_);
    if (reason == CloseReason::SlowReader) {
      // It does not read: nothing queued will ever be taken. Drop it all now.
      hardClose();
      return;
    }
    if (!writing_) {
      writeNext();
    }
  }
  std::size_t pendingBytes() const override { return pendingBytes_; }
  std::size_t pendingResponses() const override { return pendingResponses_; }

 private:
  struct Out {
    std::string text;
    FrameKind kind;
  };

  void armTimer() {
    timer_.expires_after(kRequestTimeout);
    timer_.async_wait([weak = this->weak_from_this()](beast::error_code ec) {
      if (ec) {
        return;
      }
      if (auto self = weak.lock()) {
        spdlog::debug("event=request_timeout conn={}", self->id_);
        self->hardClose();
      }
    });
  }

  void hardClose() {
    if (broken_) {
      return;
    }
    broken_ = true;
    timer_.cancel();
    beast::error_code ec;
    beast::get_lowest_layer(ws_).close(ec);
    // A write in progress still refers to the front frame until its handler runs.
    while (queue_.size() > (writing_ ? 1u : 0u)) {
      queue_.pop_back();
    }
    pendingBytes_ = 0;
    pendingResponses_ = 0;
    if (proto_) {
      proto_->onClosed();
    }
  }

  // --- HTTP ---------------------------------------------------------------------------

  void readRequest() {
    parser_.emplace();
    parser_->header_limit(8 * 1024);
    parser_->body_limit(ctx_.hub.limits().maxFrameBytes);
    http::async_read(ws_.next_layer(), buffer_, *parser_,
                     [self = this->shared_from_this()](beast::error_code ec, std::size_t) {
                       self->onRequest(ec);
                     });
  }

  bool authorized(const http::request<http::string_body>& req) {
    if (!requireToken_) {
      return true;
    }
    std::string_view auth = req[http::field::authorization];
    constexpr std::string_view kBearer = "Bearer ";
    if (auth.size() < kBearer.size() ||
        !beast::iequals(auth.substr(0, kBearer.size()), kBearer)) {
      return false;
    }
    return tokenMatches(auth.substr(kBearer.size()), ctx_.token);
  }

  void onRequest(beast::error_code ec) {
    timer_.cancel();
    if (ec) {
      if (ec != http::error::end_of_stream) {
        spdlog::debug("event=http_read_failed conn={} error=\"{}\"", id_, ec.message());
      }
      hardClose();
      return;
    }
    ++ctx_.httpRequests;
    http::request<http::string_body> req = parser_->release();
    parser_.reset();
    std::string_view target = req.target();
    if (auto q = target.find('?'); q != std::string_view::npos) {
      target = target.substr(0, q);
    }
    if (ctx_.stopping) {
      respond(req, http::status::service_unavailable, "tapid is shutting down\n", false);
      return;
    }
    if (websocket::is_upgrade(req)) {
      if (target != "/v1") {
        respond(req, http::status::not_found, "the API is at /v1\n", false);
        return;
      }
      if (!authorized(req)) {
        ++ctx_.unauthorized;
        spdlog::warn("event=unauthorized conn={} transport={} target=/v1", id_, transport_);
        respond(req, http::status::unauthorized, "missing or wrong bearer token\n", false);
        return;
      }
      accept(std::move(req));
      return;
    }
    if (req.method() != http::verb::get) {
      respond(req, http::status::method_not_allowed, "only GET\n", req.keep_alive());
      return;
    }
    if (target == "/healthz") {
      respond(req, http::status::ok, "ok\n", req.keep_alive());
    } else if (target == "/metrics") {
      if (!authorized(req)) {
        ++ctx_.unauthorized;
        respond(req, http::status::unauthorized, "missing or wrong bearer token\n",
                req.keep_alive());
        return;
      }
      respond(req, http::status::ok, ctx_.metrics ? ctx_.metrics() : std::string{},
              req.keep_alive(), "text/plain; version=0.0.4; charset=utf-8");
    } else if (target == "/v1") {
      respond(req, http::status::upgrade_required, "/v1 is a WebSocket endpoint\n", false);
    } else {
      respond(req, http::status::not_found, "not found\n", req.keep_alive());
    }
  }

  void respond(const http::request<http::string_body>& req, http::status status,
               std::string body, bool keepAlive,
               const char* contentType = "text/plain; charset=utf-8") {
    auto res = std::make_shared<http::response<http::string_body>>(status, req.version());
    res->set(http::field::server, "tapid");
    res->set(http::field::content_type, contentType);
    if (status == http::status::unauthorized) {
      res->set(http::field::www_authenticate, "Bearer");
    }
    res->keep_alive(keepAlive);
    res->body() = std::move(body);
    res->prepare_payload();
    http::async_write(ws_.next_layer(), *res,
                      [self = this->shared_from_this(), res, keepAlive](beast::error_code ec,
                                                                        std::size_t) {
                        if (ec || !keepAlive || self->broken_) {
                          self->hardClose();
                          return;
                        }
                        self->armTimer();
                        self->readRequest();
                      });
  }

  // --- WebSocket ----------------------------------------------------------------------

  void accept(http::request<http::string_body> req) {
    ws_.set_option(websocket::stream_base::timeout::suggested(beast::role_type::server));
    ws_.set_option(websocket::stream_base::decorator(
        [](websocket::response_type& res) { res.set(http::field::server, "tapid"); }));
    // The size limit is enforced while reading (so the client gets TOOLARGE, not just a
    // close frame); Beast's own limit stays out of the way.
    ws_.read_message_max(0);
    ws_.auto_fragment(false);
    ws_.async_accept(req, [self = this->shared_from_this()](beast::error_code ec) {
      if (ec) {
        spdlog::debug("event=ws_accept_failed conn={} error=\"{}\"", self->id_, ec.message());
        self->hardClose();
        return;
      }
      self->proto_ = std::make_unique<ProtocolSession>(self->ctx_.hub, *self);
      spdlog::info("event=connect conn={} transport={}", self->id_, self->transport_);
      self->buffer_.consume(self->buffer_.size());
      self->readFrame();
    });
  }

  void readFrame() {
    if (closeRequested_ || broken_) {
      return;
    }
    ws_.async_read_some(buffer_, 16 * 1024,
                        [self = this->shared_from_this()](beast::error_code ec, std::size_t) {
                          self->onFrameData(ec);
                        });
  }

  void onFrameData(beast::error_code ec) {
    if (ec) {
      if (ec != websocket::error::closed && ec != asio::error::operation_aborted) {
        spdlog::debug("event=ws_read_failed conn={} error=\"{}\"", id_, ec.message());
      }
      if (!closeStarted_) {
        hardClose();
      } else if (proto_) {
        proto_->onClosed();
      }
      return;
    }
    if (buffer_.size() > ctx_.hub.limits().maxFrameBytes) {
      buffer_.consume(buffer_.size());
      proto_->onFrameTooLarge();  // queues TOOLARGE and closes
      return;
    }
    if (!ws_.is_message_done()) {
      readFrame();
      return;
    }
    const auto data = buffer_.cdata();
    if (ws_.got_text()) {
      proto_->onFrame(std::string_view(static_cast<const char*>(data.data()), data.size()));
    } else {
      proto_->onBinaryFrame();
    }
    buffer_.consume(buffer_.size());
    readFrame();
  }

  void writeNext() {
    if (broken_) {
      return;
    }
    if (queue_.empty()) {
      if (closeRequested_ && !closeStarted_) {
        startClose();
      }
      return;
    }
    writing_ = true;
    ws_.text(true);
    ws_.async_write(asio::buffer(queue_.front().text),
                    [self = this->shared_from_this()](beast::error_code ec, std::size_t) {
                      self->onWritten(ec);
                    });
  }

  void onWritten(beast::error_code ec) {
    writing_ = false;
    if (broken_) {
      queue_.clear();
      return;
    }
    if (ec) {
      spdlog::debug("event=ws_write_failed conn={} error=\"{}\"", id_, ec.message());
      hardClose();
      return;
    }
    const Out& f = queue_.front();
    pendingBytes_ -= f.text.size();
    pendingResponses_ -= f.kind == FrameKind::Response ? 1 : 0;
    queue_.pop_front();
    writeNext();
  }

  void startClose() {
    closeStarted_ = true;
    websocket::close_reason why;
    switch (closeReason_) {
      case CloseReason::Normal: why = {websocket::close_code::normal, "shutdown"}; break;
      case CloseReason::TooLarge: why = {websocket::close_code::too_big, "frame too large"}; break;
      case CloseReason::SlowReader: why = {websocket::close_code::policy_error, "slow reader"}; break;
      case CloseReason::ServerShutdown:
        why = {websocket::close_code::going_away, "server shutdown"};
        break;
    }
    ws_.async_close(why, [self = this->shared_from_this()](beast::error_code) {
      self->hardClose();
    });
  }

  SessionContext& ctx_;
  const bool requireToken_;
  const char* transport_;
  websocket::stream<Next> ws_;
  asio::steady_timer timer_;
  beast::flat_buffer buffer_;
  std::optional<http::request_parser<http::string_body>> parser_;
  std::unique_ptr<ProtocolSession> proto_;
  std::uint64_t id_ = 0;

  std::deque<Out> queue_;
  std::size_t pendingBytes_ = 0;
  std::size_t pendingResponses_ = 0;
  bool writing_ = false;
  bool closeRequested_ = false;
  bool closeStarted_ = false;
  bool broken_ = false;
  CloseReason closeReason_ = CloseReason::Normal;
};

}  // namespace

void startUnixSession(UnixSocket socket, SessionContext& ctx) {
  std::make_shared<Session<UnixSocket>>(ctx, false, "unix", std::move(socket))->start();
}

void startTcpSession(TcpSocket socket, SessionContext& ctx, asio::ssl::context* tls) {
  beast::error_code ec;
  socket.set_option(asio::ip::tcp::no_delay(true), ec);
  if (tls != nullptr) {
    std::make_shared<Session<TlsStream>>(ctx, true, "tls", std::move(socket), *tls)->start();
  } else {
    std::make_shared<Session<TcpSocket>>(ctx, true, "tcp", std::move(socket))->start();
  }
}

}  // namespace tapi::server
