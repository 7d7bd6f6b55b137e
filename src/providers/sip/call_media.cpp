// The SIP provider, media: our SDP as offers and answers describe it, and the peer's
// in-dialog offers (re-INVITE), which can hold and resume the call.

#include <string>
#include <utility>

#include "providers/sip/provider_state.hpp"
#include "providers/sip/sip_provider.hpp"
#include "sip/sdp/sdp.hpp"

namespace tapi::providers::sip {

namespace sess = tapi::sip::session;
namespace sdp = tapi::sip::sdp;

sdp::LocalMedia SipProvider::localMedia(const Call& c) const {
  sdp::LocalMedia lm;
  lm.address = localHost();
  if (!lm.address.empty() && lm.address.front() == '[') {
    lm.address = lm.address.substr(1, lm.address.size() - 2);
  }
  lm.port = c.rtp.port();
  lm.sessionId = c.sdpSessionId;
  lm.sessionVersion = c.sdpVersion;
  return lm;
}

namespace {

// RFC 3264 §8.4 and the legacy RFC 2543 form: the peer holds us when the audio stream we
// would use is sendonly or inactive, or when it gives 0.0.0.0 as its address.
bool offerHolds(const sdp::SessionDescription& offer) {
  for (const sdp::MediaDescription& m : offer.media) {
    if (m.media != "audio" || m.port == 0) {
      continue;
    }
    const std::string& address =
        m.connectionAddress.empty() ? offer.connectionAddress : m.connectionAddress;
    return m.direction == sdp::Direction::SendOnly || m.direction == sdp::Direction::Inactive ||
           address == "0.0.0.0";
  }
  return false;
}

}  // namespace

sess::OfferAnswer SipProvider::onOffer(sess::SessionHandle s, const sess::OnOfferParam& p) {
  Call* c = bySession(s);
  if (c == nullptr || c->ended) {
    return {};
  }
  if (p.offer.empty()) {
    // An offerless re-INVITE: our 2xx offers what we have now, unchanged (same version).
    return {200, c->localSdp};
  }
  auto offer = sdp::parse(p.offer);
  if (!offer) {
    return {488, {}};
  }
  sdp::LocalMedia lm = localMedia(*c);
  auto answer = sdp::makeAnswer(*offer, lm);
  if (!answer) {
    return {488, {}};
  }
  std::string text = sdp::serialize(*answer);
  if (text != c->localSdp) {
    // §8: a description that differs from the last one we sent gets the next version.
    lm.sessionVersion = ++c->sdpVersion;
    answer->sessionVersion = lm.sessionVersion;
    text = sdp::serialize(*answer);
  }
  c->localSdp = text;
  const bool held = offerHolds(*offer);
  if (held != c->remoteHold) {
    c->remoteHold = held;
    if (c->state == CallState::Connected) {
      // Remote hold is CONNECTED with ACTIVEHELD (media spec §10.5); resume is ACTIVE.
      report(*c, CallState::Connected, held ? connectedmode::ActiveHeld : connectedmode::Active);
    }
  }
  return {200, std::move(text)};
}

void SipProvider::onConfirmed(sess::SessionHandle) {
  // CONNECTED was reported with the 2xx; the ACK only stops its retransmission.
}

}  // namespace tapi::providers::sip
