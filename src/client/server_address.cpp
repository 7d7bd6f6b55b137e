#include "client/server_address.hpp"

#include <charconv>

namespace tapi::detail {

std::string ServerAddress::toString() const {
  switch (kind) {
    case Kind::Unix: return "unix:" + path;
    case Kind::Tcp: {
      const bool v6 = host.find(':') != std::string::npos;
      return "tcp://" + (v6 ? "[" + host + "]" : host) + ":" + std::to_string(port);
    }
  }
  return {};
}

Result<ServerAddress> parseServerAddress(std::string_view text) {
  ServerAddress out;
  if (text.starts_with("unix:")) {
    text.remove_prefix(5);
    if (text.starts_with("//")) {
      text.remove_prefix(2);
    }
    if (text.empty()) {
      return LineErr::InvalParam;
    }
    out.kind = ServerAddress::Kind::Unix;
    out.path = std::string(text);
    return out;
  }
  if (!text.starts_with("tcp://")) {
    return LineErr::InvalParam;
  }
  text.remove_prefix(6);
  if (!text.empty() && text.back() == '/') {
    text.remove_suffix(1);  // "tcp://h:1/" is a common way to write it
  }
  std::string_view host;
  std::string_view port;
  if (text.starts_with("[")) {
    const auto close = text.find(']');
    if (close == std::string_view::npos || close + 1 >= text.size() || text[close + 1] != ':') {
      return LineErr::InvalParam;
    }
    host = text.substr(1, close - 1);
    port = text.substr(close + 2);
  } else {
    const auto colon = text.rfind(':');
    if (colon == std::string_view::npos || text.substr(0, colon).find(':') != std::string_view::npos) {
      return LineErr::InvalParam;
    }
    host = text.substr(0, colon);
    port = text.substr(colon + 1);
  }
  if (host.empty() || port.empty() || host.find_first_of("/?#@ ") != std::string_view::npos) {
    return LineErr::InvalParam;
  }
  unsigned value = 0;
  const auto [end, ec] = std::from_chars(port.data(), port.data() + port.size(), value);
  if (ec != std::errc{} || end != port.data() + port.size() || value == 0 || value > 65535) {
    return LineErr::InvalParam;
  }
  out.kind = ServerAddress::Kind::Tcp;
  out.host = std::string(host);
  out.port = static_cast<std::uint16_t>(value);
  return out;
}

}  // namespace tapi::detail
