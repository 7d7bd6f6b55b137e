#include "sip/message/header_types.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>

#include <cstring>

#include <array>

#include "sip/message/detail/chars.hpp"

namespace tapi::sip::message {

using detail::isAlnum;
using detail::isDigit;
using detail::isHex;
using detail::isLws;
using detail::isParamChar;
using detail::isTokenChar;
using detail::skipLws;
using detail::skipQuoted;

namespace {
constexpr std::size_t npos = std::string_view::npos;

struct MethodName {
  std::string_view name;
  Method method;
};
constexpr std::array<MethodName, 14> kMethods{{
    {"INVITE", Method::Invite},
    {"ACK", Method::Ack},
    {"BYE", Method::Bye},
    {"CANCEL", Method::Cancel},
    {"OPTIONS", Method::Options},
    {"REGISTER", Method::Register},
    {"PRACK", Method::Prack},
    {"SUBSCRIBE", Method::Subscribe},
    {"NOTIFY", Method::Notify},
    {"PUBLISH", Method::Publish},
    {"INFO", Method::Info},
    {"REFER", Method::Refer},
    {"MESSAGE", Method::Message},
    {"UPDATE", Method::Update},
}};

std::size_t tokenEnd(std::string_view s, std::size_t pos) noexcept {
  while (pos < s.size() && isTokenChar(s[pos]))
    ++pos;
  return pos;
}

/** scanParams() that also hands each parameter to @p onParam (false rejects it). */
template <typename OnParam>
bool scanParamsWith(std::string_view s, std::size_t& pos, bool allowLws, OnParam&& onParam) {
  for (;;) {
    std::size_t p = allowLws ? skipLws(s, pos) : pos;
    if (p >= s.size() || s[p] != ';')
      return true;
    p = allowLws ? skipLws(s, p + 1) : p + 1;
    const std::size_t nameStart = p;
    while (p < s.size() && isParamChar(s[p]))
      ++p;
    if (p == nameStart)
      return false;
    const std::string_view name = s.substr(nameStart, p - nameStart);
    std::string_view value;
    bool hasValue = false;
    pos = p;
    std::size_t q = allowLws ? skipLws(s, p) : p;
    if (q < s.size() && s[q] == '=') {
      q = allowLws ? skipLws(s, q + 1) : q + 1;
      const std::size_t valueStart = q;
      if (q < s.size() && s[q] == '"') {
        const std::size_t e = skipQuoted(s, q);
        if (e == npos)
          return false;
        q = e;
      } else {
        while (q < s.size() && isParamChar(s[q]))
          ++q;
        if (q == valueStart)
          return false;
      }
      value = s.substr(valueStart, q - valueStart);
      hasValue = true;
      pos = q;
    }
    if (!onParam(name, value, hasValue))
      return false;
  }
}

/**
 * Strictly walk ";name[=value]" parameters from @p pos. Header parameters may have LWS
 * around ';' and '='; URI parameters may not. Stops (true) at the first character that
 * cannot start another parameter; false on a malformed parameter.
 */
bool scanParams(std::string_view s, std::size_t& pos, bool allowLws) noexcept {
  return scanParamsWith(s, pos, allowLws,
                        [](std::string_view, std::string_view, bool) { return true; });
}

/** Check unreserved/escaped text against a character class; escapes must be %HH. */
bool validEscaped(std::string_view s, std::uint16_t cls) noexcept {
  for (std::size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '%') {
      if (i + 2 >= s.size())
        return false;
      if (!isHex(s[i + 1]) || !isHex(s[i + 2]))
        return false;
      i += 2;
      continue;
    }
    if (!detail::hasClass(s[i], cls))
      return false;
  }
  return true;
}

/**
 * The RFC 3261 / RFC 4291 IPv6address grammar (hex groups, one "::", an optional dotted
 * IPv4 tail). RFC 5118 §4.10's "2001:db8:::192.0.2.1" is not one (RFC 5954).
 */
bool isIpv6Address(std::string_view a) noexcept {
  char text[INET6_ADDRSTRLEN];
  if (a.empty() || a.size() >= sizeof text)
    return false;
  for (char c : a) {
    if (!isHex(c) && c != ':' && c != '.')
      return false;
  }
  std::memcpy(text, a.data(), a.size());
  text[a.size()] = '\0';
  in6_addr out{};
  return ::inet_pton(AF_INET6, text, &out) == 1;
}

/** Parse host[:port] at s[pos]; IPv6 references keep their brackets. */
bool parseHostPort(std::string_view s, std::size_t& pos, bool allowLws, std::string_view* host,
                   std::optional<std::uint16_t>* port) noexcept {
  std::size_t p = pos;
  if (p < s.size() && s[p] == '[') {
    const std::size_t close = s.find(']', p);
    if (close == npos || close == p + 1)
      return false;
    if (!isIpv6Address(s.substr(p + 1, close - p - 1)))
      return false;
    *host = s.substr(p, close + 1 - p);
    p = close + 1;
  } else {
    const std::size_t start = p;
    p = detail::skipHostChars(s, p);
    if (p == start)
      return false;
    *host = s.substr(start, p - start);
  }
  std::size_t q = allowLws ? skipLws(s, p) : p;
  if (q < s.size() && s[q] == ':') {
    q = allowLws ? skipLws(s, q + 1) : q + 1;
    const std::size_t digits = q;
    while (q < s.size() && isDigit(s[q]))
      ++q;
    std::uint16_t v = 0;
    if (!detail::parseDecimal<std::uint16_t>(s.substr(digits, q - digits), 65535, &v)) {
      return false;
    }
    *port = v;
    p = q;
  }
  pos = p;
  return true;
}

bool parseSipUri(std::string_view rest, Uri& u) noexcept {
  std::size_t p = 0;
  const std::size_t at = rest.find('@');
  if (at != npos) {
    const std::string_view userinfo = rest.substr(0, at);
    const std::size_t colon = userinfo.find(':');
    u.user = userinfo.substr(0, colon);
    if (colon != npos)
      u.password = userinfo.substr(colon + 1);
    if (u.user.empty() || !validEscaped(u.user, detail::kUser))
      return false;
    if (!validEscaped(u.password, detail::kPassword))
      return false;
    p = at + 1;
  }
  if (!parseHostPort(rest, p, false, &u.host, &u.port))
    return false;
  const std::size_t paramsStart = p;
  if (!scanParams(rest, p, false))
    return false;
  u.params = ParamList(rest.substr(paramsStart, p - paramsStart));
  if (p < rest.size() && rest[p] == '?') {
    u.headers = rest.substr(p + 1);
    if (u.headers.empty())
      return false;
    p = rest.size();
  }
  return p == rest.size();
}

bool isTelChar(char c) noexcept {
  return detail::hasClass(c, detail::kTel);
}

bool parseTelUri(std::string_view rest, Uri& u) noexcept {
  std::size_t p = 0;
  while (p < rest.size() && isTelChar(rest[p]))
    ++p;
  if (p == 0)
    return false;
  u.user = rest.substr(0, p);
  const std::size_t paramsStart = p;
  if (!scanParams(rest, p, false))
    return false;
  u.params = ParamList(rest.substr(paramsStart, p - paramsStart));
  return p == rest.size();
}

}  // namespace

