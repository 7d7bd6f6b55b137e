// The API protocol without sockets: a fake connection, the engine on a simulated loop
// and the simulated network. Every method, every protocol error and the limits.

#include <gtest/gtest.h>

#include <boost/json.hpp>

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "base/sim_loop.hpp"
#include "engine/engine.hpp"
#include "providers/sim/sim_provider.hpp"
#include "server/protocol.hpp"

namespace tapi::server {
namespace {

namespace json = boost::json;
using namespace std::chrono_literals;

/** Records frames; "writes" them at once unless holding (then they stay pending). */
class FakeConnection final : public ProtoConnection {
 public:
  void sendText(std::string frame, FrameKind kind) override {
    if (closedWith) {
      return;
    }
    if (holding) {
      pendingBytes_ += frame.size();
      pendingResponses_ += kind == FrameKind::Response ? 1 : 0;
    }
    frames.push_back(json::parse(frame));
    kinds.push_back(kind);
  }
  void close(CloseReason reason) override {
    if (!closedWith) {
      closedWith = reason;
    }
  }
  std::size_t pendingBytes() const override { return pendingBytes_; }
  std::size_t pendingResponses() const override { return pendingResponses_; }

  /** Frames that are events, removed from the record. */
  std::vector<json::object> takeEvents() {
    std::vector<json::object> out;
    std::vector<json::value> rest;
    for (auto& f : frames) {
      if (f.as_object().contains("event")) {
        out.push_back(f.as_object());
      } else {
        rest.push_back(f);
      }
    }
    frames = std::move(rest);
    return out;
  }

  std::vector<json::value> frames;
  std::vector<FrameKind> kinds;
  std::optional<CloseReason> closedWith;
  bool holding = false;

 private:
  std::size_t pendingBytes_ = 0;
  std::size_t pendingResponses_ = 0;
};

struct Client {
  FakeConnection conn;
  std::unique_ptr<ProtocolSession> session;
  std::int64_t nextId = 1;
};

class ProtocolTest : public ::testing::Test {
 protected:
  ProtocolTest() { build({}); }

  void build(Limits limits) {
    clients_.clear();
    hub_.reset();
    engine_.reset();
    sim_.reset();
    sim_ = std::make_unique<providers::sim::SimProvider>(
        loop_, std::vector<providers::sim::LineConfig>{{"sim/0", "100"}, {"sim/1", "101"}});
    engine::Config c;
    c.onCallReleased = [this](const CallRecord& r) {
      released_.push_back(r);
      hub_->recordReleased(r);
    };
    engine_ = std::make_unique<engine::Engine>(loop_, *sim_, std::move(c));
    // Scripts registered directly, so these tests do not depend on "sim:" parsing in the
    // provider's makeCall.
    sim_->scriptDestination("sim:ring", providers::sim::ringForever());
    providers::sim::Script busy;
    busy.steps = {{0ms, providers::sim::Action::Dialing}, {500ms, providers::sim::Action::Busy}};
    sim_->scriptDestination("sim:busy", busy);
    hub_ = std::make_unique<ProtocolHub>(loop_, *engine_, sim_.get(), limits);
  }

  ~ProtocolTest() override {
    clients_.clear();
    loop_.runUntilIdle();
  }

  Client& connect() {
    auto c = std::make_unique<Client>();
    c->session = std::make_unique<ProtocolSession>(*hub_, c->conn);
    clients_.push_back(std::move(c));
    return *clients_.back();
  }

  /** Sends a raw frame; returns the one response it produced. */
  json::object raw(Client& c, std::string_view frame) {
    const std::size_t before = c.conn.frames.size();
    c.session->onFrame(frame);
    EXPECT_EQ(c.conn.frames.size(), before + 1) << frame;
    if (c.conn.frames.size() != before + 1) {
      return {};
    }
    json::object r = c.conn.frames.back().as_object();
    c.conn.frames.pop_back();
    c.conn.kinds.pop_back();
    return r;
  }

