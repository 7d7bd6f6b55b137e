// The remote backend without a tapid: address parsing, the JSON mapping of docs/api.md,
// and the backend itself against a scripted WebSocket server on a Unix socket.

#include <tapi/tapi.hpp>

#include <gtest/gtest.h>

#include <unistd.h>
#include <atomic>
#include <condition_variable>
#include <filesystem>
#include <functional>
#include <mutex>
#include <thread>

#include <boost/asio/local/stream_protocol.hpp>
#include <boost/beast/core/buffers_to_string.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/websocket/stream.hpp>
#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>

#include "cdr/record_json.hpp"
#include "client/protocol_json.hpp"
#include "client/remote_backend.hpp"
#include "client/runtime_access.hpp"
#include "client/server_address.hpp"

namespace tapi {
namespace {

using namespace std::chrono_literals;
namespace json = boost::json;
namespace asio = boost::asio;
namespace websocket = boost::beast::websocket;
using detail::parseServerAddress;
using detail::ServerAddress;

// ----------------------------------------------------------------------------- addresses

TEST(ServerAddress, ParsesUnixAndTcpForms) {
  auto u = parseServerAddress("unix:./var/tapid.sock");
  ASSERT_TRUE(u.ok());
  EXPECT_EQ(u->kind, ServerAddress::Kind::Unix);
  EXPECT_EQ(u->path, "./var/tapid.sock");
  EXPECT_EQ(parseServerAddress("unix:///run/tapid.sock")->path, "/run/tapid.sock");
  auto t = parseServerAddress("tcp://127.0.0.1:8720");
  ASSERT_TRUE(t.ok());
  EXPECT_EQ(t->kind, ServerAddress::Kind::Tcp);
  EXPECT_EQ(t->host, "127.0.0.1");
  EXPECT_EQ(t->port, 8720);
  auto v6 = parseServerAddress("tcp://[::1]:9/");
  ASSERT_TRUE(v6.ok());
  EXPECT_EQ(v6->host, "::1");
  EXPECT_EQ(v6->port, 9);
  EXPECT_EQ(v6->toString(), "tcp://[::1]:9");
  EXPECT_EQ(parseServerAddress("tcp://tapid.example:65535")->host, "tapid.example");
}

TEST(ServerAddress, RefusesMalformedAddresses) {
  for (const char* bad :
       {"", "unix:", "unix://", "tcp://", "tcp://host", "tcp://:80", "tcp://host:0",
        "tcp://host:65536", "tcp://host:80x", "tcp://::1:80", "tcp://[::1]80", "tcp://h/p:80",
        "http://host:80", "/tmp/x.sock", "tcp://host:80/v1"}) {
    EXPECT_EQ(parseServerAddress(bad).lineErr(), LineErr::InvalParam) << bad;
  }
}

// ----------------------------------------------------------------------------- JSON

TEST(ProtocolJson, EncodesRequestsAsInTheDocs) {
  auto text = detail::proto::encodeRequest(
      7, "lineDrop", json::object{{"hCall", 3}, {"mode", "NORMAL"}, {"userUserInfo", "bye"}});
  EXPECT_EQ(json::parse(text), json::parse(R"({"id": 7, "method": "lineDrop",
      "params": {"hCall": 3, "mode": "NORMAL", "userUserInfo": "bye"}})"));
  EXPECT_EQ(json::parse(detail::proto::encodeRequest(1, "lineShutdown", {})),
            json::parse(R"({"id": 1, "method": "lineShutdown"})"));
  EXPECT_EQ(detail::proto::privilegeNames(0x6), json::parse(R"(["OWNER", "MONITOR"])"));
  EXPECT_EQ(detail::proto::privilegeNames(0x1), json::parse(R"(["NONE"])"));
}

TEST(ProtocolJson, ClassifiesFrames) {
  using detail::proto::Frame;
  auto ok = detail::proto::decodeFrame(R"({"id": 7, "result": {"requestId": 12}})");
  EXPECT_EQ(ok.kind, Frame::Kind::Response);
  EXPECT_EQ(ok.id, 7u);
  EXPECT_FALSE(ok.isError);
  EXPECT_EQ(ok.body.as_object().at("requestId").as_int64(), 12);
  auto err = detail::proto::decodeFrame(
      R"({"id": 8, "error": {"code": "LINEERR_INVALCALLHANDLE", "value": -2147483624, "message": "x"}})");
  EXPECT_EQ(err.kind, Frame::Kind::Response);
  EXPECT_TRUE(err.isError);
  EXPECT_EQ(detail::proto::lineErrFromJson(err.body), LineErr::InvalCallHandle);
  auto badjson = detail::proto::decodeFrame(R"({"id": null, "error": {"code": "BADJSON"}})");
  EXPECT_EQ(badjson.kind, Frame::Kind::Response);
  EXPECT_FALSE(badjson.id.has_value());
  EXPECT_EQ(detail::proto::decodeFrame(R"({"event": "LINE_CLOSE"})").kind, Frame::Kind::Event);
  for (const char* bad :
       {"", "[]", "{", "42", R"({"id": "x", "result": {}})", R"({"id": 1})", R"({"result": {}})"}) {
    EXPECT_EQ(detail::proto::decodeFrame(bad).kind, Frame::Kind::Invalid) << bad;
  }
}

TEST(ProtocolJson, MapsProtocolErrorsToLineErrs) {
  auto code = [](const char* c) {
    return detail::proto::lineErrFromJson(json::object{{"code", c}, {"message", ""}});
  };
  EXPECT_EQ(code("NOTINITIALIZED"), LineErr::Uninitialized);
  EXPECT_EQ(code("UNKNOWNMETHOD"), LineErr::OperationUnavail);
  EXPECT_EQ(code("BADREQUEST"), LineErr::InvalParam);
  EXPECT_EQ(code("TOOMANYREQUESTS"), LineErr::ResourceUnavail);
  EXPECT_EQ(code("TOOLARGE"), LineErr::OperationFailed);
  EXPECT_EQ(detail::proto::lineErrFromJson(json::value(3)), LineErr::OperationFailed);
}

TEST(ProtocolJson, MapsEveryDocumentedEventToALineMessage) {
  auto msg = [](const char* text) { return detail::proto::messageFromEvent(json::parse(text)); };
  auto cs = msg(R"({"event": "LINE_CALLSTATE", "hDevice": 3, "param1": 16384, "param2": 1,
                    "param3": 0, "state": "DISCONNECTED", "mode": "NORMAL"})");
  ASSERT_TRUE(cs.has_value());
  EXPECT_EQ(*cs, (Message{3, MessageType::CallState, 0, 16384, 1, 0}));
  auto reply = msg(R"({"event": "LINE_REPLY", "hDevice": 0, "param1": 12, "param2": -2147483624,
                       "param3": 0, "requestId": 12, "result": -2147483624})");
  ASSERT_TRUE(reply.has_value());
  EXPECT_EQ(reply->type, MessageType::Reply);
  EXPECT_EQ(reply->param2, static_cast<std::uint32_t>(LineErr::InvalCallHandle));
  EXPECT_EQ(msg(R"({"event": "LINE_APPNEWCALL", "hDevice": 1, "param1": 0, "param2": 5,
                    "param3": 2})")
                ->type,
            MessageType::AppNewCall);
  EXPECT_EQ(msg(R"({"event": "LINE_CALLINFO", "hDevice": 3, "param1": 32})")->type,
            MessageType::CallInfo);
  EXPECT_EQ(msg(R"({"event": "LINE_CLOSE", "hDevice": 1})")->type, MessageType::Close);
  EXPECT_FALSE(msg(R"({"event": "LINE_SOMETHINGNEW"})").has_value());
}

