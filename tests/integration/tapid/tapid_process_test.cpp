// tapid as a separate process: a temporary configuration and var directory, the real
// binary, and small Beast WebSocket/HTTP clients. Every wait is bounded and waits on
// something (a socket read, a log line from the server, the process exit).

#include <gtest/gtest.h>

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/stat.h>
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

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/local/stream_protocol.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>
#include <boost/beast/websocket.hpp>
#include <boost/beast/websocket/ssl.hpp>
#include <boost/json.hpp>

#ifndef TAPID_BINARY
#error "TAPID_BINARY must name the tapid executable"
#endif

namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
namespace websocket = beast::websocket;
namespace json = boost::json;
using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;

constexpr auto kBound = 30s;  // generous: the server runs under ASan on a shared machine
constexpr const char* kToken = "integration-test-token";

// ---------------------------------------------------------------------------------------
// The server process

class TapidProcess {
 public:
  TapidProcess(const std::string& dir, const std::string& extraToml, bool withToken = true)
      : dir_(dir) {
    configPath_ = dir_ + "/tapid.toml";
    std::ofstream cfg(configPath_);
    cfg << "var_dir = \"" << dir_ << "/var\"\n"
        << "log_level = \"info\"\n"
        << "[api]\n"
        << "unix_socket = \"" << dir_ << "/var/tapid.sock\"\n"
        << "tcp_listen = \"127.0.0.1:0\"\n"
        << (withToken ? "token = \"" + std::string(kToken) + "\"\n" : std::string()) << "[cdr]\n"
        << "calls_jsonl = \"" << dir_ << "/var/calls.jsonl\"\n"
        << extraToml;
    cfg.close();

    int fds[2];
    if (::pipe2(fds, O_CLOEXEC) != 0) {
      throw std::runtime_error("pipe");
    }
    pid_ = ::fork();
    if (pid_ == 0) {
      ::dup2(fds[1], 2);
      ::execl(TAPID_BINARY, "tapid", "--config", configPath_.c_str(), static_cast<char*>(nullptr));
      ::_exit(127);
    }
    ::close(fds[1]);
    readFd_ = fds[0];
    reader_ = std::thread([this] { readLoop(); });
  }

  ~TapidProcess() {
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

  /** Waits for a stderr line containing `needle`; returns it. */
  std::optional<std::string> waitForLine(const std::string& needle,
                                         std::chrono::milliseconds bound = kBound) {
    std::unique_lock lock(mu_);
    std::optional<std::string> found;
    cv_.wait_for(lock, bound, [&] {
      for (const auto& l : lines_) {
        if (l.find(needle) != std::string::npos) {
          found = l;
          return true;
        }
      }
      return eof_;
    });
    return found;
  }

  bool hasLine(const std::string& needle) {
    std::lock_guard lock(mu_);
    for (const auto& l : lines_) {
      if (l.find(needle) != std::string::npos) {
        return true;
      }
    }
    return false;
  }

  std::string log() {
    std::lock_guard lock(mu_);
    std::string all;
    for (const auto& l : lines_) {
      all += l + "\n";
    }
    return all;
  }

  /** Waits until the server is listening; learns its TCP port. */
  bool waitReady() {
    auto line = waitForLine("event=ready");
    auto tcp = waitForLine("event=listening transport=t", 1s);
    if (!line || !tcp) {
      return false;
    }
    const std::string key = "address=127.0.0.1:";
    if (auto at = tcp->find(key); at != std::string::npos) {
      port_ = static_cast<unsigned short>(std::stoi(tcp->substr(at + key.size())));
    }
    return port_ != 0;
  }

  /** Waits for the process to exit (its stderr closes first); returns the exit status. */
  std::optional<int> waitExit(std::chrono::milliseconds bound = kBound) {
    {
      std::unique_lock lock(mu_);
      if (!cv_.wait_for(lock, bound, [&] { return eof_; })) {
        return std::nullopt;
      }
    }
    int st = 0;
    if (::waitpid(pid_, &st, 0) != pid_) {
      return std::nullopt;
    }
    exited_ = true;
    return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
  }

  void signal(int sig) { ::kill(pid_, sig); }
  unsigned short port() const { return port_; }
  std::string socketPath() const { return dir_ + "/var/tapid.sock"; }
  std::string callsPath() const { return dir_ + "/var/calls.jsonl"; }

 private:
  void readLoop() {
    std::string partial;
    char buf[4096];
    for (;;) {
      const ssize_t n = ::read(readFd_, buf, sizeof buf);
      if (n <= 0) {
        break;
      }
      partial.append(buf, static_cast<std::size_t>(n));
      std::size_t pos;
      std::lock_guard lock(mu_);
      while ((pos = partial.find('\n')) != std::string::npos) {
        lines_.push_back(partial.substr(0, pos));
        partial.erase(0, pos + 1);
      }
      cv_.notify_all();
    }
    std::lock_guard lock(mu_);
    if (!partial.empty()) {
      lines_.push_back(partial);
    }
    eof_ = true;
    cv_.notify_all();
  }

  std::string dir_;
  std::string configPath_;
  pid_t pid_ = -1;
  int readFd_ = -1;
  bool exited_ = false;
  unsigned short port_ = 0;
  std::thread reader_;
  std::mutex mu_;
  std::condition_variable cv_;
  std::vector<std::string> lines_;
  bool eof_ = false;
};

// ---------------------------------------------------------------------------------------
// Clients

/** Runs the io_context until `done` or the bound; on timeout closes `sock`. */
template <typename Sock>
bool runBounded(asio::io_context& io, Sock& sock, const bool& done,
                std::chrono::milliseconds bound = kBound) {
  io.restart();
  const auto deadline = Clock::now() + bound;
  while (!done && Clock::now() < deadline) {
    io.run_one_for(deadline - Clock::now());
  }
  if (!done) {
    beast::error_code ec;
    beast::get_lowest_layer(sock).close(ec);
    io.restart();
    io.run();
  }
  return done;
}

template <typename Sock>
class WsClient {
 public:
  WsClient() : ws_(io_) {}

