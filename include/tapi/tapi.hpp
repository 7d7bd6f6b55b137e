#pragma once
// OpenTAPI C++ API.
//
//   auto rt  = tapi::Runtime::embedded();                 // engine in this process
//   // or: auto rt = tapi::Runtime::connect("unix:./var/tapid.sock").value();  // a tapid
//   auto app = tapi::App::initialize(rt, {.name = "dialer"}).value();
//   auto line = app.open(0, tapi::Privilege::Owner).value();
//   auto call = line.makeCall("200").value();            // Call releases its handle when destroyed
//   ... app.waitMessage(1s) -> LINE_REPLY, LINE_CALLSTATE ...
//   call.call.drop();  auto info = call.call.info();     // post-connection data until released
//
// Threads: every method may be called from any thread; work runs on the runtime's loop
// and synchronous methods wait for it. Asynchronous operations (makeCall, answer, accept,
// drop) return a request id at once; their result arrives as exactly one LINE_REPLY
// message. No method here waits for a reply.

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <tapi/result.hpp>
#include <tapi/types.hpp>

namespace tapi {

/**
 * The simulated network of an embedded runtime, to script remote parties and place
 * inbound calls. Opaque here: applications only hold the pointer Runtime::simulation()
 * returns; this project's tests and tools script it through its internal definition.
 */
class Simulation;

// The objects below are handles onto an implementation this header leaves opaque.
namespace detail {
class Backend;
struct AppCore;
struct RuntimeAccess;
}  // namespace detail

/** A line device as the runtime offers it. */
struct LineDevice {
  std::uint32_t deviceId = 0;
  std::string name;
  std::string address;
  std::uint32_t devCapFlags = 0;  // LINEDEVCAPFLAGS_ (CLOSEDROP)
  std::uint32_t maxUserUserInfo = 0;
};

/** Options of an embedded engine. Every field has a working default. */
struct EngineOptions {
  /** Number of simulated line devices (the simulated network is the provider). */
  std::uint32_t simulatedLines = 2;
  /**
   * Deterministic mode: time moves only through Runtime::advance(), and everything runs
   * on the calling thread. For tests and demos; single-threaded use only.
   */
  bool simulatedClock = false;
  std::chrono::nanoseconds ownerlessGrace{0};
  std::chrono::nanoseconds idleReclaimAfter{0};  // 0 = off
  std::chrono::nanoseconds noAnswerTimeout{0};   // 0 = none
  std::chrono::nanoseconds maxDuration{0};       // 0 = none
  /** Called with each call's final record when it is released (on the loop thread). */
  std::function<void(const CallRecord&)> onCallReleased;
};

/** Named resource counters, in the order the engine or server reports them. */
using Counters = std::vector<std::pair<std::string, std::int64_t>>;

/** An inbound call the simulated network places towards a line (operators and tests). */
struct InboundCall {
  std::uint32_t deviceId = 0;
  std::string caller;      // the calling number
  std::string callerName;  // the calling name
  /** Remote only: the far end's script, "sim:<directive>;..." as in docs/api.md. */
  std::string script;
};

/**
 * Owns the engine (embedded) or the connections to a tapid server (remote) that apps use.
 * The rest of the API is the same for both: choosing one is the one line that creates the
 * runtime.
 */
class Runtime {
 public:
  /** An engine in this process with a simulated network. */
  static std::shared_ptr<Runtime> embedded(EngineOptions options = {});

  /**
   * A tapid server. Opens one control connection now (for lines(), stats() and the
   * operator calls below); each App::initialize() then opens its own connection, because
   * one connection is one application to the server (docs/api.md).
   * @param server "unix:/path/to/tapid.sock" or "tcp://host:port" (TAPI_SERVER's syntax).
   * @param token the bearer token for tcp (ignored for unix).
   * @return the runtime; LINEERR_INVALPARAM for a malformed address,
   *         LINEERR_OPERATIONFAILED if the server cannot be reached within 10 s.
   * Any thread. Requests to the server wait at most 10 s for their response
   * (LINEERR_OPERATIONFAILED after that). When an app's connection is lost (tapid died,
   * or dropped the app), the app is told at once as TAPI tells it: LINE_CLOSE for every
   * line it had open, then LINE_LINEDEVSTATE (kLineDevStateMessage) with
   * linedevstate::Reinit. From then on its call functions fail with
   * LINEERR_INVALCALLHANDLE, its line functions with LINEERR_INVALLINEHANDLE, App::open
   * and App::initialize with LINEERR_REINIT, and App::shutdown succeeds; connect a new
   * runtime to start again (docs/api.md).
   */
  static Result<std::shared_ptr<Runtime>> connect(const std::string& server,
                                                  const std::string& token = {});

