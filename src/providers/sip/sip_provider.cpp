#include "providers/sip/sip_provider.hpp"

#include <algorithm>
#include <random>

#include "sip/dialog/target.hpp"
#include "sip/headers/reason.hpp"
#include "sip/headers/user_to_user.hpp"
#include "sip/sdp/sdp.hpp"

namespace tapi::providers::sip {

namespace msg = tapi::sip::message;
namespace sess = tapi::sip::session;
namespace tp = tapi::sip::transport;
namespace hdr = tapi::sip::headers;
namespace sdp = tapi::sip::sdp;
namespace auth = tapi::sip::auth;

struct SipProvider::Line {
  std::uint32_t deviceId = 0;
  SipLineConfig cfg;
  bool open = false;
  // Registration state (RFC 3261 §10): one Call-ID and From tag for the binding's life.
  std::string regCallId;
  std::string regTag;
  std::uint32_t regCSeq = 0;
  bool registered = false;
  bool regInFlight = false;
  bool regAuthTried = false;
  base::TimerId regTimer = 0;
  auth::ClientAuth auth;
  std::optional<std::pair<std::string, std::string>> regAuthHeader;
};

struct SipProvider::Call {
  spi::ProviderCallId id = 0;
  spi::EngineCallId ht = 0;
  std::uint32_t deviceId = 0;
  std::uint32_t networkCallId = 0;
  sess::SessionHandle session;
  bool outbound = false;
  bool announced = false;  // the engine knows the call: events may flow
  bool ended = false;      // the SIP session is over
  bool idle = false;       // IDLE reported
  bool provisionalSent = false;
  CallState state = CallState::Unknown;
  spi::RequestId pendingDrop = 0;
  sdp::RtpPort rtp;
  std::uint64_t sdpSessionId = 0;
  std::optional<sdp::SessionDescription> remoteOffer;
  std::uint64_t sdpVersion = 1;  // o= sess-version of our description, bumped when it changes
  std::string localSdp;          // our description as last sent (offer or answer)
  bool remoteHold = false;       // the peer's last offer holds us (sendonly/inactive/0.0.0.0)
  std::string sipCallId;
  auth::ClientAuth auth;
  std::string requestUri;
  tp::Protocol protocol = tp::Protocol::Udp;  // inbound: the INVITE's transport
  std::optional<hdr::Reason> cancelReason;    // the Reason of our CANCEL, for the record
};

namespace {

// The answer to an INVITE for a user that is not ours and for a line no application has
// open: the same for both (docs/security.md), 480 with Q.850 20 "subscriber absent".
constexpr int kNoLineStatus = 480;
constexpr int kNoLineQ850 = 20;

std::string unescapeUser(std::string_view user) {
  auto hex = [](char c) {
    return c >= '0' && c <= '9'                     ? c - '0'
           : (c | 0x20) >= 'a' && (c | 0x20) <= 'f' ? (c | 0x20) - 'a' + 10
                                                    : -1;
  };
  std::string out;
  out.reserve(user.size());
  for (std::size_t i = 0; i < user.size(); ++i) {
    if (user[i] == '%' && i + 2 < user.size() && hex(user[i + 1]) >= 0 && hex(user[i + 2]) >= 0) {
      out.push_back(static_cast<char>(hex(user[i + 1]) * 16 + hex(user[i + 2])));
      i += 2;
    } else {
      out.push_back(user[i]);
    }
  }
  return out;
}

tp::Endpoint parseListen(const std::string& text, bool* ok) {
  tp::Endpoint e;
  *ok = false;
  std::string host = text;
  std::string port;
  if (!text.empty() && text.front() == '[') {
    const auto close = text.find(']');
    if (close == std::string::npos) {
      return e;
    }
    host = text.substr(1, close - 1);
    if (close + 1 < text.size() && text[close + 1] == ':') {
      port = text.substr(close + 2);
    }
  } else if (const auto colon = text.rfind(':'); colon != std::string::npos) {
    host = text.substr(0, colon);
    port = text.substr(colon + 1);
  }
  boost::system::error_code ec;
  e.address = boost::asio::ip::make_address(host, ec);
  if (ec) {
    return e;
  }
  if (!port.empty()) {
    try {
      const unsigned long v = std::stoul(port);
      if (v > 65535) {
        return e;
      }
      e.port = static_cast<std::uint16_t>(v);
    } catch (...) {
      return e;
    }
  } else {
    e.port = 5060;
  }
  *ok = true;
  return e;
}

Party partyOf(const msg::NameAddr& na) {
  Party p;
  p.name = na.unquotedDisplayName();
  p.number = na.uri.user.empty() ? std::string(na.uri.text) : std::string(na.uri.user);
  return p;
}

std::string q850Header(const hdr::Reason& r) {
  return hdr::formatReason(r);
}

// Whole header lines: a Digest challenge has commas inside, so it must not be split as a list.
std::vector<std::string_view> headerLines(const msg::SipMessage& m, std::string_view name) {
  std::vector<std::string_view> out;
  for (std::size_t i = 0; i < m.headerCount(); ++i) {
    const msg::HeaderField f = m.headerAt(i);
    if (f.name.size() == name.size() &&
        std::equal(f.name.begin(), f.name.end(), name.begin(),
                   [](char a, char b) { return (a | 0x20) == (b | 0x20); })) {
      out.push_back(f.value);
    }
  }
  return out;
}

// The cause map's view of how a session ended: the kind, and the status, phrase,
// Retry-After and Reason headers of the message that ended it.
RemoteEnd remoteEndOf(const sess::EndInfo& end) {
  RemoteEnd re;
  switch (end.kind) {
    case sess::EndKind::Bye:
      re.kind = RemoteEndKind::Bye;
      break;
    case sess::EndKind::Cancel:
      re.kind = RemoteEndKind::Cancel;
      break;
    case sess::EndKind::FinalResponse:
    case sess::EndKind::LocalBye:
    case sess::EndKind::LocalCancel:
    case sess::EndKind::LocalReject:
    case sess::EndKind::Count_:
      re.kind = RemoteEndKind::FinalResponse;
      break;
    case sess::EndKind::Timeout:
      re.kind = RemoteEndKind::Timeout;
      break;
    case sess::EndKind::TransportError:
      re.kind = RemoteEndKind::TransportError;
      break;
    case sess::EndKind::SessionExpired:
      re.kind = RemoteEndKind::SessionExpired;
      break;
    case sess::EndKind::RefreshFailed:
      re.kind = RemoteEndKind::RefreshFailed;
      break;
    case sess::EndKind::NoAck:
      re.kind = RemoteEndKind::NoAck;
      break;
    case sess::EndKind::DialogGone:
      re.kind = RemoteEndKind::DialogGone;
      break;
  }
  re.status = end.status;
  re.ringingSeen = end.ringingSeen;
  re.weCancelled = end.weCancelled;
  if (end.message != nullptr) {
    const msg::SipMessage& m = *end.message;
    if (m.isResponse()) {
      re.status = m.statusCode();
      re.reasonPhrase = std::string(m.reasonPhrase());
      re.retryAfter = m.header("Retry-After").has_value();
    }
    re.reasons = hdr::parseReasons(m.headerValues("Reason"));
  }
  return re;
}

std::uint64_t randomSessionId() {
  static thread_local std::mt19937_64 rng{std::random_device{}()};
  return rng() >> 16;
}

}  // namespace

// ---- construction ---------------------------------------------------------------------

SipProvider::SipProvider(base::EventLoop& loop, SipProviderConfig config)
    : loop_(loop), config_(std::move(config)) {}

Result<std::unique_ptr<SipProvider>> SipProvider::create(base::EventLoop& loop,
                                                         boost::asio::io_context& io,
                                                         SipProviderConfig config,
                                                         std::string* error) {
  auto say = [&](std::string text) {
    if (error != nullptr) {
      *error = std::move(text);
    }
  };
  std::unique_ptr<SipProvider> p(new SipProvider(loop, std::move(config)));
  const SipProviderConfig& c = p->config_;
  if (c.listenUdp.empty() && c.listenTcp.empty()) {
    say("sip: neither UDP nor TCP listen address is set");
    return fail(std::make_error_code(std::errc::invalid_argument));
  }
  std::string bindHost;
  if (!c.listenUdp.empty()) {
    bool ok = false;
    const tp::Endpoint e = parseListen(c.listenUdp, &ok);
    if (!ok) {
      say("sip: listen_udp '" + c.listenUdp + "' is not an IP address and port");
      return fail(std::make_error_code(std::errc::invalid_argument));
    }
    auto udp = tp::UdpTransport::open(io, e);
    if (!udp) {
      say("sip: cannot listen on UDP " + c.listenUdp + ": " + udp.error().message());
      return fail(udp.error());
    }
    p->udp_ = std::move(*udp);
    p->transportLayer_.addTransport(*p->udp_, c.advertisedHost);
    bindHost = e.address.to_string();
  }
  if (!c.listenTcp.empty()) {
    bool ok = false;
    const tp::Endpoint e = parseListen(c.listenTcp, &ok);
    if (!ok) {
      say("sip: listen_tcp '" + c.listenTcp + "' is not an IP address and port");
      return fail(std::make_error_code(std::errc::invalid_argument));
    }
    tp::TcpOptions opts;
    opts.idleTimeout = c.tcpIdleTimeout;
    opts.maxConnections = c.tcpMaxConnections;
    opts.fdBudget = c.fdBudget;
    opts.evictIdleAfter = std::chrono::duration_cast<std::chrono::milliseconds>(64 * c.timers.t1);
    auto tcp = tp::TcpTransport::open(io, e, opts);
    if (!tcp) {
      say("sip: cannot listen on TCP " + c.listenTcp + ": " + tcp.error().message());
      return fail(tcp.error());
    }
    p->tcp_ = std::move(*tcp);
    p->transportLayer_.addTransport(*p->tcp_, c.advertisedHost);
    if (bindHost.empty()) {
      bindHost = e.address.to_string();
    }
  }
  const std::string rtpBind = c.rtpAddress.empty() ? bindHost : c.rtpAddress;
  if (c.rtpFirstPort == 0 || c.rtpLastPort < c.rtpFirstPort + 1) {
    say("sip: the RTP port range is empty");
    return fail(std::make_error_code(std::errc::invalid_argument));
  }
  p->rtp_ = std::make_unique<sdp::RtpPortPool>(rtpBind, c.rtpFirstPort, c.rtpLastPort);
  // A line's proxy and registrar are the peers whose dialogs we route as they ask (their
  // Record-Route and the callers' Contacts); anyone else is answered only where it is.
  sess::SessionConfig sc = c.session;
  for (const auto& lc : c.lines) {
    for (const std::string* uri : {&lc.proxy, &lc.registrar}) {
      if (auto t = tapi::sip::dialog::targetForUri(*uri, tp::Protocol::Udp);
          t && std::find(sc.trustedPeers.begin(), sc.trustedPeers.end(), t->endpoint.address) ==
                   sc.trustedPeers.end()) {
        sc.trustedPeers.push_back(t->endpoint.address);
      }
    }
  }
  p->sessions_ =
      std::make_unique<sess::SessionLayer>(loop, p->transportLayer_, *p, c.timers, std::move(sc));
  std::uint32_t dev = c.firstDeviceId;
  for (const auto& lc : c.lines) {
    if (lc.user.empty() || lc.domain.empty()) {
      say("sip: line '" + lc.name + "' needs a user and a domain");
      return fail(std::make_error_code(std::errc::invalid_argument));
    }
    auto l = std::make_unique<Line>();
    l->deviceId = dev++;
    l->cfg = lc;
    if (l->cfg.name.empty()) {
      l->cfg.name = "sip/" + lc.user;
    }
    l->regCallId = msg::randomToken() + msg::randomToken();
    l->regTag = msg::randomToken();
    p->lines_.push_back(std::move(l));
  }
  return p;
}

SipProvider::~SipProvider() {
  *alive_ = false;
  for (auto& l : lines_) {
    if (l->regTimer != 0) {
      loop_.cancel(l->regTimer);
    }
  }
  calls_.clear();
  sessions_.reset();
  if (udp_) {
    transportLayer_.removeTransport(*udp_);
    udp_->close();
  }
  if (tcp_) {
    transportLayer_.removeTransport(*tcp_);
    tcp_->close();
  }
}

// ---- small helpers --------------------------------------------------------------------

SipProvider::Line* SipProvider::line(std::uint32_t deviceId) {
  for (auto& l : lines_) {
    if (l->deviceId == deviceId) {
      return l.get();
    }
  }
  return nullptr;
}

SipProvider::Call* SipProvider::find(spi::ProviderCallId id) {
  auto it = calls_.find(id);
  return it == calls_.end() ? nullptr : it->second.get();
}

SipProvider::Call* SipProvider::bySession(sess::SessionHandle s) {
  auto it = bySession_.find(s.packed());
  return it == bySession_.end() ? nullptr : find(it->second);
}

std::string SipProvider::localHost() const {
  if (!config_.advertisedHost.empty()) {
    return config_.advertisedHost;
  }
  if (udp_) {
    return udp_->localEndpoint().hostString();
  }
  return tcp_->localEndpoint().hostString();
}

tp::Protocol SipProvider::lineProtocol(const Line& l) const {
  if (l.cfg.transport == "tcp" && tcp_) {
    return tp::Protocol::Tcp;
  }
  return udp_ ? tp::Protocol::Udp : tp::Protocol::Tcp;
}

std::string SipProvider::contactFor(const Line& l, tp::Protocol p) const {
  const tp::Transport* t = p == tp::Protocol::Tcp ? static_cast<const tp::Transport*>(tcp_.get())
                                                  : static_cast<const tp::Transport*>(udp_.get());
  if (t == nullptr) {
    t = udp_ ? static_cast<const tp::Transport*>(udp_.get()) : tcp_.get();
  }
  std::string c =
      "<sip:" + l.cfg.user + "@" + localHost() + ":" + std::to_string(t->localEndpoint().port);
  if (t->protocol() == tp::Protocol::Tcp) {
    c += ";transport=tcp";
  }
  return c + ">";
}

void SipProvider::report(Call& c, CallState state, std::uint32_t mode) {
  c.state = state;
  if (state == CallState::Idle) {
    c.idle = true;
  }
  const spi::ProviderCallId id = c.id;
  std::weak_ptr<bool> alive = alive_;
  loop_.post([this, alive, id, state, mode] {
    if (alive.expired()) {
      return;
    }
    Call* call = find(id);
    if (call == nullptr || !call->announced || events_ == nullptr) {
      return;  // closed, or not known to the engine
    }
    events_->onCallState(call->ht, state, mode);
  });
}

void SipProvider::info(Call& c, spi::CallInfoUpdate update) {
  const spi::ProviderCallId id = c.id;
  std::weak_ptr<bool> alive = alive_;
  loop_.post([this, alive, id, u = std::move(update)] {
    if (alive.expired()) {
      return;
    }
    Call* call = find(id);
    if (call == nullptr || !call->announced || events_ == nullptr) {
      return;
    }
    events_->onCallInfo(call->ht, u);
  });
}

void SipProvider::complete(spi::RequestId id, Result<void> result) {
  std::weak_ptr<bool> alive = alive_;
  loop_.post([this, alive, id, result] {
    if (alive.expired()) {
      return;
    }
    if (pending_.erase(id) == 0) {
      return;  // already completed (closeCall)
    }
    if (events_ != nullptr) {
      events_->onRequestComplete(id, result);
    }
  });
}

// ---- lines ----------------------------------------------------------------------------

std::vector<spi::LineInfo> SipProvider::lines() const {
  std::vector<spi::LineInfo> out;
  for (const auto& l : lines_) {
    spi::LineInfo li;
    li.deviceId = l->deviceId;
    li.name = l->cfg.name;
    li.address = "sip:" + l->cfg.user + "@" + l->cfg.domain;
    li.maxUserUserInfo = 128;
    out.push_back(std::move(li));
  }
  return out;
}

Result<void> SipProvider::openLine(std::uint32_t deviceId) {
  Line* l = line(deviceId);
  if (l == nullptr) {
    return LineErr::BadDeviceId;
  }
  l->open = true;
  if (!l->cfg.registrar.empty()) {
    sendRegister(deviceId, l->cfg.registerExpires);
  }
  return {};
}

void SipProvider::closeLine(std::uint32_t deviceId) {
  Line* l = line(deviceId);
  if (l == nullptr) {
    return;
  }
  l->open = false;
  // CLOSEDROP: every live call of the line ends on the wire; the engine closes them.
  for (auto& [id, c] : calls_) {
    if (c->deviceId == deviceId && !c->ended) {
      dropOnWire(*c, disconnect::Normal, {});
    }
  }
  if (l->regTimer != 0) {
    loop_.cancel(l->regTimer);
    l->regTimer = 0;
  }
  if (l->registered || l->regInFlight) {
    sendRegister(deviceId, 0);  // un-REGISTER (best effort)
  }
}

// ---- outbound -------------------------------------------------------------------------

Result<spi::ProviderCallId> SipProvider::makeCall(spi::RequestId id, std::uint32_t deviceId,
                                                  spi::EngineCallId htCall,
                                                  const spi::MakeCallParams& params) {
  Line* l = line(deviceId);
  if (l == nullptr || !l->open) {
    return LineErr::OperationFailed;
  }
  if (shuttingDown_) {
    return LineErr::OperationUnavail;
  }
  // The destination: a SIP URI, "user@host", or a plain number on the line's domain.
  std::string dest = params.destination;
  while (!dest.empty() && (dest.back() == ' ' || dest.back() == '\t')) {
    dest.pop_back();
  }
  if (dest.empty() || dest.size() > 1024 || dest.find_first_of("\r\n<>\" ") != std::string::npos) {
    return LineErr::InvalAddress;
  }
  std::string requestUri;
  if (dest.rfind("sip:", 0) == 0 || dest.rfind("sips:", 0) == 0) {
    requestUri = dest;
  } else if (dest.find('@') != std::string::npos) {
    requestUri = "sip:" + dest;
  } else {
    requestUri = "sip:" + dest + "@" + l->cfg.domain;
  }
  auto parsedUri = msg::parseUri(requestUri);
  if (!parsedUri || !parsedUri->isSip() || parsedUri->scheme == msg::UriScheme::Sips) {
    return LineErr::InvalAddress;  // sips needs TLS, which this provider does not have yet
  }
  const tp::Protocol proto = lineProtocol(*l);
  auto target =
      tapi::sip::dialog::targetForUri(l->cfg.proxy.empty() ? requestUri : l->cfg.proxy, proto);
  if (!target) {
    return LineErr::InvalAddress;  // no DNS here: the host (or proxy) must be an address
  }
  if ((target->protocol == tp::Protocol::Tcp && !tcp_) ||
      (target->protocol == tp::Protocol::Udp && !udp_) || target->protocol == tp::Protocol::Tls) {
    return LineErr::InvalAddress;
  }
  if (params.userUserInfo.size() > 128) {
    return LineErr::UserUserInfoTooBig;
  }
  if (config_.fdBudget != nullptr && !config_.fdBudget->admit(2)) {
    ++callsRefusedNoFds_;  // RTP + RTCP would eat the descriptors kept for the listeners
    return LineErr::ResourceUnavail;
  }
  auto rtp = rtp_->reserve();
  if (!rtp) {
    return LineErr::ResourceUnavail;
  }
  auto c = std::make_unique<Call>();
  c->id = nextCallId_++;
  c->ht = htCall;
  c->deviceId = deviceId;
  c->networkCallId = nextNetworkCallId_++;
  c->outbound = true;
  c->rtp = std::move(*rtp);
  c->sdpSessionId = randomSessionId();
  c->requestUri = requestUri;
  const sdp::LocalMedia lm = localMedia(*c);

  sess::OutgoingInvite inv;
  inv.requestUri = requestUri;
  const std::string aor = "sip:" + l->cfg.user + "@" + l->cfg.domain;
  inv.from =
      (l->cfg.displayName.empty() ? "" : "\"" + l->cfg.displayName + "\" ") + "<" + aor + ">";
  inv.to = "<" + requestUri + ">";
  inv.contact = contactFor(*l, target->protocol);
  inv.target = *target;
  if (!l->cfg.proxy.empty()) {
    inv.routes.push_back("<" + l->cfg.proxy + ";lr>");
  }
  if (!params.userUserInfo.empty()) {
    inv.headers.emplace_back("User-to-User", hdr::encodeUui(params.userUserInfo));
  }
  inv.sdp = sdp::serialize(sdp::makeOffer(lm));
  c->localSdp = inv.sdp;
  auto s = sessions_->invite(std::move(inv));
  if (!s) {
    return LineErr::OperationFailed;
  }
  c->session = *s;
  c->sipCallId = sessions_->callId(*s);
  const spi::ProviderCallId pid = c->id;
  bySession_[s->packed()] = pid;
  Call& call = *c;
  calls_.emplace(pid, std::move(c));
  ++callsTotal_;
  pending_[id] = pid;

  // The request completes once the INVITE is on its way; the call's events follow.
  std::weak_ptr<bool> alive = alive_;
  const Party caller{l->cfg.user, l->cfg.displayName};
  const Party called{std::string(parsedUri->user.empty() ? parsedUri->host : parsedUri->user), {}};
  loop_.post([this, alive, id, pid, caller, called] {
    if (alive.expired()) {
      return;
    }
    Call* cc = find(pid);
    if (cc == nullptr || pending_.erase(id) == 0) {
      return;
    }
    cc->announced = true;
    if (events_ != nullptr) {
      events_->onRequestComplete(id, Result<void>{});
    }
  });
  spi::CallInfoUpdate u;
  u.callId = call.networkCallId;
  u.caller = caller;
  u.called = called;
  ProviderCause ref;
  ref.callRef = call.sipCallId;
  u.cause = ref;
  info(call, std::move(u));
  report(call, CallState::Dialing, 0);
  return pid;
}

void SipProvider::onProgress(sess::SessionHandle s, const msg::SipMessage& response) {
  Call* c = bySession(s);
  if (c == nullptr || c->ended) {
    return;
  }
  const int code = response.statusCode();
  if (code == 180) {
    if (c->state != CallState::Ringback) {
      report(*c, CallState::Ringback, 0);
    }
  } else if (c->state != CallState::Proceeding && c->state != CallState::Ringback) {
    report(*c, CallState::Proceeding, 0);
  }
  if (auto uui = hdr::decodeFirstUui(response.headerValues("User-to-User"))) {
    spi::CallInfoUpdate u;
    u.userUserInfo = *uui;
    info(*c, std::move(u));
  }
}

void SipProvider::onAnswered(sess::SessionHandle s, const msg::SipMessage& response) {
  Call* c = bySession(s);
  if (c == nullptr || c->ended) {
    return;
  }
  spi::CallInfoUpdate u;
  u.connected = partyOf(response.to());
  if (auto uui = hdr::decodeFirstUui(response.headerValues("User-to-User"))) {
    u.userUserInfo = *uui;
  }
  info(*c, std::move(u));
  report(*c, CallState::Connected, connectedmode::Active);
}

std::optional<std::pair<std::string, std::string>> SipProvider::onChallenge(
    sess::SessionHandle s, const msg::SipMessage& response) {
  Call* c = bySession(s);
  if (c == nullptr) {
    return std::nullopt;
  }
  Line* l = line(c->deviceId);
  if (l == nullptr || l->cfg.password.empty()) {
    return std::nullopt;
  }
  const bool proxy = response.statusCode() == 407;
  auto challenge = auth::pickChallenge(
      headerLines(response, proxy ? "Proxy-Authenticate" : "WWW-Authenticate"), proxy);
  if (!challenge) {
    return std::nullopt;
  }
  auth::Credentials cred{
      l->cfg.authUser.empty() ? l->cfg.user : l->cfg.authUser, l->cfg.password, {}};
  auto value = c->auth.answer(*challenge, cred, "INVITE", c->requestUri);
  if (!value) {
    return std::nullopt;
  }
  return std::make_pair(std::string(proxy ? "Proxy-Authorization" : "Authorization"), *value);
}

// ---- inbound --------------------------------------------------------------------------

void SipProvider::onIncoming(sess::SessionHandle s, const msg::SipMessage& invite,
                             const tp::Arrival& arrival) {
  auto refuse = [&](int status, int q850) {
    hdr::Reason r{"Q.850", q850, std::string(hdr::q850Text(q850)), {}};
    (void)sessions_->reject(s, status, {}, {{"Reason", q850Header(r)}});
    sessions_->release(s);
  };
  // Route by Request-URI user, then To user (§8.2.2.1 leaves the choice to the UAS).
  // Users compare unescaped (RFC 3261 §19.1.4; RFC 4475 esc01: "%75se%72" is "user").
  const std::string ruser = unescapeUser(invite.requestUri().user);
  const std::string tuser = unescapeUser(invite.to().uri.user);
  Line* l = nullptr;
  for (auto& cand : lines_) {
    if (cand->cfg.user == ruser) {
      l = cand.get();
      break;
    }
  }
  if (l == nullptr) {
    for (auto& cand : lines_) {
      if (cand->cfg.user == tuser) {
        l = cand.get();
        break;
      }
    }
  }
  if (shuttingDown_) {
    refuse(503, 41);
    return;
  }
  if (config_.fdBudget != nullptr && !config_.fdBudget->admit(2)) {
    // Overload, answered like shutdown (503): the call's RTP and RTCP ports would take the
    // descriptors kept for the listeners. Checked before the line and the SDP so a flood of
    // INVITEs costs nothing more.
    ++callsRefusedNoFds_;
    hdr::Reason r{"Q.850", 47, std::string(hdr::q850Text(47)), {}};
    (void)sessions_->reject(s, 503, {}, {{"Reason", q850Header(r)}, {"Retry-After", "5"}});
    sessions_->release(s);
    return;
  }
  // An unknown user and a line no application has open get the same answer, so a scan
  // (sipvicious svwar) cannot tell which users exist (docs/security.md).
  if (l == nullptr || !l->open || events_ == nullptr) {
    refuse(kNoLineStatus, kNoLineQ850);
    return;
  }
  std::optional<sdp::SessionDescription> offer;
  if (!invite.body().empty()) {
    auto parsed = sdp::parse(invite.body());
    if (!parsed) {
      refuse(488, 88);
      return;
    }
    sdp::LocalMedia probe;
    probe.address = "127.0.0.1";
    probe.port = 2;
    if (!sdp::makeAnswer(*parsed, probe)) {
      refuse(488, 88);
      return;
    }
    offer = std::move(*parsed);
  }
  auto rtp = rtp_->reserve();
  if (!rtp) {
    refuse(503, 47);
    return;
  }
  auto c = std::make_unique<Call>();
  c->protocol = arrival.protocol;
  c->id = nextCallId_++;
  c->deviceId = l->deviceId;
  c->networkCallId = nextNetworkCallId_++;
  c->session = s;
  c->rtp = std::move(*rtp);
  c->sdpSessionId = randomSessionId();
  c->remoteOffer = std::move(offer);
  c->sipCallId = std::string(invite.callId());
  c->state = CallState::Offering;
  const spi::ProviderCallId pid = c->id;
  bySession_[s.packed()] = pid;
  calls_.emplace(pid, std::move(c));
  ++callsTotal_;

  spi::NewCallInfo ni;
  ni.callId = find(pid)->networkCallId;
  ni.caller = partyOf(invite.from());
  ni.called = partyOf(invite.to());
  ni.initialState = CallState::Offering;
  ni.providerRef = std::string(invite.callId());
  if (auto uui = hdr::decodeFirstUui(invite.headerValues("User-to-User"))) {
    ni.userUserInfo = *uui;
  }
  const bool ring = l->cfg.ringOnOffer;
  const std::uint32_t dev = l->deviceId;
  std::weak_ptr<bool> alive = alive_;
  // Announced on a later turn, like every event (never inside an engine call).
  loop_.post([this, alive, pid, dev, ni, ring] {
    if (alive.expired()) {
      return;
    }
    Call* call = find(pid);
    if (call == nullptr) {
      return;
    }
    if (call->ended) {
      // CANCELled before the engine heard of it: nothing to announce.
      forget(*call);
      return;
    }
    const spi::EngineCallId ht = events_ != nullptr ? events_->onNewCall(dev, pid, ni) : 0;
    call = find(pid);
    if (call == nullptr) {
      return;
    }
    if (ht == 0) {
      hdr::Reason r{"Q.850", 21, std::string(hdr::q850Text(21)), {}};
      (void)sessions_->reject(call->session, 480, {}, {{"Reason", q850Header(r)}});
      forget(*call);
      return;
    }
    call->ht = ht;
    call->announced = true;
    spi::CallInfoUpdate u;
    ProviderCause ref;
    ref.callRef = call->sipCallId;
    u.cause = ref;
    info(*call, std::move(u));
    if (ring && !call->provisionalSent) {
      call->provisionalSent = true;
      (void)sessions_->provisional(call->session, 180);
    }
  });
}

Result<void> SipProvider::accept(spi::RequestId id, spi::ProviderCallId callId,
                                 std::string_view uui) {
  Call* c = find(callId);
  if (c == nullptr) {
    return LineErr::InvalCallHandle;
  }
  if (c->outbound || c->ended || c->state != CallState::Offering) {
    return LineErr::InvalCallState;
  }
  sess::HeaderList hl;
  if (!uui.empty()) {
    hl.emplace_back("User-to-User", hdr::encodeUui(uui));
  }
  if (!c->provisionalSent || !uui.empty()) {
    c->provisionalSent = true;
    if (auto r = sessions_->provisional(c->session, 180, hl); !r) {
      return LineErr::OperationFailed;
    }
  }
  pending_[id] = c->id;
  report(*c, CallState::Accepted, 0);
  complete(id, {});
  return {};
}

Result<void> SipProvider::answer(spi::RequestId id, spi::ProviderCallId callId,
                                 std::string_view uui) {
  Call* c = find(callId);
  if (c == nullptr) {
    return LineErr::InvalCallHandle;
  }
  if (c->outbound || c->ended ||
      (c->state != CallState::Offering && c->state != CallState::Accepted)) {
    return LineErr::InvalCallState;
  }
  Line* l = line(c->deviceId);
  const sdp::LocalMedia lm = localMedia(*c);
  std::string body;
  if (c->remoteOffer) {
    auto ans = sdp::makeAnswer(*c->remoteOffer, lm);
    if (!ans) {
      return LineErr::OperationFailed;
    }
    body = sdp::serialize(*ans);
  } else {
    body = sdp::serialize(sdp::makeOffer(lm));  // offer in the 2xx, answer in the ACK
  }
  c->localSdp = body;
  sess::HeaderList hl;
  if (!uui.empty()) {
    hl.emplace_back("User-to-User", hdr::encodeUui(uui));
  }
  std::string contact = contactFor(*l, c->protocol);
  if (auto r = sessions_->answer(c->session, std::move(body), std::move(contact), hl); !r) {
    return LineErr::OperationFailed;
  }
  pending_[id] = c->id;
  report(*c, CallState::Connected, connectedmode::Active);
  complete(id, {});
  return {};
}

sdp::LocalMedia SipProvider::localMedia(const Call& c) const {
  sdp::LocalMedia lm;
  lm.address = localHost();
  if (!lm.address.empty() && lm.address.front() == '[') {
    lm.address = lm.address.substr(1, lm.address.size() - 2);
  }
  lm.port = c.rtp.port();
  lm.sessionId = c.sdpSessionId;
  lm.sessionVersion = c.sdpVersion;
  return lm;
}

namespace {

// RFC 3264 §8.4 and the legacy RFC 2543 form: the peer holds us when the audio stream we
// would use is sendonly or inactive, or when it gives 0.0.0.0 as its address.
bool offerHolds(const sdp::SessionDescription& offer) {
  for (const sdp::MediaDescription& m : offer.media) {
    if (m.media != "audio" || m.port == 0) {
      continue;
    }
    const std::string& address =
        m.connectionAddress.empty() ? offer.connectionAddress : m.connectionAddress;
    return m.direction == sdp::Direction::SendOnly || m.direction == sdp::Direction::Inactive ||
           address == "0.0.0.0";
  }
  return false;
}

}  // namespace

sess::OfferAnswer SipProvider::onOffer(sess::SessionHandle s, const sess::OnOfferParam& p) {
  Call* c = bySession(s);
  if (c == nullptr || c->ended) {
    return {};
  }
  if (p.offer.empty()) {
    // An offerless re-INVITE: our 2xx offers what we have now, unchanged (same version).
    return {200, c->localSdp};
  }
  auto offer = sdp::parse(p.offer);
  if (!offer) {
    return {488, {}};
  }
  sdp::LocalMedia lm = localMedia(*c);
  auto answer = sdp::makeAnswer(*offer, lm);
  if (!answer) {
    return {488, {}};
  }
  std::string text = sdp::serialize(*answer);
  if (text != c->localSdp) {
    // §8: a description that differs from the last one we sent gets the next version.
    lm.sessionVersion = ++c->sdpVersion;
    answer->sessionVersion = lm.sessionVersion;
    text = sdp::serialize(*answer);
  }
  c->localSdp = text;
  const bool held = offerHolds(*offer);
  if (held != c->remoteHold) {
    c->remoteHold = held;
    if (c->state == CallState::Connected) {
      // Remote hold is CONNECTED with ACTIVEHELD (media spec §10.5); resume is ACTIVE.
      report(*c, CallState::Connected, held ? connectedmode::ActiveHeld : connectedmode::Active);
    }
  }
  return {200, std::move(text)};
}

void SipProvider::onConfirmed(sess::SessionHandle) {
  // CONNECTED was reported with the 2xx; the ACK only stops its retransmission.
}

// ---- drop and end ---------------------------------------------------------------------

void SipProvider::dropOnWire(Call& c, std::uint32_t mode, std::string_view uui) {
  const auto st = sessions_->state(c.session);
  if (!st) {
    c.ended = true;
    return;
  }
  Line* l = line(c.deviceId);
  DropOptions opts;
  opts.offeredRejectStatus = l != nullptr ? l->cfg.offeredRejectStatus : 603;
  opts.serverShutdown = shuttingDown_;
  sess::HeaderList hl;
  // Post-connection data of a local end: what went on the wire (status, the Reason sent).
  auto record = [&](int status, std::string what, const hdr::Reason& sent) {
    if (sent.protocol.empty()) {
      return;  // a plan that sends nothing
    }
    ProviderCause pc;
    pc.code = status;
    pc.q850 = sent.protocol == "Q.850" ? sent.cause : 0;
    pc.text = std::move(what) + "; " + hdr::formatReason(sent);
    pc.callRef = c.sipCallId;
    spi::CallInfoUpdate u;
    u.cause = std::move(pc);
    info(c, std::move(u));
  };
  // A mode whose plan sends nothing (NODIALTONE) still has to end the SIP session: it is
  // ended as a plain drop would be, so no INVITE is left without its final answer.
  auto planFor = [&](DropPhase phase) {
    DropPlan plan = planDrop(phase, mode, opts);
    if (plan.action == WireAction::None) {
      plan = planDrop(phase, disconnect::Normal, opts);
    }
    return plan;
  };
  switch (*st) {
    case sess::SessionState::Offered: {
      const DropPlan plan = planFor(DropPhase::IncomingOffered);
      hl.emplace_back("Reason", hdr::formatReason(plan.reason));
      if (plan.retryAfter) {
        hl.emplace_back("Retry-After", "60");
      }
      if (!uui.empty()) {
        hl.emplace_back("User-to-User", hdr::encodeUui(uui));
      }
      // Recorded first: the rejection ends the session at once, and IDLE follows from there.
      record(plan.status, std::to_string(plan.status) + " " + plan.reasonPhrase, plan.reason);
      (void)sessions_->reject(c.session, plan.status, plan.reasonPhrase, hl);
      c.ended = true;
      return;
    }
    case sess::SessionState::Calling:
    case sess::SessionState::Early: {
      const DropPlan plan = planFor(*st == sess::SessionState::Calling ? DropPhase::OutgoingCalling
                                                                       : DropPhase::OutgoingEarly);
      hl.emplace_back("Reason", hdr::formatReason(plan.reason));
      c.cancelReason = plan.reason;
      (void)sessions_->hangup(c.session, hl);
      return;  // over when the INVITE's final response arrives (onEnded)
    }
    case sess::SessionState::Accepted:
    case sess::SessionState::Confirmed: {
      const DropPlan plan = planFor(DropPhase::Confirmed);
      hl.emplace_back("Reason", hdr::formatReason(plan.reason));
      if (!uui.empty()) {
        hl.emplace_back("User-to-User", hdr::encodeUui(uui));
      }
      record(0, "BYE", plan.reason);
      (void)sessions_->hangup(c.session, hl);
      c.ended = true;
      return;
    }
    case sess::SessionState::Terminating:
      return;
    case sess::SessionState::Terminated:
      c.ended = true;
      return;
  }
}

Result<void> SipProvider::drop(spi::RequestId id, spi::ProviderCallId callId, std::uint32_t mode,
                               std::string_view uui) {
  Call* c = find(callId);
  if (c == nullptr) {
    return LineErr::InvalCallHandle;
  }
  if (c->idle || c->pendingDrop != 0) {
    return LineErr::InvalCallState;
  }
  if (uui.size() > 128) {
    return LineErr::UserUserInfoTooBig;
  }
  pending_[id] = c->id;
  if (c->ended) {
    // The far end already ended it (DISCONNECTED): only the local clear remains.
    report(*c, CallState::Idle, 0);
    complete(id, {});
    return {};
  }
  c->pendingDrop = id;
  dropOnWire(*c, mode, uui);
  c = find(callId);
  if (c != nullptr && c->ended && c->pendingDrop == id) {
    c->pendingDrop = 0;
    report(*c, CallState::Idle, 0);
    complete(id, {});
  }
  return {};
}

void SipProvider::onEnded(sess::SessionHandle s, const sess::EndInfo& end) {
  Call* c = bySession(s);
  if (c == nullptr) {
    return;
  }
  const bool wasEnded = c->ended;
  c->ended = true;
  if (c->idle) {
    return;
  }
  if (c->pendingDrop != 0) {
    // Our drop finished: a BYE or a rejection at once (dropOnWire recorded what it sent), a
    // CANCEL when the INVITE's final answer came, whatever it was. For a CANCEL the record
    // shows that answer (487, or a final response that crossed it) and the cause we sent.
    const spi::RequestId rid = c->pendingDrop;
    c->pendingDrop = 0;
    if (c->cancelReason) {
      ProviderCause pc;
      if (end.message != nullptr && end.message->isResponse()) {
        RemoteEnd re = remoteEndOf(end);
        re.kind = RemoteEndKind::FinalResponse;
        re.weCancelled = true;
        pc = mapRemoteEnd(re).cause;
      } else {
        pc.text = "CANCEL";
      }
      if (pc.q850 == 0) {
        pc.q850 = c->cancelReason->protocol == "Q.850" ? c->cancelReason->cause : 0;
        pc.text += "; " + hdr::formatReason(*c->cancelReason);
      }
      pc.callRef = c->sipCallId;
      spi::CallInfoUpdate u;
      u.cause = std::move(pc);
      info(*c, std::move(u));
    }
    report(*c, CallState::Idle, 0);
    complete(rid, {});
    return;
  }
  if (sess::isLocal(end.kind) && wasEnded) {
    return;  // a wire drop we started (line close, shutdown): the engine clears the call
  }
  const RemoteEnd re = remoteEndOf(end);
  std::optional<std::string> uui;
  if (end.message != nullptr) {
    uui = hdr::decodeFirstUui(end.message->headerValues("User-to-User"));
  }
  MapOptions mo;
  mo.cancelAsNormal = config_.cancelAsNormal;
  MappedEnd mapped = mapRemoteEnd(re, mo);
  mapped.cause.callRef = c->sipCallId;
  spi::CallInfoUpdate u;
  u.cause = mapped.cause;
  if (uui) {
    u.userUserInfo = *uui;
  }
  switch (end.kind) {
    case sess::EndKind::SessionExpired:
    case sess::EndKind::RefreshFailed:
      u.endHint = spi::EndHint::SessionTimer;
      break;
    case sess::EndKind::TransportError:
      u.endHint = spi::EndHint::ProviderFailure;
      break;
    case sess::EndKind::LocalBye:
    case sess::EndKind::LocalCancel:
    case sess::EndKind::LocalReject:
    case sess::EndKind::Count_:
    case sess::EndKind::Bye:
    case sess::EndKind::Cancel:
    case sess::EndKind::FinalResponse:
    case sess::EndKind::Timeout:
    case sess::EndKind::NoAck:
    case sess::EndKind::DialogGone:
      u.endHint = spi::EndHint::Remote;
      break;
  }
  // Post-connection data first, then the state (RFC 7433 UUI before DISCONNECTED).
  info(*c, std::move(u));
  report(*c, CallState::Disconnected, mapped.mode);
  if (end.kind == sess::EndKind::Cancel) {
    report(*c, CallState::Idle, 0);  // nothing is left to clear (decision 4)
  }
}

void SipProvider::closeCall(spi::ProviderCallId callId) {
  Call* c = find(callId);
  if (c == nullptr) {
    return;
  }
  forget(*c);
}

void SipProvider::forget(Call& c) {
  const spi::ProviderCallId id = c.id;
  std::vector<spi::RequestId> outstanding;
  for (const auto& [rid, cid] : pending_) {
    if (cid == id) {
      outstanding.push_back(rid);
    }
  }
  std::sort(outstanding.begin(), outstanding.end());
  for (spi::RequestId rid : outstanding) {
    complete(rid, LineErr::OperationFailed);
  }
  const sess::SessionHandle s = c.session;
  if (!c.ended) {
    dropOnWire(c, disconnect::Normal, {});
  }
  bySession_.erase(s.packed());
  sessions_->release(s);
  calls_.erase(id);  // the RTP port pair goes with it
}

// ---- registration (RFC 3261 §10) ------------------------------------------------------

void SipProvider::sendRegister(std::uint32_t deviceId, std::uint32_t expires) {
  Line* l = line(deviceId);
  if (l == nullptr) {
    return;
  }
  const tp::Protocol proto = lineProtocol(*l);
  auto target = tapi::sip::dialog::targetForUri(
      l->cfg.proxy.empty() ? l->cfg.registrar : l->cfg.proxy, proto);
  if (!target) {
    return;
  }
  std::string registrarUri = l->cfg.registrar;
  const std::string aor = "<sip:" + l->cfg.user + "@" + l->cfg.domain + ">";
  auto b = msg::MessageBuilder::request(msg::Method::Register, registrarUri);
  b.header("Via", "SIP/2.0/UDP 0.0.0.0;branch=z9hG4bKplaceholder");
  b.header("Max-Forwards", "70");
  if (!l->cfg.proxy.empty()) {
    b.header("Route", "<" + l->cfg.proxy + ";lr>");
  }
  b.header("From", aor + ";tag=" + l->regTag);
  b.header("To", aor);
  b.header("Call-ID", l->regCallId);
  b.header("CSeq", std::to_string(++l->regCSeq) + " REGISTER");
  b.header("Contact", contactFor(*l, target->protocol));
  b.header("Expires", std::to_string(expires));
  b.header("User-Agent", config_.session.userAgent);
  if (l->regAuthHeader.has_value()) {
    b.header(l->regAuthHeader->first, l->regAuthHeader->second);
  }
  auto m = b.build();
  if (!m) {
    return;
  }
  l->regInFlight = true;
  std::weak_ptr<bool> alive = alive_;
  (void)sessions_->sendRequest(
      std::move(*m), *target,
      [this, alive, deviceId, expires](const msg::SipMessage* r, std::error_code ec) {
        if (alive.expired()) {
          return;
        }
        onRegisterResponse(deviceId, expires, r, ec);
      });
}

void SipProvider::onRegisterResponse(std::uint32_t deviceId, std::uint32_t expires,
                                     const msg::SipMessage* r, std::error_code) {
  Line* l = line(deviceId);
  if (l == nullptr) {
    return;
  }
  l->regInFlight = false;
  auto retryLater = [&](std::chrono::seconds after) {
    if (!l->open || expires == 0) {
      return;
    }
    std::weak_ptr<bool> alive = alive_;
    if (l->regTimer != 0) {
      loop_.cancel(l->regTimer);
    }
    l->regTimer = loop_.schedule(after, [this, alive, deviceId] {
      if (alive.expired()) {
        return;
      }
      if (Line* ll = line(deviceId)) {
        ll->regTimer = 0;
        if (ll->open) {
          sendRegister(deviceId, ll->cfg.registerExpires);
        }
      }
    });
  };
  if (r == nullptr) {
    l->registered = false;
    retryLater(std::chrono::seconds(30));
    return;
  }
  const int code = r->statusCode();
  if ((code == 401 || code == 407) && !l->cfg.password.empty() && !l->regAuthTried) {
    const bool proxy = code == 407;
    auto challenge = auth::pickChallenge(
        headerLines(*r, proxy ? "Proxy-Authenticate" : "WWW-Authenticate"), proxy);
    if (challenge) {
      auth::Credentials cred{
          l->cfg.authUser.empty() ? l->cfg.user : l->cfg.authUser, l->cfg.password, {}};
      auto value = l->auth.answer(*challenge, cred, "REGISTER", l->cfg.registrar);
      if (value) {
        l->regAuthTried = true;
        l->regAuthHeader =
            std::make_pair(std::string(proxy ? "Proxy-Authorization" : "Authorization"), *value);
        sendRegister(deviceId, expires);
        return;
      }
    }
  }
  l->regAuthTried = false;
  l->regAuthHeader.reset();
  l->auth.beginRequest();
  if (code >= 200 && code < 300) {
    l->registered = expires > 0;
    if (expires == 0) {
      return;
    }
    std::uint32_t granted = expires;
    if (auto e = r->header("Expires")) {
      granted = static_cast<std::uint32_t>(std::strtoul(std::string(*e).c_str(), nullptr, 10));
    }
    for (const auto& ct : r->contacts()) {
      if (ct.uri.user == l->cfg.user) {
        if (auto v = ct.params.value("expires"); !v.empty()) {
          granted = static_cast<std::uint32_t>(std::strtoul(std::string(v).c_str(), nullptr, 10));
        }
      }
    }
    if (granted == 0) {
      granted = expires;
    }
    // Refresh ahead of expiry: half-way for short bindings, 30 s early for long ones.
    const std::uint32_t after = std::max(granted / 2, granted > 30 ? granted - 30 : granted / 2);
    retryLater(std::chrono::seconds(std::max<std::uint32_t>(after, 1)));
    return;
  }
  l->registered = false;
  retryLater(std::chrono::seconds(60));
}

// ---- accounting -----------------------------------------------------------------------

spi::ProviderStats SipProvider::stats() const {
  const SipStats s = sipStats();
  spi::ProviderStats p;
  p.calls = s.calls;
  p.pendingRequests = s.pendingRequests;
  p.timers = s.timers;
  for (const auto& l : lines_) {
    p.openLines += l->open ? 1 : 0;
  }
  return p;
}

SipStats SipProvider::sipStats() const {
  SipStats s;
  s.calls = calls_.size();
  s.pendingRequests = pending_.size();
  const sess::SessionStats ss = sessions_->stats();
  const auto ts = sessions_->transactions().stats();
  s.sessions = ss.sessions;
  s.dialogs = ss.dialogs;
  s.transactions = ts.liveTotal();
  s.timers = ss.timers + ts.timersPending;
  for (const auto& l : lines_) {
    s.timers += l->regTimer != 0 ? 1 : 0;
    s.registrations += l->registered ? 1 : 0;
  }
  s.connections = tcp_ ? tcp_->stats().connectionsOpen : 0;
  s.rtpPorts = rtp_->inUse();
  s.outOfDialog = ss.outOfDialog;
  s.callsTotal = callsTotal_;
  s.answered481 = ss.answered481;
  s.callsRefusedNoFds = callsRefusedNoFds_;
  if (tcp_) {
    const tp::TransportStats& t = tcp_->stats();
    s.tcpRefused = t.dropped(tp::DropReason::TooManyConnections);
    s.tcpAcceptNoFds = t.dropped(tp::DropReason::NoDescriptors);
    s.tcpEvicted = t.dropped(tp::DropReason::Evicted);
  }
  s.endedBy = ss.endedBy;
  return s;
}

std::vector<spi::ProviderLeak> SipProvider::leaks() const {
  const SipStats s = sipStats();
  const auto ts = sessions_->transactions().stats();
  // Sessions and transactions that only linger for retransmissions end by their own timers;
  // what is counted here would stay for ever.
  return {{"sip-call", s.calls},
          {"sip-pending-request", s.pendingRequests},
          {"sip-session-unfinished", sessions_->unfinished()},
          {"sip-transaction-without-timer", static_cast<std::size_t>(ts.withoutTimer)},
          {"sip-out-of-dialog", s.outOfDialog},
          {"rtp-port", s.rtpPorts}};
}

bool SipProvider::drained() const {
  return calls_.empty() && sessions_->unfinished() == 0 && sessions_->stats().outOfDialog == 0;
}

std::optional<tp::Endpoint> SipProvider::udpEndpoint() const {
  return udp_ ? std::optional<tp::Endpoint>(udp_->localEndpoint()) : std::nullopt;
}

std::optional<tp::Endpoint> SipProvider::tcpEndpoint() const {
  return tcp_ ? std::optional<tp::Endpoint>(tcp_->localEndpoint()) : std::nullopt;
}

}  // namespace tapi::providers::sip