// ---- methods ---------------------------------------------------------------------------

std::string_view toString(Method m) noexcept {
  switch (m) {
    case Method::Invite:
      return "INVITE";
    case Method::Ack:
      return "ACK";
    case Method::Bye:
      return "BYE";
    case Method::Cancel:
      return "CANCEL";
    case Method::Options:
      return "OPTIONS";
    case Method::Register:
      return "REGISTER";
    case Method::Prack:
      return "PRACK";
    case Method::Subscribe:
      return "SUBSCRIBE";
    case Method::Notify:
      return "NOTIFY";
    case Method::Publish:
      return "PUBLISH";
    case Method::Info:
      return "INFO";
    case Method::Refer:
      return "REFER";
    case Method::Message:
      return "MESSAGE";
    case Method::Update:
      return "UPDATE";
    case Method::Extension:
      return "";
  }
  return "";
}

Method methodFromString(std::string_view token) noexcept {
  for (const auto& m : kMethods) {
    if (m.name == token)
      return m.method;
  }
  return Method::Extension;
}

// ---- parameters ------------------------------------------------------------------------

void ParamList::Iterator::advance() {
  std::size_t p = skipLws(rest_, 0);
  if (p >= rest_.size() || rest_[p] != sep_) {
    done_ = true;
    return;
  }
  p = skipLws(rest_, p + 1);
  const std::size_t nameStart = p;
  while (p < rest_.size() && isParamChar(rest_[p]))
    ++p;
  if (p == nameStart) {
    done_ = true;
    return;
  }
  cur_ = Param{rest_.substr(nameStart, p - nameStart), {}, false};
  std::size_t q = skipLws(rest_, p);
  if (q < rest_.size() && rest_[q] == '=') {
    q = skipLws(rest_, q + 1);
    std::size_t e = q;
    if (q < rest_.size() && rest_[q] == '"') {
      e = skipQuoted(rest_, q);
      if (e == npos)
        e = rest_.size();
    } else {
      while (e < rest_.size() && isParamChar(rest_[e]))
        ++e;
    }
    cur_.value = rest_.substr(q, e - q);
    cur_.hasValue = true;
    p = e;
  }
  rest_ = rest_.substr(p);
  done_ = false;
}

