#include "server/config.hpp"

#include <fstream>
#include <set>
#include <sstream>

#include <toml++/toml.h>

namespace tapi::server {

namespace {

constexpr std::string_view kDefault =
    R"(# tapid configuration. Every setting is optional; these are the defaults.

# Directory for the socket, token and call records; created at start.
var_dir = "./var"
# trace, debug, info, warn, error, critical, off (logs go to stderr)
log_level = "info"
# File descriptors kept free for the API and SIP listeners (tapid raises its soft
# RLIMIT_NOFILE to the hard limit at start). Below it, new SIP calls get 503 and new SIP
# TCP connections are refused. 0 = 1/16 of the limit, at least 8.
fd_reserve = 0

[api]
# WebSocket API (docs/api.md) on a Unix socket; "" disables it.
unix_socket = "./var/tapid.sock"
unix_socket_mode = 0o660
# ... and on TCP ("host:port"; "" disables it; port 0 picks a free port).
tcp_listen = "127.0.0.1:8720"
# Bearer token for TCP. Empty: a random token is generated at each start and written
# to token_file (mode 0600).
token = ""
token_file = "./var/tapid.token"
# Client sockets open at once (Unix and TCP together); more are closed at once. Lowered at
# start to fit the descriptor limit.
max_clients = 1024

[api.tls]
# TLS on the TCP listener when both are set (PEM files).
cert = ""
key = ""

[api.limits]
# Per connection. A larger request frame gets TOOLARGE and the connection is closed.
max_frame_bytes = 65536
# Responses not yet written; more requests get TOOMANYREQUESTS.
max_requests_in_flight = 64
# Events and responses waiting to be written; above it the client is disconnected
# and its application shut down.
max_pending_bytes = 1048576

[engine]
# Milliseconds; 0 turns the policy off (ownerless: drop at once).
ownerless_grace_ms = 0
idle_reclaim_ms = 0
no_answer_timeout_ms = 0
max_duration_ms = 0

[lines.sim]
# Simulated line devices (ids 0..count-1), named "sim/N" with addresses 100, 101, ...
count = 2
name_prefix = "sim/"
first_address = 100

[lines.sip]
# The SIP provider. Its lines (one [[lines.sip.line]] table each) get device ids after
# the simulated lines. docs/sip.md describes every setting.
enabled = false
listen_udp = "127.0.0.1:5060"
listen_tcp = "127.0.0.1:5060"
# Host put in Via, Contact and SDP when listening on 0.0.0.0 or ::.
advertised_host = ""
rtp_first_port = 20000
rtp_last_port = 20999
# RFC 4028 session interval asked for and accepted, seconds (0 = no session timers).
session_expires_s = 1800
# RFC 3261 T1 in milliseconds (every SIP timer derives from it).
t1_ms = 500
# A SIP TCP connection with no traffic for this many seconds is closed; 0 = never. Must be
# 0 or at least 64*T1 (32 s with t1_ms = 500), so no transaction still waits on it.
tcp_idle_timeout_s = 120
# SIP TCP connections at once (accepted and opened); more are refused. Lowered at start to
# fit the descriptor limit.
tcp_max_connections = 1024
# [[lines.sip.line]]
# user = "alice"                  # required
# domain = "192.0.2.10"           # required; "1234" dials sip:1234@domain
# name = "sip/alice"
# display_name = "Alice"
# auth_user = ""                  # digest user name ("" = user)
# password = ""
# registrar = "sip:192.0.2.10:5060"   # "" = no REGISTER
# register_expires_s = 600
# proxy = ""                      # outbound proxy URI
# transport = "udp"               # udp or tcp
# reject_status = 603             # lineDrop of an offered call: 603, 486 or 480

[cdr]
# Each released call's post-connection record as one JSON line; "" disables it.
calls_jsonl = "./var/calls.jsonl"
# Released records kept in memory for tapidCallRecord.
keep_records = 10000

[shutdown]
# On SIGTERM/SIGINT, how long to wait for clients to take their last events and close.
grace_ms = 3000
)";

struct Reader {
  const toml::table& root;
  std::string error;
  std::set<std::string> known;

  const toml::node* node(const std::string& key) {
    known.insert(key);
    return root.at_path(key).node();
  }

  void str(const std::string& key, std::string& out) {
    const toml::node* n = node(key);
    if (n == nullptr || !error.empty()) {
      return;
    }
    if (auto v = n->value<std::string>(); v && n->is_string()) {
      out = *v;
    } else {
      error = key + ": expected a string";
    }
  }