  /**
   * Connects and upgrades. @return 101 on success, else the HTTP status the server
   * answered (0 if none).
   */
  template <typename Endpoint>
  int connect(const Endpoint& ep, const std::string& token = "") {
    beast::error_code ec;
    beast::get_lowest_layer(ws_).connect(ep, ec);
    if (ec) {
      return 0;
    }
    if (!token.empty()) {
      ws_.set_option(websocket::stream_base::decorator([token](websocket::request_type& req) {
        req.set(http::field::authorization, "Bearer " + token);
      }));
    }
    websocket::response_type res;
    bool done = false;
    ws_.async_handshake(res, "localhost", "/v1", [&](beast::error_code e) {
      ec = e;
      done = true;
    });
    if (!runBounded(io_, ws_, done)) {
      return 0;
    }
    if (ec) {
      return static_cast<int>(res.result_int());
    }
    ws_.read_message_max(64 * 1024 * 1024);
    return 101;
  }

  void sendRaw(const std::string& text) {
    bool done = false;
    beast::error_code ec;
    ws_.text(true);
    ws_.async_write(asio::buffer(text), [&](beast::error_code e, std::size_t) {
      ec = e;
      done = true;
    });
    runBounded(io_, ws_, done);
    lastWriteError = ec;
  }

  std::int64_t send(const std::string& method, json::object params = {}) {
    const std::int64_t id = nextId_++;
    json::object o{{"id", id}, {"method", method}, {"params", std::move(params)}};
    sendRaw(json::serialize(o));
    return id;
  }

  /** The next frame, or nullopt when the connection ended (readError says how). */
  std::optional<json::object> read(std::chrono::milliseconds bound = kBound) {
    bool done = false;
    beast::error_code ec;
    buf_.clear();
    ws_.async_read(buf_, [&](beast::error_code e, std::size_t) {
      ec = e;
      done = true;
    });
    if (!runBounded(io_, ws_, done, bound)) {
      readError = asio::error::timed_out;
      return std::nullopt;
    }
    if (ec) {
      readError = ec;
      return std::nullopt;
    }
    return json::parse(beast::buffers_to_string(buf_.data())).as_object();
  }

  /** Reads until the response to `id`; events on the way are kept in `events`. */
  std::optional<json::object> response(std::int64_t id) {
    while (auto f = read()) {
      if (f->contains("event")) {
        events.push_back(*f);
        continue;
      }
      if ((*f)["id"] == json::value(id)) {
        return f;
      }
    }
    return std::nullopt;
  }

  json::object call(const std::string& method, json::object params = {}) {
    auto r = response(send(method, std::move(params)));
    EXPECT_TRUE(r.has_value()) << method << ": " << readError.message();
    return r.value_or(json::object{});
  }

  json::object result(const std::string& method, json::object params = {}) {
    json::object r = call(method, std::move(params));
    EXPECT_TRUE(r.contains("result")) << method << ": " << json::serialize(r);
    return r.contains("result") ? r["result"].as_object() : json::object{};
  }