  ~Runtime();
  Runtime(const Runtime&) = delete;
  Runtime& operator=(const Runtime&) = delete;

  std::vector<LineDevice> lines() const;
  /** Live resource counts of engine and provider. */
  EngineStats stats() const;
  /** Everything still held; empty when all apps released everything. */
  std::vector<LeakEntry> leakReport() const;
  /** Ends every live call (origin server-shutdown) and closes every line. Embedded only. */
  void shutdownEngine();

  /** True when the engine is in a tapid reached over the network. */
  bool isRemote() const noexcept;
  /**
   * Every resource counter by name: the engine's (embedded) or tapidStats (remote, which
   * adds server counters such as "connections").
   */
  Result<Counters> counters() const;
  /** Records of every call not yet released (remote: tapidCalls). */
  Result<std::vector<CallRecord>> calls() const;
  /**
   * The post-connection record of one call by its call id, the same for every app
   * (remote: tapidCallRecord, which also finds calls released since the server started).
   * @return the record, or an error (LINEERR_INVALPARAM or the server's) if unknown.
   */
  Result<CallRecord> callRecord(std::uint32_t callId) const;
  /**
   * Has the simulated network offer a call on a line (remote: simPlaceInbound).
   * @return the call id; LINEERR_OPERATIONUNAVAIL when embedded (script the network
   *         through simulation() there).
   */
  Result<std::uint32_t> placeInbound(const InboundCall& call);

  /** Simulated clock only: runs what is runnable now. */
  void runUntilIdle();
  /** Simulated clock only: moves time forward, running everything due. */
  void advance(std::chrono::nanoseconds d);
  /**
   * The simulated network, to script remote parties and place inbound calls.
   * @return the runtime's network (valid as long as the runtime), nullptr when remote.
   */
  Simulation* simulation() const;

  /**
   * Whether the connection to tapid was lost (every App of this runtime has then seen
   * LINE_CLOSE and LINE_LINEDEVSTATE REINIT). Always false for an embedded runtime.
   * Any thread.
   */
  bool serverLost() const;

 private:
  friend struct detail::RuntimeAccess;
  explicit Runtime(std::unique_ptr<detail::Backend> backend);
  std::unique_ptr<detail::Backend> backend_;
};

class App;
class Line;

/**
 * One application's handle to one call. Destroying it (or deallocate()) releases the
 * handle — TAPI 3's Release. Post-connection data stays readable until then.
 */
class Call {
 public:
  Call() = default;
  ~Call();
  Call(Call&& other) noexcept;
  Call& operator=(Call&& other) noexcept;
  Call(const Call&) = delete;
  Call& operator=(const Call&) = delete;

  /** The app's HCALL value; 0 for an empty Call. */
  std::uint32_t handle() const noexcept { return hCall_; }
  explicit operator bool() const noexcept { return hCall_ != 0; }

  /** lineAnswer. @return the request id (its LINE_REPLY comes later). */
  Result<std::uint32_t> answer(std::string_view uui = {});
  /** lineAccept. */
  Result<std::uint32_t> accept(std::string_view uui = {});
  /**
   * lineDrop with a disconnect mode (0: REJECT on an offered call, NORMAL otherwise) and
   * user-user info.
   */
  Result<std::uint32_t> drop(std::uint32_t mode = 0, std::string_view uui = {});
  /** TAPI 3 Disconnect codes: DC_NORMAL 0, DC_NOANSWER 1, DC_REJECTED 2. */
  Result<std::uint32_t> disconnect(std::uint32_t dcCode);
  /** lineDeallocateCall: releases the handle now; the object becomes empty. */
  Result<void> deallocate();
  /** Gives up ownership of the handle without releasing it (for C API adapters). */
  std::uint32_t release() noexcept;

