#pragma once
// RFC 4028 session timers for one INVITE session: the interval both sides agreed on and who
// refreshes it, negotiated from the initial INVITE's 2xx and from every refresh (a re-INVITE
// or UPDATE either side sends); our refresh re-INVITEs; and the end of the session when no
// refresh comes in time or ours fails.

#include <chrono>
#include <cstdint>
#include <optional>
#include <string_view>

#include "sip/message/message.hpp"
#include "sip/session/session_types.hpp"
#include "sip/transaction/transaction_layer.hpp"

namespace tapi::sip::session {

class InviteSession;

/** A Session-Expires value (RFC 4028 §4). */
struct SessionExpiresValue {
  std::uint32_t seconds = 0;
  std::string_view refresher;  ///< "uac", "uas" or empty
};

/** The message's Session-Expires (compact form "x"), or nullopt if absent, malformed or zero. */
std::optional<SessionExpiresValue> parseSessionExpires(const message::SipMessage& m);

/**
 * The session timer of one session. Its two timers (SessionTimerName::Refresh and Expiry)
 * are slots of the session's; the session hands their firing back here. Loop thread only;
 * owned by its InviteSession.
 */
class SessionTimer {
 public:
  explicit SessionTimer(InviteSession& session) : session_(session) {}

  SessionTimer(const SessionTimer&) = delete;
  SessionTimer& operator=(const SessionTimer&) = delete;

  /**
   * UAS, answering the initial INVITE with 2xx (§9): accepts the peer's interval. The UAC
   * refreshes unless it asked us to or does not support timers.
   * @param out receives Session-Expires (and Require: timer) for the 2xx.
   */
  void negotiateAnswer(const message::SipMessage& invite, HeaderList& out);
  /**
   * A re-INVITE from the peer that we accept: its interval is taken, and the refresher it
   * names (relative to its sender, the UAC of this refresh) decides who refreshes.
   * @param out receives Session-Expires and Require for our 200.
   */
  void negotiateReinvite(const message::SipMessage& reinvite, HeaderList& out);
  /**
   * An UPDATE from the peer: the interval in force is echoed on our 200 and, if the dialog
   * is confirmed, the timers start again.
   * @param out receives Session-Expires for our 200 (nothing without a session timer).
   */
  void onUpdate(const message::SipMessage& update, HeaderList& out);
  /**
   * (Re)starts the timers: a refresh at half the interval if we refresh, else the expiry
   * shortly before the interval ends (§10).
   * @param weAreUac true when `m` answers our own request: the interval and refresher come
   *   from it (no Session-Expires there turns session timers off).
   */
  void start(const message::SipMessage& m, bool weAreUac);
  /** Disarms both timers. */
  void stop();

  /** A final response to one of our refresh re-INVITEs (a 2xx is ACKed here). */
  void onRefreshResponse(const message::SipMessage& response);
  /**
   * A transaction of the session terminated.
   * @return true if it was our refresh, ended without an answer (§10: like a 408), and the
   *   session has ended.
   */
  bool onTransactionEnded(const transaction::TerminatedParam& p);
  /** Timer Refresh fired: sends our refresh re-INVITE. */
  void onRefreshDue();
  /** Timer Expiry fired: the session ends with BYE. */
  void onExpiry();

  /** Whether our refresh re-INVITE awaits its final response (glare guard, §14.2). */
  bool refreshInFlight() const { return refreshInFlight_; }
  /** The agreed interval; zero when no session timer runs. */
  std::chrono::seconds interval() const { return interval_; }

 private:
  /** Ends the session with a BYE carrying `reason` (Q.850 cause 102). */
  void endWithBye(std::string reason, const EndInfo& e);

  InviteSession& session_;
  std::chrono::seconds interval_{0};
  bool weRefresh_ = false;
  bool refreshInFlight_ = false;
  transaction::TransactionHandle refreshTx_;  // our last refresh re-INVITE
};

}  // namespace tapi::sip::session
