#pragma once
// Where the C API's process-wide runtime comes from: TAPI_SERVER (a remote tapid) or an
// embedded engine configured from the TOML file tapid reads (docs/capi.md).

#include <cstdint>
#include <string>
#include <variant>

#include <tapi/tapi.hpp>

namespace tapi::capi {

/** A remote tapid, from TAPI_SERVER and TAPI_TOKEN. */
struct RemoteChoice {
  std::string server;
  std::string token;
};

/** An embedded engine, with the file its options came from ("" for built-in defaults). */
struct EmbeddedChoice {
  EngineOptions options;
  std::string source;
};

using BackendChoice = std::variant<RemoteChoice, EmbeddedChoice>;

/**
 * Reads the environment and, for the embedded engine, the configuration file:
 * TAPI_CONFIG if set (it must exist), else ./tapi.toml, else /etc/opentapi/tapi.toml,
 * else built-in defaults. Only [engine] and [lines.sim] count are read; other keys
 * (tapid's) are ignored.
 * @return the choice, or a message saying what is wrong with the file.
 */
std::variant<BackendChoice, std::string> chooseBackend();

/** Parses the engine options out of TOML text (for tests). */
std::variant<EngineOptions, std::string> parseEngineToml(const std::string& text,
                                                         const std::string& sourceName);

}  // namespace tapi::capi
