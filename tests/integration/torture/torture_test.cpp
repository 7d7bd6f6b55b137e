// The RFC 4475 and RFC 5118 torture messages against a real SIP line: the SIP provider and
// the engine on an Asio loop in this process, one application with the lines open, and each
// message sent from a socket of the test over UDP (and TCP where framing allows it). The
// answer must be the one expected.tsv gives for a UA; valid INVITEs must reach the app as
// OFFERING calls, which the test then drops. At the end the engine, the provider and the SIP
// stack must hold nothing.
//
// Each message gets a line of its own (a new provider and engine): the RFCs reuse branches,
// sent-bys and Call-IDs across messages (cparam01/cparam02, the RFC 5118 REGISTERs), so on
// one shared stack a later message would be taken as a retransmission of an earlier one.
// Short timers (T1 = 5 ms) let every transaction end within a fraction of a second.
//
// Where answers go: a message's Via names hosts we cannot reach (192.0.2.x, example.com).
// Our rule is that a response goes back over the arrival transport to the source address
// (received, and rport when asked for; the Via's port otherwise). So each message is sent
// from its own UDP socket bound to a random 127.a.b.c address at the top Via's port (5060 if
// none): the received address, the Via port and the source port then all name that socket,
// and no answer can be confused with the answer to another message.

#include <gtest/gtest.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <functional>
#include <iterator>
#include <memory>
#include <optional>
#include <ostream>
#include <random>
#include <set>
#include <sstream>
#include <string>
#include <string_view>
#include <vector>

#include "base/asio_loop.hpp"
#include "engine/engine.hpp"
#include "providers/sip/sip_provider.hpp"