TEST(ProtocolJson, ParsesTimes) {
  auto t = detail::proto::parseTime("2026-01-01T00:00:02.000Z");
  ASSERT_TRUE(t.has_value());
  EXPECT_EQ(cdr::formatTime(*t), "2026-01-01T00:00:02.000Z");
  EXPECT_EQ(cdr::formatTime(*detail::proto::parseTime("1999-12-31T23:59:59.123456Z")),
            "1999-12-31T23:59:59.123Z");
  EXPECT_TRUE(detail::proto::parseTime("2026-03-04T05:06:07Z").has_value());
  for (const char* bad : {"", "2026-01-01", "2026-01-01T00:00:02", "2026-13-01T00:00:02Z",
                          "2026-01-01T00:00:02.Z", "2026-01-01T00:00:02.000+01:00"}) {
    EXPECT_FALSE(detail::proto::parseTime(bad).has_value()) << bad;
  }
}

CallRecord sampleRecord() {
  const WallTime t0 = *detail::proto::parseTime("2026-01-01T00:00:00.000Z");
  CallRecord r;
  r.callId = 1001;
  r.lineDeviceId = 1;
  r.origin = callorigin::Outbound;
  r.appName = "dialer";
  r.caller = {"100", "dialer"};
  r.called = {"201", ""};
  r.connected = {"201", "Bob \"B\""};
  r.states = {{CallState::Dialing, 0, t0},
              {CallState::Connected, 0, t0 + 1s},
              {CallState::Disconnected, disconnect::Busy, t0 + 2s},
              {CallState::Idle, 0, t0 + 2s}};
  r.created = t0;
  r.offeringOrDialing = t0;
  r.connectedAt = t0 + 1s;
  r.disconnectedAt = t0 + 2s;
  r.idleAt = t0 + 2s;
  r.disconnectMode = disconnect::Busy;
  r.termination = {TerminationOrigin::AppShutdown, Policy::Ownerless, "dialer", "owner gone"};
  r.cause = {486, 17, "486 Busy Here", "abc@host"};
  r.uuiSent = "hi\x01";
  r.uuiReceived = "see you";
  r.appSpecific = 42;
  r.numOwners = 1;
  r.numMonitors = 2;
  return r;
}

