// Three application processes share one line through a tapid process: an owner and two
// monitors (one of them over TCP). Calls out and in; events and post-connection data are
// the same in every app but for handle values; kill -9 of the owner mid-call ends its
// call as an app shutdown, the monitors see it, and the server's counters come back.

#include <tapi/tapi.hpp>

#include <gtest/gtest.h>

#include <sstream>

#include "tapid_fixture.hpp"

namespace tapi::testing {
namespace {

using namespace std::chrono_literals;

struct Msg {
  std::string type;
  std::uint32_t hDevice = 0;
  std::uint32_t p1 = 0;
  std::uint32_t p2 = 0;
  std::uint32_t p3 = 0;
};

constexpr std::uint32_t kConnected = 0x100;
constexpr std::uint32_t kIdle = 0x1;
constexpr std::uint32_t kUnknown = 0x8000;

/** One client process (multiapp_client) and everything it has received. */
class Client {
 public:
  Client(const std::string& server, const std::string& name)
      : name_(name), p_({envOr("MULTIAPP_CLIENT"), server}, false) {
    auto r = cmd("init " + name);
    EXPECT_TRUE(r.starts_with("ok ")) << name << ": " << r;
  }

  std::string cmd(const std::string& c) {
    p_.write(c);
    return p_.readLine(20s).value_or("timeout");
  }

  /** The numbers of an "ok N..." answer (expects ok). */
  std::vector<std::uint32_t> numbers(const std::string& c) {
    const std::string r = cmd(c);
    EXPECT_TRUE(r.starts_with("ok")) << name_ << " " << c << ": " << r;
    std::istringstream in(r);
    std::string ok;
    in >> ok;
    std::vector<std::uint32_t> out;
    std::uint32_t v = 0;
    while (in >> v) {
      out.push_back(v);
    }
    return out;
  }

  /** Waits (bounded) for a message matching `pred`; every message is kept in log(). */
  std::optional<Msg> waitFor(const std::function<bool(const Msg&)>& pred,
                             std::chrono::milliseconds bound = 15s) {
    const auto deadline = std::chrono::steady_clock::now() + bound;
    while (std::chrono::steady_clock::now() < deadline) {
      const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
          deadline - std::chrono::steady_clock::now());
      const std::string r = cmd("next " + std::to_string(std::max<long>(1, left.count())));
      if (!r.starts_with("msg ")) {
        if (r == "timeout") {
          return std::nullopt;
        }
        continue;
      }
      std::istringstream in(r.substr(4));
      Msg m;
      in >> m.type >> m.hDevice >> m.p1 >> m.p2 >> m.p3;
      log_.push_back(m);
      if (pred(m)) {
        return m;
      }
    }
    return std::nullopt;
  }

  std::optional<Msg> waitState(std::uint32_t hCall, std::uint32_t state) {
    return waitFor([&](const Msg& m) {
      return m.type == "LINE_CALLSTATE" && m.hDevice == hCall && m.p1 == state;
    });
  }

  /**
   * The LINE_CALLSTATE (state, mode) sequence seen for one handle. A monitor of an
   * outbound call also gets an UNKNOWN state with its LINE_APPNEWCALL (the owner learns
   * of the call from lineMakeCall's reply instead); that first notice is left out.
   */
  std::vector<std::pair<std::uint32_t, std::uint32_t>> states(std::uint32_t hCall) const {
    std::vector<std::pair<std::uint32_t, std::uint32_t>> out;
    for (const auto& m : log_) {
      if (m.type == "LINE_CALLSTATE" && m.hDevice == hCall &&
          !(out.empty() && m.p1 == kUnknown)) {
        out.emplace_back(m.p1, m.p2);
      }
    }
    return out;
  }

