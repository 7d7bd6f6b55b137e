#pragma once
// A SIP line under test: the engine and the SIP provider on a real Asio loop driven by
// the test thread, one application with the line open, and SIPp as the far end. Every wait
// runs the loop until a condition holds or a bound passes; nothing sleeps to synchronise.

#include <gtest/gtest.h>

#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <sstream>
#include <string>
#include <tuple>
#include <vector>

#include "base/asio_loop.hpp"
#include "engine/engine.hpp"
#include "integration/multiapp/process.hpp"
#include "providers/sip/sip_provider.hpp"

namespace tapi::testing {

/** A free port on 127.0.0.1 for `type` (SOCK_DGRAM/SOCK_STREAM); the OS picks it. */
inline std::uint16_t freePort(int type) {
  const int fd = socket(AF_INET, type, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  a.sin_port = 0;
  (void)bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a);
  socklen_t len = sizeof a;
  (void)getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len);
  close(fd);
  return ntohs(a.sin_port);
}

/** Waits (bounded) until something accepts TCP connections on 127.0.0.1:port. */
inline bool waitTcpListening(std::uint16_t port,
                             std::chrono::milliseconds bound = std::chrono::seconds(10)) {
  const auto deadline = std::chrono::steady_clock::now() + bound;
  while (std::chrono::steady_clock::now() < deadline) {
    const int fd = socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    a.sin_port = htons(port);
    const bool ok = connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0;
    close(fd);
    if (ok) {
      return true;
    }
    // A refused connect returns at once; wait on nothing for a short bounded interval.
    pollfd none{-1, 0, 0};
    (void)poll(&none, 0, 20);
  }
  return false;
}

/** One SIPp run: a scenario file against (or from) the line. */
class Sipp {
 public:
  /**
   * @param scenario file name under the scenarios folder
   * @param tcp use TCP (-t t1) instead of UDP (-t u1)
   * @param remote "127.0.0.1:port" to send to, or empty for a UAS that waits
   * @param extra more command-line arguments
   * @param fill @NAME@ placeholders of the scenario and their text, for what SIPp cannot take
   *        from -key (response codes to expect, regular expressions); the filled copy is a
   *        temporary file removed with this object
   */
  Sipp(const std::string& scenario, bool tcp, std::uint16_t localPort, const std::string& remote,
       std::vector<std::string> extra = {}, const std::map<std::string, std::string>& fill = {})
      : port_(localPort) {
    std::string path = std::string(OPENTAPI_SIPP_SCENARIOS) + "/" + scenario;
    if (!fill.empty()) {
      path = filled(path, fill);
    }
    std::vector<std::string> argv{"/usr/bin/sipp",
                                  "-sf",
                                  path,
                                  "-i",
                                  "127.0.0.1",
                                  "-p",
                                  std::to_string(localPort),
                                  "-t",
                                  tcp ? "t1" : "u1",
                                  "-m",
                                  "1",
                                  "-nostdin",
                                  "-timeout",
                                  "40s",
                                  "-timeout_error",
                                  "-trace_err",
                                  "-error_file",
                                  "/dev/stderr"};
    for (auto& e : extra) {
      argv.push_back(std::move(e));
    }
    if (!remote.empty()) {
      argv.push_back(remote);
    }
    proc_ = std::make_unique<Process>(argv, true);
    proc_->drainInBackground();
  }

  /** The exit status once SIPp has exited (0: the scenario passed). */
  std::optional<int> exitStatus() {
    if (!status_) {
      status_ = proc_->wait(std::chrono::milliseconds(0));
    }
    return status_;
  }
  std::string transcript() { return proc_->transcript(); }
  /** The port SIPp listens on. */
  std::uint16_t port() const { return port_; }

  ~Sipp() {
    proc_.reset();
    if (!filledPath_.empty()) {
      std::remove(filledPath_.c_str());
    }
  }
  Sipp(const Sipp&) = delete;
  Sipp& operator=(const Sipp&) = delete;

