#include "capi/config.hpp"

#include <cstdlib>
#include <fstream>
#include <sstream>
#include <system_error>

#include <toml++/toml.h>

namespace tapi::capi {

namespace {

const char* env(const char* name) {
  const char* v = std::getenv(name);
  return (v != nullptr && *v != '\0') ? v : nullptr;
}

bool fileExists(const std::string& path) {
  std::ifstream f(path);
  return f.good();
}

/** Reads a non-negative millisecond setting into `out`; false with `error` set if invalid. */
bool readMs(const toml::table& root, const char* key, std::chrono::nanoseconds& out,
            std::string& error) {
  const toml::node* n = root.at_path(key).node();
  if (n == nullptr) {
    return true;
  }
  if (!n->is_integer() || n->as_integer()->get() < 0) {
    error = std::string(key) + ": expected a non-negative integer";
    return false;
  }
  out = std::chrono::milliseconds(n->as_integer()->get());
  return true;
}

}  // namespace

std::variant<EngineOptions, std::string> parseEngineToml(const std::string& text,
                                                         const std::string& sourceName) {
  toml::table root;
  try {
    root = toml::parse(text, sourceName);
  } catch (const toml::parse_error& e) {
    return sourceName + ": " + std::string(e.description());
  }
  EngineOptions o;
  std::string error;
  if (!readMs(root, "engine.ownerless_grace_ms", o.ownerlessGrace, error) ||
      !readMs(root, "engine.idle_reclaim_ms", o.idleReclaimAfter, error) ||
      !readMs(root, "engine.no_answer_timeout_ms", o.noAnswerTimeout, error) ||
      !readMs(root, "engine.max_duration_ms", o.maxDuration, error)) {
    return sourceName + ": " + error;
  }
  if (const toml::node* n = root.at_path("lines.sim.count").node()) {
    if (!n->is_integer() || n->as_integer()->get() < 0 || n->as_integer()->get() > 1024) {
      return sourceName + ": lines.sim.count: expected an integer from 0 to 1024";
    }
    o.simulatedLines = static_cast<std::uint32_t>(n->as_integer()->get());
  }
  return o;
}

std::variant<BackendChoice, std::string> chooseBackend() {
  if (const char* server = env("TAPI_SERVER")) {
    const char* token = env("TAPI_TOKEN");
    return BackendChoice{RemoteChoice{server, token != nullptr ? token : ""}};
  }
  std::string path;
  if (const char* p = env("TAPI_CONFIG")) {
    path = p;
    if (!fileExists(path)) {
      return "TAPI_CONFIG=" + path + ": cannot read the file";
    }
  } else if (fileExists("./tapi.toml")) {
    path = "./tapi.toml";
  } else if (fileExists("/etc/opentapi/tapi.toml")) {
    path = "/etc/opentapi/tapi.toml";
  }
  if (path.empty()) {
    return BackendChoice{EmbeddedChoice{}};
  }
  std::ifstream f(path);
  std::stringstream ss;
  ss << f.rdbuf();
  auto parsed = parseEngineToml(ss.str(), path);
  if (auto* err = std::get_if<std::string>(&parsed)) {
    return *err;
  }
  return BackendChoice{EmbeddedChoice{std::get<EngineOptions>(std::move(parsed)), path}};
}

}  // namespace tapi::capi
