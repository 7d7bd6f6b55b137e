#pragma once
// The SIP service provider: each line device is a SIP identity (optionally registered),
// each call one INVITE session. It turns every SIP outcome into TAPI states, modes and
// post-connection data through the cause map, and every TAPI drop into the right SIP
// message (docs/sip.md has the mapping and the configuration).

#include <array>
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include <boost/asio/io_context.hpp>

#include "base/event_loop.hpp"
#include "base/fd_budget.hpp"
#include "base/life_token.hpp"
#include "base/result.hpp"
#include "providers/sip/cause/cause_map.hpp"
#include "sip/auth/digest.hpp"
#include "sip/sdp/rtp_ports.hpp"
#include "sip/sdp/sdp.hpp"
#include "sip/session/session_layer.hpp"
#include "sip/transport/tcp_transport.hpp"
#include "sip/transport/transport_layer.hpp"
#include "sip/transport/udp_transport.hpp"
#include "spi/provider.hpp"

namespace tapi::providers::sip {

/** One line: a SIP identity. */
struct SipLineConfig {
  std::string name;         ///< line name shown to apps ("sip/alice")
  std::string user;         ///< user part of the address of record ("alice", "2001")
  std::string domain;       ///< host of the AOR; plain-number destinations go to user@domain
  std::string displayName;  ///< display name in From
  std::string authUser;     ///< digest user name; empty: `user`
  std::string password;     ///< digest password; empty: challenges are not answered
  std::string registrar;    ///< "sip:192.0.2.1:5060": REGISTER there; empty: no registration
  std::uint32_t registerExpires = 600;  ///< seconds asked for in REGISTER
  std::string proxy;                    ///< outbound proxy URI for every request; empty: direct
  std::string transport = "udp";  ///< "udp" or "tcp": for outgoing requests without ;transport
  int offeredRejectStatus = 603;  ///< lineDrop of an offered call: 603, 486 or 480
  bool ringOnOffer = true;        ///< send 180 Ringing when the call is offered to apps
};

struct SipProviderConfig {
  std::string listenUdp = "127.0.0.1:5060";  ///< "" disables UDP
  std::string listenTcp = "127.0.0.1:5060";  ///< "" disables TCP
  std::string advertisedHost;  ///< Via/Contact/SDP host when listening on a wildcard address
  std::string rtpAddress;      ///< RTP bind address; empty: the listen host
  std::uint16_t rtpFirstPort = 20000;
  std::uint16_t rtpLastPort = 20999;
  std::uint32_t firstDeviceId = 0;  ///< device id of the first line
  /** A TCP connection with no traffic for this long is closed; zero: never (>= 64*T1). */
  std::chrono::milliseconds tcpIdleTimeout{std::chrono::minutes{2}};
  std::size_t tcpMaxConnections = 1024;  ///< accepted + opened TCP connections at once
  /**
   * The process's descriptor budget (not owned; null: unchecked). A call needs two
   * descriptors (RTP + RTCP): below the reserve, an INVITE is answered 503 with Retry-After
   * and lineMakeCall fails with LINEERR_RESOURCEUNAVAIL; TCP connections are refused.
   */
  base::FdBudget* fdBudget = nullptr;
  tapi::sip::transaction::TimerConfig timers;
  tapi::sip::session::SessionConfig session;
  bool cancelAsNormal =
      false;  ///< remote CANCEL of an offered call reported as NORMAL, not CANCELLED
  std::vector<SipLineConfig> lines;
};

/** Everything the provider holds, for leak checks (all zero when idle and released). */
struct SipStats {
  std::size_t calls = 0;  ///< provider call objects
  std::size_t pendingRequests = 0;
  std::size_t sessions = 0;  ///< INVITE sessions (incl. ones finishing on the wire)
  std::size_t dialogs = 0;
  std::size_t transactions = 0;
  std::size_t timers = 0;         ///< sessions + transactions + registrations
  std::size_t connections = 0;    ///< open TCP connections
  std::size_t rtpPorts = 0;       ///< RTP port pairs reserved
  std::size_t registrations = 0;  ///< lines currently registered
  std::size_t outOfDialog = 0;    ///< REGISTER/OPTIONS transactions awaiting an answer
  std::uint64_t callsTotal = 0;
  std::uint64_t answered481 = 0;
  std::uint64_t callsRefusedNoFds = 0;  ///< calls refused: descriptor budget below the reserve
  std::uint64_t tcpRefused = 0;         ///< TCP connections refused (cap or descriptor budget)
  std::uint64_t tcpAcceptNoFds = 0;     ///< TCP accepts that failed with EMFILE/ENFILE
  std::uint64_t tcpEvicted = 0;         ///< idle TCP connections closed to make room
  std::array<std::uint64_t, tapi::sip::session::kEndKindCount> endedBy{};  ///< by session::EndKind
  bool allZero() const noexcept {
    return calls == 0 && pendingRequests == 0 && sessions == 0 && dialogs == 0 &&
           transactions == 0 && timers == 0 && rtpPorts == 0 && outOfDialog == 0;
  }
};

class SipProvider final : public spi::Provider, public tapi::sip::session::SessionObserver {
 public:
  /**
   * Opens the listening sockets and the RTP pool.
   * @return the provider, or an error whose message() says what failed ("sip: cannot
   *         listen on UDP ...") and whose code is sip::Errc::InvalidConfig for a setting
   *         that cannot work, or the socket's own error.
   */
  static base::Outcome<std::unique_ptr<SipProvider>> create(base::EventLoop& loop,
                                                            boost::asio::io_context& io,
                                                            SipProviderConfig config);
  /**
   * The provider on transports the caller owns instead of its own sockets (a
   * sip::transport::LoopTransport in tests and simulations): listenUdp and listenTcp are
   * ignored, RTP ports are still reserved from the configured range on the transports'
   * address (or rtpAddress).
   * @param udp the transport posing as UDP, or null; @param tcp the one posing as TCP, or
   *        null; at least one is set, and each outlives the provider.
   * @return the provider, or an error as create() gives.
   */
  static base::Outcome<std::unique_ptr<SipProvider>> createOnTransports(
      base::EventLoop& loop, tapi::sip::transport::Transport* udp,
      tapi::sip::transport::Transport* tcp, SipProviderConfig config);
  ~SipProvider() override;