 private:
  std::string filled(const std::string& path, const std::map<std::string, std::string>& fill) {
    std::ifstream in(path);
    std::stringstream text;
    text << in.rdbuf();
    std::string body = text.str();
    for (const auto& [name, value] : fill) {
      const std::string key = "@" + name + "@";
      for (auto at = body.find(key); at != std::string::npos; at = body.find(key, at)) {
        body.replace(at, key.size(), value);
        at += value.size();
      }
    }
    // An unfilled placeholder would make SIPp expect a literal "@NAME@".
    for (auto at = body.find('@'); at != std::string::npos; at = body.find('@', at + 1)) {
      const auto end = body.find_first_not_of("ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_", at + 1);
      if (end != std::string::npos && end > at + 1 && body[end] == '@') {
        ADD_FAILURE() << path << ": " << body.substr(at, end - at + 1) << " is not filled";
        break;
      }
    }
    char name[] = "/tmp/opentapi-sipp-XXXXXX.xml";
    const int fd = mkstemps(name, 4);
    if (fd < 0) {
      ADD_FAILURE() << "cannot create a scenario file";
      return path;
    }
    const char* p = body.data();
    std::size_t left = body.size();
    while (left > 0) {
      const ssize_t n = ::write(fd, p, left);
      if (n <= 0) {
        break;
      }
      p += n;
      left -= static_cast<std::size_t>(n);
    }
    close(fd);
    filledPath_ = name;
    return filledPath_;
  }

  std::uint16_t port_;
  std::unique_ptr<Process> proc_;
  std::optional<int> status_;
  std::string filledPath_;
};

/** The line the fixture opens unless told otherwise: alice@127.0.0.1 over UDP or TCP. */
inline providers::sip::SipLineConfig aliceLine(bool tcp) {
  providers::sip::SipLineConfig l;
  l.name = "sip/alice";
  l.user = "alice";
  l.domain = "127.0.0.1";
  l.transport = tcp ? "tcp" : "udp";
  return l;
}

/** The engine, the SIP provider and one app with the SIP line open. */
class SipLineFixture {
 public:
  explicit SipLineFixture(std::vector<providers::sip::SipLineConfig> lines = {},
                          bool tcpOutbound = false, engine::Config engineConfig = {}) {
    providers::sip::SipProviderConfig cfg;
    cfg.listenUdp = "127.0.0.1:0";
    cfg.listenTcp = "127.0.0.1:0";
    cfg.rtpFirstPort = 31000;
    cfg.rtpLastPort = 31999;
    // Short timers keep "everything released" waits short; SIPp keeps its own T1.
    cfg.timers.t1 = std::chrono::milliseconds(100);
    cfg.timers.t2 = std::chrono::milliseconds(400);
    cfg.timers.t4 = std::chrono::milliseconds(500);
    cfg.timers.timerD = std::chrono::milliseconds(500);
    // Longer than 64*T1: a connection must outlive an unACKed 2xx (the line's BYE after
    // 64*T1 goes over it). SIPp closing its end at exit closes ours at once anyway.
    cfg.tcpIdleTimeout = std::chrono::milliseconds(8000);
    if (lines.empty()) {
      lines.push_back(aliceLine(tcpOutbound));
    }
    cfg.lines = std::move(lines);
    auto p = providers::sip::SipProvider::create(loop, loop.context(), cfg);
    if (!p) {
      ADD_FAILURE() << "provider: " << p.error().message();
      std::abort();
    }
    provider = std::move(*p);
    eng = std::make_unique<engine::Engine>(loop, *provider, engineConfig);
    auto app = eng->initialize({"sipp-test", kApiVersion22, 0, {}});
    hApp = *app;
    engine::LineOpenParams op;
    op.deviceId = 0;
    op.privileges = static_cast<std::uint32_t>(Privilege::Owner);
    op.mediaModes = 0x4;
    auto line = eng->open(hApp, op);
    hLine = *line;
  }

  ~SipLineFixture() {
    eng.reset();
    provider.reset();
    // Let cancelled timers and closed sockets finish their handlers.
    loop.context().poll();
  }

  std::uint16_t udpPort() const { return provider->udpEndpoint()->port; }
  std::uint16_t tcpPort() const { return provider->tcpEndpoint()->port; }

