#include "sip/dialog/dialog.hpp"

#include <system_error>

#include "sip/errc.hpp"

namespace tapi::sip::dialog {

namespace {

using message::MessageBuilder;
using message::SipMessage;

// The URI inside a Route/Contact value, for the Request-URI (which never has brackets).
std::string_view uriOf(std::string_view nameAddr) {
  const auto lt = nameAddr.find('<');
  if (lt == std::string_view::npos) {
    return nameAddr.substr(0, nameAddr.find(';'));
  }
  const auto gt = nameAddr.find('>', lt);
  return gt == std::string_view::npos ? nameAddr.substr(lt + 1)
                                      : nameAddr.substr(lt + 1, gt - lt - 1);
}

bool isLooseRouter(std::string_view route) {
  auto parsed = message::parseNameAddr(route, message::ParseError::BadHeaderValue);
  return parsed && parsed->uri.params.has("lr");
}

}  // namespace

std::string withTag(std::string_view party, std::string_view tag) {
  auto parsed = message::parseNameAddr(party, message::ParseError::BadHeaderValue);
  if (!parsed) {
    return std::string(party);
  }
  std::string out;
  if (parsed->angleBrackets) {
    const auto paramsAt = static_cast<std::size_t>(parsed->params.text().data() - party.data());
    out.assign(party.substr(0, parsed->params.text().empty() ? party.size() : paramsAt));
  } else {
    // An addr-spec must be bracketed once it carries header parameters.
    out = "<" + std::string(parsed->uri.text) + ">";
  }
  for (const auto& p : parsed->params) {
    if (p.name.size() == 3 && (p.name[0] | 0x20) == 't' && (p.name[1] | 0x20) == 'a' &&
        (p.name[2] | 0x20) == 'g') {
      continue;
    }
    out += ';';
    out.append(p.name);
    if (p.hasValue) {
      out += '=';
      out.append(p.value);
    }
  }
  if (!tag.empty()) {
    out += ";tag=";
    out.append(tag);
  }
  return out;
}

Result<Dialog> Dialog::asUac(const SipMessage& request, const SipMessage& response) {
  if (response.to().tag().empty()) {
    return fail(Errc::NoDialog);
  }
  Dialog d;
  d.id_ = {std::string(request.callId()), std::string(request.from().tag()),
           std::string(response.to().tag())};
  d.localSeq_ = request.cseq().number;
  d.localParty_ = std::string(request.from().text);
  d.remoteParty_ = std::string(response.to().text);
  if (!response.contacts().empty()) {
    d.remoteTarget_ = std::string(response.contacts().front().uri.text);
  } else if (response.statusCode() >= 200) {
    return fail(Errc::NoDialog);
  } else {
    d.remoteTarget_ = std::string(request.requestUri().text);
  }
  const auto& rr = response.recordRoutes();
  for (auto it = rr.rbegin(); it != rr.rend(); ++it) {
    d.routeSet_.emplace_back(it->text);
  }
  d.confirmed_ = response.statusCode() >= 200;
  return d;
}

Result<Dialog> Dialog::asUas(const SipMessage& request, std::string localTag) {
  if (request.contactIsWildcard()) {
    return fail(Errc::NoDialog);
  }
  Dialog d;
  d.id_ = {std::string(request.callId()), std::move(localTag), std::string(request.from().tag())};
  d.remoteSeq_ = request.cseq().number;
  d.localSeq_ = 0;
  d.localParty_ = withTag(request.to().text, d.id_.localTag);
  d.remoteParty_ = std::string(request.from().text);
  // An RFC 2543 client may send no Contact (RFC 4475 inv2543): its From URI is where it
  // said it can be reached, as RFC 2543 had it (§12.1.1 needs a Contact only of RFC 3261 UAs).
  d.remoteTarget_ = std::string(request.contacts().empty() ? request.from().uri.text
                                                           : request.contacts().front().uri.text);
  for (const auto& r : request.recordRoutes()) {
    d.routeSet_.emplace_back(r.text);
  }
  return d;
}

std::string_view Dialog::nextHopUri() const {
  return routeSet_.empty() ? std::string_view(remoteTarget_) : uriOf(routeSet_.front());
}

Result<SipMessage> Dialog::makeRequest(std::string_view method, const HeaderList& headers,
                                       std::string_view body, std::string_view contentType,
                                       std::optional<std::uint32_t> cseq) {
  std::string requestUri = remoteTarget_;
  std::vector<std::string> routes = routeSet_;
  if (!routes.empty() && !isLooseRouter(routes.front())) {
    // Strict routing (§12.2.1.1): the first route becomes the Request-URI and the remote
    // target goes last in Route.
    requestUri = std::string(uriOf(routes.front()));
    routes.erase(routes.begin());
    routes.push_back("<" + remoteTarget_ + ">");
  }
  const std::uint32_t number = cseq ? *cseq : ++localSeq_;
  auto b = MessageBuilder::request(method, requestUri);
  b.header("Via", "SIP/2.0/UDP 0.0.0.0;branch=z9hG4bKplaceholder");
  b.header("Max-Forwards", "70");
  for (const auto& r : routes) {
    b.header("Route", r);
  }
  b.header("From", localParty_);
  b.header("To", remoteParty_);
  b.header("Call-ID", id_.callId);
  b.header("CSeq", std::to_string(number) + " " + std::string(method));
  const bool targetRefresh = method == "INVITE" || method == "UPDATE";
  if (targetRefresh && !localContact_.empty()) {
    b.header("Contact", localContact_);
  }
  for (const auto& [name, value] : headers) {
    b.header(name, value);
  }
  if (!body.empty()) {
    b.body(body, contentType);
  }
  return b.build();
}

Result<SipMessage> Dialog::makeAck(std::uint32_t inviteCSeq, const HeaderList& headers) {
  return makeRequest("ACK", headers, {}, {}, inviteCSeq);
}

bool Dialog::acceptRemoteCSeq(const SipMessage& request) {
  const std::uint32_t n = request.cseq().number;
  if (remoteSeq_ && n < *remoteSeq_) {
    return false;
  }
  remoteSeq_ = n;
  return true;
}

void Dialog::refreshTarget(const SipMessage& m) {
  if (!m.contacts().empty()) {
    remoteTarget_ = std::string(m.contacts().front().uri.text);
  }
}

}  // namespace tapi::sip::dialog
