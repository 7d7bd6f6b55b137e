#include "client/remote_backend.hpp"

#include <deque>
#include <future>
#include <set>
#include <variant>

#include <boost/asio/connect.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/local/stream_protocol.hpp>
#include <boost/asio/post.hpp>
#include <boost/beast/core/buffers_to_string.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http/field.hpp>
#include <boost/beast/websocket/stream.hpp>

#include "client/protocol_json.hpp"

namespace tapi::detail {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace websocket = boost::beast::websocket;
namespace json = boost::json;
using boost::system::error_code;

/**
 * One WebSocket to tapid. The stream, the write queue and the read buffer are touched
 * only on the I/O thread; the pending-request table, the open lines and the event queue
 * are shared with callers' threads under mutex_. The connection is Connecting, then Open,
 * then ended for good in one of two ways:
 *  - Closed: this side ended it (close(), abort(), or after lineShutdown). Every waiting
 *    and later request fails with LINEERR_UNINITIALIZED.
 *  - Lost: the server or the network ended it (tapid died or dropped this app). The app's
 *    lines are gone, and TAPI's way to say so is queued: LINE_CLOSE for every line still
 *    open, then LINE_LINEDEVSTATE(REINIT). Every waiting and later request fails with
 *    LINEERR_REINIT, which RemoteBackend turns into the code each function documents.
 * Queued events can still be read after either.
 */
class RemoteConnection : public std::enable_shared_from_this<RemoteConnection> {
 public:
  using UnixWs = websocket::stream<asio::local::stream_protocol::socket>;
  using TcpWs = websocket::stream<asio::ip::tcp::socket>;

  RemoteConnection(asio::io_context& io, const std::atomic<std::thread::id>& ioThread,
                   std::function<void()> notify)
      : io_(io), ioThread_(ioThread), resolver_(io), notify_(std::move(notify)) {}