  /** Runs the loop until `pred` holds; false after `bound`. Messages are collected meanwhile. */
  bool runUntil(const std::function<bool()>& pred,
                std::chrono::milliseconds bound = std::chrono::seconds(20)) {
    const auto deadline = std::chrono::steady_clock::now() + bound;
    for (;;) {
      collect();
      if (pred()) {
        return true;
      }
      if (std::chrono::steady_clock::now() >= deadline) {
        return false;
      }
      loop.context().run_one_for(std::chrono::milliseconds(10));
    }
  }

  void collect() {
    for (;;) {
      auto m = eng->getMessage(hApp);
      if (!m || !m->has_value()) {
        return;
      }
      messages.push_back(**m);
    }
  }

  /** The first LINE_CALLSTATE with `state` for hCall (any call when hCall is 0), if seen. */
  std::optional<Message> stateSeen(CallState state, std::uint32_t hCall = 0) const {
    for (const auto& m : messages) {
      if (m.type == MessageType::CallState && m.param1 == static_cast<std::uint32_t>(state) &&
          (hCall == 0 || m.hDevice == hCall)) {
        return m;
      }
    }
    return std::nullopt;
  }

  /** Waits for a state; the message (hDevice is the call handle). */
  std::optional<Message> waitState(CallState state, std::uint32_t hCall = 0,
                                   std::chrono::milliseconds bound = std::chrono::seconds(20)) {
    std::optional<Message> out;
    runUntil(
        [&] {
          out = stateSeen(state, hCall);
          return out.has_value();
        },
        bound);
    return out;
  }

  /** The LINE_REPLY for request `id`: its result (0 = success), if seen. */
  std::optional<std::uint32_t> reply(spi::RequestId id) const {
    for (const auto& m : messages) {
      if (m.type == MessageType::Reply && m.param1 == id) {
        return m.param2;
      }
    }
    return std::nullopt;
  }
  bool waitReply(spi::RequestId id) {
    return runUntil([&] { return reply(id).has_value(); });
  }

  /** Waits for SIPp to exit; its status. */
  std::optional<int> waitSipp(Sipp& s, std::chrono::milliseconds bound = std::chrono::seconds(45)) {
    runUntil([&] { return s.exitStatus().has_value(); }, bound);
    return s.exitStatus();
  }

  /** Shuts the app down and waits until the engine, provider and stack hold nothing. */
  bool releasedEverything(std::chrono::milliseconds bound = std::chrono::seconds(20)) {
    if (hApp != 0) {
      (void)eng->shutdown(hApp);
      hApp = 0;
    }
    return runUntil(
        [&] {
          const auto es = eng->stats();
          const auto ps = provider->sipStats();
          return es.allZero() && ps.allZero() && ps.connections == 0;
        },
        bound);
  }

  /** Every LINE_CALLSTATE state hCall went through, in order. */
  std::vector<CallState> states(std::uint32_t hCall) const {
    std::vector<CallState> out;
    for (const auto& m : messages) {
      if (m.type == MessageType::CallState && m.hDevice == hCall) {
        out.push_back(static_cast<CallState>(m.param1));
      }
    }
    return out;
  }
  std::string statesText(std::uint32_t hCall) const {
    std::string out;
    for (CallState st : states(hCall)) {
      out += out.empty() ? "" : " ";
      out += toString(st);
    }
    return out;
  }
  /** How many LINE_CALLSTATE messages with `state` hCall got. */
  std::size_t count(CallState state, std::uint32_t hCall) const {
    std::size_t n = 0;
    for (CallState st : states(hCall)) {
      n += st == state ? 1 : 0;
    }
    return n;
  }

  /** hCall must have gone through `expected` (its LINE_CALLSTATE states, in order). */
  void expectStates(std::uint32_t hCall, const std::vector<CallState>& expected,
                    const std::string& why = {}) const {
    EXPECT_EQ(states(hCall), expected) << why << statesText(hCall);
  }

  /** No call appeared: no LINE_CALLSTATE came (`why` says what the test did instead). */
  void expectNoCalls(const std::string& why) const {
    for (const auto& m : messages) {
      EXPECT_NE(m.type, MessageType::CallState) << why;
    }
  }