TEST(ProtocolJson, PostConnectionRecordRoundTripsThroughTheWireFormat) {
  const CallRecord r = sampleRecord();
  const std::string wire = cdr::toJson(r);
  auto parsed = detail::proto::callRecordFromJson(json::parse(wire));
  ASSERT_TRUE(parsed.ok());
  EXPECT_EQ(cdr::toJson(*parsed), wire);
  EXPECT_EQ(parsed->termination.origin, TerminationOrigin::AppShutdown);
  EXPECT_EQ(parsed->states.at(2).mode, disconnect::Busy);
  EXPECT_FALSE(parsed->releasedAt.has_value());
  EXPECT_EQ(parsed->cause, r.cause);
  EXPECT_EQ(detail::proto::callRecordFromJson(json::parse("{}")).lineErr(),
            LineErr::OperationFailed);
}

TEST(ProtocolJson, CallStatusLinesAndStats) {
  auto st = detail::proto::callStatusFromJson(json::parse(
      R"({"state": 256, "stateName": "CONNECTED", "mode": 1, "privilege": 4,
          "privilegeName": "OWNER", "features": 128, "stateEntryTime": "2026-01-01T00:00:02.000Z"})"));
  ASSERT_TRUE(st.ok());
  EXPECT_EQ(st->state, CallState::Connected);
  EXPECT_EQ(st->privilege, Privilege::Owner);
  EXPECT_EQ(st->features, callfeature::Drop);
  EXPECT_EQ(cdr::formatTime(st->stateEntryTime), "2026-01-01T00:00:02.000Z");
  auto lines = detail::proto::linesFromJson(json::parse(
      R"({"lines": [{"deviceId": 0, "name": "sim/0", "address": "100", "devCapFlags": 32,
                     "maxUserUserInfo": 128}]})"));
  ASSERT_TRUE(lines.ok());
  ASSERT_EQ(lines->size(), 1u);
  EXPECT_EQ(lines->at(0).name, "sim/0");
  EXPECT_EQ(lines->at(0).maxUserUserInfo, 128u);
  auto counters = detail::proto::countersFromJson(json::parse(
      R"({"apps": 2, "openLines": 2, "handles": 3, "calls": 1, "providerCalls": 1,
          "pendingRequests": 0, "queuedEvents": 0, "timers": 1, "connections": 3, "name": "x"})"));
  ASSERT_EQ(counters.size(), 9u);
  EXPECT_EQ(counters.back(), (std::pair<std::string, std::int64_t>{"connections", 3}));
  auto stats = detail::proto::engineStatsFromCounters(counters);
  EXPECT_EQ(stats.apps, 2u);
  EXPECT_EQ(stats.handles, 3u);
  EXPECT_EQ(stats.timers, 1u);
}