namespace tapi::testing {
namespace {

namespace fs = std::filesystem;
using namespace std::chrono_literals;

/** How long an answer (or the sync answer) may take; loopback answers take milliseconds. */
constexpr auto kAnswerBound = 2s;

/** One alternative of the expected column: an answer (or none), headers it must carry. */
struct Alternative {
  std::optional<int> status;  // nothing: no answer at all
  bool close = false;         // TCP: no answer, the line closes the connection
  std::vector<std::string> headers;
  bool offering = false;  // the app must see the call offered
};

/** One row of expected.tsv. */
struct Row {
  std::string file;
  bool tcp = false;
  std::string expected;
  std::string note;
  std::vector<Alternative> alternatives;
};

/** GoogleTest prints a row by its file and transport, not as bytes. */
void PrintTo(const Row& r, std::ostream* os) {
  *os << r.file << (r.tcp ? " over TCP" : " over UDP") << ", expected " << r.expected;
}

std::vector<std::string> split(const std::string& s, char sep) {
  std::vector<std::string> out;
  std::stringstream ss(s);
  std::string part;
  while (std::getline(ss, part, sep)) {
    out.push_back(part);
  }
  return out;
}

std::optional<std::vector<Alternative>> parseExpected(const std::string& text) {
  std::vector<Alternative> out;
  for (const std::string& alt : split(text, '|')) {
    const auto parts = split(alt, '+');
    if (parts.empty()) {
      return std::nullopt;
    }
    Alternative a;
    if (parts[0] == "close") {
      a.close = true;
    } else if (parts[0] != "none") {
      if (parts[0].size() != 3 || !std::all_of(parts[0].begin(), parts[0].end(),
                                               [](char c) { return c >= '0' && c <= '9'; })) {
        return std::nullopt;
      }
      a.status = std::stoi(parts[0]);
    }
    for (std::size_t i = 1; i < parts.size(); ++i) {
      if (parts[i] == "OFFERING") {
        a.offering = true;
      } else {
        a.headers.push_back(parts[i]);
      }
    }
    out.push_back(std::move(a));
  }
  return out;
}

std::vector<Row> loadRows() {
  std::vector<Row> rows;
  std::ifstream in(fs::path(OPENTAPI_TORTURE_DIR) / "expected.tsv");
  std::string line;
  while (std::getline(in, line)) {
    if (line.empty() || line[0] == '#') {
      continue;
    }
    const auto cols = split(line, '\t');
    Row r;
    if (cols.size() == 4) {
      r.file = cols[0];
      r.tcp = cols[1] == "tcp";
      r.expected = cols[2];
      r.note = cols[3];
      if (auto alts = parseExpected(r.expected)) {
        r.alternatives = std::move(*alts);
      }
    }
    // A malformed row stays with no alternatives; the manifest test reports it.
    if (r.file.empty()) {
      r.file = "malformed: " + line;
    }
    rows.push_back(std::move(r));
  }
  return rows;
}

std::string readFile(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

std::string lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) {
    c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  }
  return out;
}

/** The status code of a response ("SIP/2.0 NNN ..."), -1 if it is not one. */
int statusOf(std::string_view m) {
  if (m.substr(0, 8) != "SIP/2.0 " || m.size() < 11) {
    return -1;
  }
  int code = 0;
  for (std::size_t i = 8; i < 11; ++i) {
    if (m[i] < '0' || m[i] > '9') {
      return -1;
    }
    code = code * 10 + (m[i] - '0');
  }
  return code;
}

std::string firstLine(std::string_view m) {
  return std::string(m.substr(0, std::min(m.find("\r\n"), m.size())));
}

/** The header fields of a message as (lower-case name, value) pairs, folding undone. */
std::vector<std::pair<std::string, std::string>> headerFields(std::string_view m) {
  std::vector<std::pair<std::string, std::string>> out;
  const std::size_t end = m.find("\r\n\r\n");
  std::string_view head = m.substr(0, end);
  std::size_t pos = head.find("\r\n");
  while (pos != std::string_view::npos && pos + 2 < head.size()) {
    pos += 2;
    std::size_t next = head.find("\r\n", pos);
    std::string line(head.substr(pos, next == std::string_view::npos ? head.npos : next - pos));
    // Continuation lines (folding) belong to the field before.
    while (next != std::string_view::npos && next + 2 < head.size() &&
           (head[next + 2] == ' ' || head[next + 2] == '\t')) {
      const std::size_t after = head.find("\r\n", next + 2);
      line += ' ';
      line += head.substr(next + 2, after == std::string_view::npos ? head.npos : after - next - 2);
      next = after;
    }
    const std::size_t colon = line.find(':');
    if (colon != std::string::npos) {
      std::string name = line.substr(0, colon);
      while (!name.empty() && (name.back() == ' ' || name.back() == '\t')) {
        name.pop_back();
      }
      out.emplace_back(lower(name), line.substr(colon + 1));
    }
    pos = next;
  }
  return out;
}

bool hasHeader(std::string_view m, std::string_view name) {
  const std::string want = lower(name);
  for (const auto& [n, v] : headerFields(m)) {
    if (n == want) {
      return true;
    }
  }
  return false;
}

/** The port of the top Via's sent-by; 5060 when it names none. */
std::uint16_t topViaPort(std::string_view m) {
  for (const auto& [name, value] : headerFields(m)) {
    if (name != "via" && name != "v") {
      continue;
    }
    // "SIP / 2.0 / UDP host:port;params, next-via": sent-by is the last word before ';' or ','.
    const std::string first = value.substr(0, value.find_first_of(";,"));
    std::istringstream words(first);
    std::string word;
    std::string sentBy;
    while (words >> word) {
      sentBy = word;
    }
    std::size_t colon = std::string::npos;
    if (!sentBy.empty() && sentBy.front() == '[') {
      const std::size_t close = sentBy.find(']');
      if (close != std::string::npos && close + 1 < sentBy.size() && sentBy[close + 1] == ':') {
        colon = close + 1;
      }
    } else {
      colon = sentBy.find(':');
    }
    if (colon == std::string::npos) {
      return 5060;
    }
    const int port = std::atoi(sentBy.c_str() + colon + 1);
    return port > 0 && port < 65536 ? static_cast<std::uint16_t>(port) : 5060;
  }
  return 5060;
}

/** Over TCP the top Via says TCP where it says "SIP/2.0/UDP"; nothing else changes. */
std::string asTcp(std::string m) {
  std::size_t pos = m.find("\r\n");
  while (pos != std::string::npos && pos + 2 < m.size()) {
    const std::size_t start = pos + 2;
    const std::size_t end = m.find("\r\n", start);
    const std::string line = m.substr(start, end == std::string::npos ? m.npos : end - start);
    if (line.empty()) {
      break;  // end of the header
    }
    const std::size_t colon = line.find(':');
    std::string name = lower(line.substr(0, colon == std::string::npos ? 0 : colon));
    while (!name.empty() && (name.back() == ' ' || name.back() == '\t')) {
      name.pop_back();
    }
    if (name == "via" || name == "v") {
      const std::size_t udp = line.find("SIP/2.0/UDP ");
      if (udp != std::string::npos) {
        m.replace(start + udp + 8, 3, "TCP");
      }
      break;
    }
    pos = end;
  }
  return m;
}

/** A random loopback address other than 127.0.0.1, so each message has its own peer. */
std::string randomLoopback() {
  static std::mt19937 rng{std::random_device{}()};
  std::uniform_int_distribution<int> octet(1, 254);
  return "127." + std::to_string(octet(rng)) + "." + std::to_string(octet(rng)) + "." +
         std::to_string(octet(rng));
}

sockaddr_in inet(const std::string& address, std::uint16_t port) {
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_port = htons(port);
  (void)inet_pton(AF_INET, address.c_str(), &a.sin_addr);
  return a;
}

/**
 * The test's end of the wire: a UDP socket, or a TCP connection to the line. Messages that
 * arrive are returned whole (TCP is framed by Content-Length).
 */
class Peer {
 public:
  /** A UDP socket on a random 127.a.b.c at `port`. @return nothing if no bind succeeded. */
  static std::unique_ptr<Peer> udp(std::uint16_t port, std::uint16_t serverPort) {
    for (int attempt = 0; attempt < 20; ++attempt) {
      const std::string address = randomLoopback();
      const int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
      sockaddr_in a = inet(address, port);
      if (fd >= 0 && bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0) {
        return std::unique_ptr<Peer>(new Peer(fd, false, address, port, serverPort));
      }
      if (fd >= 0) {
        close(fd);
      }
    }
    return nullptr;
  }