  /** The call's post-connection data (empty record if the handle is gone). */
  CallRecord record(std::uint32_t hCall) const {
    auto info = eng->callInfo(hApp, hCall);
    return info ? info->record : CallRecord{};
  }

  /**
   * lineMakeCall to `dest`, retried (bounded) while the engine refuses it, and its LINE_REPLY
   * awaited. @return the new call handle, 0 on failure.
   */
  std::uint32_t makeCall(const std::string& dest) {
    std::optional<engine::MakeCallResult> mc;
    if (!runUntil([&] {
          auto r = eng->makeCall(hApp, hLine, dest);
          if (!r) {
            return false;
          }
          mc = *r;
          return true;
        })) {
      ADD_FAILURE() << "makeCall " << dest << " never accepted";
      return 0;
    }
    if (!waitReply(mc->requestId) || *reply(mc->requestId) != 0) {
      ADD_FAILURE() << "makeCall " << dest << " failed";
      return 0;
    }
    return mc->hCall;
  }

  /** lineDrop and its LINE_REPLY; true when the reply is success. */
  bool drop(std::uint32_t hCall, std::uint32_t mode = 0, const std::string& uui = {}) {
    auto rid = eng->drop(hApp, hCall, mode, uui);
    if (!rid) {
      ADD_FAILURE() << "drop refused: " << rid.error().message();
      return false;
    }
    return waitReply(*rid) && *reply(*rid) == 0;
  }

  /**
   * Waits for DISCONNECTED with `mode`, which the call record must hold too. @return the
   * record, nothing on a timeout (a test failure).
   */
  std::optional<CallRecord> disconnected(std::uint32_t hCall, std::uint32_t mode, Sipp& sipp) {
    auto disc = waitState(CallState::Disconnected, hCall);
    EXPECT_TRUE(disc) << statesText(hCall) << "\n" << statsText() << "\n" << sipp.transcript();
    if (!disc) {
      return std::nullopt;
    }
    EXPECT_EQ(disc->param2, mode) << disconnectModeName(disc->param2);
    CallRecord r = record(hCall);
    EXPECT_EQ(r.disconnectMode, mode) << disconnectModeName(r.disconnectMode);
    return r;
  }

  /** lineDrop(mode, uui) succeeds and the call goes IDLE, having gone through `expected`. */
  void dropToIdle(std::uint32_t hCall, const std::vector<CallState>& expected,
                  std::uint32_t mode = 0, const std::string& uui = {}) {
    ASSERT_TRUE(drop(hCall, mode, uui));
    ASSERT_TRUE(waitState(CallState::Idle, hCall)) << statesText(hCall);
    expectStates(hCall, expected);
  }

  /**
   * The end of a test: the app deallocates the call, SIPp's scenario passed (SIPp checked
   * what the line sent), and the engine, the provider and the SIP stack hold nothing.
   */
  void deallocateThenAllReleased(std::uint32_t hCall, Sipp& sipp) {
    ASSERT_TRUE(eng->deallocate(hApp, hCall));
    EXPECT_EQ(waitSipp(sipp), 0) << sipp.transcript();
    EXPECT_TRUE(releasedEverything()) << statsText();
  }

  std::string statsText() const {
    const auto es = eng->stats();
    const auto ps = provider->sipStats();
    return "engine: apps=" + std::to_string(es.apps) + " lines=" + std::to_string(es.openLines) +
           " handles=" + std::to_string(es.handles) + " calls=" + std::to_string(es.calls) +
           " timers=" + std::to_string(es.timers) + " | sip: calls=" + std::to_string(ps.calls) +
           " pending=" + std::to_string(ps.pendingRequests) +
           " sessions=" + std::to_string(ps.sessions) + " dialogs=" + std::to_string(ps.dialogs) +
           " transactions=" + std::to_string(ps.transactions) +
           " timers=" + std::to_string(ps.timers) +
           " connections=" + std::to_string(ps.connections) +
           " rtp=" + std::to_string(ps.rtpPorts) + " ood=" + std::to_string(ps.outOfDialog);
  }