  json::object request(Client& c, std::string_view method, json::object params = {}) {
    json::object req;
    const std::int64_t id = c.nextId++;
    req["id"] = id;
    req["method"] = method;
    req["params"] = std::move(params);
    json::object r = raw(c, json::serialize(req));
    EXPECT_EQ(r["id"], json::value(id));
    return r;
  }

  /** The result of a request that must succeed. */
  json::object ok(Client& c, std::string_view method, json::object params = {}) {
    json::object r = request(c, method, std::move(params));
    EXPECT_TRUE(r.contains("result")) << method << ": " << json::serialize(r);
    return r.contains("result") ? r["result"].as_object() : json::object{};
  }

  /** The error code of a request that must fail. */
  std::string err(Client& c, std::string_view method, json::object params = {}) {
    json::object r = request(c, method, std::move(params));
    EXPECT_TRUE(r.contains("error")) << method << ": " << json::serialize(r);
    return r.contains("error") ? std::string(r["error"].as_object()["code"].as_string()) : "";
  }

  static std::string code(json::object r) {
    return r.contains("error") ? std::string(r["error"].as_object()["code"].as_string()) : "";
  }

  std::int64_t initialize(Client& c, std::string name) {
    return ok(c, "lineInitialize", {{"appName", name}})["hLineApp"].as_int64();
  }

  std::int64_t open(Client& c, json::value privileges, std::uint32_t device = 0) {
    return ok(c, "lineOpen", {{"deviceId", device}, {"privileges", privileges}})["hLine"].as_int64();
  }

  /** Runs posted work (event drains) without moving time. */
  void settle() { loop_.runUntilIdle(); }
  void advance(base::Duration d) { loop_.advance(d); }

  static std::vector<std::string> names(const std::vector<json::object>& events) {
    std::vector<std::string> out;
    for (const auto& e : events) {
      std::string s(e.at("event").as_string());
      if (e.contains("state")) {
        s += "(" + std::string(e.at("state").as_string());
        if (e.contains("mode")) {
          s += "," + std::string(e.at("mode").as_string());
        }
        s += ")";
      }
      out.push_back(s);
    }
    return out;
  }

