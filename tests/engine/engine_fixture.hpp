#pragma once
// A simulated loop + simulated network + engine, with helpers to drive apps and read
// their messages.

#include <gtest/gtest.h>

#include <memory>
#include <string>
#include <vector>

#include "base/sim_loop.hpp"
#include "engine/engine.hpp"
#include "providers/sim/sim_provider.hpp"

namespace tapi::testing {

using namespace std::chrono_literals;

inline std::string describe(const Message& m) {
  std::string s = toString(m.type);
  switch (m.type) {
    case MessageType::CallState:
      s += std::string("(") + toString(static_cast<CallState>(m.param1));
      if (m.param1 == static_cast<std::uint32_t>(CallState::Disconnected)) {
        s += "," + disconnectModeName(m.param2);
      }
      if (m.param3 != 0) {
        s += std::string(",") + toString(static_cast<Privilege>(m.param3));
      }
      s += ")";
      break;
    case MessageType::Reply:
      s += m.param2 == 0 ? "(ok)" : std::string("(") +
                                        lineErrName(static_cast<LineErr>(m.param2)) + ")";
      break;
    case MessageType::AppNewCall:
      s += std::string("(") + toString(static_cast<Privilege>(m.param3)) + ")";
      break;
    case MessageType::CallInfo:
    case MessageType::Close:
      break;
  }
  return s;
}

class EngineFixture : public ::testing::Test {
 protected:
  explicit EngineFixture(engine::Config config = {}) { rebuild(std::move(config)); }

  void rebuild(engine::Config config) {
    engine_.reset();
    sim_.reset();
    sim_ = std::make_unique<providers::sim::SimProvider>(
        loop_, std::vector<providers::sim::LineConfig>{{"sim/0", "100"}, {"sim/1", "101"}});
    config.onCallReleased = [this](const CallRecord& r) { released_.push_back(r); };
    config.onCallIdle = [this](const CallRecord& r) { idled_.push_back(r); };
    config.log = [this](const std::string& l) { logLines_.push_back(l); };
    engine_ = std::make_unique<engine::Engine>(loop_, *sim_, std::move(config));
  }

  std::uint32_t initApp(const std::string& name, std::uint32_t version = kApiVersion22) {
    auto r = engine_->initialize(engine::AppParams{name, version, 0, {}});
    EXPECT_TRUE(r.ok());
    return *r;
  }

  std::uint32_t openLine(std::uint32_t app, Privilege priv, std::uint32_t device = 0,
                         std::uint32_t version = 0) {
    engine::LineOpenParams p;
    p.deviceId = device;
    p.privileges = static_cast<std::uint32_t>(priv);
    p.mediaModes = 0x4;  // LINEMEDIAMODE_INTERACTIVEVOICE
    p.apiVersion = version;
    auto r = engine_->open(app, p);
    EXPECT_TRUE(r.ok()) << r.error().message();
    return r.ok() ? *r : 0;
  }

  /** Runs the loop without moving time. */
  void settle() { loop_.runUntilIdle(); }
  void advance(base::Duration d) { loop_.advance(d); }

  std::vector<Message> drain(std::uint32_t app) {
    std::vector<Message> out;
    for (;;) {
      auto m = engine_->getMessage(app);
      if (!m.ok() || !m->has_value()) {
        return out;
      }
      out.push_back(**m);
    }
  }
  std::vector<std::string> drainText(std::uint32_t app) {
    std::vector<std::string> out;
    for (const auto& m : drain(app)) {
      out.push_back(describe(m));
    }
    return out;
  }

  /** The hCall announced to `app` by LINE_APPNEWCALL among `msgs`. */
  static std::uint32_t newCallHandle(const std::vector<Message>& msgs) {
    for (const auto& m : msgs) {
      if (m.type == MessageType::AppNewCall) {
        return m.param2;
      }
    }
    return 0;
  }

  void expectAllZero() {
    settle();
    const EngineStats s = engine_->stats();
    EXPECT_EQ(s.apps, 0u);
    EXPECT_EQ(s.openLines, 0u);
    EXPECT_EQ(s.handles, 0u);
    EXPECT_EQ(s.calls, 0u);
    EXPECT_EQ(s.providerCalls, 0u);
    EXPECT_EQ(s.pendingRequests, 0u);
    EXPECT_EQ(s.providerPendingRequests, 0u);
    EXPECT_EQ(s.queuedEvents, 0u);
    EXPECT_EQ(s.timers, 0u);
    EXPECT_TRUE(engine_->leakReport().empty());
    EXPECT_EQ(sim_->log().closeCallsUnknown, 0u);
  }

  base::SimLoop loop_;
  std::unique_ptr<providers::sim::SimProvider> sim_;
  std::unique_ptr<engine::Engine> engine_;
  std::vector<CallRecord> released_;
  std::vector<CallRecord> idled_;
  std::vector<std::string> logLines_;
};

}  // namespace tapi::testing
