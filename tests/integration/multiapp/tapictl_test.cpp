// tapictl against a tapid process: autoanswer serves an inbound call, `call --hangup-after`
// places one and prints its record, `info`, `stats` and `calls` read the server, and the
// handle-bound commands explain themselves.

#include <gtest/gtest.h>

#include "tapid_fixture.hpp"

namespace tapi::testing {
namespace {

using namespace std::chrono_literals;

class Tapictl : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_FALSE(envOr("TAPICTL").empty()) << "TAPICTL not set";
    ASSERT_TRUE(tapid_.ready());
  }

  std::unique_ptr<Process> start(std::vector<std::string> args) {
    args.insert(args.begin(), {envOr("TAPICTL"), "--server", tapid_.unixAddress()});
    return std::make_unique<Process>(args, false);
  }

  /** Runs to completion: (exit status, output). */
  std::pair<std::optional<int>, std::string> run(std::vector<std::string> args) {
    auto p = start(std::move(args));
    p->closeStdin();
    std::string out;
    while (auto line = p->readLine(30s)) {
      out += *line + "\n";
    }
    return {p->wait(30s), out};
  }

  Tapid tapid_;
};

TEST_F(Tapictl, AutoanswerServesAnInboundCallAndCallPrintsItsRecord) {
  auto aa = start({"--json", "autoanswer", "--line", "0", "--hangup-after", "200ms", "--count", "1"});
  auto ready = aa->readLine(30s);
  ASSERT_TRUE(ready.has_value());
  EXPECT_NE(ready->find("\"event\":\"ready\""), std::string::npos) << *ready;

  auto [rc, out] = run({"--json", "inbound", "--line", "0", "--caller", "555"});
  ASSERT_EQ(rc, std::optional<int>(0)) << out;
  ASSERT_TRUE(out.starts_with("{\"callId\":")) << out;
  const std::string callId = out.substr(10, out.find('}') - 10);

  auto record = aa->readUntil("\"call_id\":" + callId + ",", 30s);
  ASSERT_TRUE(record.has_value()) << aa->transcript();
  EXPECT_NE(record->find("\"origin\":\"local\""), std::string::npos) << *record;
  EXPECT_NE(record->find("\"app\":\"tapictl-autoanswer\""), std::string::npos) << *record;
  EXPECT_EQ(record->find("\"connected_at\":null"), std::string::npos) << *record;
  EXPECT_EQ(aa->wait(30s), std::optional<int>(0));

  auto [irc, info] = run({"info", callId});
  EXPECT_EQ(irc, std::optional<int>(0)) << info;
  EXPECT_NE(info.find("\"call_id\":" + callId + ","), std::string::npos) << info;

  auto [crc, call] = run({"--json", "call", "sim:answer=100ms", "--hangup-after", "100ms"});
  EXPECT_EQ(crc, std::optional<int>(0)) << call;
  EXPECT_NE(call.find("\"event\":\"placed\""), std::string::npos) << call;
  EXPECT_NE(call.find("\"direction\":\"outbound\""), std::string::npos) << call;
  EXPECT_NE(call.find("\"origin\":\"local\""), std::string::npos) << call;

  auto [src, stats] = run({"--json", "stats"});
  EXPECT_EQ(src, std::optional<int>(0)) << stats;
  EXPECT_NE(stats.find("\"calls\":0"), std::string::npos) << stats;
  EXPECT_NE(stats.find("\"apps\":0"), std::string::npos) << stats;

  auto [lrc, lines] = run({"lines"});
  EXPECT_EQ(lrc, std::optional<int>(0));
  EXPECT_NE(lines.find("sim/0"), std::string::npos) << lines;
}

TEST_F(Tapictl, RejectsWithAModeAndExplainsHandles) {
  auto aa = start({"--json", "autoanswer", "--reject", "BUSY", "--count", "1"});
  ASSERT_TRUE(aa->readLine(30s).has_value());
  auto [rc, out] = run({"--json", "inbound"});
  ASSERT_EQ(rc, std::optional<int>(0)) << out;
  auto record = aa->readUntil("\"call_id\"", 30s);
  ASSERT_TRUE(record.has_value()) << aa->transcript();
  EXPECT_NE(record->find("\"disconnect_mode\":\"BUSY\""), std::string::npos) << *record;
  EXPECT_EQ(aa->wait(30s), std::optional<int>(0));

  auto [drc, dout] = run({"dealloc", "1"});
  EXPECT_EQ(drc, std::optional<int>(2));
  Process bad({envOr("TAPICTL"), "--server", "nonsense", "stats"}, true);
  bad.closeStdin();
  auto why = bad.readLine(30s);
  EXPECT_EQ(bad.wait(30s), std::optional<int>(3));
  ASSERT_TRUE(why.has_value());
  EXPECT_NE(why->find("expected unix:PATH or tcp://HOST:PORT"), std::string::npos) << *why;
}

}  // namespace
}  // namespace tapi::testing