  /** A TCP connection from a random 127.a.b.c to the line's TCP port. */
  static std::unique_ptr<Peer> tcp(std::uint16_t serverPort) {
    for (int attempt = 0; attempt < 20; ++attempt) {
      const std::string address = randomLoopback();
      const int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
      sockaddr_in a = inet(address, 0);
      sockaddr_in server = inet("127.0.0.1", serverPort);
      // The kernel completes the handshake from the listen backlog: no loop turn is needed.
      if (fd >= 0 && bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0 &&
          connect(fd, reinterpret_cast<sockaddr*>(&server), sizeof server) == 0) {
        socklen_t len = sizeof a;
        (void)getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len);
        return std::unique_ptr<Peer>(new Peer(fd, true, address, ntohs(a.sin_port), serverPort));
      }
      if (fd >= 0) {
        close(fd);
      }
    }
    return nullptr;
  }

  ~Peer() { close(fd_); }
  Peer(const Peer&) = delete;
  Peer& operator=(const Peer&) = delete;

  bool send(std::string_view bytes) {
    if (tcp_) {
      while (!bytes.empty()) {
        const ssize_t n = ::send(fd_, bytes.data(), bytes.size(), MSG_NOSIGNAL);
        if (n <= 0) {
          return false;
        }
        bytes.remove_prefix(static_cast<std::size_t>(n));
      }
      return true;
    }
    sockaddr_in server = inet("127.0.0.1", serverPort_);
    return ::sendto(fd_, bytes.data(), bytes.size(), 0, reinterpret_cast<sockaddr*>(&server),
                    sizeof server) == static_cast<ssize_t>(bytes.size());
  }

