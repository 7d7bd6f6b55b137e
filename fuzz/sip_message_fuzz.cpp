// libFuzzer entry for the SIP message parser. Besides "no crash, no leak, no hang", it
// checks the parser's promises: an unchanged message serialises to its own bytes, a
// changed one re-parses, and bad input always gets a decision.

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "sip/message/message.hpp"

namespace msg = tapi::sip::message;

namespace {

void check(bool ok) {
  if (!ok) std::abort();  // an invariant broke: make libFuzzer keep the input
}

void exercise(const msg::SipMessage& m) {
  check(m.serialize() == m.raw());
  auto again = msg::parse(m.raw());
  check(again.ok());
  check(again->callId() == m.callId());
  (void)m.vias();
  (void)m.contacts();
  (void)m.routes();
  (void)m.recordRoutes();
  (void)m.headerValues("Supported");
  (void)m.header("x-unknown");
  for (std::size_t i = 0; i < m.headerCount(); ++i) (void)m.headerAt(i);
  for (const auto& p : m.topVia().params) (void)p;
  (void)m.from().unquotedDisplayName();

  msg::SipMessage c = m.clone();
  check(c.setTopViaParam("received", "192.0.2.1").ok());
  check(c.setTopViaParam("rport", std::nullopt).ok());
  check(c.prependHeader("Via", "SIP/2.0/UDP 192.0.2.2;branch=z9hG4bKfuzz").ok());
  (void)c.removeHeader("Route");
  (void)c.removeTopVia();
  const std::string wire = c.serialize();
  auto changed = msg::parse(wire, msg::ParseLimits{1 << 20, 1 << 16, 1 << 20, false});
  check(changed.ok());
  check(changed->topVia().received == "192.0.2.1");
  if (m.isRequest()) {
    auto resp = msg::makeResponse(m, 200, {}, "fuzz");
    check(resp.ok());
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view bytes(reinterpret_cast<const char*>(data), size);
  auto r = msg::parse(bytes);
  if (r.ok()) {
    exercise(*r);
  } else {
    const msg::BadInputDecision d = msg::decideOnBadInput(bytes, r.error());
    check((d.action == msg::BadInputAction::Respond400) == !d.response.empty());
  }
  // Tight limits take the error paths at every boundary.
  msg::ParseLimits tight;
  tight.maxMessageSize = 512;
  tight.maxHeaders = 8;
  tight.maxLineLength = 64;
  tight.requireContentLength = true;
  auto t = msg::parse(bytes, tight);
  if (!t.ok()) (void)msg::decideOnBadInput(bytes, t.error(), tight);
  const msg::FrameResult f = msg::frameMessage(bytes, tight);
  check(f.status != msg::FrameStatus::Complete || f.length <= size);
  return 0;
}