  websocket::close_reason closeReason() const { return ws_.reason(); }

  std::vector<json::object> events;
  beast::error_code readError;
  beast::error_code lastWriteError;

 private:
  asio::io_context io_;
  websocket::stream<Sock> ws_;
  beast::flat_buffer buf_;
  std::int64_t nextId_ = 1;
};

using UnixClient = WsClient<asio::local::stream_protocol::socket>;
using TcpClient = WsClient<asio::ip::tcp::socket>;

struct HttpReply {
  int status = 0;
  std::string body;
};

HttpReply httpGet(unsigned short port, const std::string& target, const std::string& token = "") {
  asio::io_context io;
  asio::ip::tcp::socket sock(io);
  beast::error_code ec;
  sock.connect({asio::ip::make_address("127.0.0.1"), port}, ec);
  if (ec) {
    return {};
  }
  http::request<http::empty_body> req(http::verb::get, target, 11);
  req.set(http::field::host, "localhost");
  if (!token.empty()) {
    req.set(http::field::authorization, "Bearer " + token);
  }
  req.keep_alive(false);
  http::response<http::string_body> res;
  beast::flat_buffer buf;
  bool done = false;
  http::async_write(sock, req, [&](beast::error_code e, std::size_t) {
    if (e) {
      done = true;
      return;
    }
    http::async_read(sock, buf, res, [&](beast::error_code, std::size_t) { done = true; });
  });
  runBounded(io, sock, done);
  return {static_cast<int>(res.result_int()), res.body()};
}

/**
 * Over TLS: GET /healthz, then a WebSocket upgrade with the token and one tapidStats.
 * @return the stats result's "connections", or -1 on any failure (`why` says which).
 */
int tlsRoundTrip(unsigned short port, const std::string& caFile, std::string& why) {
  asio::io_context io;
  asio::ssl::context ctx(asio::ssl::context::tls_client);
  ctx.load_verify_file(caFile);
  ctx.set_verify_mode(asio::ssl::verify_peer);
  using Tls = beast::ssl_stream<asio::ip::tcp::socket>;
  websocket::stream<Tls> ws(io, ctx);
  beast::error_code ec;
  beast::get_lowest_layer(ws).connect({asio::ip::make_address("127.0.0.1"), port}, ec);
  if (ec) {
    why = "connect: " + ec.message();
    return -1;
  }
  bool done = false;
  ws.next_layer().async_handshake(asio::ssl::stream_base::client, [&](beast::error_code e) {
    ec = e;
    done = true;
  });
  if (!runBounded(io, ws, done) || ec) {
    why = "tls handshake: " + ec.message();
    return -1;
  }
  ws.set_option(websocket::stream_base::decorator([](websocket::request_type& req) {
    req.set(http::field::authorization, std::string("Bearer ") + kToken);
  }));
  done = false;
  ws.async_handshake("localhost", "/v1", [&](beast::error_code e) {
    ec = e;
    done = true;
  });
  if (!runBounded(io, ws, done) || ec) {
    why = "ws handshake: " + ec.message();
    return -1;
  }
  const std::string req = R"({"id":1,"method":"tapidStats"})";
  done = false;
  ws.async_write(asio::buffer(req), [&](beast::error_code e, std::size_t) {
    ec = e;
    done = true;
  });
  if (!runBounded(io, ws, done) || ec) {
    why = "write: " + ec.message();
    return -1;
  }
  beast::flat_buffer buf;
  done = false;
  ws.async_read(buf, [&](beast::error_code e, std::size_t) {
    ec = e;
    done = true;
  });
  if (!runBounded(io, ws, done) || ec) {
    why = "read: " + ec.message();
    return -1;
  }
  json::object r = json::parse(beast::buffers_to_string(buf.data())).as_object();
  why = json::serialize(r);
  if (!r.contains("result")) {
    return -1;
  }
  return static_cast<int>(r["result"].as_object()["connections"].as_int64());
}

// ---------------------------------------------------------------------------------------
// Fixture

class TapidProcessTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/tapid-it-XXXXXX";
    ASSERT_NE(::mkdtemp(tmpl), nullptr);
    dir_ = tmpl;
  }
  void TearDown() override {
    server_.reset();
    std::error_code ec;
    std::filesystem::remove_all(dir_, ec);
  }

  void start(const std::string& extraToml = "") {
    server_ = std::make_unique<TapidProcess>(dir_, extraToml);
    ASSERT_TRUE(server_->waitReady()) << server_->log();
  }

  asio::local::stream_protocol::endpoint unixEp() const {
    return asio::local::stream_protocol::endpoint(server_->socketPath());
  }
  asio::ip::tcp::endpoint tcpEp() const {
    return {asio::ip::make_address("127.0.0.1"), server_->port()};
  }

  static std::string errorCode(const json::object& r) {
    if (!r.contains("error")) {
      return "";
    }
    return std::string(r.at("error").as_object().at("code").as_string());
  }

  std::string dir_;
  std::unique_ptr<TapidProcess> server_;
};

