// The SIP provider: construction, lines, the events it posts to the engine, closing calls
// and accounting. Calls out, calls in, media, ends of calls and registration have their
// own files.

#include "providers/sip/sip_provider.hpp"

#include <algorithm>
#include <optional>

#include "providers/sip/provider_state.hpp"
#include "sip/dialog/target.hpp"
#include "sip/errc.hpp"

namespace tapi::providers::sip {

namespace sess = tapi::sip::session;
namespace tp = tapi::sip::transport;
namespace sdp = tapi::sip::sdp;

namespace {

// "host:port", "[v6]:port" or a bare host (port 5060); nullopt unless the host is an IP address.
std::optional<tp::Endpoint> parseListen(const std::string& text) {
  tp::Endpoint e;
  std::string host = text;
  std::string port;
  if (!text.empty() && text.front() == '[') {
    const auto close = text.find(']');
    if (close == std::string::npos) {
      return std::nullopt;
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
    return std::nullopt;
  }
  if (!port.empty()) {
    try {
      const unsigned long v = std::stoul(port);
      if (v > 65535) {
        return std::nullopt;
      }
      e.port = static_cast<std::uint16_t>(v);
    } catch (...) {
      return std::nullopt;
    }
  } else {
    e.port = 5060;
  }
  return e;
}

// A setting that cannot work: sip::Errc::InvalidConfig, with the sentence naming it.
base::Error invalidConfig(std::string text) {
  return base::Error{make_error_code(tapi::sip::Errc::InvalidConfig), std::move(text)};
}

}  // namespace

// ---- construction ---------------------------------------------------------------------

SipProvider::SipProvider(base::EventLoop& loop, SipProviderConfig config)
    : loop_(loop), config_(std::move(config)) {}

base::Outcome<std::unique_ptr<SipProvider>> SipProvider::create(base::EventLoop& loop,
                                                                boost::asio::io_context& io,
                                                                SipProviderConfig config) {
  std::unique_ptr<SipProvider> p(new SipProvider(loop, std::move(config)));
  const SipProviderConfig& c = p->config_;
  if (c.listenUdp.empty() && c.listenTcp.empty()) {
    return invalidConfig("sip: neither UDP nor TCP listen address is set");
  }
  std::string bindHost;
  if (!c.listenUdp.empty()) {
    const std::optional<tp::Endpoint> listen = parseListen(c.listenUdp);
    if (!listen) {
      return invalidConfig("sip: listen_udp '" + c.listenUdp + "' is not an IP address and port");
    }
    auto udp = tp::UdpTransport::open(io, *listen);
    if (!udp) {
      return base::Error{udp.error(),
                         "sip: cannot listen on UDP " + c.listenUdp + ": " + udp.error().message()};
    }
    p->ownedUdp_ = std::move(*udp);
    p->udp_ = p->ownedUdp_.get();
    p->transportLayer_.addTransport(*p->udp_, c.advertisedHost);
    bindHost = listen->address.to_string();
  }
  if (!c.listenTcp.empty()) {
    const std::optional<tp::Endpoint> listen = parseListen(c.listenTcp);
    if (!listen) {
      return invalidConfig("sip: listen_tcp '" + c.listenTcp + "' is not an IP address and port");
    }
    tp::TcpOptions opts;
    opts.idleTimeout = c.tcpIdleTimeout;
    opts.maxConnections = c.tcpMaxConnections;
    opts.fdBudget = c.fdBudget;
    opts.evictIdleAfter = std::chrono::duration_cast<std::chrono::milliseconds>(64 * c.timers.t1);
    auto tcp = tp::TcpTransport::open(io, *listen, opts);
    if (!tcp) {
      return base::Error{tcp.error(),
                         "sip: cannot listen on TCP " + c.listenTcp + ": " + tcp.error().message()};
    }
    p->ownedTcp_ = std::move(*tcp);
    p->tcp_ = p->ownedTcp_.get();
    p->transportLayer_.addTransport(*p->tcp_, c.advertisedHost);
    if (bindHost.empty()) {
      bindHost = listen->address.to_string();
    }
  }
  if (auto r = p->setUp(bindHost); !r) {
    return r.error();
  }
  return p;
}

base::Outcome<std::unique_ptr<SipProvider>> SipProvider::createOnTransports(
    base::EventLoop& loop, tp::Transport* udp, tp::Transport* tcp, SipProviderConfig config) {
  if (udp == nullptr && tcp == nullptr) {
    return invalidConfig("sip: neither a UDP nor a TCP transport is given");
  }
  std::unique_ptr<SipProvider> p(new SipProvider(loop, std::move(config)));
  p->udp_ = udp;
  p->tcp_ = tcp;
  for (tp::Transport* t : {udp, tcp}) {
    if (t != nullptr) {
      p->transportLayer_.addTransport(*t, p->config_.advertisedHost);
    }
  }
  const std::string bindHost = (udp != nullptr ? udp : tcp)->localEndpoint().address.to_string();
  if (auto r = p->setUp(bindHost); !r) {
    return r.error();
  }
  return p;
}

base::Outcome<void> SipProvider::setUp(const std::string& bindHost) {
  const SipProviderConfig& c = config_;
  const std::string rtpBind = c.rtpAddress.empty() ? bindHost : c.rtpAddress;
  if (c.rtpFirstPort == 0 || c.rtpLastPort < c.rtpFirstPort + 1) {
    return invalidConfig("sip: the RTP port range is empty");
  }
  rtp_ = std::make_unique<sdp::RtpPortPool>(rtpBind, c.rtpFirstPort, c.rtpLastPort);
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
  sessions_ =
      std::make_unique<sess::SessionLayer>(loop_, transportLayer_, *this, c.timers, std::move(sc));
  std::uint32_t dev = c.firstDeviceId;
  for (const auto& lc : c.lines) {
    if (lc.user.empty() || lc.domain.empty()) {
      return invalidConfig("sip: line '" + lc.name + "' needs a user and a domain");
    }
    auto l = std::make_unique<Line>();
    l->deviceId = dev++;
    l->cfg = lc;
    if (l->cfg.name.empty()) {
      l->cfg.name = "sip/" + lc.user;
    }
    const Line* lp = l.get();
    l->registration = std::make_unique<Registration>(
        loop_, *sessions_, l->cfg, c.session.userAgent, lineProtocol(*l),
        [this, lp](tp::Protocol proto) { return contactFor(*lp, proto); });
    lines_.push_back(std::move(l));
  }
  return {};
}

SipProvider::~SipProvider() {
  for (auto& l : lines_) {
    l->registration.reset();  // its timer first, as before the calls and the sessions
  }
  calls_.clear();
  sessions_.reset();
  if (udp_ != nullptr) {
    transportLayer_.removeTransport(*udp_);
    if (ownedUdp_) {
      ownedUdp_->close();
    }
  }
  if (tcp_ != nullptr) {
    transportLayer_.removeTransport(*tcp_);
    if (ownedTcp_) {
      ownedTcp_->close();
    }
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
  const tp::Transport* t = p == tp::Protocol::Tcp ? tcp_ : udp_;
  if (t == nullptr) {
    t = udp_ != nullptr ? udp_ : tcp_;
  }
  std::string c =
      "<sip:" + l.cfg.user + "@" + localHost() + ":" + std::to_string(t->localEndpoint().port);
  if (t->protocol() == tp::Protocol::Tcp) {
    c += ";transport=tcp";
  }
  return c + ">";
}

void SipProvider::post(std::function<void()> task) {
  loop_.post(life_.guard(std::move(task)));
}

void SipProvider::postForCall(spi::ProviderCallId id, std::function<void(Call&)> task) {
  post([this, id, task = std::move(task)] {
    Call* call = find(id);
    if (call == nullptr || !call->announced || events_ == nullptr) {
      return;  // closed, or not known to the engine
    }
    task(*call);
  });
}

void SipProvider::report(Call& c, CallState state, std::uint32_t mode) {
  c.state = state;
  if (state == CallState::Idle) {
    c.idle = true;
  }
  postForCall(c.id,
              [this, state, mode](Call& call) { events_->onCallState(call.ht, state, mode); });
}

void SipProvider::info(Call& c, spi::CallInfoUpdate update) {
  postForCall(c.id, [this, u = std::move(update)](Call& call) { events_->onCallInfo(call.ht, u); });
}

void SipProvider::complete(spi::RequestId id, Result<void> result) {
  post([this, id, result] {
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
  l->registration->start();
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
  l->registration->stop();
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
    s.timers += l->registration->timerPending() ? 1 : 0;
    s.registrations += l->registration->registered() ? 1 : 0;
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
