#include "sip/headers/reason.hpp"

#include <string>
#include <utility>

#include "sip/headers/detail/value_text.hpp"

namespace tapi::sip::headers {

namespace {

using namespace detail;  // Param, ParamList, iequals, trimLws, isLws

constexpr bool isTokenChar(char c) noexcept {
  if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9'))
    return true;
  for (const char x : std::string_view("-.!%*_+`'~")) {
    if (c == x)
      return true;
  }
  return false;
}

bool isToken(std::string_view s) noexcept {
  if (s.empty())
    return false;
  for (const char c : s) {
    if (!isTokenChar(c))
      return false;
  }
  return true;
}

/** A control character other than HTAB: never valid inside quoted text (RFC 3261 qdtext). */
constexpr bool isControl(char c) noexcept {
  const auto u = static_cast<unsigned char>(c);
  return (u < 0x20 && c != '\t') || u == 0x7f;
}

/**
 * The text of a parameter value: a quoted-string is unquoted and unescaped, a token is
 * taken as written. @return false when the quoting is broken or the text holds a control
 * character.
 */
bool paramText(std::string_view raw, std::string& out) {
  out.clear();
  if (raw.empty() || raw.front() != '"') {
    for (const char c : raw) {
      if (isControl(c))
        return false;
    }
    out.assign(raw);
    return true;
  }
  // Walk to the closing quote, which must be the last byte.
  for (std::size_t i = 1; i < raw.size(); ++i) {
    char c = raw[i];
    if (c == '"') {
      return i + 1 == raw.size();
    }
    if (c == '\\') {
      if (i + 1 >= raw.size())
        return false;
      c = raw[++i];
    }
    if (isControl(c))
      return false;
    out.push_back(c);
  }
  return false;  // unterminated
}

/** Parse a decimal cause 0..999 (leading zeros allowed). */
bool parseCause(std::string_view s, int& out) noexcept {
  if (s.empty())
    return false;
  int v = 0;
  for (const char c : s) {
    if (c < '0' || c > '9')
      return false;
    v = v * 10 + (c - '0');
    if (v > 999)
      return false;
  }
  out = v;
  return true;
}

/** Parse one reason-value; false if it is malformed. */
bool parseOne(std::string_view value, Reason& out) {
  std::size_t p = 0;
  while (p < value.size() && value[p] != ';' && !isLws(value[p]))
    ++p;
  const std::string_view protocol = value.substr(0, p);
  if (!isToken(protocol))
    return false;
  while (p < value.size() && isLws(value[p]))
    ++p;
  const std::string_view rest = value.substr(p);
  if (!paramsReadToEnd(rest))
    return false;
  const ParamList params(rest);

  Reason r;
  if (iequals(protocol, "SIP")) {
    r.protocol = "SIP";
  } else if (iequals(protocol, "Q.850")) {
    r.protocol = "Q.850";
  } else {
    r.protocol.assign(protocol);
  }
  const auto cause = params.find("cause");
  if (!cause || !cause->hasValue || !parseCause(cause->value, r.cause))
    return false;
  if (const auto text = params.find("text"); text && text->hasValue) {
    if (!paramText(text->value, r.text))
      return false;
  }
  if (const auto loc = params.find("location"); loc && loc->hasValue) {
    if (!paramText(loc->value, r.location))
      return false;
  }
  out = std::move(r);
  return true;
}

}  // namespace

std::vector<Reason> parseReasons(const std::vector<std::string_view>& headerValues) {
  std::vector<Reason> out;
  for (const std::string_view value : headerValues) {
    std::size_t pos = 0;
    while (pos < value.size() && out.size() < kMaxReasons) {
      const std::size_t end = message::detail::nextElementEnd(value, pos);
      // Unbalanced quotes or brackets: the element boundaries after pos are unknown.
      if (end == std::string_view::npos)
        break;
      const std::string_view elem = trimLws(value.substr(pos, end - pos));
      Reason r;
      if (!elem.empty() && parseOne(elem, r))
        out.push_back(std::move(r));
      pos = end + 1;
    }
    if (out.size() >= kMaxReasons)
      break;
  }
  return out;
}

std::string formatReason(const Reason& reason) {
  std::string out;
  out.reserve(reason.protocol.size() + reason.text.size() + 32);
  for (const char c : reason.protocol) {
    if (isTokenChar(c))
      out.push_back(c);
  }
  out += ";cause=";
  out += std::to_string(reason.cause);
  if (!reason.text.empty()) {
    out += ";text=\"";
    for (const char c : reason.text) {
      if (c == '"' || c == '\\') {
        out.push_back('\\');
        out.push_back(c);
      } else if (!isControl(c)) {
        out.push_back(c);
      }
    }
    out.push_back('"');
  }
  if (isToken(reason.location)) {
    out += ";location=";
    out += reason.location;
  }
  return out;
}

std::string_view q850Text(int cause) noexcept {
  switch (cause) {
    case 1:
      return "Unallocated (unassigned) number";
    case 2:
      return "No route to specified transit network";
    case 3:
      return "No route to destination";
    case 16:
      return "Normal call clearing";
    case 17:
      return "User busy";
    case 18:
      return "No user responding";
    case 19:
      return "No answer from user (user alerted)";
    case 20:
      return "Subscriber absent";
    case 21:
      return "Call rejected";
    case 22:
      return "Number changed";
    case 23:
      return "Redirection to new destination";
    case 24:
      return "Call rejected due to feature at the destination";
    case 25:
      return "Exchange routing error";
    case 26:
      return "Non-selected user clearing";
    case 27:
      return "Destination out of order";
    case 28:
      return "Invalid number format (address incomplete)";
    case 29:
      return "Facility rejected";
    case 30:
      return "Response to STATUS ENQUIRY";
    case 31:
      return "Normal, unspecified";
    case 34:
      return "No circuit/channel available";
    case 38:
      return "Network out of order";
    case 41:
      return "Temporary failure";
    case 42:
      return "Switching equipment congestion";
    case 44:
      return "Requested circuit/channel not available";
    case 47:
      return "Resource unavailable, unspecified";
    case 49:
      return "Quality of service not available";
    case 50:
      return "Requested facility not subscribed";
    case 53:
      return "Outgoing calls barred within CUG";
    case 55:
      return "Incoming calls barred within CUG";
    case 57:
      return "Bearer capability not authorized";
    case 58:
      return "Bearer capability not presently available";
    case 63:
      return "Service or option not available, unspecified";
    case 65:
      return "Bearer capability not implemented";
    case 69:
      return "Requested facility not implemented";
    case 79:
      return "Service or option not implemented, unspecified";
    case 81:
      return "Invalid call reference value";
    case 88:
      return "Incompatible destination";
    case 95:
      return "Invalid message, unspecified";
    case 102:
      return "Recovery on timer expiry";
    case 111:
      return "Protocol error, unspecified";
    case 127:
      return "Interworking, unspecified";
    default:
      return {};
  }
}

}  // namespace tapi::sip::headers
