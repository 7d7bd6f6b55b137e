// tapid with a 64-descriptor limit (RLIMIT_NOFILE set in the child before exec) and more
// connections held against it than it has descriptors: it must stay idle (no accept spin),
// keep serving SIP over UDP and the API on its Unix socket, refuse calls with 503 before it
// runs out, count every refusal in /metrics, and serve TCP again once the connections close.
// Every wait is bounded and waits on a socket or on tapid's log; the two CPU windows are
// measurements, not synchronisation.

#include <gtest/gtest.h>

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <condition_variable>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <mutex>
#include <optional>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#ifndef TAPID_BINARY
#error "TAPID_BINARY must name the tapid executable"
#endif

namespace {

using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;

constexpr int kFdLimit = 64;
constexpr int kHeldSipTcp = 150;  // more than the process has descriptors
constexpr int kHeldApi = 40;      // more than the reserve (8 at this limit)

std::uint16_t freePort(int type) {
  const int fd = ::socket(AF_INET, type, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  (void)::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a);
  socklen_t len = sizeof a;
  (void)::getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len);
  ::close(fd);
  return ntohs(a.sin_port);
}

sockaddr_in loopback(std::uint16_t port) {
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  a.sin_port = htons(port);
  return a;
}

/** Reads from `fd` until `done(text)` or the bound; @return what was read. */
template <typename Done>
std::string readUntil(int fd, std::chrono::milliseconds bound, Done done) {
  std::string text;
  const auto deadline = Clock::now() + bound;
  while (!done(text)) {
    const auto left =
        std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now());
    if (left.count() <= 0) {
      break;
    }
    pollfd p{fd, POLLIN, 0};
    if (::poll(&p, 1, static_cast<int>(left.count())) <= 0) {
      break;
    }
    char buf[8192];
    const ssize_t n = ::recv(fd, buf, sizeof buf, 0);
    if (n <= 0) {
      break;
    }
    text.append(buf, static_cast<std::size_t>(n));
  }
  return text;
}

/** The tapid child process, its stderr collected by a thread. */
class Tapid {
 public:
  Tapid(const std::string& dir, std::uint16_t sipPort) : dir_(dir) {
    const std::string cfgPath = dir + "/tapid.toml";
    std::ofstream cfg(cfgPath);
    cfg << "var_dir = \"" << dir << "/var\"\nlog_level = \"info\"\n"
        << "[api]\nunix_socket = \"" << dir << "/var/tapid.sock\"\ntcp_listen = \"\"\n"
        << "[cdr]\ncalls_jsonl = \"\"\n[shutdown]\ngrace_ms = 500\n"
        << "[lines.sim]\ncount = 0\n"
        << "[lines.sip]\nenabled = true\n"
        << "listen_udp = \"127.0.0.1:" << sipPort << "\"\n"
        << "listen_tcp = \"127.0.0.1:" << sipPort << "\"\n"
        << "rtp_first_port = 41000\nrtp_last_port = 41099\nt1_ms = 100\n"
        << "[[lines.sip.line]]\nuser = \"alice\"\ndomain = \"127.0.0.1\"\n";
    cfg.close();
    int fds[2];
    if (::pipe2(fds, O_CLOEXEC) != 0) {
      throw std::runtime_error("pipe");
    }
    pid_ = ::fork();
    if (pid_ == 0) {
      const rlimit rl{kFdLimit, kFdLimit};  // soft and hard: tapid cannot raise it
      ::setrlimit(RLIMIT_NOFILE, &rl);
      ::dup2(fds[1], 2);
      ::execl(TAPID_BINARY, "tapid", "--config", cfgPath.c_str(), static_cast<char*>(nullptr));
      ::_exit(127);
    }
    ::close(fds[1]);
    readFd_ = fds[0];
    reader_ = std::thread([this] { readLoop(); });
  }

  ~Tapid() {
    if (pid_ > 0 && !exited_) {
      ::kill(pid_, SIGKILL);
      int st = 0;
      ::waitpid(pid_, &st, 0);
    }
    if (reader_.joinable()) {
      reader_.join();
    }
    ::close(readFd_);
  }

  pid_t pid() const { return pid_; }
  std::string socketPath() const { return dir_ + "/var/tapid.sock"; }

