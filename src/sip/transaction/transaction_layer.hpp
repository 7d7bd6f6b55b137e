#pragma once
// The transaction layer (RFC 3261 §17 with RFC 6026): creates, matches, drives and
// destroys client and server transactions on top of the TransportLayer.

#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <vector>

#include "base/event_loop.hpp"
#include "base/handle.hpp"
#include "base/life_token.hpp"
#include "base/result.hpp"
#include "sip/message/message.hpp"
#include "sip/transaction/transaction_types.hpp"
#include "sip/transaction/transaction_user.hpp"
#include "sip/transport/transport_layer.hpp"

namespace tapi::sip::transaction {

class Transaction;

/** Owns one transaction in the slot map (a box, so the handle type needs no full class). */
struct TransactionBox {
  explicit TransactionBox(std::unique_ptr<Transaction> t);
  ~TransactionBox();
  std::unique_ptr<Transaction> tx;
};

/**
 * The transaction layer. Loop thread only. It registers itself as the TransportLayer's
 * MessageSink; the TransportLayer, the loop and the TU must outlive it.
 *
 * Lifetimes: a transaction ends by moving to Terminated; the TU hears onTerminated()
 * exactly once, the transaction leaves the matching tables at once, and its memory is
 * released on a later loop turn (never from inside a callback).
 */
class TransactionLayer final : public transport::MessageSink {
 public:
  TransactionLayer(base::EventLoop& loop, transport::TransportLayer& transport, TransactionUser& tu,
                   TimerConfig timers = {});
  ~TransactionLayer() override;

  TransactionLayer(const TransactionLayer&) = delete;
  TransactionLayer& operator=(const TransactionLayer&) = delete;

  // ---- client side --------------------------------------------------------------------

  /**
   * Starts a client transaction for `request` (INVITE: INVITE client; others: non-INVITE
   * client). The request's Via is replaced with ours (fresh branch, rport).
   * Precondition: request is a request and not an ACK (use sendStateless for ACK to 2xx).
   * @return the transaction handle, or the transport error (no transaction is created).
   */
  Result<TransactionHandle> sendRequest(message::SipMessage request,
                                        const transport::Target& target);

  /**
   * CANCELs the INVITE of a client transaction (RFC 3261 §9.1): same Request-URI, Call-ID,
   * From, To, CSeq number, Route and top Via branch, sent to the same target in its own
   * non-INVITE client transaction.
   * Precondition: a provisional response has been received (state Proceeding).
   * @param headers extra header lines for the CANCEL (e.g. Reason, RFC 3326).
   * @return the CANCEL's transaction, or an error when the INVITE is not cancellable.
   */
  Result<TransactionHandle> sendCancel(
      TransactionHandle invite,
      const std::vector<std::pair<std::string, std::string>>& headers = {});

  /**
   * Sends a request outside any transaction (the ACK for a 2xx, §13.2.2.4): gets our Via
   * with a fresh branch and is sent once.
   */
  Result<void> sendStateless(message::SipMessage request, const transport::Target& target);

  /**
   * Gives up an INVITE client transaction that has no final response yet (RFC 3261 §9.1:
   * none 64*T1 after its CANCEL, so the TU destroys it). It ends at once; the TU hears
   * onTerminated(Timeout) on a later loop turn, as for any other end.
   * @return false if `invite` is not an INVITE client transaction in Calling or Proceeding.
   */
  bool abandon(TransactionHandle invite);

  // ---- server side --------------------------------------------------------------------

  /**
   * Creates the server transaction for a request the TU got in onRequest(). An INVITE
   * gets 100 Trying at once when TimerConfig::autoTrying is set.
   * Precondition: not an ACK.
   */
  Result<TransactionHandle> createServer(const message::SipMessage& request,
                                         const transport::Arrival& arrival);

  /**
   * Sends a response through a server transaction (provisional or final; 2xx to an INVITE
   * also in Accepted, for the TU's retransmissions).
   * @return an error if the handle is stale or the state forbids the response.
   */
  Result<void> respond(TransactionHandle server, message::SipMessage response);

  /** Sends a response without a transaction, routed by its top Via (§18.2.2). */
  Result<void> respondStateless(const message::SipMessage& response,
                                const transport::Arrival& arrival);

  /**
   * The INVITE server transaction a CANCEL targets (§9.2): same branch, sent-by (or the
   * RFC 2543 fields) with method INVITE. @return an invalid handle if there is none.
   */
  TransactionHandle findInviteServerForCancel(const message::SipMessage& cancel) const;

  // ---- introspection ------------------------------------------------------------------

  /** True while the transaction exists and has not terminated. */
  bool alive(TransactionHandle h) const;
  /** The kind, if the transaction exists. */
  std::optional<TransactionKind> kind(TransactionHandle h) const;
  /** The current state's name ("Proceeding"), or "" if the handle is stale. */
  std::string_view stateName(TransactionHandle h) const;
  /** The request that created the transaction, or null if stale. */
  const message::SipMessage* request(TransactionHandle h) const;
  /** Counters; live counts include terminated transactions not yet released. */
  TransactionStats stats() const;
  /** The timer configuration in use. */
  const TimerConfig& timers() const { return timers_; }

  // transport::MessageSink
  void onMessage(transport::IncomingMessage&& in) override;

  // ---- used by the transactions themselves --------------------------------------------

  /** @cond internal */
  base::EventLoop& loop() { return loop_; }
  transport::TransportLayer& transport() { return transport_; }
  TransactionUser& tu() { return tu_; }
  TransactionStats& mutableStats() { return stats_; }
  Transaction* find(TransactionHandle h) const;
  /** Removes the transaction from matching and queues the TU's onTerminated and its destruction. */
  void retire(Transaction& t, EndReason reason);
  /** Alive token for callbacks that may outlive the layer. */
  const base::LifeToken& life() const noexcept { return life_; }
  /** @endcond */

 private:
  template <typename T, typename... Args>
  T* create(std::string key, Args&&... args);
  void reap();
  bool roomForOneMore();
  void onRequestIn(transport::IncomingMessage& in);
  void onResponseIn(transport::IncomingMessage& in);

  base::EventLoop& loop_;
  transport::TransportLayer& transport_;
  TransactionUser& tu_;
  TimerConfig timers_;
  base::SlotMap<TransactionBox> table_;
  std::unordered_map<std::string, TransactionHandle> clientIndex_;
  std::unordered_map<std::string, TransactionHandle> serverIndex_;
  struct Doomed {
    TransactionHandle handle;
    TransactionKind kind;
    EndReason reason;
  };
  std::vector<Doomed> doomed_;
  bool reapPosted_ = false;
  TransactionStats stats_;
  base::LifeToken life_;  // last: callbacks see the layer gone before anything else goes
};

}  // namespace tapi::sip::transaction
