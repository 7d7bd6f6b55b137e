// The start line (RFC 3261 §7.1, §7.2): a Request-Line or a Status-Line.

#include "sip/message/detail/chars.hpp"
#include "sip/message/detail/message_impl.hpp"

namespace tapi::sip::message {

using detail::err;

namespace {
constexpr std::size_t npos = std::string_view::npos;

bool isReasonPhraseOk(std::string_view r) noexcept {
  for (char c : r) {
    const auto uc = static_cast<unsigned char>(c);
    if (uc < 0x20 && c != '\t')
      return false;
    if (uc == 0x7f)
      return false;
  }
  return true;
}

}  // namespace

Result<void> SipMessage::Impl::parseStartLine(std::string_view line) {
  if (line.size() >= 4 && line.substr(0, 4) == "SIP/") {
    // Status-Line = SIP-Version SP Status-Code SP Reason-Phrase
    const std::size_t sp = line.find(' ');
    if (sp == npos)
      return err(ParseError::BadStartLine);
    if (line.substr(0, sp) != "SIP/2.0")
      return err(ParseError::BadVersion);
    const std::string_view code = line.substr(sp + 1, 3);
    if (code.size() != 3 || !detail::isDigit(code[0]) || !detail::isDigit(code[1]) ||
        !detail::isDigit(code[2])) {
      return err(ParseError::BadStatusCode);
    }
    const int st = (code[0] - '0') * 100 + (code[1] - '0') * 10 + (code[2] - '0');
    if (st < 100 || st > 699)
      return err(ParseError::BadStatusCode);
    std::string_view rest = line.substr(sp + 4);
    if (!rest.empty()) {
      if (rest[0] != ' ')
        return err(ParseError::BadStatusCode);
      rest.remove_prefix(1);
    }
    if (!isReasonPhraseOk(rest))
      return err(ParseError::BadReasonPhrase);
    request = false;
    status = st;
    reason = rest;
    methodName = {};
    method = Method::Extension;
    return {};
  }
  // Request-Line = Method SP Request-URI SP SIP-Version (exactly single spaces).
  const std::size_t sp1 = line.find(' ');
  if (sp1 == npos)
    return err(ParseError::BadStartLine);
  const std::size_t sp2 = line.find(' ', sp1 + 1);
  if (sp2 == npos)
    return err(ParseError::BadStartLine);
  const std::string_view m = line.substr(0, sp1);
  if (m.empty())
    return err(ParseError::BadStartLine);
  for (char c : m) {
    if (!detail::isTokenChar(c))
      return err(ParseError::BadMethod);
  }
  const std::string_view version = line.substr(sp2 + 1);
  if (version.find(' ') != npos)
    return err(ParseError::BadRequestUri);
  if (version.size() < 4 || version.substr(0, 4) != "SIP/")
    return err(ParseError::BadStartLine);
  if (version != "SIP/2.0")
    return err(ParseError::BadVersion);
  if (!detail::parseUriInto(line.substr(sp1 + 1, sp2 - sp1 - 1), requestUri)) {
    return err(ParseError::BadRequestUri);
  }
  request = true;
  methodName = m;
  method = methodFromString(m);
  status = 0;
  reason = {};
  return {};
}

}  // namespace tapi::sip::message
