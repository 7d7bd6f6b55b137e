#pragma once
// Where a request for a URI goes (the part of RFC 3263 that needs no DNS): an IP literal
// or "localhost" host, the URI's port or the default, and its transport parameter.

#include <string_view>

#include "base/result.hpp"
#include "sip/transport/transport_layer.hpp"

namespace tapi::sip::dialog {

/**
 * The next hop for `uri` (a SIP or SIPS URI; name-addr brackets allowed).
 * Host names other than "localhost" need DNS (RFC 3263), which this layer does not do:
 * they give sip::Errc::NeedsDns, so a line must name its proxy by address. Other failures:
 * Errc::BadUri (not a SIP or SIPS URI with a host), Errc::UnsupportedTransport.
 * @param fallback the protocol when the URI has no transport parameter.
 */
Result<transport::Target> targetForUri(std::string_view uri, transport::Protocol fallback);

}  // namespace tapi::sip::dialog
