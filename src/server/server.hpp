#pragma once
// tapid as an object: the loop, the line providers, the engine, the call-record file, the
// API listeners and the shutdown sequence. tools/tapid/main.cpp only parses the command
// line and runs it.

#include <cstdio>
#include <memory>
#include <string>

#include "server/config.hpp"

namespace tapi::server {

class Server {
 public:
  explicit Server(ServerConfig config);
  ~Server();
  Server(const Server&) = delete;
  Server& operator=(const Server&) = delete;

  /**
   * Sets up everything (var dir, token, listeners), then runs the loop on the calling
   * thread until SIGTERM/SIGINT and a clean shutdown.
   * @return the process exit code: 0 after a clean shutdown with an empty leak report,
   *         1 if start-up failed or something leaked.
   */
  int run();

  /** Prometheus text for /metrics. Loop thread. */
  std::string metricsText() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace tapi::server