  /** Whatever arrived since the last call, without waiting. */
  std::vector<std::string> receive() {
    std::vector<std::string> out;
    char buf[65536];
    for (;;) {
      const ssize_t n = ::recv(fd_, buf, sizeof buf, MSG_DONTWAIT);
      if (n < 0) {
        // A reset is the line closing too (it closed with our bytes still unread).
        closed_ = closed_ || (tcp_ && (errno == ECONNRESET || errno == EPIPE));
        break;
      }
      if (n == 0) {
        closed_ = tcp_;
        break;
      }
      if (!tcp_) {
        out.emplace_back(buf, static_cast<std::size_t>(n));
        continue;
      }
      stream_.append(buf, static_cast<std::size_t>(n));
    }
    while (tcp_) {
      const std::size_t headEnd = stream_.find("\r\n\r\n");
      if (headEnd == std::string::npos) {
        break;
      }
      std::size_t length = 0;
      for (const auto& [name, value] : headerFields(stream_.substr(0, headEnd + 4))) {
        if (name == "content-length" || name == "l") {
          length = static_cast<std::size_t>(std::strtoul(value.c_str(), nullptr, 10));
        }
      }
      if (stream_.size() < headEnd + 4 + length) {
        break;
      }
      out.push_back(stream_.substr(0, headEnd + 4 + length));
      stream_.erase(0, headEnd + 4 + length);
    }
    return out;
  }

  bool isTcp() const { return tcp_; }
  bool closed() const { return closed_; }
  const std::string& address() const { return address_; }
  std::uint16_t port() const { return port_; }

 private:
  Peer(int fd, bool tcp, std::string address, std::uint16_t port, std::uint16_t serverPort)
      : fd_(fd), tcp_(tcp), address_(std::move(address)), port_(port), serverPort_(serverPort) {}

  int fd_;
  bool tcp_;
  std::string address_;
  std::uint16_t port_;
  std::uint16_t serverPort_;
  std::string stream_;
  bool closed_ = false;
};

/** The users of the lines: every user a processed message addresses, and the RFCs' others. */
const char* const kLineUsers[] = {"user", "UserB", "vivekg", "j.user", "t.watson"};

/**
 * The SIP lines under test: the SIP provider and the engine on a real Asio loop driven by
 * the test thread, one application with every line open. Modelled on SipLineFixture
 * (integration/sipp/sip_fixture.hpp), with timers short enough that a transaction's wait for
 * retransmissions (64*T1) ends in 320 ms.
 */
class TortureLine {
 public:
  TortureLine() {
    providers::sip::SipProviderConfig cfg;
    cfg.listenUdp = "127.0.0.1:0";
    cfg.listenTcp = "127.0.0.1:0";
    cfg.rtpFirstPort = 32000;
    cfg.rtpLastPort = 32999;
    cfg.timers.t1 = std::chrono::milliseconds(5);
    cfg.timers.t2 = std::chrono::milliseconds(40);
    cfg.timers.t4 = std::chrono::milliseconds(50);
    cfg.timers.timerD = std::chrono::milliseconds(50);
    for (const char* user : kLineUsers) {
      providers::sip::SipLineConfig l;
      l.name = std::string("sip/") + user;
      l.user = user;
      l.domain = "127.0.0.1";
      l.transport = "udp";
      cfg.lines.push_back(std::move(l));
    }
    auto p = providers::sip::SipProvider::create(loop, loop.context(), cfg);
    if (!p) {
      ADD_FAILURE() << "provider: " << p.error().message();
      return;
    }
    provider = std::move(*p);
    eng = std::make_unique<engine::Engine>(loop, *provider, engine::Config{});
    auto app = eng->initialize({"torture-test", kApiVersion22, 0, {}});
    if (!app) {
      ADD_FAILURE() << "lineInitialize failed";
      return;
    }
    hApp = *app;
    for (std::uint32_t device = 0; device < std::size(kLineUsers); ++device) {
      engine::LineOpenParams op;
      op.deviceId = device;
      op.privileges = static_cast<std::uint32_t>(Privilege::Owner);
      op.mediaModes = 0x4;
      if (!eng->open(hApp, op)) {
        ADD_FAILURE() << "line " << device << " did not open";
        return;
      }
    }
    ready_ = true;
  }

