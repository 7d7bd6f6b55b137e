// tapid benchmark (a plain program; release build):
//  1. events/s delivered to 1, 10 and 100 monitor apps while an owner app places calls at
//     a fixed rate (each call: dial, connect, far-end hangup, drop, idle, release);
//  2. request round trip (lineGetCallStatus on a live call) over the Unix socket and TCP,
//     p50/p99/max.
// Starts its own tapid (path from the build, or argv[1]) in a temporary directory.
//
//   ./build/release/bench/server/server_bench [TAPID] [--rate N] [--seconds S]

#include <tapi/tapi.hpp>

#include <poll.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>
#include <algorithm>
#include <atomic>
#include <condition_variable>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <map>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;

namespace {

struct Server {
  pid_t pid = -1;
  int err = -1;
  std::string dir;
  std::string unixAddr;
  std::string tcpAddr;
  std::thread drain;

  bool start(const std::string& binary) {
    std::string tmpl = (std::filesystem::temp_directory_path() / "tapid-bench-XXXXXX").string();
    dir = mkdtemp(tmpl.data());
    const std::string cfg = dir + "/tapid.toml";
    std::ofstream(cfg) << "var_dir = \"" << dir << "\"\nlog_level = \"info\"\n[api]\n"
                       << "unix_socket = \"" << dir << "/tapid.sock\"\n"
                       << "tcp_listen = \"127.0.0.1:0\"\ntoken = \"bench\"\n"
                       << "token_file = \"" << dir << "/tapid.token\"\n"
                       << "[api.limits]\nmax_pending_bytes = 16777216\n"
                       << "[cdr]\ncalls_jsonl = \"\"\n";
    int p[2];
    if (pipe(p) != 0) {
      return false;
    }
    pid = fork();
    if (pid == 0) {
      dup2(p[1], 2);
      close(p[0]);
      execl(binary.c_str(), binary.c_str(), "--config", cfg.c_str(), nullptr);
      _exit(127);
    }
    close(p[1]);
    err = p[0];
    unixAddr = "unix:" + dir + "/tapid.sock";
    std::string buf;
    const auto deadline = Clock::now() + 30s;
    while (Clock::now() < deadline) {
      pollfd pf{err, POLLIN, 0};
      if (poll(&pf, 1, 1000) <= 0) {
        continue;
      }
      char tmp[4096];
      const ssize_t n = read(err, tmp, sizeof tmp);
      if (n <= 0) {
        break;
      }
      buf.append(tmp, static_cast<std::size_t>(n));
      if (auto at = buf.find("transport=tcp address=");
          at != std::string::npos && tcpAddr.empty()) {
        const auto s = at + 22;
        const auto e = buf.find_first_of(" \n", s);
        if (e != std::string::npos) {
          tcpAddr = "tcp://" + buf.substr(s, e - s);
        }
      }
      if (buf.find("event=ready") != std::string::npos) {
        drain = std::thread([fd = err] {
          char t[4096];
          while (read(fd, t, sizeof t) > 0) {
          }
        });
        return true;
      }
    }
    std::fprintf(stderr, "tapid did not start:\n%s\n", buf.c_str());
    return false;
  }