  base::SimLoop loop_;
  std::unique_ptr<providers::sim::SimProvider> sim_;
  std::unique_ptr<engine::Engine> engine_;
  std::unique_ptr<ProtocolHub> hub_;
  std::vector<std::unique_ptr<Client>> clients_;
  std::vector<CallRecord> released_;
};

// ---------------------------------------------------------------------------------------
// Protocol errors

TEST_F(ProtocolTest, BadJsonGetsNullId) {
  Client& c = connect();
  for (std::string_view bad : {"not json", "{\"id\": 1,", "[1,2,3]", "42", "\"x\"", ""}) {
    json::object r = raw(c, bad);
    EXPECT_EQ(code(r), "BADJSON") << bad;
    EXPECT_TRUE(r["id"].is_null()) << bad;
  }
  c.session->onBinaryFrame();
  EXPECT_EQ(code(c.conn.frames.back().as_object()), "BADJSON");
  EXPECT_EQ(hub_->counters().rejectedFrames[static_cast<std::size_t>(ProtoError::BadJson)], 7u);
  EXPECT_FALSE(c.conn.closedWith);
}

TEST_F(ProtocolTest, BadRequestForIdMethodAndParams) {
  Client& c = connect();
  for (std::string_view bad :
       {R"({"method":"tapidStats"})", R"({"id":-1,"method":"tapidStats"})",
        R"({"id":"7","method":"tapidStats"})", R"({"id":1.5,"method":"tapidStats"})",
        R"({"id":9007199254740993,"method":"tapidStats"})"}) {
    json::object r = raw(c, bad);
    EXPECT_EQ(code(r), "BADREQUEST") << bad;
    EXPECT_TRUE(r["id"].is_null()) << bad;
  }
  json::object r = raw(c, R"({"id":9007199254740992,"method":"tapidStats"})");
  EXPECT_EQ(r["id"], json::value(9007199254740992LL));
  EXPECT_TRUE(r.contains("result"));

  r = raw(c, R"({"id":3})");
  EXPECT_EQ(code(r), "BADREQUEST");
  EXPECT_EQ(r["id"], json::value(3));
  EXPECT_EQ(code(raw(c, R"({"id":3,"method":7})")), "BADREQUEST");
  EXPECT_EQ(code(raw(c, R"({"id":3,"method":"tapidStats","params":[1]})")), "BADREQUEST");

  initialize(c, "a");
  EXPECT_EQ(err(c, "lineOpen", {{"privileges", "OWNER"}}), "BADREQUEST");  // no deviceId
  EXPECT_EQ(err(c, "lineOpen", {{"deviceId", "zero"}, {"privileges", "OWNER"}}), "BADREQUEST");
  EXPECT_EQ(err(c, "lineOpen", {{"deviceId", -1}, {"privileges", "OWNER"}}), "BADREQUEST");
  EXPECT_EQ(err(c, "lineOpen", {{"deviceId", 4294967296LL}, {"privileges", "OWNER"}}),
            "BADREQUEST");
  EXPECT_EQ(err(c, "lineOpen", {{"deviceId", 0}}), "BADREQUEST");  // no privileges
  EXPECT_EQ(err(c, "lineOpen", {{"deviceId", 0}, {"privileges", "BOSS"}}), "BADREQUEST");
  EXPECT_EQ(err(c, "lineMakeCall", {{"hLine", 1}}), "BADREQUEST");  // no destination
  EXPECT_EQ(err(c, "lineMakeCall", {{"hLine", 1}, {"destination", 200}}), "BADREQUEST");
  EXPECT_EQ(err(c, "lineDrop", {{"hCall", 1}, {"mode", "LOUDLY"}}), "BADREQUEST");
  EXPECT_EQ(err(c, "lineSetCallPrivilege", {{"hCall", 1}, {"privilege", json::array{"OWNER"}}}),
            "BADREQUEST");
  EXPECT_EQ(err(c, "lineHandoff", {{"hCall", 1}}), "BADREQUEST");
  EXPECT_EQ(err(c, "lineAnswer", {}), "BADREQUEST");
  EXPECT_EQ(err(c, "lineInitialize", {{"appName", "again"}}), "BADREQUEST");  // second one
}

TEST_F(ProtocolTest, UnknownMethod) {
  Client& c = connect();
  EXPECT_EQ(err(c, "lineFly"), "UNKNOWNMETHOD");
  EXPECT_EQ(err(c, "linemakecall"), "UNKNOWNMETHOD");  // names are case-sensitive
}

TEST_F(ProtocolTest, NotInitializedForEveryLineMethod) {
  Client& c = connect();
  for (std::string_view m :
       {"lineShutdown", "lineGetLines", "lineNegotiateAPIVersion", "lineOpen", "lineClose",
        "lineMakeCall", "lineAnswer", "lineAccept", "lineDrop", "lineDeallocateCall",
        "lineGetCallInfo", "lineGetCallStatus", "lineSetAppSpecific", "lineSetCallPrivilege",
        "lineHandoff", "lineGetNewCalls"}) {
    EXPECT_EQ(err(c, m), "NOTINITIALIZED") << m;
  }
  // Operator methods need no application.
  EXPECT_EQ(ok(c, "tapidStats")["apps"], json::value(0));
  EXPECT_TRUE(ok(c, "tapidCalls")["calls"].as_array().empty());
}

TEST_F(ProtocolTest, TapiErrorsCarryNameAndValue) {
  Client& c = connect();
  initialize(c, "a");
  json::object r = request(c, "lineOpen", {{"deviceId", 9}, {"privileges", "OWNER"}});
  const json::object& e = r["error"].as_object();
  EXPECT_EQ(e.at("code"), "LINEERR_BADDEVICEID");
  EXPECT_EQ(e.at("value"), json::value(static_cast<std::int32_t>(0x80000002u)));
  EXPECT_TRUE(e.at("message").is_string());
  EXPECT_EQ(err(c, "lineInitialize", {{"apiVersion", 1}}), "BADREQUEST");  // already initialised
  Client& d = connect();
  EXPECT_EQ(err(d, "lineInitialize", {{"apiVersion", 1}}), "LINEERR_INCOMPATIBLEAPIVERSION");
}

// ---------------------------------------------------------------------------------------
// Methods

TEST_F(ProtocolTest, OutboundCallEveryMethodAndItsEvents) {
  Client& c = connect();
  json::object init = ok(c, "lineInitialize", {{"appName", "dialer"}, {"apiVersion", 131074}});
  EXPECT_GT(init["hLineApp"].as_int64(), 0);
  EXPECT_EQ(init["apiVersion"], json::value(131074));

  json::array lines = ok(c, "lineGetLines")["lines"].as_array();
  ASSERT_EQ(lines.size(), 2u);
  EXPECT_EQ(lines[0].as_object()["name"], "sim/0");
  EXPECT_EQ(lines[0].as_object()["address"], "100");
  EXPECT_EQ(lines[1].as_object()["deviceId"], json::value(1));

  EXPECT_EQ(ok(c, "lineNegotiateAPIVersion", {{"deviceId", 0}, {"low", 65539}, {"high", 196609}})
                ["apiVersion"],
            json::value(196609));

  const auto hLine = ok(c, "lineOpen",
                        {{"deviceId", 0},
                         {"privileges", json::array{"OWNER", "MONITOR"}},
                         {"mediaModes", 4},
                         {"apiVersion", 131074}})["hLine"]
                         .as_int64();
  json::object mk = ok(c, "lineMakeCall",
                       {{"hLine", hLine}, {"destination", "200"}, {"userUserInfo", "order 12"}});
  const auto hCall = mk["hCall"].as_int64();
  const auto req = mk["requestId"].as_int64();
  settle();
  advance(2s);  // default far end: answers after 1 s
  auto events = c.conn.takeEvents();
  ASSERT_FALSE(events.empty());
  EXPECT_EQ(events[0]["event"], "LINE_REPLY");
  EXPECT_EQ(events[0]["requestId"], json::value(req));
  EXPECT_EQ(events[0]["result"], json::value(0));
  EXPECT_EQ(events[0]["param1"], json::value(req));
  bool connected = false;
  for (auto& e : events) {
    if (e["event"] == "LINE_CALLSTATE" && e["state"] == "CONNECTED") {
      connected = true;
      EXPECT_EQ(e["hDevice"], json::value(hCall));
      EXPECT_EQ(e["param1"], json::value(0x100));
    }
  }
  EXPECT_TRUE(connected) << ::testing::PrintToString(names(events));

  json::object st = ok(c, "lineGetCallStatus", {{"hCall", hCall}});
  EXPECT_EQ(st["state"], json::value(256));
  EXPECT_EQ(st["stateName"], "CONNECTED");
  EXPECT_EQ(st["privilegeName"], "OWNER");
  EXPECT_EQ(st["privilege"], json::value(4));
  EXPECT_TRUE(st["stateEntryTime"].as_string().ends_with("Z"));

  EXPECT_TRUE(ok(c, "lineSetAppSpecific", {{"hCall", hCall}, {"value", 42}}).empty());
  json::object info = ok(c, "lineGetCallInfo", {{"hCall", hCall}});
  EXPECT_EQ(info["hLine"], json::value(hLine));
  json::object rec = info["callInfo"].as_object();
  EXPECT_EQ(rec["app_specific"], json::value(42));
  EXPECT_EQ(rec["uui_sent"], "order 12");
  EXPECT_EQ(rec["direction"], "outbound");
  EXPECT_EQ(rec["called"].as_object()["number"], "200");

  // The record is also visible to operators while the call lives.
  json::array live = ok(c, "tapidCalls")["calls"].as_array();
  ASSERT_EQ(live.size(), 1u);
  const auto callId = live[0].as_object()["call_id"].as_int64();
  EXPECT_EQ(ok(c, "tapidCallRecord", {{"callId", callId}})["callInfo"].as_object()["call_id"],
            json::value(callId));

  EXPECT_TRUE(ok(c, "lineSetCallPrivilege", {{"hCall", hCall}, {"privilege", "OWNER"}}).empty());
  EXPECT_TRUE(ok(c, "lineGetNewCalls", {{"hLine", hLine}})["hCalls"].as_array().empty());

  const auto dropReq =
      ok(c, "lineDrop", {{"hCall", hCall}, {"mode", "BUSY"}, {"userUserInfo", "bye"}})["requestId"]
          .as_int64();
  settle();
  advance(1s);
  events = c.conn.takeEvents();
  bool replied = false;
  for (auto& e : events) {
    replied = replied || (e["event"] == "LINE_REPLY" && e["requestId"] == json::value(dropReq));
  }
  EXPECT_TRUE(replied) << ::testing::PrintToString(names(events));
  EXPECT_EQ(ok(c, "lineGetCallStatus", {{"hCall", hCall}})["stateName"], "IDLE");
  EXPECT_TRUE(ok(c, "lineDeallocateCall", {{"hCall", hCall}}).empty());
  settle();
  ASSERT_EQ(released_.size(), 1u);
  EXPECT_EQ(released_[0].uuiSent, "bye");

  // Released: from the records kept since start.
  EXPECT_EQ(ok(c, "tapidCallRecord", {{"callId", callId}})["callInfo"].as_object()["call_id"],
            json::value(callId));
  EXPECT_EQ(err(c, "tapidCallRecord", {{"callId", 4242}}), "LINEERR_INVALPARAM");
  EXPECT_EQ(err(c, "lineGetCallInfo", {{"hCall", hCall}}), "LINEERR_INVALCALLHANDLE");

  EXPECT_TRUE(ok(c, "lineClose", {{"hLine", hLine}}).empty());
  EXPECT_EQ(err(c, "lineClose", {{"hLine", hLine}}), "LINEERR_INVALLINEHANDLE");

  EXPECT_TRUE(ok(c, "lineShutdown").empty());
  EXPECT_EQ(c.conn.closedWith, CloseReason::Normal);
  EXPECT_TRUE(engine_->stats().allZero());
}

TEST_F(ProtocolTest, InboundCallAnswerAcceptMonitorAndHandoff) {
  Client& owner = connect();
  Client& mon = connect();
  initialize(owner, "crm");
  initialize(mon, "logger");
  const auto ownerLine = open(owner, "OWNER");
  const auto monLine = open(mon, json::array{"MONITOR"});
  (void)monLine;

  json::object placed =
      ok(owner, "simPlaceInbound", {{"deviceId", 0}, {"caller", "555"}, {"callerName", "Alice"}});
  const auto callId = placed["callId"].as_int64();
  settle();
  auto ev = owner.conn.takeEvents();
  ASSERT_FALSE(ev.empty());
  EXPECT_EQ(ev[0]["event"], "LINE_APPNEWCALL");
  EXPECT_EQ(ev[0]["privilege"], "OWNER");
  EXPECT_EQ(ev[0]["hDevice"], json::value(ownerLine));
  const auto hCall = ev[0]["hCall"].as_int64();
  auto monEv = mon.conn.takeEvents();
  ASSERT_FALSE(monEv.empty());
  EXPECT_EQ(monEv[0]["privilege"], "MONITOR");
  const auto monCall = monEv[0]["hCall"].as_int64();

  // The monitor's handle means nothing on the owner's connection unless it is the
  // owner's own value; a value the owner never received is refused.
  EXPECT_EQ(err(owner, "lineAnswer", {{"hCall", hCall + monCall + 100}}),
            "LINEERR_INVALCALLHANDLE");
  EXPECT_EQ(err(mon, "lineAnswer", {{"hCall", monCall}}), "LINEERR_NOTOWNER");

  EXPECT_GT(ok(owner, "lineAccept", {{"hCall", hCall}})["requestId"].as_int64(), 0);
  EXPECT_GT(ok(owner, "lineAnswer", {{"hCall", hCall}, {"userUserInfo", "hi"}})["requestId"]
                .as_int64(),
            0);
  settle();
  advance(100ms);
  EXPECT_EQ(ok(mon, "lineGetCallStatus", {{"hCall", monCall}})["stateName"], "CONNECTED");
  json::object rec = ok(mon, "tapidCallRecord", {{"callId", callId}})["callInfo"].as_object();
  EXPECT_EQ(rec["caller"].as_object()["name"], "Alice");
  EXPECT_EQ(rec["owners"], json::value(1));
  EXPECT_EQ(rec["monitors"], json::value(1));

  // Handoff to the logger (it has the line open as monitor only: it becomes an owner).
  json::object r = request(owner, "lineHandoff", {{"hCall", hCall}, {"target", "logger"}});
  EXPECT_TRUE(r.contains("result") || code(r).starts_with("LINEERR_")) << json::serialize(r);
  // Monitor takes ownership explicitly.
  EXPECT_TRUE(ok(mon, "lineSetCallPrivilege", {{"hCall", monCall}, {"privilege", 4}}).empty());
  EXPECT_EQ(ok(mon, "lineGetCallStatus", {{"hCall", monCall}})["privilegeName"], "OWNER");

  // The owner's connection goes away: its app is shut down, the call lives on (the
  // logger owns it now).
  owner.session->onClosed();
  settle();
  EXPECT_EQ(ok(mon, "tapidStats")["apps"], json::value(1));
  EXPECT_EQ(ok(mon, "lineGetCallStatus", {{"hCall", monCall}})["stateName"], "CONNECTED");
  EXPECT_GT(ok(mon, "lineDrop", {{"hCall", monCall}})["requestId"].as_int64(), 0);
  settle();
  advance(1s);
  EXPECT_TRUE(ok(mon, "lineDeallocateCall", {{"hCall", monCall}}).empty());
  EXPECT_TRUE(ok(mon, "lineShutdown").empty());
  settle();
  EXPECT_TRUE(engine_->stats().allZero());
  EXPECT_TRUE(engine_->leakReport().empty());
}

TEST_F(ProtocolTest, SimPlaceInboundScriptAndErrors) {
  Client& c = connect();
  // Line not open: the simulated network has nobody to offer it to.
  EXPECT_EQ(err(c, "simPlaceInbound", {{"deviceId", 0}}), "LINEERR_INVALLINEHANDLE");
  initialize(c, "a");
  open(c, "OWNER");
  EXPECT_EQ(err(c, "simPlaceInbound", {{"deviceId", 0}, {"script", "sim:explode"}}),
            "LINEERR_INVALADDRESS");
  ok(c, "simPlaceInbound", {{"deviceId", 0}, {"script", "sim:cancel=3s"}});
  settle();
  advance(4s);
  auto ev = names(c.conn.takeEvents());
  EXPECT_NE(std::find(ev.begin(), ev.end(), "LINE_CALLSTATE(DISCONNECTED,CANCELLED)"), ev.end())
      << ::testing::PrintToString(ev);
  EXPECT_NE(std::find(ev.begin(), ev.end(), "LINE_CALLSTATE(IDLE)"), ev.end());
}

TEST_F(ProtocolTest, HandleValuesOfOneAppAreRefusedForAnother) {
  Client& a = connect();
  Client& b = connect();
  initialize(a, "a");
  initialize(b, "b");
  const auto lineA = open(a, "OWNER");
  const auto hCall = ok(a, "lineMakeCall", {{"hLine", lineA}, {"destination", "200"}})["hCall"]
                         .as_int64();
  settle();
  // b has no line and no call: a's values mean nothing there.
  EXPECT_EQ(err(b, "lineDrop", {{"hCall", hCall}}), "LINEERR_INVALCALLHANDLE");
  EXPECT_EQ(err(b, "lineGetCallInfo", {{"hCall", hCall}}), "LINEERR_INVALCALLHANDLE");
  EXPECT_EQ(err(b, "lineDeallocateCall", {{"hCall", hCall}}), "LINEERR_INVALCALLHANDLE");
  EXPECT_EQ(err(b, "lineSetAppSpecific", {{"hCall", hCall}, {"value", 1}}),
            "LINEERR_INVALCALLHANDLE");
  EXPECT_EQ(err(b, "lineMakeCall", {{"hLine", lineA}, {"destination", "1"}}),
            "LINEERR_INVALLINEHANDLE");
  EXPECT_EQ(err(b, "lineClose", {{"hLine", lineA}}), "LINEERR_INVALLINEHANDLE");
  // a's call is untouched.
  EXPECT_NE(ok(a, "lineGetCallStatus", {{"hCall", hCall}})["stateName"], "IDLE");
}

// ---------------------------------------------------------------------------------------
// Connection lifetime and limits

TEST_F(ProtocolTest, ClosedConnectionShutsTheAppDownAndDropsItsCalls) {
  Client& c = connect();
  initialize(c, "dialer");
  const auto hLine = open(c, "OWNER");
  ok(c, "lineMakeCall", {{"hLine", hLine}, {"destination", "sim:ring"}});
  settle();
  advance(1s);
  EXPECT_EQ(engine_->stats().calls, 1u);
  c.session->onClosed();
  settle();
  advance(1s);
  EXPECT_TRUE(engine_->stats().allZero());
  ASSERT_EQ(released_.size(), 1u);
  EXPECT_EQ(released_[0].termination.origin, TerminationOrigin::AppShutdown);
  // Nothing is sent after the close.
  const std::size_t frames = c.conn.frames.size();
  c.session->onFrame(R"({"id":1,"method":"tapidStats"})");
  EXPECT_EQ(c.conn.frames.size(), frames);
}

TEST_F(ProtocolTest, TooLargeRepliesThenCloses) {
  Client& c = connect();
  initialize(c, "a");
  c.session->onFrameTooLarge();
  ASSERT_FALSE(c.conn.frames.empty());
  json::object r = c.conn.frames.back().as_object();
  EXPECT_EQ(code(r), "TOOLARGE");
  EXPECT_TRUE(r["id"].is_null());
  EXPECT_EQ(c.conn.closedWith, CloseReason::TooLarge);
  EXPECT_EQ(engine_->stats().apps, 0u);
  EXPECT_EQ(hub_->counters().rejectedFrames[static_cast<std::size_t>(ProtoError::TooLarge)], 1u);
}

TEST_F(ProtocolTest, TooManyRequestsInFlight) {
  build(Limits{64 * 1024, 3, 1024 * 1024});
  Client& c = connect();
  c.conn.holding = true;  // the client reads nothing: responses stay in flight
  for (int i = 0; i < 3; ++i) {
    EXPECT_TRUE(request(c, "tapidStats").contains("result"));
  }
  EXPECT_EQ(code(request(c, "tapidStats")), "TOOMANYREQUESTS");
  EXPECT_FALSE(c.conn.closedWith);
}

TEST_F(ProtocolTest, SlowReaderIsDisconnectedOthersUnaffected) {
  build(Limits{64 * 1024, 64, 4096});
  Client& slow = connect();
  Client& good = connect();
  initialize(slow, "slow");
  initialize(good, "good");
  open(slow, "MONITOR");
  const auto hLine = open(good, "OWNER");
  slow.conn.holding = true;
  const auto hCall =
      ok(good, "lineMakeCall", {{"hLine", hLine}, {"destination", "sim:ring"}})["hCall"].as_int64();
  settle();
  for (int i = 0; i < 200 && !slow.conn.closedWith; ++i) {
    ok(good, "lineSetAppSpecific", {{"hCall", hCall}, {"value", i}});
    settle();
  }
  EXPECT_EQ(slow.conn.closedWith, CloseReason::SlowReader);
  EXPECT_EQ(hub_->counters().slowReaderDisconnects, 1u);
  EXPECT_EQ(ok(good, "tapidStats")["apps"], json::value(1));  // slow app shut down
  EXPECT_EQ(ok(good, "lineGetCallStatus", {{"hCall", hCall}})["privilegeName"], "OWNER");
}

TEST_F(ProtocolTest, StatsCountConnectionsAndEveryEngineField) {
  Client& a = connect();
  connect();
  json::object s = ok(a, "tapidStats");
  for (const char* k : {"apps", "openLines", "handles", "calls", "providerCalls", "pendingRequests",
                        "providerPendingRequests", "queuedEvents", "timers", "reclaimedHandles"}) {
    EXPECT_EQ(s[k], json::value(0)) << k;
  }
  EXPECT_EQ(s["connections"], json::value(2));
  EXPECT_EQ(hub_->connections(), 2u);
}

TEST_F(ProtocolTest, EventsCarryReadableNames) {
  Client& c = connect();
  initialize(c, "a");
  const auto hLine = open(c, "OWNER");
  ok(c, "lineMakeCall", {{"hLine", hLine}, {"destination", "sim:busy"}});
  settle();
  advance(1s);
  auto ev = c.conn.takeEvents();
  bool sawBusy = false;
  for (auto& e : ev) {
    for (const char* k : {"hDevice", "param1", "param2", "param3"}) {
      EXPECT_TRUE(e.contains(k)) << k;
    }
    if (e["event"] == "LINE_CALLSTATE" && e["state"] == "DISCONNECTED") {
      EXPECT_EQ(e["mode"], "BUSY");
      EXPECT_EQ(e["param2"], json::value(0x20));
      sawBusy = true;
    }
  }
  EXPECT_TRUE(sawBusy) << ::testing::PrintToString(names(ev));
}

TEST_F(ProtocolTest, ShutdownAllSendsLineCloseToEveryClient) {
  Client& a = connect();
  Client& b = connect();
  initialize(a, "a");
  initialize(b, "b");
  const auto hLine = open(a, "OWNER");
  open(b, "MONITOR");
  ok(a, "lineMakeCall", {{"hLine", hLine}, {"destination", "200"}});
  settle();
  advance(2s);
  a.conn.takeEvents();
  b.conn.takeEvents();
  engine_->shutdownAll();
  a.session->closeForShutdown();
  b.session->closeForShutdown();
  settle();
  for (Client* c : {&a, &b}) {
    auto ev = names(c->conn.takeEvents());
    EXPECT_NE(std::find(ev.begin(), ev.end(), "LINE_CLOSE"), ev.end())
        << ::testing::PrintToString(ev);
    EXPECT_EQ(c->conn.closedWith, CloseReason::ServerShutdown);
  }
  settle();
  ASSERT_EQ(released_.size(), 1u);
  EXPECT_EQ(released_[0].termination.origin, TerminationOrigin::ServerShutdown);
  EXPECT_TRUE(engine_->leakReport().empty());
}

}  // namespace
}  // namespace tapi::server
