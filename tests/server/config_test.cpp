// tapid's TOML configuration: the documented default text, overrides, and refusals.

#include <gtest/gtest.h>

#include <string>
#include <variant>

#include "server/config.hpp"

namespace tapi::server {
namespace {

ServerConfig parsed(std::string_view text) {
  auto r = parseConfig(text, "test.toml");
  if (auto* e = std::get_if<std::string>(&r)) {
    ADD_FAILURE() << *e;
    return {};
  }
  return std::get<ServerConfig>(r);
}

std::string refused(std::string_view text) {
  auto r = parseConfig(text, "test.toml");
  EXPECT_TRUE(std::holds_alternative<std::string>(r)) << text;
  return std::holds_alternative<std::string>(r) ? std::get<std::string>(r) : "";
}

TEST(ServerConfig, DefaultTextMatchesDefaults) {
  const ServerConfig d;
  const ServerConfig c = parsed(defaultConfigToml());
  EXPECT_EQ(c.varDir, d.varDir);
  EXPECT_EQ(c.unixSocket, "./var/tapid.sock");
  EXPECT_EQ(c.unixSocketMode, 0660u);
  EXPECT_EQ(c.tcpListen, "127.0.0.1:8720");
  EXPECT_EQ(c.token, "");
  EXPECT_EQ(c.tokenFile, d.tokenFile);
  EXPECT_EQ(c.limits.maxFrameBytes, 65536u);
  EXPECT_EQ(c.limits.maxRequestsInFlight, 64u);
  EXPECT_EQ(c.limits.maxPendingBytes, 1048576u);
  EXPECT_EQ(c.sim.count, 2u);
  EXPECT_EQ(c.sim.namePrefix, "sim/");
  EXPECT_FALSE(c.sip.enabled);
  EXPECT_EQ(c.callsJsonl, "./var/calls.jsonl");
  EXPECT_EQ(c.shutdownGraceMs, d.shutdownGraceMs);
  EXPECT_EQ(c.ownerlessGraceMs, d.ownerlessGraceMs);
  EXPECT_EQ(c.keepRecords, d.keepRecords);
}

TEST(ServerConfig, EmptyFileIsTheDefaults) {
  const ServerConfig c = parsed("");
  EXPECT_EQ(c.tcpListen, "127.0.0.1:8720");
  EXPECT_EQ(c.sim.count, 2u);
}

TEST(ServerConfig, Overrides) {
  const ServerConfig c = parsed(R"(
var_dir = "/tmp/x"
[api]
tcp_listen = "127.0.0.1:0"
token = "secret"
[api.limits]
max_frame_bytes = 1024
[engine]
no_answer_timeout_ms = 20000
[lines.sim]
count = 5
)");
  EXPECT_EQ(c.varDir, "/tmp/x");
  EXPECT_EQ(c.tcpListen, "127.0.0.1:0");
  EXPECT_EQ(c.token, "secret");
  EXPECT_EQ(c.limits.maxFrameBytes, 1024u);
  EXPECT_EQ(c.noAnswerTimeoutMs, 20000);
  EXPECT_EQ(c.sim.count, 5u);
  // Files not named explicitly follow var_dir.
  EXPECT_EQ(c.unixSocket, "/tmp/x/tapid.sock");
  EXPECT_EQ(c.tokenFile, "/tmp/x/tapid.token");
  EXPECT_EQ(c.callsJsonl, "/tmp/x/calls.jsonl");
  EXPECT_EQ(parsed("var_dir = \"v\"\n[cdr]\ncalls_jsonl = \"\"\n").callsJsonl, "");
}

TEST(ServerConfig, SipLines) {
  const ServerConfig c = parsed(
      "[lines.sip]\nenabled = true\nlisten_udp = \"127.0.0.1:5070\"\nlisten_tcp = \"\"\n"
      "[[lines.sip.line]]\nuser = \"alice\"\ndomain = \"192.0.2.1\"\npassword = \"s\"\n"
      "registrar = \"sip:192.0.2.1\"\nreject_status = 486\n"
      "[[lines.sip.line]]\nuser = \"bob\"\ndomain = \"192.0.2.1\"\ntransport = \"tcp\"\n");
  EXPECT_TRUE(c.sip.enabled);
  EXPECT_EQ(c.sip.listenUdp, "127.0.0.1:5070");
  EXPECT_EQ(c.sip.listenTcp, "");
  ASSERT_EQ(c.sip.lines.size(), 2u);
  EXPECT_EQ(c.sip.lines[0].user, "alice");
  EXPECT_EQ(c.sip.lines[0].password, "s");
  EXPECT_EQ(c.sip.lines[0].registrar, "sip:192.0.2.1");
  EXPECT_EQ(c.sip.lines[0].rejectStatus, 486);
  EXPECT_EQ(c.sip.lines[1].transport, "tcp");
}

TEST(ServerConfig, Refusals) {
  EXPECT_NE(refused("[api]\ntcp_listn = \"x\"\n").find("api.tcp_listn: unknown setting"),
            std::string::npos);
  EXPECT_NE(refused("[lines.sim]\ncount = \"two\"\n").find("lines.sim.count"), std::string::npos);
  EXPECT_NE(refused("[lines.sim]\ncount = -1\n").find("lines.sim.count"), std::string::npos);
  EXPECT_NE(refused("[api.tls]\ncert = \"a.pem\"\n").find("api.tls"), std::string::npos);
  EXPECT_NE(refused("[lines.sip]\nrtp_first_port = 3000\nrtp_last_port = 3000\n").find("rtp_last_port"),
            std::string::npos);
  EXPECT_NE(refused("[[lines.sip.line]]\nuser = \"a\"\n").find("lines.sip.line[0].user and domain"),
            std::string::npos);
  EXPECT_NE(refused("[[lines.sip.line]]\nuser = \"a\"\ndomain = \"h\"\npasword = \"x\"\n")
                .find("lines.sip.line[0].pasword: unknown setting"),
            std::string::npos);
  EXPECT_NE(refused("[[lines.sip.line]]\nuser = \"a\"\ndomain = \"h\"\ntransport = \"tls\"\n")
                .find("transport"),
            std::string::npos);
  EXPECT_NE(refused("[api]\nunix_socket = \"\"\ntcp_listen = \"\"\n").find("both listeners"),
            std::string::npos);
  EXPECT_NE(refused("this is = = not toml").find("test.toml:1"), std::string::npos);
}

}  // namespace
}  // namespace tapi::server
