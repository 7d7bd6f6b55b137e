// The stateless answer to bytes parse() rejected (RFC 3261 §8.2, §16.3; RFC 4475): a
// request readable enough gets a 400 (or 505/513) built from the headers that could be
// salvaged; anything else is dropped.

#include <algorithm>

#include "sip/message/detail/chars.hpp"
#include "sip/message/detail/header_roles.hpp"
#include "sip/message/detail/line_scan.hpp"
#include "sip/message/message.hpp"

namespace tapi::sip::message {

using detail::HeaderRole;

namespace {
constexpr std::size_t npos = std::string_view::npos;

/** Header values we echo back must not smuggle control bytes (folds are fine). */
bool safeToEcho(std::string_view v) noexcept {
  if (v.empty())
    return false;
  for (std::size_t i = 0; i < v.size(); ++i) {
    const auto c = static_cast<unsigned char>(v[i]);
    if (c == '\r') {
      if (i + 2 >= v.size() || v[i + 1] != '\n' || (v[i + 2] != ' ' && v[i + 2] != '\t')) {
        return false;
      }
      continue;
    }
    if (c == '\n') {
      if (i + 1 >= v.size() || (v[i + 1] != ' ' && v[i + 1] != '\t'))
        return false;
      continue;
    }
    if ((c < 0x20 && c != '\t') || c == 0x7f)
      return false;
  }
  return true;
}

/**
 * The longest prefix of the first value of `via` that ends before a ";" or "," and parses as
 * a Via on its own ("SIP/2.0/UDP host;branch=x" out of "SIP/2.0/UDP host;branch=x;;,;"), or
 * empty when not even the sent-protocol and sent-by parse.
 */
std::string_view parsablePrefixOfVia(std::string_view via) {
  std::string_view best;
  for (std::size_t i = 0; i < via.size() && via[i] != ','; ++i) {
    if (via[i] != ';')
      continue;
    const std::string_view candidate = detail::trimLws(via.substr(0, i));
    if (!candidate.empty() && safeToEcho(candidate) && parseVia(candidate).ok())
      best = candidate;
  }
  if (best.empty()) {
    const std::string_view candidate = detail::trimLws(via.substr(0, via.find(',')));
    if (!candidate.empty() && safeToEcho(candidate) && parseVia(candidate).ok())
      best = candidate;
  }
  return best;
}

struct SalvagedHeaders {
  std::vector<std::string_view> vias;
  std::string_view from, to, callId, cseq;
};

}  // namespace

BadInputDecision decideOnBadInput(std::string_view bytes, std::error_code error,
                                  const ParseLimits& limits) {
  BadInputDecision d;
  ParseError pe = ParseError::BadStartLine;
  if (!toParseError(error, &pe))
    pe = ParseError::BadStartLine;
  d.error = pe;
  d.action = BadInputAction::Drop;

  const std::string_view s = bytes.substr(0, std::min(bytes.size(), limits.maxMessageSize));
  std::size_t pos = 0;
  while (pos < s.size() && (s[pos] == '\r' || s[pos] == '\n'))
    ++pos;
  std::size_t nl = s.find('\n', pos);
  if (nl == npos || nl - pos > limits.maxLineLength + 1)
    return d;
  std::string_view line = detail::lineText(s, pos, nl);
  // Trailing whitespace after the SIP-Version (RFC 4475 §3.1.2.10 trws) is a bad request,
  // still a request: it gets its 400 like any other.
  while (!line.empty() && (line.back() == ' ' || line.back() == '\t'))
    line.remove_suffix(1);
  if (line.substr(0, 4) == "SIP/")
    return d;  // a response is never answered
  const std::size_t sp1 = line.find(' ');
  const std::size_t sp2 = line.rfind(' ');
  if (sp1 == npos || sp1 == 0 || sp2 == sp1)
    return d;
  const std::string_view method = line.substr(0, sp1);
  for (char c : method) {
    if (!detail::isTokenChar(c))
      return d;
  }
  if (method == "ACK")
    return d;  // §17.2.3: ACK never gets a response
  if (line.substr(sp2 + 1, 4) != "SIP/")
    return d;

  // Collect the header fields a response must echo, tolerating everything else.
  SalvagedHeaders h;
  pos = nl + 1;
  std::string_view* last = nullptr;
  bool lastIsVia = false;
  std::size_t fields = 0;
  while (pos < s.size() && fields <= limits.maxHeaders) {
    nl = s.find('\n', pos);
    if (nl == npos)
      nl = s.size();
    const std::string_view l = detail::lineText(s, pos, nl);
    const std::size_t lineStart = pos;
    pos = nl + 1;
    if (l.empty())
      break;
    if (l.size() > limits.maxLineLength) {
      last = nullptr;
      continue;
    }
    if (l[0] == ' ' || l[0] == '\t') {
      if (last != nullptr && !last->empty()) {
        // Extend the previous value over the fold (views into the same buffer).
        const char* b = last->data();
        *last = detail::trimLws(
            std::string_view(b, static_cast<std::size_t>(s.data() + lineStart + l.size() - b)));
        if (lastIsVia)
          h.vias.back() = *last;
      }
      continue;
    }
    ++fields;
    const std::size_t colon = l.find(':');
    last = nullptr;
    lastIsVia = false;
    if (colon == npos)
      continue;
    const std::string_view value = detail::trimLws(l.substr(colon + 1));
    // The first of each single-valued header is echoed; its folds extend it.
    auto keepFirst = [&](std::string_view& slot) {
      if (slot.empty())
        last = &(slot = value);
    };
    switch (detail::roleOf(lookupHeader(detail::trimLws(l.substr(0, colon))))) {
      case HeaderRole::Via:
        h.vias.push_back(value);
        last = &h.vias.back();
        lastIsVia = true;
        break;
      case HeaderRole::From:
        keepFirst(h.from);
        break;
      case HeaderRole::To:
        keepFirst(h.to);
        break;
      case HeaderRole::CallId:
        keepFirst(h.callId);
        break;
      case HeaderRole::CSeq:
        keepFirst(h.cseq);
        break;
      case HeaderRole::MaxForwards:
      case HeaderRole::ContentLength:
      case HeaderRole::Contact:
      case HeaderRole::Route:
      case HeaderRole::RecordRoute:
      case HeaderRole::Located:
        break;
    }
  }

  // RFC 4475 §3.3.1 (insuf): a request missing From, To or Call-ID still gets its 400
  // where it came from (the caller matches it by Via
  // branch and CSeq). Each header is echoed verbatim, as received, and only when it cannot
  // smuggle a line break or a control byte into our response; one that could is a drop.
  std::vector<std::string_view> vias;
  for (std::string_view v : h.vias) {
    // Vias are echoed only as far as they parse: our 400 must itself be a valid message.
    bool ok = safeToEcho(v);
    if (ok) {
      ok = splitValues(v,
                       [&](std::string_view elem) {
                         ok = parseVia(elem).ok();
                         return ok;
                       }) &&
           ok;
    }
    if (!ok) {
      // RFC 4475 §3.1.2.12 (badinv01): a top Via with stray delimiters still names where the
      // request came from. Its longest prefix that parses is echoed, so the 400 stays valid.
      if (vias.empty()) {
        const std::string_view salvaged = parsablePrefixOfVia(v);
        if (!salvaged.empty())
          vias.push_back(salvaged);
      }
      break;
    }
    vias.push_back(v);
  }
  if (vias.empty())
    return d;
  for (std::string_view v : {h.from, h.to, h.callId, h.cseq}) {
    if (!v.empty() && !safeToEcho(v))
      return d;
  }

  int status = 400;
  if (pe == ParseError::BadVersion)
    status = 505;
  if (pe == ParseError::MessageTooLarge)
    status = 513;
  std::string& out = d.response;
  out.reserve(256 + h.from.size() + h.to.size() + h.callId.size() + h.cseq.size());
  out.append("SIP/2.0 ").append(std::to_string(status)).append(" ").append(toString(pe));
  out.append("\r\n");
  for (std::string_view v : vias)
    out.append("Via: ").append(v).append("\r\n");
  if (!h.from.empty())
    out.append("From: ").append(h.from).append("\r\n");
  if (!h.to.empty()) {
    out.append("To: ").append(h.to);
    auto to = parseNameAddr(h.to, ParseError::BadTo);
    if (to && to->tag().empty())
      out.append(";tag=").append(randomToken());
    out.append("\r\n");
  }
  if (!h.callId.empty())
    out.append("Call-ID: ").append(h.callId).append("\r\n");
  if (!h.cseq.empty())
    out.append("CSeq: ").append(h.cseq).append("\r\n");
  out.append("Content-Length: 0\r\n\r\n");
  d.action = BadInputAction::Respond400;
  d.status = status;
  return d;
}

}  // namespace tapi::sip::message
