#pragma once
// What every header codec here needs from the message layer's value helpers, in one place.

#include <string_view>
#include "sip/message/header_names.hpp"

#include "sip/message/header_types.hpp"

namespace tapi::sip::headers::detail {

using message::Param;
using message::ParamList;
using message::detail::iequals;
using message::detail::trimLws;

/** Linear whitespace, folds included (RFC 3261 §25.1 LWS). */
constexpr bool isLws(char c) noexcept {
  return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

/**
 * True when `rest` (empty, or starting at ';') is a parameter list that ParamList reads to
 * its end: ParamList stops quietly at the first thing it cannot read, so junk after valid
 * parameters must be caught here.
 */
inline bool paramsReadToEnd(std::string_view rest) {
  if (!rest.empty() && rest.front() != ';') {
    return false;
  }
  const ParamList params(rest);
  const char* consumed = rest.data();
  for (const Param& prm : params) {
    const std::string_view last = prm.hasValue ? prm.value : prm.name;
    consumed = last.data() + last.size();
  }
  return trimLws(std::string_view(consumed,
                                  static_cast<std::size_t>(rest.data() + rest.size() - consumed)))
      .empty();
}

}  // namespace tapi::sip::headers::detail
