#pragma once
// The digest computation (RFC 7616 §3.4.1 - §3.4.3) over OpenSSL's EVP hashes, its
// constant-time comparison, and random hex from the crypto RNG. Shared by the client and
// server files; nothing outside src/sip/auth includes it.

#include <cstddef>
#include <string>
#include <string_view>

#include "sip/auth/digest.hpp"

namespace tapi::sip::auth::detail {

/** Hex length of a digest of @p a (32 for MD5, 64 for the SHA-2 family). */
std::size_t hexLength(Algorithm a) noexcept;

/**
 * The response from the HA1 base H(user:realm:password) (RFC 7616 §3.4.1-3.4.3). Empty if
 * a hash fails.
 */
std::string responseFromBaseHa1(const DigestInput& in, std::string_view baseHa1);

/** Random lowercase hex from the crypto RNG (std::random_device if that ever fails). */
std::string randomHex(std::size_t bytes);

/** Constant-time equality of two hex strings, ignoring case in @p received. */
bool hexEqualsConstantTime(std::string_view expected, std::string_view received);

}  // namespace tapi::sip::auth::detail
