#include "sip/transaction/server_transaction.hpp"

#include <spdlog/spdlog.h>

#include "sip/errc.hpp"
#include "sip/transaction/transaction_layer.hpp"

namespace tapi::sip::transaction {

// ===== INVITE server ======================================================================

InviteServerTransaction::InviteServerTransaction(TransactionLayer& layer,
                                                 message::SipMessage request,
                                                 transport::Arrival arrival)
    : Transaction(layer, TransactionKind::InviteServer, std::move(request),
                  transport::isReliable(arrival.protocol)),
      arrival_(arrival) {}

std::string_view InviteServerTransaction::toString(State s) noexcept {
  switch (s) {
    case State::Proceeding:
      return "Proceeding";
    case State::Completed:
      return "Completed";
    case State::Confirmed:
      return "Confirmed";
    case State::Accepted:
      return "Accepted";
    case State::Terminated:
      return "Terminated";
  }
  return "?";
}

bool InviteServerTransaction::allowed(State from, State to) noexcept {
  struct Arrow {
    State from;
    State to;
  };
  // RFC 6026 figure 7.
  static constexpr Arrow kArrows[] = {
      {State::Proceeding, State::Completed},  {State::Proceeding, State::Accepted},
      {State::Proceeding, State::Terminated}, {State::Completed, State::Confirmed},
      {State::Completed, State::Terminated},  {State::Confirmed, State::Terminated},
      {State::Accepted, State::Terminated},
  };
  for (const Arrow& a : kArrows) {
    if (a.from == from && a.to == to) {
      return true;
    }
  }
  return false;
}

void InviteServerTransaction::transitionTo(State next) {
  if (!allowed(state_, next)) {
    ++layer_.mutableStats().rejectedTransitions;
    spdlog::error("sip tsx InviteServer {}: refused {} -> {}", logKey(), toString(state_),
                  toString(next));
    return;
  }
  spdlog::debug("sip tsx InviteServer {}: {} -> {}", logKey(), toString(state_), toString(next));
  state_ = next;
}

void InviteServerTransaction::start() {
  if (!timers().autoTrying) {
    return;
  }
  // §17.2.1: answer at once so the client stops retransmitting (the TU may be slow).
  auto trying = message::makeResponse(request_, 100);
  if (!trying) {
    return;
  }
  (void)onTuResponse(std::move(*trying));
}

void InviteServerTransaction::onRetransmit(const transport::Arrival& arrival) {
  onEvent(Event{EventKind::Retransmit, nullptr, &arrival, TimerName::G, {}, nullptr});
}

void InviteServerTransaction::onAck(const message::SipMessage& ack,
                                    const transport::Arrival& arrival) {
  onEvent(Event{EventKind::Ack, &ack, &arrival, TimerName::G, {}, nullptr});
}

Result<void> InviteServerTransaction::onTuResponse(message::SipMessage response) {
  if (!response.isResponse()) {
    return fail(Errc::WrongMessage);
  }
  auto route = layer_.transport().routeResponse(request_.topVia(), arrival_);
  if (!route) {
    // §18.2.2: a response that cannot be sent is a transport error for the transaction,
    // which ends it; otherwise it would wait for ever with no timer running.
    onTransportError(route.error());
    return fail(route.error());
  }
  route_ = *route;
  Result<void> outcome;
  onEvent(Event{EventKind::TuResponse, &response, nullptr, TimerName::G, {}, &outcome});
  return outcome;
}

void InviteServerTransaction::onTimer(TimerName t) {
  onEvent(Event{EventKind::Timer, nullptr, nullptr, t, {}, nullptr});
}

void InviteServerTransaction::onTransportError(std::error_code ec) {
  onEvent(Event{EventKind::TransportError, nullptr, nullptr, TimerName::G, ec, nullptr});
}

void InviteServerTransaction::refuse(const Event& e) {
  if (e.outcome != nullptr) {
    *e.outcome = fail(Errc::WrongState);
  }
}

void InviteServerTransaction::onEvent(const Event& e) {
  switch (state_) {
    case State::Proceeding:
      handleInProceeding(e);
      return;
    case State::Completed:
      handleInCompleted(e);
      return;
    case State::Confirmed:
      handleInConfirmed(e);
      return;
    case State::Accepted:
      handleInAccepted(e);
      return;
    case State::Terminated:
      handleInTerminated(e);
      return;
  }
}

void InviteServerTransaction::handleInProceeding(const Event& e) {
  switch (e.kind) {
    case EventKind::Retransmit:
      // §17.2.1: answer a retransmitted INVITE with the latest provisional.
      ++layer_.mutableStats().absorbed;
      if (!kept_.empty()) {
        resend();
      }
      return;
    case EventKind::Ack:
      ++layer_.mutableStats().absorbed;  // nothing final sent yet: a stray ACK
      return;
    case EventKind::TuResponse: {
      const int code = e.message->statusCode();
      sendAndKeep(e.message->serialize());
      if (code < 200) {
        return;
      }
      if (code < 300) {
        // RFC 6026 §7.1: stay in Accepted so retransmitted INVITEs are absorbed and the TU's
        // 2xx retransmissions and the ACK pass through.
        transitionTo(State::Accepted);
        startTimer(TimerName::L, 64 * timers().t1);
        return;
      }
      transitionTo(State::Completed);
      if (unreliable()) {
        timerG_ = timers().t1;
        startTimer(TimerName::G, timerG_);
      }
      startTimer(TimerName::H, 64 * timers().t1);
      return;
    }
    case EventKind::Timer:
      return;
    case EventKind::TransportError:
      reportTransportError(e.error);
      transitionTo(State::Terminated);
      finish(EndReason::TransportError);
      return;
  }
}

void InviteServerTransaction::handleInCompleted(const Event& e) {
  switch (e.kind) {
    case EventKind::Retransmit:
      ++layer_.mutableStats().absorbed;
      resend();
      return;
    case EventKind::Ack:
      stopTimer(TimerName::G);
      stopTimer(TimerName::H);
      transitionTo(State::Confirmed);
      if (unreliable()) {
        startTimer(TimerName::I, timers().t4);
      } else {
        transitionTo(State::Terminated);  // Timer I is zero on reliable transports
        finish(EndReason::Completed);
      }
      return;
    case EventKind::TuResponse:
      refuse(e);
      return;
    case EventKind::Timer:
      if (e.timer == TimerName::G) {
        resend();
        timerG_ = std::min(2 * timerG_, timers().t2);
        startTimer(TimerName::G, timerG_);
      } else if (e.timer == TimerName::H) {
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

void InviteServerTransaction::handleInConfirmed(const Event& e) {
  switch (e.kind) {
    case EventKind::Retransmit:
    case EventKind::Ack:
      ++layer_.mutableStats().absorbed;
      return;
    case EventKind::TuResponse:
      refuse(e);
      return;
    case EventKind::Timer:
      if (e.timer == TimerName::I) {
        transitionTo(State::Terminated);
        finish(EndReason::Completed);
      }
      return;
    case EventKind::TransportError:
      return;  // nothing left to send
  }
}

void InviteServerTransaction::handleInAccepted(const Event& e) {
  switch (e.kind) {
    case EventKind::Retransmit:
      // RFC 6026 §7.1: absorbed; the TU retransmits the 2xx on its own schedule.
      ++layer_.mutableStats().absorbed;
      return;
    case EventKind::Ack:
      layer_.tu().onAck(AckParam{handle_, *e.message, *e.arrival});
      return;
    case EventKind::TuResponse: {
      const int code = e.message->statusCode();
      if (code < 200 || code >= 300) {
        refuse(e);
        return;
      }
      sendAndKeep(e.message->serialize());
      return;
    }
    case EventKind::Timer:
      if (e.timer == TimerName::L) {
        transitionTo(State::Terminated);
        finish(EndReason::Completed);
      }
      return;
    case EventKind::TransportError:
      reportTransportError(e.error);  // RFC 6026 §7.1: the transaction stays
      return;
  }
}

void InviteServerTransaction::handleInTerminated(const Event& e) {
  switch (e.kind) {
    case EventKind::TuResponse:
      refuse(e);
      return;
    case EventKind::Retransmit:
    case EventKind::Ack:
    case EventKind::Timer:
    case EventKind::TransportError:
      return;
  }
}

// ===== non-INVITE server ==================================================================

NonInviteServerTransaction::NonInviteServerTransaction(TransactionLayer& layer,
                                                       message::SipMessage request,
                                                       transport::Arrival arrival)
    : Transaction(layer, TransactionKind::NonInviteServer, std::move(request),
                  transport::isReliable(arrival.protocol)),
      arrival_(arrival) {}

std::string_view NonInviteServerTransaction::toString(State s) noexcept {
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

bool NonInviteServerTransaction::allowed(State from, State to) noexcept {
  struct Arrow {
    State from;
    State to;
  };
  // RFC 3261 figure 8; Completed -> Terminated directly covers Timer J = 0 (reliable).
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

void NonInviteServerTransaction::transitionTo(State next) {
  if (!allowed(state_, next)) {
    ++layer_.mutableStats().rejectedTransitions;
    spdlog::error("sip tsx NonInviteServer {}: refused {} -> {}", logKey(), toString(state_),
                  toString(next));
    return;
  }
  spdlog::debug("sip tsx NonInviteServer {}: {} -> {}", logKey(), toString(state_), toString(next));
  state_ = next;
}

void NonInviteServerTransaction::onRetransmit(const transport::Arrival&) {
  onEvent(Event{EventKind::Retransmit, nullptr, TimerName::J, {}, nullptr});
}

Result<void> NonInviteServerTransaction::onTuResponse(message::SipMessage response) {
  if (!response.isResponse()) {
    return fail(Errc::WrongMessage);
  }
  auto route = layer_.transport().routeResponse(request_.topVia(), arrival_);
  if (!route) {
    // §18.2.2: a response that cannot be sent is a transport error for the transaction,
    // which ends it; otherwise it would wait for ever with no timer running.
    onTransportError(route.error());
    return fail(route.error());
  }
  route_ = *route;
  Result<void> outcome;
  onEvent(Event{EventKind::TuResponse, &response, TimerName::J, {}, &outcome});
  return outcome;
}

void NonInviteServerTransaction::onTimer(TimerName t) {
  onEvent(Event{EventKind::Timer, nullptr, t, {}, nullptr});
}

void NonInviteServerTransaction::onTransportError(std::error_code ec) {
  onEvent(Event{EventKind::TransportError, nullptr, TimerName::J, ec, nullptr});
}

void NonInviteServerTransaction::refuse(const Event& e) {
  if (e.outcome != nullptr) {
    *e.outcome = fail(Errc::WrongState);
  }
}

void NonInviteServerTransaction::onEvent(const Event& e) {
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

void NonInviteServerTransaction::sendFinal(const Event& e) {
  sendAndKeep(e.message->serialize());
  transitionTo(State::Completed);
  if (unreliable()) {
    startTimer(TimerName::J, 64 * timers().t1);
  } else {
    transitionTo(State::Terminated);  // Timer J is zero on reliable transports
    finish(EndReason::Completed);
  }
}

void NonInviteServerTransaction::handleInTrying(const Event& e) {
  switch (e.kind) {
    case EventKind::Retransmit:
      ++layer_.mutableStats().absorbed;  // §17.2.2: nothing to resend yet
      return;
    case EventKind::TuResponse:
      if (e.message->statusCode() < 200) {
        sendAndKeep(e.message->serialize());
        transitionTo(State::Proceeding);
        return;
      }
      sendFinal(e);
      return;
    case EventKind::Timer:
      return;
    case EventKind::TransportError:
      // Figure 8 has no such arrow: nothing of ours was on the wire. The only source is a
      // response of the TU that could not be routed, and a transaction with no timer left
      // would never end, so it ends here.
      reportTransportError(e.error);
      transitionTo(State::Terminated);
      finish(EndReason::TransportError);
      return;
  }
}

void NonInviteServerTransaction::handleInProceeding(const Event& e) {
  switch (e.kind) {
    case EventKind::Retransmit:
      ++layer_.mutableStats().absorbed;
      resend();
      return;
    case EventKind::TuResponse:
      if (e.message->statusCode() < 200) {
        sendAndKeep(e.message->serialize());
        return;
      }
      sendFinal(e);
      return;
    case EventKind::Timer:
      return;
    case EventKind::TransportError:
      reportTransportError(e.error);
      transitionTo(State::Terminated);
      finish(EndReason::TransportError);
      return;
  }
}

void NonInviteServerTransaction::handleInCompleted(const Event& e) {
  switch (e.kind) {
    case EventKind::Retransmit:
      ++layer_.mutableStats().absorbed;
      resend();
      return;
    case EventKind::TuResponse:
      refuse(e);
      return;
    case EventKind::Timer:
      if (e.timer == TimerName::J) {
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

void NonInviteServerTransaction::handleInTerminated(const Event& e) {
  switch (e.kind) {
    case EventKind::TuResponse:
      refuse(e);
      return;
    case EventKind::Retransmit:
    case EventKind::Timer:
    case EventKind::TransportError:
      return;
  }
}

}  // namespace tapi::sip::transaction
