// The header index: parse() validates the routing headers and fills the typed slots of
// the Impl; every other header field is only located (see detail/header_roles.hpp).

#include "sip/message/detail/chars.hpp"
#include "sip/message/detail/header_roles.hpp"
#include "sip/message/detail/message_impl.hpp"

namespace tapi::sip::message {

using detail::err;
using detail::HeaderEntry;
using detail::HeaderRole;

namespace {

/** Validate every comma-separated name-addr of a Contact/Route/Record-Route value. */
bool validNameAddrList(std::string_view value) {
  bool ok = true;
  NameAddr scratch;
  const bool balanced = splitValues(value, [&](std::string_view elem) {
    ok = detail::parseNameAddrInto(elem, scratch);
    return ok;
  });
  return balanced && ok;
}

}  // namespace

Result<void> SipMessage::Impl::index(const ParseLimits& limits) {
  bool haveVia = false;
  bool haveFrom = false;
  bool haveTo = false;
  bool haveCallId = false;
  bool haveCSeq = false;
  maxForwards.reset();
  contentLength.reset();
  contactWildcard = false;
  for (const HeaderEntry& h : headers) {
    const HeaderRole role = detail::roleOf(h.id);
    switch (role) {
      case HeaderRole::Via: {
        bool ok = true;
        Via scratch;
        const bool balanced = splitValues(h.value, [&](std::string_view elem) {
          ok = detail::parseViaInto(elem, haveVia ? scratch : topVia);
          haveVia = true;
          return ok;
        });
        if (!balanced || !ok)
          return err(ParseError::BadVia);
        break;
      }
      case HeaderRole::From:
      case HeaderRole::To: {
        const bool isFrom = role == HeaderRole::From;
        const ParseError e = detail::badValueError(h.id);
        if (isFrom ? haveFrom : haveTo)
          return err(e);
        if (!detail::parseNameAddrInto(h.value, isFrom ? from : to))
          return err(e);
        (isFrom ? haveFrom : haveTo) = true;
        break;
      }
      case HeaderRole::CallId: {
        if (haveCallId || h.value.empty())
          return err(ParseError::BadCallId);
        for (char c : h.value) {
          const auto uc = static_cast<unsigned char>(c);
          if (uc <= 0x20 || uc == 0x7f)
            return err(ParseError::BadCallId);
        }
        callId = h.value;
        haveCallId = true;
        break;
      }
      case HeaderRole::CSeq: {
        if (haveCSeq)
          return err(ParseError::BadCSeq);
        if (!detail::parseCSeqInto(h.value, cseq))
          return err(ParseError::BadCSeq);
        haveCSeq = true;
        break;
      }
      case HeaderRole::MaxForwards: {
        std::uint32_t mf = 0;
        if (maxForwards || !detail::parseDecimal<std::uint32_t>(h.value, 255, &mf)) {
          return err(ParseError::BadMaxForwards);
        }
        maxForwards = mf;
        break;
      }
      case HeaderRole::ContentLength: {
        std::size_t cl = 0;
        if (!detail::parseDecimal<std::size_t>(h.value, std::size_t{0xffffffffU}, &cl)) {
          return err(ParseError::BadContentLength);
        }
        // RFC 7230-style tolerance would accept equal duplicates; SIP has no such rule,
        // but differing values can only be an attack on framing.
        if (contentLength && *contentLength != cl)
          return err(ParseError::BadContentLength);
        contentLength = cl;
        break;
      }
      case HeaderRole::Contact:
        if (h.value == "*") {
          contactWildcard = true;
          break;
        }
        [[fallthrough]];
      case HeaderRole::Route:
      case HeaderRole::RecordRoute:
        if (!validNameAddrList(h.value))
          return err(detail::badValueError(h.id));
        break;
      case HeaderRole::Located:
        break;
    }
  }
  if (!haveVia)
    return err(ParseError::MissingVia);
  if (!haveFrom)
    return err(ParseError::MissingFrom);
  if (!haveTo)
    return err(ParseError::MissingTo);
  if (!haveCallId)
    return err(ParseError::MissingCallId);
  if (!haveCSeq)
    return err(ParseError::MissingCSeq);
  if (request) {
    if (cseq.methodName != methodName)
      return err(ParseError::CSeqMethodMismatch);
  } else {
    method = cseq.method;
    methodName = cseq.methodName;
  }
  if (contentLength) {
    if (*contentLength > bodySource.size())
      return err(ParseError::ContentLengthExceedsBody);
    body = bodySource.substr(0, *contentLength);
  } else {
    if (limits.requireContentLength)
      return err(ParseError::MissingContentLength);
    body = bodySource;
  }
  return {};
}

}  // namespace tapi::sip::message