  /** Connects and upgrades; waits at most `bound`. Not on the I/O thread. */
  Result<void> open(const ServerAddress& address, const std::string& token,
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

  /** Sends one request and waits at most `bound` for its response. Not on the I/O thread. */
  Result<json::value> request(std::string_view method, const json::object& params,
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
    asio::post(io_, [self = shared_from_this(),
                     frame = proto::encodeRequest(id, method, params)]() mutable {
      self->enqueueWrite(std::move(frame));
    });
    if (fut.wait_for(bound) != std::future_status::ready) {
      std::lock_guard lock(mutex_);
      pending_.erase(id);
      return LineErr::OperationFailed;
    }
    return fut.get();
  }

  /** The next queued event; LINEERR_UNINITIALIZED once ended and drained. */
  Result<std::optional<Message>> popMessage() {
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

  bool isOpen() const {
    std::lock_guard lock(mutex_);
    return state_ == State::Open;
  }

  /** True once the server or the network ended the connection (not this side). */
  bool isLost() const {
    std::lock_guard lock(mutex_);
    return state_ == State::Lost;
  }

  /**
   * Remembers a line lineOpen returned, so that losing the connection reports it closed.
   * @return false if the connection was lost meanwhile (the line is gone already).
   */
  bool lineOpened(std::uint32_t hLine) {
    std::lock_guard lock(mutex_);
    if (state_ == State::Lost) {
      return false;
    }
    openLines_.insert(hLine);
    return true;
  }

  /** Forgets a line the app closed. */
  void lineClosed(std::uint32_t hLine) {
    std::lock_guard lock(mutex_);
    openLines_.erase(hLine);
  }

  /**
   * Says that this side is about to end the connection (lineShutdown, close, abort), so
   * that the server closing it first does not count as losing it. Any thread.
   */
  void expectEnd() { endExpected_ = true; }

  /** Closes with a WebSocket close handshake (the peer may already be closing). Any thread. */
  void close() {
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

  /** Closes the socket at once. Any thread. */
  void abort() {
    expectEnd();
    asio::post(io_, [self = shared_from_this()] { self->end(); });
  }

 private:
  enum class State : std::uint8_t {
    Connecting,  // connecting and upgrading
    Open,        // requests and events flow
    Closed,      // ended by this side, or never opened
    Lost,        // ended by the server or the network while open
  };

  /** True once ended either way. */
  bool closed() const {
    std::lock_guard lock(mutex_);
    return state_ == State::Closed || state_ == State::Lost;
  }

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

  void startConnect(const ServerAddress& address, const std::string& token) {
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

  void startHandshake(const std::string& host) {
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

  void settleConnect(Result<void> r) {
    if (auto p = std::exchange(connectPromise_, nullptr)) {
      p->set_value(r);
    }
  }

  void startRead() {
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

  void onFrame(std::string_view text) {
    proto::Frame f = proto::decodeFrame(text);
    switch (f.kind) {
      case proto::Frame::Kind::Response: {
        if (!f.id) {
          return;  // BADJSON answers carry no id; nothing of ours is waiting for it
        }
        std::shared_ptr<std::promise<Result<json::value>>> p;
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

  void enqueueWrite(std::string frame) {
    if (closed()) {
      return;  // end() already failed the request that wrote this
    }
    writeQueue_.push_back(std::move(frame));
    if (!writing_) {
      writeNext();
    }
  }

  void writeNext() {
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

  /**
   * The end of the connection (I/O thread): fail every waiter, close the socket, wake the
   * app. An open connection this side did not mean to end is Lost: the app is told as
   * TAPI tells it (see the class comment).
   */
  void end() {
    std::unordered_map<std::uint64_t, std::shared_ptr<std::promise<Result<json::value>>>> pending;
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

  asio::io_context& io_;
  const std::atomic<std::thread::id>& ioThread_;
  asio::ip::tcp::resolver resolver_;
  std::function<void()> notify_;
  // I/O thread only.
  std::variant<std::unique_ptr<UnixWs>, std::unique_ptr<TcpWs>> ws_;
  beast::flat_buffer readBuffer_;
  std::deque<std::string> writeQueue_;  // front is being written; references stay valid
  bool writing_ = false;
  bool closing_ = false;
  std::shared_ptr<std::promise<Result<void>>> connectPromise_;
  // Shared with callers' threads.
  mutable std::mutex mutex_;
  State state_ = State::Connecting;
  std::uint64_t nextId_ = 0;
  std::unordered_map<std::uint64_t, std::shared_ptr<std::promise<Result<json::value>>>> pending_;
  std::set<std::uint32_t> openLines_;  // hLines lineOpen returned and nobody closed yet
  std::deque<Message> events_;
  // Any thread.
  std::atomic<bool> endExpected_{false};
};

namespace {

json::object withCall(std::uint32_t hCall) {
  return json::object{{"hCall", hCall}};
}

std::int64_t toMs(std::chrono::nanoseconds d) {
  return std::chrono::duration_cast<std::chrono::milliseconds>(d).count();
}

std::optional<std::uint32_t> u32Member(const json::value& v, std::string_view key) {
  if (!v.is_object()) {
    return std::nullopt;
  }
  auto n = proto::getInt(v.as_object(), key);
  if (!n || *n < 0 || *n > 0xFFFFFFFFLL) {
    return std::nullopt;
  }
  return static_cast<std::uint32_t>(*n);
}

}  // namespace

// ----------------------------------------------------------------------------- RemoteBackend

RemoteBackend::RemoteBackend(ServerAddress address, std::string token, Options options)
    : address_(std::move(address)),
      token_(std::move(token)),
      options_(options),
      work_(std::make_unique<asio::executor_work_guard<asio::io_context::executor_type>>(
          io_.get_executor())) {
  thread_ = std::thread([this] {
    ioThread_ = std::this_thread::get_id();
    io_.run();
  });
}

Result<std::unique_ptr<RemoteBackend>> RemoteBackend::connect(ServerAddress address,
                                                              std::string token, Options options) {
  std::unique_ptr<RemoteBackend> be(
      new RemoteBackend(std::move(address), std::move(token), options));
  auto control = be->openConnection(nullptr);
  if (!control) {
    return fail(control.error());
  }
  be->control_ = std::move(*control);
  return be;
}

RemoteBackend::~RemoteBackend() {
  std::unordered_map<std::uint32_t, ConnectionPtr> apps;
  {
    std::lock_guard lock(mutex_);
    apps.swap(apps_);
  }
  for (auto& [h, c] : apps) {
    c->abort();  // the server shuts these apps down as for lineShutdown
  }
  if (control_) {
    control_->abort();
  }
  // Handlers run in order: the aborts above, then the stop. Handlers still pending after
  // it are destroyed with io_, after the connections below are released.
  asio::post(io_, [this] { io_.stop(); });
  thread_.join();
  apps.clear();
  control_.reset();
}

bool RemoteBackend::serverLost() const {
  return control_ && control_->isLost();
}

Result<RemoteBackend::ConnectionPtr> RemoteBackend::openConnection(std::function<void()> notify) {
  auto conn = std::make_shared<RemoteConnection>(io_, ioThread_, std::move(notify));
  auto r = conn->open(address_, token_, options_.connectTimeout);
  if (!r) {
    return fail(r.error());
  }
  return conn;
}

Result<RemoteBackend::ConnectionPtr> RemoteBackend::appConnection(std::uint32_t app) {
  std::lock_guard lock(mutex_);
  auto it = apps_.find(app);
  if (it == apps_.end()) {
    return LineErr::InvalAppHandle;
  }
  return it->second;
}

Result<json::value> RemoteBackend::appRequest(std::uint32_t app, std::string_view method,
                                              const json::object& params) {
  auto conn = appConnection(app);
  if (!conn) {
    return fail(conn.error());
  }
  return (*conn)->request(method, params, options_.requestTimeout);
}

Result<json::value> RemoteBackend::lineRequest(std::uint32_t app, std::string_view method,
                                               const json::object& params) {
  auto r = appRequest(app, method, params);
  if (!r && r.lineErr() == LineErr::Reinit) {
    return LineErr::InvalLineHandle;  // the LINE_CLOSE queued for the lost connection voided it
  }
  return r;
}

Result<json::value> RemoteBackend::callRequest(std::uint32_t app, std::string_view method,
                                               const json::object& params) {
  auto r = appRequest(app, method, params);
  if (!r && r.lineErr() == LineErr::Reinit) {
    return LineErr::InvalCallHandle;  // LINE_CLOSE voided every call handle on the line
  }
  return r;
}

Result<json::value> RemoteBackend::controlRequest(std::string_view method,
                                                  const json::object& params) {
  return control_->request(method, params, options_.requestTimeout);
}

Result<std::uint32_t> RemoteBackend::asyncRequest(std::uint32_t app, std::string_view method,
                                                  const json::object& params) {
  auto r = callRequest(app, method, params);
  if (!r) {
    return fail(r.error());
  }
  auto id = u32Member(*r, "requestId");
  if (!id) {
    return LineErr::OperationFailed;
  }
  return *id;
}

std::vector<LineDevice> RemoteBackend::lines() {
  auto r = controlRequest("lineGetLines");
  if (!r && r.lineErr() == LineErr::Uninitialized) {
    // The server wants an app for lineGetLines: use one of ours, else a short-lived one.
    ConnectionPtr conn;
    {
      std::lock_guard lock(mutex_);
      for (auto& [h, c] : apps_) {
        if (c->isOpen()) {
          conn = c;
          break;
        }
      }
    }
    if (conn) {
      r = conn->request("lineGetLines", {}, options_.requestTimeout);
    } else if (auto app = initialize("lines", kApiVersion22, nullptr)) {
      r = appRequest(*app, "lineGetLines", {});
      (void)shutdown(*app);
    }
  }
  if (!r) {
    return {};
  }
  auto lines = proto::linesFromJson(*r);
  return lines ? std::move(*lines) : std::vector<LineDevice>{};
}

EngineStats RemoteBackend::stats() {
  auto c = counters();
  return c ? proto::engineStatsFromCounters(*c) : EngineStats{};
}

Result<Counters> RemoteBackend::counters() {
  auto r = controlRequest("tapidStats");
  if (!r) {
    return fail(r.error());
  }
  return proto::countersFromJson(*r);
}

Result<std::vector<CallRecord>> RemoteBackend::calls() {
  auto r = controlRequest("tapidCalls");
  if (!r) {
    return fail(r.error());
  }
  const json::value* list = r->is_object() ? r->as_object().if_contains("calls") : nullptr;
  if (list == nullptr || !list->is_array()) {
    return LineErr::OperationFailed;
  }
  std::vector<CallRecord> out;
  for (const json::value& v : list->get_array()) {
    auto rec = proto::callRecordFromJson(v);
    if (!rec) {
      return fail(rec.error());
    }
    out.push_back(std::move(*rec));
  }
  return out;
}

Result<CallRecord> RemoteBackend::callRecord(std::uint32_t callId) {
  auto r = controlRequest("tapidCallRecord", json::object{{"callId", callId}});
  if (!r) {
    return fail(r.error());
  }
  const json::value* rec = r->is_object() ? r->as_object().if_contains("callInfo") : nullptr;
  if (rec == nullptr) {
    return LineErr::OperationFailed;
  }
  return proto::callRecordFromJson(*rec);
}

Result<std::uint32_t> RemoteBackend::placeInbound(const InboundCall& call) {
  json::object p{{"deviceId", call.deviceId}, {"caller", call.caller}};
  if (!call.callerName.empty()) {
    p["callerName"] = call.callerName;
  }
  if (!call.script.empty()) {
    p["script"] = call.script;
  }
  auto r = controlRequest("simPlaceInbound", p);
  if (!r) {
    return fail(r.error());
  }
  auto id = u32Member(*r, "callId");
  if (!id) {
    return LineErr::OperationFailed;
  }
  return *id;
}

Result<std::uint32_t> RemoteBackend::initialize(const std::string& name, std::uint32_t apiVersion,
                                                std::function<void()> notify) {
  if (serverLost()) {
    // The server went away: TAPI refuses new work until the app re-initializes, which
    // here means a new Runtime::connect.
    return LineErr::Reinit;
  }
  auto conn = openConnection(std::move(notify));
  if (!conn) {
    return fail(conn.error());
  }
  auto r = (*conn)->request("lineInitialize",
                            json::object{{"appName", name}, {"apiVersion", apiVersion}},
                            options_.requestTimeout);
  std::optional<std::uint32_t> h;
  if (r) {
    h = u32Member(*r, "hLineApp");
  }
  std::lock_guard lock(mutex_);
  if (!r || !h || *h == 0 || apps_.contains(*h)) {
    (*conn)->abort();
    return r ? fail(LineErr::OperationFailed) : fail(r.error());
  }
  apps_.emplace(*h, std::move(*conn));
  return *h;
}

Result<void> RemoteBackend::shutdown(std::uint32_t app) {
  ConnectionPtr conn;
  {
    std::lock_guard lock(mutex_);
    auto it = apps_.find(app);
    if (it == apps_.end()) {
      return LineErr::InvalAppHandle;
    }
    conn = std::move(it->second);
    apps_.erase(it);
  }
  conn->expectEnd();  // the server closes the connection after its response
  auto r = conn->request("lineShutdown", {}, options_.requestTimeout);
  conn->close();  // the server closes too; whichever side is first, the app is gone
  if (!r && r.lineErr() != LineErr::Reinit && r.lineErr() != LineErr::Uninitialized) {
    return fail(r.error());
  }
  // An app whose connection is gone (lost, or ended by the server as it answered) has
  // been shut down by the server already, as for lineShutdown.
  return {};
}

Result<std::uint32_t> RemoteBackend::open(std::uint32_t app, const OpenRequest& req) {
  json::object p{{"deviceId", req.deviceId},
                 {"privileges", proto::privilegeNames(req.privileges)},
                 {"mediaModes", req.options.mediaModes}};
  if (req.options.apiVersion != 0) {
    p["apiVersion"] = req.options.apiVersion;
  }
  if (req.options.noAnswerTimeout) {
    p["noAnswerTimeoutMs"] = toMs(*req.options.noAnswerTimeout);
  }
  if (req.options.maxDuration) {
    p["maxDurationMs"] = toMs(*req.options.maxDuration);
  }
  auto conn = appConnection(app);
  if (!conn) {
    return fail(conn.error());
  }
  auto r = (*conn)->request("lineOpen", p, options_.requestTimeout);
  if (!r) {
    return fail(r.error());  // LINEERR_REINIT once the connection is lost
  }
  auto h = u32Member(*r, "hLine");
  if (!h) {
    return LineErr::OperationFailed;
  }
  if (!(*conn)->lineOpened(*h)) {
    return LineErr::Reinit;  // lost right after the server opened it: the line is gone
  }
  return *h;
}

Result<void> RemoteBackend::close(std::uint32_t app, std::uint32_t hLine) {
  auto conn = appConnection(app);
  if (!conn) {
    return fail(conn.error());
  }
  (*conn)->lineClosed(hLine);
  auto r = lineRequest(app, "lineClose", json::object{{"hLine", hLine}});
  return r ? Result<void>{} : Result<void>(fail(r.error()));
}

Result<MakeCallReply> RemoteBackend::makeCall(std::uint32_t app, std::uint32_t hLine,
                                              const std::string& destination,
                                              const MakeCallOptions& options) {
  json::object p{{"hLine", hLine}, {"destination", destination}};
  if (!options.userUserInfo.empty()) {
    p["userUserInfo"] = options.userUserInfo;
  }
  if (options.addressId != 0) {
    p["addressId"] = options.addressId;
  }
  if (options.noAnswerTimeout) {
    p["noAnswerTimeoutMs"] = toMs(*options.noAnswerTimeout);
  }
  if (options.maxDuration) {
    p["maxDurationMs"] = toMs(*options.maxDuration);
  }
  auto r = lineRequest(app, "lineMakeCall", p);
  if (!r) {
    return fail(r.error());
  }
  auto req = u32Member(*r, "requestId");
  auto h = u32Member(*r, "hCall");
  if (!req || !h) {
    return LineErr::OperationFailed;
  }
  return MakeCallReply{*req, *h};
}

Result<std::uint32_t> RemoteBackend::answer(std::uint32_t app, std::uint32_t hCall,
                                            const std::string& uui) {
  auto p = withCall(hCall);
  if (!uui.empty()) {
    p["userUserInfo"] = uui;
  }
  return asyncRequest(app, "lineAnswer", p);
}

Result<std::uint32_t> RemoteBackend::accept(std::uint32_t app, std::uint32_t hCall,
                                            const std::string& uui) {
  auto p = withCall(hCall);
  if (!uui.empty()) {
    p["userUserInfo"] = uui;
  }
  return asyncRequest(app, "lineAccept", p);
}

Result<std::uint32_t> RemoteBackend::drop(std::uint32_t app, std::uint32_t hCall,
                                          std::uint32_t mode, const std::string& uui) {
  auto p = withCall(hCall);
  if (mode != 0) {
    p["mode"] = mode;
  }
  if (!uui.empty()) {
    p["userUserInfo"] = uui;
  }
  return asyncRequest(app, "lineDrop", p);
}

Result<void> RemoteBackend::deallocate(std::uint32_t app, std::uint32_t hCall) {
  auto r = callRequest(app, "lineDeallocateCall", withCall(hCall));
  return r ? Result<void>{} : Result<void>(fail(r.error()));
}

Result<CallRecord> RemoteBackend::callInfo(std::uint32_t app, std::uint32_t hCall) {
  auto r = callRequest(app, "lineGetCallInfo", withCall(hCall));
  if (!r) {
    return fail(r.error());
  }
  const json::value* rec = r->is_object() ? r->as_object().if_contains("callInfo") : nullptr;
  if (rec == nullptr) {
    return LineErr::OperationFailed;
  }
  return proto::callRecordFromJson(*rec);
}

Result<CallStatus> RemoteBackend::callStatus(std::uint32_t app, std::uint32_t hCall) {
  auto r = callRequest(app, "lineGetCallStatus", withCall(hCall));
  if (!r) {
    return fail(r.error());
  }
  return proto::callStatusFromJson(*r);
}

Result<void> RemoteBackend::setAppSpecific(std::uint32_t app, std::uint32_t hCall,
                                           std::uint32_t value) {
  auto p = withCall(hCall);
  p["value"] = value;
  auto r = callRequest(app, "lineSetAppSpecific", p);
  return r ? Result<void>{} : Result<void>(fail(r.error()));
}

Result<void> RemoteBackend::setCallPrivilege(std::uint32_t app, std::uint32_t hCall, Privilege p) {
  auto params = withCall(hCall);
  params["privilege"] = toString(p);
  auto r = callRequest(app, "lineSetCallPrivilege", params);
  return r ? Result<void>{} : Result<void>(fail(r.error()));
}

Result<void> RemoteBackend::handoff(std::uint32_t app, std::uint32_t hCall,
                                    const std::string& target, std::uint32_t mediaMode) {
  auto p = withCall(hCall);
  if (!target.empty()) {
    p["target"] = target;
  } else {
    p["mediaMode"] = mediaMode;
  }
  auto r = callRequest(app, "lineHandoff", p);
  return r ? Result<void>{} : Result<void>(fail(r.error()));
}

Result<std::vector<std::uint32_t>> RemoteBackend::getNewCalls(std::uint32_t app,
                                                              std::uint32_t hLine) {
  auto r = lineRequest(app, "lineGetNewCalls", json::object{{"hLine", hLine}});
  if (!r) {
    return fail(r.error());
  }
  const json::value* list = r->is_object() ? r->as_object().if_contains("hCalls") : nullptr;
  if (list == nullptr || !list->is_array()) {
    return LineErr::OperationFailed;
  }
  std::vector<std::uint32_t> out;
  for (const json::value& v : list->get_array()) {
    if (v.is_int64() && v.get_int64() > 0) {
      out.push_back(static_cast<std::uint32_t>(v.get_int64()));
    } else if (v.is_uint64()) {
      out.push_back(static_cast<std::uint32_t>(v.get_uint64()));
    }
  }
  return out;
}

Result<std::optional<Message>> RemoteBackend::getMessage(std::uint32_t app) {
  ConnectionPtr conn;
  {
    std::lock_guard lock(mutex_);
    auto it = apps_.find(app);
    if (it == apps_.end()) {
      return LineErr::InvalAppHandle;
    }
    conn = it->second;
  }
  return conn->popMessage();
}

}  // namespace tapi::detail
