// sip_load_bench [--calls N] [--rate CPS] [--port P] [--sipp PATH]
//
// Starts the engine and the SIP provider with one line ("bench") and an application that
// answers every offered call, drops it when the caller hangs up and deallocates it at IDLE.
// Then runs SIPp's built-in uac scenario against it at a fixed rate for N calls and prints
// calls/s, failed calls (SIPp's count), RSS before and after, and the leak counters.

#include <fcntl.h>
#include <malloc.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <memory>
#include <string>

#include "base/asio_loop.hpp"
#include "engine/engine.hpp"
#include "providers/sip/sip_provider.hpp"

namespace {

long rssKb() {
  std::ifstream f("/proc/self/status");
  std::string line;
  while (std::getline(f, line)) {
    if (line.rfind("VmRSS:", 0) == 0) {
      return std::strtol(line.c_str() + 6, nullptr, 10);
    }
  }
  return -1;
}

}  // namespace

int main(int argc, char** argv) {
  long calls = 100000;
  long rate = 200;
  int port = 15070;
  std::string sipp = "/usr/bin/sipp";
  for (int i = 1; i + 1 < argc; i += 2) {
    if (std::strcmp(argv[i], "--calls") == 0) {
      calls = std::atol(argv[i + 1]);
    } else if (std::strcmp(argv[i], "--rate") == 0) {
      rate = std::atol(argv[i + 1]);
    } else if (std::strcmp(argv[i], "--port") == 0) {
      port = std::atoi(argv[i + 1]);
    } else if (std::strcmp(argv[i], "--sipp") == 0) {
      sipp = argv[i + 1];
    }
  }
  using namespace tapi;
  base::AsioLoop loop;
  providers::sip::SipProviderConfig cfg;
  cfg.listenUdp = "127.0.0.1:" + std::to_string(port);
  cfg.listenTcp = "";
  cfg.rtpFirstPort = 40000;
  cfg.rtpLastPort = 49999;
  providers::sip::SipLineConfig l;
  l.user = "bench";
  l.domain = "127.0.0.1";
  cfg.lines.push_back(l);
  auto created = providers::sip::SipProvider::create(loop, loop.context(), cfg);
  if (!created) {
    std::fprintf(stderr, "provider: %s\n", created.error().message().c_str());
    return 1;
  }
  auto provider = std::move(*created);
  engine::Engine eng(loop, *provider);
  const std::uint32_t app = *eng.initialize({"bench-answerer", kApiVersion22, 0, {}});
  engine::LineOpenParams op;
  op.privileges = static_cast<std::uint32_t>(Privilege::Owner);
  op.mediaModes = 0x4;
  (void)eng.open(app, op);

  // Warm up the allocator and tables with a short run first? No: RSS "before" is taken
  // once everything is set up, "after" once all calls are released.
  const long before = rssKb();
  const pid_t pid = fork();
  if (pid == 0) {
    const std::string m = std::to_string(calls);
    const std::string r = std::to_string(rate);
    const std::string target = "127.0.0.1:" + std::to_string(port);
    const int devnull = ::open("/dev/null", O_WRONLY);
    dup2(devnull, 1);
    execl(sipp.c_str(), sipp.c_str(), "-sn", "uac", "-s", "bench", "-i", "127.0.0.1", "-p",
          std::to_string(port + 1).c_str(), "-m", m.c_str(), "-r", r.c_str(), "-l", "2000", "-d",
          "100", "-nostdin", "-trace_stat", "-stf", "/tmp/sip_load_bench_stat.csv", "-fd", "1",
          target.c_str(), static_cast<char*>(nullptr));
    _exit(127);
  }
  const auto start = std::chrono::steady_clock::now();
  long answered = 0;
  int sippStatus = -1;
  auto serve = [&] {
    for (;;) {
      auto m = eng.getMessage(app);
      if (!m || !m->has_value()) {
        break;
      }
      const Message& msg = **m;
      if (msg.type != MessageType::CallState) {
        continue;
      }
      const auto st = static_cast<CallState>(msg.param1);
      if (st == CallState::Offering) {
        (void)eng.answer(app, msg.hDevice);
        ++answered;
      } else if (st == CallState::Disconnected) {
        (void)eng.drop(app, msg.hDevice);
      } else if (st == CallState::Idle) {
        (void)eng.deallocate(app, msg.hDevice);
      }
    }
  };
  for (;;) {
    loop.context().run_for(std::chrono::milliseconds(5));
    serve();
    int status = 0;
    if (sippStatus < 0 && waitpid(pid, &status, WNOHANG) == pid) {
      sippStatus = WIFEXITED(status) ? WEXITSTATUS(status) : 128;
      break;
    }
  }
  const double secs =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  // Let the last transactions finish (Timer K / L linger on UDP).
  const auto drainUntil = std::chrono::steady_clock::now() + std::chrono::seconds(40);
  while (std::chrono::steady_clock::now() < drainUntil) {
    loop.context().run_for(std::chrono::milliseconds(50));
    serve();
    if (provider->sipStats().allZero() && eng.stats().calls == 0) {
      break;
    }
  }
  const long after = rssKb();
  // What the process still holds once the allocator returns its free pages.
  malloc_trim(0);
  const long trimmed = rssKb();
  const auto ps = provider->sipStats();
  const auto es = eng.stats();
  std::printf(
      "calls_requested=%ld rate=%ld answered=%ld seconds=%.1f calls_per_s=%.1f sipp_exit=%d\n",
      calls, rate, answered, secs, answered / secs, sippStatus);
  std::printf("rss_before_kb=%ld rss_after_kb=%ld rss_after_trim_kb=%ld\n", before, after, trimmed);
  std::printf(
      "after: engine_calls=%zu handles=%zu sip_sessions=%zu transactions=%zu timers=%zu "
      "rtp_ports=%zu\n",
      es.calls, es.handles, ps.sessions, ps.transactions, ps.timers, ps.rtpPorts);
  std::printf("sessions ended by:");
  for (std::size_t k = 0; k < ps.endedBy.size(); ++k) {
    if (ps.endedBy[k] != 0) {
      std::printf(
          " %s=%llu",
          std::string(sip::session::toString(static_cast<sip::session::EndKind>(k))).c_str(),
          static_cast<unsigned long long>(ps.endedBy[k]));
    }
  }
  std::printf("\n");
  return sippStatus == 0 ? 0 : 1;
}