  Result<CallRecord> info() const;
  Result<CallStatus> status() const;
  Result<void> setAppSpecific(std::uint32_t value);
  Result<void> setPrivilege(Privilege privilege);
  /** lineHandoff to the app named `target`, or to the top owner for `mediaMode`. */
  Result<void> handoff(const std::string& target, std::uint32_t mediaMode = 0);

 private:
  friend class App;
  friend class Line;
  Call(std::shared_ptr<detail::AppCore> app, std::uint32_t hCall);
  std::shared_ptr<detail::AppCore> app_;
  std::uint32_t hCall_ = 0;
};

struct MadeCall {
  std::uint32_t requestId = 0;  // its LINE_REPLY says whether the call was placed
  Call call;                    // usable once that reply reports success
};

struct MakeCallOptions {
  std::string userUserInfo;
  std::uint32_t addressId = 0;
  std::optional<std::chrono::nanoseconds> noAnswerTimeout;
  std::optional<std::chrono::nanoseconds> maxDuration;
};

/** An open line (lineOpen); destroying it closes the line (lineClose). */
class Line {
 public:
  Line() = default;
  ~Line();
  Line(Line&& other) noexcept;
  Line& operator=(Line&& other) noexcept;
  Line(const Line&) = delete;
  Line& operator=(const Line&) = delete;

  std::uint32_t handle() const noexcept { return hLine_; }
  std::uint32_t deviceId() const noexcept { return deviceId_; }

  /** lineMakeCall. */
  Result<MadeCall> makeCall(const std::string& destination, const MakeCallOptions& options = {});
  /** lineGetNewCalls: monitor handles for calls on this line the app does not know yet. */
  Result<std::vector<Call>> getNewCalls();
  /** lineClose now. */
  Result<void> close();

 private:
  friend class App;
  Line(std::shared_ptr<detail::AppCore> app, std::uint32_t hLine, std::uint32_t deviceId);
  std::shared_ptr<detail::AppCore> app_;
  std::uint32_t hLine_ = 0;
  std::uint32_t deviceId_ = 0;
};

struct AppOptions {
  std::string name = "app";
  std::uint32_t apiVersion = kApiVersion22;
  /**
   * Called on the runtime's loop thread when the message queue becomes non-empty. It
   * must not call into the API (signal something, e.g. an eventfd, and return).
   */
  std::function<void()> notify;
};

struct OpenOptions {
  std::uint32_t mediaModes = 0x4;  // LINEMEDIAMODE_INTERACTIVEVOICE
  std::uint32_t apiVersion = 0;    // 0: the app's version
  std::optional<std::chrono::nanoseconds> noAnswerTimeout;
  std::optional<std::chrono::nanoseconds> maxDuration;
};

/** An application (lineInitializeEx .. lineShutdown); destroying it shuts it down. */
class App {
 public:
  static Result<App> initialize(std::shared_ptr<Runtime> runtime, AppOptions options = {});

  App() = default;
  ~App();
  App(App&& other) noexcept = default;
  App& operator=(App&& other) noexcept;
  App(const App&) = delete;
  App& operator=(const App&) = delete;

  std::uint32_t handle() const noexcept;
  std::vector<LineDevice> lines() const;

  /** lineOpen with LINECALLPRIVILEGE_ bits (NONE, or MONITOR and/or OWNER). */
  Result<Line> open(std::uint32_t deviceId, std::uint32_t privileges, const OpenOptions& o = {});
  Result<Line> open(std::uint32_t deviceId, Privilege privilege, const OpenOptions& o = {}) {
    return open(deviceId, static_cast<std::uint32_t>(privilege), o);
  }

  /** The next message, if one is queued. */
  std::optional<Message> nextMessage();
  /** Waits up to `timeout` for a message (simulated clock: does not wait). */
  std::optional<Message> waitMessage(std::chrono::milliseconds timeout);
  /** Adopts a handle the app learned from a message (LINE_APPNEWCALL) as a Call. */
  Call adopt(std::uint32_t hCall);
  /** lineShutdown now; every Line and Call of this app becomes inert. */
  Result<void> shutdown();

 private:
  explicit App(std::shared_ptr<detail::AppCore> core);
  std::shared_ptr<detail::AppCore> core_;
};

}  // namespace tapi
