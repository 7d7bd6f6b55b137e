#pragma once
// The INVITE session layer (RFC 3261 §13-§15, RFC 6026, RFC 4028): the UA core that sits
// on the transaction layer as its TU. It owns one Session per INVITE dialog usage, in
// either role, and everything that lives only as long as it: the dialog, the stored
// INVITE/2xx/ACK, the 2xx retransmission and session timers. Out-of-dialog requests
// (REGISTER, OPTIONS) go through it too, so one TU serves a whole SIP endpoint.
//
// What it guarantees its observer:
// - onEnded() exactly once per session, whoever ends it and however.
// - After release(), no callback for that session; its memory and timers go as soon as
//   its transactions have finished on the wire (a BYE still retransmitting keeps the
//   session counted in stats() until it completes, so "zero after release" is real).
// - Callbacks never run with the layer half-updated; the observer may call back in.

#include <array>
#include <chrono>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "base/event_loop.hpp"
#include "base/handle.hpp"
#include "base/result.hpp"
#include "sip/dialog/dialog.hpp"
#include "sip/message/message.hpp"
#include "sip/transaction/transaction_layer.hpp"
#include "sip/transport/transport_layer.hpp"

namespace tapi::sip::session {

using dialog::HeaderList;

struct Session;
/** Owns one session in the slot map. */
struct SessionBox {
  explicit SessionBox(std::unique_ptr<Session> s);
  ~SessionBox();
  std::unique_ptr<Session> session;
};
/** Names a session; stale once it has been destroyed (never reused). */
using SessionHandle = base::Handle<SessionBox>;

enum class Role : std::uint8_t { Uac, Uas };

/** Where a session is; one switch per event in the .cpp. */
enum class SessionState : std::uint8_t {
  Calling,      ///< UAC: INVITE sent, no provisional response yet
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
  LocalHangup,     ///< we ended it (BYE, CANCEL completed, rejection sent)
  Bye,             ///< the peer sent BYE
  Cancel,          ///< the peer CANCELled its INVITE before we answered
  FinalResponse,   ///< our INVITE got a 3xx-6xx (the response is in EndInfo::message)
  Timeout,         ///< our INVITE got no response at all (Timer B)
  TransportError,  ///< our INVITE could not be sent
  SessionExpired,  ///< no session refresh arrived in time (RFC 4028)
  RefreshFailed,   ///< our session refresh failed (408, 481, timeout)
  NoAck,           ///< our 2xx was never ACKed (§13.3.1.4)
  DialogGone,      ///< the peer answered 481 to an in-dialog request
};
std::string_view toString(EndKind k) noexcept;

struct EndInfo {
  EndKind kind = EndKind::LocalHangup;
  /** The BYE, CANCEL or final response that ended it, when one did (valid during the call). */
  const message::SipMessage* message = nullptr;
  int status = 0;            ///< the final response status, if kind is FinalResponse
  bool ringingSeen = false;  ///< a 180/183 arrived (UAC)
  bool weCancelled = false;  ///< we had sent (or deferred) a CANCEL
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
  std::size_t sessions = 0;       ///< Session objects, any state
  std::size_t dialogs = 0;        ///< sessions that hold a dialog
  std::size_t timers = 0;         ///< timers armed by sessions
  std::size_t outOfDialog = 0;    ///< out-of-dialog client requests awaiting their answer
  std::uint64_t answered481 = 0;  ///< requests for dialogs we do not know
  /** In-dialog requests sent to the peer's known address instead of an unknown next hop. */
  std::uint64_t redirectedTargets = 0;
  std::uint64_t createdTotal = 0;
  /** Sessions ended, by EndKind (cumulative): how calls end under load, at a glance. */
  std::array<std::uint64_t, 10> endedBy{};
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

/** The final outcome of an out-of-dialog request: the response, or null on timeout/error. */
using ResponseCallback =
    std::function<void(const message::SipMessage* response, std::error_code error)>;

class SessionLayer final : public transaction::TransactionUser {
 public:
  /** Creates the transaction layer on `transport` as well; both must be used on the loop thread. */
  SessionLayer(base::EventLoop& loop, transport::TransportLayer& transport,
               SessionObserver& observer, transaction::TimerConfig timers = {},
               SessionConfig config = {});
  ~SessionLayer() override;

  SessionLayer(const SessionLayer&) = delete;
  SessionLayer& operator=(const SessionLayer&) = delete;

  // ---- UAC ----------------------------------------------------------------------------

  /** Sends an INVITE. @return the session, or the error sending it (no session then). */
  Result<SessionHandle> invite(OutgoingInvite call);

  // ---- UAS ----------------------------------------------------------------------------

  /** Sends a provisional response (180 or 183) with a To tag. */
  Result<void> provisional(SessionHandle s, int status, const HeaderList& headers = {});
  /** Answers with 200 OK and `sdp`; retransmits it until the ACK arrives (§13.3.1.4). */
  Result<void> answer(SessionHandle s, std::string sdp, std::string contact,
                      const HeaderList& headers = {});
  /** Rejects an offered INVITE with a 3xx-6xx. The session ends (LocalHangup). */
  Result<void> reject(SessionHandle s, int status, std::string_view reason = {},
                      const HeaderList& headers = {});

