#include "sip/message/parse_error.hpp"

#include <string>

namespace tapi::sip::message {
namespace {

class ParseErrorCategory final : public std::error_category {
 public:
  const char* name() const noexcept override { return "sip.message"; }
  std::string message(int ev) const override {
    if (ev < 0 || static_cast<std::size_t>(ev) >= kParseErrorCount) return "unknown parse error";
    return toString(static_cast<ParseError>(ev));
  }
};

}  // namespace

const char* toString(ParseError e) noexcept {
  switch (e) {
    case ParseError::Empty: return "empty message";
    case ParseError::MessageTooLarge: return "message too large";
    case ParseError::LineTooLong: return "header line too long";
    case ParseError::TooManyHeaders: return "too many headers";
    case ParseError::Incomplete: return "incomplete header section";
    case ParseError::BadStartLine: return "bad start line";
    case ParseError::BadMethod: return "bad method";
    case ParseError::BadRequestUri: return "bad Request-URI";
    case ParseError::BadVersion: return "bad SIP version";
    case ParseError::BadStatusCode: return "bad status code";
    case ParseError::BadReasonPhrase: return "bad reason phrase";
    case ParseError::BadHeaderLine: return "bad header line";
    case ParseError::BadHeaderValue: return "bad header value";
    case ParseError::MissingVia: return "missing Via";
    case ParseError::BadVia: return "bad Via";
    case ParseError::MissingFrom: return "missing From";
    case ParseError::BadFrom: return "bad From";
    case ParseError::MissingTo: return "missing To";
    case ParseError::BadTo: return "bad To";
    case ParseError::MissingCallId: return "missing Call-ID";
    case ParseError::BadCallId: return "bad Call-ID";
    case ParseError::MissingCSeq: return "missing CSeq";
    case ParseError::BadCSeq: return "bad CSeq";
    case ParseError::CSeqMethodMismatch: return "CSeq method does not match";
    case ParseError::BadMaxForwards: return "bad Max-Forwards";
    case ParseError::BadContentLength: return "bad Content-Length";
    case ParseError::MissingContentLength: return "missing Content-Length";
    case ParseError::ContentLengthExceedsBody: return "Content-Length exceeds body";
    case ParseError::BadContact: return "bad Contact";
    case ParseError::BadRoute: return "bad Route";
    case ParseError::BadRecordRoute: return "bad Record-Route";
  }
  return "unknown parse error";
}

const std::error_category& parseErrorCategory() noexcept {
  static const ParseErrorCategory cat;
  return cat;
}

bool toParseError(const std::error_code& ec, ParseError* out) noexcept {
  if (&ec.category() != &parseErrorCategory()) return false;
  if (ec.value() < 0 || static_cast<std::size_t>(ec.value()) >= kParseErrorCount) return false;
  *out = static_cast<ParseError>(ec.value());
  return true;
}

}  // namespace tapi::sip::message
