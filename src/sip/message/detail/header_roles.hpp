#pragma once
// What the message layer does with each header field, by id, in one constexpr table: the
// routing headers parse() validates (and types) and the ParseError a bad value of each
// reports; every other field is only located. The parser's index, the header changes and
// the salvage of bad input all read this table, so a header gains or loses a role in one
// place.

#include <array>
#include <cstddef>
#include <cstdint>

#include "sip/message/header_names.hpp"
#include "sip/message/parse_error.hpp"

namespace tapi::sip::message::detail {

/** How parse() treats a header field. */
enum class HeaderRole : std::uint8_t {
  Via,            ///< every value parsed; the first one is the top Via
  From,           ///< parsed; mandatory, exactly once
  To,             ///< parsed; mandatory, exactly once
  CallId,         ///< checked; mandatory, exactly once
  CSeq,           ///< parsed; mandatory, exactly once
  MaxForwards,    ///< parsed: a number in 0..255, at most once
  ContentLength,  ///< parsed: frames the body; duplicates must agree
  Contact,        ///< validated; typed on first access ("*" allowed)
  Route,          ///< validated; typed on first access
  RecordRoute,    ///< validated; typed on first access
  Located,        ///< not needed for routing: located only, typed by whoever asks
};

struct HeaderRule {
  HeaderRole role = HeaderRole::Located;
  ParseError badValue = ParseError::BadHeaderValue;  ///< what a bad value of it reports
};

inline constexpr std::size_t kHeaderIdCount = static_cast<std::size_t>(HeaderId::Other) + 1;

constexpr std::array<HeaderRule, kHeaderIdCount> makeHeaderRules() {
  std::array<HeaderRule, kHeaderIdCount> t{};  // everything Located, BadHeaderValue
  auto set = [&t](HeaderId id, HeaderRole role, ParseError badValue) {
    t[static_cast<std::size_t>(id)] = HeaderRule{role, badValue};
  };
  set(HeaderId::Via, HeaderRole::Via, ParseError::BadVia);
  set(HeaderId::From, HeaderRole::From, ParseError::BadFrom);
  set(HeaderId::To, HeaderRole::To, ParseError::BadTo);
  set(HeaderId::CallId, HeaderRole::CallId, ParseError::BadCallId);
  set(HeaderId::CSeq, HeaderRole::CSeq, ParseError::BadCSeq);
  set(HeaderId::MaxForwards, HeaderRole::MaxForwards, ParseError::BadMaxForwards);
  set(HeaderId::ContentLength, HeaderRole::ContentLength, ParseError::BadContentLength);
  set(HeaderId::Contact, HeaderRole::Contact, ParseError::BadContact);
  set(HeaderId::Route, HeaderRole::Route, ParseError::BadRoute);
  set(HeaderId::RecordRoute, HeaderRole::RecordRoute, ParseError::BadRecordRoute);
  return t;
}

inline constexpr std::array<HeaderRule, kHeaderIdCount> kHeaderRules = makeHeaderRules();

/** @return how parse() treats a field with id @p id. */
constexpr HeaderRole roleOf(HeaderId id) noexcept {
  return kHeaderRules[static_cast<std::size_t>(id)].role;
}

/** @return the ParseError a bad value of a field with id @p id reports. */
constexpr ParseError badValueError(HeaderId id) noexcept {
  return kHeaderRules[static_cast<std::size_t>(id)].badValue;
}

/**
 * @return true for the headers every message carries (Via, From, To, Call-ID, CSeq): a
 * stateless answer echoes them, and removing them would leave the message invalid.
 */
constexpr bool isMandatory(HeaderRole role) noexcept {
  return role == HeaderRole::Via || role == HeaderRole::From || role == HeaderRole::To ||
         role == HeaderRole::CallId || role == HeaderRole::CSeq;
}

}  // namespace tapi::sip::message::detail
