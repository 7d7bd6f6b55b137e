#pragma once
// What the SIP provider keeps per line and per call. Internal to the provider: its source
// files share these definitions; nothing outside providers/sip includes this header.

#include <cstdint>
#include <memory>
#include <optional>
#include <string>

#include "providers/sip/registration.hpp"
#include "providers/sip/sip_provider.hpp"
#include "sip/auth/digest.hpp"
#include "sip/headers/reason.hpp"
#include "sip/sdp/rtp_ports.hpp"
#include "sip/sdp/sdp.hpp"
#include "sip/session/session_layer.hpp"
#include "sip/transport/transport.hpp"

namespace tapi::providers::sip {

struct SipProvider::Line {
  std::uint32_t deviceId = 0;
  SipLineConfig cfg;
  bool open = false;
  std::unique_ptr<Registration> registration;  // set once the provider is set up
};

struct SipProvider::Call {
  spi::ProviderCallId id = 0;
  spi::EngineCallId ht = 0;
  std::uint32_t deviceId = 0;
  std::uint32_t networkCallId = 0;
  tapi::sip::session::SessionHandle session;
  bool outbound = false;
  bool announced = false;  // the engine knows the call: events may flow
  bool ended = false;      // the SIP session is over
  bool idle = false;       // IDLE reported
  bool provisionalSent = false;
  CallState state = CallState::Unknown;
  spi::RequestId pendingDrop = 0;
  tapi::sip::sdp::RtpPort rtp;
  std::uint64_t sdpSessionId = 0;
  std::optional<tapi::sip::sdp::SessionDescription> remoteOffer;
  std::uint64_t sdpVersion = 1;  // o= sess-version of our description, bumped when it changes
  std::string localSdp;          // our description as last sent (offer or answer)
  bool remoteHold = false;       // the peer's last offer holds us (sendonly/inactive/0.0.0.0)
  std::string sipCallId;
  tapi::sip::auth::ClientAuth auth;
  std::string requestUri;
  tapi::sip::transport::Protocol protocol =
      tapi::sip::transport::Protocol::Udp;  // inbound: the INVITE's transport
  std::optional<tapi::sip::headers::Reason>
      cancelReason;  // the Reason of our CANCEL, for the record
};

}  // namespace tapi::providers::sip
