#include "sip/transaction/transaction_layer.hpp"

#include "sip/errc.hpp"
#include "sip/transaction/client_transaction.hpp"
#include "sip/transaction/matching.hpp"
#include "sip/transaction/server_transaction.hpp"
#include "sip/transport/branch.hpp"

namespace tapi::sip::transaction {

std::string_view toString(TransactionKind k) noexcept {
  switch (k) {
    case TransactionKind::InviteClient:
      return "InviteClient";
    case TransactionKind::NonInviteClient:
      return "NonInviteClient";
    case TransactionKind::InviteServer:
      return "InviteServer";
    case TransactionKind::NonInviteServer:
      return "NonInviteServer";
    case TransactionKind::Count_:
      return "Count_";
  }
  return "?";
}

std::string_view toString(TimerName t) noexcept {
  switch (t) {
    case TimerName::A:
      return "A";
    case TimerName::B:
      return "B";
    case TimerName::D:
      return "D";
    case TimerName::E:
      return "E";
    case TimerName::F:
      return "F";
    case TimerName::G:
      return "G";
    case TimerName::H:
      return "H";
    case TimerName::I:
      return "I";
    case TimerName::J:
      return "J";
    case TimerName::K:
      return "K";
    case TimerName::L:
      return "L";
    case TimerName::M:
      return "M";
    case TimerName::Count_:
      return "Count_";
  }
  return "?";
}

std::string_view toString(EndReason r) noexcept {
  switch (r) {
    case EndReason::Completed:
      return "Completed";
    case EndReason::Timeout:
      return "Timeout";
    case EndReason::TransportError:
      return "TransportError";
  }
  return "?";
}

TransactionBox::TransactionBox(std::unique_ptr<Transaction> t) : tx(std::move(t)) {}
TransactionBox::~TransactionBox() = default;

TransactionLayer::TransactionLayer(base::EventLoop& loop, transport::TransportLayer& transport,
                                   TransactionUser& tu, TimerConfig timers)
    : loop_(loop), transport_(transport), tu_(tu), timers_(timers) {
  transport_.setSink(this);
}

TransactionLayer::~TransactionLayer() {
  transport_.setSink(nullptr);
  life_.end();
  // Transactions cancel their own timers as they go. The TU is not called back: it is
  // being torn down with the layer.
  for (auto h : table_.handles()) {
    table_.erase(h);
  }
}

template <typename T, typename... Args>
T* TransactionLayer::create(std::string key, Args&&... args) {
  auto owned = std::make_unique<T>(*this, std::forward<Args>(args)...);
  T* raw = owned.get();
  auto [h, box] = table_.emplace(std::move(owned));
  (void)box;
  raw->attach(h, key);
  const auto k = static_cast<std::size_t>(raw->kind());
  ++stats_.live[k];
  ++stats_.created[k];
  const bool client = raw->kind() == TransactionKind::InviteClient ||
                      raw->kind() == TransactionKind::NonInviteClient;
  (client ? clientIndex_ : serverIndex_)[std::move(key)] = h;
  return raw;
}

bool TransactionLayer::roomForOneMore() {
  if (table_.size() < timers_.maxTransactions) {
    return true;
  }
  ++stats_.refusedOverLimit;
  return false;
}

Transaction* TransactionLayer::find(TransactionHandle h) const {
  TransactionBox* box = table_.get(h);
  return box == nullptr ? nullptr : box->tx.get();
}

void TransactionLayer::retire(Transaction& t, EndReason reason) {
  const bool client =
      t.kind() == TransactionKind::InviteClient || t.kind() == TransactionKind::NonInviteClient;
  auto& index = client ? clientIndex_ : serverIndex_;
  auto it = index.find(t.key());
  if (it != index.end() && it->second == t.handle()) {
    index.erase(it);
  }
  doomed_.push_back(Doomed{t.handle(), t.kind(), reason});
  if (!reapPosted_) {
    reapPosted_ = true;
    loop_.post(life_.guard([this] { reap(); }));
  }
}

void TransactionLayer::reap() {
  reapPosted_ = false;
  std::vector<Doomed> batch;
  batch.swap(doomed_);
  for (const Doomed& d : batch) {
    // Tell the TU first, from a fresh loop turn, so it never sees this inside its own call.
    tu_.onTerminated(TerminatedParam{d.handle, d.kind, d.reason});
    if (table_.erase(d.handle)) {
      --stats_.live[static_cast<std::size_t>(d.kind)];
    }
  }
}

bool TransactionLayer::alive(TransactionHandle h) const {
  const Transaction* t = find(h);
  return t != nullptr && !t->terminated();
}

std::optional<TransactionKind> TransactionLayer::kind(TransactionHandle h) const {
  const Transaction* t = find(h);
  return t == nullptr ? std::nullopt : std::optional<TransactionKind>(t->kind());
}

std::string_view TransactionLayer::stateName(TransactionHandle h) const {
  const Transaction* t = find(h);
  return t == nullptr ? std::string_view{} : t->stateName();
}

const message::SipMessage* TransactionLayer::request(TransactionHandle h) const {
  const Transaction* t = find(h);
  return t == nullptr ? nullptr : &t->request();
}

TransactionStats TransactionLayer::stats() const {
  TransactionStats s = stats_;
  s.timersPending = 0;
  table_.forEach([&](TransactionHandle, const TransactionBox& b) {
    const std::size_t armed = b.tx->timersArmed();
    s.timersPending += armed;
    s.withoutTimer += armed == 0 ? 1 : 0;
  });
  // Terminated ones waiting to be reaped have no timers either, and go at the end of the turn.
  s.withoutTimer -= std::min<std::uint64_t>(s.withoutTimer, doomed_.size());
  return s;
}

// ---- client side ----------------------------------------------------------------------

Result<TransactionHandle> TransactionLayer::sendRequest(message::SipMessage request,
                                                        const transport::Target& target) {
  if (!request.isRequest() || request.method() == message::Method::Ack) {
    return fail(Errc::WrongMessage);
  }
  if (!roomForOneMore()) {
    return fail(Errc::OverLimit);
  }
  auto route = transport_.prepareRequest(request, target, transport::generateBranch());
  if (!route) {
    return fail(route.error());
  }
  std::string key = clientKey(request);
  if (request.method() == message::Method::Invite) {
    auto* tx = create<InviteClientTransaction>(std::move(key), std::move(request), *route, target);
    const TransactionHandle h = tx->handle();
    tx->start();
    return h;
  }
  auto* tx = create<NonInviteClientTransaction>(std::move(key), std::move(request), *route);
  const TransactionHandle h = tx->handle();
  tx->start();
  return h;
}

Result<TransactionHandle> TransactionLayer::sendCancel(
    TransactionHandle invite, const std::vector<std::pair<std::string, std::string>>& headers) {
  auto* ict = dynamic_cast<InviteClientTransaction*>(find(invite));
  if (ict == nullptr) {
    return fail(Errc::StaleHandle);
  }
  // §9.1: only once a provisional arrived, and never after a final.
  if (ict->state() != InviteClientTransaction::State::Proceeding) {
    return fail(Errc::WrongState);
  }
  if (!roomForOneMore()) {
    return fail(Errc::OverLimit);
  }
  auto cancel = buildCancel(ict->request());
  if (!cancel) {
    return fail(cancel.error());
  }
  for (const auto& [name, value] : headers) {
    if (auto added = cancel->addHeader(name, value); !added) {
      return fail(added.error());
    }
  }
  // The CANCEL travels exactly like its INVITE: same branch, same transport and hop.
  std::string key = clientKey(*cancel);
  if (clientIndex_.count(key) != 0) {
    return fail(Errc::Duplicate);
  }
  auto* tx = create<NonInviteClientTransaction>(std::move(key), std::move(*cancel), ict->route());
  const TransactionHandle h = tx->handle();
  tx->start();
  return h;
}

Result<void> TransactionLayer::sendStateless(message::SipMessage request,
                                             const transport::Target& target) {
  if (!request.isRequest()) {
    return fail(Errc::WrongMessage);
  }
  auto route = transport_.prepareRequest(request, target, transport::generateBranch());
  if (!route) {
    return fail(route.error());
  }
  transport_.send(*route, request.serialize(), nullptr);
  return {};
}

bool TransactionLayer::abandon(TransactionHandle invite) {
  auto* ict = dynamic_cast<InviteClientTransaction*>(find(invite));
  return ict != nullptr && ict->abandon();
}

// ---- server side ----------------------------------------------------------------------

Result<TransactionHandle> TransactionLayer::createServer(const message::SipMessage& request,
                                                         const transport::Arrival& arrival) {
  if (!request.isRequest() || request.method() == message::Method::Ack) {
    return fail(Errc::WrongMessage);
  }
  std::string key = serverKey(request);
  if (serverIndex_.count(key) != 0) {
    return fail(Errc::Duplicate);
  }
  if (!roomForOneMore()) {
    return fail(Errc::OverLimit);
  }
  if (request.method() == message::Method::Invite) {
    auto* tx = create<InviteServerTransaction>(std::move(key), request.clone(), arrival);
    const TransactionHandle h = tx->handle();
    tx->start();
    return h;
  }
  auto* tx = create<NonInviteServerTransaction>(std::move(key), request.clone(), arrival);
  return tx->handle();
}

Result<void> TransactionLayer::respond(TransactionHandle server, message::SipMessage response) {
  Transaction* t = find(server);
  if (t == nullptr) {
    return fail(Errc::StaleHandle);
  }
  if (auto* ist = dynamic_cast<InviteServerTransaction*>(t)) {
    return ist->onTuResponse(std::move(response));
  }
  if (auto* nist = dynamic_cast<NonInviteServerTransaction*>(t)) {
    return nist->onTuResponse(std::move(response));
  }
  return fail(Errc::WrongKind);
}

Result<void> TransactionLayer::respondStateless(const message::SipMessage& response,
                                                const transport::Arrival& arrival) {
  return transport_.sendStateless(response, arrival);
}

TransactionHandle TransactionLayer::findInviteServerForCancel(
    const message::SipMessage& cancel) const {
  if (!cancel.isRequest() || cancel.method() != message::Method::Cancel) {
    return {};
  }
  auto it = serverIndex_.find(serverKey(cancel, "INVITE"));
  return it == serverIndex_.end() ? TransactionHandle{} : it->second;
}

// ---- incoming -------------------------------------------------------------------------

void TransactionLayer::onMessage(transport::IncomingMessage&& in) {
  if (in.message.isRequest()) {
    onRequestIn(in);
  } else {
    onResponseIn(in);
  }
}

void TransactionLayer::onRequestIn(transport::IncomingMessage& in) {
  const message::SipMessage& req = in.message;
  auto it = serverIndex_.find(serverKey(req));
  if (it != serverIndex_.end()) {
    Transaction* t = find(it->second);
    if (auto* ist = dynamic_cast<InviteServerTransaction*>(t)) {
      if (req.method() == message::Method::Ack) {
        ist->onAck(req, in.arrival);
      } else {
        ist->onRetransmit(in.arrival);
      }
      return;
    }
    if (auto* nist = dynamic_cast<NonInviteServerTransaction*>(t)) {
      nist->onRetransmit(in.arrival);
      return;
    }
  }
  ++stats_.unmatchedRequests;
  tu_.onRequest(RequestParam{req, in.arrival});
}

void TransactionLayer::onResponseIn(transport::IncomingMessage& in) {
  const message::SipMessage& resp = in.message;
  auto it = clientIndex_.find(clientKey(resp));
  if (it != clientIndex_.end()) {
    Transaction* t = find(it->second);
    if (auto* ict = dynamic_cast<InviteClientTransaction*>(t)) {
      ict->onResponse(resp, in.arrival);
      return;
    }
    if (auto* nict = dynamic_cast<NonInviteClientTransaction*>(t)) {
      nict->onResponse(resp, in.arrival);
      return;
    }
  }
  ++stats_.strayResponses;
  tu_.onResponse(ResponseParam{TransactionHandle{}, resp, in.arrival});
}

}  // namespace tapi::sip::transaction
