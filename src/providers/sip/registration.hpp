#pragma once
// A line's binding at its registrar (RFC 3261 §10): one Call-ID and From tag for the
// binding's life, one digest answer to a 401/407, a refresh ahead of expiry, a retry after
// a failure, and an un-REGISTER when the line closes.

#include <chrono>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <system_error>
#include <utility>

#include "base/event_loop.hpp"
#include "base/life_token.hpp"
#include "providers/sip/sip_provider.hpp"
#include "sip/auth/digest.hpp"
#include "sip/message/message.hpp"
#include "sip/session/session_layer.hpp"
#include "sip/transport/transport.hpp"

namespace tapi::providers::sip {

class Registration {
 public:
  /** The Contact (with its angle brackets) for a request going out over `protocol`. */
  using ContactFor = std::function<std::string(tapi::sip::transport::Protocol protocol)>;

  /**
   * @param loop runs the refresh and retry timers; must outlive this object.
   * @param sessions sends the REGISTER requests; must outlive this object.
   * @param line the line's identity, registrar, proxy and credentials (copied).
   * @param userAgent the User-Agent header value.
   * @param protocol the line's transport, for a registrar or proxy URI without ;transport.
   * @param contact builds the Contact for the protocol the REGISTER goes out on.
   */
  Registration(base::EventLoop& loop, tapi::sip::session::SessionLayer& sessions,
               SipLineConfig line, std::string userAgent, tapi::sip::transport::Protocol protocol,
               ContactFor contact);
  /** Cancels the refresh timer; an answer still on its way is ignored. */
  ~Registration();
  Registration(const Registration&) = delete;
  Registration& operator=(const Registration&) = delete;

  /** The line opened: REGISTER for registerExpires seconds. Nothing without a registrar. */
  void start();
  /** The line closed: no more refreshes or retries, and an un-REGISTER (best effort). */
  void stop();

  /** True while the registrar holds our binding (its last answer was a 2xx). */
  bool registered() const noexcept { return registered_; }
  /** True while a refresh or retry timer is scheduled (resource accounting). */
  bool timerPending() const noexcept { return timer_ != 0; }

 private:
  void send(std::uint32_t expires);
  void onResponse(std::uint32_t expires, const tapi::sip::message::SipMessage* r,
                  std::error_code ec);
  /** A new REGISTER `after` from now, while the line is open and this was no un-REGISTER. */
  void retryLater(std::uint32_t expires, std::chrono::seconds after);

  base::EventLoop& loop_;
  tapi::sip::session::SessionLayer& sessions_;
  SipLineConfig line_;
  std::string userAgent_;
  tapi::sip::transport::Protocol protocol_;
  ContactFor contact_;
  bool active_ = false;  // the line is open: refreshes and retries go on
  std::string callId_;
  std::string tag_;
  std::uint32_t cseq_ = 0;
  bool registered_ = false;
  bool inFlight_ = false;
  bool authTried_ = false;
  base::TimerId timer_ = 0;
  tapi::sip::auth::ClientAuth auth_;
  std::optional<std::pair<std::string, std::string>> authHeader_;
  base::LifeToken life_;
};

}  // namespace tapi::providers::sip