std::optional<Param> ParamList::find(std::string_view name) const {
  for (const Param& p : *this) {
    if (detail::iequals(p.name, name))
      return p;
  }
  return std::nullopt;
}

// ---- splitting -------------------------------------------------------------------------

namespace detail {

std::size_t nextElementEnd(std::string_view value, std::size_t pos) noexcept {
  bool inQuotes = false;
  int angle = 0;
  for (std::size_t i = pos; i < value.size(); ++i) {
    // Most bytes are ordinary: skip them sixteen at a time.
    i = findSplitSpecial(value, i);
    if (i >= value.size())
      break;
    const char c = value[i];
    if (inQuotes) {
      if (c == '\\') {
        ++i;
      } else if (c == '"') {
        inQuotes = false;
      }
      continue;
    }
    if (c == '"') {
      inQuotes = true;
    } else if (c == '<') {
      ++angle;
    } else if (c == '>') {
      if (angle == 0)
        return npos;
      --angle;
    } else if (c == ',' && angle == 0) {
      return i;
    }
  }
  if (inQuotes || angle != 0)
    return npos;
  return value.size();
}

std::string_view trimLws(std::string_view s) noexcept {
  std::size_t b = 0;
  std::size_t e = s.size();
  while (b < e && isLws(s[b]))
    ++b;
  while (e > b && isLws(s[e - 1]))
    --e;
  return s.substr(b, e - b);
}

}  // namespace detail

// ---- URI -------------------------------------------------------------------------------

bool detail::parseUriInto(std::string_view text, Uri& u) {
  u = Uri{};
  u.text = text;
  const std::size_t colon = text.find(':');
  if (colon == npos || colon == 0 || !detail::isAlpha(text[0]))
    return false;
  for (std::size_t i = 1; i < colon; ++i) {
    const char c = text[i];
    if (!isAlnum(c) && c != '+' && c != '-' && c != '.')
      return false;
  }
  if (!detail::allUriChars(text))
    return false;
  u.schemeName = text.substr(0, colon);
  u.opaque = text.substr(colon + 1);
  if (u.opaque.empty())
    return false;
  if (detail::iequals(u.schemeName, "sip") || detail::iequals(u.schemeName, "sips")) {
    u.scheme = u.schemeName.size() == 3 ? UriScheme::Sip : UriScheme::Sips;
    if (!parseSipUri(u.opaque, u))
      return false;
  } else if (detail::iequals(u.schemeName, "tel")) {
    u.scheme = UriScheme::Tel;
    if (!parseTelUri(u.opaque, u))
      return false;
  } else {
    u.scheme = UriScheme::Other;
  }
  return true;
}

// ---- name-addr / addr-spec -------------------------------------------------------------

std::string NameAddr::unquotedDisplayName() const {
  std::string out;
  if (displayName.size() >= 2 && displayName.front() == '"') {
    const std::string_view inner = displayName.substr(1, displayName.size() - 2);
    out.reserve(inner.size());
    for (std::size_t i = 0; i < inner.size(); ++i) {
      if (inner[i] == '\\' && i + 1 < inner.size())
        ++i;
      out.push_back(inner[i]);
    }
  } else {
    out.assign(displayName);
  }
  return out;
}

bool detail::parseNameAddrInto(std::string_view text, NameAddr& na) {
  const std::string_view s = detail::trimLws(text);
  if (s.empty())
    return false;
  na = NameAddr{};
  na.text = s;
  std::size_t p = 0;
  bool nameAddr = false;
  if (s[0] == '"') {
    const std::size_t e = skipQuoted(s, 0);
    if (e == npos)
      return false;
    na.displayName = s.substr(0, e);
    p = skipLws(s, e);
    if (p >= s.size() || s[p] != '<')
      return false;
    nameAddr = true;
  } else {
    std::size_t q = 0;
    while (q < s.size() && (isTokenChar(s[q]) || isLws(s[q])))
      ++q;
    if (q < s.size() && s[q] == '<') {
      na.displayName = detail::trimLws(s.substr(0, q));
      p = q;
      nameAddr = true;
    }
  }
  if (nameAddr) {
    const std::size_t close = s.find('>', p);
    if (close == npos)
      return false;
    if (!parseUriInto(s.substr(p + 1, close - p - 1), na.uri))
      return false;
    na.angleBrackets = true;
    p = close + 1;
  } else {
    // addr-spec: RFC 3261 §20 puts everything after the first ';' in the header. A user
    // part may itself hold ';' (RFC 4475 §3.1.1.4), so the cut starts after the '@'.
    std::size_t e = 0;
    while (e < s.size() && s[e] != '@' && !isLws(s[e]))
      ++e;
    if (e >= s.size() || s[e] != '@')
      e = 0;
    while (e < s.size() && s[e] != ';' && !isLws(s[e]))
      ++e;
    if (!parseUriInto(s.substr(0, e), na.uri))
      return false;
    p = e;
  }
  const std::size_t paramsStart = skipLws(s, p);
  p = paramsStart;
  if (!scanParams(s, p, true))
    return false;
  na.params = ParamList(s.substr(paramsStart, p - paramsStart));
  if (skipLws(s, p) != s.size())
    return false;
  return true;
}

