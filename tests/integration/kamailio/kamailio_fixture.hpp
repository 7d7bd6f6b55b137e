#pragma once
// A Kamailio record-routing proxy and registrar for one test: kamailio.cfg filled in with a
// free port (UDP and TCP on 127.0.0.1) and a private temporary directory (its runtime files
// and the control socket kamcmd talks to), run in the foreground in its own process group
// and stopped by that group's id when the test ends, also when it fails.

#include <gtest/gtest.h>

#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <memory>
#include <sstream>
#include <string>
#include <vector>

#include "integration/multiapp/process.hpp"
#include "integration/sipp/sip_fixture.hpp"

namespace tapi::testing {

inline constexpr const char* kKamailio = "/usr/sbin/kamailio";
inline constexpr const char* kKamcmd = "/usr/sbin/kamcmd";
inline constexpr const char* kSipp = "/usr/bin/sipp";

/** Why a proxy test cannot run here (a binary it needs is absent), or empty. */
inline std::string missingProxyTools() {
  for (const char* tool : {kKamailio, kKamcmd, kSipp}) {
    if (access(tool, X_OK) != 0) {
      return std::string(tool) + " is not installed (scripts/install-deps.sh installs it)";
    }
  }
  return {};
}

/** A port free on 127.0.0.1 for both UDP and TCP, which a SIP proxy listens on together. */
inline std::uint16_t freeUdpTcpPort() {
  for (int attempt = 0; attempt < 50; ++attempt) {
    const std::uint16_t port = freePort(SOCK_STREAM);
    const int fd = socket(AF_INET, SOCK_DGRAM, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    a.sin_port = htons(port);
    const bool free = bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0;
    close(fd);
    if (free) {
      return port;
    }
  }
  ADD_FAILURE() << "no port free for both UDP and TCP";
  return 0;
}

/** One Kamailio for one test. */
class Kamailio {
 public:
  Kamailio() : port_(freeUdpTcpPort()) {
    char dir[] = "/tmp/opentapi-kamailio-XXXXXX";
    if (mkdtemp(dir) == nullptr) {
      ADD_FAILURE() << "cannot create a directory for Kamailio";
      return;
    }
    dir_ = dir;
    std::ifstream in(std::string(OPENTAPI_KAMAILIO_DIR) + "/kamailio.cfg");
    std::stringstream text;
    text << in.rdbuf();
    std::string cfg = text.str();
    replaceAll(cfg, "@PORT@", std::to_string(port_));
    replaceAll(cfg, "@DIR@", dir_);
    std::ofstream(dir_ + "/kamailio.cfg") << cfg;
    // setsid execs Kamailio in place (same pid) as the leader of a new process group, so the
    // workers it forks can be stopped together by that id.
    proc_ = std::make_unique<Process>(
        std::vector<std::string>{"/usr/bin/setsid", kKamailio, "-DD", "-E", "-f",
                                 dir_ + "/kamailio.cfg", "-Y", dir_, "-m", "32", "-M", "4"},
        true);
    proc_->drainInBackground();
    // It serves once it accepts TCP and answers on its control socket.
    ready_ = waitTcpListening(port_) && rpc({"core.version"}).find("kamailio") != std::string::npos;
    EXPECT_TRUE(ready_) << "Kamailio did not start:\n" << log();
  }

  ~Kamailio() {
    if (proc_) {
      // SIGTERM makes the main process stop its workers; SIGKILL the group if it does not.
      kill(-proc_->pid(), SIGTERM);
      if (!proc_->wait(std::chrono::seconds(10))) {
        kill(-proc_->pid(), SIGKILL);
        (void)proc_->wait(std::chrono::seconds(10));
      }
      proc_.reset();
    }
    if (!dir_.empty()) {
      std::error_code ec;
      std::filesystem::remove_all(dir_, ec);
    }
  }
  Kamailio(const Kamailio&) = delete;
  Kamailio& operator=(const Kamailio&) = delete;

  bool ready() const { return ready_; }
  std::uint16_t port() const { return port_; }
  /** "127.0.0.1:port", where SIPp sends to it. */
  std::string hostPort() const { return "127.0.0.1:" + std::to_string(port_); }
  /** Its SIP URI, for a line's registrar and outbound proxy. */
  std::string uri() const { return "sip:" + hostPort(); }

  /** kamcmd `args` over the private control socket: its output (stdout and stderr). */
  std::string rpc(const std::vector<std::string>& args) const {
    std::vector<std::string> argv{kKamcmd, "-s", "unix:" + dir_ + "/kamailio_ctl"};
    argv.insert(argv.end(), args.begin(), args.end());
    Process p(argv, true);
    std::string out;
    while (auto line = p.readLine(std::chrono::seconds(10))) {
      out += *line + "\n";
    }
    (void)p.wait(std::chrono::seconds(10));
    return out;
  }

  /** The contacts the location table holds for `user` ("" when it has none). */
  std::string contactsOf(const std::string& user) const {
    const std::string out = rpc({"ul.lookup", "location", user});
    return out.find("AOR not found") != std::string::npos ? std::string() : out;
  }

  /** Everything Kamailio has logged so far. */
  std::string log() const { return proc_ ? proc_->transcript() : std::string(); }

  /** How many log lines contain `needle`. */
  std::size_t logged(const std::string& needle) const {
    const std::string text = log();
    std::size_t n = 0;
    for (auto at = text.find(needle); at != std::string::npos; at = text.find(needle, at + 1)) {
      ++n;
    }
    return n;
  }

 private:
  static void replaceAll(std::string& s, const std::string& key, const std::string& value) {
    for (auto at = s.find(key); at != std::string::npos; at = s.find(key, at + value.size())) {
      s.replace(at, key.size(), value);
    }
  }

  std::uint16_t port_;
  std::string dir_;
  std::unique_ptr<Process> proc_;
  bool ready_ = false;
};

/** The line "alice" registered at, and sending every request through, `proxy`. */
inline providers::sip::SipLineConfig aliceBehind(const Kamailio& proxy, bool tcp) {
  providers::sip::SipLineConfig l = aliceLine(tcp);
  l.domain = "127.0.0.1";
  l.registrar = proxy.uri();
  l.proxy = proxy.uri();
  l.registerExpires = 300;
  return l;
}

}  // namespace tapi::testing