// ----------------------------------------------------------------------------- fake tapid

/**
 * A scripted server: one thread per connection, each request answered by `handler` with
 * frames to send (responses and events) or by dropping the connection.
 */
class FakeTapid {
 public:
  struct Reply {
    std::vector<json::value> frames;
    bool drop = false;  // close the socket instead of answering
  };
  using Handler = std::function<Reply(const json::object& request, int connection)>;

  explicit FakeTapid(Handler handler) : handler_(std::move(handler)) {
    path_ = (std::filesystem::temp_directory_path() /
             ("tapi-remote-test-" + std::to_string(::getpid()) + "-" + std::to_string(counter_++) +
              ".sock"))
                .string();
    std::filesystem::remove(path_);
    acceptor_.open(asio::local::stream_protocol());
    acceptor_.bind(asio::local::stream_protocol::endpoint(path_));
    acceptor_.listen();
    acceptThread_ = std::thread([this] { acceptLoop(); });
  }

  ~FakeTapid() {
    stopping_ = true;
    {
      // Wake accept() with a connection of our own.
      asio::local::stream_protocol::socket s(io_);
      boost::system::error_code ec;
      s.connect(asio::local::stream_protocol::endpoint(path_), ec);
      acceptThread_.join();
    }
    for (auto& t : sessions_) {
      t.join();
    }
    std::filesystem::remove(path_);
  }

  std::string address() const { return "unix:" + path_; }

  std::vector<std::string> methods() {
    std::lock_guard lock(mutex_);
    return methods_;
  }
  std::vector<json::object> requests() {
    std::lock_guard lock(mutex_);
    return requests_;
  }
  int connections() const { return connections_.load(); }

  static json::value result(const json::object& req, json::value r) {
    return json::object{{"id", req.at("id")}, {"result", std::move(r)}};
  }
  static json::value error(const json::object& req, const char* code, std::int64_t value) {
    return json::object{
        {"id", req.at("id")},
        {"error", json::object{{"code", code}, {"value", value}, {"message", "m"}}}};
  }

 private:
  void acceptLoop() {
    for (;;) {
      asio::local::stream_protocol::socket sock(io_);
      boost::system::error_code ec;
      acceptor_.accept(sock, ec);
      if (ec || stopping_) {
        return;
      }
      const int index = connections_++;
      sessions_.emplace_back(
          [this, index, s = std::move(sock)]() mutable { serve(std::move(s), index); });
    }
  }

  void serve(asio::local::stream_protocol::socket sock, int index) {
    websocket::stream<asio::local::stream_protocol::socket> ws(std::move(sock));
    boost::system::error_code ec;
    ws.accept(ec);
    if (ec) {
      return;
    }
    for (;;) {
      boost::beast::flat_buffer buf;
      ws.read(buf, ec);
      if (ec) {
        return;
      }
      json::object req = json::parse(boost::beast::buffers_to_string(buf.data())).as_object();
      {
        std::lock_guard lock(mutex_);
        methods_.emplace_back(req.at("method").as_string());
        requests_.push_back(req);
      }
      Reply reply = handler_(req, index);
      if (reply.drop) {
        boost::beast::get_lowest_layer(ws).close(ec);
        return;
      }
      for (auto& f : reply.frames) {
        ws.text(true);
        ws.write(asio::buffer(json::serialize(f)), ec);
      }
      if (req.at("method") == "lineShutdown") {
        ws.close(websocket::close_code::normal, ec);
        return;
      }
    }
  }

  static inline std::atomic<int> counter_{0};
  Handler handler_;
  std::string path_;
  asio::io_context io_;
  asio::local::stream_protocol::acceptor acceptor_{io_};
  std::thread acceptThread_;
  std::vector<std::thread> sessions_;  // joined in the destructor (touched by acceptThread_)
  std::atomic<bool> stopping_{false};
  std::atomic<int> connections_{0};
  std::mutex mutex_;
  std::vector<std::string> methods_;
  std::vector<json::object> requests_;
};

