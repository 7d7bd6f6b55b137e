// tapid: the OpenTAPI server. `tapid` with no arguments serves simulated lines on
// loopback (docs/tapid.md); `tapid --config FILE` reads a TOML configuration.

#include <cstdio>
#include <string>
#include <variant>

#include <spdlog/sinks/stdout_sinks.h>
#include <spdlog/spdlog.h>
#include <CLI/CLI.hpp>

#include "base/fd_budget.hpp"
#include "server/config.hpp"
#include "server/server.hpp"

int main(int argc, char** argv) {
  CLI::App cli{"tapid: OpenTAPI telephony session server (WebSocket API, docs/api.md)"};
  std::string configPath;
  bool printDefault = false;
  cli.add_option("-c,--config", configPath, "TOML configuration file (docs/tapid.md)");
  cli.add_flag("--print-default-config", printDefault,
               "print the default configuration (commented TOML) and exit");
  CLI11_PARSE(cli, argc, argv);

  if (printDefault) {
    const auto text = tapi::server::defaultConfigToml();
    std::fwrite(text.data(), 1, text.size(), stdout);
    return 0;
  }

  auto logger = spdlog::stderr_logger_mt("tapid");
  logger->set_pattern("%Y-%m-%dT%H:%M:%S.%eZ level=%l %v", spdlog::pattern_time_type::utc);
  spdlog::set_default_logger(logger);

  std::variant<tapi::server::ServerConfig, std::string> loaded =
      configPath.empty() ? tapi::server::ServerConfig{} : tapi::server::loadConfigFile(configPath);
  if (auto* err = std::get_if<std::string>(&loaded)) {
    spdlog::error("event=config_error detail=\"{}\"", *err);
    return 2;
  }
  tapi::server::ServerConfig config = std::get<tapi::server::ServerConfig>(std::move(loaded));
  const auto level = spdlog::level::from_str(config.logLevel);
  if (level == spdlog::level::off && config.logLevel != "off") {
    spdlog::error("event=config_error detail=\"log_level: unknown level '{}'\"", config.logLevel);
    return 2;
  }
  spdlog::set_level(level);
  // Every call holds two descriptors (RTP + RTCP) and every connection one: use all the
  // descriptors the hard limit allows, not the small soft default.
  const std::size_t fdLimit = tapi::base::raiseFileLimit();
  spdlog::info("event=start config={} fd_limit={}", configPath.empty() ? "defaults" : configPath,
               fdLimit);

  tapi::server::Server server(std::move(config));
  return server.run();
}
