#pragma once
// How a SIP session end maps to a TAPI disconnect mode and recorded cause, and how a TAPI
// drop maps to what goes on the wire. Implements /work/shared/spec/sip-mapping.md §2
// (tables 2a and 2b) and OpenTAPI decisions 1-4 and 6. Pure functions, no state: the
// provider calls them and acts on the result.
//
// Choices the spec leaves open, decided here:
//  * Q.850 16 and 31 carry no information about *why* a call failed (Kazoo sends 16 on every
//    failure, FreeSWITCH 31 for "generic"), so they never override a SIP status or the
//    event's own default: a 486 with Q.850 16 is still BUSY, a BYE with Q.850 31 is NORMAL,
//    a CANCEL with Q.850 16 or 31 (what OpenTAPI itself sends on a plain CANCEL) is still
//    CANCELLED. Every other Q.850 cause wins (decision 2). The recorded q850 is always the
//    first Q.850 value received.
//  * A "SIP" protocol Reason never changes the mode, except SIP;cause=200 on a CANCEL
//    (RFC 3326's "Call completed elsewhere") -> PICKUP.
//  * Q.850 21 maps to REJECT, but to BLOCKED when the status is a policy refusal
//    (401/402/403/407/433/607/608) and location is not U (spec §2b row 401/403).
//  * Unknown final statuses, by class: 3xx -> FORWARDED/23 (RFC 3261: treat as 300);
//    4xx -> UNAVAIL/127 (a request failure that retrying will not cure: "anything
//    unmapped" of §2b); 5xx -> TEMPFAILURE/41 (treat as 500); 6xx -> UNAVAIL/127 (treating
//    it as 600 would claim BUSY). A "final" status outside 300..699 -> UNKNOWN/31.
//  * 480 is DONOTDISTURB when the reason phrase or a Reason text says "do not disturb" or
//    "DND" (and no informative Q.850 cause is present).
//  * 487 after our own CANCEL -> CANCELLED (the provider substitutes its own mode when it
//    cancelled for a reason, e.g. NOANSWER for the no-answer timer; decision 6).
//  * Q.850 recorded where §2b has "-": 0. Timer-driven ends (Timer B/408/504, session
//    expiry, failed refresh, 2xx never ACKed) record 102; a 481 to an in-dialog request 41.
//  * modeForQ850(31) is UNKNOWN (round trip of §2a's UNKNOWN -> 31).
//  * Barring: DESTINATIONBARRED <-> Q.850 55 (incoming calls barred at the destination),
//    FDNRESTRICT <-> 53 (outgoing calls barred), 24 and 57 -> BLOCKED; all are sent as 403.
//    127 (interworking, unspecified) -> UNAVAIL.
//  * Drop modes: DONOTDISTURB -> 480 "Do Not Disturb" + Q.850 31 (no
//    standard cause; decision 3 wants a Reason on every drop); FORWARDED on an offered call
//    -> 480 + Q.850 23 (no target known, so no 302); PICKUP on an offered call -> 480 +
//    Q.850 26; CANCELLED on an offered call -> the line's reject status; NODIALTONE ->
//    nothing on the wire in every phase (the line has no usable network).

#include <cstdint>
#include <string>
#include <vector>

#include <tapi/types.hpp>

#include "sip/headers/reason.hpp"