/** Answers the methods a simple dialer uses, like tapid would for a call that connects. */
FakeTapid::Reply dialerServer(const json::object& req, int connection) {
  const auto& m = req.at("method").as_string();
  if (m == "lineInitialize") {
    return {{FakeTapid::result(
        req, json::object{{"hLineApp", 10 + connection}, {"apiVersion", 131074}})}};
  }
  if (m == "lineOpen") {
    return {{FakeTapid::result(req, json::object{{"hLine", 1}})}};
  }
  if (m == "lineMakeCall") {
    return {
        {FakeTapid::result(req, json::object{{"requestId", 4}, {"hCall", 2}}),
         json::object{
             {"event", "LINE_REPLY"}, {"hDevice", 0}, {"param1", 4}, {"param2", 0}, {"param3", 0}},
         json::object{{"event", "LINE_CALLSTATE"},
                      {"hDevice", 2},
                      {"param1", 256},
                      {"param2", 0},
                      {"param3", 0}}}};
  }
  if (m == "lineGetCallInfo") {
    return {{FakeTapid::result(
        req, json::object{{"hLine", 1}, {"callInfo", json::parse(cdr::toJson(sampleRecord()))}})}};
  }
  if (m == "lineGetCallStatus") {
    return {{FakeTapid::error(req, "LINEERR_INVALCALLHANDLE", -2147483624)}};
  }
  if (m == "lineDrop") {
    return {.drop = true};
  }
  if (m == "tapidStats") {
    return {{FakeTapid::result(
        req, json::object{{"apps", 1}, {"refusedTransitions", 3}, {"connections", 2}})}};
  }
  if (m == "lineGetLines") {
    return {{FakeTapid::error(req, "NOTINITIALIZED", 0)}};
  }
  return {{FakeTapid::result(req, json::object{})}};
}

std::optional<Message> waitType(App& app, MessageType type, std::chrono::milliseconds bound = 5s) {
  const auto deadline = std::chrono::steady_clock::now() + bound;
  while (std::chrono::steady_clock::now() < deadline) {
    auto m = app.waitMessage(std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - std::chrono::steady_clock::now()));
    if (m && m->type == type) {
      return m;
    }
  }
  return std::nullopt;
}

TEST(RemoteBackend, SpeaksTheProtocolOfTheDocs) {
  FakeTapid server(dialerServer);
  auto rt = Runtime::connect(server.address());
  ASSERT_TRUE(rt.ok()) << rt.error().message();
  EXPECT_TRUE((*rt)->isRemote());
  std::atomic<int> notified{0};
  {
    auto app = App::initialize(*rt, {.name = "dialer", .notify = [&] { ++notified; }});
    ASSERT_TRUE(app.ok());
    EXPECT_EQ(app->handle(), 11u);  // connection 0 is the control connection
    auto line = app->open(0, Privilege::Owner);
    ASSERT_TRUE(line.ok());
    auto made = line->makeCall("201", {.userUserInfo = "order 12", .maxDuration = 60s});
    ASSERT_TRUE(made.ok());
    EXPECT_EQ(made->requestId, 4u);
    EXPECT_EQ(made->call.handle(), 2u);
    auto reply = waitType(*app, MessageType::Reply);
    ASSERT_TRUE(reply.has_value());
    EXPECT_EQ(reply->param1, 4u);
    auto state = waitType(*app, MessageType::CallState);
    ASSERT_TRUE(state.has_value());
    EXPECT_EQ(state->hDevice, 2u);
    EXPECT_EQ(state->param1, static_cast<std::uint32_t>(CallState::Connected));
    EXPECT_GE(notified.load(), 1);
    auto info = made->call.info();
    ASSERT_TRUE(info.ok());
    EXPECT_EQ(cdr::toJson(*info), cdr::toJson(sampleRecord()));
    EXPECT_EQ(made->call.status().lineErr(), LineErr::InvalCallHandle);
    auto counters = (*rt)->counters();
    ASSERT_TRUE(counters.ok());
    const EngineStats stats = (*rt)->stats();
    EXPECT_EQ(stats.apps, 1u);
    EXPECT_EQ(stats.refusedTransitions, 3u);
    // lineGetLines refused on the control connection: asked again on the app's.
    EXPECT_TRUE((*rt)->lines().empty());
  }  // Call deallocated, Line closed, App shut down
  auto methods = server.methods();
  const std::vector<std::string> expected = {
      "lineInitialize",    "lineOpen",           "lineMakeCall", "lineGetCallInfo",
      "lineGetCallStatus", "tapidStats",         "tapidStats",   "lineGetLines",
      "lineGetLines",      "lineDeallocateCall", "lineClose",    "lineShutdown"};
  EXPECT_EQ(methods, expected);
  auto reqs = server.requests();
  EXPECT_EQ(reqs.at(1).at("params").at("privileges"), json::parse(R"(["OWNER"])"));
  EXPECT_EQ(reqs.at(2).at("params").at("userUserInfo"), "order 12");
  EXPECT_EQ(reqs.at(2).at("params").at("maxDurationMs"), 60000);
  EXPECT_FALSE(reqs.at(2).at("params").as_object().contains("noAnswerTimeoutMs"));
}

