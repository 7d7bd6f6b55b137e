#include "sip/session/session_layer.hpp"

#include <algorithm>
#include <cctype>

#include "sip/errc.hpp"
#include "sip/session/invite_session.hpp"
#include "sip/session/session_timer.hpp"
#include "sip/session/uac_session.hpp"
#include "sip/session/uas_session.hpp"

namespace tapi::sip::session {

using message::Method;
using message::SipMessage;
using transaction::TransactionHandle;

namespace {

std::string dialogKey(std::string_view callId, std::string_view localTag) {
  std::string k(callId);
  k += '\x1f';
  k.append(localTag);
  return k;
}

// What identifies an INVITE across paths (§8.2.2.2): Call-ID, From tag and CSeq number.
std::string mergeKey(const SipMessage& m) {
  std::string k(m.callId());
  k += '\x1f';
  k.append(m.from().tag());
  k += '\x1f';
  k += std::to_string(m.cseq().number);
  return k;
}

// Whether an Accept value lists a type we can answer with (application/sdp or a wildcard).
bool acceptsSdp(std::string_view accept) {
  std::string lower(accept);
  for (char& c : lower) {
    c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  }
  return lower.find("application/sdp") != std::string::npos ||
         lower.find("application/*") != std::string::npos ||
         lower.find("*/*") != std::string::npos ||
         lower.find_first_not_of(" \t") == std::string::npos;
}

}  // namespace

std::string_view toString(SessionState s) noexcept {
  switch (s) {
    case SessionState::Calling:
      return "Calling";
    case SessionState::Early:
      return "Early";
    case SessionState::Offered:
      return "Offered";
    case SessionState::Accepted:
      return "Accepted";
    case SessionState::Confirmed:
      return "Confirmed";
    case SessionState::Terminating:
      return "Terminating";
    case SessionState::Terminated:
      return "Terminated";
  }
  return "?";
}

std::string_view toString(EndKind k) noexcept {
  switch (k) {
    case EndKind::LocalBye:
      return "LocalBye";
    case EndKind::LocalCancel:
      return "LocalCancel";
    case EndKind::LocalReject:
      return "LocalReject";
    case EndKind::Bye:
      return "Bye";
    case EndKind::Cancel:
      return "Cancel";
    case EndKind::FinalResponse:
      return "FinalResponse";
    case EndKind::Timeout:
      return "Timeout";
    case EndKind::TransportError:
      return "TransportError";
    case EndKind::SessionExpired:
      return "SessionExpired";
    case EndKind::RefreshFailed:
      return "RefreshFailed";
    case EndKind::NoAck:
      return "NoAck";
    case EndKind::DialogGone:
      return "DialogGone";
    case EndKind::Count_:
      return "?";
  }
  return "?";
}

SessionBox::SessionBox(std::unique_ptr<InviteSession> s) : session(std::move(s)) {}
SessionBox::~SessionBox() = default;

SessionLayer::SessionLayer(base::EventLoop& loop, transport::TransportLayer& transport,
                           SessionObserver& observer, transaction::TimerConfig timers,
                           SessionConfig config)
    : loop_(loop),
      observer_(observer),
      config_(std::move(config)),
      transactions_(loop, transport, *this, timers) {}

// The sessions cancel their own timers as they are destroyed with sessions_.
SessionLayer::~SessionLayer() {
  life_.end();
}

// ---- lookup and bookkeeping ----------------------------------------------------------

InviteSession* SessionLayer::find(SessionHandle h) const {
  SessionBox* b = sessions_.get(h);
  return b == nullptr ? nullptr : b->session.get();
}

InviteSession* SessionLayer::byTransaction(TransactionHandle t) const {
  auto it = byTx_.find(t.packed());
  return it == byTx_.end() ? nullptr : find(it->second);
}

InviteSession* SessionLayer::byDialog(std::string_view callId, std::string_view localTag) const {
  if (localTag.empty()) {
    return nullptr;
  }
  auto it = byDialog_.find(dialogKey(callId, localTag));
  return it == byDialog_.end() ? nullptr : find(it->second);
}

void SessionLayer::track(InviteSession& s, TransactionHandle t) {
  byTx_[t.packed()] = s.handle();
  ++s.liveTx_;
}

void SessionLayer::maybeFree(InviteSession& s) {
  if (!s.freeable()) {
    return;
  }
  s.markFreeing();
  const SessionHandle h = s.handle();
  // Destroyed on a later turn, never inside a callback that still uses it.
  loop_.post(life_.guard([this, h] {
    InviteSession* s2 = find(h);
    if (s2 == nullptr) {
      return;
    }
    if (auto it = byDialog_.find(dialogKey(s2->callId(), s2->localTag()));
        it != byDialog_.end() && it->second == h) {
      byDialog_.erase(it);
    }
    if (auto it = byInvite_.find(s2->mergeKey()); it != byInvite_.end() && it->second == h) {
      byInvite_.erase(it);
    }
    sessions_.erase(h);  // its destructor disarms its timers
  }));
}

std::optional<SessionState> SessionLayer::state(SessionHandle h) const {
  const InviteSession* s = find(h);
  return s == nullptr ? std::nullopt : std::optional<SessionState>(s->summary());
}

const dialog::Dialog* SessionLayer::dialogOf(SessionHandle h) const {
  const InviteSession* s = find(h);
  return (s == nullptr || !s->currentDialog()) ? nullptr : &*s->currentDialog();
}

std::string SessionLayer::callId(SessionHandle h) const {
  const InviteSession* s = find(h);
  return s == nullptr ? std::string{} : s->callId();
}

SessionStats SessionLayer::stats() const {
  SessionStats st;
  st.sessions = sessions_.size();
  sessions_.forEach([&](SessionHandle, const SessionBox& b) {
    const InviteSession& s = *b.session;
    st.dialogs += s.currentDialog() ? 1 : 0;
    st.timers += s.timersArmed();
  });
  st.outOfDialog = outOfDialog_.size();
  st.answered481 = counters_.answered481;
  st.redirectedTargets = counters_.redirectedTargets;
  st.createdTotal = counters_.created;
  st.rejectedTransitions = counters_.rejectedTransitions;
  st.endedBy = counters_.endedBy;
  return st;
}

std::size_t SessionLayer::unfinished() const {
  std::size_t n = 0;
  sessions_.forEach(
      [&](SessionHandle, const SessionBox& b) { n += b.session->unfinished() ? 1 : 0; });
  for (const auto& [tx, h] : byTx_) {
    const auto handle = TransactionHandle::fromPacked(tx);
    const std::string_view st = transactions_.stateName(handle);
    if (transactions_.kind(handle) == transaction::TransactionKind::NonInviteClient &&
        (st == "Trying" || st == "Proceeding")) {
      ++n;
    }
  }
  return n;
}

// ---- the owner's requests -------------------------------------------------------------

Result<SessionHandle> SessionLayer::invite(OutgoingInvite call) {
  std::string callId = message::randomToken() + message::randomToken();
  std::string tag = message::randomToken();
  auto msg = UacSession::makeInvite(call, config_, callId, tag);
  if (!msg) {
    return fail(msg.error());
  }
  auto kept = msg->clone();
  auto tx = transactions_.sendRequest(std::move(*msg), call.target);
  if (!tx) {
    return fail(tx.error());
  }
  auto [h, box] = sessions_.emplace(nullptr);
  box->session =
      std::make_unique<UacSession>(*this, h, std::move(call), callId, tag, std::move(kept), *tx);
  ++counters_.created;
  track(*box->session, *tx);
  byDialog_[dialogKey(callId, tag)] = h;
  return h;
}

namespace {

// The UAS session `h` names: stale, or refused when it is a UAC's.
Result<UasSession*> uasOf(InviteSession* s) {
  if (s == nullptr) {
    return fail(Errc::StaleHandle);
  }
  if (s->role() != Role::Uas) {
    return fail(Errc::WrongState);
  }
  return static_cast<UasSession*>(s);
}

}  // namespace

Result<void> SessionLayer::provisional(SessionHandle h, int status, const HeaderList& headers) {
  auto s = uasOf(find(h));
  if (!s) {
    return fail(s.error());
  }
  return (*s)->provisional(status, headers);
}

Result<void> SessionLayer::answer(SessionHandle h, std::string sdp, std::string contact,
                                  const HeaderList& headers) {
  auto s = uasOf(find(h));
  if (!s) {
    return fail(s.error());
  }
  return (*s)->answer(std::move(sdp), std::move(contact), headers);
}

Result<void> SessionLayer::reject(SessionHandle h, int status, std::string_view reason,
                                  const HeaderList& headers) {
  auto s = uasOf(find(h));
  if (!s) {
    return fail(s.error());
  }
  return (*s)->reject(status, reason, headers);
}

Result<void> SessionLayer::hangup(SessionHandle h, const HeaderList& headers) {
  InviteSession* s = find(h);
  if (s == nullptr) {
    return fail(Errc::StaleHandle);
  }
  return s->hangup(headers);
}

void SessionLayer::release(SessionHandle h) {
  if (InviteSession* s = find(h)) {
    s->release();
  }
}

Result<void> SessionLayer::sendRequest(SipMessage request, const transport::Target& target,
                                       ResponseCallback done) {
  auto tx = transactions_.sendRequest(std::move(request), target);
  if (!tx) {
    return fail(tx.error());
  }
  outOfDialog_[tx->packed()] = std::move(done);
  return {};
}

// ---- from the transaction layer -------------------------------------------------------

void SessionLayer::onResponse(const transaction::ResponseParam& p) {
  const SipMessage& r = p.response;
  if (auto it = outOfDialog_.find(p.transaction.packed());
      p.transaction.valid() && it != outOfDialog_.end()) {
    if (r.statusCode() >= 200) {
      ResponseCallback cb = std::move(it->second);
      outOfDialog_.erase(it);
      if (cb) {
        cb(&r,
           r.statusCode() >= 300 ? make_error_code(SipStatus{r.statusCode()}) : std::error_code());
      }
    }
    return;
  }
  InviteSession* s = p.transaction.valid() ? byTransaction(p.transaction) : nullptr;
  if (s == nullptr) {
    // A 2xx to an INVITE whose transaction is gone (after Timer M): re-ACK it if the
    // dialog is still ours, so the peer stops retransmitting.
    if (r.method() == Method::Invite && r.statusCode() >= 200 && r.statusCode() < 300) {
      if (InviteSession* d = byDialog(r.callId(), r.from().tag());
          d != nullptr && d->currentDialog()) {
        d->sendAck(r);
      }
    }
    return;
  }
  s->onResponse(p);
}

void SessionLayer::respondTo(const transaction::RequestParam& p, int status,
                             std::string_view reason, const HeaderList& headers,
                             std::string_view toTag) {
  auto r = message::makeResponse(p.request, status, reason, toTag);
  if (!r) {
    return;
  }
  for (const auto& [name, value] : headers) {
    (void)r->addHeader(name, value);
  }
  // A server transaction absorbs retransmissions of the request; fall back to stateless.
  if (auto tx = transactions_.createServer(p.request, p.arrival)) {
    (void)transactions_.respond(*tx, std::move(*r));
  } else {
    (void)transactions_.respondStateless(*r, p.arrival);
  }
}

void SessionLayer::onRequest(const transaction::RequestParam& p) {
  const SipMessage& m = p.request;
  const Method method = m.method();
  if (!m.requestUri().isSip()) {
    // §8.2.2.1: a Request-URI scheme we do not understand (RFC 4475 unkscm, novelsc); never
    // routed by To instead. An ACK gets no response.
    if (method != Method::Ack) {
      respondTo(p, 416);
    }
    return;
  }
  if (method == Method::Cancel) {
    onCancelRequest(p);
    return;
  }
  const std::string_view toTag = m.to().tag();
  if (!toTag.empty()) {
    InviteSession* s = byDialog(m.callId(), toTag);
    if (s != nullptr && s->currentDialog() && !s->currentDialog()->id().remoteTag.empty() &&
        s->currentDialog()->id().remoteTag != m.from().tag()) {
      s = nullptr;
    }
    if (method == Method::Ack) {
      // Accepted, or hung up in Accepted (the BYE waits for this ACK, row 5).
      if (s != nullptr && s->wantsAck()) {
        transaction::AckParam a{s->inviteTransaction(), m, p.arrival};
        onAck(a);
      }
      return;  // a stray ACK is dropped silently (§12.2.2)
    }
    // A UAC session has no dialog until a response with a To tag makes one: a request that
    // names our tag before then matches nothing (§12.2.2).
    if (s == nullptr || !s->currentDialog() || (s->terminated() && method != Method::Bye)) {
      ++counters_.answered481;
      respondTo(p, 481);
      return;
    }
    s->onInDialogRequest(p);
    return;
  }
  if (method != Method::Invite && method != Method::Ack && refuseUnsupported(p)) {
    return;
  }
  switch (method) {
    case Method::Invite:
      onNewInvite(p);
      return;
    case Method::Ack:
      return;
    case Method::Options:
      respondTo(p, 200, {}, {{"Allow", std::string(kAllow)}, {"Accept", "application/sdp"}});
      return;
    case Method::Bye:
      ++counters_.answered481;
      respondTo(p, 481);
      return;
    case Method::Cancel:
    case Method::Register:
    case Method::Prack:
    case Method::Subscribe:
    case Method::Notify:
    case Method::Publish:
    case Method::Info:
    case Method::Refer:
    case Method::Message:
    case Method::Update:
      respondTo(p, 405, {}, {{"Allow", std::string(kAllow)}});
      return;
    case Method::Extension:
      respondTo(p, 501, {}, {{"Allow", std::string(kAllow)}});
      return;
  }
}

bool SessionLayer::refuseUnsupported(const transaction::RequestParam& p) {
  // §8.2.2.3: option tags we do not support (RFC 4475 bext01), for every method but ACK.
  std::string unsupported;
  for (std::string_view tag : p.request.headerValues("Require")) {
    if (tag != "timer") {
      unsupported += unsupported.empty() ? "" : ", ";
      unsupported.append(tag);
    }
  }
  if (unsupported.empty()) {
    return false;
  }
  respondTo(p, 420, {}, {{"Unsupported", unsupported}});
  return true;
}

void SessionLayer::onNewInvite(const transaction::RequestParam& p) {
  const SipMessage& m = p.request;
  // §8.2.2.2: the same INVITE (Call-ID, From tag, CSeq) by another path is a merged request.
  // Retransmissions on the same path never get here: its server transaction absorbs them.
  std::string merged = mergeKey(m);
  if (auto it = byInvite_.find(merged); it != byInvite_.end() && find(it->second) != nullptr) {
    respondTo(p, 482);
    return;
  }
  if (refuseUnsupported(p)) {
    return;
  }
  // §8.2.2.2 / RFC 4475 sdp01: an INVITE whose Accept leaves out SDP cannot be answered.
  if (const auto accept = m.header("Accept"); accept && !acceptsSdp(*accept)) {
    respondTo(p, 406, {}, {{"Accept", "application/sdp"}});
    return;
  }
  if (!m.body().empty() && !bodyIsSdp(m)) {
    respondTo(p, 415, {}, {{"Accept", "application/sdp"}});
    return;
  }
  if (auto se = parseSessionExpires(m);
      se && config_.sessionExpires.count() > 0 &&
      se->seconds < static_cast<std::uint32_t>(config_.minSessionExpires.count())) {
    respondTo(p, 422, {}, {{"Min-SE", std::to_string(config_.minSessionExpires.count())}});
    return;
  }
  std::string tag = message::randomToken();
  auto d = dialog::Dialog::asUas(m, tag);
  if (!d) {
    respondTo(p, 400, "Bad Contact");
    return;
  }
  auto tx = transactions_.createServer(m, p.arrival);
  if (!tx) {
    return;  // over the transaction limit: the peer retransmits or gives up
  }
  const bool trusted = std::find(config_.trustedPeers.begin(), config_.trustedPeers.end(),
                                 p.arrival.source.address) != config_.trustedPeers.end();
  auto [h, box] = sessions_.emplace(nullptr);
  auto owned = std::make_unique<UasSession>(*this, h, m, p.arrival, tag, std::move(*d), *tx, merged,
                                            trusted);
  UasSession& s = *owned;
  box->session = std::move(owned);
  ++counters_.created;
  track(s, *tx);
  byDialog_[dialogKey(s.callId(), s.localTag())] = h;
  byInvite_[merged] = h;
  observer_.onIncoming(h, s.invite(), s.arrival());
}

void SessionLayer::onCancelRequest(const transaction::RequestParam& p) {
  const TransactionHandle inv = transactions_.findInviteServerForCancel(p.request);
  InviteSession* s = inv.valid() ? byTransaction(inv) : nullptr;
  if (s == nullptr) {
    ++counters_.answered481;
    respondTo(p, 481);
    return;
  }
  // §9.2: the 200 to a CANCEL carries the To tag of our responses to the INVITE.
  respondTo(p, 200, {}, {}, s->localTag());
  if (s->role() == Role::Uas) {  // only a UAS session holds an INVITE server transaction
    static_cast<UasSession*>(s)->onCancel(p.request);
  }
}

void SessionLayer::onAck(const transaction::AckParam& p) {
  InviteSession* s = byTransaction(p.transaction);
  if (s == nullptr) {
    s = byDialog(p.ack.callId(), p.ack.to().tag());
  }
  if (s != nullptr) {
    s->onAck();
  }
}

void SessionLayer::onTransportError(const transaction::TransportErrorParam&) {
  // Ends that matter arrive as onTerminated(TransportError).
}

void SessionLayer::onTerminated(const transaction::TerminatedParam& p) {
  if (auto it = outOfDialog_.find(p.transaction.packed()); it != outOfDialog_.end()) {
    ResponseCallback cb = std::move(it->second);
    outOfDialog_.erase(it);
    if (cb) {
      cb(nullptr, p.reason == transaction::EndReason::TransportError
                      ? make_error_code(Errc::TransportError)
                      : make_error_code(Errc::Timeout));
    }
    return;
  }
  auto it = byTx_.find(p.transaction.packed());
  if (it == byTx_.end()) {
    return;
  }
  const SessionHandle h = it->second;
  byTx_.erase(it);
  if (InviteSession* s = find(h)) {
    s->onTransactionEnded(p);
  }
}

}  // namespace tapi::sip::session