  ~TortureLine() {
    eng.reset();
    provider.reset();
    // Let cancelled timers and closed sockets finish their handlers.
    loop.context().poll();
  }
  TortureLine(const TortureLine&) = delete;
  TortureLine& operator=(const TortureLine&) = delete;

  bool ready() const { return ready_; }
  std::uint16_t udpPort() const { return provider->udpEndpoint()->port; }
  std::uint16_t tcpPort() const { return provider->tcpEndpoint()->port; }

  /** Runs the loop until `pred` holds; false after `bound`. App messages are collected. */
  bool runUntil(const std::function<bool()>& pred, std::chrono::milliseconds bound) {
    const auto deadline = std::chrono::steady_clock::now() + bound;
    for (;;) {
      collect();
      if (pred()) {
        return true;
      }
      if (std::chrono::steady_clock::now() >= deadline) {
        return false;
      }
      loop.context().run_one_for(std::chrono::milliseconds(5));
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

  /** The first OFFERING the app saw, if any. */
  std::optional<Message> offering() const {
    for (const Message& m : messages) {
      if (m.type == MessageType::CallState &&
          m.param1 == static_cast<std::uint32_t>(CallState::Offering)) {
        return m;
      }
    }
    return std::nullopt;
  }

  bool sawState(std::uint32_t hCall, CallState state) const {
    return std::any_of(messages.begin(), messages.end(), [&](const Message& m) {
      return m.type == MessageType::CallState && m.hDevice == hCall &&
             m.param1 == static_cast<std::uint32_t>(state);
    });
  }

  /** The app drops an offered call (the line rejects it), waits for IDLE and deallocates. */
  void dropOffered(std::uint32_t hCall) {
    auto rid = eng->drop(hApp, hCall, 0, {});
    ASSERT_TRUE(rid) << "lineDrop refused: " << rid.error().message();
    EXPECT_TRUE(runUntil([&] { return sawState(hCall, CallState::Idle); }, kAnswerBound))
        << "the dropped call never went IDLE";
    EXPECT_TRUE(eng->deallocate(hApp, hCall));
  }

  /** No call, and nothing in the provider or the SIP stack (the app still running). */
  bool quiet() const {
    const auto ps = provider->sipStats();
    return eng->stats().calls == 0 && ps.allZero() && ps.connections == 0;
  }

  /** Shuts the app down; then the engine, the provider and the stack must hold nothing. */
  bool releasedEverything(std::chrono::milliseconds bound) {
    if (hApp != 0) {
      (void)eng->shutdown(hApp);
      hApp = 0;
    }
    return runUntil(
        [&] {
          const auto ps = provider->sipStats();
          return eng->stats().allZero() && ps.allZero() && ps.connections == 0;
        },
        bound);
  }

  std::string statsText() const {
    const auto es = eng->stats();
    const auto ps = provider->sipStats();
    return "engine: apps=" + std::to_string(es.apps) + " lines=" + std::to_string(es.openLines) +
           " handles=" + std::to_string(es.handles) + " calls=" + std::to_string(es.calls) +
           " | sip: calls=" + std::to_string(ps.calls) +
           " sessions=" + std::to_string(ps.sessions) + " dialogs=" + std::to_string(ps.dialogs) +
           " transactions=" + std::to_string(ps.transactions) +
           " timers=" + std::to_string(ps.timers) +
           " connections=" + std::to_string(ps.connections) + " rtp=" + std::to_string(ps.rtpPorts);
  }

  base::AsioLoop loop;
  std::unique_ptr<providers::sip::SipProvider> provider;
  std::unique_ptr<engine::Engine> eng;
  std::uint32_t hApp = 0;
  std::vector<Message> messages;

 private:
  bool ready_ = false;
};

std::string describe(const std::vector<std::string>& answers) {
  if (answers.empty()) {
    return "no answer";
  }
  std::string out;
  for (const auto& a : answers) {
    out += out.empty() ? "" : " / ";
    out += firstLine(a);
  }
  return out;
}

/** An OPTIONS from `peer` whose answer marks "everything before it has been answered". */
std::string syncOptions(const Peer& peer) {
  const std::string via = peer.address() + ":" + std::to_string(peer.port());
  const std::string id = "torture-sync";
  return "OPTIONS sip:user@127.0.0.1 SIP/2.0\r\n"
         "Via: SIP/2.0/" +
         std::string(peer.isTcp() ? "TCP" : "UDP") + " " + via + ";rport;branch=z9hG4bK-" + id +
         "\r\n"
         "Max-Forwards: 70\r\n"
         "To: <sip:user@127.0.0.1>\r\n"
         "From: <sip:torture@" +
         peer.address() + ">;tag=" + id +
         "\r\n"
         "Call-ID: " +
         id + "@" + peer.address() +
         "\r\n"
         "CSeq: 1 OPTIONS\r\n"
         "Content-Length: 0\r\n\r\n";
}

using Torture = ::testing::TestWithParam<Row>;

TEST_P(Torture, AnswersAsTheRfcAsks) {
  const Row& row = GetParam();
  ASSERT_FALSE(row.alternatives.empty()) << "bad expected column: " << row.expected;
  if (row.note.rfind("OPEN: ", 0) == 0) {
    // A known gap, listed so that it is seen in every run until it is fixed.
    GTEST_SKIP() << row.file << ": " << row.note;
  }
  std::string bytes = readFile(fs::path(OPENTAPI_TORTURE_DIR) / "corpus" / row.file);
  ASSERT_FALSE(bytes.empty()) << row.file;
  if (row.tcp) {
    bytes = asTcp(std::move(bytes));
  }
  TortureLine f;
  ASSERT_TRUE(f.ready());
  auto peer = row.tcp ? Peer::tcp(f.tcpPort()) : Peer::udp(topViaPort(bytes), f.udpPort());
  ASSERT_TRUE(peer) << "no socket for the test's end";

  // Answers other than 100 Trying, in arrival order; the sync OPTIONS' answer is kept apart.
  std::vector<std::string> answers;
  bool synced = false;
  auto pump = [&] {
    for (std::string& m : peer->receive()) {
      if (m.find("torture-sync@") != std::string::npos) {
        synced = true;
      } else if (statusOf(m) != 100) {
        answers.push_back(std::move(m));
      }
    }
  };

  ASSERT_TRUE(peer->send(bytes)) << "send failed";
  // "close" is an outcome to wait for like an answer; only "none" has nothing to wait on.
  const bool noneAllowed = std::any_of(row.alternatives.begin(), row.alternatives.end(),
                                       [](const Alternative& a) { return !a.status && !a.close; });
  if (!noneAllowed) {
    (void)f.runUntil(
        [&] {
          pump();
          return !answers.empty() || peer->closed();
        },
        kAnswerBound);
  }
  if (!row.tcp) {
    // Everything the message caused is answered before the OPTIONS sent after it: its answer
    // closes the wait for "no answer" and shows up any second answer to the message.
    ASSERT_TRUE(peer->send(syncOptions(*peer)));
    EXPECT_TRUE(f.runUntil(
        [&] {
          pump();
          return synced;
        },
        kAnswerBound))
        << "the OPTIONS sent after the message got no answer";
  }

  const std::optional<int> got =
      answers.empty() ? std::nullopt : std::optional<int>(statusOf(answers.front()));
  const bool closedSilently = !got && peer->closed();
  const Alternative* match = nullptr;
  for (const Alternative& a : row.alternatives) {
    if (a.status == got && a.close == closedSilently) {
      match = &a;
      break;
    }
  }
  const std::string seen = closedSilently ? "connection closed, no answer" : describe(answers);
  std::printf("[torture] %-42s %s expected %-17s got %s\n", row.file.c_str(),
              row.tcp ? "tcp" : "udp", row.expected.c_str(), seen.c_str());
  EXPECT_NE(match, nullptr) << row.file << " over " << (row.tcp ? "TCP" : "UDP") << ": expected "
                            << row.expected << " (" << row.note << "), got " << seen;
  if (match != nullptr && got) {
    for (const std::string& h : match->headers) {
      EXPECT_TRUE(hasHeader(answers.front(), h)) << "the " << *got << " must carry " << h << ":\n"
                                                 << answers.front();
    }
  }
  // One message, one answer: retransmissions repeat the same status; anything else is a
  // second message read out of the same bytes, or a second reaction to the one message.
  for (std::size_t i = 1; i < answers.size(); ++i) {
    EXPECT_EQ(statusOf(answers[i]), got.value_or(-1))
        << "a second, different answer: " << firstLine(answers[i]);
  }

  // An INVITE that was processed reaches the app; any other message must not make a call.
  std::optional<Message> call = f.offering();
  if (match != nullptr && match->offering) {
    (void)f.runUntil(
        [&] {
          call = f.offering();
          return call.has_value();
        },
        kAnswerBound);
    ASSERT_TRUE(call) << "the line answered " << *got << " but the app saw no OFFERING";
    f.dropOffered(call->hDevice);
    // The drop rejects the call on the wire: the INVITE gets its final answer.
    EXPECT_TRUE(f.runUntil(
        [&] {
          pump();
          return std::any_of(answers.begin(), answers.end(),
                             [](const std::string& a) { return statusOf(a) >= 300; });
        },
        kAnswerBound))
        << "no final answer after lineDrop: " << describe(answers);
  } else if (call) {
    ADD_FAILURE() << row.file << " made a call the app saw offered";
    f.dropOffered(call->hDevice);
  }

  // Nothing is left behind: the transactions end on their timers (64*T1 is 320 ms here), a
  // TCP connection closes when we close ours, and the app's shutdown releases the rest.
  peer.reset();
  EXPECT_TRUE(f.runUntil([&] { return f.quiet(); }, 3s)) << "left behind: " << f.statsText();
  EXPECT_TRUE(f.releasedEverything(3s)) << "after shutdown: " << f.statsText();
}

std::string rowName(const ::testing::TestParamInfo<Row>& info) {
  std::string name = info.param.file;
  if (name.size() > 4 && name.compare(name.size() - 4, 4, ".sip") == 0) {
    name.resize(name.size() - 4);
  }
  name += info.param.tcp ? "_tcp" : "_udp";
  for (char& c : name) {
    if (!std::isalnum(static_cast<unsigned char>(c))) {
      c = '_';
    }
  }
  return name;
}

INSTANTIATE_TEST_SUITE_P(Corpus, Torture, ::testing::ValuesIn(loadRows()), rowName);

TEST(TortureCorpus, EveryMessageHasAnExpectationAndASection) {
  const auto rows = loadRows();
  std::set<std::string> listed;
  std::set<std::pair<std::string, bool>> seen;
  for (const Row& r : rows) {
    EXPECT_FALSE(r.alternatives.empty()) << "bad row: " << r.file << " " << r.expected;
    EXPECT_TRUE(seen.insert({r.file, r.tcp}).second) << "listed twice: " << r.file;
    EXPECT_TRUE(fs::exists(fs::path(OPENTAPI_TORTURE_DIR) / "corpus" / r.file)) << r.file;
    for (const Alternative& a : r.alternatives) {
      EXPECT_FALSE(r.tcp && !a.status && !a.close) << r.file << ": use close over TCP";
      EXPECT_FALSE(!r.tcp && a.close) << r.file << ": close is for TCP";
    }
    listed.insert(r.file);
  }
  const std::string readme = readFile(fs::path(OPENTAPI_TORTURE_DIR) / "corpus" / "README.md");
  std::size_t files4475 = 0;
  std::size_t files5118 = 0;
  for (const char* folder : {"rfc4475", "rfc5118"}) {
    for (const auto& e :
         fs::directory_iterator(fs::path(OPENTAPI_TORTURE_DIR) / "corpus" / folder)) {
      if (e.path().extension() != ".sip") {
        continue;
      }
      const std::string file = std::string(folder) + "/" + e.path().filename().string();
      EXPECT_TRUE(listed.count(file)) << "no expectation for " << file;
      EXPECT_NE(readme.find("| " + file + " |"), std::string::npos) << "README misses " << file;
      (std::string_view(folder) == "rfc4475" ? files4475 : files5118) += 1;
    }
  }
  EXPECT_EQ(files4475, 49u) << "RFC 4475 has 49 messages";
  EXPECT_EQ(files5118, 12u) << "RFC 5118 has 12 messages";
}

TEST(TortureCorpus, ControlBytesAreOnTheWire) {
  const auto dir = fs::path(OPENTAPI_TORTURE_DIR) / "corpus" / "rfc4475";
  const std::string intmeth = readFile(dir / "intmeth.sip");
  EXPECT_NE(intmeth.find(std::string("\"BEL:\\\x07 NUL:\\\0 DEL:\\\x7f\"", 22)), std::string::npos)
      << "intmeth's display name must hold escaped BEL, NUL and DEL bytes";
  const std::string mpart = readFile(dir / "mpart01.sip");
  const std::size_t body = mpart.find("\r\n\r\n");
  ASSERT_NE(body, std::string::npos);
  EXPECT_NE(mpart.find('\0', body), std::string::npos) << "mpart01's body must hold NUL bytes";
  // Its Content-Length frames exactly the body that follows.
  const auto cl = mpart.find("Content-Length: ");
  ASSERT_NE(cl, std::string::npos);
  EXPECT_EQ(std::stoul(mpart.substr(cl + 16)), mpart.size() - body - 4);
}

TEST(TortureCorpus, HarnessHelpers) {
  EXPECT_EQ(
      topViaPort("OPTIONS x SIP/2.0\r\nVia: SIP/2.0/UDP [2001:db8::9:1]:6050;branch=a\r\n\r\n"),
      6050);
  EXPECT_EQ(topViaPort("OPTIONS x SIP/2.0\r\nVia: SIP/2.0/UDP [2001:db8::9:1];branch=a\r\n\r\n"),
            5060);
  EXPECT_EQ(
      topViaPort("OPTIONS x SIP/2.0\r\nVia  : SIP  /   2.0\r\n /UDP\r\n    192.0.2.2;b=1\r\n\r\n"),
      5060);
  EXPECT_EQ(topViaPort("OPTIONS x SIP/2.0\r\nv: SIP/2.0/UDP 192.0.2.59:5050;branch=a\r\n\r\n"),
            5050);
  EXPECT_EQ(
      asTcp("OPTIONS x SIP/2.0\r\nTo: a\r\nVia: SIP/2.0/UDP h;branch=a\r\nVia: SIP/2.0/UDP g\r\n"),
      "OPTIONS x SIP/2.0\r\nTo: a\r\nVia: SIP/2.0/TCP h;branch=a\r\nVia: SIP/2.0/UDP g\r\n");
  EXPECT_EQ(statusOf("SIP/2.0 501 Not Implemented\r\n"), 501);
  EXPECT_EQ(statusOf("OPTIONS sip:a SIP/2.0\r\n"), -1);
  EXPECT_TRUE(hasHeader("SIP/2.0 501 x\r\nallow : INVITE\r\n\r\n", "Allow"));
  const auto alts = parseExpected("180+OFFERING|400");
  ASSERT_TRUE(alts);
  ASSERT_EQ(alts->size(), 2u);
  EXPECT_TRUE((*alts)[0].offering);
  EXPECT_EQ((*alts)[1].status, 400);
  EXPECT_FALSE(parseExpected("40x"));
}

}  // namespace
}  // namespace tapi::testing