  base::AsioLoop loop;
  std::unique_ptr<providers::sip::SipProvider> provider;
  std::unique_ptr<engine::Engine> eng;
  std::uint32_t hApp = 0;
  std::uint32_t hLine = 0;
  std::vector<Message> messages;
};

/** `r` is the record of a call the far end ended with a BYE whose cause is `q850`. */
inline void expectRemoteBye(const CallRecord& r, int q850) {
  EXPECT_EQ(r.termination.origin, TerminationOrigin::Remote);
  EXPECT_EQ(r.cause.code, 0) << "a BYE has no status";
  EXPECT_EQ(r.cause.q850, q850);
  EXPECT_NE(r.cause.text.find("BYE"), std::string::npos) << r.cause.text;
  EXPECT_FALSE(r.cause.callRef.empty());
}

/** `r` is the record of a call the app ended with a BYE (Q.850 16) carrying `uui`. */
inline void expectLocalBye(const CallRecord& r, const std::string& uui) {
  EXPECT_EQ(r.termination.origin, TerminationOrigin::Local);
  EXPECT_EQ(r.uuiSent, uui);
  EXPECT_EQ(r.cause.code, 0) << "a BYE has no status";
  EXPECT_EQ(r.cause.q850, 16) << "the cause sent in the BYE";
  EXPECT_EQ(r.cause.text.rfind("BYE; Q.850;cause=16", 0), 0u) << r.cause.text;
  EXPECT_FALSE(r.cause.callRef.empty());
}

/**
 * The destination of a call to a SIPp UAS on `port`. Over UDP the INVITE's retransmissions
 * cover SIPp's start-up; over TCP this waits until SIPp accepts connections.
 */
inline std::string sippDestination(std::uint16_t port, bool tcp, Sipp& sipp,
                                   const std::string& user = "bob") {
  std::string dest = "sip:" + user + "@127.0.0.1:" + std::to_string(port);
  if (tcp) {
    EXPECT_TRUE(waitTcpListening(port)) << sipp.transcript();
    dest += ";transport=tcp";
  }
  return dest;
}

/**
 * A SIPp test run once over UDP and once over TCP: the parameter is `bool` (true = TCP), or
 * a (bool, Case) tuple for a table of cases run over both.
 */
template <typename Param>
class SippTestOver : public ::testing::TestWithParam<Param> {
 protected:
  bool tcp() const { return tcpOf(this->GetParam()); }
  int sockType() const { return tcp() ? SOCK_STREAM : SOCK_DGRAM; }
  /** Where SIPp as a UAC sends: the line's listening address for this transport. */
  std::string remote(const SipLineFixture& f) const {
    return "127.0.0.1:" + std::to_string(tcp() ? f.tcpPort() : f.udpPort());
  }
  /** The destination of a call to SIPp as a UAS. */
  std::string destination(Sipp& sipp) const { return sippDestination(sipp.port(), tcp(), sipp); }

 private:
  static bool tcpOf(bool p) { return p; }
  template <typename Case>
  static bool tcpOf(const std::tuple<bool, Case>& p) {
    return std::get<0>(p);
  }
};

using SippTest = SippTestOver<bool>;

/** A table of cases, each run over UDP and TCP. */
template <typename Case>
class SippCaseTest : public SippTestOver<std::tuple<bool, Case>> {
 protected:
  const Case& testCase() const { return std::get<1>(this->GetParam()); }
};

inline std::string transportName(const ::testing::TestParamInfo<bool>& p) {
  return p.param ? "Tcp" : "Udp";
}

/** The parameters of a SippCaseTest: each of `cases` over UDP and over TCP. */
template <typename Case, std::size_t N>
auto overBothTransports(const Case (&cases)[N]) {
  return ::testing::Combine(::testing::Values(false, true), ::testing::ValuesIn(cases));
}

/** The name of a SippCaseTest: the case's `name`, then the transport. */
template <typename Case>
std::string caseAndTransportName(const ::testing::TestParamInfo<std::tuple<bool, Case>>& p) {
  return std::string(std::get<1>(p.param).name) + (std::get<0>(p.param) ? "Tcp" : "Udp");
}

}  // namespace tapi::testing
