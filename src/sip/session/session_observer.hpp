#pragma once
// What the session layer tells its owner (the SIP provider): the SessionObserver interface.

#include <optional>
#include <string>
#include <utility>

#include "sip/message/message.hpp"
#include "sip/session/session_types.hpp"
#include "sip/transport/transport_layer.hpp"

namespace tapi::sip::session {

/** The provider's side. Called on the loop thread. */
class SessionObserver {
 public:
  virtual ~SessionObserver() = default;
  /**
   * A new INVITE. 100 Trying has been sent. The observer answers, rings or rejects later
   * (or at once), or calls reject() here to refuse it.
   */
  virtual void onIncoming(SessionHandle s, const message::SipMessage& invite,
                          const transport::Arrival& arrival) = 0;
  /** A provisional response (100-199) to our INVITE. */
  virtual void onProgress(SessionHandle s, const message::SipMessage& response) = 0;
  /** Our INVITE was answered (the ACK is already sent). */
  virtual void onAnswered(SessionHandle s, const message::SipMessage& response) = 0;
  /** The ACK for our 2xx arrived. */
  virtual void onConfirmed(SessionHandle s) = 0;
  /** The session ended; exactly once. */
  virtual void onEnded(SessionHandle s, const EndInfo& end) = 0;
  /**
   * The peer made a new offer in the dialog (hold, resume, a new address). The answer must
   * follow it (mirrored direction, the same m= lines, o= version bumped when our description
   * changes, RFC 3264 §8). Must not call back into the layer. The default answers with the
   * session's current description, which is right only for offers that change nothing.
   */
  virtual OfferAnswer onOffer(SessionHandle s, const OnOfferParam& p) {
    (void)s;
    (void)p;
    return {};
  }
  /**
   * Our INVITE was challenged (401/407). @return the header (name, value) that answers the
   * challenge, or nullopt to give up (the session then ends with the 401/407).
   */
  virtual std::optional<std::pair<std::string, std::string>> onChallenge(
      SessionHandle s, const message::SipMessage& response) {
    (void)s;
    (void)response;
    return std::nullopt;
  }
};

}  // namespace tapi::sip::session