  /** The monitor's new-call handle (adopted), from LINE_APPNEWCALL. */
  std::uint32_t adoptNewCall(std::uint32_t expectedPrivilege) {
    auto m = waitFor([](const Msg& x) { return x.type == "LINE_APPNEWCALL"; });
    EXPECT_TRUE(m.has_value()) << name_ << " got no LINE_APPNEWCALL";
    if (!m) {
      return 0;
    }
    EXPECT_EQ(m->p3, expectedPrivilege) << name_;
    EXPECT_EQ(cmd("adopt " + std::to_string(m->p2)), "ok");
    return m->p2;
  }

  std::string info(std::uint32_t hCall) {
    const std::string r = cmd("info " + std::to_string(hCall));
    EXPECT_TRUE(r.starts_with("ok {")) << name_ << ": " << r;
    return r.size() > 3 ? r.substr(3) : r;
  }

  Process& process() { return p_; }
  const std::string& name() const { return name_; }

 private:
  std::string name_;
  Process p_;
  std::vector<Msg> log_;
};

std::int64_t counter(const Counters& c, const std::string& name) {
  for (const auto& [n, v] : c) {
    if (n == name) {
      return v;
    }
  }
  return -1;
}

/** Polls tapidStats (each poll a round trip) until every expected counter matches. */
::testing::AssertionResult countersReach(Runtime& rt,
                                         const std::map<std::string, std::int64_t>& expected,
                                         std::chrono::milliseconds bound) {
  const auto deadline = std::chrono::steady_clock::now() + bound;
  Counters last;
  do {
    auto c = rt.counters();
    if (!c) {
      return ::testing::AssertionFailure() << "tapidStats: " << c.error().message();
    }
    last = *c;
    bool all = true;
    for (const auto& [name, value] : expected) {
      all = all && counter(last, name) == value;
    }
    if (all) {
      return ::testing::AssertionSuccess();
    }
  } while (std::chrono::steady_clock::now() < deadline);
  auto f = ::testing::AssertionFailure() << "after " << bound.count() << " ms:";
  for (const auto& [name, value] : last) {
    f << " " << name << "=" << value;
  }
  return f;
}

class MultiApp : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_FALSE(envOr("TAPID").empty()) << "TAPID (path of tapid) not set";
    ASSERT_TRUE(tapid_.ready());
    ASSERT_FALSE(tapid_.tcpAddress().empty()) << tapid_.log();
    setenv("TAPI_TOKEN", Tapid::kToken, 1);  // inherited by the TCP client
    auto rt = Runtime::connect(tapid_.unixAddress());
    ASSERT_TRUE(rt.ok()) << rt.error().message();
    operator_ = *rt;
    owner_ = std::make_unique<Client>(tapid_.unixAddress(), "dialer");
    mon1_ = std::make_unique<Client>(tapid_.unixAddress(), "logger");
    mon2_ = std::make_unique<Client>(tapid_.tcpAddress(), "recorder");
    owner_->numbers("open 0 OWNER");
    mon1_->numbers("open 0 MONITOR");
    mon2_->numbers("open 0 MONITOR");
  }

  /** Every app's state sequence and record for the call, compared across apps. */
  void expectSameView(std::uint32_t hOwner, std::uint32_t h1, std::uint32_t h2) {
    const auto seq = owner_->states(hOwner);
    EXPECT_FALSE(seq.empty());
    EXPECT_EQ(mon1_->states(h1), seq);
    EXPECT_EQ(mon2_->states(h2), seq);
    const std::string rec = owner_->info(hOwner);
    EXPECT_EQ(mon1_->info(h1), rec);
    EXPECT_EQ(mon2_->info(h2), rec);
  }

  Tapid tapid_;
  std::shared_ptr<Runtime> operator_;
  std::unique_ptr<Client> owner_;
  std::unique_ptr<Client> mon1_;
  std::unique_ptr<Client> mon2_;
};

