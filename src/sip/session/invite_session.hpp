#pragma once
// The part every INVITE session shares, in either role (RFC 3261 §12-§15): its identity and
// dialog, the transactions it has in flight, its timers, the in-dialog requests it serves,
// and the single way to end. The role's state machines live in uac_session.hpp and
// uas_session.hpp; only SessionLayer creates them.

#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "base/event_loop.hpp"
#include "base/result.hpp"
#include "sip/dialog/dialog.hpp"
#include "sip/message/message.hpp"
#include "sip/session/session_timer.hpp"
#include "sip/session/session_types.hpp"
#include "sip/transaction/transaction_layer.hpp"
#include "sip/transport/transport_layer.hpp"

namespace tapi::sip::session {

class SessionLayer;

/** The methods we serve, for Allow. */
inline constexpr std::string_view kAllow = "INVITE, ACK, CANCEL, BYE, OPTIONS, UPDATE, INFO";

/**
 * Whether `m`'s body can be taken as an offer: Content-Type application/sdp (any case, any
 * parameters), or no Content-Type at all.
 */
bool bodyIsSdp(const message::SipMessage& m);

/** What a session's timers are for; one slot each. */
enum class SessionTimerName : std::uint8_t {
  Retransmit2xx,  ///< UAS: send our 2xx again until the ACK arrives (§13.3.1.4)
  AckTimeout,     ///< UAS: 64*T1 without the ACK for our 2xx
  CancelGiveUp,   ///< UAC: 64*T1 after our CANCEL without a final response (§9.1)
  Refresh,        ///< RFC 4028: time to send our refresh
  Expiry,         ///< RFC 4028: the session interval runs out
  Count_,         ///< not a timer: the number of timers
};
inline constexpr std::size_t kSessionTimerCount =
    static_cast<std::size_t>(SessionTimerName::Count_);

/** Base of UacSession and UasSession. Loop thread only; owned by the SessionLayer. */
class InviteSession {
 public:
  InviteSession(SessionLayer& layer, Role role, SessionHandle self, transport::Protocol protocol,
                std::string callId, std::string localTag);
  virtual ~InviteSession();

  InviteSession(const InviteSession&) = delete;
  InviteSession& operator=(const InviteSession&) = delete;

  Role role() const { return role_; }
  SessionHandle handle() const { return self_; }
  const std::string& callId() const { return callId_; }
  const std::string& localTag() const { return localTag_; }
  /** UAS: the INVITE's merge key the layer indexes it under (§8.2.2.2); empty for a UAC. */
  const std::string& mergeKey() const { return mergeKey_; }
  const std::optional<dialog::Dialog>& currentDialog() const { return dlg_; }
  transaction::TransactionHandle inviteTransaction() const { return inviteTx_; }
  const std::string& localSdp() const { return localSdp_; }
  /** Number of timers armed. */
  std::size_t timersArmed() const;

  /** The role's state, as the owner sees it. */
  virtual SessionState summary() const = 0;
  /** Whether the role's state is Terminated. */
  virtual bool terminated() const = 0;
  /** Still doing something on the wire (see SessionLayer::unfinished()). */
  virtual bool unfinished() const { return !terminated(); }
  /** Whether it is over and nothing (transaction, 2xx retransmission) still holds it. */
  virtual bool freeable() const;

  /** Ends the session from our side (SessionLayer::hangup()). */
  virtual Result<void> hangup(const HeaderList& headers) = 0;
  /** The owner forgets the session: it ends (if live) without a report, and frees when over. */
  void release();

  // ---- events the layer routes here ---------------------------------------------------

  /** A response on one of the session's client transactions. */
  void onResponse(const transaction::ResponseParam& p);
  /** A request inside the dialog (its To tag is our local tag), CANCEL and ACK excepted. */
  void onInDialogRequest(const transaction::RequestParam& p);
  /** Whether an in-dialog ACK is for us (the ACK for our 2xx). */
  virtual bool wantsAck() const { return false; }
  /** The ACK for our 2xx. */
  virtual void onAck();
  /** One of the session's transactions terminated. */
  void onTransactionEnded(const transaction::TerminatedParam& p);
  /** One of the session's timers fired (its slot is already cleared). */
  void onTimer(SessionTimerName t);

  // ---- used by the session timer ------------------------------------------------------

