#pragma once
// Via branch values (RFC 3261 §8.1.1.7): the magic cookie followed by enough unpredictable
// randomness that branches are unique in space and time and cannot be guessed by a peer
// (a guessable branch lets an attacker CANCEL or answer someone else's transaction).

#include <string>
#include <string_view>

namespace tapi::sip::transport {

/** The RFC 3261 magic cookie every compliant branch starts with. */
inline constexpr std::string_view kMagicCookie = "z9hG4bK";

/**
 * A fresh branch: "z9hG4bK" + 32 hex digits (128 bits from the kernel's CSPRNG via
 * getrandom(2)). Any thread.
 */
std::string generateBranch();

/** True if `branch` starts with the magic cookie and has something after it. */
bool isRfc3261Branch(std::string_view branch) noexcept;

}  // namespace tapi::sip::transport
