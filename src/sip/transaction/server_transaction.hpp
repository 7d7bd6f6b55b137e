#pragma once
// Server transactions: INVITE (RFC 3261 §17.2.1 with RFC 6026's Accepted state) and
// non-INVITE (§17.2.2).

#include "base/result.hpp"
#include "sip/transaction/transaction.hpp"

namespace tapi::sip::transaction {

/** RFC 6026 figure 7 (INVITE server transaction). */
class InviteServerTransaction final : public Transaction {
 public:
  enum class State : std::uint8_t { Proceeding, Completed, Confirmed, Accepted, Terminated };

  InviteServerTransaction(TransactionLayer& layer, message::SipMessage request, transport::Arrival arrival);

  /** Sends 100 Trying if configured. Called once, after attach(). */
  void start();
  /** A retransmission of the INVITE arrived. */
  void onRetransmit(const transport::Arrival& arrival);
  /** An ACK matched this transaction. */
  void onAck(const message::SipMessage& ack, const transport::Arrival& arrival);
  /** The TU sends a response. @return an error if the state does not allow it. */
  Result<void> onTuResponse(message::SipMessage response);

  State state() const { return state_; }

  // Transaction
  bool terminated() const override { return state_ == State::Terminated; }
  std::string_view stateName() const override { return toString(state_); }
  void onTimer(TimerName t) override;
  void onTransportError(std::error_code ec) override;

  static std::string_view toString(State s) noexcept;
  /** Whether RFC 6026 figure 7 has an arrow from `from` to `to`. */
  static bool allowed(State from, State to) noexcept;

 private:
  enum class EventKind : std::uint8_t { Retransmit, Ack, TuResponse, Timer, TransportError };
  struct Event {
    EventKind kind;
    const message::SipMessage* message = nullptr;  // the ACK or the TU's response
    const transport::Arrival* arrival = nullptr;
    TimerName timer = TimerName::G;
    std::error_code error;
    Result<void>* outcome = nullptr;  // for TuResponse
  };
  void onEvent(const Event& e);
  void handleInProceeding(const Event& e);
  void handleInCompleted(const Event& e);
  void handleInConfirmed(const Event& e);
  void handleInAccepted(const Event& e);
  void handleInTerminated(const Event& e);
  void transitionTo(State next);
  static void refuse(const Event& e);

  State state_ = State::Proceeding;
  transport::Arrival arrival_;
  base::Duration timerG_{};
};

/** RFC 3261 figure 8 (non-INVITE server transaction). */
class NonInviteServerTransaction final : public Transaction {
 public:
  enum class State : std::uint8_t { Trying, Proceeding, Completed, Terminated };

  NonInviteServerTransaction(TransactionLayer& layer, message::SipMessage request, transport::Arrival arrival);

  /** A retransmission of the request arrived. */
  void onRetransmit(const transport::Arrival& arrival);
  /** The TU sends a response. @return an error if the state does not allow it. */
  Result<void> onTuResponse(message::SipMessage response);

  State state() const { return state_; }

  // Transaction
  bool terminated() const override { return state_ == State::Terminated; }
  std::string_view stateName() const override { return toString(state_); }
  void onTimer(TimerName t) override;
  void onTransportError(std::error_code ec) override;

  static std::string_view toString(State s) noexcept;
  /** Whether RFC 3261 figure 8 has an arrow from `from` to `to`. */
  static bool allowed(State from, State to) noexcept;

 private:
  enum class EventKind : std::uint8_t { Retransmit, TuResponse, Timer, TransportError };
  struct Event {
    EventKind kind;
    const message::SipMessage* message = nullptr;
    TimerName timer = TimerName::J;
    std::error_code error;
    Result<void>* outcome = nullptr;
  };
  void onEvent(const Event& e);
  void handleInTrying(const Event& e);
  void handleInProceeding(const Event& e);
  void handleInCompleted(const Event& e);
  void handleInTerminated(const Event& e);
  void sendFinal(const Event& e);
  void transitionTo(State next);
  static void refuse(const Event& e);

  State state_ = State::Trying;
  transport::Arrival arrival_;
};

}  // namespace tapi::sip::transaction