// ---------------------------------------------------------------------------------------
// Tests

TEST_F(TapidProcessTest, HealthzAndMetrics) {
  start();
  HttpReply h = httpGet(server_->port(), "/healthz");
  EXPECT_EQ(h.status, 200);
  EXPECT_EQ(h.body, "ok\n");
  EXPECT_EQ(httpGet(server_->port(), "/metrics").status, 401);
  EXPECT_EQ(httpGet(server_->port(), "/metrics", "wrong").status, 401);
  EXPECT_EQ(httpGet(server_->port(), "/nothing", kToken).status, 404);
  HttpReply m = httpGet(server_->port(), "/metrics", kToken);
  EXPECT_EQ(m.status, 200);
  for (const char* name :
       {"tapid_apps 0", "tapid_open_lines 0", "tapid_handles 0", "tapid_calls 0",
        "tapid_provider_calls 0", "tapid_pending_requests 0", "tapid_provider_pending_requests 0",
        "tapid_queued_events 0", "tapid_timers 0", "tapid_connections 0",
        "tapid_rejected_frames_total{reason=\"BADJSON\"} 0",
        "tapid_rejected_frames_total{reason=\"TOOLARGE\"} 0", "# TYPE tapid_apps gauge"}) {
    EXPECT_NE(m.body.find(name), std::string::npos) << name << "\n" << m.body;
  }
}

TEST_F(TapidProcessTest, SipLineAndItsMetrics) {
  // A SIP line on an OS-chosen UDP port next to the simulated ones; its counters in /metrics.
  start(
      "[lines.sip]\nenabled = true\nlisten_udp = \"127.0.0.1:0\"\nlisten_tcp = \"\"\n"
      "rtp_first_port = 34000\nrtp_last_port = 34099\n"
      "[[lines.sip.line]]\nuser = \"alice\"\ndomain = \"127.0.0.1\"\n");
  HttpReply m = httpGet(server_->port(), "/metrics", kToken);
  EXPECT_EQ(m.status, 200);
  for (const char* name :
       {"tapid_sip_sessions 0", "tapid_sip_transactions 0", "tapid_sip_rtp_ports 0",
        "tapid_sip_sessions_ended_total{how=\"Bye\"} 0", "tapid_sip_calls_total 0"}) {
    EXPECT_NE(m.body.find(name), std::string::npos) << name << "\n" << m.body;
  }
}

// The value of gauge `name` in a /metrics body, or -1.
long long metricValue(const std::string& body, const std::string& name) {
  const auto at = body.find("\n" + name + " ");
  return at == std::string::npos ? -1 : std::atoll(body.c_str() + at + name.size() + 2);
}

// Resident set size of `pid` in KiB (VmRSS), or -1.
long long rssKib(pid_t pid) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/status");
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind("VmRSS:", 0) == 0) {
      return std::atoll(line.c_str() + 6);
    }
  }
  return -1;
}

