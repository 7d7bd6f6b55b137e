#pragma once
// The transaction user of sip-options-responder: answers OPTIONS with 200 and every other
// request with the status RFC 3261 §8.2.1 asks for, each through a server transaction.

#include <cstdint>

#include "sip/transaction/transaction_layer.hpp"
#include "sip/transaction/transaction_user.hpp"

namespace tapi::tools {

/** Answers requests for a UA that supports only OPTIONS. Loop thread only. */
class OptionsResponder final : public sip::transaction::TransactionUser {
 public:
  /** Must be followed by attach() before any message arrives. */
  OptionsResponder() = default;

  /** The layer the answers go through (not owned; outlives nothing it calls back). */
  void attach(sip::transaction::TransactionLayer& layer) { layer_ = &layer; }

  /** The status sent for a request of `methodName` (200, 405, 481 or 501). */
  static int statusFor(std::string_view methodName);

  std::uint64_t answered() const { return answered_; }

  // sip::transaction::TransactionUser
  void onResponse(const sip::transaction::ResponseParam& p) override;
  void onRequest(const sip::transaction::RequestParam& p) override;
  void onAck(const sip::transaction::AckParam& p) override;
  void onTransportError(const sip::transaction::TransportErrorParam& p) override;
  void onTerminated(const sip::transaction::TerminatedParam& p) override;

 private:
  sip::transaction::TransactionLayer* layer_ = nullptr;
  std::uint64_t answered_ = 0;
};

}  // namespace tapi::tools
