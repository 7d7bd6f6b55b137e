#pragma once
// Why a SIP message was rejected, as a value: an enum with a human-readable reason
// (usable as a 400 reason phrase), an error_code category, and per-reason counters.

#include <array>
#include <cstddef>
#include <cstdint>
#include <system_error>
#include <type_traits>

namespace tapi::sip::message {

/**
 * Every reason the parser can refuse bytes. The toString() text is short, human-readable
 * and safe to put in a reason phrase ("missing Call-ID").
 */
enum class ParseError : std::uint8_t {
  Empty,                    ///< no bytes, or only CRLF keep-alives
  MessageTooLarge,          ///< more bytes than ParseLimits::maxMessageSize
  LineTooLong,              ///< a physical line longer than ParseLimits::maxLineLength
  TooManyHeaders,           ///< more header fields than ParseLimits::maxHeaders
  Incomplete,               ///< no empty line ends the header section
  BadStartLine,             ///< neither a request line nor a status line
  BadMethod,                ///< request method is not a token
  BadRequestUri,            ///< request-URI does not parse
  BadVersion,               ///< not SIP/2.0
  BadStatusCode,            ///< status code is not three digits in 100..699
  BadReasonPhrase,          ///< reason phrase has control characters
  BadHeaderLine,            ///< a header line without a name or colon
  BadHeaderValue,           ///< a header value with a forbidden character (NUL, bare CR)
  MissingVia,               ///< no Via header
  BadVia,                   ///< a Via value does not parse
  MissingFrom,              ///< no From header
  BadFrom,                  ///< From does not parse, or appears twice
  MissingTo,                ///< no To header
  BadTo,                    ///< To does not parse, or appears twice
  MissingCallId,            ///< no Call-ID header
  BadCallId,                ///< Call-ID is empty, has whitespace, or appears twice
  MissingCSeq,              ///< no CSeq header
  BadCSeq,                  ///< CSeq number or method does not parse, or appears twice
  CSeqMethodMismatch,       ///< request method differs from the CSeq method
  BadMaxForwards,           ///< Max-Forwards not a number in 0..255, or twice
  BadContentLength,         ///< Content-Length not a number, or twice with different values
  MissingContentLength,     ///< required by ParseLimits::requireContentLength (stream transports)
  ContentLengthExceedsBody, ///< fewer body bytes than Content-Length says
  BadContact,               ///< a Contact value does not parse
  BadRoute,                 ///< a Route value does not parse
  BadRecordRoute,           ///< a Record-Route value does not parse
};

/** Number of ParseError values; sizes counter arrays. */
inline constexpr std::size_t kParseErrorCount =
    static_cast<std::size_t>(ParseError::BadRecordRoute) + 1;

/** A short human-readable reason, e.g. "missing Call-ID". Never null. */
const char* toString(ParseError e) noexcept;

/** The error category "sip.message"; message() gives toString() of the ParseError. */
const std::error_category& parseErrorCategory() noexcept;

inline std::error_code make_error_code(ParseError e) noexcept {
  return {static_cast<int>(e), parseErrorCategory()};
}

/**
 * The ParseError inside an error_code of parseErrorCategory(). @return false when the
 * code belongs to another category (then *out is untouched).
 */
bool toParseError(const std::error_code& ec, ParseError* out) noexcept;

/**
 * Counters for the transport: one per rejection reason plus accepted/answered/dropped
 * totals. Plain data, loop-thread only (no atomics on purpose: one loop owns the stack).
 */
struct ParseStats {
  std::uint64_t accepted = 0;       ///< messages that parsed
  std::uint64_t answered400 = 0;    ///< bad requests answered with a stateless 400
  std::uint64_t dropped = 0;        ///< bad messages dropped without an answer
  std::array<std::uint64_t, kParseErrorCount> byReason{};  ///< indexed by ParseError

  /** Count one rejection for @p e (does not touch answered400/dropped). */
  void countRejected(ParseError e) noexcept { ++byReason[static_cast<std::size_t>(e)]; }
  /** @return how many messages were rejected for @p e. */
  std::uint64_t rejected(ParseError e) const noexcept {
    return byReason[static_cast<std::size_t>(e)];
  }
  /** @return the sum over all reasons. */
  std::uint64_t rejectedTotal() const noexcept {
    std::uint64_t n = 0;
    for (auto v : byReason) n += v;
    return n;
  }
};

}  // namespace tapi::sip::message

template <>
struct std::is_error_code_enum<tapi::sip::message::ParseError> : std::true_type {};
