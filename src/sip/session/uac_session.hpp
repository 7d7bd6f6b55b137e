#pragma once
// The INVITE session of the side that sent the INVITE (RFC 3261 §13.2, §9.1 for CANCEL):
// Calling -> Early -> Confirmed -> Terminated, with Cancelling and Terminating for a
// hangup before the answer.

#include <string>
#include <string_view>

#include "sip/session/invite_session.hpp"

namespace tapi::sip::session {

class UacSession final : public InviteSession {
 public:
  enum class State : std::uint8_t {
    Calling,      ///< INVITE sent, no provisional response yet
    Cancelling,   ///< hung up in Calling: the CANCEL waits for a provisional response (§9.1)
    Early,        ///< a provisional response arrived
    Terminating,  ///< CANCEL sent, waiting for the INVITE's final response
    Confirmed,    ///< a 2xx arrived and was ACKed
    Terminated,   ///< over; waiting for its transactions to finish before release
  };

  /** A new session for an INVITE the layer has just sent as `tx`; `sent` is a copy of it. */
  UacSession(SessionLayer& layer, SessionHandle self, OutgoingInvite call, std::string callId,
             std::string localTag, message::SipMessage sent, transaction::TransactionHandle tx);

  /** Builds the initial INVITE (Via filled in by the transaction layer). */
  static Result<message::SipMessage> makeInvite(const OutgoingInvite& call,
                                                const SessionConfig& config,
                                                std::string_view callId, std::string_view tag);

  State state() const { return state_; }
  static std::string_view toString(State s) noexcept;
  /** Whether the UAC machine has an arrow from `from` to `to`. */
  static bool allowed(State from, State to) noexcept;
  /**
   * Moves to `next` if the table has that arrow; otherwise logs the refusal, counts it in
   * SessionStats::rejectedTransitions and stays. @return whether it moved.
   */
  bool transitionTo(State next);

  // InviteSession
  SessionState summary() const override;
  bool terminated() const override { return state_ == State::Terminated; }
  Result<void> hangup(const HeaderList& headers) override;

 protected:
  // InviteSession
  void enterTerminated() override;
  void onRoleTimer(SessionTimerName t) override;
  void onInviteResponse(const transaction::ResponseParam& p) override;
  bool onInviteTransactionEnded(const transaction::TerminatedParam& p) override;
  void onByeRequest(const message::SipMessage& bye) override;
  std::optional<transport::Target> reusedConnection(const dialog::Dialog& d) const override;
  const transport::Endpoint& knownPeer() const override { return target_.endpoint; }
  void endForRelease() override;

 private:
  void onProvisional(const message::SipMessage& r);
  void onSuccess(const message::SipMessage& r);
  void onFailure(const message::SipMessage& r);
  /** A 2xx from another fork once we are confirmed: ACKed and ended with BYE (§13.2.2.4). */
  void endOtherFork(const message::SipMessage& r);
  void sendCancel();
  /** Sends our INVITE again with a new CSeq and `replace` headers set. @return false if it
   * could not be sent. */
  bool resendInvite(const HeaderList& replace);
  /** Ends with LocalCancel (our CANCEL, held or sent, is how it ended). */
  void endCancelled();

  State state_ = State::Calling;
  transport::Target target_;  // first hop of the INVITE
  bool provisionalSeen_ = false;
  bool ringingSeen_ = false;
  bool weCancelled_ = false;
  bool authTried_ = false;
  bool intervalRetried_ = false;  // INVITE re-sent after a 422 (RFC 4028 §7.4)
};

}  // namespace tapi::sip::session
