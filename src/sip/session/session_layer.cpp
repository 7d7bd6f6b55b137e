#include "sip/session/session_layer.hpp"

#include <algorithm>
#include <cctype>

#include <spdlog/spdlog.h>

#include "sip/dialog/target.hpp"
#include "sip/headers/session_timer.hpp"
#include "sip/transport/branch.hpp"

namespace tapi::sip::session {

using message::Method;
using message::SipMessage;
using transaction::TransactionHandle;

namespace {

constexpr std::string_view kAllow = "INVITE, ACK, CANCEL, BYE, OPTIONS, UPDATE, INFO";

std::error_code stale() {
  return std::make_error_code(std::errc::no_such_process);
}
std::error_code wrongState() {
  return std::make_error_code(std::errc::operation_not_permitted);
}

std::string dialogKey(std::string_view callId, std::string_view localTag) {
  std::string k(callId);
  k += '\x1f';
  k.append(localTag);
  return k;
}

struct SessionExpiresValue {
  std::uint32_t seconds = 0;
  std::string_view refresher;  // "uac", "uas" or empty
};

// The message's Session-Expires (RFC 4028 §4; compact form "x"), parsed by sip/headers.
std::optional<SessionExpiresValue> parseSessionExpires(const SipMessage& m) {
  auto v = m.header("Session-Expires");
  if (!v) {
    v = m.header("x");
  }
  if (!v) {
    return std::nullopt;
  }
  const auto se = headers::parseSessionExpires(*v);
  if (!se || se->seconds == 0) {
    return std::nullopt;
  }
  SessionExpiresValue out;
  out.seconds = se->seconds;
  switch (se->refresher) {
    case headers::SessionExpires::Refresher::Uac:
      out.refresher = "uac";
      break;
    case headers::SessionExpires::Refresher::Uas:
      out.refresher = "uas";
      break;
    case headers::SessionExpires::Refresher::Unspecified:
      break;
  }
  return out;
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

bool listHas(const SipMessage& m, std::string_view header, std::string_view token) {
  for (std::string_view v : m.headerValues(header)) {
    if (v.size() == token.size() &&
        std::equal(v.begin(), v.end(), token.begin(),
                   [](char a, char b) { return (a | 0x20) == (b | 0x20); })) {
      return true;
    }
  }
  return false;
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
    case EndKind::LocalHangup:
      return "LocalHangup";
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
  }
  return "?";
}

struct Session {
  SessionHandle self;
  Role role = Role::Uac;
  SessionState state = SessionState::Calling;
  transport::Protocol protocol = transport::Protocol::Udp;
  bool released = false;     // the observer forgot it: no more callbacks
  bool endReported = false;  // onEnded ran (or was suppressed by release)
  bool freeing = false;
  std::string callId;
  std::string localTag;
  std::optional<dialog::Dialog> dlg;
  std::optional<SipMessage> invite;  // UAC: ours (re-sent with credentials); UAS: received
  transport::Arrival arrival;        // UAS: how the INVITE arrived
  transport::Target target;          // UAC: first hop of the INVITE
  TransactionHandle inviteTx;
  std::optional<SipMessage> ack;  // UAC: the ACK, re-sent for each 2xx retransmission
  std::optional<SipMessage> ok;   // UAS: our 2xx, re-sent until the ACK arrives
  base::Duration okInterval{};
  base::TimerId retransmitTimer = 0;
  base::TimerId ackTimer = 0;
  base::TimerId cancelTimer = 0;
  base::TimerId refreshTimer = 0;
  base::TimerId expiryTimer = 0;
  bool provisionalSeen = false;
  bool ringingSeen = false;
  bool cancelPending = false;  // hangup() in Calling: CANCEL once a provisional arrives
  bool byePending = false;     // hangup() in Accepted: BYE once the ACK arrives
  bool weCancelled = false;
  bool authTried = false;
  bool intervalRetried = false;
  std::string inviteKey;  // UAS: the INVITE's merge key (§8.2.2.2)  // INVITE re-sent after a 422
                          // (RFC 4028 §7.4)
  bool refreshInFlight = false;
  TransactionHandle refreshTx;  // our last session-refresh re-INVITE
  HeaderList hangupHeaders;
  std::string localSdp;
  std::string contact;
  std::chrono::seconds interval{0};  // agreed session interval, 0: no session timer
  bool weRefresh = false;
  std::size_t liveTx = 0;
  std::vector<std::string> preRoutes;  // UAC: preloaded Route for the initial INVITE
  // Whether the dialog's Contact and Record-Route may send our in-dialog requests anywhere:
  // yes for our own INVITEs (their answers had to match our branch) and for INVITEs from a
  // trusted peer (SessionConfig::trustedPeers); else only to the INVITE's source address
  // (docs/security.md).
  bool trustTargets = true;
  bool redirectLogged = false;
};

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

// A body we can take as an offer: Content-Type application/sdp (any case, any parameters);
// a body without Content-Type is taken as SDP, as the initial INVITE's check does.
bool bodyIsSdp(const SipMessage& m) {
  const auto ct = m.header("Content-Type");
  if (!ct) {
    return true;
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

SessionBox::SessionBox(std::unique_ptr<Session> s) : session(std::move(s)) {}
SessionBox::~SessionBox() = default;

SessionLayer::SessionLayer(base::EventLoop& loop, transport::TransportLayer& transport,
                           SessionObserver& observer, transaction::TimerConfig timers,
                           SessionConfig config)
    : loop_(loop),
      observer_(observer),
      config_(std::move(config)),
      transactions_(loop, transport, *this, timers) {}

SessionLayer::~SessionLayer() {
  *alive_ = false;
  sessions_.forEach([&](SessionHandle, const SessionBox& b) {
    const Session& s = *b.session;
    for (base::TimerId t :
         {s.retransmitTimer, s.ackTimer, s.cancelTimer, s.refreshTimer, s.expiryTimer}) {
      if (t != 0) {
        loop_.cancel(t);
      }
    }
  });
}

// ---- lookup and bookkeeping ----------------------------------------------------------

Session* SessionLayer::get(SessionHandle h) const {
  SessionBox* b = sessions_.get(h);
  return b == nullptr ? nullptr : b->session.get();
}

Session* SessionLayer::byTransaction(TransactionHandle t) const {
  auto it = byTx_.find(t.packed());
  return it == byTx_.end() ? nullptr : get(it->second);
}

Session* SessionLayer::byDialog(std::string_view callId, std::string_view localTag) const {
  if (localTag.empty()) {
    return nullptr;
  }
  auto it = byDialog_.find(dialogKey(callId, localTag));
  return it == byDialog_.end() ? nullptr : get(it->second);
}

void SessionLayer::track(Session& s, TransactionHandle t) {
  byTx_[t.packed()] = s.self;
  ++s.liveTx;
}

void SessionLayer::armTimer(Session& s, base::TimerId& slot, base::Duration after,
                            void (SessionLayer::*fn)(SessionHandle)) {
  if (slot != 0) {
    loop_.cancel(slot);
  }
  const SessionHandle h = s.self;
  std::weak_ptr<bool> alive = alive_;
  // The slot is a member of the session; the handler clears it before anything else.
  slot = loop_.schedule(after, [this, alive, h, fn] {
    if (alive.expired()) {
      return;
    }
    (this->*fn)(h);
  });
}

void SessionLayer::disarm(Session&, base::TimerId& slot) {
  if (slot != 0) {
    loop_.cancel(slot);
    slot = 0;
  }
}

void SessionLayer::end(Session& s, const EndInfo& info) {
  s.state = SessionState::Terminated;
  disarm(s, s.refreshTimer);
  disarm(s, s.expiryTimer);
  disarm(s, s.cancelTimer);
  if (s.endReported) {
    maybeFree(s);
    return;
  }
  s.endReported = true;
  ++endedBy_[static_cast<std::size_t>(info.kind)];
  const SessionHandle h = s.self;
  if (!s.released) {
    observer_.onEnded(h, info);
  }
  if (Session* again = get(h)) {
    maybeFree(*again);
  }
}

void SessionLayer::maybeFree(Session& s) {
  if (s.state != SessionState::Terminated || s.liveTx != 0 || !s.endReported || s.freeing) {
    return;
  }
  // A 2xx still being retransmitted or waiting for its ACK keeps the session.
  if (s.retransmitTimer != 0 || s.ackTimer != 0) {
    return;
  }
  s.freeing = true;
  const SessionHandle h = s.self;
  std::weak_ptr<bool> alive = alive_;
  // Destroyed on a later turn, never inside a callback that still uses it.
  loop_.post([this, alive, h] {
    if (alive.expired()) {
      return;
    }
    Session* s2 = get(h);
    if (s2 == nullptr) {
      return;
    }
    for (base::TimerId* t : {&s2->retransmitTimer, &s2->ackTimer, &s2->cancelTimer,
                             &s2->refreshTimer, &s2->expiryTimer}) {
      disarm(*s2, *t);
    }
    if (auto it = byDialog_.find(dialogKey(s2->callId, s2->localTag));
        it != byDialog_.end() && it->second == h) {
      byDialog_.erase(it);
    }
    if (auto it = byInvite_.find(s2->inviteKey); it != byInvite_.end() && it->second == h) {
      byInvite_.erase(it);
    }
    sessions_.erase(h);
  });
}

std::optional<SessionState> SessionLayer::state(SessionHandle h) const {
  const Session* s = get(h);
  return s == nullptr ? std::nullopt : std::optional<SessionState>(s->state);
}

const dialog::Dialog* SessionLayer::dialogOf(SessionHandle h) const {
  const Session* s = get(h);
  return (s == nullptr || !s->dlg) ? nullptr : &*s->dlg;
}

std::string SessionLayer::callId(SessionHandle h) const {
  const Session* s = get(h);
  return s == nullptr ? std::string{} : s->callId;
}

SessionStats SessionLayer::stats() const {
  SessionStats st;
  st.sessions = sessions_.size();
  sessions_.forEach([&](SessionHandle, const SessionBox& b) {
    const Session& s = *b.session;
    st.dialogs += s.dlg ? 1 : 0;
    for (base::TimerId t :
         {s.retransmitTimer, s.ackTimer, s.cancelTimer, s.refreshTimer, s.expiryTimer}) {
      st.timers += t != 0 ? 1 : 0;
    }
  });
  st.outOfDialog = outOfDialog_.size();
  st.answered481 = answered481_;
  st.redirectedTargets = redirectedTargets_;
  st.createdTotal = created_;
  st.endedBy = endedBy_;
  return st;
}

std::size_t SessionLayer::unfinished() const {
  std::size_t n = 0;
  sessions_.forEach([&](SessionHandle, const SessionBox& b) {
    const Session& s = *b.session;
    n += (s.state != SessionState::Terminated || s.byePending) ? 1 : 0;
  });
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

// ---- UAC -----------------------------------------------------------------------------

Result<SessionHandle> SessionLayer::invite(OutgoingInvite call) {
  const std::string callId = message::randomToken() + message::randomToken();
  const std::string tag = message::randomToken();
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
  if (config_.sessionExpires.count() > 0) {
    b.header("Session-Expires", std::to_string(config_.sessionExpires.count()));
    b.header("Min-SE", std::to_string(config_.minSessionExpires.count()));
  }
  b.header("User-Agent", config_.userAgent);
  for (const auto& [name, value] : call.headers) {
    b.header(name, value);
  }
  if (!call.sdp.empty()) {
    b.body(call.sdp, "application/sdp");
  }
  auto msg = b.build();
  if (!msg) {
    return fail(msg.error());
  }
  auto kept = msg->clone();
  auto tx = transactions_.sendRequest(std::move(*msg), call.target);
  if (!tx) {
    return fail(tx.error());
  }
  auto [h, box] = sessions_.emplace(std::make_unique<Session>());
  (void)box;
  Session& s = *get(h);
  s.self = h;
  s.role = Role::Uac;
  s.state = SessionState::Calling;
  s.protocol = call.target.protocol;
  s.callId = callId;
  s.localTag = tag;
  s.invite = std::move(kept);
  s.target = call.target;
  s.inviteTx = *tx;
  s.localSdp = std::move(call.sdp);
  s.contact = std::move(call.contact);
  s.preRoutes = std::move(call.routes);
  ++created_;
  track(s, *tx);
  byDialog_[dialogKey(callId, tag)] = h;
  return h;
}

bool SessionLayer::resendInvite(Session& s, const HeaderList& replace) {
  SipMessage retry = s.invite->clone();
  const std::uint32_t next = retry.cseq().number + 1;
  (void)retry.replaceHeader("CSeq", std::to_string(next) + " INVITE");
  for (const auto& [name, value] : replace) {
    (void)retry.replaceHeader(name, value);
  }
  auto kept = retry.clone();
  auto tx = transactions_.sendRequest(std::move(retry), s.target);
  if (!tx) {
    return false;
  }
  s.invite = std::move(kept);
  s.inviteTx = *tx;
  s.provisionalSeen = false;
  s.state = SessionState::Calling;
  track(s, *tx);
  return true;
}

void SessionLayer::sendAck(Session& s, const SipMessage& response) {
  if (!s.dlg) {
    return;
  }
  auto ack = s.dlg->makeAck(response.cseq().number);
  if (!ack) {
    return;
  }
  (void)transactions_.sendStateless(std::move(*ack), inDialogTarget(s, *s.dlg));
}

void SessionLayer::sendCancel(Session& s) {
  s.cancelPending = false;
  auto tx = transactions_.sendCancel(s.inviteTx, s.hangupHeaders);
  if (tx) {
    track(s, *tx);
  }
  s.state = SessionState::Terminating;
  // §9.1: without a final response 64*T1 after the CANCEL, the INVITE is abandoned.
  armTimer(s, s.cancelTimer, 64 * transactions_.timers().t1, &SessionLayer::onCancelGiveUp);
}

void SessionLayer::onCancelGiveUp(SessionHandle h) {
  Session* s = get(h);
  if (s == nullptr) {
    return;
  }
  s->cancelTimer = 0;
  if (s->state == SessionState::Terminating) {
    // §9.1: the INVITE counts as cancelled and its client transaction is destroyed (it
    // would otherwise wait in Proceeding forever, holding the session).
    (void)transactions_.abandon(s->inviteTx);
    EndInfo e;
    e.kind = EndKind::LocalHangup;
    e.ringingSeen = s->ringingSeen;
    e.weCancelled = true;
    end(*s, e);
  }
}

transport::Target SessionLayer::inDialogTarget(Session& s, const dialog::Dialog& d) {
  if (s.role == Role::Uas && transport::isReliable(s.arrival.protocol) &&
      s.arrival.transport != nullptr && s.arrival.transport->isOpen(s.arrival.connection) &&
      d.routeSet().empty()) {
    // Reuse the caller's connection (its Contact port may not listen: RFC 5923 style).
    return transport::Target{s.protocol, s.arrival.source};
  }
  // Where the peer is known to be: the INVITE's source (UAS) or its first hop (UAC).
  const transport::Endpoint& peer = s.role == Role::Uas ? s.arrival.source : s.target.endpoint;
  auto target = dialog::targetForUri(d.nextHopUri(), s.protocol);
  if (target && (s.trustTargets || target->endpoint.address == peer.address)) {
    return *target;
  }
  // An untrusted peer's Contact or Record-Route names another host (or one we cannot
  // resolve): a forged INVITE must not make us send to third parties, so the request goes
  // to the address the INVITE came from, its Request-URI and Route unchanged.
  ++redirectedTargets_;
  if (!s.redirectLogged) {
    s.redirectLogged = true;
    spdlog::warn("sip session {}: next hop {} is not the peer's address; sending to {}", s.callId,
                 d.nextHopUri(), peer.address.to_string());
  }
  return transport::Target{s.protocol, peer};
}

void SessionLayer::onInviteResponse(Session& s, const transaction::ResponseParam& p) {
  const SipMessage& r = p.response;
  const int code = r.statusCode();
  if (code < 200) {
    if (code > 100 && !r.to().tag().empty() && !s.dlg) {
      if (auto d = dialog::Dialog::asUac(*s.invite, r)) {
        s.dlg = std::move(*d);
      }
    }
    s.provisionalSeen = true;
    s.ringingSeen = s.ringingSeen || code == 180 || code == 183;
    if (s.cancelPending) {
      sendCancel(s);
      return;
    }
    if (s.state == SessionState::Calling) {
      s.state = SessionState::Early;
    }
    if (s.state == SessionState::Early && !s.released) {
      observer_.onProgress(s.self, r);
    }
    return;
  }
  if (code < 300) {
    // A 2xx: the first confirms the dialog; retransmissions get the ACK again; a 2xx from
    // another fork is ACKed and ended at once (§13.2.2.4), never shown to the app.
    if (s.dlg && s.dlg->confirmed()) {
      if (s.dlg->id().remoteTag == r.to().tag()) {
        sendAck(s, r);
        return;
      }
      auto other = dialog::Dialog::asUac(*s.invite, r);
      if (other) {
        auto ack = other->makeAck(r.cseq().number);
        auto bye = other->makeRequest("BYE");
        const transport::Target target = inDialogTarget(s, *other);
        if (ack && bye) {
          (void)transactions_.sendStateless(std::move(*ack), target);
          if (auto tx = transactions_.sendRequest(std::move(*bye), target)) {
            track(s, *tx);
          }
        }
      }
      return;
    }
    auto d = dialog::Dialog::asUac(*s.invite, r);
    if (!d) {
      return;  // a 2xx without To tag or Contact cannot be ACKed in-dialog
    }
    // The dialog's CSeq counter continues from the INVITE (re-sent INVITEs advanced it).
    s.dlg = std::move(*d);
    s.dlg->setLocalContact(s.contact);
    s.dlg->confirm();
    sendAck(s, r);
    if (s.cancelPending || s.state == SessionState::Terminating) {
      // The CANCEL crossed the 2xx (row 1b): ACK, then BYE.
      s.cancelPending = false;
      sendBye(s, s.hangupHeaders);
      EndInfo e;
      e.kind = EndKind::LocalHangup;
      e.ringingSeen = s.ringingSeen;
      e.weCancelled = true;
      end(s, e);
      return;
    }
    s.state = SessionState::Confirmed;
    startSessionTimer(s, r, true);
    if (!s.released) {
      observer_.onAnswered(s.self, r);
    }
    return;
  }
  // 3xx-6xx; the transaction has ACKed it. Two are answered by sending the INVITE again
  // (new CSeq, same Call-ID and tags), each at most once: a digest challenge, and 422 with
  // the peer's Min-SE (RFC 4028 §7.4).
  const bool retryable = s.state != SessionState::Terminating && !s.cancelPending && !s.released;
  if ((code == 401 || code == 407) && !s.authTried && retryable) {
    s.authTried = true;
    const SessionHandle self = s.self;
    auto header = observer_.onChallenge(self, r);
    Session* again = get(self);
    if (header && again != nullptr && resendInvite(*again, {*header})) {
      return;
    }
  }
  if (code == 422 && !s.intervalRetried && retryable && config_.sessionExpires.count() > 0) {
    s.intervalRetried = true;
    const auto minSe = r.header("Min-SE") ? headers::parseMinSe(*r.header("Min-SE")) : std::nullopt;
    if (minSe && *minSe > 0 && *minSe <= 86400 &&
        resendInvite(
            s, {{"Session-Expires", std::to_string(*minSe)}, {"Min-SE", std::to_string(*minSe)}})) {
      return;
    }
  }
  EndInfo e;
  e.kind = (s.weCancelled && code == 487) ? EndKind::LocalHangup : EndKind::FinalResponse;
  e.message = &r;
  e.status = code;
  e.ringingSeen = s.ringingSeen;
  e.weCancelled = s.weCancelled;
  end(s, e);
}

// ---- UAS -----------------------------------------------------------------------------

Result<void> SessionLayer::provisional(SessionHandle h, int status, const HeaderList& headers) {
  Session* s = get(h);
  if (s == nullptr) {
    return fail(stale());
  }
  if (s->role != Role::Uas || s->state != SessionState::Offered || status <= 100 || status >= 200) {
    return fail(wrongState());
  }
  auto r = message::makeResponse(*s->invite, status, {}, s->localTag);
  if (!r) {
    return fail(r.error());
  }
  copyRecordRoute(*s->invite, *r);
  (void)r->addHeader("Contact",
                     s->contact.empty()
                         ? std::string("<") + std::string(s->invite->requestUri().text) + ">"
                         : s->contact);
  for (const auto& [name, value] : headers) {
    (void)r->addHeader(name, value);
  }
  return transactions_.respond(s->inviteTx, std::move(*r));
}

Result<void> SessionLayer::answer(SessionHandle h, std::string sdp, std::string contact,
                                  const HeaderList& headers) {
  Session* s = get(h);
  if (s == nullptr) {
    return fail(stale());
  }
  if (s->role != Role::Uas || s->state != SessionState::Offered) {
    return fail(wrongState());
  }
  auto r = message::makeResponse(*s->invite, 200, {}, s->localTag);
  if (!r) {
    return fail(r.error());
  }
  copyRecordRoute(*s->invite, *r);
  s->contact = std::move(contact);
  s->dlg->setLocalContact(s->contact);
  (void)r->addHeader("Contact", s->contact);
  (void)r->addHeader("Allow", kAllow);
  (void)r->addHeader("Supported", "timer");
  (void)r->addHeader("Server", config_.userAgent);
  // RFC 4028 §9: accept the peer's interval; the UAC refreshes unless it asked us to or
  // does not support timers.
  if (auto se = parseSessionExpires(*s->invite); se && config_.sessionExpires.count() > 0) {
    const bool uacSupports =
        listHas(*s->invite, "Supported", "timer") || listHas(*s->invite, "k", "timer");
    std::string refresher(se->refresher);
    if (refresher.empty()) {
      refresher = uacSupports ? "uac" : "uas";
    }
    (void)r->addHeader("Session-Expires", std::to_string(se->seconds) + ";refresher=" + refresher);
    if (uacSupports) {
      (void)r->addHeader("Require", "timer");
    }
    s->interval = std::chrono::seconds(se->seconds);
    s->weRefresh = refresher == "uas";
  }
  for (const auto& [name, value] : headers) {
    (void)r->addHeader(name, value);
  }
  if (!sdp.empty()) {
    r->setBody(sdp, "application/sdp");
  }
  s->localSdp = std::move(sdp);
  auto copy = r->clone();
  if (auto sent = transactions_.respond(s->inviteTx, std::move(*r)); !sent) {
    return sent;
  }
  s->ok = std::move(copy);
  s->state = SessionState::Accepted;
  s->dlg->confirm();
  const auto t1 = transactions_.timers().t1;
  if (!transport::isReliable(s->arrival.protocol)) {
    s->okInterval = t1;
    armTimer(*s, s->retransmitTimer, t1, &SessionLayer::onRetransmit2xx);
  }
  armTimer(*s, s->ackTimer, 64 * t1, &SessionLayer::onAckTimeout);
  return {};
}

void SessionLayer::onRetransmit2xx(SessionHandle h) {
  Session* s = get(h);
  if (s == nullptr) {
    return;
  }
  s->retransmitTimer = 0;
  if (s->state != SessionState::Accepted &&
      !(s->state == SessionState::Terminated && s->byePending)) {
    return;
  }
  if (s->ok) {
    (void)transactions_.respond(s->inviteTx, s->ok->clone());
  }
  s->okInterval = std::min(2 * s->okInterval, transactions_.timers().t2);
  armTimer(*s, s->retransmitTimer, s->okInterval, &SessionLayer::onRetransmit2xx);
}

void SessionLayer::onAckTimeout(SessionHandle h) {
  Session* s = get(h);
  if (s == nullptr) {
    return;
  }
  s->ackTimer = 0;
  disarm(*s, s->retransmitTimer);
  s->ok.reset();
  // §13.3.1.4: the dialog counts as confirmed, but the session is ended with BYE.
  const bool wasAccepted = s->state == SessionState::Accepted;
  const bool byeWanted = s->byePending;
  s->byePending = false;
  if (wasAccepted && s->hangupHeaders.empty()) {
    // Like a session-timer expiry: the far end learns why (decision 3: every BYE we start
    // carries a Reason).
    s->hangupHeaders = {{"Reason", "Q.850;cause=102;text=\"Recovery on timer expiry\""}};
  }
  if (wasAccepted || byeWanted) {
    sendBye(*s, s->hangupHeaders);
  }
  if (wasAccepted) {
    EndInfo e;
    e.kind = EndKind::NoAck;
    end(*s, e);
    return;
  }
  maybeFree(*s);
}

Result<void> SessionLayer::reject(SessionHandle h, int status, std::string_view reason,
                                  const HeaderList& headers) {
  Session* s = get(h);
  if (s == nullptr) {
    return fail(stale());
  }
  if (s->role != Role::Uas || s->state != SessionState::Offered || status < 300 || status > 699) {
    return fail(wrongState());
  }
  auto r = message::makeResponse(*s->invite, status, reason, s->localTag);
  if (!r) {
    return fail(r.error());
  }
  for (const auto& [name, value] : headers) {
    (void)r->addHeader(name, value);
  }
  (void)transactions_.respond(s->inviteTx, std::move(*r));
  EndInfo e;
  e.kind = EndKind::LocalHangup;
  e.status = status;
  end(*s, e);
  return {};
}

// ---- both ----------------------------------------------------------------------------

void SessionLayer::sendBye(Session& s, const HeaderList& headers) {
  if (!s.dlg) {
    return;
  }
  auto bye = s.dlg->makeRequest("BYE", headers);
  if (!bye) {
    return;
  }
  if (auto tx = transactions_.sendRequest(std::move(*bye), inDialogTarget(s, *s.dlg))) {
    track(s, *tx);
  }
}

Result<void> SessionLayer::hangup(SessionHandle h, const HeaderList& headers) {
  Session* s = get(h);
  if (s == nullptr) {
    return fail(stale());
  }
  EndInfo e;
  e.kind = EndKind::LocalHangup;
  e.ringingSeen = s->ringingSeen;
  switch (s->state) {
    case SessionState::Calling:
      s->hangupHeaders = headers;
      s->weCancelled = true;
      if (s->provisionalSeen) {
        sendCancel(*s);
      } else {
        s->cancelPending = true;  // §9.1: CANCEL waits for a provisional
      }
      return {};
    case SessionState::Early:
      s->hangupHeaders = headers;
      s->weCancelled = true;
      sendCancel(*s);
      return {};
    case SessionState::Offered:
      return fail(wrongState());  // use reject()
    case SessionState::Accepted:
      // Row 5: hold the BYE until the ACK arrives or the 2xx retransmissions give up.
      s->hangupHeaders = headers;
      s->byePending = true;
      end(*s, e);
      return {};
    case SessionState::Confirmed:
      sendBye(*s, headers);
      end(*s, e);
      return {};
    case SessionState::Terminating:
    case SessionState::Terminated:
      return {};
  }
  return {};
}

void SessionLayer::release(SessionHandle h) {
  Session* s = get(h);
  if (s == nullptr) {
    return;
  }
  // The owner has forgotten it: the hangup below reports nothing (no onEnded from here).
  s->released = true;
  switch (s->state) {
    case SessionState::Offered:
      (void)reject(h, 480);
      break;
    case SessionState::Calling:
    case SessionState::Early:
    case SessionState::Accepted:
    case SessionState::Confirmed:
      (void)hangup(h, {});
      break;
    case SessionState::Terminating:
    case SessionState::Terminated:
      break;
  }
  s = get(h);
  if (s != nullptr) {
    s->released = true;
    if (s->state == SessionState::Terminated) {
      s->endReported = true;
      maybeFree(*s);
    }
  }
}

// ---- session timers (RFC 4028) --------------------------------------------------------

void SessionLayer::startSessionTimer(Session& s, const SipMessage& m, bool weAreUac) {
  disarm(s, s.refreshTimer);
  disarm(s, s.expiryTimer);
  if (weAreUac) {
    auto se = parseSessionExpires(m);
    if (!se || config_.sessionExpires.count() == 0) {
      s.interval = std::chrono::seconds(0);
      return;
    }
    s.interval = std::chrono::seconds(se->seconds);
    s.weRefresh = se->refresher != "uas";
  }
  if (s.interval.count() == 0) {
    return;
  }
  if (s.weRefresh) {
    armTimer(s, s.refreshTimer, s.interval / 2, &SessionLayer::onSessionRefresh);
  } else {
    // §10: the side that does not refresh ends the session shortly before expiry.
    const auto slack = std::min<std::chrono::seconds>(std::chrono::seconds(32), s.interval / 3);
    armTimer(s, s.expiryTimer, s.interval - slack, &SessionLayer::onSessionExpiry);
  }
}

void SessionLayer::onSessionRefresh(SessionHandle h) {
  Session* s = get(h);
  if (s == nullptr) {
    return;
  }
  s->refreshTimer = 0;
  if (s->state != SessionState::Confirmed || !s->dlg) {
    return;
  }
  // RFC 4028 §7.4: "uac" names the sender of this refresh, which is the refresher,
  // whichever role we had in the initial INVITE.
  HeaderList hl{{"Session-Expires", std::to_string(s->interval.count()) + ";refresher=uac"},
                {"Supported", "timer"},
                {"Allow", std::string(kAllow)}};
  auto reinvite =
      s->dlg->makeRequest("INVITE", hl, s->localSdp, s->localSdp.empty() ? "" : "application/sdp");
  if (!reinvite) {
    return;
  }
  if (auto tx = transactions_.sendRequest(std::move(*reinvite), inDialogTarget(*s, *s->dlg))) {
    track(*s, *tx);
    s->refreshInFlight = true;
    s->refreshTx = *tx;
  }
  // If the refresh never completes, the expiry ends the session.
  armTimer(*s, s->expiryTimer, s->interval / 2, &SessionLayer::onSessionExpiry);
}

void SessionLayer::onSessionExpiry(SessionHandle h) {
  Session* s = get(h);
  if (s == nullptr) {
    return;
  }
  s->expiryTimer = 0;
  if (s->state != SessionState::Confirmed) {
    return;
  }
  s->hangupHeaders = {{"Reason", "Q.850;cause=102;text=\"Recovery on timer expiry\""}};
  sendBye(*s, s->hangupHeaders);
  EndInfo e;
  e.kind = s->refreshInFlight ? EndKind::RefreshFailed : EndKind::SessionExpired;
  end(*s, e);
}

// ---- out of dialog --------------------------------------------------------------------

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
        cb(&r, {});
      }
    }
    return;
  }
  Session* s = p.transaction.valid() ? byTransaction(p.transaction) : nullptr;
  if (s == nullptr) {
    // A 2xx to an INVITE whose transaction is gone (after Timer M): re-ACK it if the
    // dialog is still ours, so the peer stops retransmitting.
    if (r.method() == Method::Invite && r.statusCode() >= 200 && r.statusCode() < 300) {
      if (Session* d = byDialog(r.callId(), r.from().tag()); d != nullptr && d->dlg) {
        sendAck(*d, r);
      }
    }
    return;
  }
  if (r.method() == Method::Invite) {
    if (p.transaction == s->inviteTx) {
      onInviteResponse(*s, p);
      return;
    }
    // A re-INVITE (our session refresh).
    if (r.statusCode() < 200) {
      return;
    }
    s->refreshInFlight = false;
    if (r.statusCode() < 300) {
      sendAck(*s, r);
      if (s->state == SessionState::Confirmed) {
        if (s->dlg) {
          s->dlg->refreshTarget(r);
        }
        // We are the UAC of this refresh transaction, whatever our dialog role (§7.4).
        startSessionTimer(*s, r, true);
      }
      return;
    }
    if (r.statusCode() != 408 && r.statusCode() != 481) {
      // RFC 4028 §10: only 408 and 481 (or a timeout) end the session at once. After any
      // other answer (491 on glare included) the session lives until it expires, unless a
      // refresh from the peer comes first; the expiry timer set with the refresh guards it.
      return;
    }
    if (s->state == SessionState::Confirmed) {
      s->hangupHeaders = {{"Reason", "Q.850;cause=102"}};
      sendBye(*s, s->hangupHeaders);
      EndInfo e;
      e.kind = r.statusCode() == 481 ? EndKind::DialogGone : EndKind::RefreshFailed;
      e.message = &r;
      e.status = r.statusCode();
      end(*s, e);
    }
    return;
  }
  // BYE / CANCEL responses: the call is already over locally (a BYE that gets 481 or 408
  // still ends it, row 4). Nothing else to do.
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
    Session* s = byDialog(m.callId(), toTag);
    if (s != nullptr && s->dlg && !s->dlg->id().remoteTag.empty() &&
        s->dlg->id().remoteTag != m.from().tag()) {
      s = nullptr;
    }
    if (method == Method::Ack) {
      // Accepted, or hung up in Accepted (the BYE waits for this ACK, row 5).
      if (s != nullptr && (s->state == SessionState::Accepted || s->byePending)) {
        transaction::AckParam a{s->inviteTx, m, p.arrival};
        onAck(a);
      }
      return;  // a stray ACK is dropped silently (§12.2.2)
    }
    if (s == nullptr || (s->state == SessionState::Terminated && method != Method::Bye)) {
      ++answered481_;
      respondTo(p, 481);
      return;
    }
    onInDialogRequest(*s, p);
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
      ++answered481_;
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
  const std::string merged = mergeKey(m);
  if (auto it = byInvite_.find(merged); it != byInvite_.end() && get(it->second) != nullptr) {
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
  auto [h, box] = sessions_.emplace(std::make_unique<Session>());
  (void)box;
  Session& s = *get(h);
  s.self = h;
  s.role = Role::Uas;
  s.state = SessionState::Offered;
  s.protocol = p.arrival.protocol;
  s.callId = std::string(m.callId());
  s.localTag = std::move(tag);
  s.dlg = std::move(*d);
  s.invite = m.clone();
  s.arrival = p.arrival;
  s.trustTargets = std::find(config_.trustedPeers.begin(), config_.trustedPeers.end(),
                             p.arrival.source.address) != config_.trustedPeers.end();
  s.inviteTx = *tx;
  ++created_;
  track(s, *tx);
  byDialog_[dialogKey(s.callId, s.localTag)] = h;
  byInvite_[merged] = h;
  s.inviteKey = merged;
  observer_.onIncoming(h, *s.invite, s.arrival);
}

void SessionLayer::onCancelRequest(const transaction::RequestParam& p) {
  const TransactionHandle inv = transactions_.findInviteServerForCancel(p.request);
  Session* s = inv.valid() ? byTransaction(inv) : nullptr;
  if (s == nullptr) {
    ++answered481_;
    respondTo(p, 481);
    return;
  }
  // §9.2: the 200 to a CANCEL carries the To tag of our responses to the INVITE.
  respondTo(p, 200, {}, {}, s->localTag);
  if (s->state != SessionState::Offered) {
    return;  // final response already sent: the CANCEL has no effect (§9.2)
  }
  if (auto r = message::makeResponse(*s->invite, 487, {}, s->localTag)) {
    (void)transactions_.respond(s->inviteTx, std::move(*r));
  }
  EndInfo e;
  e.kind = EndKind::Cancel;
  e.message = &p.request;
  end(*s, e);
}

void SessionLayer::onInDialogRequest(Session& s, const transaction::RequestParam& p) {
  const SipMessage& m = p.request;
  if (!s.dlg->acceptRemoteCSeq(m)) {
    respondTo(p, 500, "Out of Order CSeq");
    return;
  }
  switch (m.method()) {
    case Method::Bye: {
      respondTo(p, 200);
      if (s.state == SessionState::Terminated || s.state == SessionState::Terminating) {
        if (s.byePending) {
          // We hung up in Accepted and held our BYE for the ACK (row 5), but the peer ended
          // the dialog first (row 6): the held BYE is moot and the 2xx retransmissions stop.
          s.byePending = false;
          disarm(s, s.retransmitTimer);
          disarm(s, s.ackTimer);
          s.ok.reset();
          maybeFree(s);
        }
        return;  // crossed BYEs, or after our CANCEL: answered, nothing new to report
      }
      if (s.state == SessionState::Offered) {
        if (auto r = message::makeResponse(*s.invite, 487, {}, s.localTag)) {
          (void)transactions_.respond(s.inviteTx, std::move(*r));
        }
      }
      // Row 6: a BYE before the ACK ends the 2xx retransmissions too.
      disarm(s, s.retransmitTimer);
      disarm(s, s.ackTimer);
      s.ok.reset();
      EndInfo e;
      e.kind = EndKind::Bye;
      e.message = &m;
      end(s, e);
      return;
    }
    case Method::Invite: {
      if (s.state == SessionState::Offered) {
        // §14.2: a second INVITE before our final response to the first (lower CSeq) gets
        // 500 with Retry-After 0-10 s; 491 is only for an INVITE of our own in progress.
        const unsigned wait = static_cast<unsigned>(message::randomToken().front()) % 11;
        respondTo(p, 500, {}, {{"Retry-After", std::to_string(wait)}});
        return;
      }
      if (s.state != SessionState::Confirmed && s.state != SessionState::Accepted) {
        respondTo(p, 491);
        return;
      }
      if (s.refreshInFlight) {
        respondTo(p, 491);  // glare with our own refresh (RFC 3261 §14.2)
        return;
      }
      std::string body;
      if (!answerOffer(s, p, body)) {
        return;  // refused: the session goes on as it was, target and timers unchanged
      }
      s.dlg->refreshTarget(m);
      HeaderList hl{{"Contact", s.contact}, {"Allow", std::string(kAllow)}, {"Supported", "timer"}};
      if (auto se = parseSessionExpires(m); se && config_.sessionExpires.count() > 0) {
        std::string refresher(se->refresher.empty() ? "uac" : se->refresher);
        hl.emplace_back("Session-Expires", std::to_string(se->seconds) + ";refresher=" + refresher);
        hl.emplace_back("Require", "timer");
        s.interval = std::chrono::seconds(se->seconds);
        // The refresher named is relative to this re-INVITE: its sender is the UAC.
        s.weRefresh = refresher == "uas";
      }
      auto r = message::makeResponse(m, 200, {}, s.localTag);
      if (!r) {
        return;
      }
      for (const auto& [name, value] : hl) {
        (void)r->addHeader(name, value);
      }
      if (!body.empty()) {
        r->setBody(body, "application/sdp");
      }
      if (auto tx = transactions_.createServer(m, p.arrival)) {
        (void)transactions_.respond(*tx, std::move(*r));
      }
      if (s.state == SessionState::Confirmed) {
        startSessionTimer(s, m, false);
      }
      return;
    }
    case Method::Update:
    case Method::Options:
    case Method::Info: {
      std::string body;
      if (m.method() == Method::Update && !m.body().empty() && !answerOffer(s, p, body)) {
        return;
      }
      HeaderList hl;
      if (m.method() == Method::Update && s.interval.count() > 0) {
        hl.emplace_back("Session-Expires", std::to_string(s.interval.count()) +
                                               ";refresher=" + (s.weRefresh ? "uas" : "uac"));
        if (s.state == SessionState::Confirmed) {
          startSessionTimer(s, m, false);
        }
      }
      if (body.empty()) {
        respondTo(p, 200, {}, hl);
        return;
      }
      if (auto r = message::makeResponse(m, 200, {}, s.localTag)) {
        for (const auto& [name, value] : hl) {
          (void)r->addHeader(name, value);
        }
        (void)r->addHeader("Contact", s.contact);
        r->setBody(body, "application/sdp");
        if (auto tx = transactions_.createServer(m, p.arrival)) {
          (void)transactions_.respond(*tx, std::move(*r));
        }
      }
      return;
    }
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
      respondTo(p, 501, {}, {{"Allow", std::string(kAllow)}});
      return;
  }
}

bool SessionLayer::answerOffer(Session& s, const transaction::RequestParam& p, std::string& body) {
  const SipMessage& m = p.request;
  std::string_view offer;
  if (!m.body().empty()) {
    if (!bodyIsSdp(m)) {
      respondTo(p, 415, {}, {{"Accept", "application/sdp"}});
      return false;
    }
    offer = m.body();
  }
  OfferAnswer a = observer_.onOffer(s.self, OnOfferParam{m, offer});
  if (a.status < 200 || a.status > 299) {
    respondTo(p, a.status >= 300 && a.status <= 699 ? a.status : 488);
    return false;
  }
  if (!a.sdp.empty()) {
    s.localSdp = std::move(a.sdp);  // what later refreshes offer again (RFC 3264 §8)
  }
  body = s.localSdp;
  return true;
}

void SessionLayer::onAck(const transaction::AckParam& p) {
  Session* s = byTransaction(p.transaction);
  if (s == nullptr) {
    s = byDialog(p.ack.callId(), p.ack.to().tag());
  }
  if (s == nullptr) {
    return;
  }
  disarm(*s, s->retransmitTimer);
  disarm(*s, s->ackTimer);
  s->ok.reset();
  if (s->state == SessionState::Accepted) {
    s->state = SessionState::Confirmed;
    startSessionTimer(*s, *s->invite, false);
    if (!s->released) {
      observer_.onConfirmed(s->self);
    }
    return;
  }
  if (s->byePending) {
    s->byePending = false;
    sendBye(*s, s->hangupHeaders);
  }
  maybeFree(*s);
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
                      ? std::make_error_code(std::errc::host_unreachable)
                      : std::make_error_code(std::errc::timed_out));
    }
    return;
  }
  auto it = byTx_.find(p.transaction.packed());
  if (it == byTx_.end()) {
    return;
  }
  const SessionHandle h = it->second;
  byTx_.erase(it);
  Session* s = get(h);
  if (s == nullptr) {
    return;
  }
  if (s->liveTx > 0) {
    --s->liveTx;
  }
  // The INVITE transaction is over and no usable final response came: Timer B, a transport
  // error, or (Completed) only 2xx responses no dialog could be made from (no To tag or no
  // Contact, §13.3.1.4). Nothing can answer the INVITE any more, so the session ends here.
  if (p.transaction == s->inviteTx && s->role == Role::Uac &&
      (s->state == SessionState::Calling || s->state == SessionState::Early ||
       s->state == SessionState::Terminating)) {
    EndInfo e;
    e.kind = (s->state == SessionState::Terminating || s->cancelPending)
                 ? EndKind::LocalHangup
                 : (p.reason == transaction::EndReason::TransportError ? EndKind::TransportError
                                                                       : EndKind::Timeout);
    e.ringingSeen = s->ringingSeen;
    e.weCancelled = s->weCancelled;
    end(*s, e);
    return;
  }
  // Our answer to an offered INVITE can no longer be sent (its route failed): nothing can
  // answer the INVITE any more either, so the session ends with the transport error.
  if (p.transaction == s->inviteTx && s->role == Role::Uas && s->state == SessionState::Offered &&
      p.reason == transaction::EndReason::TransportError) {
    EndInfo e;
    e.kind = EndKind::TransportError;
    end(*s, e);
    return;
  }
  // Our session refresh got no answer at all (RFC 4028 §10: a timeout ends it like 408).
  if (p.transaction == s->refreshTx && s->refreshInFlight &&
      p.reason != transaction::EndReason::Completed && s->state == SessionState::Confirmed) {
    s->refreshInFlight = false;
    s->hangupHeaders = {{"Reason", "Q.850;cause=102"}};
    sendBye(*s, s->hangupHeaders);
    EndInfo e;
    e.kind = EndKind::RefreshFailed;
    end(*s, e);
    return;
  }
  maybeFree(*s);
}

}  // namespace tapi::sip::session
