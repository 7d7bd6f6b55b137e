#include "options_responder.hpp"

#include <cstdio>

namespace tapi::tools {

namespace msg = sip::message;

namespace {

constexpr std::string_view kAllow = "OPTIONS";

}  // namespace

int OptionsResponder::statusFor(std::string_view methodName) {
  switch (msg::methodFromString(methodName)) {
    case msg::Method::Options:
      return 200;
    case msg::Method::Cancel:
      // We never accept an INVITE, so there is never anything to cancel (§9.2).
      return 481;
    case msg::Method::Invite:
    case msg::Method::Ack:
    case msg::Method::Bye:
    case msg::Method::Register:
    case msg::Method::Prack:
    case msg::Method::Subscribe:
    case msg::Method::Notify:
    case msg::Method::Publish:
    case msg::Method::Info:
    case msg::Method::Refer:
    case msg::Method::Message:
    case msg::Method::Update:
      return 405;  // §8.2.1: a method we know but do not offer
    case msg::Method::Extension:
      return 501;  // §8.2.1: a method we do not recognise
  }
  return 501;
}

void OptionsResponder::onRequest(const sip::transaction::RequestParam& p) {
  if (p.request.method() == msg::Method::Ack) {
    return;  // an ACK is never answered; one for our non-2xx was absorbed already
  }
  const int status = statusFor(p.request.methodName());
  auto tx = layer_->createServer(p.request, p.arrival);
  if (!tx) {
    return;
  }
  auto response = msg::makeResponse(p.request, status);
  if (!response) {
    return;
  }
  if (status == 200 || status == 405) {
    (void)response->addHeader("Allow", kAllow);
  }
  if (status == 200) {
    (void)response->addHeader("Accept", "application/sdp");
    (void)response->addHeader("Supported", "");
  }
  if (layer_->respond(*tx, std::move(*response)).ok()) {
    ++answered_;
  }
}

void OptionsResponder::onResponse(const sip::transaction::ResponseParam&) {}
void OptionsResponder::onAck(const sip::transaction::AckParam&) {}

void OptionsResponder::onTransportError(const sip::transaction::TransportErrorParam& p) {
  std::fprintf(stderr, "sip-options-responder: send failed: %s\n", p.error.message().c_str());
}

void OptionsResponder::onTerminated(const sip::transaction::TerminatedParam&) {}

}  // namespace tapi::tools