  template <typename T>
  void integer(const std::string& key, T& out, std::int64_t min, std::int64_t max) {
    const toml::node* n = node(key);
    if (n == nullptr || !error.empty()) {
      return;
    }
    if (!n->is_integer()) {
      error = key + ": expected an integer";
      return;
    }
    const std::int64_t v = n->as_integer()->get();
    if (v < min || v > max) {
      error = key + ": must be from " + std::to_string(min) + " to " + std::to_string(max);
      return;
    }
    out = static_cast<T>(v);
  }

  void boolean(const std::string& key, bool& out) {
    const toml::node* n = node(key);
    if (n == nullptr || !error.empty()) {
      return;
    }
    if (!n->is_boolean()) {
      error = key + ": expected true or false";
      return;
    }
    out = n->as_boolean()->get();
  }

  /** Reports the first key that no reader asked for. */
  void unknown(const toml::table& t, const std::string& prefix) {
    for (const auto& [k, v] : t) {
      if (!error.empty()) {
        return;
      }
      const std::string key =
          prefix.empty() ? std::string(k.str()) : prefix + "." + std::string(k.str());
      if (const toml::table* sub = v.as_table()) {
        unknown(*sub, key);
      } else if (known.count(key) == 0) {
        error = key + ": unknown setting";
      }
    }
  }
};

constexpr std::int64_t kMaxMs = std::int64_t{1} << 40;

}  // namespace

std::string_view defaultConfigToml() noexcept {
  return kDefault;
}

