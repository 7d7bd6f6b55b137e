#pragma once
// Starts tapid as a separate process in a temporary directory (socket, token, records)
// and stops it with SIGTERM (or kills it, for tests of a server that dies). Paths of the
// binaries come from CMake via the environment.

#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <memory>
#include <string>

#include "process.hpp"

namespace tapi::testing {

inline std::string envOr(const char* name, const char* dflt = "") {
  const char* v = std::getenv(name);
  return v != nullptr ? v : dflt;
}

class Tapid {
 public:
  static constexpr const char* kToken = "multiapp-test-token";

  /** `extraConfig` is appended to the generated tapid.toml (e.g. a [lines.sip] section). */
  explicit Tapid(const std::string& extraConfig = {}) {
    std::string tmpl = (std::filesystem::temp_directory_path() / "tapid-multiapp-XXXXXX").string();
    dir_ = mkdtemp(tmpl.data());
    const std::string config = dir_ + "/tapid.toml";
    std::ofstream(config) << "var_dir = \"" << dir_ << "\"\n"
                          << "log_level = \"info\"\n"
                          << "[api]\n"
                          << "unix_socket = \"" << dir_ << "/tapid.sock\"\n"
                          << "tcp_listen = \"127.0.0.1:0\"\n"
                          << "token = \"" << kToken << "\"\n"
                          << "token_file = \"" << dir_ << "/tapid.token\"\n"
                          << "[cdr]\n"
                          << "calls_jsonl = \"" << dir_ << "/calls.jsonl\"\n"
                          << extraConfig;
    process_ = std::make_unique<Process>(
        std::vector<std::string>{envOr("TAPID"), "--config", config}, true);
    unix_ = "unix:" + dir_ + "/tapid.sock";
    // Startup logs: the TCP address (port 0 = any) and then readiness.
    for (;;) {
      auto line = process_->readLine(std::chrono::seconds(60));
      if (!line) {
        ADD_FAILURE() << "tapid did not become ready:\n" << process_->transcript();
        return;
      }
      if (auto p = line->find("transport=tcp address="); p != std::string::npos) {
        const auto start = p + 22;
        tcp_ = "tcp://" + line->substr(start, line->find(' ', start) - start);
      }
      if (line->find("event=ready") != std::string::npos) {
        break;
      }
    }
    ready_ = true;
    process_->drainInBackground();
  }

  ~Tapid() {
    if (!killed_) {
      process_->signal(SIGTERM);
      auto rc = process_->wait(std::chrono::seconds(30));
      EXPECT_EQ(rc, std::optional<int>(0)) << "tapid log:\n" << process_->transcript();
    }
    process_.reset();
    std::error_code ec;
    std::filesystem::remove_all(dir_, ec);
  }

  /** kill -9: the server dies without closing anything itself; the kernel closes its sockets. */
  void kill9() {
    process_->signal(SIGKILL);
    EXPECT_EQ(process_->wait(std::chrono::seconds(30)), std::optional<int>(128 + SIGKILL));
    killed_ = true;
  }

  bool ready() const { return ready_; }
  const std::string& unixAddress() const { return unix_; }
  const std::string& tcpAddress() const { return tcp_; }
  std::string log() { return process_->transcript(); }
  const std::string& dir() const { return dir_; }

 private:
  std::string dir_;
  std::string unix_;
  std::string tcp_;
  bool ready_ = false;
  bool killed_ = false;
  std::unique_ptr<Process> process_;
};

}  // namespace tapi::testing
