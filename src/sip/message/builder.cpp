// MessageBuilder, makeResponse (RFC 3261 §8.2.6), reason phrases and random tags.

#include "sip/message/message.hpp"

#include <random>

#include "sip/message/detail/chars.hpp"

namespace tapi::sip::message {

namespace {

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

}  // namespace tapi::sip::message