// ---- Via -------------------------------------------------------------------------------

bool detail::parseViaInto(std::string_view text, Via& v) {
  const std::string_view s = detail::trimLws(text);
  v = Via{};
  v.text = s;
  std::size_t p = tokenEnd(s, 0);
  if (p == 0)
    return false;
  v.protocolName = s.substr(0, p);
  std::string_view* parts[2] = {&v.protocolVersion, &v.transport};
  for (std::string_view* part : parts) {
    p = skipLws(s, p);
    if (p >= s.size() || s[p] != '/')
      return false;
    p = skipLws(s, p + 1);
    const std::size_t e = tokenEnd(s, p);
    if (e == p)
      return false;
    *part = s.substr(p, e - p);
    p = e;
  }
  const std::size_t hostStart = skipLws(s, p);
  if (hostStart == p)
    return false;
  p = hostStart;
  if (!parseHostPort(s, p, true, &v.host, &v.port))
    return false;
  const std::size_t paramsStart = skipLws(s, p);
  p = paramsStart;
  // One pass validates the parameters and picks out the ones RFC 3261/3581 give meaning.
  const bool paramsOk = scanParamsWith(
      s, p, true, [&v](std::string_view name, std::string_view value, bool hasValue) {
        switch (name.size()) {
          case 6:
            if (!nameEquals("branch", name))
              return true;
            v.branch = value;
            return !value.empty();
          case 8:
            if (!nameEquals("received", name))
              return true;
            v.received = value;
            return !value.empty();
          case 5:
            if (nameEquals("maddr", name)) {
              v.maddr = value;
              return !value.empty();
            }
            if (nameEquals("rport", name)) {
              v.hasRport = true;
              if (!hasValue)
                return true;
              std::uint16_t port = 0;
              if (!detail::parseDecimal<std::uint16_t>(value, 65535, &port))
                return false;
              v.rport = port;
            }
            return true;
          case 3: {
            if (!nameEquals("ttl", name))
              return true;
            std::uint8_t ttl = 0;
            if (!hasValue || !detail::parseDecimal<std::uint8_t>(value, 255, &ttl))
              return false;
            v.ttl = ttl;
            return true;
          }
          default:
            return true;
        }
      });
  if (!paramsOk)
    return false;
  v.params = ParamList(s.substr(paramsStart, p - paramsStart));
  p = skipLws(s, p);
  if (p < s.size() && s[p] == '(') {
    // RFC 3261 allows a trailing comment; nested parentheses are not worth supporting.
    const std::size_t close = s.find(')', p);
    if (close == npos)
      return false;
    p = skipLws(s, close + 1);
  }
  if (p != s.size())
    return false;
  return true;
}

// ---- CSeq ------------------------------------------------------------------------------

bool detail::parseCSeqInto(std::string_view text, CSeq& c) {
  const std::string_view s = detail::trimLws(text);
  std::size_t p = 0;
  while (p < s.size() && isDigit(s[p]))
    ++p;
  c = CSeq{};
  // RFC 3261 §8.1.1.5: the sequence number MUST be less than 2**31.
  if (!detail::parseDecimal<std::uint32_t>(s.substr(0, p), 0x7fffffffU, &c.number))
    return false;
  const std::size_t m = skipLws(s, p);
  if (m == p)
    return false;
  const std::size_t e = tokenEnd(s, m);
  if (e == m || e != s.size())
    return false;
  c.methodName = s.substr(m);
  c.method = methodFromString(c.methodName);
  return true;
}

// ---- Result-returning wrappers ---------------------------------------------------------

tapi::Result<Uri> parseUri(std::string_view text) {
  Uri u;
  if (!detail::parseUriInto(text, u))
    return fail(make_error_code(ParseError::BadRequestUri));
  return u;
}

tapi::Result<NameAddr> parseNameAddr(std::string_view text, ParseError error) {
  NameAddr na;
  if (!detail::parseNameAddrInto(text, na))
    return fail(make_error_code(error));
  return na;
}

tapi::Result<Via> parseVia(std::string_view text) {
  Via v;
  if (!detail::parseViaInto(text, v))
    return fail(make_error_code(ParseError::BadVia));
  return v;
}

tapi::Result<CSeq> parseCSeq(std::string_view text) {
  CSeq c;
  if (!detail::parseCSeqInto(text, c))
    return fail(make_error_code(ParseError::BadCSeq));
  return c;
}

}  // namespace tapi::sip::message