TEST_F(TapidProcessTest, RequestsNamingUnservedTransportsLeaveNothingBehind) {
  // Datagrams whose top Via names a transport we do not serve (RFC 4475 bext01 style) used
  // to leave a server transaction each, with no timer: memory grew with every one. Each is
  // answered over UDP to where it came from, and every transaction ends.
  //
  // Memory is compared between rounds, not against the idle start: a round's transactions
  // live together for Timer J (64*T1), and the allocator keeps that peak. A leak shows as
  // growth from one round to the next. AddressSanitizer's quarantine would hold every freed
  // block back from reuse, so this tapid runs without it.
  const char* asan = std::getenv("ASAN_OPTIONS");
  const std::string asanBefore = asan != nullptr ? asan : "";
  ::setenv("ASAN_OPTIONS", (asanBefore + ":quarantine_size_mb=0").c_str(), 1);
  start(
      "[lines.sip]\nenabled = true\nlisten_udp = \"127.0.0.1:0\"\nlisten_tcp = \"\"\n"
      "t1_ms = 10\nrtp_first_port = 34100\nrtp_last_port = 34199\n"
      "[[lines.sip.line]]\nuser = \"alice\"\ndomain = \"127.0.0.1\"\n");
  if (asan != nullptr) {
    ::setenv("ASAN_OPTIONS", asanBefore.c_str(), 1);
  } else {
    ::unsetenv("ASAN_OPTIONS");
  }
  const auto listening = server_->waitForLine("event=sip_listening");
  ASSERT_TRUE(listening) << server_->log();
  const auto colon = listening->find(':', listening->find("udp=127.0.0.1"));
  ASSERT_NE(colon, std::string::npos) << *listening;
  const auto sipPort = static_cast<std::uint16_t>(std::atoi(listening->c_str() + colon + 1));

  // A connected socket: answers from anywhere else are not ours, and an ICMP error shows up
  // as a failed recv instead of silently losing datagrams.
  const int fd = ::socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  ASSERT_GE(fd, 0);
  sockaddr_in to{};
  to.sin_family = AF_INET;
  to.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  to.sin_port = htons(sipPort);
  ASSERT_EQ(::connect(fd, reinterpret_cast<sockaddr*>(&to), sizeof to), 0);
  sockaddr_in me{};
  socklen_t len = sizeof me;
  ASSERT_EQ(::getsockname(fd, reinterpret_cast<sockaddr*>(&me), &len), 0);
  const int myPort = ntohs(me.sin_port);

  constexpr int kPerRound = 3000;
  constexpr int kRounds = 3;
  constexpr int kWindow = 32;  // requests in flight at most: the socket buffers never overflow
  const char* transports[] = {"TLS", "SCTP", "WS", "FOO"};
  const char* methods[] = {"OPTIONS", "INVITE", "REGISTER"};
  std::vector<long long> rssAfterRound;
  for (int round = 0; round < kRounds; ++round) {
    // Final answers seen, by request index (the branch carries it).
    std::vector<bool> answeredBy(kPerRound, false);
    int answered = 0;
    int recvErrors = 0;
    const std::string tag = "z9hG4bKunserved" + std::to_string(round) + "x";
    // Reads what has arrived; waits up to `waitMs` for the first datagram.
    auto drain = [&](int waitMs) {
      char buf[4096];
      pollfd p{fd, POLLIN, 0};
      while (::poll(&p, 1, waitMs) > 0) {
        waitMs = 0;
        const ssize_t n = ::recv(fd, buf, sizeof buf, 0);
        if (n < 0) {
          ++recvErrors;
          continue;
        }
        const std::string_view m(buf, static_cast<std::size_t>(n));
        if (m.size() < 12 || m.substr(0, 8) != "SIP/2.0 " || m[8] < '2') {
          continue;  // 100 Trying, or not a response
        }
        const auto at = m.find("branch=" + tag);
        if (at == std::string_view::npos) {
          continue;
        }
        const int i = std::atoi(m.data() + at + 7 + tag.size());
        if (i >= 0 && i < kPerRound && !answeredBy[static_cast<std::size_t>(i)]) {
          answeredBy[static_cast<std::size_t>(i)] = true;
          ++answered;
        }
      }
    };
    const auto deadline = Clock::now() + kBound;
    for (int i = 0; i < kPerRound; ++i) {
      while (i - answered >= kWindow && Clock::now() < deadline) {
        drain(100);
      }
      const std::string method = methods[i % 3];
      const std::string id = std::to_string(round) + "-" + std::to_string(i);
      const std::string msg =
          method + " sip:" + (method == "INVITE" ? "nobody" : "alice") +
          "@127.0.0.1:" + std::to_string(sipPort) + " SIP/2.0\r\nVia: SIP/2.0/" +
          transports[i % 4] + " 127.0.0.1:" + std::to_string(myPort) + ";rport;branch=" + tag +
          std::to_string(i) + "\r\nMax-Forwards: 70\r\nFrom: <sip:x@127.0.0.1>;tag=t" + id +
          "\r\nTo: <sip:alice@127.0.0.1>\r\nCall-ID: unserved-" + id + "\r\nCSeq: 1 " + method +
          "\r\nContact: <sip:x@127.0.0.1>\r\nContent-Length: 0\r\n\r\n";
      ASSERT_EQ(::send(fd, msg.data(), msg.size(), 0), static_cast<ssize_t>(msg.size()));
      drain(0);
    }
    while (answered < kPerRound && Clock::now() < deadline) {
      drain(100);
    }
    EXPECT_EQ(answered, kPerRound) << "round " << round << ": each request gets its final answer";
    EXPECT_EQ(recvErrors, 0);
    // Every transaction ends (Timer J/H are 64*T1 = 640 ms here); bounded wait on the gauge.
    long long live = -1;
    while (Clock::now() < deadline + kBound) {
      live =
          metricValue(httpGet(server_->port(), "/metrics", kToken).body, "tapid_sip_transactions");
      if (live == 0) {
        break;
      }
      drain(50);  // waits on the socket (nothing more should come) as the bounded pause
    }
    ASSERT_EQ(live, 0) << "round " << round << ": transactions left";
    rssAfterRound.push_back(rssKib(server_->pid()));
  }
  // Leaking the 6 000 transactions of the last two rounds would be 22 MB and more (3.7 KB
  // each without the sanitizer); allow for allocator noise.
  EXPECT_LT(rssAfterRound.back() - rssAfterRound.front(), 4 * 1024)
      << rssAfterRound.front() << " KiB -> " << rssAfterRound.back() << " KiB";
  ::close(fd);
  // And the shutdown leak report, which counts SIP transactions, is empty.
  ::kill(server_->pid(), SIGTERM);
  EXPECT_TRUE(server_->waitForLine("leak report: empty")) << server_->log();
}

