// The SIP provider, ends of calls: a TAPI drop becomes the SIP message the call's state
// calls for (the cause map's plan), and every SIP end becomes DISCONNECTED or IDLE with the
// mapped mode and post-connection data.

#include <optional>
#include <string>
#include <utility>

#include "providers/sip/provider_state.hpp"
#include "providers/sip/sip_provider.hpp"
#include "sip/headers/reason.hpp"
#include "sip/headers/user_to_user.hpp"

namespace tapi::providers::sip {

namespace msg = tapi::sip::message;
namespace sess = tapi::sip::session;
namespace hdr = tapi::sip::headers;

namespace {

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

}  // namespace

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

}  // namespace tapi::providers::sip
