// The SIP provider, calls out: lineMakeCall becomes an INVITE, and its provisional, 2xx and
// challenge responses become TAPI states and post-connection data.

#include <string>
#include <utility>

#include "providers/sip/provider_state.hpp"
#include "providers/sip/provider_util.hpp"
#include "providers/sip/sip_provider.hpp"
#include "sip/dialog/target.hpp"
#include "sip/headers/user_to_user.hpp"
#include "sip/sdp/sdp.hpp"

namespace tapi::providers::sip {

namespace msg = tapi::sip::message;
namespace sess = tapi::sip::session;
namespace tp = tapi::sip::transport;
namespace hdr = tapi::sip::headers;
namespace sdp = tapi::sip::sdp;
namespace auth = tapi::sip::auth;

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
  const Party caller{l->cfg.user, l->cfg.displayName};
  const Party called{std::string(parsedUri->user.empty() ? parsedUri->host : parsedUri->user), {}};
  post([this, id, pid] {
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

}  // namespace tapi::providers::sip
