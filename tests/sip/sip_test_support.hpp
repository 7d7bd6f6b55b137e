#pragma once
// What the SIP layer fixtures share: our side's transport on the simulated clock (a
// LoopTransport at 10.0.0.1:5060 under a TransportLayer) and the peer at 10.0.0.2:5070,
// which the tests play by injecting requests and responses.

#include <gtest/gtest.h>

#include <chrono>
#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "base/sim_loop.hpp"
#include "sip/message/message.hpp"
#include "sip/transport/loop_transport.hpp"
#include "sip/transport/transport_layer.hpp"

namespace tapi::sip::testing {

using namespace std::chrono_literals;
using transport::Endpoint;
using transport::Protocol;

inline Endpoint ep(const char* ip, std::uint16_t port) {
  return Endpoint{boost::asio::ip::make_address(ip), port};
}

/** Seconds since the start of the simulation, for readable expectations. */
inline double secs(base::TimePoint t) {
  return std::chrono::duration<double>(t.time_since_epoch()).count();
}

/** Our transport on the simulated clock, and the peer that talks to it. */
class SimulatedWire {
 public:
  static constexpr transport::ConnectionId kConn = 7;

  explicit SimulatedWire(Protocol protocol)
      : protocol_(protocol), wire(loop, protocol, ep("10.0.0.1", 5060)) {
    transportLayer.addTransport(wire);
  }

  Protocol protocol() const { return protocol_; }
  const char* proto() const { return protocol_ == Protocol::Udp ? "UDP" : "TCP"; }
  bool reliable() const { return transport::isReliable(protocol_); }

  /** Where the peer is. */
  Endpoint peer() const { return ep("10.0.0.2", 5070); }

  /** The peer sends `text` (on the connection, over a reliable transport); runs the loop. */
  void inject(const std::string& text) {
    wire.inject(peer(), text, reliable() ? kConn : 0);
    loop.runUntilIdle();
  }

  /**
   * The peer answers `request` (one we sent) with `status`, adding `headers` and an SDP
   * `body`. `toTag` is added when To has none (never to a 100).
   */
  void reply(const message::SipMessage& request, int status, std::string_view toTag = "peer-tag",
             const std::vector<std::pair<std::string, std::string>>& headers = {},
             std::string_view body = {}) {
    auto r = message::makeResponse(request, status, {}, status == 100 ? std::string_view{} : toTag);
    ASSERT_TRUE(r.ok());
    for (const auto& [name, value] : headers) {
      ASSERT_TRUE(r->addHeader(name, value).ok()) << name << ": " << value;
    }
    if (!body.empty()) {
      r->setBody(body, "application/sdp");
    }
    inject(r->serialize());
  }

  base::SimLoop loop;

 private:
  Protocol protocol_;

 public:
  transport::LoopTransport wire;
  transport::TransportLayer transportLayer;
};

}  // namespace tapi::sip::testing
