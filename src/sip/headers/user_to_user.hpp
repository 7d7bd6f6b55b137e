#pragma once
// The User-to-User header (RFC 7433, isdn-uui package RFC 7434): the carrier of TAPI
// user-user information. Sent strictly (hex, purpose isdn-uui), received leniently.

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace tapi::sip::headers {

/** Largest UUI payload (decoded bytes) decodeUui() accepts; bigger values are refused. */
inline constexpr std::size_t kMaxUuiBytes = 4096;

/**
 * Encode a UUI buffer as a User-to-User header value:
 * `<lowercase hex>;encoding=hex;purpose=isdn-uui;content=isdn-uui`.
 * The whole buffer is encoded, including its first byte (the Q.931 protocol
 * discriminator in TAPI's lpsUserUserInfo). The caller enforces the 128-byte TAPI limit
 * (LINEERR_USERUSERINFOTOOBIG) before calling.
 * @param bytes any bytes.
 * @return the header value (without the name); empty when @p bytes is empty (send no header).
 */
std::string encodeUui(std::string_view bytes);

/**
 * Decode one User-to-User value (`uui-data *(";" param)`), leniently:
 * - `encoding=hex` (any case): the data (token, or quoted string) is hex-decoded; an odd
 *   number of digits or a non-hex character gives nullopt.
 * - no `encoding`, or any other encoding (vendors send `encoding=ascii`): a quoted string
 *   gives its unquoted text, a token is taken as written. RFC 7433 defines no default
 *   encoding, so hex-looking text without `encoding=hex` is NOT decoded.
 * Data longer than kMaxUuiBytes once decoded, empty token data, broken quoting, or junk
 * after the parameters gives nullopt. The purpose parameter is not checked here.
 * @param headerValue one value (one element of a comma list), surrounding LWS allowed.
 * @return the payload bytes.
 */
std::optional<std::string> decodeUui(std::string_view headerValue);

/**
 * Pick and decode the UUI for TAPI from all User-to-User headers of a message: the first
 * value (in header order, comma lists split) whose `purpose` is absent or `isdn-uui`
 * (case-insensitive) and that decodes. Values for other packages are skipped.
 * @param headerValues raw header values, each possibly a comma list.
 * @return the payload, or nullopt if no value qualifies.
 */
std::optional<std::string> decodeFirstUui(const std::vector<std::string_view>& headerValues);

}  // namespace tapi::sip::headers
