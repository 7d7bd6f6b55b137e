#pragma once
// The INVITE session of the side that received the INVITE (RFC 3261 §13.3, §9.2 for CANCEL,
// RFC 6026 for the 2xx): Offered -> Accepted -> Confirmed -> Terminated.

#include <string>
#include <string_view>

#include "sip/session/invite_session.hpp"

namespace tapi::sip::session {

class UasSession final : public InviteSession {
 public:
  enum class State : std::uint8_t {
    Offered,     ///< INVITE received, no final response sent
    Accepted,    ///< 2xx sent, waiting for the ACK
    Confirmed,   ///< the ACK arrived
    Terminated,  ///< over; waiting for its transactions (and 2xx retransmissions) to finish
  };

  /**
   * A new session for `invite`, received as `arrival` and held by the server transaction
   * `tx`; `dlg` is its dialog with our tag `localTag`.
   * @param trusted whether the INVITE came from a trusted peer (SessionConfig::trustedPeers).
   */
  UasSession(SessionLayer& layer, SessionHandle self, const message::SipMessage& invite,
             const transport::Arrival& arrival, std::string localTag, dialog::Dialog dlg,
             transaction::TransactionHandle tx, std::string mergeKey, bool trusted);

  /** The INVITE we received. */
  const message::SipMessage& invite() const { return *invite_; }
  const transport::Arrival& arrival() const { return arrival_; }

  /** SessionLayer::provisional(). */
  Result<void> provisional(int status, const HeaderList& headers);
  /** SessionLayer::answer(). */
  Result<void> answer(std::string sdp, std::string contact, const HeaderList& headers);
  /** SessionLayer::reject(). */
  Result<void> reject(int status, std::string_view reason, const HeaderList& headers);
  /** The peer CANCELled the INVITE (the CANCEL is already answered 200). */
  void onCancel(const message::SipMessage& cancel);

  State state() const { return state_; }
  static std::string_view toString(State s) noexcept;
  /** Whether the UAS machine has an arrow from `from` to `to`. */
  static bool allowed(State from, State to) noexcept;
  /**
   * Moves to `next` if the table has that arrow; otherwise logs the refusal, counts it in
   * SessionStats::rejectedTransitions and stays. @return whether it moved.
   */
  bool transitionTo(State next);

  // InviteSession
  SessionState summary() const override;
  bool terminated() const override { return state_ == State::Terminated; }
  bool unfinished() const override { return !terminated() || byePending_; }
  Result<void> hangup(const HeaderList& headers) override;
  bool wantsAck() const override { return state_ == State::Accepted || byePending_; }
  void onAck() override;

 protected:
  // InviteSession
  void enterTerminated() override;
  void onRoleTimer(SessionTimerName t) override;
  bool onInviteTransactionEnded(const transaction::TerminatedParam& p) override;
  void onByeRequest(const message::SipMessage& bye) override;
  std::optional<transport::Target> reusedConnection(const dialog::Dialog& d) const override;
  const transport::Endpoint& knownPeer() const override { return arrival_.source; }
  void endForRelease() override;

 private:
  void onRetransmit2xx();
  void onAckTimeout();
  /** Stops re-sending our 2xx and forgets it. */
  void stop2xx();

  State state_ = State::Offered;
  transport::Arrival arrival_;             // how the INVITE arrived
  std::optional<message::SipMessage> ok_;  // our 2xx, re-sent until the ACK arrives
  base::Duration okInterval_{};
  bool byePending_ = false;  // hung up in Accepted: BYE once the ACK arrives
};

}  // namespace tapi::sip::session