std::variant<ServerConfig, std::string> parseConfig(std::string_view text,
                                                    std::string_view sourceName) {
  toml::table root;
  try {
    root = toml::parse(text, sourceName);
  } catch (const toml::parse_error& e) {
    std::ostringstream os;
    os << sourceName << ":" << e.source().begin.line << ":" << e.source().begin.column << ": "
       << e.description();
    return os.str();
  }
  ServerConfig c;
  Reader r{root, {}, {}};
  r.str("var_dir", c.varDir);
  r.str("log_level", c.logLevel);
  r.integer("fd_reserve", c.fdReserve, 0, 1 << 24);
  r.str("api.unix_socket", c.unixSocket);
  r.integer("api.unix_socket_mode", c.unixSocketMode, 0, 0777);
  r.str("api.tcp_listen", c.tcpListen);
  r.str("api.token", c.token);
  r.str("api.token_file", c.tokenFile);
  r.integer("api.max_clients", c.maxClients, 1, 1 << 24);
  r.str("api.tls.cert", c.tls.cert);
  r.str("api.tls.key", c.tls.key);
  r.integer("api.limits.max_frame_bytes", c.limits.maxFrameBytes, 64, std::int64_t{1} << 30);
  r.integer("api.limits.max_requests_in_flight", c.limits.maxRequestsInFlight, 1, 1 << 20);
  r.integer("api.limits.max_pending_bytes", c.limits.maxPendingBytes, 1024, std::int64_t{1} << 34);
  r.integer("engine.ownerless_grace_ms", c.ownerlessGraceMs, 0, kMaxMs);
  r.integer("engine.idle_reclaim_ms", c.idleReclaimMs, 0, kMaxMs);
  r.integer("engine.no_answer_timeout_ms", c.noAnswerTimeoutMs, 0, kMaxMs);
  r.integer("engine.max_duration_ms", c.maxDurationMs, 0, kMaxMs);
  r.integer("lines.sim.count", c.sim.count, 0, 4096);
  r.str("lines.sim.name_prefix", c.sim.namePrefix);
  r.integer("lines.sim.first_address", c.sim.firstAddress, 0, std::int64_t{1} << 31);
  r.boolean("lines.sip.enabled", c.sip.enabled);
  r.str("lines.sip.listen_udp", c.sip.listenUdp);
  r.str("lines.sip.listen_tcp", c.sip.listenTcp);
  r.str("lines.sip.advertised_host", c.sip.advertisedHost);
  r.integer("lines.sip.rtp_first_port", c.sip.rtpFirstPort, 1024, 65534);
  r.integer("lines.sip.rtp_last_port", c.sip.rtpLastPort, 1025, 65535);
  r.integer("lines.sip.session_expires_s", c.sip.sessionExpiresS, 0, 86400);
  r.integer("lines.sip.t1_ms", c.sip.t1Ms, 10, 10000);
  r.integer("lines.sip.tcp_idle_timeout_s", c.sip.tcpIdleTimeoutS, 0, 86400);
  r.integer("lines.sip.tcp_max_connections", c.sip.tcpMaxConnections, 1, 1 << 24);
  if (const toml::node* lines = r.node("lines.sip.line"); lines != nullptr && r.error.empty()) {
    const toml::array* arr = lines->as_array();
    if (arr == nullptr) {
      r.error = "lines.sip.line: expected [[lines.sip.line]] tables";
    } else {
      for (std::size_t i = 0; i < arr->size() && r.error.empty(); ++i) {
        const toml::table* t = (*arr)[i].as_table();
        const std::string at = "lines.sip.line[" + std::to_string(i) + "]";
        if (t == nullptr) {
          r.error = at + ": expected a table";
          break;
        }
        Reader lr{*t, {}, {}};
        SipLineEntry e;
        lr.str("name", e.name);
        lr.str("user", e.user);
        lr.str("domain", e.domain);
        lr.str("display_name", e.displayName);
        lr.str("auth_user", e.authUser);
        lr.str("password", e.password);
        lr.str("registrar", e.registrar);
        lr.integer("register_expires_s", e.registerExpires, 0, 86400 * 7);
        lr.str("proxy", e.proxy);
        lr.str("transport", e.transport);
        lr.integer("reject_status", e.rejectStatus, 400, 699);
        if (lr.error.empty()) {
          lr.unknown(*t, "");
        }
        if (lr.error.empty() && (e.user.empty() || e.domain.empty())) {
          lr.error = "user and domain are required";
        }
        if (lr.error.empty() && e.transport != "udp" && e.transport != "tcp") {
          lr.error = "transport: expected \"udp\" or \"tcp\"";
        }
        if (!lr.error.empty()) {
          r.error = at + "." + lr.error;
          break;
        }
        c.sip.lines.push_back(std::move(e));
      }
    }
  }
  r.str("cdr.calls_jsonl", c.callsJsonl);
  r.integer("cdr.keep_records", c.keepRecords, 0, 10'000'000);
  r.integer("shutdown.grace_ms", c.shutdownGraceMs, 0, kMaxMs);
  if (r.error.empty()) {
    r.unknown(root, "");
  }
  // Files not named explicitly live in var_dir, so moving var_dir moves them all.
  const auto inVarDir = [&](const char* key, std::string& path, const char* name) {
    if (root.at_path(key).node() == nullptr) {
      path = c.varDir + "/" + name;
    }
  };
  inVarDir("api.unix_socket", c.unixSocket, "tapid.sock");
  inVarDir("api.token_file", c.tokenFile, "tapid.token");
  inVarDir("cdr.calls_jsonl", c.callsJsonl, "calls.jsonl");
  if (!r.error.empty()) {
    return std::string(sourceName) + ": " + r.error;
  }
  if (c.sip.rtpLastPort <= c.sip.rtpFirstPort) {
    return std::string(sourceName) + ": lines.sip: rtp_last_port must be above rtp_first_port";
  }
  if (const std::uint64_t minMs = 64 * std::uint64_t{c.sip.t1Ms};
      c.sip.tcpIdleTimeoutS != 0 && std::uint64_t{c.sip.tcpIdleTimeoutS} * 1000 < minMs) {
    // The transport cannot see transactions: a shorter idle time could close a connection
    // a transaction still waits on (a non-INVITE transaction lasts up to 64*T1).
    return std::string(sourceName) +
           ": lines.sip.tcp_idle_timeout_s: must be 0 (never) or at least 64*T1 = " +
           std::to_string((minMs + 999) / 1000) + " s (t1_ms = " + std::to_string(c.sip.t1Ms) + ")";
  }
  if ((c.tls.cert.empty()) != (c.tls.key.empty())) {
    return std::string(sourceName) + ": api.tls: set both cert and key, or neither";
  }
  if (c.unixSocket.empty() && c.tcpListen.empty()) {
    return std::string(sourceName) + ": api: both listeners are disabled";
  }
  return c;
}

std::variant<ServerConfig, std::string> loadConfigFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    return path + ": cannot read the file";
  }
  std::ostringstream ss;
  ss << in.rdbuf();
  return parseConfig(ss.str(), path);
}

}  // namespace tapi::server
