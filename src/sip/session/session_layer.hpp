#pragma once
// The INVITE session layer (RFC 3261 §13-§15, RFC 6026, RFC 4028): the UA core that sits
// on the transaction layer as its TU. It owns one session per INVITE dialog usage, in
// either role (UacSession, UasSession), routes what arrives to it by transaction or by
// dialog, and frees it once it is over. Out-of-dialog requests (REGISTER, OPTIONS) go
// through it too, so one TU serves a whole SIP endpoint.
//
// What it guarantees its observer:
// - onEnded() exactly once per session, whoever ends it and however.
// - After release(), no callback for that session; its memory and timers go as soon as
//   its transactions have finished on the wire (a BYE still retransmitting keeps the
//   session counted in stats() until it completes, so "zero after release" is real).
// - Callbacks never run with the layer half-updated; the observer may call back in.

#include <array>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>

#include "base/event_loop.hpp"
#include "base/handle.hpp"
#include "base/life_token.hpp"
#include "base/result.hpp"
#include "sip/dialog/dialog.hpp"
#include "sip/message/message.hpp"
#include "sip/session/session_observer.hpp"
#include "sip/session/session_types.hpp"
#include "sip/transaction/transaction_layer.hpp"
#include "sip/transport/transport_layer.hpp"

namespace tapi::sip::session {

/**
 * The final outcome of an out-of-dialog request: the final response (null when none came)
 * and the error. A 2xx has no error; a 3xx-6xx has its status as a sip::SipStatus error
 * (sip-status category); no response has sip::Errc::Timeout (Timer F) or
 * sip::Errc::TransportError (the request could not be sent).
 */
using ResponseCallback =
    std::function<void(const message::SipMessage* response, std::error_code error)>;

/** The cumulative counters the sessions update (a part of SessionStats). */
struct SessionCounters {
  std::uint64_t answered481 = 0;
  std::uint64_t redirectedTargets = 0;
  std::uint64_t created = 0;
  std::uint64_t rejectedTransitions = 0;
  std::array<std::uint64_t, kEndKindCount> endedBy{};
};

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
  /** Rejects an offered INVITE with a 3xx-6xx. The session ends (LocalReject). */
  Result<void> reject(SessionHandle s, int status, std::string_view reason = {},
                      const HeaderList& headers = {});

  // ---- both ---------------------------------------------------------------------------

  /**
   * Ends the session from our side, by state: Calling → CANCEL once a provisional
   * arrives (§9.1); Early → CANCEL; Accepted → BYE once the ACK arrives or the 2xx
   * retransmissions give up; Confirmed → BYE. `headers` go on the CANCEL/BYE (Reason,
   * User-to-User). Offered sessions are ended with reject(). onEnded() follows when the
   * session is over locally: LocalBye at once for a BYE, LocalCancel (or the final
   * response's kind) at the INVITE's final response for a CANCEL. A second hangup is a no-op.
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

  // ---- used by the sessions themselves ------------------------------------------------

  /** @cond internal */
  base::EventLoop& loop() { return loop_; }
  SessionObserver& observer() { return observer_; }
  const SessionConfig& config() const { return config_; }
  SessionCounters& counters() { return counters_; }
  /** The session `h` names, or null if the handle is stale. */
  InviteSession* find(SessionHandle h) const;
  /** Routes `t`'s responses and end to `s` until the transaction terminates. */
  void track(InviteSession& s, transaction::TransactionHandle t);
  /** Queues `s` for destruction on a later turn if it is over and nothing holds it. */
  void maybeFree(InviteSession& s);
  /** Answers `p`'s request through a server transaction (stateless if none can be made). */
  void respondTo(const transaction::RequestParam& p, int status, std::string_view reason = {},
                 const HeaderList& headers = {}, std::string_view toTag = {});
  /** Guards callbacks that may outlive the layer (base::LifeToken::guard). */
  const base::LifeToken& life() const noexcept { return life_; }
  /** @endcond */

 private:
  InviteSession* byTransaction(transaction::TransactionHandle t) const;
  InviteSession* byDialog(std::string_view callId, std::string_view localTag) const;
  void onNewInvite(const transaction::RequestParam& p);
  /** Answers 420 when the request requires an extension we lack. @return true if it did. */
  bool refuseUnsupported(const transaction::RequestParam& p);
  void onCancelRequest(const transaction::RequestParam& p);

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
  SessionCounters counters_;
  base::LifeToken life_;  // last: callbacks see the layer gone before anything else goes
};

}  // namespace tapi::sip::session
