// tapictl's command table and argument helpers, without a server.

#include <gtest/gtest.h>

#include <set>
#include <sstream>

#include "commands.hpp"

namespace tapictl {
namespace {

using namespace std::chrono_literals;

TEST(TapictlCommands, TableHasEveryCommandWithHelpAndHandler) {
  std::set<std::string> names;
  for (const auto& c : commands()) {
    EXPECT_FALSE(c.help.empty()) << c.name;
    EXPECT_TRUE(static_cast<bool>(c.handler)) << c.name;
    EXPECT_TRUE(names.insert(c.name).second) << "duplicate " << c.name;
    for (const auto& o : c.options) {
      EXPECT_FALSE(o.help.empty()) << c.name << " --" << o.name;
    }
  }
  for (const char* required : {"lines", "calls", "call", "answer", "drop", "dealloc", "info",
                               "watch", "stats", "autoanswer"}) {
    EXPECT_TRUE(names.contains(required)) << required;
  }
}

TEST(TapictlCommands, ParsesDurationsAndModes) {
  EXPECT_EQ(parseDuration("500ms"), 500ms);
  EXPECT_EQ(parseDuration("3s"), 3000ms);
  EXPECT_EQ(parseDuration("1.5s"), 1500ms);
  EXPECT_EQ(parseDuration("2"), 2000ms);
  EXPECT_EQ(parseDuration("2m"), 120000ms);
  EXPECT_FALSE(parseDuration("").has_value());
  EXPECT_FALSE(parseDuration("s").has_value());
  EXPECT_FALSE(parseDuration("3 s").has_value());
  EXPECT_FALSE(parseDuration("3x").has_value());
  EXPECT_EQ(parseMode("NORMAL"), tapi::disconnect::Normal);
  EXPECT_EQ(parseMode("busy"), tapi::disconnect::Busy);
  EXPECT_EQ(parseMode("LINEDISCONNECTMODE_REJECT"), tapi::disconnect::Reject);
  EXPECT_EQ(parseMode("0x20"), tapi::disconnect::Busy);
  EXPECT_EQ(parseMode("64"), tapi::disconnect::NoAnswer);
  EXPECT_FALSE(parseMode("0").has_value());
  EXPECT_FALSE(parseMode("SOMETIMES").has_value());
  EXPECT_EQ(resolveToken("unix:/x.sock", ""), "");
  EXPECT_EQ(resolveToken("tcp://h:1", "given"), "given");
}

TEST(TapictlCommands, HandlersWorkOverAnEmbeddedRuntimeAndExplainHandleLimits) {
  Context ctx;
  std::ostringstream out;
  std::ostringstream err;
  ctx.out = &out;
  ctx.err = &err;
  ctx.json = true;
  ctx.runtime = tapi::Runtime::embedded(tapi::EngineOptions{.simulatedClock = true});
  auto run = [&](const std::string& name, Args a = {}) {
    for (const auto& c : commands()) {
      if (c.name == name) {
        return c.handler(ctx, a);
      }
    }
    return -1;
  };
  EXPECT_EQ(run("lines"), kOk);
  EXPECT_NE(out.str().find("\"name\":\"sim/0\""), std::string::npos) << out.str();
  out.str("");
  EXPECT_EQ(run("stats"), kOk);
  EXPECT_NE(out.str().find("\"apps\":0"), std::string::npos) << out.str();
  out.str("");
  EXPECT_EQ(run("calls"), kOk);
  EXPECT_EQ(out.str(), "[]\n");
  EXPECT_EQ(run("dealloc", Args{{{"HANDLE", "5"}}, {}}), kUsage);
  EXPECT_NE(err.str().find("belongs to the application"), std::string::npos);
  EXPECT_EQ(run("info", Args{{{"CALLID", "x"}}, {}}), kUsage);
  EXPECT_EQ(run("info", Args{{{"CALLID", "77"}}, {}}), kFailed);
  EXPECT_EQ(run("autoanswer", Args{{{"after", "soon"}}, {}}), kUsage);
  EXPECT_EQ(run("drop", Args{{{"CALLID", "1"}, {"mode", "SOMETIMES"}}, {}}), kUsage);
}

}  // namespace
}  // namespace tapictl
