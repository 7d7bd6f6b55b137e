#pragma once
// Small pieces the SIP provider's calls-in, calls-out and registration code share.

#include <cstdint>
#include <string_view>
#include <vector>

#include <tapi/types.hpp>

#include "sip/message/message.hpp"

namespace tapi::providers::sip {

/** The TAPI party a From/To/Contact names: display name, and user part (or the whole URI). */
Party partyOf(const tapi::sip::message::NameAddr& na);

/**
 * The values of every `name` header line of `m`, each whole (a Digest challenge has commas
 * inside, so it must not be split as a list). Names compare case-insensitively.
 */
std::vector<std::string_view> headerLines(const tapi::sip::message::SipMessage& m,
                                          std::string_view name);

/** A random SDP o= session id (RFC 4566 §5.2), small enough for any parser. */
std::uint64_t randomSessionId();

}  // namespace tapi::providers::sip