TEST_F(TapidProcessTest, UnauthenticatedTcpIsRefusedUnixNeedsNoToken) {
  start();
  {
    TcpClient c;
    EXPECT_EQ(c.connect(tcpEp()), 401);
  }
  {
    TcpClient c;
    EXPECT_EQ(c.connect(tcpEp(), "not-the-token"), 401);
  }
  {
    TcpClient c;
    ASSERT_EQ(c.connect(tcpEp(), kToken), 101);
    EXPECT_EQ(c.result("tapidStats")["connections"], json::value(1));
  }
  UnixClient u;
  ASSERT_EQ(u.connect(unixEp()), 101);
  EXPECT_GT(u.result("lineInitialize", {{"appName", "local"}})["hLineApp"].as_int64(), 0);
  EXPECT_NE(server_->waitForLine("event=unauthorized"), std::nullopt);
}

TEST_F(TapidProcessTest, BadJsonAndUnknownMethodKeepTheConnection) {
  start();
  UnixClient c;
  ASSERT_EQ(c.connect(unixEp()), 101);
  c.sendRaw("{not json");
  auto r = c.read();
  ASSERT_TRUE(r);
  EXPECT_EQ(errorCode(*r), "BADJSON");
  EXPECT_TRUE((*r)["id"].is_null());
  EXPECT_EQ(errorCode(c.call("lineTeleport")), "UNKNOWNMETHOD");
  EXPECT_EQ(errorCode(c.call("lineOpen", {{"deviceId", 0}, {"privileges", "OWNER"}})),
            "NOTINITIALIZED");
  c.sendRaw(R"({"method":"tapidStats"})");
  r = c.read();
  ASSERT_TRUE(r);
  EXPECT_EQ(errorCode(*r), "BADREQUEST");
  // Still serving this connection.
  EXPECT_EQ(c.result("tapidStats")["connections"], json::value(1));
  HttpReply m = httpGet(server_->port(), "/metrics", kToken);
  EXPECT_NE(m.body.find("tapid_rejected_frames_total{reason=\"BADJSON\"} 1"), std::string::npos);
  EXPECT_NE(m.body.find("tapid_rejected_frames_total{reason=\"UNKNOWNMETHOD\"} 1"),
            std::string::npos);
}

TEST_F(TapidProcessTest, OversizedFrameGetsTooLargeThenClose) {
  start("[api.limits]\nmax_frame_bytes = 4096\n");
  UnixClient c;
  ASSERT_EQ(c.connect(unixEp()), 101);
  c.result("lineInitialize", {{"appName", "big"}});
  const std::string big =
      R"({"id":5,"method":"tapidStats","params":{"pad":")" + std::string(20000, 'x') + "\"}}";
  c.sendRaw(big);
  auto r = c.read();
  ASSERT_TRUE(r) << c.readError.message();
  EXPECT_EQ(errorCode(*r), "TOOLARGE");
  EXPECT_FALSE(c.read());
  EXPECT_EQ(c.readError, websocket::error::closed) << c.readError.message();
  EXPECT_EQ(c.closeReason().code, websocket::close_code::too_big);
  // The server keeps serving others, and the app of the closed connection is gone.
  UnixClient d;
  ASSERT_EQ(d.connect(unixEp()), 101);
  EXPECT_EQ(d.result("tapidStats")["apps"], json::value(0));
}