  // ---- both ---------------------------------------------------------------------------

  /**
   * Ends the session from our side, by state: Calling → CANCEL once a provisional
   * arrives (§9.1); Early → CANCEL; Accepted → BYE once the ACK arrives or the 2xx
   * retransmissions give up; Confirmed → BYE. `headers` go on the CANCEL/BYE (Reason,
   * User-to-User). Offered sessions are ended with reject(). onEnded(LocalHangup) follows
   * when the session is over locally (at once for BYE, at the INVITE's final response for
   * CANCEL). A second hangup is a no-op.
   */
  Result<void> hangup(SessionHandle s, const HeaderList& headers = {});

  /** The owner forgets the session: no callbacks any more; it is hung up first if live. */
  void release(SessionHandle s);

  /** The session's state, or nullopt if the handle is stale. */
  std::optional<SessionState> state(SessionHandle s) const;
  /** The session's dialog, if it has one. */
  const dialog::Dialog* dialogOf(SessionHandle s) const;
  /** The Call-ID of the session. */
  std::string callId(SessionHandle s) const;

  // ---- out of dialog ------------------------------------------------------------------

  /** Sends a request outside any dialog (REGISTER, OPTIONS); `done` runs once with the final
   * outcome. */
  Result<void> sendRequest(message::SipMessage request, const transport::Target& target,
                           ResponseCallback done);

  SessionStats stats() const;
  /**
   * Sessions still doing something on the wire: live, or ended with a BYE/CANCEL not yet
   * answered, or a BYE waiting for the ACK. Zero means a shutdown may exit now (what is
   * left only absorbs retransmissions).
   */
  std::size_t unfinished() const;
  const transaction::TransactionLayer& transactions() const { return transactions_; }
  transaction::TransactionLayer& transactions() { return transactions_; }

  // transaction::TransactionUser
  void onResponse(const transaction::ResponseParam& p) override;
  void onRequest(const transaction::RequestParam& p) override;
  void onAck(const transaction::AckParam& p) override;
  void onTransportError(const transaction::TransportErrorParam& p) override;
  void onTerminated(const transaction::TerminatedParam& p) override;

 private:
  Session* get(SessionHandle h) const;
  Session* byTransaction(transaction::TransactionHandle t) const;
  Session* byDialog(std::string_view callId, std::string_view localTag) const;
  void track(Session& s, transaction::TransactionHandle t);
  void end(Session& s, const EndInfo& info);
  void maybeFree(Session& s);
  void armTimer(Session& s, base::TimerId& slot, base::Duration after,
                void (SessionLayer::*fn)(SessionHandle));
  void disarm(Session& s, base::TimerId& slot);
  void sendBye(Session& s, const HeaderList& headers);
  void sendCancel(Session& s);
  void sendAck(Session& s, const message::SipMessage& response);
  /** Sends our INVITE again with a new CSeq and `replace` headers set. @return false if it could
   * not be sent. */
  bool resendInvite(Session& s, const HeaderList& replace);
  void startSessionTimer(Session& s, const message::SipMessage& m, bool weAreUac);
  void onInviteResponse(Session& s, const transaction::ResponseParam& p);
  void onNewInvite(const transaction::RequestParam& p);
  /** Answers 420 when the request requires an extension we lack. @return true if it did. */
  bool refuseUnsupported(const transaction::RequestParam& p);
  void onInDialogRequest(Session& s, const transaction::RequestParam& p);
  void onCancelRequest(const transaction::RequestParam& p);
  void respondTo(const transaction::RequestParam& p, int status, std::string_view reason = {},
                 const HeaderList& headers = {}, std::string_view toTag = {});
  /** Where an in-dialog request of `d` goes: its next hop if that is a known peer address. */
  transport::Target inDialogTarget(Session& s, const dialog::Dialog& d);
  /** Asks the observer for the answer to an in-dialog offer; false if it refused (answered). */
  bool answerOffer(Session& s, const transaction::RequestParam& p, std::string& body);
  // Timer handlers.
  void onRetransmit2xx(SessionHandle h);
  void onAckTimeout(SessionHandle h);
  void onCancelGiveUp(SessionHandle h);
  void onSessionRefresh(SessionHandle h);
  void onSessionExpiry(SessionHandle h);

  base::EventLoop& loop_;
  SessionObserver& observer_;
  SessionConfig config_;
  transaction::TransactionLayer transactions_;
  base::SlotMap<SessionBox> sessions_;
  std::unordered_map<std::uint64_t, SessionHandle> byTx_;    // transaction (packed) -> session
  std::unordered_map<std::string, SessionHandle> byDialog_;  // Call-ID + local tag -> session
  std::unordered_map<std::string, SessionHandle>
      byInvite_;  // UAS: Call-ID + From tag + CSeq -> session
  std::unordered_map<std::uint64_t, ResponseCallback> outOfDialog_;
  std::uint64_t answered481_ = 0;
  std::uint64_t redirectedTargets_ = 0;
  std::uint64_t created_ = 0;
  std::array<std::uint64_t, 10> endedBy_{};
  std::shared_ptr<bool> alive_ = std::make_shared<bool>(true);
};

}  // namespace tapi::sip::session
