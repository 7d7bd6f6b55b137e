#pragma once
// Where a tapid listens, as written in TAPI_SERVER and Runtime::connect():
// "unix:/run/tapid.sock", "unix:./var/tapid.sock" or "tcp://host:port".

#include <cstdint>
#include <string>
#include <string_view>

#include <tapi/result.hpp>

namespace tapi::detail {

struct ServerAddress {
  enum class Kind : std::uint8_t {
    Unix,  // a WebSocket over a Unix stream socket; authenticated by file permissions
    Tcp,   // a WebSocket over TCP; authenticated by a bearer token
  };
  Kind kind = Kind::Unix;
  std::string path;  // Unix: the socket path, as given (relative paths are the caller's cwd)
  std::string host;  // Tcp: name or address (IPv6 literals without brackets)
  std::uint16_t port = 0;
  /** The canonical spelling, e.g. "tcp://[::1]:8720". */
  std::string toString() const;
};

/**
 * Parses a server address. Accepts "unix:PATH", "unix://PATH" and "tcp://HOST:PORT"
 * (HOST may be a bracketed IPv6 literal).
 * @return the address, or LINEERR_INVALPARAM for anything else (empty path or host, a
 *         port outside 1..65535, trailing path or query on a tcp URL).
 */
Result<ServerAddress> parseServerAddress(std::string_view text);

}  // namespace tapi::detail