  /** Whether the dialog is confirmed (the role's Confirmed state). */
  bool confirmed() const { return summary() == SessionState::Confirmed; }
  SessionLayer& layer() { return layer_; }
  /** The dialog, or null before there is one. */
  dialog::Dialog* mutableDialog() { return dlg_ ? &*dlg_ : nullptr; }
  /** Sends an in-dialog request to the dialog's target, tracked. @return its transaction. */
  std::optional<transaction::TransactionHandle> sendInDialog(message::SipMessage request);
  /** Sends the ACK for a 2xx to our INVITE (outside any transaction, §13.2.2.4). */
  void sendAck(const message::SipMessage& response);
  /** Ends the session with a BYE carrying `headers` (kept as the hangup headers). */
  void endWithBye(HeaderList headers, const EndInfo& e);
  /** Arms `t` to fire after `after`, replacing an armed one. */
  void startTimer(SessionTimerName t, base::Duration after);
  void stopTimer(SessionTimerName t);
  bool timerArmed(SessionTimerName t) const;

  /** @cond internal: layer bookkeeping. */
  void markFreeing() { freeing_ = true; }
  bool freeing() const { return freeing_; }
  /** @endcond */

 protected:
  /** Moves the role's state machine to Terminated (if not there yet). */
  virtual void enterTerminated() = 0;
  /** The role's timers (Retransmit2xx, AckTimeout, CancelGiveUp). */
  virtual void onRoleTimer(SessionTimerName t) = 0;
  /** A final response to our INVITE (UAC). */
  virtual void onInviteResponse(const transaction::ResponseParam& p) { (void)p; }
  /**
   * The INVITE transaction terminated. @return true if that ended the session (nothing
   * else is to be done with the event).
   */
  virtual bool onInviteTransactionEnded(const transaction::TerminatedParam& p) = 0;
  /** A BYE from the peer, already answered 200. */
  virtual void onByeRequest(const message::SipMessage& bye) = 0;
  /** A connection to reuse for in-dialog requests instead of the dialog's target, if any. */
  virtual std::optional<transport::Target> reusedConnection(const dialog::Dialog& d) const = 0;
  /** Where the peer is known to be: the INVITE's source (UAS) or its first hop (UAC). */
  virtual const transport::Endpoint& knownPeer() const = 0;
  /** Ends the session for release(): no report follows. */
  virtual void endForRelease() = 0;

  /** Reports the end (once), after moving to Terminated; frees when nothing holds it. */
  void end(const EndInfo& info);
  /** Sends a BYE in the dialog, if there is one. */
  void sendBye(const HeaderList& headers);
  /** Where an in-dialog request of `d` goes: its next hop if that is a known peer address. */
  transport::Target inDialogTarget(const dialog::Dialog& d);
  /** Counts a refused transition and logs it. */
  void refuseTransition(std::string_view machine, std::string_view from, std::string_view to);
  /** Logs a transition. */
  void logTransition(std::string_view machine, std::string_view from, std::string_view to) const;

  SessionLayer& layer_;
  const Role role_;
  const SessionHandle self_;
  const transport::Protocol protocol_;
  const std::string callId_;
  const std::string localTag_;
  std::string mergeKey_;
  bool released_ = false;     // the observer forgot it: no more callbacks
  bool endReported_ = false;  // onEnded ran (or was suppressed by release)
  std::optional<dialog::Dialog> dlg_;
  std::optional<message::SipMessage>
      invite_;  // UAC: ours (re-sent with credentials); UAS: received
  transaction::TransactionHandle inviteTx_;
  HeaderList hangupHeaders_;  // on the CANCEL or the BYE we send
  std::string localSdp_;
  std::string contact_;
  // Whether the dialog's Contact and Record-Route may send our in-dialog requests anywhere:
  // yes for our own INVITEs (their answers had to match our branch) and for INVITEs from a
  // trusted peer (SessionConfig::trustedPeers); else only to the INVITE's source address
  // (docs/security.md).
  bool trustTargets_ = true;
  SessionTimer timer_{*this};

 private:
  friend class SessionLayer;  // track() counts live transactions
  void onReinvite(const transaction::RequestParam& p);
  void onUpdateOptionsInfo(const transaction::RequestParam& p);
  /** Asks the observer for the answer to an in-dialog offer; false if it refused (answered). */
  bool answerOffer(const transaction::RequestParam& p, std::string& body);

  bool freeing_ = false;
  bool redirectLogged_ = false;
  std::size_t liveTx_ = 0;
  std::array<base::TimerId, kSessionTimerCount> timerIds_{};
};

}  // namespace tapi::sip::session
