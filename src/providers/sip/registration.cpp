#include "providers/sip/registration.hpp"

#include <algorithm>
#include <cstdlib>

#include "providers/sip/provider_util.hpp"
#include "sip/dialog/target.hpp"

namespace tapi::providers::sip {

namespace msg = tapi::sip::message;
namespace tp = tapi::sip::transport;
namespace auth = tapi::sip::auth;

Registration::Registration(base::EventLoop& loop, tapi::sip::session::SessionLayer& sessions,
                           SipLineConfig line, std::string userAgent, tp::Protocol protocol,
                           ContactFor contact)
    : loop_(loop),
      sessions_(sessions),
      line_(std::move(line)),
      userAgent_(std::move(userAgent)),
      protocol_(protocol),
      contact_(std::move(contact)),
      callId_(msg::randomToken() + msg::randomToken()),
      tag_(msg::randomToken()) {}

Registration::~Registration() {
  if (timer_ != 0) {
    loop_.cancel(timer_);
  }
}

void Registration::start() {
  active_ = true;
  if (!line_.registrar.empty()) {
    send(line_.registerExpires);
  }
}

void Registration::stop() {
  active_ = false;
  if (timer_ != 0) {
    loop_.cancel(timer_);
    timer_ = 0;
  }
  if (registered_ || inFlight_) {
    send(0);  // un-REGISTER (best effort)
  }
}

void Registration::send(std::uint32_t expires) {
  auto target = tapi::sip::dialog::targetForUri(line_.proxy.empty() ? line_.registrar : line_.proxy,
                                                protocol_);
  if (!target) {
    return;
  }
  std::string registrarUri = line_.registrar;
  const std::string aor = "<sip:" + line_.user + "@" + line_.domain + ">";
  auto b = msg::MessageBuilder::request(msg::Method::Register, registrarUri);
  b.header("Via", "SIP/2.0/UDP 0.0.0.0;branch=z9hG4bKplaceholder");
  b.header("Max-Forwards", "70");
  if (!line_.proxy.empty()) {
    b.header("Route", "<" + line_.proxy + ";lr>");
  }
  b.header("From", aor + ";tag=" + tag_);
  b.header("To", aor);
  b.header("Call-ID", callId_);
  b.header("CSeq", std::to_string(++cseq_) + " REGISTER");
  b.header("Contact", contact_(target->protocol));
  b.header("Expires", std::to_string(expires));
  b.header("User-Agent", userAgent_);
  if (authHeader_.has_value()) {
    b.header(authHeader_->first, authHeader_->second);
  }
  auto m = b.build();
  if (!m) {
    return;
  }
  inFlight_ = true;
  (void)sessions_.sendRequest(
      std::move(*m), *target,
      life_.guard([this, expires](const msg::SipMessage* r, std::error_code ec) {
        onResponse(expires, r, ec);
      }));
}

void Registration::retryLater(std::uint32_t expires, std::chrono::seconds after) {
  if (!active_ || expires == 0) {
    return;
  }
  if (timer_ != 0) {
    loop_.cancel(timer_);
  }
  timer_ = loop_.schedule(after, life_.guard([this] {
    timer_ = 0;
    if (active_) {
      send(line_.registerExpires);
    }
  }));
}

void Registration::onResponse(std::uint32_t expires, const msg::SipMessage* r, std::error_code) {
  inFlight_ = false;
  if (r == nullptr) {
    registered_ = false;
    retryLater(expires, std::chrono::seconds(30));
    return;
  }
  const int code = r->statusCode();
  if ((code == 401 || code == 407) && !line_.password.empty() && !authTried_) {
    const bool proxy = code == 407;
    auto challenge = auth::pickChallenge(
        headerLines(*r, proxy ? "Proxy-Authenticate" : "WWW-Authenticate"), proxy);
    if (challenge) {
      auth::Credentials cred{
          line_.authUser.empty() ? line_.user : line_.authUser, line_.password, {}};
      auto value = auth_.answer(*challenge, cred, "REGISTER", line_.registrar);
      if (value) {
        authTried_ = true;
        authHeader_ =
            std::make_pair(std::string(proxy ? "Proxy-Authorization" : "Authorization"), *value);
        send(expires);
        return;
      }
    }
  }
  authTried_ = false;
  authHeader_.reset();
  auth_.beginRequest();
  if (code >= 200 && code < 300) {
    registered_ = expires > 0;
    if (expires == 0) {
      return;
    }
    std::uint32_t granted = expires;
    if (auto e = r->header("Expires")) {
      granted = static_cast<std::uint32_t>(std::strtoul(std::string(*e).c_str(), nullptr, 10));
    }
    for (const auto& ct : r->contacts()) {
      if (ct.uri.user == line_.user) {
        if (auto v = ct.params.value("expires"); !v.empty()) {
          granted = static_cast<std::uint32_t>(std::strtoul(std::string(v).c_str(), nullptr, 10));
        }
      }
    }
    if (granted == 0) {
      granted = expires;
    }
    // Refresh ahead of expiry: half-way for short bindings, 30 s early for long ones.
    const std::uint32_t after = std::max(granted / 2, granted > 30 ? granted - 30 : granted / 2);
    retryLater(expires, std::chrono::seconds(std::max<std::uint32_t>(after, 1)));
    return;
  }
  registered_ = false;
  retryLater(expires, std::chrono::seconds(60));
}

}  // namespace tapi::providers::sip
