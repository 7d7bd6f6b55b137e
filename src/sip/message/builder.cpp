// MessageBuilder, makeResponse (RFC 3261 §8.2.6) and the stateless answer to bad input.

#include <algorithm>
#include <random>

#include "sip/message/detail/chars.hpp"
#include "sip/message/message.hpp"

namespace tapi::sip::message {

namespace {
constexpr std::size_t npos = std::string_view::npos;

bool hasLineBreak(std::string_view s) noexcept {
  // A NUL is refused too, except as the escaped byte of a quoted-pair ("\\" NUL), which the
  // parser accepts inside quoted strings and a response must be able to echo (RFC 4475 intmeth).
  for (std::size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '\r' || s[i] == '\n')
      return true;
    if (s[i] == '\0' && (i == 0 || s[i - 1] != '\\'))
      return true;
  }
  return false;
}

/** A received value with its folds (CRLF + WS) turned into single spaces (§7.3.1). */
std::string unfolded(std::string_view v) {
  std::string out;
  out.reserve(v.size());
  for (std::size_t i = 0; i < v.size(); ++i) {
    if (v[i] == '\r' || v[i] == '\n') {
      while (i + 1 < v.size() && detail::isLws(v[i + 1]))
        ++i;
      out.push_back(' ');
      continue;
    }
    out.push_back(v[i]);
  }
  return out;
}
}  // namespace

std::string_view defaultReasonPhrase(int status) noexcept {
  switch (status) {
    case 100:
      return "Trying";
    case 180:
      return "Ringing";
    case 181:
      return "Call Is Being Forwarded";
    case 182:
      return "Queued";
    case 183:
      return "Session Progress";
    case 199:
      return "Early Dialog Terminated";
    case 200:
      return "OK";
    case 202:
      return "Accepted";
    case 300:
      return "Multiple Choices";
    case 301:
      return "Moved Permanently";
    case 302:
      return "Moved Temporarily";
    case 305:
      return "Use Proxy";
    case 380:
      return "Alternative Service";
    case 400:
      return "Bad Request";
    case 401:
      return "Unauthorized";
    case 402:
      return "Payment Required";
    case 403:
      return "Forbidden";
    case 404:
      return "Not Found";
    case 405:
      return "Method Not Allowed";
    case 406:
      return "Not Acceptable";
    case 407:
      return "Proxy Authentication Required";
    case 408:
      return "Request Timeout";
    case 410:
      return "Gone";
    case 413:
      return "Request Entity Too Large";
    case 414:
      return "Request-URI Too Long";
    case 415:
      return "Unsupported Media Type";
    case 416:
      return "Unsupported URI Scheme";
    case 420:
      return "Bad Extension";
    case 421:
      return "Extension Required";
    case 422:
      return "Session Interval Too Small";
    case 423:
      return "Interval Too Brief";
    case 480:
      return "Temporarily Unavailable";
    case 481:
      return "Call/Transaction Does Not Exist";
    case 482:
      return "Loop Detected";
    case 483:
      return "Too Many Hops";
    case 484:
      return "Address Incomplete";
    case 485:
      return "Ambiguous";
    case 486:
      return "Busy Here";
    case 487:
      return "Request Terminated";
    case 488:
      return "Not Acceptable Here";
    case 491:
      return "Request Pending";
    case 493:
      return "Undecipherable";
    case 500:
      return "Server Internal Error";
    case 501:
      return "Not Implemented";
    case 502:
      return "Bad Gateway";
    case 503:
      return "Service Unavailable";
    case 504:
      return "Server Time-out";
    case 505:
      return "Version Not Supported";
    case 513:
      return "Message Too Large";
    case 580:
      return "Precondition Failure";
    case 600:
      return "Busy Everywhere";
    case 603:
      return "Decline";
    case 604:
      return "Does Not Exist Anywhere";
    case 606:
      return "Not Acceptable";
    default:
      break;
  }
  if (status < 200)
    return "Provisional";
  if (status < 300)
    return "Success";
  if (status < 400)
    return "Redirection";
  if (status < 500)
    return "Client Error";
  if (status < 600)
    return "Server Error";
  return "Global Failure";
}

std::string randomToken() {
  // Tags need to be unique, not secret; a per-thread generator seeded once is enough.
  thread_local std::mt19937_64 gen{std::random_device{}()};
  static constexpr char kHex[] = "0123456789abcdef";
  std::uint64_t v = gen();
  std::string out(16, '0');
  for (char& c : out) {
    c = kHex[v & 0xf];
    v >>= 4;
  }
  return out;
}

// ---- MessageBuilder --------------------------------------------------------------------

MessageBuilder MessageBuilder::request(Method method, std::string_view requestUri) {
  MessageBuilder b = request(message::toString(method), requestUri);
  if (method == Method::Extension)
    b.bad_ = true;
  return b;
}

MessageBuilder MessageBuilder::request(std::string_view methodToken, std::string_view requestUri) {
  MessageBuilder b;
  if (methodToken.empty() || hasLineBreak(methodToken) || hasLineBreak(requestUri))
    b.bad_ = true;
  b.text_.reserve(512);
  b.text_.append(methodToken).append(" ").append(requestUri).append(" SIP/2.0\r\n");
  return b;
}

MessageBuilder MessageBuilder::response(int status, std::string_view reason) {
  MessageBuilder b;
  if (status < 100 || status > 699 || hasLineBreak(reason))
    b.bad_ = true;
  if (reason.empty())
    reason = defaultReasonPhrase(status);
  b.text_.reserve(512);
  b.text_.append("SIP/2.0 ")
      .append(std::to_string(status))
      .append(" ")
      .append(reason)
      .append("\r\n");
  return b;
}

