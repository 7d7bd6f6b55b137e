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
  EXPECT_EQ(c.fdReserve, d.fdReserve);
  EXPECT_EQ(c.maxClients, d.maxClients);
  EXPECT_EQ(c.sip.tcpIdleTimeoutS, 120u);
  EXPECT_EQ(c.sip.tcpIdleTimeoutS, d.sip.tcpIdleTimeoutS);
  EXPECT_EQ(c.sip.tcpMaxConnections, d.sip.tcpMaxConnections);
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

TEST(ServerConfig, DescriptorAndTcpSettings) {
  const ServerConfig c = parsed(
      "fd_reserve = 40\n[api]\nmax_clients = 50\n"
      "[lines.sip]\nt1_ms = 100\ntcp_idle_timeout_s = 7\ntcp_max_connections = 300\n");
  EXPECT_EQ(c.fdReserve, 40u);
  EXPECT_EQ(c.maxClients, 50u);
  EXPECT_EQ(c.sip.tcpIdleTimeoutS, 7u);  // 64*T1 = 6.4 s
  EXPECT_EQ(c.sip.tcpMaxConnections, 300u);
  EXPECT_EQ(parsed("[lines.sip]\ntcp_idle_timeout_s = 0\n").sip.tcpIdleTimeoutS, 0u);
  EXPECT_EQ(parsed("[lines.sip]\ntcp_idle_timeout_s = 32\n").sip.tcpIdleTimeoutS, 32u);
}

TEST(ServerConfig, TcpIdleTimeoutBelow64T1IsRefused) {
  // With the default T1 (500 ms) a non-INVITE transaction may wait up to 32 s.
  const std::string e = refused("[lines.sip]\ntcp_idle_timeout_s = 31\n");
  EXPECT_NE(e.find("lines.sip.tcp_idle_timeout_s"), std::string::npos) << e;
  EXPECT_NE(e.find("at least 64*T1 = 32 s"), std::string::npos) << e;
  EXPECT_NE(refused("[lines.sip]\nt1_ms = 1000\ntcp_idle_timeout_s = 60\n").find("64 s"),
            std::string::npos);
  EXPECT_NE(refused("[lines.sip]\ntcp_idle_timeout_s = -1\n").find("tcp_idle_timeout_s"),
            std::string::npos);
  EXPECT_NE(refused("[lines.sip]\ntcp_idle_timeout_s = \"2m\"\n").find("expected an integer"),
            std::string::npos);
  EXPECT_NE(refused("[api]\nmax_clients = 0\n").find("api.max_clients"), std::string::npos);
  EXPECT_NE(refused("[lines.sip]\ntcp_max_connections = 0\n").find("tcp_max_connections"),
            std::string::npos);
}

TEST(ServerConfig, Refusals) {
  EXPECT_NE(refused("[api]\ntcp_listn = \"x\"\n").find("api.tcp_listn: unknown setting"),
            std::string::npos);
  EXPECT_NE(refused("[lines.sim]\ncount = \"two\"\n").find("lines.sim.count"), std::string::npos);
  EXPECT_NE(refused("[lines.sim]\ncount = -1\n").find("lines.sim.count"), std::string::npos);
  EXPECT_NE(refused("[api.tls]\ncert = \"a.pem\"\n").find("api.tls"), std::string::npos);
  EXPECT_NE(
      refused("[lines.sip]\nrtp_first_port = 3000\nrtp_last_port = 3000\n").find("rtp_last_port"),
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
