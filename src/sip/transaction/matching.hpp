#pragma once
// How messages find their transaction (RFC 3261 §17.1.3, §17.2.3) and the requests a
// transaction derives from its INVITE (the ACK for a non-2xx, §17.1.1.3; CANCEL, §9.1).

#include <string>

#include "base/result.hpp"
#include "sip/message/message.hpp"

namespace tapi::sip::transaction {

/**
 * The key of the client transaction a response belongs to: top Via branch + CSeq method
 * (§17.1.3). The sent-by is ours, so it adds nothing.
 */
std::string clientKey(const message::SipMessage& msg);

/**
 * The key of the server transaction a request belongs to (§17.2.3): with a magic-cookie
 * branch, branch + sent-by + method (ACK counts as INVITE); otherwise the RFC 2543 rule:
 * Request-URI, From tag, Call-ID, CSeq number and method, top Via, and for non-INVITE the
 * To tag (an ACK's To tag comes from our response, so INVITE/ACK leave it out).
 * @param asMethod overrides the method used (e.g. "INVITE" to find the target of a CANCEL).
 */
std::string serverKey(const message::SipMessage& request, std::string_view asMethod = {});

/**
 * The ACK for a non-2xx final response (§17.1.1.3): Request-URI, Call-ID, From, CSeq
 * number and Route of the INVITE, its top Via, the To of the response.
 */
Result<message::SipMessage> buildAckForFailure(const message::SipMessage& invite,
                                               const message::SipMessage& response);

/** The CANCEL for an INVITE (§9.1). Its Via is the INVITE's top Via. */
Result<message::SipMessage> buildCancel(const message::SipMessage& invite);

}  // namespace tapi::sip::transaction
