#include "sip/transaction/client_transaction.hpp"

#include <spdlog/spdlog.h>

#include "sip/transaction/matching.hpp"
#include "sip/transaction/transaction_layer.hpp"

namespace tapi::sip::transaction {

// ===== INVITE client ======================================================================

InviteClientTransaction::InviteClientTransaction(TransactionLayer& layer,
                                                 message::SipMessage request,
                                                 transport::Route route, transport::Target target)
    : Transaction(layer, TransactionKind::InviteClient, std::move(request),
                  transport::isReliable(target.protocol)),
      target_(target) {
  route_ = route;
}

std::string_view InviteClientTransaction::toString(State s) noexcept {
  switch (s) {
    case State::Calling:
      return "Calling";
    case State::Proceeding:
      return "Proceeding";
    case State::Completed:
      return "Completed";
    case State::Accepted:
      return "Accepted";
    case State::Terminated:
      return "Terminated";
  }
  return "?";
}

bool InviteClientTransaction::allowed(State from, State to) noexcept {
  struct Arrow {
    State from;
    State to;
  };
  // RFC 6026 figure 5; the arrows to Terminated from Proceeding cover transport failure.
  static constexpr Arrow kArrows[] = {
      {State::Calling, State::Proceeding},    {State::Calling, State::Completed},
      {State::Calling, State::Accepted},      {State::Calling, State::Terminated},
      {State::Proceeding, State::Completed},  {State::Proceeding, State::Accepted},
      {State::Proceeding, State::Terminated}, {State::Completed, State::Terminated},
      {State::Accepted, State::Terminated},
  };
  for (const Arrow& a : kArrows) {
    if (a.from == from && a.to == to) {
      return true;
    }
  }
  return false;
}

void InviteClientTransaction::transitionTo(State next) {
  if (!allowed(state_, next)) {
    ++layer_.mutableStats().rejectedTransitions;
    spdlog::error("sip tsx InviteClient {}: refused {} -> {}", logKey(), toString(state_),
                  toString(next));
    return;
  }
  spdlog::debug("sip tsx InviteClient {}: {} -> {}", logKey(), toString(state_), toString(next));
  state_ = next;
}

void InviteClientTransaction::start() {
  sendAndKeep(request_.serialize());
  if (unreliable()) {
    timerA_ = timers().t1;
    startTimer(TimerName::A, timerA_);
  }
  startTimer(TimerName::B, 64 * timers().t1);
}

void InviteClientTransaction::onResponse(const message::SipMessage& response,
                                         const transport::Arrival& arrival) {
  onEvent(Event{EventKind::Response, &response, &arrival, TimerName::A, {}});
}

bool InviteClientTransaction::abandon() {
  if (state_ != State::Calling && state_ != State::Proceeding) {
    return false;
  }
  transitionTo(State::Terminated);
  finish(EndReason::Timeout);
  return true;
}

void InviteClientTransaction::onTimer(TimerName t) {
  onEvent(Event{EventKind::Timer, nullptr, nullptr, t, {}});
}

void InviteClientTransaction::onTransportError(std::error_code ec) {
  onEvent(Event{EventKind::TransportError, nullptr, nullptr, TimerName::A, ec});
}

void InviteClientTransaction::onEvent(const Event& e) {
  switch (state_) {
    case State::Calling:
      handleInCalling(e);
      return;
    case State::Proceeding:
      handleInProceeding(e);
      return;
    case State::Completed:
      handleInCompleted(e);
      return;
    case State::Accepted:
      handleInAccepted(e);
      return;
    case State::Terminated:
      handleInTerminated(e);
      return;
  }
}

void InviteClientTransaction::handleInCalling(const Event& e) {
  switch (e.kind) {
    case EventKind::Response:
      onResponseBeforeFinal(e);
      return;
    case EventKind::Timer:
      if (e.timer == TimerName::A) {
        // §17.1.1.2: retransmit and double the interval (no T2 cap for INVITE).
        resend();
        timerA_ *= 2;
        startTimer(TimerName::A, timerA_);
      } else if (e.timer == TimerName::B) {
        ++layer_.mutableStats().timeouts;
        transitionTo(State::Terminated);
        finish(EndReason::Timeout);
      }
      return;
    case EventKind::TransportError:
      reportTransportError(e.error);
      transitionTo(State::Terminated);
      finish(EndReason::TransportError);
      return;
  }
}

void InviteClientTransaction::handleInProceeding(const Event& e) {
  switch (e.kind) {
    case EventKind::Response:
      onResponseBeforeFinal(e);
      return;
    case EventKind::Timer:
      return;  // A and B stopped on leaving Calling: a late firing has nothing to do
    case EventKind::TransportError:
      reportTransportError(e.error);
      transitionTo(State::Terminated);
      finish(EndReason::TransportError);
      return;
  }
}

void InviteClientTransaction::onResponseBeforeFinal(const Event& e) {
  const message::SipMessage& r = *e.response;
  const int code = r.statusCode();
  if (code < 200) {
    if (state_ == State::Calling) {
      stopTimer(TimerName::A);
      stopTimer(TimerName::B);
      transitionTo(State::Proceeding);
    }
    layer_.tu().onResponse(ResponseParam{handle_, r, *e.arrival});
    return;
  }
  stopTimer(TimerName::A);
  stopTimer(TimerName::B);
  if (code < 300) {
    // RFC 6026 §7.2: linger in Accepted so retransmitted and forked 2xx still reach the TU.
    transitionTo(State::Accepted);
    startTimer(TimerName::M, 64 * timers().t1);
    layer_.tu().onResponse(ResponseParam{handle_, r, *e.arrival});
    return;
  }
  transitionTo(State::Completed);
  sendAck(r);
  const TransactionHandle self = handle_;
  layer_.tu().onResponse(ResponseParam{handle_, r, *e.arrival});
  if (layer_.find(self) != this || terminated()) {
    return;
  }
  if (unreliable()) {
    startTimer(TimerName::D, timers().timerD);
  } else {
    // Timer D is zero on reliable transports: nothing to wait for.
    transitionTo(State::Terminated);
    finish(EndReason::Completed);
  }
}

void InviteClientTransaction::sendAck(const message::SipMessage& response) {
  auto ack = buildAckForFailure(request_, response);
  if (!ack) {
    spdlog::warn("sip tsx InviteClient {}: cannot build ACK: {}", logKey(), ack.error().message());
    return;
  }
  ack_ = ack->serialize();
  sendOnce(ack_);
}

void InviteClientTransaction::handleInCompleted(const Event& e) {
  switch (e.kind) {
    case EventKind::Response:
      if (e.response->statusCode() >= 300 && !ack_.empty()) {
        // §17.1.1.2: every retransmitted final gets the same ACK; the TU is not told again.
        ++layer_.mutableStats().retransmissions;
        sendOnce(ack_);
      }
      ++layer_.mutableStats().absorbed;
      return;
    case EventKind::Timer:
      if (e.timer == TimerName::D) {
        transitionTo(State::Terminated);
        finish(EndReason::Completed);
      }
      return;
    case EventKind::TransportError:
      reportTransportError(e.error);
      transitionTo(State::Terminated);
      finish(EndReason::TransportError);
      return;
  }
}

void InviteClientTransaction::handleInAccepted(const Event& e) {
  switch (e.kind) {
    case EventKind::Response:
      if (e.response->statusCode() >= 200 && e.response->statusCode() < 300) {
        layer_.tu().onResponse(ResponseParam{handle_, *e.response, *e.arrival});
      } else {
        ++layer_.mutableStats().absorbed;
      }
      return;
    case EventKind::Timer:
      if (e.timer == TimerName::M) {
        transitionTo(State::Terminated);
        finish(EndReason::Completed);
      }
      return;
    case EventKind::TransportError:
      reportTransportError(e.error);  // RFC 6026 §7.2: the transaction stays
      return;
  }
}

void InviteClientTransaction::handleInTerminated(const Event& e) {
  switch (e.kind) {
    case EventKind::Response:
    case EventKind::Timer:
    case EventKind::TransportError:
      return;  // already reported; waiting to be released
  }
}

// ===== non-INVITE client ==================================================================

NonInviteClientTransaction::NonInviteClientTransaction(TransactionLayer& layer,
                                                       message::SipMessage request,
                                                       transport::Route route)
    : Transaction(layer, TransactionKind::NonInviteClient, std::move(request),
                  route.transport != nullptr && route.transport->reliable()) {
  route_ = route;
}

std::string_view NonInviteClientTransaction::toString(State s) noexcept {
  switch (s) {
    case State::Trying:
      return "Trying";
    case State::Proceeding:
      return "Proceeding";
    case State::Completed:
      return "Completed";
    case State::Terminated:
      return "Terminated";
  }
  return "?";
}

bool NonInviteClientTransaction::allowed(State from, State to) noexcept {
  struct Arrow {
    State from;
    State to;
  };
  // RFC 3261 figure 6.
  static constexpr Arrow kArrows[] = {
      {State::Trying, State::Proceeding},     {State::Trying, State::Completed},
      {State::Trying, State::Terminated},     {State::Proceeding, State::Completed},
      {State::Proceeding, State::Terminated}, {State::Completed, State::Terminated},
  };
  for (const Arrow& a : kArrows) {
    if (a.from == from && a.to == to) {
      return true;
    }
  }
  return false;
}

void NonInviteClientTransaction::transitionTo(State next) {
  if (!allowed(state_, next)) {
    ++layer_.mutableStats().rejectedTransitions;
    spdlog::error("sip tsx NonInviteClient {}: refused {} -> {}", logKey(), toString(state_),
                  toString(next));
    return;
  }
  spdlog::debug("sip tsx NonInviteClient {}: {} -> {}", logKey(), toString(state_), toString(next));
  state_ = next;
}

void NonInviteClientTransaction::start() {
  sendAndKeep(request_.serialize());
  if (unreliable()) {
    timerE_ = timers().t1;
    startTimer(TimerName::E, timerE_);
  }
  startTimer(TimerName::F, 64 * timers().t1);
}

void NonInviteClientTransaction::onResponse(const message::SipMessage& response,
                                            const transport::Arrival& arrival) {
  onEvent(Event{EventKind::Response, &response, &arrival, TimerName::E, {}});
}

void NonInviteClientTransaction::onTimer(TimerName t) {
  onEvent(Event{EventKind::Timer, nullptr, nullptr, t, {}});
}

void NonInviteClientTransaction::onTransportError(std::error_code ec) {
  onEvent(Event{EventKind::TransportError, nullptr, nullptr, TimerName::E, ec});
}

void NonInviteClientTransaction::onEvent(const Event& e) {
  switch (state_) {
    case State::Trying:
      handleInTrying(e);
      return;
    case State::Proceeding:
      handleInProceeding(e);
      return;
    case State::Completed:
      handleInCompleted(e);
      return;
    case State::Terminated:
      handleInTerminated(e);
      return;
  }
}

void NonInviteClientTransaction::onResponseBeforeFinal(const Event& e) {
  const message::SipMessage& r = *e.response;
  if (r.statusCode() < 200) {
    if (state_ == State::Trying) {
      transitionTo(State::Proceeding);
    }
    layer_.tu().onResponse(ResponseParam{handle_, r, *e.arrival});
    return;
  }
  stopTimer(TimerName::E);
  stopTimer(TimerName::F);
  transitionTo(State::Completed);
  const TransactionHandle self = handle_;
  layer_.tu().onResponse(ResponseParam{handle_, r, *e.arrival});
  if (layer_.find(self) != this || terminated()) {
    return;
  }
  if (unreliable()) {
    startTimer(TimerName::K, timers().t4);
  } else {
    transitionTo(State::Terminated);  // Timer K is zero on reliable transports
    finish(EndReason::Completed);
  }
}

void NonInviteClientTransaction::handleInTrying(const Event& e) {
  switch (e.kind) {
    case EventKind::Response:
      onResponseBeforeFinal(e);
      return;
    case EventKind::Timer:
      if (e.timer == TimerName::E) {
        // §17.1.2.2: double up to T2.
        resend();
        timerE_ = std::min(2 * timerE_, timers().t2);
        startTimer(TimerName::E, timerE_);
      } else if (e.timer == TimerName::F) {
        ++layer_.mutableStats().timeouts;
        stopAllTimers();
        transitionTo(State::Terminated);
        finish(EndReason::Timeout);
      }
      return;
    case EventKind::TransportError:
      reportTransportError(e.error);
      transitionTo(State::Terminated);
      finish(EndReason::TransportError);
      return;
  }
}

void NonInviteClientTransaction::handleInProceeding(const Event& e) {
  switch (e.kind) {
    case EventKind::Response:
      onResponseBeforeFinal(e);
      return;
    case EventKind::Timer:
      if (e.timer == TimerName::E) {
        // §17.1.2.2: in Proceeding the interval is T2 from now on.
        resend();
        timerE_ = timers().t2;
        startTimer(TimerName::E, timerE_);
      } else if (e.timer == TimerName::F) {
        ++layer_.mutableStats().timeouts;
        stopAllTimers();
        transitionTo(State::Terminated);
        finish(EndReason::Timeout);
      }
      return;
    case EventKind::TransportError:
      reportTransportError(e.error);
      transitionTo(State::Terminated);
      finish(EndReason::TransportError);
      return;
  }
}

void NonInviteClientTransaction::handleInCompleted(const Event& e) {
  switch (e.kind) {
    case EventKind::Response:
      ++layer_.mutableStats().absorbed;  // §17.1.2.2: retransmitted finals are absorbed
      return;
    case EventKind::Timer:
      if (e.timer == TimerName::K) {
        transitionTo(State::Terminated);
        finish(EndReason::Completed);
      }
      return;
    case EventKind::TransportError:
      return;  // nothing left to send
  }
}

void NonInviteClientTransaction::handleInTerminated(const Event& e) {
  switch (e.kind) {
    case EventKind::Response:
    case EventKind::Timer:
    case EventKind::TransportError:
      return;
  }
}

}  // namespace tapi::sip::transaction
