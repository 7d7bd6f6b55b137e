#pragma once
// Client transactions: INVITE (RFC 3261 §17.1.1 with RFC 6026's Accepted state) and
// non-INVITE (§17.1.2).

#include "sip/transaction/transaction.hpp"

namespace tapi::sip::transaction {

/** RFC 6026 figure 5 (INVITE client transaction). */
class InviteClientTransaction final : public Transaction {
 public:
  enum class State : std::uint8_t { Calling, Proceeding, Completed, Accepted, Terminated };

  InviteClientTransaction(TransactionLayer& layer, message::SipMessage request,
                          transport::Route route, transport::Target target);

  /** Sends the INVITE and starts Timers A and B. Called once, after attach(). */
  void start();
  /** A response matched this transaction. */
  void onResponse(const message::SipMessage& response, const transport::Arrival& arrival);
  /** The TU gives up on a final response (§9.1). @return false unless Calling or Proceeding. */
  bool abandon();

  State state() const { return state_; }
  const transport::Target& target() const { return target_; }
  const transport::Route& route() const { return route_; }

  // Transaction
  bool terminated() const override { return state_ == State::Terminated; }
  std::string_view stateName() const override { return toString(state_); }
  void onTimer(TimerName t) override;
  void onTransportError(std::error_code ec) override;

  static std::string_view toString(State s) noexcept;
  /** Whether RFC 6026 figure 5 has an arrow from `from` to `to`. */
  static bool allowed(State from, State to) noexcept;

 private:
  enum class EventKind : std::uint8_t { Response, Timer, TransportError };
  struct Event {
    EventKind kind;
    const message::SipMessage* response = nullptr;
    const transport::Arrival* arrival = nullptr;
    TimerName timer = TimerName::A;
    std::error_code error;
  };
  void onEvent(const Event& e);
  void handleInCalling(const Event& e);
  void handleInProceeding(const Event& e);
  void handleInCompleted(const Event& e);
  void handleInAccepted(const Event& e);
  void handleInTerminated(const Event& e);
  /** Common to Calling and Proceeding: what a response does there. */
  void onResponseBeforeFinal(const Event& e);
  void sendAck(const message::SipMessage& response);
  void transitionTo(State next);

  State state_ = State::Calling;
  transport::Target target_;
  base::Duration timerA_{};
  std::string ack_;  // the ACK for the non-2xx, re-sent for each retransmitted final
};

/** RFC 3261 figure 6 (non-INVITE client transaction). */
class NonInviteClientTransaction final : public Transaction {
 public:
  enum class State : std::uint8_t { Trying, Proceeding, Completed, Terminated };

  NonInviteClientTransaction(TransactionLayer& layer, message::SipMessage request,
                             transport::Route route);

  /** Sends the request and starts Timers E and F. Called once, after attach(). */
  void start();
  /** A response matched this transaction. */
  void onResponse(const message::SipMessage& response, const transport::Arrival& arrival);

  State state() const { return state_; }

  // Transaction
  bool terminated() const override { return state_ == State::Terminated; }
  std::string_view stateName() const override { return toString(state_); }
  void onTimer(TimerName t) override;
  void onTransportError(std::error_code ec) override;

  static std::string_view toString(State s) noexcept;
  /** Whether RFC 3261 figure 6 has an arrow from `from` to `to`. */
  static bool allowed(State from, State to) noexcept;

 private:
  enum class EventKind : std::uint8_t { Response, Timer, TransportError };
  struct Event {
    EventKind kind;
    const message::SipMessage* response = nullptr;
    const transport::Arrival* arrival = nullptr;
    TimerName timer = TimerName::E;
    std::error_code error;
  };
  void onEvent(const Event& e);
  void handleInTrying(const Event& e);
  void handleInProceeding(const Event& e);
  void handleInCompleted(const Event& e);
  void handleInTerminated(const Event& e);
  void onResponseBeforeFinal(const Event& e);
  void transitionTo(State next);

  State state_ = State::Trying;
  base::Duration timerE_{};
};

}  // namespace tapi::sip::transaction