TEST_F(TapidProcessTest, SlowReaderIsDisconnectedOthersKeepWorking) {
  start("[api.limits]\nmax_pending_bytes = 65536\n");
  UnixClient slow;
  ASSERT_EQ(slow.connect(unixEp()), 101);
  slow.result("lineInitialize", {{"appName", "slow"}});
  slow.result("lineOpen", {{"deviceId", 0}, {"privileges", "MONITOR"}});

  UnixClient good;
  ASSERT_EQ(good.connect(unixEp()), 101);
  good.result("lineInitialize", {{"appName", "good"}});
  const auto hLine = good.result("lineOpen", {{"deviceId", 0}, {"privileges", "OWNER"}})["hLine"];
  const auto hCall =
      good.result("lineMakeCall", {{"hLine", hLine}, {"destination", "200"}})["hCall"];

  // Every lineSetAppSpecific sends the monitor a LINE_CALLINFO it never reads.
  const auto deadline = Clock::now() + kBound;
  int sent = 0;
  while (!server_->hasLine("reason=slow-reader") && Clock::now() < deadline && sent < 200000) {
    std::vector<std::int64_t> ids;
    for (int i = 0; i < 32; ++i) {
      ids.push_back(good.send("lineSetAppSpecific", {{"hCall", hCall}, {"value", sent++}}));
    }
    for (auto id : ids) {
      auto r = good.response(id);
      ASSERT_TRUE(r) << good.readError.message();
      ASSERT_TRUE(r->contains("result")) << json::serialize(*r);
    }
    good.events.clear();
  }
  ASSERT_TRUE(server_->waitForLine("reason=slow-reader", 5s)) << server_->log();
  // The slow client finds its connection ended after whatever the kernel had buffered.
  int frames = 0;
  while (slow.read()) {
    ++frames;
  }
  EXPECT_NE(slow.readError, asio::error::timed_out);
  EXPECT_GT(frames, 0);
  // The good client is unaffected; the slow app was shut down.
  json::object st = good.result("tapidStats");
  EXPECT_EQ(st["apps"], json::value(1));
  EXPECT_EQ(st["connections"], json::value(1));
  EXPECT_EQ(good.result("lineGetCallStatus", {{"hCall", hCall}})["privilegeName"], "OWNER");
  HttpReply m = httpGet(server_->port(), "/metrics", kToken);
  EXPECT_NE(m.body.find("tapid_slow_reader_disconnects_total 1"), std::string::npos) << m.body;
}

TEST_F(TapidProcessTest, SigtermWithHundredLiveCalls) {
  start();
  UnixClient dialer;
  ASSERT_EQ(dialer.connect(unixEp()), 101);
  dialer.result("lineInitialize", {{"appName", "dialer"}});
  const auto hLine = dialer.result("lineOpen", {{"deviceId", 0}, {"privileges", "OWNER"}})["hLine"];
  TcpClient monitor;
  ASSERT_EQ(monitor.connect(tcpEp(), kToken), 101);
  monitor.result("lineInitialize", {{"appName", "logger"}});
  monitor.result("lineOpen", {{"deviceId", 0}, {"privileges", "MONITOR"}});

  constexpr int kCalls = 100;
  // Pipelined in windows below the requests-in-flight limit (64).
  for (int i = 0; i < kCalls; i += 25) {
    std::vector<std::int64_t> ids;
    for (int j = i; j < std::min(kCalls, i + 25); ++j) {
      ids.push_back(dialer.send("lineMakeCall", {{"hLine", hLine}, {"destination", "200"}}));
    }
    for (auto id : ids) {
      auto r = dialer.response(id);
      ASSERT_TRUE(r && r->contains("result")) << (r ? json::serialize(*r) : "no response");
    }
  }
  // Wait until every call is connected (default far end: answers after 1 s).
  int connected = 0;
  for (const auto& e : dialer.events) {
    connected += e.at("event") == "LINE_CALLSTATE" && e.at("state") == "CONNECTED";
  }
  dialer.events.clear();
  while (connected < kCalls) {
    auto f = dialer.read();
    ASSERT_TRUE(f) << "connected " << connected << ": " << dialer.readError.message();
    connected +=
        f->contains("event") && (*f)["event"] == "LINE_CALLSTATE" && (*f)["state"] == "CONNECTED";
  }
  EXPECT_EQ(dialer.result("tapidStats")["calls"], json::value(kCalls));

  server_->signal(SIGTERM);

  // Both clients are told: LINE_CLOSE, then the WebSocket closes (going away).
  for (auto* reader : {static_cast<void*>(&dialer), static_cast<void*>(&monitor)}) {
    bool lineClose = false;
    auto drain = [&](auto& c) {
      while (auto f = c.read()) {
        lineClose = lineClose || (f->contains("event") && (*f)["event"] == "LINE_CLOSE");
      }
      EXPECT_EQ(c.readError, websocket::error::closed) << c.readError.message();
      EXPECT_EQ(c.closeReason().code, websocket::close_code::going_away);
    };
    if (reader == &dialer) {
      drain(dialer);
    } else {
      drain(monitor);
    }
    EXPECT_TRUE(lineClose);
  }

  auto status = server_->waitExit();
  ASSERT_TRUE(status) << server_->log();
  EXPECT_EQ(*status, 0) << server_->log();
  EXPECT_TRUE(server_->hasLine("leak report: empty")) << server_->log();
  EXPECT_FALSE(server_->hasLine("leak:")) << server_->log();

  std::ifstream calls(server_->callsPath());
  std::string line;
  int lines = 0;
  int serverShutdown = 0;
  while (std::getline(calls, line)) {
    ++lines;
    json::object rec = json::parse(line).as_object();
    serverShutdown += rec["termination"].as_object()["origin"] == "server-shutdown";
  }
  EXPECT_EQ(lines, kCalls);
  EXPECT_EQ(serverShutdown, kCalls);
  EXPECT_FALSE(std::filesystem::exists(server_->socketPath()));
}

