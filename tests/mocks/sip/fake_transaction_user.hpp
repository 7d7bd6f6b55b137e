#pragma once
// A TransactionUser that records everything it hears, with the loop time, so tests can
// check what reached the TU and when. Optional hooks let a test act inside a callback.

#include <functional>
#include <string>
#include <vector>

#include "base/event_loop.hpp"
#include "sip/message/message.hpp"
#include "sip/transaction/transaction_user.hpp"
#include "sip/transport/transport_layer.hpp"

namespace tapi::sip::testing {

class FakeTransactionUser : public transaction::TransactionUser {
 public:
  struct Response {
    transaction::TransactionHandle transaction;
    int status;
    std::string toTag;
    base::TimePoint at;
  };
  struct Request {
    message::SipMessage request;
    transport::Arrival arrival;
  };
  struct Ack {
    transaction::TransactionHandle transaction;
    base::TimePoint at;
  };
  struct Terminated {
    transaction::TransactionHandle transaction;
    transaction::TransactionKind kind;
    transaction::EndReason reason;
    base::TimePoint at;
  };

  explicit FakeTransactionUser(base::EventLoop& loop) : loop_(loop) {}

  // transaction::TransactionUser
  void onResponse(const transaction::ResponseParam& p) override {
    responses.push_back(Response{p.transaction, p.response.statusCode(), std::string(p.response.to().tag()), loop_.now()});
  }
  void onRequest(const transaction::RequestParam& p) override {
    requests.push_back(Request{p.request.clone(), p.arrival});
    if (onRequestHook) {
      onRequestHook(p);
    }
  }
  void onAck(const transaction::AckParam& p) override { acks.push_back(Ack{p.transaction, loop_.now()}); }
  void onTransportError(const transaction::TransportErrorParam& p) override { transportErrors.push_back(p.error); }
  void onTerminated(const transaction::TerminatedParam& p) override {
    terminated.push_back(Terminated{p.transaction, p.kind, p.reason, loop_.now()});
  }

  std::vector<Response> responses;
  std::vector<Request> requests;
  std::vector<Ack> acks;
  std::vector<std::error_code> transportErrors;
  std::vector<Terminated> terminated;
  std::function<void(const transaction::RequestParam&)> onRequestHook;

 private:
  base::EventLoop& loop_;
};

}  // namespace tapi::sip::testing