MessageBuilder& MessageBuilder::header(std::string_view name, std::string_view value) {
  if (hasLineBreak(name) || hasLineBreak(value))
    bad_ = true;
  if (lookupHeader(name) == HeaderId::ContentLength)
    hasContentLength_ = true;
  text_.append(name).append(": ").append(value).append("\r\n");
  return *this;
}

MessageBuilder& MessageBuilder::body(std::string_view body, std::string_view contentType) {
  body_.assign(body);
  if (!contentType.empty())
    header("Content-Type", contentType);
  return *this;
}

std::string MessageBuilder::toString() const {
  std::string out;
  out.reserve(text_.size() + body_.size() + 32);
  out.append(text_);
  if (!hasContentLength_)
    out.append("Content-Length: ").append(std::to_string(body_.size())).append("\r\n");
  out.append("\r\n").append(body_);
  return out;
}

Result<SipMessage> MessageBuilder::build(const ParseLimits& limits) const {
  if (bad_)
    return fail(make_error_code(ParseError::BadHeaderValue));
  return parse(toString(), limits);
}

// ---- makeResponse ----------------------------------------------------------------------

Result<SipMessage> makeResponse(const SipMessage& request, int status, std::string_view reason,
                                std::string_view toTag) {
  if (!request.isRequest())
    return fail(make_error_code(ParseError::BadStartLine));
  if (status < 100 || status > 699)
    return fail(make_error_code(ParseError::BadStatusCode));
  MessageBuilder b = MessageBuilder::response(status, reason);
  // §8.2.6.2: Via values in the same order, From/Call-ID/CSeq verbatim, To plus a tag.
  for (std::size_t i = 0; i < request.headerCount(); ++i) {
    const HeaderField h = request.headerAt(i);
    if (h.id == HeaderId::Via)
      b.header("Via", unfolded(h.value));
  }
  b.header("From", unfolded(request.from().text));
  std::string to = unfolded(request.to().text);
  if (status > 100 && request.to().tag().empty()) {
    to.append(";tag=").append(toTag.empty() ? randomToken() : std::string(toTag));
  }
  b.header("To", to);
  b.header("Call-ID", request.callId());
  b.header("CSeq", unfolded(*request.header(HeaderId::CSeq)));
  return b.build();
}

// ---- stateless answer to bad input -----------------------------------------------------

namespace {

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
  std::string_view line = s.substr(pos, nl - pos);
  if (!line.empty() && line.back() == '\r')
    line.remove_suffix(1);
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
    std::string_view l = s.substr(pos, nl - pos);
    if (!l.empty() && l.back() == '\r')
      l.remove_suffix(1);
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
    switch (lookupHeader(detail::trimLws(l.substr(0, colon)))) {
      case HeaderId::Via:
        h.vias.push_back(value);
        last = &h.vias.back();
        lastIsVia = true;
        break;
      case HeaderId::From:
        if (h.from.empty())
          last = &(h.from = value);
        break;
      case HeaderId::To:
        if (h.to.empty())
          last = &(h.to = value);
        break;
      case HeaderId::CallId:
        if (h.callId.empty())
          last = &(h.callId = value);
        break;
      case HeaderId::CSeq:
        if (h.cseq.empty())
          last = &(h.cseq = value);
        break;
      case HeaderId::MaxForwards:
      case HeaderId::ContentLength:
      case HeaderId::ContentType:
      case HeaderId::Contact:
      case HeaderId::Route:
      case HeaderId::RecordRoute:
      case HeaderId::Accept:
      case HeaderId::AcceptContact:
      case HeaderId::AcceptEncoding:
      case HeaderId::AcceptLanguage:
      case HeaderId::AlertInfo:
      case HeaderId::Allow:
      case HeaderId::AllowEvents:
      case HeaderId::AuthenticationInfo:
      case HeaderId::Authorization:
      case HeaderId::CallInfo:
      case HeaderId::ContentDisposition:
      case HeaderId::ContentEncoding:
      case HeaderId::ContentLanguage:
      case HeaderId::Date:
      case HeaderId::ErrorInfo:
      case HeaderId::Event:
      case HeaderId::Expires:
      case HeaderId::Identity:
      case HeaderId::IdentityInfo:
      case HeaderId::InReplyTo:
      case HeaderId::MimeVersion:
      case HeaderId::MinExpires:
      case HeaderId::MinSe:
      case HeaderId::Organization:
      case HeaderId::PAssertedIdentity:
      case HeaderId::PPreferredIdentity:
      case HeaderId::Path:
      case HeaderId::Priority:
      case HeaderId::Privacy:
      case HeaderId::ProxyAuthenticate:
      case HeaderId::ProxyAuthorization:
      case HeaderId::ProxyRequire:
      case HeaderId::RAck:
      case HeaderId::Reason:
      case HeaderId::ReferTo:
      case HeaderId::ReferredBy:
      case HeaderId::RejectContact:
      case HeaderId::ReplyTo:
      case HeaderId::RequestDisposition:
      case HeaderId::Require:
      case HeaderId::RetryAfter:
      case HeaderId::RSeq:
      case HeaderId::Server:
      case HeaderId::ServiceRoute:
      case HeaderId::SessionExpires:
      case HeaderId::Subject:
      case HeaderId::Supported:
      case HeaderId::Timestamp:
      case HeaderId::Unsupported:
      case HeaderId::UserAgent:
      case HeaderId::UserToUser:
      case HeaderId::Warning:
      case HeaderId::WwwAuthenticate:
      case HeaderId::Other:
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
