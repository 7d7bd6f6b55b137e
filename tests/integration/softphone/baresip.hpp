#pragma once
// baresip as the other party of a SIP line: a headless softphone with a configuration
// directory the test writes (no audio device: a sine tone as the source, no player), its
// SIP trace (-s) on stdout, and its ctrl_tcp module on a free port, which takes commands
// ("dial", "accept", "hold", "resume", "hangup") and reports call events. Every read is
// bounded by poll(2); the process is stopped by its pid when the test ends.

#include <gtest/gtest.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <memory>
#include <string>
#include <vector>

#include "integration/kamailio/kamailio_fixture.hpp"
#include "integration/multiapp/process.hpp"
#include "integration/sipp/sip_fixture.hpp"

namespace tapi::testing {

/** The media direction attribute of the SDP in `message` (RFC 3264 §6.1; none: sendrecv). */
inline std::string sdpDirection(const std::string& message) {
  for (const char* d : {"sendrecv", "sendonly", "recvonly", "inactive"}) {
    if (message.find(std::string("a=") + d) != std::string::npos) {
      return d;
    }
  }
  return "sendrecv";
}

inline constexpr const char* kBaresip = "/usr/bin/baresip";

class Baresip {
 public:
  /** Starts baresip as "bob" (no registration, calls answered only by accept()). */
  Baresip() : sipPort_(freeUdpTcpPort()), ctrlPort_(freePort(SOCK_STREAM)) {
    char dir[] = "/tmp/opentapi-baresip-XXXXXX";
    if (mkdtemp(dir) == nullptr) {
      ADD_FAILURE() << "cannot create a directory for baresip";
      return;
    }
    dir_ = dir;
    std::ofstream(dir_ + "/config") << "poll_method epoll\n"
                                    << "sip_listen 127.0.0.1:" << sipPort_ << "\n"
                                    << "audio_source ausine,440\n"
                                    << "ausrc_srate 48000\n"
                                    << "ausrc_channels 2\n"
                                    << "module_path /usr/lib/baresip/modules\n"
                                    << "module g711.so\n"
                                    << "module ausine.so\n"
                                    << "module_app account.so\n"
                                    << "module_app menu.so\n"
                                    << "module_app ctrl_tcp.so\n"
                                    << "ctrl_tcp_listen 127.0.0.1:" << ctrlPort_ << "\n";
    std::ofstream(dir_ + "/accounts")
        << "<sip:bob@127.0.0.1>;regint=0;answermode=manual;audio_codecs=PCMU\n";
    proc_ = std::make_unique<Process>(
        std::vector<std::string>{kBaresip, "-f", dir_, "-n", "127.0.0.1", "-s"}, true);
    proc_->drainInBackground();
    if (!waitTcpListening(ctrlPort_)) {
      ADD_FAILURE() << "baresip did not start:\n" << transcript();
      return;
    }
    ctrl_ = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    a.sin_port = htons(ctrlPort_);
    ready_ = connect(ctrl_, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0;
    EXPECT_TRUE(ready_) << "cannot connect to baresip's ctrl_tcp";
  }

  ~Baresip() {
    if (ctrl_ >= 0) {
      close(ctrl_);
    }
    if (proc_) {
      // SIGTERM lets it end its calls; SIGKILL if it takes too long.
      proc_->signal(SIGTERM);
      if (!proc_->wait(std::chrono::seconds(10))) {
        proc_->signal(SIGKILL);
        (void)proc_->wait(std::chrono::seconds(10));
      }
      proc_.reset();
    }
    if (!dir_.empty()) {
      std::error_code ec;
      std::filesystem::remove_all(dir_, ec);
    }
  }
  Baresip(const Baresip&) = delete;
  Baresip& operator=(const Baresip&) = delete;

  bool ready() const { return ready_; }
  /** Its SIP address, for a call to it. */
  std::string uri(bool tcp) const {
    return "sip:bob@127.0.0.1:" + std::to_string(sipPort_) + (tcp ? ";transport=tcp" : "");
  }

  /** Sends a ctrl_tcp command (a netstring holding JSON); its response comes as an event. */
  void command(const std::string& name, const std::string& params = {}) {
    const std::string json =
        "{\"command\":\"" + name + "\",\"params\":\"" + params + "\",\"token\":\"" + name + "\"}";
    const std::string frame = std::to_string(json.size()) + ":" + json + ",";
    std::size_t done = 0;
    while (done < frame.size()) {
      const ssize_t n = ::send(ctrl_, frame.data() + done, frame.size() - done, MSG_NOSIGNAL);
      if (n <= 0) {
        ADD_FAILURE() << "ctrl_tcp send failed";
        return;
      }
      done += static_cast<std::size_t>(n);
    }
  }

  /** Reads what ctrl_tcp has sent so far without waiting; each netstring is one message. */
  void poll() {
    char buf[4096];
    for (;;) {
      pollfd p{ctrl_, POLLIN, 0};
      if (::poll(&p, 1, 0) <= 0) {
        break;
      }
      const ssize_t n = ::recv(ctrl_, buf, sizeof buf, 0);
      if (n <= 0) {
        break;
      }
      pending_.append(buf, static_cast<std::size_t>(n));
    }
    for (;;) {
      const auto colon = pending_.find(':');
      if (colon == std::string::npos) {
        return;
      }
      const std::size_t len = std::stoul(pending_.substr(0, colon));
      if (pending_.size() < colon + 1 + len + 1) {
        return;
      }
      messages_.push_back(pending_.substr(colon + 1, len));
      pending_.erase(0, colon + 1 + len + 1);
    }
  }

  /** How many ctrl_tcp events of `type` ("CALL_ESTABLISHED", ...) arrived. */
  std::size_t events(const std::string& type) {
    poll();
    std::size_t n = 0;
    for (const auto& m : messages_) {
      n += m.find("\"type\":\"" + type + "\"") != std::string::npos ? 1 : 0;
    }
    return n;
  }

  /** How many ctrl_tcp responses to `command` reported success. */
  std::size_t succeeded(const std::string& command) {
    poll();
    std::size_t n = 0;
    for (const auto& m : messages_) {
      n += m.find("\"response\":true") != std::string::npos &&
                   m.find("\"ok\":true") != std::string::npos &&
                   m.find("\"token\":\"" + command + "\"") != std::string::npos
               ? 1
               : 0;
    }
    return n;
  }

  /**
   * The messages of the SIP trace so far that start with `startLine` ("SIP/2.0 200",
   * "INVITE ") and that the line sent (`fromLine`) or baresip sent (its messages name it in
   * Server, User-Agent or a=tool), in order. The trace prints each message after a "#" line
   * and a "PROTO from -> to" line; the addresses do not tell who sent it, since over TCP
   * either side may use a connection the other opened.
   */
  std::vector<std::string> traced(const std::string& startLine, bool fromLine) const {
    const std::string text = transcript();
    std::vector<std::string> out;
    for (auto at = text.find("#\n"); at != std::string::npos; at = text.find("#\n", at + 1)) {
      const auto routeEnd = text.find('\n', at + 2);
      if (routeEnd == std::string::npos) {
        break;
      }
      if (text.compare(routeEnd + 1, startLine.size(), startLine) != 0) {
        continue;
      }
      // The message ends where the trace's colour is reset; until that is printed the
      // message may still be arriving (headers without the body): not yet traced.
      const auto end = text.find("\x1b[;m", routeEnd);
      if (end == std::string::npos) {
        break;
      }
      std::string m = text.substr(routeEnd + 1, end - routeEnd - 1);
      if ((m.find("baresip") == std::string::npos) == fromLine) {
        out.push_back(std::move(m));
      }
    }
    return out;
  }

  /** The To tag of a traced message, or "". */
  static std::string toTag(const std::string& message) {
    const std::string to = header(message, "To");
    const auto at = to.find(";tag=");
    return at == std::string::npos ? std::string() : to.substr(at + 5);
  }

  /** The value of header `name` in a traced message (its full name only), or "". */
  static std::string header(const std::string& message, const std::string& name) {
    const std::string key = "\n" + name + ": ";
    const auto at = message.find(key);
    if (at == std::string::npos) {
      return {};
    }
    const auto from = at + key.size();
    return message.substr(from, message.find_first_of("\r\n", from) - from);
  }

  /** An INVITE baresip sent and the line's 2xx answer to it. */
  struct OfferAnswer {
    std::uint32_t cseq = 0;
    std::string offer;
    std::string answer;
  };

  /**
   * Each INVITE baresip sent that the line has answered with a 2xx (matched by Call-ID and
   * CSeq), with that answer, in the order sent. Retransmissions count once.
   */
  std::vector<OfferAnswer> invitesAnswered() const {
    const auto answers = traced("SIP/2.0 200", true);
    std::vector<OfferAnswer> out;
    for (const auto& offer : traced("INVITE ", false)) {
      const std::string cseq = header(offer, "CSeq");
      const std::string callId = header(offer, "Call-ID");
      if (cseq.empty() || (!out.empty() && out.back().cseq == std::stoul(cseq))) {
        continue;
      }
      for (const auto& answer : answers) {
        if (header(answer, "CSeq") == cseq && header(answer, "Call-ID") == callId) {
          out.push_back({static_cast<std::uint32_t>(std::stoul(cseq)), offer, answer});
          break;
        }
      }
    }
    return out;
  }

  /** The SIP trace and log so far. */
  std::string transcript() const { return proc_ ? proc_->transcript() : std::string(); }

  /** Every ctrl_tcp message so far, one a line. */
  std::string messagesText() {
    poll();
    std::string out;
    for (const auto& m : messages_) {
      out += m + "\n";
    }
    return out;
  }

 private:
  std::uint16_t sipPort_;
  std::uint16_t ctrlPort_;
  std::string dir_;
  std::unique_ptr<Process> proc_;
  int ctrl_ = -1;
  bool ready_ = false;
  std::string pending_;
  std::vector<std::string> messages_;
};

}  // namespace tapi::testing
