#pragma once
// A SIP line under test: the engine and the SIP provider on a real Asio loop driven by
// the test thread, one application with the line open, and SIPp as the far end. Every wait
// runs the loop until a condition holds or a bound passes; nothing sleeps to synchronise.

#include <gtest/gtest.h>

#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>
#include <chrono>
#include <cstdlib>
#include <functional>
#include <memory>
#include <optional>
#include <string>
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
   */
  Sipp(const std::string& scenario, bool tcp, std::uint16_t localPort, const std::string& remote,
       std::vector<std::string> extra = {}) {
    std::vector<std::string> argv{"/usr/bin/sipp",
                                  "-sf",
                                  std::string(OPENTAPI_SIPP_SCENARIOS) + "/" + scenario,
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

 private:
  std::unique_ptr<Process> proc_;
  std::optional<int> status_;
};

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
    cfg.tcpIdleTimeout = std::chrono::milliseconds(1500);
    if (lines.empty()) {
      providers::sip::SipLineConfig l;
      l.name = "sip/alice";
      l.user = "alice";
      l.domain = "127.0.0.1";
      l.transport = tcpOutbound ? "tcp" : "udp";
      lines.push_back(l);
    }
    cfg.lines = std::move(lines);
    std::string error;
    auto p = providers::sip::SipProvider::create(loop, loop.context(), cfg, &error);
    if (!p) {
      ADD_FAILURE() << "provider: " << error;
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

}  // namespace tapi::testing
