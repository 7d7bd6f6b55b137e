#include "sip/headers/session_timer.hpp"

#include <string>

#include "sip/headers/detail/value_text.hpp"

namespace tapi::sip::headers {

namespace {

using namespace detail;  // Param, ParamList, iequals, trimLws, isLws

/**
 * Split `delta-seconds *(";" param)` into the number and the parameter list.
 * @return false when the number is not 1..n decimal digits fitting 32 bits, or junk
 * follows the parameters.
 */
bool parseDeltaAndParams(std::string_view value, std::uint32_t& seconds, ParamList& params) {
  const std::string_view v = trimLws(value);
  std::size_t p = 0;
  std::uint64_t n = 0;
  while (p < v.size() && v[p] >= '0' && v[p] <= '9') {
    n = n * 10 + static_cast<std::uint64_t>(v[p] - '0');
    if (n > 0xffffffffULL)
      return false;
    ++p;
  }
  if (p == 0)
    return false;
  while (p < v.size() && isLws(v[p]))
    ++p;
  const std::string_view rest = v.substr(p);
  if (!paramsReadToEnd(rest))
    return false;
  params = ParamList(rest);
  seconds = static_cast<std::uint32_t>(n);
  return true;
}

}  // namespace

std::optional<SessionExpires> parseSessionExpires(std::string_view value) {
  SessionExpires se;
  ParamList params;
  if (!parseDeltaAndParams(value, se.seconds, params))
    return std::nullopt;
  if (const auto r = params.find("refresher")) {
    if (!r->hasValue)
      return std::nullopt;
    if (iequals(r->value, "uac")) {
      se.refresher = SessionExpires::Refresher::Uac;
    } else if (iequals(r->value, "uas")) {
      se.refresher = SessionExpires::Refresher::Uas;
    } else {
      return std::nullopt;
    }
  }
  return se;
}

std::string formatSessionExpires(const SessionExpires& se) {
  std::string out = std::to_string(se.seconds);
  switch (se.refresher) {
    case SessionExpires::Refresher::Unspecified:
      break;
    case SessionExpires::Refresher::Uac:
      out += ";refresher=uac";
      break;
    case SessionExpires::Refresher::Uas:
      out += ";refresher=uas";
      break;
  }
  return out;
}

std::optional<std::uint32_t> parseMinSe(std::string_view value) {
  std::uint32_t seconds = 0;
  ParamList params;
  if (!parseDeltaAndParams(value, seconds, params))
    return std::nullopt;
  return seconds;
}

std::string formatMinSe(std::uint32_t seconds) {
  return std::to_string(seconds);
}

}  // namespace tapi::sip::headers
