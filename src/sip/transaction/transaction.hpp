#pragma once
// The part every transaction state machine shares: identity, its timers, sending on its
// route, and the single way to end. The state machines live in client_transaction.hpp
// and server_transaction.hpp; only TransactionLayer creates them.

#include <array>
#include <optional>
#include <string>
#include <string_view>

#include <fmt/format.h>

#include "base/event_loop.hpp"
#include "sip/message/message.hpp"
#include "sip/transaction/transaction_types.hpp"
#include "sip/transport/transport_layer.hpp"

namespace tapi::sip::transaction {

class TransactionLayer;

/**
 * A transaction key as one log token: the key separates its parts with line feeds (they can
 * appear in none of them), which the log shows as spaces so that every event stays on one
 * line. Formatted only when the log line is written.
 */
struct LogKey {
  std::string_view key;
};

/** Base of the four state machines. Loop thread only; owned by the TransactionLayer. */
class Transaction {
 public:
  /** @param reliable whether the transport is reliable (no retransmission, zero linger timers). */
  Transaction(TransactionLayer& layer, TransactionKind kind, message::SipMessage request,
              bool reliable);
  virtual ~Transaction();

  Transaction(const Transaction&) = delete;
  Transaction& operator=(const Transaction&) = delete;

  TransactionKind kind() const { return kind_; }
  TransactionHandle handle() const { return handle_; }
  /** The request that created the transaction. */
  const message::SipMessage& request() const { return request_; }
  /** The key it is registered under in the layer's matching table. */
  const std::string& key() const { return key_; }
  /** The key for log lines (see LogKey). */
  LogKey logKey() const { return LogKey{key_}; }
  /** Whether the current state is Terminated. */
  virtual bool terminated() const = 0;
  /** The current state's name. */
  virtual std::string_view stateName() const = 0;
  /** Number of timers currently armed. */
  std::size_t timersArmed() const;

  /** A timer of this transaction fired. */
  virtual void onTimer(TimerName t) = 0;
  /** A send of this transaction failed. */
  virtual void onTransportError(std::error_code ec) = 0;

  /** @cond internal: set once by the layer right after creation. */
  void attach(TransactionHandle h, std::string key) {
    handle_ = h;
    key_ = std::move(key);
  }
  /** @endcond */

 protected:
  /** Arms `t` to fire after `after` (replacing an armed one). Zero duration is not allowed: callers
   * handle "0 on reliable" by acting at once. */
  void startTimer(TimerName t, base::Duration after);
  void stopTimer(TimerName t);
  void stopAllTimers();
  /** True on an unreliable transport, where this layer retransmits. */
  bool unreliable() const { return !reliable_; }

  /** Sends `bytes` on route_, keeping them as the message to retransmit. */
  void sendAndKeep(std::string bytes);
  /** Re-sends the kept message. */
  void resend();
  /** Sends other bytes on route_ without keeping them (e.g. the ACK). */
  void sendOnce(std::string bytes);

  /** Ends the transaction: timers stopped, TU told, memory released later. Call once, on entering
   * Terminated. */
  void finish(EndReason reason);
  /** Tells the TU a send failed. */
  void reportTransportError(std::error_code ec);

  const TimerConfig& timers() const;

  TransactionLayer& layer_;
  TransactionKind kind_;
  bool reliable_;
  TransactionHandle handle_;
  std::string key_;
  message::SipMessage request_;
  transport::Route route_;
  std::string kept_;  // the message timers retransmit

 private:
  void send(std::string bytes);
  std::array<base::TimerId, kTimerCount> timerIds_{};
};

}  // namespace tapi::sip::transaction

template <>
struct fmt::formatter<tapi::sip::transaction::LogKey> : fmt::formatter<std::string_view> {
  template <typename Context>
  auto format(const tapi::sip::transaction::LogKey& k, Context& ctx) const {
    auto out = ctx.out();
    for (char c : k.key) {
      *out++ = c == '\n' ? ' ' : c;
    }
    return out;
  }
};
