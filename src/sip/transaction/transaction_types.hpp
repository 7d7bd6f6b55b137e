#pragma once
// Vocabulary of the transaction layer (RFC 3261 §17, RFC 6026): kinds, timers, end
// reasons, the timer configuration and the parameter structs passed to the TU.

#include <array>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <string_view>
#include <system_error>

#include "base/event_loop.hpp"
#include "base/handle.hpp"

namespace tapi::sip::transport {
struct Arrival;
}  // namespace tapi::sip::transport

namespace tapi::sip::message {
class SipMessage;
}  // namespace tapi::sip::message

namespace tapi::sip::transaction {

/** The four transaction kinds of RFC 3261 §17. */
enum class TransactionKind : std::uint8_t {
  InviteClient,     ///< §17.1.1, with RFC 6026's Accepted state
  NonInviteClient,  ///< §17.1.2
  InviteServer,     ///< §17.2.1, with RFC 6026's Accepted state
  NonInviteServer,  ///< §17.2.2
  Count_,           ///< not a kind: the number of kinds
};

/** "InviteClient", ... */
std::string_view toString(TransactionKind k) noexcept;

inline constexpr std::size_t kKindCount = static_cast<std::size_t>(TransactionKind::Count_);

/** The timers of RFC 3261 Table 4 plus RFC 6026's L and M. */
enum class TimerName : std::uint8_t {
  A,  ///< INVITE request retransmit (unreliable only)
  B,  ///< INVITE transaction timeout
  D,  ///< wait for response retransmits after a non-2xx (0 on reliable)
  E,  ///< non-INVITE request retransmit (unreliable only)
  F,  ///< non-INVITE transaction timeout
  G,  ///< INVITE final response retransmit (unreliable only)
  H,  ///< wait for ACK receipt
  I,  ///< wait for ACK retransmits (0 on reliable)
  J,  ///< wait for non-INVITE request retransmits (0 on reliable)
  K,  ///< wait for non-INVITE response retransmits (0 on reliable)
  L,  ///< INVITE server lingers in Accepted (RFC 6026)
  M,  ///< INVITE client lingers in Accepted (RFC 6026)
  Count_,
};

/** "A" ... "M". */
std::string_view toString(TimerName t) noexcept;

inline constexpr std::size_t kTimerCount = static_cast<std::size_t>(TimerName::Count_);

/** Why a transaction ended. */
enum class EndReason : std::uint8_t {
  Completed,       ///< normal end: its last timer ran out (D, I, J, K, L, M) or at once on reliable
  Timeout,         ///< no answer: Timer B or F (client), no ACK: Timer H (server)
  TransportError,  ///< the transport could not send a message of the transaction
};

/** "Completed", ... */
std::string_view toString(EndReason r) noexcept;

/** RFC 3261 §17 timer bases; every timer derives from these. */
struct TimerConfig {
  base::Duration t1 = std::chrono::milliseconds{500};  ///< RTT estimate
  base::Duration t2 = std::chrono::seconds{4};         ///< longest retransmit interval
  base::Duration t4 = std::chrono::seconds{5};         ///< longest message lifetime
  base::Duration timerD = std::chrono::seconds{32};    ///< Timer D on unreliable (>= 32 s)
  /** Whether an INVITE server transaction sends 100 Trying as soon as it is created. */
  bool autoTrying = true;
  /**
   * Most transactions alive at once (a request flood would otherwise hold one per request
   * for 64*T1); creating one more fails with resource_unavailable_try_again.
   */
  std::size_t maxTransactions = 100000;
};

struct TransactionBox;
/** Names a transaction; stale once it has been destroyed (never reused). */
using TransactionHandle = base::Handle<TransactionBox>;

/** TransactionUser::onResponse. */
struct ResponseParam {
  TransactionHandle transaction;  ///< the client transaction (invalid: stray)
  const message::SipMessage& response;
  const transport::Arrival& arrival;
};

/** TransactionUser::onRequest: a request that matched no transaction. */
struct RequestParam {
  const message::SipMessage& request;
  const transport::Arrival& arrival;
};

/** TransactionUser::onAck: an ACK absorbed by an INVITE server transaction in Accepted. */
struct AckParam {
  TransactionHandle transaction;  ///< the INVITE server transaction
  const message::SipMessage& ack;
  const transport::Arrival& arrival;
};

/** TransactionUser::onTransportError: a send failed (the transaction may live on). */
struct TransportErrorParam {
  TransactionHandle transaction;
  TransactionKind kind;
  std::error_code error;
};

/** TransactionUser::onTerminated. */
struct TerminatedParam {
  TransactionHandle transaction;
  TransactionKind kind;
  EndReason reason;
};

/** Counters of the transaction layer. */
struct TransactionStats {
  std::array<std::uint64_t, kKindCount> live{};     ///< transactions not yet destroyed
  std::array<std::uint64_t, kKindCount> created{};  ///< ever created
  std::uint64_t timersPending = 0;                  ///< timers armed by live transactions
  /**
   * Live transactions with no timer armed: an INVITE server transaction waiting for its
   * final answer from the TU, or one that nothing would ever end (a leak: the shutdown
   * leak report lists it).
   */
  std::uint64_t withoutTimer = 0;
  std::uint64_t retransmissions =
      0;                       ///< requests/responses re-sent (timers and absorbed retransmits)
  std::uint64_t absorbed = 0;  ///< retransmitted requests/responses swallowed
  std::uint64_t strayResponses = 0;       ///< responses matching no client transaction
  std::uint64_t unmatchedRequests = 0;    ///< requests handed to the TU without a transaction
  std::uint64_t timeouts = 0;             ///< transactions ended by Timer B, F or H
  std::uint64_t transportErrors = 0;      ///< failed sends
  std::uint64_t rejectedTransitions = 0;  ///< transitions the tables refused (a bug if not 0)
  std::uint64_t refusedOverLimit = 0;     ///< creations refused by TimerConfig::maxTransactions

  std::uint64_t liveOf(TransactionKind k) const { return live[static_cast<std::size_t>(k)]; }
  std::uint64_t liveTotal() const {
    std::uint64_t n = 0;
    for (auto v : live) {
      n += v;
    }
    return n;
  }
};

}  // namespace tapi::sip::transaction