  bool waitForLog(const std::string& needle, std::chrono::milliseconds bound = 30s) {
    std::unique_lock lock(mu_);
    return cv_.wait_for(lock, bound, [&] {
      return log_.find(needle) != std::string::npos || eof_;
    }) && log_.find(needle) != std::string::npos;
  }

  std::string log() {
    std::lock_guard lock(mu_);
    return log_;
  }

  /** SIGTERM, then waits (bounded) for the exit. @return the exit status, or -1. */
  int terminate(std::chrono::milliseconds bound = 30s) {
    ::kill(pid_, SIGTERM);
    if (!waitForLog("leak report:", bound)) {
      return -1;
    }
    int st = 0;
    ::waitpid(pid_, &st, 0);  // the report is its last act
    exited_ = true;
    return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
  }

  /** CPU time (user + system) used so far. */
  std::chrono::milliseconds cpu() const {
    std::ifstream in("/proc/" + std::to_string(pid_) + "/stat");
    std::string all((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    std::istringstream fields(all.substr(all.rfind(')') + 2));
    std::string f;
    unsigned long long utime = 0, stime = 0;
    for (int i = 3; i <= 15 && fields >> f; ++i) {  // field 3 is the state
      if (i == 14) {
        utime = std::stoull(f);
      } else if (i == 15) {
        stime = std::stoull(f);
      }
    }
    const long hz = ::sysconf(_SC_CLK_TCK);
    return std::chrono::milliseconds((utime + stime) * 1000 / static_cast<unsigned long long>(hz));
  }

 private:
  void readLoop() {
    char buf[4096];
    for (;;) {
      const ssize_t n = ::read(readFd_, buf, sizeof buf);
      std::lock_guard lock(mu_);
      if (n <= 0) {
        eof_ = true;
        cv_.notify_all();
        return;
      }
      log_.append(buf, static_cast<std::size_t>(n));
      cv_.notify_all();
    }
  }

  std::string dir_;
  pid_t pid_ = -1;
  int readFd_ = -1;
  bool exited_ = false;
  std::thread reader_;
  std::mutex mu_;
  std::condition_variable cv_;
  std::string log_;
  bool eof_ = false;
};

/** A connected Unix stream socket to `path`, or -1. */
int connectUnix(const std::string& path) {
  const int fd = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_un a{};
  a.sun_family = AF_UNIX;
  std::snprintf(a.sun_path, sizeof a.sun_path, "%s", path.c_str());
  if (::connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0) {
    ::close(fd);
    return -1;
  }
  return fd;
}

/** GET `target` over the Unix socket; @return the whole response ("" if none in the bound). */
std::string httpGet(const std::string& socketPath, const std::string& target,
                    std::chrono::milliseconds bound = 3s) {
  const int fd = connectUnix(socketPath);
  if (fd < 0) {
    return "";
  }
  const std::string req = "GET " + target + " HTTP/1.1\r\nHost: tapid\r\nConnection: close\r\n\r\n";
  (void)::send(fd, req.data(), req.size(), MSG_NOSIGNAL);
  std::string resp = readUntil(fd, bound, [](const std::string&) { return false; });
  ::close(fd);
  return resp;
}

/** Retries GET until the response satisfies `ok` or the bound. */
template <typename Ok>
std::string httpGetUntil(const std::string& socketPath, const std::string& target, Ok ok,
                         std::chrono::milliseconds bound = 15s) {
  const auto deadline = Clock::now() + bound;
  std::string resp;
  do {
    resp = httpGet(socketPath, target);
    if (ok(resp)) {
      break;
    }
  } while (Clock::now() < deadline);
  return resp;
}

/** The value of an unlabelled metric in Prometheus text, or -1. */
long long metric(const std::string& text, const std::string& name) {
  const std::string key = "\n" + name + " ";
  const auto at = text.find(key);
  return at == std::string::npos ? -1 : std::atoll(text.c_str() + at + key.size());
}

std::string sipRequest(const std::string& method, std::uint16_t port, const std::string& transport,
                       std::uint16_t localPort, const std::string& branch, int cseq) {
  std::ostringstream m;
  m << method << " sip:alice@127.0.0.1:" << port << " SIP/2.0\r\n"
    << "Via: SIP/2.0/" << transport << " 127.0.0.1:" << localPort << ";branch=" << branch
    << ";rport\r\n"
    << "Max-Forwards: 70\r\nFrom: <sip:probe@127.0.0.1>;tag=fdprobe\r\n"
    << "To: <sip:alice@127.0.0.1>\r\nCall-ID: " << branch << "@fdlimit\r\n"
    << "CSeq: " << cseq << " " << method << "\r\nContact: <sip:probe@127.0.0.1:" << localPort
    << ">\r\nContent-Length: 0\r\n\r\n";
  return m.str();
}

/** A UDP socket on 127.0.0.1 talking to tapid's SIP port. */
struct UdpPeer {
  explicit UdpPeer(std::uint16_t to) : to_(loopback(to)) {
    fd = ::socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    sockaddr_in a = loopback(0);
    ::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a);
    socklen_t len = sizeof a;
    ::getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len);
    port = ntohs(a.sin_port);
  }
  ~UdpPeer() { ::close(fd); }
  void send(const std::string& m) {
    (void)::sendto(fd, m.data(), m.size(), 0, reinterpret_cast<const sockaddr*>(&to_), sizeof to_);
  }
  /** The first datagram starting with "SIP/2.0 " that is a final response (>= 200). */
  std::string finalResponse(std::chrono::milliseconds bound = 5s) {
    const auto deadline = Clock::now() + bound;
    while (Clock::now() < deadline) {
      std::string d = readUntil(
          fd, std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now()),
          [](const std::string& t) { return !t.empty(); });
      if (d.rfind("SIP/2.0 1", 0) == std::string::npos && d.rfind("SIP/2.0 ", 0) == 0) {
        return d;
      }
    }
    return "";
  }
  int fd = -1;
  std::uint16_t port = 0;
  sockaddr_in to_;
};

