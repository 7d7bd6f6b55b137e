#pragma once
// The value types of the INVITE session layer: handles, the public state summary, how a
// session ended, what an outgoing INVITE carries, configuration and counters.

#include <array>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <system_error>
#include <vector>

#include <boost/asio/ip/address.hpp>

#include "base/handle.hpp"
#include "sip/dialog/dialog.hpp"
#include "sip/errc.hpp"
#include "sip/message/message.hpp"
#include "sip/transport/transport_layer.hpp"

namespace tapi::sip::session {

using dialog::HeaderList;

class InviteSession;
/** Owns one session in the slot map. */
struct SessionBox {
  explicit SessionBox(std::unique_ptr<InviteSession> s);
  ~SessionBox();
  std::unique_ptr<InviteSession> session;
};
/** Names a session; stale once it has been destroyed (never reused). */
using SessionHandle = base::Handle<SessionBox>;

enum class Role : std::uint8_t { Uac, Uas };

/**
 * Where a session is, as its owner sees it. Each role has its own state machine
 * (UacSession::State, UasSession::State); this is their common summary.
 */
enum class SessionState : std::uint8_t {
  Calling,      ///< UAC: INVITE sent, no provisional response yet (a CANCEL may be held)
  Early,        ///< UAC: a provisional response arrived
  Offered,      ///< UAS: INVITE received, no final response sent
  Accepted,     ///< UAS: 2xx sent, waiting for the ACK
  Confirmed,    ///< both: the dialog is confirmed
  Terminating,  ///< UAC: CANCEL sent, waiting for the INVITE's final response
  Terminated,   ///< over; waiting for its transactions to finish before release
};
std::string_view toString(SessionState s) noexcept;

/** How a session ended. */
enum class EndKind : std::uint8_t {
  /** We ended a session with BYE (hangup() once answered, or after the ACK we waited for). */
  LocalBye,
  /** We CANCELled our INVITE: it then got 487, no answer, or a 2xx we ACKed and BYEd. */
  LocalCancel,
  /** We rejected an offered INVITE with a 3xx-6xx (reject(), or release() before answering). */
  LocalReject,
  /** The peer sent BYE. */
  Bye,
  /** The peer CANCELled its INVITE before we answered. */
  Cancel,
  /** Our INVITE got a 3xx-6xx (the response is in EndInfo::message). */
  FinalResponse,
  /** Our INVITE got no response at all (Timer B). */
  Timeout,
  /** Our INVITE could not be sent, or our answer to the peer's INVITE could not. */
  TransportError,
  /** No session refresh arrived in time (RFC 4028). */
  SessionExpired,
  /** Our session refresh failed (408, 481, timeout). */
  RefreshFailed,
  /** Our 2xx was never ACKed (§13.3.1.4). */
  NoAck,
  /** The peer answered 481 to an in-dialog request. */
  DialogGone,
  /** Not a kind: the number of kinds, for arrays indexed by EndKind. */
  Count_,
};
std::string_view toString(EndKind k) noexcept;
/** The number of EndKind values (the size of SessionStats::endedBy). */
inline constexpr std::size_t kEndKindCount = static_cast<std::size_t>(EndKind::Count_);
/** Whether we ended the session ourselves (LocalBye, LocalCancel or LocalReject). */
constexpr bool isLocal(EndKind k) noexcept {
  return k == EndKind::LocalBye || k == EndKind::LocalCancel || k == EndKind::LocalReject;
}

struct EndInfo {
  EndKind kind = EndKind::LocalBye;
  /** The BYE, CANCEL or final response that ended it, when one did (valid during the call). */
  const message::SipMessage* message = nullptr;
  int status = 0;            ///< the final response status (FinalResponse, LocalReject, ...)
  bool ringingSeen = false;  ///< a 180/183 arrived (UAC)
  bool weCancelled = false;  ///< we had sent (or deferred) a CANCEL
  /**
   * Why it failed, as an error; empty when it ended as someone asked (a BYE, a CANCEL, a
   * local end). A 3xx-6xx that ended it carries its status as a sip::SipStatus
   * (FinalResponse; DialogGone and RefreshFailed on a 481 or 408 to our refresh);
   * sip::Errc::Timeout when what we waited for never came (Timeout, NoAck, SessionExpired,
   * RefreshFailed without an answer); sip::Errc::TransportError when a message could not
   * be sent (TransportError, RefreshFailed).
   */
  std::error_code error;
};

/** An outgoing INVITE. */
struct OutgoingInvite {
  std::string requestUri;    ///< "sip:bob@192.0.2.1:5060"
  std::string from;          ///< our party, without tag ("\"Alice\" <sip:alice@example.com>")
  std::string to;            ///< the callee's party ("<sip:bob@example.com>")
  std::string contact;       ///< our Contact value ("<sip:alice@192.0.2.9:5060>")
  transport::Target target;  ///< the first hop (the proxy, or the request-URI's host)
  std::vector<std::string> routes;  ///< preloaded Route values (outbound proxy with lr)
  HeaderList headers;               ///< extra header lines (User-to-User, ...)
  std::string sdp;                  ///< the offer (application/sdp), may be empty
};

struct SessionConfig {
  /** Session-Expires we ask for and accept (RFC 4028); zero disables session timers. */
  std::chrono::seconds sessionExpires{1800};
  /** The smallest interval we accept (Min-SE); RFC 4028 floor is 90 s. */
  std::chrono::seconds minSessionExpires{90};
  /** The value of User-Agent / Server. */
  std::string userAgent = "OpenTAPI";
  /**
   * Peers (proxies, PBXs) whose INVITEs' Contact and Record-Route we follow wherever they
   * point. A dialog from any other address gets its in-dialog requests at that address only
   * (the send policy in docs/security.md).
   */
  std::vector<boost::asio::ip::address> trustedPeers;
};

/** Live counts of the session layer (all zero when nothing is left). */
struct SessionStats {
  std::size_t sessions = 0;       ///< session objects, any state
  std::size_t dialogs = 0;        ///< sessions that hold a dialog
  std::size_t timers = 0;         ///< timers armed by sessions
  std::size_t outOfDialog = 0;    ///< out-of-dialog client requests awaiting their answer
  std::uint64_t answered481 = 0;  ///< requests for dialogs we do not know
  /** In-dialog requests sent to the peer's known address instead of an unknown next hop. */
  std::uint64_t redirectedTargets = 0;
  std::uint64_t createdTotal = 0;
  /** State changes the sessions' transition tables refused (a bug if not 0). */
  std::uint64_t rejectedTransitions = 0;
  /** Sessions ended, by EndKind (cumulative): how calls end under load, at a glance. */
  std::array<std::uint64_t, kEndKindCount> endedBy{};
};

/** A new offer inside a confirmed dialog: a re-INVITE or an UPDATE (RFC 3264 §8, RFC 3311). */
struct OnOfferParam {
  const message::SipMessage& request;  ///< the re-INVITE or UPDATE
  /** The offered SDP; empty for a re-INVITE without a body (our 2xx then carries an offer). */
  std::string_view offer;
};

/** What the observer answers to an in-dialog offer. */
struct OfferAnswer {
  /** 200 to accept; 488 (or another 4xx-6xx) to refuse and keep the session as it was. */
  int status = 200;
  /** The SDP answer (or, for an empty offer, our offer) going on the 200. */
  std::string sdp;
};

}  // namespace tapi::sip::session
