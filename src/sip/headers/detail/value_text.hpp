#pragma once
// What every header codec here needs from the message layer's value helpers, in one place.

#include "sip/message/header_names.hpp"
#include "sip/message/header_types.hpp"

namespace tapi::sip::headers::detail {

using message::Param;
using message::ParamList;
using message::detail::iequals;
using message::detail::trimLws;

/** Linear whitespace, folds included (RFC 3261 §25.1 LWS). */
constexpr bool isLws(char c) noexcept { return c == ' ' || c == '\t' || c == '\r' || c == '\n'; }

}  // namespace tapi::sip::headers::detail