TEST(RemoteBackend, ALostConnectionClosesTheAppsLinesAndAsksForReinit) {
  std::atomic<int> nextLine{0};
  FakeTapid server([&](const json::object& req, int c) -> FakeTapid::Reply {
    if (req.at("method") == "lineOpen") {
      return {{FakeTapid::result(req, json::object{{"hLine", ++nextLine}})}};
    }
    return dialerServer(req, c);
  });
  auto rt = Runtime::connect(server.address()).value();
  auto app = App::initialize(rt, {.name = "dialer"}).value();
  auto other = App::initialize(rt, {.name = "other"}).value();
  auto line1 = app.open(0, Privilege::Owner).value();
  auto line2 = app.open(1, Privilege::Owner).value();
  auto line3 = app.open(0, Privilege::Monitor).value();
  auto made = line1.makeCall("201").value();
  ASSERT_TRUE(waitType(app, MessageType::CallState).has_value());
  ASSERT_TRUE(line2.close().ok());  // closed by the app: not reported again
  // The server closes the socket instead of answering lineDrop: the waiting request
  // fails at once, and the app is told as TAPI tells it.
  EXPECT_EQ(made.call.drop().lineErr(), LineErr::InvalCallHandle);
  std::vector<Message> told;
  while (auto m = app.waitMessage(5s)) {
    told.push_back(*m);
    if (m->type == kLineDevStateMessage) {
      break;
    }
  }
  const std::vector<Message> expected = {
      {.hDevice = line1.handle(), .type = MessageType::Close},
      {.hDevice = line3.handle(), .type = MessageType::Close},
      {.hDevice = 0, .type = kLineDevStateMessage, .param1 = linedevstate::Reinit}};
  EXPECT_EQ(told, expected);
  EXPECT_FALSE(app.nextMessage().has_value());
  // Call handles and lines were voided by the LINE_CLOSEs; new lines need a new start.
  EXPECT_EQ(made.call.info().lineErr(), LineErr::InvalCallHandle);
  EXPECT_EQ(made.call.status().lineErr(), LineErr::InvalCallHandle);
  EXPECT_EQ(line1.makeCall("202").lineErr(), LineErr::InvalLineHandle);
  EXPECT_EQ(line3.getNewCalls().lineErr(), LineErr::InvalLineHandle);
  EXPECT_EQ(app.open(0, Privilege::Owner).lineErr(), LineErr::Reinit);
  const auto t0 = std::chrono::steady_clock::now();
  EXPECT_FALSE(app.waitMessage(200ms).has_value());
  EXPECT_LT(std::chrono::steady_clock::now() - t0, 2s);
  // Only this app's connection was lost: the other app, the control connection and new
  // apps are unaffected.
  EXPECT_TRUE(other.open(0, Privilege::Monitor).ok());
  EXPECT_TRUE(rt->counters().ok());
  EXPECT_TRUE(App::initialize(rt, {.name = "third"}).ok());
  EXPECT_TRUE(app.shutdown().ok());  // the server shut it down already
}

