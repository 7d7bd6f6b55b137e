#pragma once
// The Reason header (RFC 3326, location parameter from RFC 8606): why a BYE or CANCEL was
// sent, or why a request failed (RFC 6432 allows it in responses).

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

namespace tapi::sip::headers {

/** One Reason value, e.g. `Q.850;cause=16;text="Normal call clearing";location=LN`. */
struct Reason {
  /// "SIP" or "Q.850" (normalised from any letter case); any other protocol token as written.
  std::string protocol;
  /// The protocol-cause, 0..999.
  int cause = 0;
  /// The reason text, unquoted and unescaped; empty if absent.
  std::string text;
  /// The RFC 8606 location parameter ("U", "LN", ...) as written; empty if absent.
  std::string location;

  friend bool operator==(const Reason&, const Reason&) = default;
};

/** Upper bound on the values parseReasons() returns; extra values are ignored. */
inline constexpr std::size_t kMaxReasons = 16;

/**
 * Parse the values of every Reason header of a message, in order.
 *
 * Each entry of @p headerValues is one header's value, which may itself be a comma list.
 * Parsing is tolerant: a value that is malformed is skipped and the others are kept. A
 * value is malformed when its protocol is not a token, it has no `cause` parameter, the
 * cause is not a decimal number 0..999, its text is an unterminated quoted string or holds
 * control characters, or anything but parameters follows the protocol. Duplicate
 * parameters: the first one counts. At most kMaxReasons values are returned.
 *
 * Never throws (other than std::bad_alloc) and accepts any bytes.
 * @param headerValues raw header values (for example SipMessage's values for Reason).
 * @return the well-formed values, in header order.
 */
std::vector<Reason> parseReasons(const std::vector<std::string_view>& headerValues);

/**
 * Format one Reason value: `Q.850;cause=16;text="Normal call clearing"`, followed by
 * `;location=<loc>` when location is set. The text is quoted with `"` and `\` escaped;
 * control characters (CR, LF, ...) are dropped so the result is always a safe header value.
 * An empty text is left out. A location that is not a token is left out.
 * @return the header value (without the "Reason:" name).
 */
std::string formatReason(const Reason& reason);

/**
 * The ITU-T Q.850 name of a cause value ("Normal call clearing" for 16) for the causes
 * telephony ends use: 1, 2, 3, 16-31 (those defined), 34, 38, 41, 42, 44, 47, 49, 50, 53,
 * 55, 57, 58, 63, 65, 69, 79, 81, 88, 95, 102, 111, 127.
 * @return the name, or an empty view for any other value.
 */
std::string_view q850Text(int cause) noexcept;

}  // namespace tapi::sip::headers