namespace tapi::providers::sip {

/** What ended (or failed) the call on the SIP side. */
enum class RemoteEndKind : std::uint8_t {
  Bye,             ///< the peer sent BYE on a confirmed (or early) dialog
  Cancel,          ///< the peer CANCELled our offered (incoming) call
  FinalResponse,   ///< our INVITE got a final 3xx-6xx (status is set)
  Timeout,         ///< Timer B fired, or a 408 was generated locally (status 0 or 408)
  TransportError,  ///< the INVITE could not be delivered to any target
  SessionExpired,  ///< the RFC 4028 session interval ran out without a refresh
  RefreshFailed,   ///< our session refresh was not answered or failed (not 481)
  NoAck,           ///< our 2xx was never ACKed (64*T1)
  DialogGone,      ///< the peer answered 481 to an in-dialog request
};

/** Everything the provider knows about a SIP-side end. */
struct RemoteEnd {
  RemoteEndKind kind = RemoteEndKind::Bye;
  int status = 0;                                   ///< SIP status of the final response, 0 if none
  std::string reasonPhrase;                         ///< its reason phrase as received
  bool retryAfter = false;                          ///< the response carried Retry-After
  std::vector<tapi::sip::headers::Reason> reasons;  ///< every Reason value, in order
  bool ringingSeen = false;  ///< a 180/183 (any provisional above 100) arrived first
  bool weCancelled = false;  ///< we had sent CANCEL for this INVITE
  /// TransportError only: no call can start on this line at all (no route to the outbound
  /// proxy, registration lost), so the mode is NODIALTONE rather than UNREACHABLE.
  bool lineUnusable = false;
};

/** The TAPI view of a SIP-side end. */
struct MappedEnd {
  std::uint32_t mode = tapi::disconnect::Unknown;  ///< one LINEDISCONNECTMODE_ bit
  int q850 = 0;  ///< first Q.850 Reason cause received, else the §2b value; 0 if none
  /// code = SIP status (0 if none), q850 as above, text lists the status and phrase (or the
  /// event when there is no status) and every Reason, e.g.
  /// `486 Busy Here; Q.850;cause=17;text="User busy"`. callRef is left empty.
  tapi::ProviderCause cause;
};

struct MapOptions {
  /// Report a remote CANCEL without an informative Reason as NORMAL instead of CANCELLED
  /// (some applications expect NORMAL, spec §2b).
  bool cancelAsNormal = false;
};

/**
 * Map a SIP-side end to the TAPI disconnect mode and recorded cause (spec §2b).
 * Decision order: (1) the first Q.850 Reason unless it is 16/31 (see the header comment);
 * SIP;cause=200 on a CANCEL; (2) the SIP status table; (3) local context (the event kind,
 * whether ringing was seen, whether we cancelled).
 * Pure function; any thread.
 */
MappedEnd mapRemoteEnd(const RemoteEnd& end, const MapOptions& options = {});

/**
 * The reverse of the §2a Q.850 column: the disconnect mode a Q.850 cause stands for.
 * 1, 28 BADADDRESS; 2, 3, 20, 25 UNREACHABLE; 16 NORMAL; 17 BUSY; 18, 19 NOANSWER;
 * 21 REJECT; 22 NUMBERCHANGED; 23 FORWARDED; 24, 57 BLOCKED; 26 PICKUP; 27, 38 OUTOFORDER;
 * 34, 42, 44, 47 CONGESTION; 41, 102, 111 TEMPFAILURE; 49 QOSUNAVAIL; 53 FDNRESTRICT;
 * 55 DESTINATIONBARRED; 58, 63, 65, 69, 79, 88 INCOMPATIBLE; 127 UNAVAIL; 31 and every
 * other value UNKNOWN.
 */
std::uint32_t modeForQ850(int cause) noexcept;

/**
 * The Q.850 cause OpenTAPI sends for a drop mode (§2a Q.850 column): 0/NORMAL/CANCELLED 16,
 * BUSY 17, NOANSWER 19, REJECT/BLOCKED 21, NUMBERCHANGED 22, FORWARDED 23, PICKUP 26,
 * BADADDRESS 1, UNREACHABLE 3, OUTOFORDER 27, CONGESTION 34, TEMPFAILURE 41, QOSUNAVAIL 49,
 * DESTINATIONBARRED 55, FDNRESTRICT 53, INCOMPATIBLE 88, UNKNOWN/UNAVAIL/DONOTDISTURB/
 * NODIALTONE and unknown values 31.
 */
int q850ForMode(std::uint32_t mode) noexcept;

/** Where the call is when the application (or a policy) drops it. */
enum class DropPhase : std::uint8_t {
  OutgoingCalling,  ///< our INVITE has had no provisional response yet
  OutgoingEarly,    ///< our INVITE has had a provisional response, no final
  IncomingOffered,  ///< an incoming INVITE we have not answered
  Confirmed,        ///< a 2xx was sent or received
};

/** What to put on the wire. */
enum class WireAction : std::uint8_t {
  Bye,      ///< send BYE in the dialog
  Cancel,   ///< send CANCEL for our INVITE
  Respond,  ///< answer the incoming INVITE with status/reasonPhrase
  None,     ///< send nothing
};

struct DropPlan {
  WireAction action = WireAction::None;
  int status = 0;            ///< Respond only: the final status (3xx-6xx)
  std::string reasonPhrase;  ///< Respond only: RFC 3261 default phrase (or "Do Not Disturb")
  bool retryAfter = false;   ///< Respond only: add Retry-After (503 for CONGESTION, §2a)
  tapi::sip::headers::Reason reason;  ///< set whenever action != None (decision 3)
};

struct DropOptions {
  /// Status for a plain lineDrop of an offered call (line configuration): 603 by default,
  /// 486 or 480 allowed; any other 400..699 status is used with its own RFC 3398 cause,
  /// anything else falls back to 603.
  int offeredRejectStatus = 603;
  /// The server is shutting down: BYE/CANCEL with Q.850 16, 503 with Q.850 41 on an offered
  /// call, whatever the mode (decision 6).
  bool serverShutdown = false;
  /// Send this Q.850 cause instead of the mode's on BYE/CANCEL (e.g. 102 for session-timer
  /// expiry, decision 6); 0 = from the mode. Ignored for Respond.
  int q850 = 0;
};

/**
 * Decide what to send when a call is dropped locally (spec §2a, decisions 3 and 6).
 * @param phase where the call is.
 * @param mode the LINEDISCONNECTMODE_ describing why (0 = a plain lineDrop).
 * @return the plan:
 *  - Confirmed: BYE with Q.850 q850ForMode(mode) (NORMAL 16, TEMPFAILURE 41, UNKNOWN 31 ...).
 *  - OutgoingEarly / OutgoingCalling: CANCEL with Q.850 19 for NOANSWER,
 *    `SIP;cause=200;text="Call completed elsewhere"` for PICKUP, Q.850 16 otherwise. For
 *    OutgoingCalling RFC 3261 §9.1 forbids sending the CANCEL before a provisional arrives:
 *    the caller holds this plan until one does (or sends nothing if a final arrives first).
 *  - IncomingOffered: Respond with the §2a status for the mode (REJECT, 0, NORMAL, UNKNOWN,
 *    CANCELLED and values that are not a single known mode use offeredRejectStatus);
 *    CONGESTION also asks for Retry-After.
 *  - NODIALTONE: None in every phase.
 * Pure function; any thread.
 */
DropPlan planDrop(DropPhase phase, std::uint32_t mode, const DropOptions& options = {});

}  // namespace tapi::providers::sip