TEST(RemoteBackend, ALostControlConnectionRefusesNewAppsWithReinit) {
  FakeTapid server([](const json::object& req, int c) -> FakeTapid::Reply {
    if (req.at("method") == "tapidStats") {
      return {.drop = true};
    }
    return dialerServer(req, c);
  });
  auto rt = Runtime::connect(server.address()).value();
  auto app = App::initialize(rt, {.name = "early"}).value();
  EXPECT_EQ(rt->counters().lineErr(), LineErr::Reinit);
  EXPECT_TRUE(rt->serverLost());
  EXPECT_EQ(App::initialize(rt, {.name = "late"}).lineErr(), LineErr::Reinit);
  EXPECT_TRUE(app.open(0, Privilege::Owner).ok());  // its own connection is still there
}

TEST(RemoteBackend, ClosingItsOwnConnectionIsNotALoss) {
  FakeTapid server(dialerServer);
  auto rt = Runtime::connect(server.address()).value();
  auto app = App::initialize(rt, {.name = "dialer"}).value();
  auto line = app.open(0, Privilege::Owner).value();
  EXPECT_TRUE(app.shutdown().ok());  // the server closes the socket after its response
  EXPECT_FALSE(rt->serverLost());
  EXPECT_TRUE(App::initialize(rt, {.name = "next"}).ok());
}

TEST(RemoteBackend, ARequestWithoutResponseFailsAfterTheBound) {
  FakeTapid server([](const json::object& req, int c) -> FakeTapid::Reply {
    if (req.at("method") == "lineGetCallStatus") {
      return {};  // never answered
    }
    return dialerServer(req, c);
  });
  auto be = detail::RemoteBackend::connect(*parseServerAddress(server.address()), {},
                                           {.requestTimeout = 300ms});
  ASSERT_TRUE(be.ok());
  auto rt = detail::RuntimeAccess::make(std::move(*be));
  auto app = App::initialize(rt).value();
  auto line = app.open(0, Privilege::Owner).value();
  auto made = line.makeCall("201").value();
  const auto t0 = std::chrono::steady_clock::now();
  EXPECT_EQ(made.call.status().lineErr(), LineErr::OperationFailed);
  const auto took = std::chrono::steady_clock::now() - t0;
  EXPECT_GE(took, 250ms);
  EXPECT_LT(took, 5s);
  // The connection still works; a late response would be ignored.
  EXPECT_TRUE(made.call.info().ok());
}

TEST(RemoteBackend, ConnectFailsForBadOrUnreachableServers) {
  EXPECT_EQ(Runtime::connect("nonsense").lineErr(), LineErr::InvalParam);
  EXPECT_EQ(Runtime::connect("unix:/nonexistent/tapid.sock").lineErr(), LineErr::OperationFailed);
  EXPECT_EQ(Runtime::connect("tcp://127.0.0.1:1").lineErr(), LineErr::OperationFailed);
}

TEST(RemoteBackend, EmbeddedOperatorCallsMirrorTheRemoteOnes) {
  auto rt = Runtime::embedded(EngineOptions{.simulatedClock = true});
  EXPECT_FALSE(rt->isRemote());
  auto app = App::initialize(rt).value();
  auto line = app.open(0, Privilege::Owner).value();
  auto made = line.makeCall("200").value();
  rt->advance(2s);
  auto calls = rt->calls();
  ASSERT_TRUE(calls.ok());
  ASSERT_EQ(calls->size(), 1u);
  auto rec = rt->callRecord(calls->at(0).callId);
  ASSERT_TRUE(rec.ok());
  EXPECT_EQ(cdr::toJson(*rec), cdr::toJson(calls->at(0)));
  EXPECT_EQ(rt->callRecord(424242).lineErr(), LineErr::InvalParam);
  auto counters = rt->counters();
  ASSERT_TRUE(counters.ok());
  EXPECT_EQ(counters->at(0), (std::pair<std::string, std::int64_t>{"apps", 1}));
  EXPECT_EQ(rt->placeInbound({.deviceId = 0, .caller = "555"}).lineErr(),
            LineErr::OperationUnavail);
}

}  // namespace
}  // namespace tapi