  ~Server() {
    if (pid > 0) {
      kill(pid, SIGTERM);
      int st = 0;
      waitpid(pid, &st, 0);
    }
    if (drain.joinable()) {
      drain.join();
    }
    if (err >= 0) {
      close(err);
    }
    std::error_code ec;
    std::filesystem::remove_all(dir, ec);
  }
};

struct Waker {
  std::mutex m;
  std::condition_variable cv;
  std::uint64_t gen = 0;
  void wake() {
    {
      std::lock_guard l(m);
      ++gen;
    }
    cv.notify_all();
  }
};

/** Events/s to `monitors` monitor apps while calls are placed at `rate` per second. */
void eventsBench(const std::string& server, int monitors, int rate, int seconds) {
  auto rt = tapi::Runtime::connect(server).value();
  auto waker = std::make_shared<Waker>();
  std::vector<tapi::App> mons;
  std::vector<tapi::Line> monLines;
  for (int i = 0; i < monitors; ++i) {
    mons.push_back(tapi::App::initialize(rt, {.name = "mon" + std::to_string(i),
                                              .notify = [waker] { waker->wake(); }})
                       .value());
    monLines.push_back(mons.back().open(0, tapi::Privilege::Monitor).value());
  }
  auto owner =
      tapi::App::initialize(rt, {.name = "dialer", .notify = [waker] { waker->wake(); }}).value();
  auto line = owner.open(0, tapi::Privilege::Owner).value();

  std::atomic<bool> stop{false};
  std::atomic<std::uint64_t> monitorEvents{0};
  std::atomic<int> placed{0};
  std::atomic<int> completed{0};
  std::mutex ownerMutex;  // ownerCalls: filled by the placing thread, emptied by the consumer
  std::map<std::uint32_t, tapi::Call> ownerCalls;
  std::vector<std::map<std::uint32_t, tapi::Call>> monCalls(static_cast<std::size_t>(monitors));

  // One thread consumes every app's queue (as a monitoring service would).
  std::thread consumer([&] {
    while (!stop) {
      std::uint64_t seen;
      {
        std::lock_guard l(waker->m);
        seen = waker->gen;
      }
      bool any = false;
      while (auto m = owner.nextMessage()) {
        any = true;
        if (m->type == tapi::MessageType::CallState) {
          std::lock_guard l(ownerMutex);
          auto it = ownerCalls.find(m->hDevice);
          if (it == ownerCalls.end()) {
            continue;
          }
          if (m->param1 == static_cast<std::uint32_t>(tapi::CallState::Disconnected)) {
            (void)it->second.drop();
          } else if (m->param1 == static_cast<std::uint32_t>(tapi::CallState::Idle)) {
            ownerCalls.erase(it);
            ++completed;
          }
        }
      }
      for (int i = 0; i < monitors; ++i) {
        auto& app = mons[static_cast<std::size_t>(i)];
        auto& calls = monCalls[static_cast<std::size_t>(i)];
        while (auto m = app.nextMessage()) {
          any = true;
          ++monitorEvents;
          if (m->type == tapi::MessageType::AppNewCall) {
            calls.emplace(m->param2, app.adopt(m->param2));
          } else if (m->type == tapi::MessageType::CallState &&
                     m->param1 == static_cast<std::uint32_t>(tapi::CallState::Idle)) {
            calls.erase(m->hDevice);  // releases the monitor's handle (a round trip)
          }
        }
      }
      if (!any) {
        std::unique_lock l(waker->m);
        waker->cv.wait_for(l, 50ms, [&] { return waker->gen != seen; });
      }
    }
  });

  // Calls at a fixed rate from this thread (each lasts > 70 ms, so it is in ownerCalls
  // before its DISCONNECTED arrives).
  const auto start = Clock::now();
  const auto period = std::chrono::microseconds(1'000'000 / rate);
  for (int i = 0; i < rate * seconds; ++i) {
    std::this_thread::sleep_until(start + period * i);  // pacing, not synchronisation
    auto made = line.makeCall("sim:answer=20ms;hangup=50ms");
    if (made) {
      std::lock_guard l(ownerMutex);
      ownerCalls.emplace(made->call.handle(), std::move(made->call));
      ++placed;
    }
  }
  const auto placedAll = Clock::now();
  const auto drainDeadline = Clock::now() + 30s;
  while (completed < placed && Clock::now() < drainDeadline) {
    std::this_thread::sleep_for(10ms);
  }
  const auto end = Clock::now();
  stop = true;
  waker->wake();
  consumer.join();
  const double secs = std::chrono::duration<double>(end - start).count();
  std::printf(
      "monitors=%3d rate=%d calls/s calls=%d completed=%d monitor_events=%llu "
      "elapsed=%.2fs events/s=%.0f (per monitor %.0f)%s\n",
      monitors, rate, placed.load(), completed.load(),
      static_cast<unsigned long long>(monitorEvents.load()), secs,
      static_cast<double>(monitorEvents.load()) / secs,
      static_cast<double>(monitorEvents.load()) / secs / monitors,
      std::chrono::duration<double>(placedAll - start).count() > seconds * 1.1
          ? " (call placement fell behind)"
          : "");
  std::fflush(stdout);
  {
    std::lock_guard l(ownerMutex);
    ownerCalls.clear();
  }
  for (auto& c : monCalls) {
    c.clear();
  }
}

void rttBench(const std::string& label, const std::string& server, const std::string& token,
              int n) {
  auto rt = tapi::Runtime::connect(server, token).value();
  auto app = tapi::App::initialize(rt, {.name = "rtt"}).value();
  auto line = app.open(1, tapi::Privilege::Owner).value();
  auto made = line.makeCall("sim:ring").value();
  std::vector<double> us;
  us.reserve(static_cast<std::size_t>(n));
  for (int i = 0; i < 200; ++i) {
    (void)made.call.status();  // warm-up
  }
  for (int i = 0; i < n; ++i) {
    const auto t0 = Clock::now();
    auto st = made.call.status();
    const auto t1 = Clock::now();
    if (!st) {
      std::printf("%s: lineGetCallStatus failed\n", label.c_str());
      return;
    }
    us.push_back(std::chrono::duration<double, std::micro>(t1 - t0).count());
  }
  std::sort(us.begin(), us.end());
  auto pct = [&](double p) { return us[static_cast<std::size_t>(p * (us.size() - 1))]; };
  std::printf("rtt %-4s lineGetCallStatus n=%d p50=%.0fus p99=%.0fus max=%.0fus\n", label.c_str(),
              n, pct(0.50), pct(0.99), us.back());
  std::fflush(stdout);
  (void)made.call.drop();
}

}  // namespace

int main(int argc, char** argv) {
  std::string tapid = TAPID_PATH;
  int rate = 50;
  int seconds = 5;
  for (int i = 1; i < argc; ++i) {
    if (std::strcmp(argv[i], "--rate") == 0 && i + 1 < argc) {
      rate = std::atoi(argv[++i]);
    } else if (std::strcmp(argv[i], "--seconds") == 0 && i + 1 < argc) {
      seconds = std::atoi(argv[++i]);
    } else {
      tapid = argv[i];
    }
  }
  signal(SIGPIPE, SIG_IGN);
  Server server;
  if (!server.start(tapid)) {
    return 1;
  }
  rttBench("unix", server.unixAddr, "", 5000);
  if (!server.tcpAddr.empty()) {
    rttBench("tcp", server.tcpAddr, "bench", 5000);
  } else {
    std::printf("rtt tcp: listener address not logged (log_level warn?)\n");
  }
  for (int monitors : {1, 10, 100}) {
    eventsBench(server.unixAddr, monitors, rate, seconds);
  }
  return 0;
}