TEST_F(MultiApp, OutboundCallLooksTheSameToOwnerAndMonitors) {
  const auto made = owner_->numbers("make sim:answer=200ms");
  ASSERT_EQ(made.size(), 2u);
  const std::uint32_t req = made[0];
  const std::uint32_t h0 = made[1];
  auto reply = owner_->waitFor([&](const Msg& m) { return m.type == "LINE_REPLY" && m.p1 == req; });
  ASSERT_TRUE(reply.has_value());
  EXPECT_EQ(reply->p2, 0u);
  const std::uint32_t h1 = mon1_->adoptNewCall(0x2);
  const std::uint32_t h2 = mon2_->adoptNewCall(0x2);
  ASSERT_TRUE(owner_->waitState(h0, kConnected));
  ASSERT_TRUE(mon1_->waitState(h1, kConnected));
  ASSERT_TRUE(mon2_->waitState(h2, kConnected));
  EXPECT_EQ(owner_->cmd("status " + std::to_string(h0)), "ok CONNECTED OWNER");
  EXPECT_EQ(mon1_->cmd("status " + std::to_string(h1)), "ok CONNECTED MONITOR");
  // Handles of one app mean nothing in another (the monitor's value presented by the owner).
  if (h1 != h0) {
    EXPECT_TRUE(owner_->cmd("adopt " + std::to_string(h1)) == "ok");
    EXPECT_EQ(owner_->cmd("status " + std::to_string(h1)), "err LINEERR_INVALCALLHANDLE");
    EXPECT_EQ(owner_->cmd("dealloc " + std::to_string(h1)), "err LINEERR_INVALCALLHANDLE");
  }
  owner_->numbers("drop " + std::to_string(h0) + " 1");
  ASSERT_TRUE(owner_->waitState(h0, kIdle));
  ASSERT_TRUE(mon1_->waitState(h1, kIdle));
  ASSERT_TRUE(mon2_->waitState(h2, kIdle));
  expectSameView(h0, h1, h2);
  const std::string rec = owner_->info(h0);
  EXPECT_NE(rec.find("\"origin\":\"local\""), std::string::npos) << rec;
  EXPECT_NE(rec.find("\"uui_sent\":\"bye\""), std::string::npos) << rec;
  EXPECT_NE(rec.find("\"owners\":1,\"monitors\":2"), std::string::npos) << rec;
  for (auto* c : {owner_.get(), mon1_.get(), mon2_.get()}) {
    EXPECT_EQ(c->cmd("dealloc " + std::to_string(c == owner_.get() ? h0 : c == mon1_.get() ? h1 : h2)),
              "ok");
  }
  EXPECT_TRUE(countersReach(*operator_, {{"calls", 0}, {"handles", 0}, {"apps", 3}}, 1s));
}

TEST_F(MultiApp, InboundCallIsOfferedToTheOwnerAndShownToMonitors) {
  auto callId = operator_->placeInbound({.deviceId = 0, .caller = "555", .callerName = "Alice"});
  ASSERT_TRUE(callId.ok()) << callId.error().message();
  const std::uint32_t h0 = owner_->adoptNewCall(0x4);
  const std::uint32_t h1 = mon1_->adoptNewCall(0x2);
  const std::uint32_t h2 = mon2_->adoptNewCall(0x2);
  ASSERT_TRUE(owner_->waitFor([&](const Msg& m) {
    return m.type == "LINE_CALLSTATE" && m.hDevice == h0 && m.p1 == 0x2;  // OFFERING
  }));
  owner_->numbers("answer " + std::to_string(h0));
  ASSERT_TRUE(owner_->waitState(h0, kConnected));
  ASSERT_TRUE(mon1_->waitState(h1, kConnected));
  ASSERT_TRUE(mon2_->waitState(h2, kConnected));
  // The operator sees the same record by call id.
  auto live = operator_->callRecord(*callId);
  ASSERT_TRUE(live.ok());
  EXPECT_EQ(live->caller.number, "555");
  EXPECT_EQ(live->caller.name, "Alice");
  owner_->numbers("drop " + std::to_string(h0) + " 1");
  ASSERT_TRUE(owner_->waitState(h0, kIdle));
  ASSERT_TRUE(mon1_->waitState(h1, kIdle));
  ASSERT_TRUE(mon2_->waitState(h2, kIdle));
  expectSameView(h0, h1, h2);
  const std::string rec = mon2_->info(h2);
  EXPECT_NE(rec.find("\"call_id\":" + std::to_string(*callId) + ","), std::string::npos) << rec;
  EXPECT_NE(rec.find("\"direction\":\"inbound\""), std::string::npos) << rec;
  EXPECT_EQ(owner_->cmd("dealloc " + std::to_string(h0)), "ok");
  EXPECT_EQ(mon1_->cmd("dealloc " + std::to_string(h1)), "ok");
  EXPECT_EQ(mon2_->cmd("dealloc " + std::to_string(h2)), "ok");
  EXPECT_TRUE(countersReach(*operator_, {{"calls", 0}, {"handles", 0}}, 1s));
  // Released: the record is still there for operators.
  auto released = operator_->callRecord(*callId);
  ASSERT_TRUE(released.ok()) << released.error().message();
  EXPECT_TRUE(released->releasedAt.has_value());
}

