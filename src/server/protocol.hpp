#pragma once
// The tapid API protocol (docs/api.md): JSON requests in, engine calls, JSON responses and
// events out. No sockets here — a ProtocolSession talks to its connection only through
// ProtoConnection, so every method and error path is testable on a simulated loop.

#include <array>
#include <cstdint>
#include <deque>
#include <string>
#include <string_view>
#include <unordered_map>

#include <tapi/types.hpp>

#include "base/event_loop.hpp"
#include "engine/engine.hpp"
#include "server/proto_connection.hpp"

namespace tapi::providers::sim {
class SimProvider;
}

namespace tapi::server {

/** Per-connection bounds (docs/api.md "Limits"). */
struct Limits {
  std::size_t maxFrameBytes = 64 * 1024;      // request frame size; above: TOOLARGE + close
  std::size_t maxRequestsInFlight = 64;       // responses not yet written; above: TOOMANYREQUESTS
  std::size_t maxPendingBytes = 1024 * 1024;  // frames waiting to be written; above: disconnect
};

/** Protocol error codes (docs/api.md "Frames"). */
enum class ProtoError : std::uint8_t {
  BadJson,          // not a JSON object
  BadRequest,       // missing/invalid id, method or parameter
  UnknownMethod,    // no such method
  TooLarge,         // frame above the size limit
  TooManyRequests,  // more requests in flight than allowed
  NotInitialized,   // the method needs lineInitialize first
};
inline constexpr std::size_t kProtoErrorCount = 6;
const char* toString(ProtoError e) noexcept;

/** Server-wide protocol counters, exported by /metrics. */
struct ProtocolCounters {
  std::array<std::uint64_t, kProtoErrorCount> rejectedFrames{};  // indexed by ProtoError
  std::uint64_t requests = 0;    // request frames handled (accepted or not)
  std::uint64_t eventsSent = 0;  // event frames queued to connections
  std::uint64_t slowReaderDisconnects = 0;
  std::uint64_t connectionsTotal = 0;  // connections ever attached
};

class ProtocolSession;

/**
 * State the protocol sessions share: the engine, the simulated provider (when lines are
 * simulated), limits, counters and the records of calls released since start.
 * Loop thread only; outlives every session.
 */
class ProtocolHub {
 public:
  /**
   * @param sim the simulated provider for simPlaceInbound, or nullptr when no line is
   *        simulated (the method then fails with LINEERR_OPERATIONUNAVAIL).
   */
  ProtocolHub(base::EventLoop& loop, engine::Engine& engine, providers::sim::SimProvider* sim,
              Limits limits, std::size_t keepRecords = 10000);
  ProtocolHub(const ProtocolHub&) = delete;
  ProtocolHub& operator=(const ProtocolHub&) = delete;

  /** Keeps a released call's record for tapidCallRecord (the newest `keepRecords`). */
  void recordReleased(const CallRecord& r);

  const Limits& limits() const noexcept { return limits_; }
  const ProtocolCounters& counters() const noexcept { return counters_; }
  std::size_t connections() const noexcept { return sessions_.size(); }
  engine::Engine& engine() noexcept { return engine_; }
  base::EventLoop& loop() noexcept { return loop_; }

  /** Visits every live session (shutdown uses it to tell every client). */
  template <typename F>
  void forEachSession(F&& f) {
    // Copy the ids: f may close sessions.
    std::vector<std::uint64_t> ids;
    ids.reserve(sessions_.size());
    for (const auto& [id, s] : sessions_) {
      ids.push_back(id);
    }
    for (std::uint64_t id : ids) {
      if (auto it = sessions_.find(id); it != sessions_.end()) {
        f(*it->second);
      }
    }
  }

 private:
  friend class ProtocolSession;
  friend struct Methods;

  std::uint64_t attach(ProtocolSession* s);
  void detach(std::uint64_t id);
  ProtocolSession* find(std::uint64_t id) const;

  base::EventLoop& loop_;
  engine::Engine& engine_;
  providers::sim::SimProvider* sim_;
  Limits limits_;
  std::size_t keepRecords_;
  ProtocolCounters counters_;
  std::unordered_map<std::uint64_t, ProtocolSession*> sessions_;
  std::uint64_t nextSession_ = 0;
  std::unordered_map<std::uint32_t, std::string> released_;  // callId -> record JSON
  std::deque<std::uint32_t> releasedOrder_;
  std::uint32_t nextInboundCallId_ = 1'000'000'000;
};

/**
 * The protocol side of one connection: one application. Created by the connection when
 * it is established, destroyed by it after it closed. Loop thread only.
 */
class ProtocolSession {
 public:
  ProtocolSession(ProtocolHub& hub, ProtoConnection& conn);
  /** Shuts the app down (as lineShutdown) if the connection did not already. */
  ~ProtocolSession();
  ProtocolSession(const ProtocolSession&) = delete;
  ProtocolSession& operator=(const ProtocolSession&) = delete;

  /** One text frame from the client: exactly one response frame is queued for it. */
  void onFrame(std::string_view text);
  /** A binary frame: refused as BADJSON (the protocol is text only). */
  void onBinaryFrame();
  /** A frame above Limits::maxFrameBytes: TOOLARGE, then the connection is closed. */
  void onFrameTooLarge();
  /** The connection is gone (for any reason): the app is shut down as by lineShutdown. */
  void onClosed();

  /** Moves every message the engine queued for the app to the connection, as events. */
  void drainEvents();
  /** Server shutdown: sends what is queued (LINE_CLOSE...), then closes the connection. */
  void closeForShutdown();

  /** The app's hLineApp, 0 before lineInitialize and after shutdown. */
  std::uint32_t hLineApp() const noexcept { return hLineApp_; }
  bool closed() const noexcept { return closed_; }

 private:
  friend struct Methods;  // the method handlers (protocol_methods.cpp)

  void sendError(std::string_view idJson, ProtoError e, std::string_view message);
  void send(std::string frame, FrameKind kind);
  void shutdownApp();
  void closeConnection(CloseReason reason);

  ProtocolHub& hub_;
  ProtoConnection& conn_;
  std::uint64_t id_ = 0;
  std::uint32_t hLineApp_ = 0;
  bool closed_ = false;
};

}  // namespace tapi::server
