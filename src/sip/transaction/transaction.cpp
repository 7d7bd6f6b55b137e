#include "sip/transaction/transaction.hpp"

#include "sip/transaction/transaction_layer.hpp"

namespace tapi::sip::transaction {

Transaction::Transaction(TransactionLayer& layer, TransactionKind kind, message::SipMessage request,
                         bool reliable)
    : layer_(layer), kind_(kind), reliable_(reliable), request_(std::move(request)) {}

Transaction::~Transaction() {
  stopAllTimers();
}

const TimerConfig& Transaction::timers() const {
  return layer_.timers();
}

std::size_t Transaction::timersArmed() const {
  std::size_t n = 0;
  for (base::TimerId id : timerIds_) {
    n += id != 0 ? 1 : 0;
  }
  return n;
}

void Transaction::startTimer(TimerName t, base::Duration after) {
  stopTimer(t);
  const std::size_t i = static_cast<std::size_t>(t);
  const TransactionHandle h = handle_;
  TransactionLayer* layer = &layer_;
  // The transaction cancels its timers when destroyed, so a firing always finds the layer;
  // the handle check covers a transaction that terminated in the same turn.
  timerIds_[i] = layer_.loop().schedule(after, [layer, h, t] {
    Transaction* tx = layer->find(h);
    if (tx == nullptr) {
      return;
    }
    tx->timerIds_[static_cast<std::size_t>(t)] = 0;
    tx->onTimer(t);
  });
}

void Transaction::stopTimer(TimerName t) {
  base::TimerId& id = timerIds_[static_cast<std::size_t>(t)];
  if (id != 0) {
    layer_.loop().cancel(id);
    id = 0;
  }
}

void Transaction::stopAllTimers() {
  for (std::size_t i = 0; i < kTimerCount; ++i) {
    stopTimer(static_cast<TimerName>(i));
  }
}

void Transaction::send(std::string bytes) {
  if (route_.transport == nullptr) {
    return;
  }
  const TransactionHandle h = handle_;
  TransactionLayer* layer = &layer_;
  layer_.transport().send(route_, std::move(bytes),
                          layer_.life().guard([layer, h](std::error_code ec) {
                            if (!ec) {
                              return;
                            }
                            ++layer->mutableStats().transportErrors;
                            if (Transaction* tx = layer->find(h)) {
                              tx->onTransportError(ec);
                            }
                          }));
}

void Transaction::sendAndKeep(std::string bytes) {
  kept_ = bytes;
  send(std::move(bytes));
}

void Transaction::resend() {
  ++layer_.mutableStats().retransmissions;
  send(kept_);
}

void Transaction::sendOnce(std::string bytes) {
  send(std::move(bytes));
}

void Transaction::finish(EndReason reason) {
  stopAllTimers();
  layer_.retire(*this, reason);
}

void Transaction::reportTransportError(std::error_code ec) {
  layer_.tu().onTransportError(TransportErrorParam{handle_, kind_, ec});
}

}  // namespace tapi::sip::transaction
