#include "sip/transaction/matching.hpp"

#include <cctype>

namespace tapi::sip::transaction {

namespace {

void appendLower(std::string& out, std::string_view s) {
  for (char c : s) {
    out.push_back(static_cast<char>(std::tolower(static_cast<unsigned char>(c))));
  }
}

std::string sentBy(const message::Via& via) {
  std::string out;
  appendLower(out, via.transport);
  out.push_back(' ');
  appendLower(out, via.host);
  out.push_back(':');
  // Host names compare case-insensitively; an absent port equals the default port.
  const bool tls = via.transport == "TLS" || via.transport == "tls";
  out += std::to_string(via.port.value_or(tls ? 5061 : 5060));
  return out;
}

}  // namespace

std::string clientKey(const message::SipMessage& msg) {
  std::string key(msg.topVia().branch);
  key.push_back('\n');
  key += msg.cseq().methodName;
  return key;
}

std::string serverKey(const message::SipMessage& request, std::string_view asMethod) {
  std::string_view method = asMethod.empty() ? request.methodName() : asMethod;
  if (method == "ACK") {
    method = "INVITE";
  }
  const message::Via& via = request.topVia();
  std::string key;
  if (via.hasMagicCookie() && via.branch.size() > 7) {
    key.reserve(via.branch.size() + 48);
    key += "3261\n";
    key += via.branch;
    key.push_back('\n');
    key += sentBy(via);
    key.push_back('\n');
    key += method;
    return key;
  }
  key += "2543\n";
  key += request.requestUri().text;
  key.push_back('\n');
  key += request.from().tag();
  key.push_back('\n');
  key += request.callId();
  key.push_back('\n');
  key += std::to_string(request.cseq().number);
  key.push_back('\n');
  key += method;
  key.push_back('\n');
  key += sentBy(via);
  key.push_back('\n');
  key += via.branch;
  if (method != "INVITE") {
    key.push_back('\n');
    key += request.to().tag();
  }
  return key;
}

namespace {

void copyRoutes(const message::SipMessage& from, message::MessageBuilder& b) {
  for (std::string_view r : from.headerValues("Route")) {
    b.header("Route", r);
  }
}

}  // namespace

Result<message::SipMessage> buildAckForFailure(const message::SipMessage& invite,
                                               const message::SipMessage& response) {
  auto b = message::MessageBuilder::request(message::Method::Ack, invite.requestUri().text);
  b.header("Via", invite.topVia().text);
  b.header("Max-Forwards", "70");
  b.header("From", invite.from().text);
  b.header("To", response.to().text);
  b.header("Call-ID", invite.callId());
  b.header("CSeq", std::to_string(invite.cseq().number) + " ACK");
  copyRoutes(invite, b);
  return b.build();
}

Result<message::SipMessage> buildCancel(const message::SipMessage& invite) {
  auto b = message::MessageBuilder::request(message::Method::Cancel, invite.requestUri().text);
  b.header("Via", invite.topVia().text);
  b.header("Max-Forwards", "70");
  b.header("From", invite.from().text);
  b.header("To", invite.to().text);
  b.header("Call-ID", invite.callId());
  b.header("CSeq", std::to_string(invite.cseq().number) + " CANCEL");
  copyRoutes(invite, b);
  return b.build();
}

}  // namespace tapi::sip::transaction
