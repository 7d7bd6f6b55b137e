#include "sip/session/uac_session.hpp"

#include "sip/headers/session_timer.hpp"
#include "sip/session/session_layer.hpp"

namespace tapi::sip::session {

using message::Method;
using message::SipMessage;

UacSession::UacSession(SessionLayer& layer, SessionHandle self, OutgoingInvite call,
                       std::string callId, std::string localTag, SipMessage sent,
                       transaction::TransactionHandle tx)
    : InviteSession(layer, Role::Uac, self, call.target.protocol, std::move(callId),
                    std::move(localTag)),
      target_(call.target) {
  invite_ = std::move(sent);
  inviteTx_ = tx;
  localSdp_ = std::move(call.sdp);
  contact_ = std::move(call.contact);
}

Result<SipMessage> UacSession::makeInvite(const OutgoingInvite& call, const SessionConfig& config,
                                          std::string_view callId, std::string_view tag) {
  auto b = message::MessageBuilder::request(Method::Invite, call.requestUri);
  b.header("Via", "SIP/2.0/UDP 0.0.0.0;branch=z9hG4bKplaceholder");
  b.header("Max-Forwards", "70");
  for (const auto& r : call.routes) {
    b.header("Route", r);
  }
  b.header("From", dialog::withTag(call.from, tag));
  b.header("To", call.to);
  b.header("Call-ID", callId);
  b.header("CSeq", "1 INVITE");
  b.header("Contact", call.contact);
  b.header("Allow", kAllow);
  b.header("Supported", "timer");
  if (config.sessionExpires.count() > 0) {
    b.header("Session-Expires", std::to_string(config.sessionExpires.count()));
    b.header("Min-SE", std::to_string(config.minSessionExpires.count()));
  }
  b.header("User-Agent", config.userAgent);
  for (const auto& [name, value] : call.headers) {
    b.header(name, value);
  }
  if (!call.sdp.empty()) {
    b.body(call.sdp, "application/sdp");
  }
  return b.build();
}

// ---- the state machine ----------------------------------------------------------------

std::string_view UacSession::toString(State s) noexcept {
  switch (s) {
    case State::Calling:
      return "Calling";
    case State::Cancelling:
      return "Cancelling";
    case State::Early:
      return "Early";
    case State::Terminating:
      return "Terminating";
    case State::Confirmed:
      return "Confirmed";
    case State::Terminated:
      return "Terminated";
  }
  return "?";
}

bool UacSession::allowed(State from, State to) noexcept {
  struct Arrow {
    State from;
    State to;
  };
  // Early -> Calling: the INVITE goes again with credentials or a larger interval (401/407,
  // 422). Every live state may end at once (a final response, Timer B, a BYE in an early
  // dialog, a hangup once confirmed).
  static constexpr Arrow kArrows[] = {
      {State::Calling, State::Early},         {State::Calling, State::Cancelling},
      {State::Calling, State::Terminating},   {State::Calling, State::Confirmed},
      {State::Calling, State::Terminated},    {State::Cancelling, State::Terminating},
      {State::Cancelling, State::Terminated}, {State::Early, State::Calling},
      {State::Early, State::Terminating},     {State::Early, State::Confirmed},
      {State::Early, State::Terminated},      {State::Terminating, State::Terminated},
      {State::Confirmed, State::Terminated},
  };
  for (const Arrow& a : kArrows) {
    if (a.from == from && a.to == to) {
      return true;
    }
  }
  return false;
}

bool UacSession::transitionTo(State next) {
  if (!allowed(state_, next)) {
    refuseTransition("UAC", toString(state_), toString(next));
    return false;
  }
  logTransition("UAC", toString(state_), toString(next));
  state_ = next;
  return true;
}

SessionState UacSession::summary() const {
  switch (state_) {
    case State::Calling:
    case State::Cancelling:
      return SessionState::Calling;
    case State::Early:
      return SessionState::Early;
    case State::Terminating:
      return SessionState::Terminating;
    case State::Confirmed:
      return SessionState::Confirmed;
    case State::Terminated:
      return SessionState::Terminated;
  }
  return SessionState::Terminated;
}

void UacSession::enterTerminated() {
  if (state_ != State::Terminated) {
    transitionTo(State::Terminated);
  }
}

// ---- hanging up -----------------------------------------------------------------------

Result<void> UacSession::hangup(const HeaderList& headers) {
  switch (state_) {
    case State::Calling:
      hangupHeaders_ = headers;
      weCancelled_ = true;
      if (provisionalSeen_) {
        sendCancel();
      } else {
        transitionTo(State::Cancelling);  // §9.1: CANCEL waits for a provisional
      }
      return {};
    case State::Cancelling:
      hangupHeaders_ = headers;  // the held CANCEL carries the latest headers
      return {};
    case State::Early:
      hangupHeaders_ = headers;
      weCancelled_ = true;
      sendCancel();
      return {};
    case State::Confirmed: {
      sendBye(headers);
      EndInfo e;
      e.kind = EndKind::LocalBye;
      e.ringingSeen = ringingSeen_;
      end(e);
      return {};
    }
    case State::Terminating:
    case State::Terminated:
      return {};
  }
  return {};
}

void UacSession::endForRelease() {
  (void)hangup({});
}

void UacSession::sendCancel() {
  auto tx = layer_.transactions().sendCancel(inviteTx_, hangupHeaders_);
  if (tx) {
    layer_.track(*this, *tx);
  }
  transitionTo(State::Terminating);
  // §9.1: without a final response 64*T1 after the CANCEL, the INVITE is abandoned.
  startTimer(SessionTimerName::CancelGiveUp, 64 * layer_.transactions().timers().t1);
}

void UacSession::onRoleTimer(SessionTimerName t) {
  if (t != SessionTimerName::CancelGiveUp || state_ != State::Terminating) {
    return;
  }
  // §9.1: the INVITE counts as cancelled and its client transaction is destroyed (it
  // would otherwise wait in Proceeding forever, holding the session).
  (void)layer_.transactions().abandon(inviteTx_);
  endCancelled();
}

void UacSession::endCancelled() {
  EndInfo e;
  e.kind = EndKind::LocalCancel;
  e.ringingSeen = ringingSeen_;
  e.weCancelled = true;
  end(e);
}

// ---- responses to our INVITE ----------------------------------------------------------

void UacSession::onInviteResponse(const transaction::ResponseParam& p) {
  const int code = p.response.statusCode();
  if (code < 200) {
    onProvisional(p.response);
  } else if (code < 300) {
    onSuccess(p.response);
  } else {
    onFailure(p.response);
  }
}

void UacSession::onProvisional(const SipMessage& r) {
  const int code = r.statusCode();
  if (code > 100 && !r.to().tag().empty() && !dlg_) {
    if (auto d = dialog::Dialog::asUac(*invite_, r)) {
      dlg_ = std::move(*d);
    }
  }
  provisionalSeen_ = true;
  ringingSeen_ = ringingSeen_ || code == 180 || code == 183;
  if (state_ == State::Cancelling) {
    sendCancel();
    return;
  }
  if (state_ == State::Calling) {
    transitionTo(State::Early);
  }
  if (state_ == State::Early && !released_) {
    layer_.observer().onProgress(self_, r);
  }
}

void UacSession::onSuccess(const SipMessage& r) {
  // The first 2xx confirms the dialog; retransmissions get the ACK again; a 2xx from
  // another fork is ACKed and ended at once (§13.2.2.4), never shown to the app.
  if (dlg_ && dlg_->confirmed()) {
    if (dlg_->id().remoteTag == r.to().tag()) {
      sendAck(r);
      return;
    }
    endOtherFork(r);
    return;
  }
  auto d = dialog::Dialog::asUac(*invite_, r);
  if (!d) {
    return;  // a 2xx without To tag or Contact cannot be ACKed in-dialog
  }
  // The dialog's CSeq counter continues from the INVITE (re-sent INVITEs advanced it).
  dlg_ = std::move(*d);
  dlg_->setLocalContact(contact_);
  dlg_->confirm();
  sendAck(r);
  if (state_ == State::Cancelling || state_ == State::Terminating) {
    // The CANCEL crossed the 2xx (row 1b): ACK, then BYE.
    sendBye(hangupHeaders_);
    endCancelled();
    return;
  }
  transitionTo(State::Confirmed);
  timer_.start(r, true);
  if (!released_) {
    layer_.observer().onAnswered(self_, r);
  }
}

void UacSession::endOtherFork(const SipMessage& r) {
  auto other = dialog::Dialog::asUac(*invite_, r);
  if (!other) {
    return;
  }
  auto ack = other->makeAck(r.cseq().number);
  auto bye = other->makeRequest("BYE");
  const transport::Target target = inDialogTarget(*other);
  if (ack && bye) {
    (void)layer_.transactions().sendStateless(std::move(*ack), target);
    if (auto tx = layer_.transactions().sendRequest(std::move(*bye), target)) {
      layer_.track(*this, *tx);
    }
  }
}

void UacSession::onFailure(const SipMessage& r) {
  // 3xx-6xx; the transaction has ACKed it. Two are answered by sending the INVITE again
  // (new CSeq, same Call-ID and tags), each at most once: a digest challenge, and 422 with
  // the peer's Min-SE (RFC 4028 §7.4).
  const int code = r.statusCode();
  const bool retryable = state_ != State::Terminating && state_ != State::Cancelling && !released_;
  if ((code == 401 || code == 407) && !authTried_ && retryable) {
    authTried_ = true;
    const SessionHandle self = self_;
    auto header = layer_.observer().onChallenge(self, r);
    auto* again = static_cast<UacSession*>(layer_.find(self));
    if (header && again != nullptr && again->resendInvite({*header})) {
      return;
    }
  }
  if (code == 422 && !intervalRetried_ && retryable && layer_.config().sessionExpires.count() > 0) {
    intervalRetried_ = true;
    const auto minSe = r.header("Min-SE") ? headers::parseMinSe(*r.header("Min-SE")) : std::nullopt;
    if (minSe && *minSe > 0 && *minSe <= 86400 &&
        resendInvite(
            {{"Session-Expires", std::to_string(*minSe)}, {"Min-SE", std::to_string(*minSe)}})) {
      return;
    }
  }
  EndInfo e;
  e.kind = (weCancelled_ && code == 487) ? EndKind::LocalCancel : EndKind::FinalResponse;
  e.message = &r;
  e.status = code;
  e.ringingSeen = ringingSeen_;
  e.weCancelled = weCancelled_;
  if (e.kind == EndKind::FinalResponse) {
    e.error = make_error_code(SipStatus{code});
  }
  end(e);
}

bool UacSession::resendInvite(const HeaderList& replace) {
  SipMessage retry = invite_->clone();
  const std::uint32_t next = retry.cseq().number + 1;
  (void)retry.replaceHeader("CSeq", std::to_string(next) + " INVITE");
  for (const auto& [name, value] : replace) {
    (void)retry.replaceHeader(name, value);
  }
  auto kept = retry.clone();
  auto tx = layer_.transactions().sendRequest(std::move(retry), target_);
  if (!tx) {
    return false;
  }
  invite_ = std::move(kept);
  inviteTx_ = *tx;
  provisionalSeen_ = false;
  if (state_ != State::Calling) {
    transitionTo(State::Calling);
  }
  layer_.track(*this, *tx);
  return true;
}

bool UacSession::onInviteTransactionEnded(const transaction::TerminatedParam& p) {
  // The INVITE transaction is over and no usable final response came: Timer B, a transport
  // error, or (Completed) only 2xx responses no dialog could be made from (no To tag or no
  // Contact, §13.3.1.4). Nothing can answer the INVITE any more, so the session ends here.
  switch (state_) {
    case State::Calling:
    case State::Early: {
      EndInfo e;
      e.kind = p.reason == transaction::EndReason::TransportError ? EndKind::TransportError
                                                                  : EndKind::Timeout;
      e.error =
          make_error_code(e.kind == EndKind::TransportError ? Errc::TransportError : Errc::Timeout);
      e.ringingSeen = ringingSeen_;
      e.weCancelled = weCancelled_;
      end(e);
      return true;
    }
    case State::Cancelling:
    case State::Terminating: {
      EndInfo e;
      e.kind = EndKind::LocalCancel;
      e.ringingSeen = ringingSeen_;
      e.weCancelled = weCancelled_;
      end(e);
      return true;
    }
    case State::Confirmed:
    case State::Terminated:
      return false;
  }
  return false;
}

// ---- in the dialog --------------------------------------------------------------------

void UacSession::onByeRequest(const SipMessage& bye) {
  if (state_ == State::Terminated || state_ == State::Terminating) {
    return;  // crossed BYEs, or after our CANCEL: answered, nothing new to report
  }
  EndInfo e;
  e.kind = EndKind::Bye;
  e.message = &bye;
  end(e);
}

std::optional<transport::Target> UacSession::reusedConnection(const dialog::Dialog& d) const {
  (void)d;
  return std::nullopt;
}

}  // namespace tapi::sip::session
