#pragma once
// The engine in a tapid server, reached over the WebSocket API of docs/api.md.
//
// One WebSocket per application (the server equates a connection with an app:
// lineInitialize opens it, lineShutdown or a drop ends it) plus one control connection
// for the operator methods (tapidStats, tapidCalls, tapidCallRecord, simPlaceInbound).
// A connection the server or the network ends is "lost": its app gets LINE_CLOSE for each
// open line and LINE_LINEDEVSTATE(REINIT), and its functions fail as docs/api.md says.
// One io_context thread per backend does all socket I/O; callers' threads send a request
// and wait, bounded, for the response with the same id. Events are queued per app and
// the app's notify callback runs (on the I/O thread) when its queue becomes non-empty.

#include <atomic>
#include <chrono>
#include <memory>
#include <mutex>
#include <string_view>
#include <thread>
#include <unordered_map>

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/json/object.hpp>
#include <boost/json/value.hpp>

#include "client/backend.hpp"
#include "client/server_address.hpp"

namespace tapi::detail {

class RemoteConnection;  // one WebSocket to the server; remote_connection.hpp

class RemoteBackend final : public Backend {
 public:
  struct Options {
    /** Bound on connecting plus the WebSocket upgrade. */
    std::chrono::milliseconds connectTimeout{10'000};
    /** Bound on waiting for one response; LINEERR_OPERATIONFAILED after it. */
    std::chrono::milliseconds requestTimeout{10'000};
  };

  /**
   * Starts the I/O thread and opens the control connection.
   * @return the backend, or LINEERR_OPERATIONFAILED if the server is unreachable or
   *         refuses the upgrade (wrong token) within the connect bound.
   */
  static Result<std::unique_ptr<RemoteBackend>> connect(ServerAddress address, std::string token,
                                                        Options options);
  static Result<std::unique_ptr<RemoteBackend>> connect(ServerAddress address, std::string token) {
    return connect(std::move(address), std::move(token), Options{});
  }

  /** Closes every connection (the server shuts down apps still open) and joins the thread. */
  ~RemoteBackend() override;
  RemoteBackend(const RemoteBackend&) = delete;
  RemoteBackend& operator=(const RemoteBackend&) = delete;

  const ServerAddress& address() const noexcept { return address_; }

  // Backend
  std::vector<LineDevice> lines() override;
  EngineStats stats() override;
  /** Not available remotely (the server writes its own at shutdown): always empty. */
  std::vector<LeakEntry> leakReport() override { return {}; }
  /** Not available remotely: an app cannot stop the server. No effect. */
  void shutdownEngine() override {}
  Result<Counters> counters() override;
  Result<std::vector<CallRecord>> calls() override;
  Result<CallRecord> callRecord(std::uint32_t callId) override;
  Result<std::uint32_t> placeInbound(const InboundCall& call) override;
  Result<std::uint32_t> initialize(const std::string& name, std::uint32_t apiVersion,
                                   std::function<void()> notify) override;
  Result<void> shutdown(std::uint32_t app) override;
  Result<std::uint32_t> open(std::uint32_t app, const OpenRequest& req) override;
  Result<void> close(std::uint32_t app, std::uint32_t hLine) override;
  Result<MakeCallReply> makeCall(std::uint32_t app, std::uint32_t hLine,
                                 const std::string& destination,
                                 const MakeCallOptions& options) override;
  Result<std::uint32_t> answer(std::uint32_t app, std::uint32_t hCall,
                               const std::string& uui) override;
  Result<std::uint32_t> accept(std::uint32_t app, std::uint32_t hCall,
                               const std::string& uui) override;
  Result<std::uint32_t> drop(std::uint32_t app, std::uint32_t hCall, std::uint32_t mode,
                             const std::string& uui) override;
  Result<void> deallocate(std::uint32_t app, std::uint32_t hCall) override;
  Result<CallRecord> callInfo(std::uint32_t app, std::uint32_t hCall) override;
  Result<CallStatus> callStatus(std::uint32_t app, std::uint32_t hCall) override;
  Result<void> setAppSpecific(std::uint32_t app, std::uint32_t hCall, std::uint32_t value) override;
  Result<void> setCallPrivilege(std::uint32_t app, std::uint32_t hCall, Privilege p) override;
  Result<void> handoff(std::uint32_t app, std::uint32_t hCall, const std::string& target,
                       std::uint32_t mediaMode) override;
  Result<std::vector<std::uint32_t>> getNewCalls(std::uint32_t app, std::uint32_t hLine) override;
  Result<std::optional<Message>> getMessage(std::uint32_t app) override;
  /** True once the control connection was lost: the server died or dropped this client. */
  bool serverLost() const override;

 private:
  using ConnectionPtr = std::shared_ptr<RemoteConnection>;

  RemoteBackend(ServerAddress address, std::string token, Options options);
  /** A new connection, open (upgraded) or an error. */
  Result<ConnectionPtr> openConnection(std::function<void()> notify);
  /** `app`'s connection; LINEERR_INVALAPPHANDLE if the app is unknown. */
  Result<ConnectionPtr> appConnection(std::uint32_t app);
  /**
   * One request on `app`'s connection; LINEERR_INVALAPPHANDLE if the app is unknown,
   * LINEERR_REINIT once the connection is lost (the server died or dropped the app).
   */
  Result<boost::json::value> appRequest(std::uint32_t app, std::string_view method,
                                        const boost::json::object& params);
  /** appRequest for a line function: a lost connection voided the line (INVALLINEHANDLE). */
  Result<boost::json::value> lineRequest(std::uint32_t app, std::string_view method,
                                         const boost::json::object& params);
  /** appRequest for a call function: a lost connection voided the call (INVALCALLHANDLE). */
  Result<boost::json::value> callRequest(std::uint32_t app, std::string_view method,
                                         const boost::json::object& params);
  /** One request on the control connection. */
  Result<boost::json::value> controlRequest(std::string_view method,
                                            const boost::json::object& params = {});
  /** A call function whose result is {"requestId": n}. */
  Result<std::uint32_t> asyncRequest(std::uint32_t app, std::string_view method,
                                     const boost::json::object& params);

  ServerAddress address_;
  std::string token_;
  Options options_;
  // Destruction order matters: connections (which own sockets) go before io_.
  boost::asio::io_context io_;
  std::unique_ptr<boost::asio::executor_work_guard<boost::asio::io_context::executor_type>> work_;
  std::thread thread_;
  std::atomic<std::thread::id> ioThread_{};
  ConnectionPtr control_;
  mutable std::mutex mutex_;
  std::unordered_map<std::uint32_t, ConnectionPtr> apps_;  // by hLineApp
};

}  // namespace tapi::detail