TEST_F(TapidProcessTest, SecondServerOnTheSameSocketIsRefusedStaleSocketIsReplaced) {
  start();
  {
    TapidProcess second(dir_, "");
    auto status = second.waitExit();
    ASSERT_TRUE(status);
    EXPECT_NE(*status, 0);
    EXPECT_TRUE(second.hasLine("another server is already serving")) << second.log();
  }
  // The first one still serves.
  UnixClient c;
  ASSERT_EQ(c.connect(unixEp()), 101);
  EXPECT_EQ(c.result("tapidStats")["connections"], json::value(1));
  // kill -9 leaves the socket file behind; the next start replaces it.
  server_->signal(SIGKILL);
  ASSERT_TRUE(server_->waitExit());
  EXPECT_TRUE(std::filesystem::exists(server_->socketPath()));
  server_.reset();
  start();
  EXPECT_TRUE(server_->hasLine("event=stale_socket_removed")) << server_->log();
  UnixClient d;
  EXPECT_EQ(d.connect(unixEp()), 101);
}

TEST_F(TapidProcessTest, GeneratedTokenIsWrittenOwnerOnlyAndSocketIs0660) {
  server_ = std::make_unique<TapidProcess>(dir_, "", /*withToken=*/false);
  ASSERT_TRUE(server_->waitReady()) << server_->log();
  const std::string tokenFile = dir_ + "/var/tapid.token";
  ASSERT_TRUE(server_->hasLine("event=token_generated file=" + tokenFile)) << server_->log();
  struct stat st {};
  ASSERT_EQ(::stat(tokenFile.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
  ASSERT_EQ(::stat(server_->socketPath().c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0660u);
  std::ifstream in(tokenFile);
  std::string token;
  std::getline(in, token);
  EXPECT_EQ(token.size(), 64u);
  TcpClient c;
  ASSERT_EQ(c.connect(tcpEp(), token), 101);
  EXPECT_EQ(c.result("tapidStats")["connections"], json::value(1));
}

TEST_F(TapidProcessTest, TlsOnTcp) {
  const std::string cert = dir_ + "/cert.pem";
  const std::string key = dir_ + "/key.pem";
  const std::string cmd =
      "openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 "
      "-keyout " +
      key + " -out " + cert +
      " -subj /CN=localhost -addext subjectAltName=IP:127.0.0.1 -nodes "
      "-days 1 >/dev/null 2>&1";
  if (std::system(cmd.c_str()) != 0) {
    GTEST_SKIP() << "no openssl command to make a test certificate";
  }
  start("[api.tls]\ncert = \"" + cert + "\"\nkey = \"" + key + "\"\n");
  ASSERT_TRUE(server_->hasLine("transport=tls")) << server_->log();
  std::string why;
  EXPECT_EQ(tlsRoundTrip(server_->port(), cert, why), 1) << why;
  // Plain TCP on the TLS port gets nowhere.
  TcpClient plain;
  EXPECT_NE(plain.connect(tcpEp(), kToken), 101);
}

}  // namespace