std::string headerValue(const std::string& msg, const std::string& name) {
  const auto at = msg.find("\r\n" + name + ":");
  if (at == std::string::npos) {
    return "";
  }
  const auto start = msg.find_first_not_of(' ', at + name.size() + 3);
  return msg.substr(start, msg.find("\r\n", start) - start);
}

/** Starts non-blocking connects to 127.0.0.1:port; @return the sockets. */
std::vector<int> holdTcp(std::uint16_t port, int n) {
  std::vector<int> fds;
  const sockaddr_in a = loopback(port);
  for (int i = 0; i < n; ++i) {
    const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    (void)::connect(fd, reinterpret_cast<const sockaddr*>(&a), sizeof a);
    fds.push_back(fd);
  }
  return fds;
}

void closeAll(std::vector<int>& fds) {
  for (int fd : fds) {
    ::close(fd);
  }
  fds.clear();
}

double cpuShareOver(Tapid& t, std::chrono::milliseconds window) {
  const auto c0 = t.cpu();
  const auto w0 = Clock::now();
  std::this_thread::sleep_for(window);  // the measurement window
  const auto c1 = t.cpu();
  const auto wall = std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - w0);
  return static_cast<double>((c1 - c0).count()) / static_cast<double>(wall.count());
}

TEST(FdLimit, TapidStaysIdleServedAndRecoversWithMoreConnectionsThanDescriptors) {
  const std::string dir =
      std::filesystem::temp_directory_path() / ("tapid-fdlimit-" + std::to_string(::getpid()));
  std::filesystem::create_directories(dir);
  std::uint16_t sipPort = freePort(SOCK_STREAM);
  Tapid tapid(dir, sipPort);
  ASSERT_TRUE(tapid.waitForLog("event=ready")) << tapid.log();
  ASSERT_NE(tapid.log().find("event=fd_budget limit=64"), std::string::npos) << tapid.log();

  // 1. More SIP TCP connections than descriptors: those over the budget are closed at once,
  //    none waits in the backlog.
  std::vector<int> held = holdTcp(sipPort, kHeldSipTcp);
  std::string m = httpGetUntil(tapid.socketPath(), "/metrics", [](const std::string& r) {
    return metric(r, "tapid_sip_tcp_connections") + metric(r, "tapid_sip_tcp_refused_total") ==
           kHeldSipTcp;
  });
  ASSERT_EQ(metric(m, "tapid_sip_tcp_connections") + metric(m, "tapid_sip_tcp_refused_total"),
            kHeldSipTcp)
      << m << tapid.log();
  EXPECT_GT(metric(m, "tapid_sip_tcp_connections"), 0) << m;
  EXPECT_GT(metric(m, "tapid_sip_tcp_refused_total"), 0) << m;

  const double idle = cpuShareOver(tapid, 2s);
  EXPECT_LT(idle, 0.2) << "tapid used " << idle * 100 << "% of a core with the connections held";

  // 2. UDP SIP is served; a new call is refused before the descriptors run out.
  UdpPeer udp(sipPort);
  udp.send(sipRequest("OPTIONS", sipPort, "UDP", udp.port, "z9hG4bKfdopt1", 1));
  const std::string options = udp.finalResponse();
  EXPECT_EQ(options.rfind("SIP/2.0 200", 0), 0u) << options << tapid.log();
  udp.send(sipRequest("INVITE", sipPort, "UDP", udp.port, "z9hG4bKfdinv1", 1));
  const std::string refused = udp.finalResponse();
  EXPECT_EQ(refused.rfind("SIP/2.0 503", 0), 0u) << refused << tapid.log();
  EXPECT_FALSE(headerValue(refused, "Retry-After").empty()) << refused;
  if (!refused.empty()) {
    // The ACK of a non-2xx final answer belongs to the INVITE transaction (same branch).
    std::string ack = sipRequest("ACK", sipPort, "UDP", udp.port, "z9hG4bKfdinv1", 1);
    ack.replace(ack.find("To: <sip:alice@127.0.0.1>"), 25, "To: " + headerValue(refused, "To"));
    udp.send(ack);
  }

  // 3. The API is served from the reserve, and the refusals are counted.
  m = httpGetUntil(tapid.socketPath(), "/metrics",
                   [](const std::string& r) { return r.rfind("HTTP/1.1 200", 0) == 0; });
  EXPECT_EQ(metric(m, "tapid_sip_calls_refused_fds_total"), 1) << m;
  EXPECT_EQ(metric(m, "tapid_fd_limit"), kFdLimit) << m;
  EXPECT_EQ(httpGet(tapid.socketPath(), "/healthz").rfind("HTTP/1.1 200", 0), 0u);

  // 4. More API clients than the reserve: accept() runs out, backs off, and does not spin.
  std::vector<int> apiHeld;
  for (int i = 0; i < kHeldApi; ++i) {
    const int fd = connectUnix(tapid.socketPath());
    if (fd >= 0) {
      apiHeld.push_back(fd);
    }
  }
  ASSERT_TRUE(tapid.waitForLog("event=accept_no_descriptors transport=unix", 10s)) << tapid.log();
  const double flooded = cpuShareOver(tapid, 2s);
  EXPECT_LT(flooded, 0.2) << "tapid used " << flooded * 100 << "% of a core out of descriptors";
  closeAll(apiHeld);
  m = httpGetUntil(tapid.socketPath(), "/metrics",
                   [](const std::string& r) { return r.rfind("HTTP/1.1 200", 0) == 0; });
  EXPECT_GT(metric(m, "tapid_api_accept_no_fds_total"), 0) << m;

  // 5. Once the held SIP connections close, TCP is served again.
  closeAll(held);
  const auto deadline = Clock::now() + 15s;
  std::string answer;
  while (answer.rfind("SIP/2.0 200", 0) != 0 && Clock::now() < deadline) {
    const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    const sockaddr_in a = loopback(sipPort);
    if (::connect(fd, reinterpret_cast<const sockaddr*>(&a), sizeof a) == 0) {
      sockaddr_in local{};
      socklen_t len = sizeof local;
      ::getsockname(fd, reinterpret_cast<sockaddr*>(&local), &len);
      const std::string req =
          sipRequest("OPTIONS", sipPort, "TCP", ntohs(local.sin_port), "z9hG4bKfdtcp", 2);
      (void)::send(fd, req.data(), req.size(), MSG_NOSIGNAL);
      answer = readUntil(
          fd, 2s, [](const std::string& t) { return t.find("\r\n\r\n") != std::string::npos; });
    }
    ::close(fd);
  }
  EXPECT_EQ(answer.rfind("SIP/2.0 200", 0), 0u) << answer << tapid.log();

  EXPECT_EQ(tapid.terminate(), 0) << tapid.log();
  EXPECT_NE(tapid.log().find("leak report: empty"), std::string::npos) << tapid.log();
  std::filesystem::remove_all(dir);
}

}  // namespace
