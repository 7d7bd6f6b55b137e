#include "sip/transport/transport.hpp"

#include <cctype>

namespace tapi::sip::transport {

namespace {

bool equalsNoCase(std::string_view a, std::string_view b) noexcept {
  if (a.size() != b.size()) {
    return false;
  }
  for (std::size_t i = 0; i < a.size(); ++i) {
    if (std::tolower(static_cast<unsigned char>(a[i])) !=
        std::tolower(static_cast<unsigned char>(b[i]))) {
      return false;
    }
  }
  return true;
}

}  // namespace

std::string_view toString(Protocol p) noexcept {
  switch (p) {
    case Protocol::Udp:
      return "UDP";
    case Protocol::Tcp:
      return "TCP";
    case Protocol::Tls:
      return "TLS";
  }
  return "?";
}

bool parseProtocol(std::string_view token, Protocol* out) noexcept {
  if (equalsNoCase(token, "UDP")) {
    *out = Protocol::Udp;
  } else if (equalsNoCase(token, "TCP")) {
    *out = Protocol::Tcp;
  } else if (equalsNoCase(token, "TLS")) {
    *out = Protocol::Tls;
  } else {
    return false;
  }
  return true;
}

bool isReliable(Protocol p) noexcept {
  switch (p) {
    case Protocol::Udp:
      return false;
    case Protocol::Tcp:
    case Protocol::Tls:
      return true;
  }
  return false;
}

std::uint16_t defaultPort(Protocol p) noexcept {
  switch (p) {
    case Protocol::Udp:
    case Protocol::Tcp:
      return 5060;
    case Protocol::Tls:
      return 5061;
  }
  return 5060;
}

std::string Endpoint::hostString() const {
  if (address.is_v6()) {
    return "[" + address.to_string() + "]";
  }
  return address.to_string();
}

std::string Endpoint::toString() const {
  return hostString() + ":" + std::to_string(port);
}

std::string_view toString(DropReason r) noexcept {
  switch (r) {
    case DropReason::DatagramTooLarge:
      return "DatagramTooLarge";
    case DropReason::EmptyDatagram:
      return "EmptyDatagram";
    case DropReason::MissingContentLength:
      return "MissingContentLength";
    case DropReason::BadContentLength:
      return "BadContentLength";
    case DropReason::BodyTooLarge:
      return "BodyTooLarge";
    case DropReason::HeaderTooLarge:
      return "HeaderTooLarge";
    case DropReason::BufferOverflow:
      return "BufferOverflow";
    case DropReason::TooManyConnections:
      return "TooManyConnections";
    case DropReason::NoDescriptors:
      return "NoDescriptors";
    case DropReason::Evicted:
      return "Evicted";
    case DropReason::SendQueueFull:
      return "SendQueueFull";
    case DropReason::IdleTimeout:
      return "IdleTimeout";
    case DropReason::ReadError:
      return "ReadError";
    case DropReason::SendError:
      return "SendError";
    case DropReason::Count_:
      return "Count_";
  }
  return "?";
}

}  // namespace tapi::sip::transport