  // spi::Provider
  void setEvents(spi::Events* events) override { events_ = events; }
  std::vector<spi::LineInfo> lines() const override;
  Result<void> openLine(std::uint32_t deviceId) override;
  void closeLine(std::uint32_t deviceId) override;
  Result<spi::ProviderCallId> makeCall(spi::RequestId id, std::uint32_t deviceId,
                                       spi::EngineCallId htCall,
                                       const spi::MakeCallParams& params) override;
  Result<void> answer(spi::RequestId id, spi::ProviderCallId call, std::string_view uui) override;
  Result<void> accept(spi::RequestId id, spi::ProviderCallId call, std::string_view uui) override;
  Result<void> drop(spi::RequestId id, spi::ProviderCallId call, std::uint32_t mode,
                    std::string_view uui) override;
  void closeCall(spi::ProviderCallId call) override;
  spi::ProviderStats stats() const override;
  std::vector<spi::ProviderLeak> leaks() const override;

  /** Detailed counts for leak checks. */
  SipStats sipStats() const;
  /**
   * Before the engine shuts down: live calls are ended on the wire with server-shutdown
   * causes (BYE Q.850 16, CANCEL, 503 Q.850 41) when the engine drops them.
   */
  void beginShutdown() { shuttingDown_ = true; }
  /** True when no call, BYE/CANCEL or REGISTER still waits for the network. */
  bool drained() const;
  /** Where the transports listen (port 0 in the config becomes the real port). */
  std::optional<tapi::sip::transport::Endpoint> udpEndpoint() const;
  std::optional<tapi::sip::transport::Endpoint> tcpEndpoint() const;

