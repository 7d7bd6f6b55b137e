// The SIP provider, calls in: an INVITE becomes an offered call on a line (or is refused
// before any state exists), and lineAccept/lineAnswer become 180 and 2xx.

#include <string>
#include <utility>

#include "providers/sip/provider_state.hpp"
#include "providers/sip/provider_util.hpp"
#include "providers/sip/sip_provider.hpp"
#include "sip/headers/reason.hpp"
#include "sip/headers/user_to_user.hpp"
#include "sip/sdp/sdp.hpp"

namespace tapi::providers::sip {

namespace msg = tapi::sip::message;
namespace sess = tapi::sip::session;
namespace tp = tapi::sip::transport;
namespace hdr = tapi::sip::headers;
namespace sdp = tapi::sip::sdp;

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

std::string q850Header(const hdr::Reason& r) {
  return hdr::formatReason(r);
}

}  // namespace

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
  // Announced on a later turn, like every event (never inside an engine call).
  post([this, pid, dev, ni, ring] {
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

}  // namespace tapi::providers::sip
