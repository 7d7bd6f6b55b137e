#include "sip/session/session_timer.hpp"

#include <algorithm>
#include <string>

#include "sip/headers/session_timer.hpp"
#include "sip/session/invite_session.hpp"
#include "sip/session/session_layer.hpp"

namespace tapi::sip::session {

using message::SipMessage;

namespace {

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

// What a BYE that ends the session on a timer carries (decision 3: every BYE we start
// carries a Reason).
constexpr std::string_view kExpiryReason = "Q.850;cause=102;text=\"Recovery on timer expiry\"";
constexpr std::string_view kRefreshFailedReason = "Q.850;cause=102";

}  // namespace

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

// ---- negotiation ----------------------------------------------------------------------

void SessionTimer::negotiateAnswer(const SipMessage& invite, HeaderList& out) {
  const auto se = parseSessionExpires(invite);
  if (!se || session_.layer().config().sessionExpires.count() == 0) {
    return;
  }
  const bool uacSupports = listHas(invite, "Supported", "timer") || listHas(invite, "k", "timer");
  std::string refresher(se->refresher);
  if (refresher.empty()) {
    refresher = uacSupports ? "uac" : "uas";
  }
  out.emplace_back("Session-Expires", std::to_string(se->seconds) + ";refresher=" + refresher);
  if (uacSupports) {
    out.emplace_back("Require", "timer");
  }
  interval_ = std::chrono::seconds(se->seconds);
  weRefresh_ = refresher == "uas";
}

void SessionTimer::negotiateReinvite(const SipMessage& reinvite, HeaderList& out) {
  const auto se = parseSessionExpires(reinvite);
  if (!se || session_.layer().config().sessionExpires.count() == 0) {
    return;
  }
  std::string refresher(se->refresher.empty() ? "uac" : se->refresher);
  out.emplace_back("Session-Expires", std::to_string(se->seconds) + ";refresher=" + refresher);
  out.emplace_back("Require", "timer");
  interval_ = std::chrono::seconds(se->seconds);
  // The refresher named is relative to this re-INVITE: its sender is the UAC.
  weRefresh_ = refresher == "uas";
}

void SessionTimer::onUpdate(const SipMessage& update, HeaderList& out) {
  if (interval_.count() == 0) {
    return;
  }
  out.emplace_back("Session-Expires", std::to_string(interval_.count()) +
                                          ";refresher=" + (weRefresh_ ? "uas" : "uac"));
  if (session_.confirmed()) {
    start(update, false);
  }
}

// ---- timers ---------------------------------------------------------------------------

void SessionTimer::start(const SipMessage& m, bool weAreUac) {
  stop();
  if (weAreUac) {
    auto se = parseSessionExpires(m);
    if (!se || session_.layer().config().sessionExpires.count() == 0) {
      interval_ = std::chrono::seconds(0);
      return;
    }
    interval_ = std::chrono::seconds(se->seconds);
    weRefresh_ = se->refresher != "uas";
  }
  if (interval_.count() == 0) {
    return;
  }
  if (weRefresh_) {
    session_.startTimer(SessionTimerName::Refresh, interval_ / 2);
  } else {
    // §10: the side that does not refresh ends the session shortly before expiry.
    const auto slack = std::min<std::chrono::seconds>(std::chrono::seconds(32), interval_ / 3);
    session_.startTimer(SessionTimerName::Expiry, interval_ - slack);
  }
}

void SessionTimer::stop() {
  session_.stopTimer(SessionTimerName::Refresh);
  session_.stopTimer(SessionTimerName::Expiry);
}

void SessionTimer::onRefreshDue() {
  dialog::Dialog* dlg = session_.mutableDialog();
  if (!session_.confirmed() || dlg == nullptr) {
    return;
  }
  // RFC 4028 §7.4: "uac" names the sender of this refresh, which is the refresher,
  // whichever role we had in the initial INVITE.
  HeaderList hl{{"Session-Expires", std::to_string(interval_.count()) + ";refresher=uac"},
                {"Supported", "timer"},
                {"Allow", std::string(kAllow)}};
  const std::string& sdp = session_.localSdp();
  auto reinvite = dlg->makeRequest("INVITE", hl, sdp, sdp.empty() ? "" : "application/sdp");
  if (!reinvite) {
    return;
  }
  if (auto tx = session_.sendInDialog(std::move(*reinvite))) {
    refreshInFlight_ = true;
    refreshTx_ = *tx;
  }
  // If the refresh never completes, the expiry ends the session.
  session_.startTimer(SessionTimerName::Expiry, interval_ / 2);
}

void SessionTimer::onExpiry() {
  if (!session_.confirmed()) {
    return;
  }
  EndInfo e;
  e.kind = refreshInFlight_ ? EndKind::RefreshFailed : EndKind::SessionExpired;
  e.error = make_error_code(Errc::Timeout);
  endWithBye(std::string(kExpiryReason), e);
}

void SessionTimer::endWithBye(std::string reason, const EndInfo& e) {
  session_.endWithBye({{"Reason", std::move(reason)}}, e);
}

// ---- refresh outcomes -----------------------------------------------------------------

void SessionTimer::onRefreshResponse(const SipMessage& r) {
  if (r.statusCode() < 200) {
    return;
  }
  refreshInFlight_ = false;
  if (r.statusCode() < 300) {
    session_.sendAck(r);
    if (session_.confirmed()) {
      if (dialog::Dialog* dlg = session_.mutableDialog()) {
        dlg->refreshTarget(r);
      }
      // We are the UAC of this refresh transaction, whatever our dialog role (§7.4).
      start(r, true);
    }
    return;
  }
  if (r.statusCode() != 408 && r.statusCode() != 481) {
    // RFC 4028 §10: only 408 and 481 (or a timeout) end the session at once. After any
    // other answer (491 on glare included) the session lives until it expires, unless a
    // refresh from the peer comes first; the expiry timer set with the refresh guards it.
    return;
  }
  if (session_.confirmed()) {
    EndInfo e;
    e.kind = r.statusCode() == 481 ? EndKind::DialogGone : EndKind::RefreshFailed;
    e.message = &r;
    e.status = r.statusCode();
    e.error = make_error_code(SipStatus{r.statusCode()});
    endWithBye(std::string(kRefreshFailedReason), e);
  }
}

bool SessionTimer::onTransactionEnded(const transaction::TerminatedParam& p) {
  // Our session refresh got no answer at all (RFC 4028 §10: a timeout ends it like 408).
  if (p.transaction != refreshTx_ || !refreshInFlight_ ||
      p.reason == transaction::EndReason::Completed || !session_.confirmed()) {
    return false;
  }
  refreshInFlight_ = false;
  EndInfo e;
  e.kind = EndKind::RefreshFailed;
  e.error = make_error_code(
      p.reason == transaction::EndReason::TransportError ? Errc::TransportError : Errc::Timeout);
  endWithBye(std::string(kRefreshFailedReason), e);
  return true;
}

}  // namespace tapi::sip::session