TEST_F(MultiApp, KillingTheOwnerMidCallEndsItsCallAsAnAppShutdown) {
  const auto made = owner_->numbers("make sim:answer=100ms");
  ASSERT_EQ(made.size(), 2u);
  const std::uint32_t h0 = made[1];
  const std::uint32_t h1 = mon1_->adoptNewCall(0x2);
  const std::uint32_t h2 = mon2_->adoptNewCall(0x2);
  ASSERT_TRUE(owner_->waitState(h0, kConnected));
  ASSERT_TRUE(mon1_->waitState(h1, kConnected));
  ASSERT_TRUE(mon2_->waitState(h2, kConnected));
  // Connections: each client process has its app's and its runtime's control connection,
  // plus this process's operator connection.
  EXPECT_TRUE(countersReach(*operator_,
                            {{"apps", 3}, {"calls", 1}, {"handles", 3}, {"connections", 7}}, 1s));

  owner_->process().signal(SIGKILL);
  EXPECT_EQ(owner_->process().wait(10s), std::optional<int>(128 + SIGKILL));

  // The ownerless rule drops the call at once (grace 0): monitors see it go IDLE.
  ASSERT_TRUE(mon1_->waitState(h1, kIdle));
  ASSERT_TRUE(mon2_->waitState(h2, kIdle));
  EXPECT_EQ(mon1_->states(h1), mon2_->states(h2));
  const std::string rec = mon1_->info(h1);
  EXPECT_EQ(mon2_->info(h2), rec);
  EXPECT_NE(rec.find("\"origin\":\"app-shutdown\""), std::string::npos) << rec;
  EXPECT_NE(rec.find("\"app\":\"dialer\""), std::string::npos) << rec;
  EXPECT_EQ(mon1_->cmd("dealloc " + std::to_string(h1)), "ok");
  EXPECT_EQ(mon2_->cmd("dealloc " + std::to_string(h2)), "ok");
  // The owner's app, line open, handle and both connections are gone.
  EXPECT_TRUE(countersReach(*operator_,
                            {{"apps", 2}, {"openLines", 2}, {"handles", 0}, {"calls", 0},
                             {"providerCalls", 0}, {"pendingRequests", 0}, {"connections", 5}},
                            1s));
  EXPECT_EQ(mon1_->cmd("quit"), "ok");
  EXPECT_EQ(mon2_->cmd("quit"), "ok");
  EXPECT_EQ(mon1_->process().wait(10s), std::optional<int>(0));
  EXPECT_EQ(mon2_->process().wait(10s), std::optional<int>(0));
  EXPECT_TRUE(countersReach(*operator_,
                            {{"apps", 0}, {"openLines", 0}, {"handles", 0}, {"calls", 0},
                             {"connections", 1}},
                            1s));
}

}  // namespace
}  // namespace tapi::testing
