#include "sip/session/uas_session.hpp"

#include <algorithm>

#include "sip/errc.hpp"
#include "sip/session/session_layer.hpp"

namespace tapi::sip::session {

using message::SipMessage;

namespace {

// §12.1.1: a response that creates a dialog (1xx with a To tag, 2xx) carries every
// Record-Route of the request, in order, so the caller builds the same route set we did.
void copyRecordRoute(const SipMessage& request, SipMessage& response) {
  for (std::size_t i = 0; i < request.headerCount(); ++i) {
    const message::HeaderField h = request.headerAt(i);
    if (h.id == message::HeaderId::RecordRoute) {
      (void)response.addHeader("Record-Route", h.value);
    }
  }
}

}  // namespace

UasSession::UasSession(SessionLayer& layer, SessionHandle self, const SipMessage& invite,
                       const transport::Arrival& arrival, std::string localTag, dialog::Dialog dlg,
                       transaction::TransactionHandle tx, std::string mergeKey, bool trusted)
    : InviteSession(layer, Role::Uas, self, arrival.protocol, std::string(invite.callId()),
                    std::move(localTag)),
      arrival_(arrival) {
  dlg_ = std::move(dlg);
  invite_ = invite.clone();
  trustTargets_ = trusted;
  inviteTx_ = tx;
  mergeKey_ = std::move(mergeKey);
}

// ---- the state machine ----------------------------------------------------------------

std::string_view UasSession::toString(State s) noexcept {
  switch (s) {
    case State::Offered:
      return "Offered";
    case State::Accepted:
      return "Accepted";
    case State::Confirmed:
      return "Confirmed";
    case State::Terminated:
      return "Terminated";
  }
  return "?";
}

bool UasSession::allowed(State from, State to) noexcept {
  struct Arrow {
    State from;
    State to;
  };
  // Offered ends by our rejection, the peer's CANCEL or BYE, or a failed send; Accepted by
  // a hangup, the peer's BYE or no ACK; Confirmed by a BYE either way or a session timer.
  static constexpr Arrow kArrows[] = {
      {State::Offered, State::Accepted},     {State::Offered, State::Terminated},
      {State::Accepted, State::Confirmed},   {State::Accepted, State::Terminated},
      {State::Confirmed, State::Terminated},
  };
  for (const Arrow& a : kArrows) {
    if (a.from == from && a.to == to) {
      return true;
    }
  }
  return false;
}

bool UasSession::transitionTo(State next) {
  if (!allowed(state_, next)) {
    refuseTransition("UAS", toString(state_), toString(next));
    return false;
  }
  logTransition("UAS", toString(state_), toString(next));
  state_ = next;
  return true;
}

SessionState UasSession::summary() const {
  switch (state_) {
    case State::Offered:
      return SessionState::Offered;
    case State::Accepted:
      return SessionState::Accepted;
    case State::Confirmed:
      return SessionState::Confirmed;
    case State::Terminated:
      return SessionState::Terminated;
  }
  return SessionState::Terminated;
}

void UasSession::enterTerminated() {
  if (state_ != State::Terminated) {
    transitionTo(State::Terminated);
  }
}

// ---- our answers ----------------------------------------------------------------------

Result<void> UasSession::provisional(int status, const HeaderList& headers) {
  if (state_ != State::Offered || status <= 100 || status >= 200) {
    return fail(Errc::WrongState);
  }
  auto r = message::makeResponse(*invite_, status, {}, localTag_);
  if (!r) {
    return fail(r.error());
  }
  copyRecordRoute(*invite_, *r);
  (void)r->addHeader(
      "Contact", contact_.empty() ? std::string("<") + std::string(invite_->requestUri().text) + ">"
                                  : contact_);
  for (const auto& [name, value] : headers) {
    (void)r->addHeader(name, value);
  }
  return layer_.transactions().respond(inviteTx_, std::move(*r));
}

Result<void> UasSession::answer(std::string sdp, std::string contact, const HeaderList& headers) {
  if (state_ != State::Offered) {
    return fail(Errc::WrongState);
  }
  auto r = message::makeResponse(*invite_, 200, {}, localTag_);
  if (!r) {
    return fail(r.error());
  }
  copyRecordRoute(*invite_, *r);
  contact_ = std::move(contact);
  dlg_->setLocalContact(contact_);
  (void)r->addHeader("Contact", contact_);
  (void)r->addHeader("Allow", kAllow);
  (void)r->addHeader("Supported", "timer");
  (void)r->addHeader("Server", layer_.config().userAgent);
  HeaderList timerHeaders;
  timer_.negotiateAnswer(*invite_, timerHeaders);
  for (const auto& [name, value] : timerHeaders) {
    (void)r->addHeader(name, value);
  }
  for (const auto& [name, value] : headers) {
    (void)r->addHeader(name, value);
  }
  if (!sdp.empty()) {
    r->setBody(sdp, "application/sdp");
  }
  localSdp_ = std::move(sdp);
  auto copy = r->clone();
  if (auto sent = layer_.transactions().respond(inviteTx_, std::move(*r)); !sent) {
    return sent;
  }
  ok_ = std::move(copy);
  transitionTo(State::Accepted);
  dlg_->confirm();
  const auto t1 = layer_.transactions().timers().t1;
  if (!transport::isReliable(arrival_.protocol)) {
    okInterval_ = t1;
    startTimer(SessionTimerName::Retransmit2xx, t1);
  }
  startTimer(SessionTimerName::AckTimeout, 64 * t1);
  return {};
}

Result<void> UasSession::reject(int status, std::string_view reason, const HeaderList& headers) {
  if (state_ != State::Offered || status < 300 || status > 699) {
    return fail(Errc::WrongState);
  }
  auto r = message::makeResponse(*invite_, status, reason, localTag_);
  if (!r) {
    return fail(r.error());
  }
  for (const auto& [name, value] : headers) {
    (void)r->addHeader(name, value);
  }
  (void)layer_.transactions().respond(inviteTx_, std::move(*r));
  EndInfo e;
  e.kind = EndKind::LocalReject;
  e.status = status;
  end(e);
  return {};
}

// ---- the 2xx until its ACK (§13.3.1.4) ------------------------------------------------

void UasSession::stop2xx() {
  stopTimer(SessionTimerName::Retransmit2xx);
  stopTimer(SessionTimerName::AckTimeout);
  ok_.reset();
}

void UasSession::onRoleTimer(SessionTimerName t) {
  switch (t) {
    case SessionTimerName::Retransmit2xx:
      onRetransmit2xx();
      return;
    case SessionTimerName::AckTimeout:
      onAckTimeout();
      return;
    case SessionTimerName::CancelGiveUp:
    case SessionTimerName::Refresh:
    case SessionTimerName::Expiry:
    case SessionTimerName::Count_:
      return;
  }
}

void UasSession::onRetransmit2xx() {
  if (state_ != State::Accepted && !(state_ == State::Terminated && byePending_)) {
    return;
  }
  if (ok_) {
    (void)layer_.transactions().respond(inviteTx_, ok_->clone());
  }
  okInterval_ = std::min(2 * okInterval_, layer_.transactions().timers().t2);
  startTimer(SessionTimerName::Retransmit2xx, okInterval_);
}

void UasSession::onAckTimeout() {
  stopTimer(SessionTimerName::Retransmit2xx);
  ok_.reset();
  // §13.3.1.4: the dialog counts as confirmed, but the session is ended with BYE.
  const bool wasAccepted = state_ == State::Accepted;
  const bool byeWanted = byePending_;
  byePending_ = false;
  if (wasAccepted && hangupHeaders_.empty()) {
    // Like a session-timer expiry: the far end learns why (decision 3: every BYE we start
    // carries a Reason).
    hangupHeaders_ = {{"Reason", "Q.850;cause=102;text=\"Recovery on timer expiry\""}};
  }
  if (wasAccepted || byeWanted) {
    sendBye(hangupHeaders_);
  }
  if (wasAccepted) {
    EndInfo e;
    e.kind = EndKind::NoAck;
    e.error = make_error_code(Errc::Timeout);
    end(e);
    return;
  }
  layer_.maybeFree(*this);
}

void UasSession::onAck() {
  stop2xx();
  if (state_ == State::Accepted) {
    transitionTo(State::Confirmed);
    timer_.start(*invite_, false);
    if (!released_) {
      layer_.observer().onConfirmed(self_);
    }
    return;
  }
  if (byePending_) {
    byePending_ = false;
    sendBye(hangupHeaders_);
  }
  layer_.maybeFree(*this);
}

// ---- ending ---------------------------------------------------------------------------

Result<void> UasSession::hangup(const HeaderList& headers) {
  EndInfo e;
  e.kind = EndKind::LocalBye;
  switch (state_) {
    case State::Offered:
      return fail(Errc::WrongState);  // use reject()
    case State::Accepted:
      // Row 5: hold the BYE until the ACK arrives or the 2xx retransmissions give up.
      hangupHeaders_ = headers;
      byePending_ = true;
      end(e);
      return {};
    case State::Confirmed:
      sendBye(headers);
      end(e);
      return {};
    case State::Terminated:
      return {};
  }
  return {};
}

void UasSession::endForRelease() {
  switch (state_) {
    case State::Offered:
      (void)reject(480, {}, {});
      return;
    case State::Accepted:
    case State::Confirmed:
      (void)hangup({});
      return;
    case State::Terminated:
      return;
  }
}

void UasSession::onCancel(const SipMessage& cancel) {
  if (state_ != State::Offered) {
    return;  // final response already sent: the CANCEL has no effect (§9.2)
  }
  if (auto r = message::makeResponse(*invite_, 487, {}, localTag_)) {
    (void)layer_.transactions().respond(inviteTx_, std::move(*r));
  }
  EndInfo e;
  e.kind = EndKind::Cancel;
  e.message = &cancel;
  end(e);
}

void UasSession::onByeRequest(const SipMessage& bye) {
  if (state_ == State::Terminated) {
    if (byePending_) {
      // We hung up in Accepted and held our BYE for the ACK (row 5), but the peer ended
      // the dialog first (row 6): the held BYE is moot and the 2xx retransmissions stop.
      byePending_ = false;
      stop2xx();
      layer_.maybeFree(*this);
    }
    return;  // crossed BYEs: answered, nothing new to report
  }
  if (state_ == State::Offered) {
    if (auto r = message::makeResponse(*invite_, 487, {}, localTag_)) {
      (void)layer_.transactions().respond(inviteTx_, std::move(*r));
    }
  }
  // Row 6: a BYE before the ACK ends the 2xx retransmissions too.
  stop2xx();
  EndInfo e;
  e.kind = EndKind::Bye;
  e.message = &bye;
  end(e);
}

bool UasSession::onInviteTransactionEnded(const transaction::TerminatedParam& p) {
  // Our answer to an offered INVITE can no longer be sent (its route failed): nothing can
  // answer the INVITE any more either, so the session ends with the transport error.
  if (state_ != State::Offered || p.reason != transaction::EndReason::TransportError) {
    return false;
  }
  EndInfo e;
  e.kind = EndKind::TransportError;
  e.error = make_error_code(Errc::TransportError);
  end(e);
  return true;
}

std::optional<transport::Target> UasSession::reusedConnection(const dialog::Dialog& d) const {
  if (transport::isReliable(arrival_.protocol) && arrival_.transport != nullptr &&
      arrival_.transport->isOpen(arrival_.connection) && d.routeSet().empty()) {
    // Reuse the caller's connection (its Contact port may not listen: RFC 5923 style).
    return transport::Target{protocol_, arrival_.source};
  }
  return std::nullopt;
}

}  // namespace tapi::sip::session
