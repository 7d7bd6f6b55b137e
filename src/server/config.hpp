#pragma once
// tapid's configuration: one TOML file, every setting defaulted so that `tapid` with no
// arguments serves on loopback. docs/tapid.md is the reference; defaultConfigToml() is
// the same text, printed by `tapid --print-default-config`.

#include <cstdint>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "server/protocol.hpp"

namespace tapi::server {

struct SimLinesConfig {
  std::uint32_t count = 2;           // simulated line devices, ids 0..count-1
  std::string namePrefix = "sim/";   // line names: "sim/0", "sim/1", ...
  std::uint32_t firstAddress = 100;  // line addresses: "100", "101", ...
};

/** One SIP line: a SIP identity ([[lines.sip.line]]). */
struct SipLineEntry {
  std::string name;    // "" = "sip/<user>"
  std::string user;    // user part of the address of record (required)
  std::string domain;  // host of the AOR (required); plain numbers dial user@domain
  std::string displayName;
  std::string authUser;   // "" = user
  std::string password;   // "" = challenges are not answered
  std::string registrar;  // "sip:host:port" to REGISTER with; "" = no registration
  std::uint32_t registerExpires = 600;
  std::string proxy;              // outbound proxy URI; "" = direct
  std::string transport = "udp";  // udp or tcp, for requests without ;transport
  int rejectStatus = 603;         // lineDrop of an offered call: 603, 486 or 480
};

/** The SIP provider ([lines.sip]); its lines get device ids after the simulated ones. */
struct SipLinesConfig {
  bool enabled = false;
  std::string listenUdp = "127.0.0.1:5060";  // "" disables UDP
  std::string listenTcp = "127.0.0.1:5060";  // "" disables TCP
  std::string advertisedHost;                // Via/Contact/SDP host for wildcard listeners
  std::uint32_t rtpFirstPort = 20000;
  std::uint32_t rtpLastPort = 20999;
  std::uint32_t sessionExpiresS = 1800;  // RFC 4028 interval asked for; 0 disables
  std::uint32_t t1Ms = 500;              // RFC 3261 T1
  // A TCP connection with no traffic for this long is closed; 0 = never. At least 64*T1.
  std::uint32_t tcpIdleTimeoutS = 120;
  std::uint32_t tcpMaxConnections = 1024;  // clamped below the descriptor limit at start
  std::vector<SipLineEntry> lines;
};

struct TlsConfig {
  std::string cert;  // PEM certificate chain; TLS on TCP when cert and key are both set
  std::string key;   // PEM private key
};

struct ServerConfig {
  std::string varDir = "./var";   // created at start
  std::string logLevel = "info";  // trace, debug, info, warn, error, critical, off

  // Paths default to files in varDir when the config does not name them.
  std::string unixSocket = "./var/tapid.sock";  // "" disables the Unix listener
  std::uint32_t unixSocketMode = 0660;
  std::string tcpListen = "127.0.0.1:8720";  // host:port; "" disables TCP; port 0 = any
  std::string token;                         // "" = generate one into tokenFile
  std::string tokenFile = "./var/tapid.token";
  TlsConfig tls;
  Limits limits;
  std::uint32_t maxClients = 1024;  // API client sockets at once; clamped below the fd limit

  // Descriptors kept free for the API and SIP listeners: calls and SIP TCP connections are
  // refused before they would take them. 0 = 1/16 of the limit, at least 8.
  std::uint32_t fdReserve = 0;

  std::int64_t ownerlessGraceMs = 0;
  std::int64_t idleReclaimMs = 0;
  std::int64_t noAnswerTimeoutMs = 0;
  std::int64_t maxDurationMs = 0;

  SimLinesConfig sim;
  SipLinesConfig sip;

  std::string callsJsonl = "./var/calls.jsonl";  // "" disables the file
  std::size_t keepRecords = 10000;               // released records kept for tapidCallRecord
  std::int64_t shutdownGraceMs = 3000;           // how long SIGTERM waits for clients to close
};

/** The default configuration as commented TOML (parses to ServerConfig{}). */
std::string_view defaultConfigToml() noexcept;

/**
 * Parses a TOML document. Unknown keys are errors (a typo must not silently fall back
 * to a default).
 * @return the configuration, or a message naming the offending key.
 */
std::variant<ServerConfig, std::string> parseConfig(std::string_view toml,
                                                    std::string_view sourceName = "config");

/** Reads and parses a TOML file. */
std::variant<ServerConfig, std::string> loadConfigFile(const std::string& path);

}  // namespace tapi::server
