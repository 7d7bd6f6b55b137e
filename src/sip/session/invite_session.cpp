#include "sip/session/invite_session.hpp"

#include <algorithm>
#include <cctype>

#include <spdlog/spdlog.h>

#include "sip/dialog/target.hpp"
#include "sip/session/session_layer.hpp"

namespace tapi::sip::session {

using message::Method;
using message::SipMessage;
using transaction::TransactionHandle;

bool bodyIsSdp(const SipMessage& m) {
  const auto ct = m.header("Content-Type");
  if (!ct) {
    return true;  // taken as SDP, as the initial INVITE's check does
  }
  std::string_view type = ct->substr(0, ct->find(';'));
  while (!type.empty() && (type.back() == ' ' || type.back() == '\t')) {
    type.remove_suffix(1);
  }
  constexpr std::string_view kSdp = "application/sdp";
  return type.size() == kSdp.size() &&
         std::equal(type.begin(), type.end(), kSdp.begin(), [](char a, char b) {
           return std::tolower(static_cast<unsigned char>(a)) == b;
         });
}

InviteSession::InviteSession(SessionLayer& layer, Role role, SessionHandle self,
                             transport::Protocol protocol, std::string callId, std::string localTag)
    : layer_(layer),
      role_(role),
      self_(self),
      protocol_(protocol),
      callId_(std::move(callId)),
      localTag_(std::move(localTag)) {}

InviteSession::~InviteSession() {
  for (std::size_t i = 0; i < kSessionTimerCount; ++i) {
    stopTimer(static_cast<SessionTimerName>(i));
  }
}

// ---- timers ---------------------------------------------------------------------------

std::size_t InviteSession::timersArmed() const {
  return static_cast<std::size_t>(
      std::count_if(timerIds_.begin(), timerIds_.end(), [](base::TimerId t) { return t != 0; }));
}

bool InviteSession::timerArmed(SessionTimerName t) const {
  return timerIds_[static_cast<std::size_t>(t)] != 0;
}

void InviteSession::startTimer(SessionTimerName t, base::Duration after) {
  base::TimerId& slot = timerIds_[static_cast<std::size_t>(t)];
  if (slot != 0) {
    layer_.loop().cancel(slot);
  }
  SessionLayer* layer = &layer_;
  const SessionHandle h = self_;
  // The handler looks the session up again: it may have been freed in the meantime (its
  // destructor cancels its timers, but the layer may be gone too).
  slot = layer_.loop().schedule(after, layer_.life().guard([layer, h, t] {
    InviteSession* s = layer->find(h);
    if (s == nullptr) {
      return;
    }
    s->timerIds_[static_cast<std::size_t>(t)] = 0;
    s->onTimer(t);
  }));
}

void InviteSession::stopTimer(SessionTimerName t) {
  base::TimerId& slot = timerIds_[static_cast<std::size_t>(t)];
  if (slot != 0) {
    layer_.loop().cancel(slot);
    slot = 0;
  }
}

void InviteSession::onTimer(SessionTimerName t) {
  switch (t) {
    case SessionTimerName::Refresh:
      timer_.onRefreshDue();
      return;
    case SessionTimerName::Expiry:
      timer_.onExpiry();
      return;
    case SessionTimerName::Retransmit2xx:
    case SessionTimerName::AckTimeout:
    case SessionTimerName::CancelGiveUp:
      onRoleTimer(t);
      return;
    case SessionTimerName::Count_:
      return;
  }
}

// ---- ending ---------------------------------------------------------------------------

bool InviteSession::freeable() const {
  // A 2xx still being retransmitted or waiting for its ACK keeps the session.
  return terminated() && liveTx_ == 0 && endReported_ && !freeing_ &&
         !timerArmed(SessionTimerName::Retransmit2xx) && !timerArmed(SessionTimerName::AckTimeout);
}

void InviteSession::end(const EndInfo& info) {
  enterTerminated();
  timer_.stop();
  stopTimer(SessionTimerName::CancelGiveUp);
  if (endReported_) {
    layer_.maybeFree(*this);
    return;
  }
  endReported_ = true;
  ++layer_.counters().endedBy[static_cast<std::size_t>(info.kind)];
  const SessionHandle h = self_;
  if (!released_) {
    layer_.observer().onEnded(h, info);
  }
  if (InviteSession* again = layer_.find(h)) {
    layer_.maybeFree(*again);
  }
}

void InviteSession::release() {
  // The owner has forgotten it: the hangup below reports nothing (no onEnded from here).
  released_ = true;
  const SessionHandle h = self_;
  endForRelease();
  if (InviteSession* s = layer_.find(h)) {
    s->released_ = true;
    if (s->terminated()) {
      s->endReported_ = true;
      layer_.maybeFree(*s);
    }
  }
}

void InviteSession::endWithBye(HeaderList headers, const EndInfo& e) {
  hangupHeaders_ = std::move(headers);
  sendBye(hangupHeaders_);
  end(e);
}

void InviteSession::refuseTransition(std::string_view machine, std::string_view from,
                                     std::string_view to) {
  ++layer_.counters().rejectedTransitions;
  spdlog::error("sip session {} {}: refused {} -> {}", machine, callId_, from, to);
}

void InviteSession::logTransition(std::string_view machine, std::string_view from,
                                  std::string_view to) const {
  spdlog::debug("sip session {} {}: {} -> {}", machine, callId_, from, to);
}

// ---- sending --------------------------------------------------------------------------

void InviteSession::sendBye(const HeaderList& headers) {
  if (!dlg_) {
    return;
  }
  auto bye = dlg_->makeRequest("BYE", headers);
  if (!bye) {
    return;
  }
  (void)sendInDialog(std::move(*bye));
}

std::optional<TransactionHandle> InviteSession::sendInDialog(SipMessage request) {
  auto tx = layer_.transactions().sendRequest(std::move(request), inDialogTarget(*dlg_));
  if (!tx) {
    return std::nullopt;
  }
  layer_.track(*this, *tx);
  return *tx;
}

void InviteSession::sendAck(const SipMessage& response) {
  if (!dlg_) {
    return;
  }
  auto ack = dlg_->makeAck(response.cseq().number);
  if (!ack) {
    return;
  }
  (void)layer_.transactions().sendStateless(std::move(*ack), inDialogTarget(*dlg_));
}

transport::Target InviteSession::inDialogTarget(const dialog::Dialog& d) {
  if (auto reused = reusedConnection(d)) {
    return *reused;
  }
  const transport::Endpoint& peer = knownPeer();
  auto target = dialog::targetForUri(d.nextHopUri(), protocol_);
  if (target && (trustTargets_ || target->endpoint.address == peer.address)) {
    return *target;
  }
  // An untrusted peer's Contact or Record-Route names another host (or one we cannot
  // resolve): a forged INVITE must not make us send to third parties, so the request goes
  // to the address the INVITE came from, its Request-URI and Route unchanged.
  ++layer_.counters().redirectedTargets;
  if (!redirectLogged_) {
    redirectLogged_ = true;
    spdlog::warn("sip session {}: next hop {} is not the peer's address; sending to {}", callId_,
                 d.nextHopUri(), peer.address.to_string());
  }
  return transport::Target{protocol_, peer};
}

// ---- events ---------------------------------------------------------------------------

void InviteSession::onResponse(const transaction::ResponseParam& p) {
  const SipMessage& r = p.response;
  if (r.method() != Method::Invite) {
    // BYE / CANCEL responses: the call is already over locally (a BYE that gets 481 or 408
    // still ends it, row 4). Nothing else to do.
    return;
  }
  if (p.transaction == inviteTx_) {
    onInviteResponse(p);
    return;
  }
  timer_.onRefreshResponse(r);  // a re-INVITE: our session refresh
}

void InviteSession::onAck() {
  layer_.maybeFree(*this);
}

void InviteSession::onTransactionEnded(const transaction::TerminatedParam& p) {
  if (liveTx_ > 0) {
    --liveTx_;
  }
  if (p.transaction == inviteTx_ && onInviteTransactionEnded(p)) {
    return;
  }
  if (timer_.onTransactionEnded(p)) {
    return;
  }
  layer_.maybeFree(*this);
}

void InviteSession::onInDialogRequest(const transaction::RequestParam& p) {
  const SipMessage& m = p.request;
  if (!dlg_->acceptRemoteCSeq(m)) {
    layer_.respondTo(p, 500, "Out of Order CSeq");
    return;
  }
  switch (m.method()) {
    case Method::Bye:
      layer_.respondTo(p, 200);
      onByeRequest(m);
      return;
    case Method::Invite:
      onReinvite(p);
      return;
    case Method::Update:
    case Method::Options:
    case Method::Info:
      onUpdateOptionsInfo(p);
      return;
    case Method::Ack:
    case Method::Cancel:
      return;
    case Method::Register:
    case Method::Prack:
    case Method::Subscribe:
    case Method::Notify:
    case Method::Publish:
    case Method::Refer:
    case Method::Message:
    case Method::Extension:
      layer_.respondTo(p, 501, {}, {{"Allow", std::string(kAllow)}});
      return;
  }
}

void InviteSession::onReinvite(const transaction::RequestParam& p) {
  const SipMessage& m = p.request;
  const SessionState st = summary();
  if (st == SessionState::Offered) {
    // §14.2: a second INVITE before our final response to the first (lower CSeq) gets
    // 500 with Retry-After 0-10 s; 491 is only for an INVITE of our own in progress.
    const unsigned wait = static_cast<unsigned>(message::randomToken().front()) % 11;
    layer_.respondTo(p, 500, {}, {{"Retry-After", std::to_string(wait)}});
    return;
  }
  if (st != SessionState::Confirmed && st != SessionState::Accepted) {
    layer_.respondTo(p, 491);
    return;
  }
  if (timer_.refreshInFlight()) {
    layer_.respondTo(p, 491);  // glare with our own refresh (RFC 3261 §14.2)
    return;
  }
  std::string body;
  if (!answerOffer(p, body)) {
    return;  // refused: the session goes on as it was, target and timers unchanged
  }
  dlg_->refreshTarget(m);
  HeaderList hl{{"Contact", contact_}, {"Allow", std::string(kAllow)}, {"Supported", "timer"}};
  timer_.negotiateReinvite(m, hl);
  auto r = message::makeResponse(m, 200, {}, localTag_);
  if (!r) {
    return;
  }
  for (const auto& [name, value] : hl) {
    (void)r->addHeader(name, value);
  }
  if (!body.empty()) {
    r->setBody(body, "application/sdp");
  }
  if (auto tx = layer_.transactions().createServer(m, p.arrival)) {
    (void)layer_.transactions().respond(*tx, std::move(*r));
  }
  if (confirmed()) {
    timer_.start(m, false);
  }
}

void InviteSession::onUpdateOptionsInfo(const transaction::RequestParam& p) {
  const SipMessage& m = p.request;
  std::string body;
  if (m.method() == Method::Update && !m.body().empty() && !answerOffer(p, body)) {
    return;
  }
  HeaderList hl;
  if (m.method() == Method::Update) {
    timer_.onUpdate(m, hl);
  }
  if (body.empty()) {
    layer_.respondTo(p, 200, {}, hl);
    return;
  }
  if (auto r = message::makeResponse(m, 200, {}, localTag_)) {
    for (const auto& [name, value] : hl) {
      (void)r->addHeader(name, value);
    }
    (void)r->addHeader("Contact", contact_);
    r->setBody(body, "application/sdp");
    if (auto tx = layer_.transactions().createServer(m, p.arrival)) {
      (void)layer_.transactions().respond(*tx, std::move(*r));
    }
  }
}

bool InviteSession::answerOffer(const transaction::RequestParam& p, std::string& body) {
  const SipMessage& m = p.request;
  std::string_view offer;
  if (!m.body().empty()) {
    if (!bodyIsSdp(m)) {
      layer_.respondTo(p, 415, {}, {{"Accept", "application/sdp"}});
      return false;
    }
    offer = m.body();
  }
  OfferAnswer a = layer_.observer().onOffer(self_, OnOfferParam{m, offer});
  if (a.status < 200 || a.status > 299) {
    layer_.respondTo(p, a.status >= 300 && a.status <= 699 ? a.status : 488);
    return false;
  }
  if (!a.sdp.empty()) {
    localSdp_ = std::move(a.sdp);  // what later refreshes offer again (RFC 3264 §8)
  }
  body = localSdp_;
  return true;
}

}  // namespace tapi::sip::session
