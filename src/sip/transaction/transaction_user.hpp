#pragma once
// The transaction user (TU) interface: what the layer above (a UA core, dialogs, a
// stateless responder) implements to hear from the transaction layer.

#include "sip/transaction/transaction_types.hpp"

namespace tapi::sip::transaction {

/**
 * Receives events from the TransactionLayer. All calls come on the loop thread, after the
 * layer's own state is consistent; the TU may call back into the layer from any of them.
 * References in the parameter structs are valid only during the call.
 */
class TransactionUser {
 public:
  virtual ~TransactionUser() = default;

  /**
   * A response for a client transaction: every provisional, the non-2xx final once, and
   * every 2xx (the first and, in Accepted, retransmissions and other forks: the TU ACKs
   * each 2xx itself). A response matching no transaction arrives with an invalid handle.
   */
  virtual void onResponse(const ResponseParam& p) = 0;

  /**
   * A request matching no transaction (new requests, ACKs for 2xx, CANCELs). The TU
   * decides: TransactionLayer::createServer() to handle it statefully, sendStateless()
   * to answer without a transaction, or nothing to drop it.
   */
  virtual void onRequest(const RequestParam& p) = 0;

  /** An ACK that matched an INVITE server transaction in Accepted (RFC 6026 §7.1). */
  virtual void onAck(const AckParam& p) = 0;

  /** A send failed. In Accepted the transaction lives on (RFC 6026 §7.1); otherwise onTerminated follows. */
  virtual void onTransportError(const TransportErrorParam& p) = 0;

  /** The transaction ended; called exactly once per transaction. Its handle is stale after this. */
  virtual void onTerminated(const TerminatedParam& p) = 0;
};

}  // namespace tapi::sip::transaction