 private:
  struct Call;
  struct Line;
  SipProvider(base::EventLoop& loop, SipProviderConfig config);
  /** After the transports: the RTP pool, the session layer and the lines. */
  base::Outcome<void> setUp(const std::string& bindHost);

  // SessionObserver
  void onIncoming(tapi::sip::session::SessionHandle s, const tapi::sip::message::SipMessage& invite,
                  const tapi::sip::transport::Arrival& arrival) override;
  void onProgress(tapi::sip::session::SessionHandle s,
                  const tapi::sip::message::SipMessage& response) override;
  void onAnswered(tapi::sip::session::SessionHandle s,
                  const tapi::sip::message::SipMessage& response) override;
  void onConfirmed(tapi::sip::session::SessionHandle s) override;
  tapi::sip::session::OfferAnswer onOffer(tapi::sip::session::SessionHandle s,
                                          const tapi::sip::session::OnOfferParam& p) override;
  void onEnded(tapi::sip::session::SessionHandle s,
               const tapi::sip::session::EndInfo& end) override;
  std::optional<std::pair<std::string, std::string>> onChallenge(
      tapi::sip::session::SessionHandle s, const tapi::sip::message::SipMessage& response) override;

  Call* find(spi::ProviderCallId id);
  Call* bySession(tapi::sip::session::SessionHandle s);
  Line* line(std::uint32_t deviceId);
  /** Runs `task` on a later loop turn, unless the provider is gone by then. */
  void post(std::function<void()> task);
  /**
   * Runs `task` on a later loop turn for call `id` if it still exists, the engine knows it
   * (announced) and events have somewhere to go: the one way events about a call are sent.
   */
  void postForCall(spi::ProviderCallId id, std::function<void(Call&)> task);
  void report(Call& c, CallState state, std::uint32_t mode);
  void info(Call& c, spi::CallInfoUpdate update);
  void complete(spi::RequestId id, Result<void> result);
  void forget(Call& c);
  std::string contactFor(const Line& l, tapi::sip::transport::Protocol p) const;
  std::string localHost() const;
  /** Our media as the next offer or answer describes it: address, RTP port, o= id and version. */
  tapi::sip::sdp::LocalMedia localMedia(const Call& c) const;
  tapi::sip::transport::Protocol lineProtocol(const Line& l) const;
  void dropOnWire(Call& c, std::uint32_t mode, std::string_view uui);

  base::EventLoop& loop_;
  SipProviderConfig config_;
  spi::Events* events_ = nullptr;
  tapi::sip::transport::TransportLayer transportLayer_;
  // The transports in use (null: none for that protocol); owned ones are the sockets
  // create() opened, the others belong to the caller of createOnTransports().
  tapi::sip::transport::Transport* udp_ = nullptr;
  tapi::sip::transport::Transport* tcp_ = nullptr;
  std::unique_ptr<tapi::sip::transport::UdpTransport> ownedUdp_;
  std::unique_ptr<tapi::sip::transport::TcpTransport> ownedTcp_;
  std::unique_ptr<tapi::sip::sdp::RtpPortPool> rtp_;
  std::unique_ptr<tapi::sip::session::SessionLayer> sessions_;
  std::vector<std::unique_ptr<Line>> lines_;
  std::unordered_map<spi::ProviderCallId, std::unique_ptr<Call>> calls_;
  std::unordered_map<std::uint64_t, spi::ProviderCallId> bySession_;
  std::unordered_map<spi::RequestId, spi::ProviderCallId> pending_;
  spi::ProviderCallId nextCallId_ = 1;
  std::uint32_t nextNetworkCallId_ = 1;
  std::uint64_t callsTotal_ = 0;
  std::uint64_t callsRefusedNoFds_ = 0;
  bool shuttingDown_ = false;
  base::LifeToken life_;  // last: callbacks see the provider gone before anything else goes
};

}  // namespace tapi::providers::sip
