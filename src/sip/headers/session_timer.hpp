#pragma once
// Session-timer headers (RFC 4028): Session-Expires (compact form "x") and Min-SE.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace tapi::sip::headers {

/** A Session-Expires value: `1800;refresher=uac`. */
struct SessionExpires {
  /** Who refreshes the session: the refresher parameter. */
  enum class Refresher : std::uint8_t {
    Unspecified,  ///< no refresher parameter (the answerer chooses, RFC 4028 §9)
    Uac,          ///< refresher=uac
    Uas,          ///< refresher=uas
  };
  std::uint32_t seconds = 0;  ///< delta-seconds, the session interval
  Refresher refresher = Refresher::Unspecified;

  friend bool operator==(const SessionExpires&, const SessionExpires&) = default;
};

/**
 * Parse a Session-Expires value: `delta-seconds *(";" se-params)`. The refresher value
 * is compared case-insensitively; other parameters are ignored.
 * Range checks (RFC 4028's 90 s floor, 422 responses) are the session layer's job, so any
 * value 0..2^32-1 is accepted here.
 * @return nullopt when the number is missing, not decimal or above 2^32-1, the refresher
 * is neither uac nor uas, or junk follows the parameters.
 */
std::optional<SessionExpires> parseSessionExpires(std::string_view value);

/** Format a Session-Expires value: `1800;refresher=uac` (no parameter when Unspecified). */
std::string formatSessionExpires(const SessionExpires& se);

/**
 * Parse a Min-SE value: `delta-seconds *(";" generic-param)`, parameters ignored.
 * @return nullopt when the number is missing, not decimal or above 2^32-1, or junk
 * follows the parameters.
 */
std::optional<std::uint32_t> parseMinSe(std::string_view value);

/** Format a Min-SE value: the decimal number. */
std::string formatMinSe(std::uint32_t seconds);

}  // namespace tapi::sip::headers
