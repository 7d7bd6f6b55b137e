#pragma once
// The session engine: applications, lines, calls and per-application call handles, the
// call state machine, asynchronous requests with exactly one reply each, per-app event
// queues, termination policies and post-connection data. It runs on one loop thread and
// talks to the network only through spi::Provider.

#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "base/event_loop.hpp"
#include "spi/provider.hpp"

namespace tapi::engine {

/** Engine-wide settings; every value has a working default. */
struct Config {
  /** How long a non-idle call may stay without an owner before it is dropped. */
  base::Duration ownerlessGrace{0};
  /** Release handles still held this long after their call ended; 0 = off. */
  base::Duration idleReclaimAfter{0};
  /** Default no-answer timeout for outbound calls; 0 = none. */
  base::Duration noAnswerTimeout{0};
  /** Default maximum connected duration; 0 = none. */
  base::Duration maxDuration{0};
  /** Called when a call reaches IDLE (the record is complete but for releasedAt). */
  std::function<void(const CallRecord&)> onCallIdle;
  /** Called when a call is released (last handle gone): the final record. */
  std::function<void(const CallRecord&)> onCallReleased;
  /** Diagnostic lines (handle reclamation, refused provider events and state changes...). */
  std::function<void(const std::string&)> log;
};

/** What initialize() registers for an application. */
struct AppParams {
  std::string name;  // friendly name (TAPI: module name), used by handoff and records
  std::uint32_t apiVersion = kApiVersion22;
  std::uint64_t callbackInstance = 0;
  /**
   * Called on the loop thread when the app's queue goes from empty to non-empty.
   * It must not call back into the engine.
   */
  std::function<void()> notify;
};

/** What open() asks for: the device, the privileges and the per-open overrides. */
struct LineOpenParams {
  std::uint32_t deviceId = 0;
  std::uint32_t privileges = static_cast<std::uint32_t>(Privilege::None);  // Privilege bits
  std::uint32_t mediaModes = 0;
  std::uint32_t apiVersion = 0;  // 0: the app's version
  std::uint64_t callbackInstance = 0;
  std::optional<base::Duration> noAnswerTimeout;  // overrides Config for calls on this open
  std::optional<base::Duration> maxDuration;
};

/** Options of makeCall(). */
struct CallParams {
  std::string userUserInfo;
  std::uint32_t addressId = 0;
  std::optional<base::Duration> noAnswerTimeout;
  std::optional<base::Duration> maxDuration;
};

/** What makeCall() returns at once. */
struct MakeCallResult {
  spi::RequestId requestId = 0;
  std::uint32_t hCall = 0;  // valid once the LINE_REPLY for requestId reports success
};

/** What callInfo() returns: the app's hLine for the call, and its record. */
struct CallInfo {
  std::uint32_t hLine = 0;
  CallRecord record;
};

namespace detail {
class EngineImpl;
}  // namespace detail

/**
 * The engine.
 *
 * Threads: every method, and every callback the engine makes (AppParams::notify, the
 * Config callbacks), runs on the loop thread of the EventLoop given to the constructor;
 * callers on other threads post to that loop (the client's embedded backend and tapid do).
 * No method is re-entrant: a callback must not call back into the engine.
 *
 * Errors: methods that can fail return a Result whose error is a LINEERR_* value (LineErr),
 * or the provider's own error when the provider refused a request synchronously. Methods
 * that start an asynchronous operation return its request id; its result arrives later as
 * exactly one LINE_REPLY message (unless the app let go first: shutdown, line close, or an
 * API < 2.0 deallocate).
 *
 * The handle values (hLineApp, hLine, hCall) are the app's own: unique within the app,
 * never 0, never reused while a stale copy could be presented; a value from another app
 * means nothing.
 */
class Engine final {
 public:
  /**
   * Becomes `provider`'s event sink until destroyed. Both `loop` and `provider` must
   * outlive the engine. Loop thread.
   */
  Engine(base::EventLoop& loop, spi::Provider& provider, Config config = {});
  /** Cancels the engine's timers and detaches from the provider. Loop thread. */
  ~Engine();
  Engine(const Engine&) = delete;
  Engine& operator=(const Engine&) = delete;

  /**
   * lineInitializeEx: registers an application.
   * @return the app's hLineApp; LINEERR_INCOMPATIBLEAPIVERSION for a version outside
   *         [kApiVersionLowest, kApiVersionHighest]; LINEERR_OPERATIONFAILED after
   *         shutdownAll().
   */
  Result<std::uint32_t> initialize(AppParams params);
  /**
   * lineShutdown: closes every line of the app (releasing its call handles as lineClose
   * does) and discards its queued messages. Replies to its outstanding requests are not sent.
   * @return LINEERR_INVALAPPHANDLE for an unknown hLineApp.
   */
  Result<void> shutdown(std::uint32_t hLineApp);
  /**
   * lineNegotiateAPIVersion.
   * @return the highest supported version within [low, high]; LINEERR_INVALAPPHANDLE,
   *         LINEERR_BADDEVICEID, or LINEERR_INCOMPATIBLEAPIVERSION when the ranges do not
   *         meet.
   */
  Result<std::uint32_t> negotiateApiVersion(std::uint32_t hLineApp, std::uint32_t deviceId,
                                            std::uint32_t low, std::uint32_t high) const;
  /** The provider's line devices, as it reported them when the engine was built. */
  std::vector<spi::LineInfo> lines() const;

  /**
   * lineOpen: opens a line device for the app (the provider's line is opened with the
   * first open of the device).
   * @return the app's hLine; LINEERR_INVALAPPHANDLE, LINEERR_OPERATIONFAILED (after
   *         shutdownAll(), or the provider failed without a reason), LINEERR_BADDEVICEID,
   *         LINEERR_INVALPRIVSELECT, LINEERR_INCOMPATIBLEAPIVERSION, or the provider's
   *         openLine error.
   */
  Result<std::uint32_t> open(std::uint32_t hLineApp, const LineOpenParams& params);
  /**
   * lineClose: releases every call handle the app holds through this line (a call whose
   * last handle goes is ended and released) and suppresses the replies of its requests.
   * @return LINEERR_UNINITIALIZED for an unknown hLineApp, LINEERR_INVALLINEHANDLE.
   */
  Result<void> close(std::uint32_t hLineApp, std::uint32_t hLine);

  /**
   * lineMakeCall: creates an outbound call owned by the app. The returned hCall becomes
   * valid when the LINE_REPLY for the request reports success; on failure it never does.
   * @return LINEERR_UNINITIALIZED, LINEERR_INVALLINEHANDLE, LINEERR_INVALADDRESS (empty
   *         destination), LINEERR_INVALADDRESSID, LINEERR_USERUSERINFOTOOBIG, or the
   *         provider's makeCall error.
   */
  Result<MakeCallResult> makeCall(std::uint32_t hLineApp, std::uint32_t hLine,
                                  const std::string& destination, const CallParams& params = {});
  /**
   * lineAnswer: answers an OFFERING or ACCEPTED call; `uui` is sent with the answer.
   * @return the request id; LINEERR_UNINITIALIZED, LINEERR_INVALCALLHANDLE,
   *         LINEERR_NOTOWNER, LINEERR_INVALCALLSTATE, LINEERR_USERUSERINFOTOOBIG, or the
   *         provider's error.
   */
  Result<spi::RequestId> answer(std::uint32_t hLineApp, std::uint32_t hCall,
                                const std::string& uui = {});
  /**
   * lineAccept: claims an OFFERING call.
   * @return the request id; LINEERR_UNINITIALIZED, LINEERR_INVALCALLHANDLE,
   *         LINEERR_NOTOWNER, LINEERR_INVALCALLSTATE, LINEERR_USERUSERINFOTOOBIG, or the
   *         provider's error.
   */
  Result<spi::RequestId> accept(std::uint32_t hLineApp, std::uint32_t hCall,
                                const std::string& uui = {});
  /**
   * lineDrop: ends a call that is not IDLE; `mode` 0 means REJECT on an offered call and
   * NORMAL otherwise. A call whose network side already ended (an engine policy cleared it)
   * goes IDLE without the provider.
   * @return the request id; LINEERR_UNINITIALIZED, LINEERR_INVALCALLHANDLE,
   *         LINEERR_NOTOWNER, LINEERR_INVALCALLSTATE (IDLE), LINEERR_USERUSERINFOTOOBIG,
   *         or the provider's error.
   */
  Result<spi::RequestId> drop(std::uint32_t hLineApp, std::uint32_t hCall, std::uint32_t mode = 0,
                              const std::string& uui = {});
  /**
   * lineDeallocateCall: releases the app's handle. A call whose last handle goes is ended
   * (if not IDLE) and released; an owner leaving a live call without owners starts the
   * ownerless grace period.
   * @return LINEERR_UNINITIALIZED, LINEERR_INVALCALLHANDLE, or LINEERR_INVALCALLSTATE when
   *         an app below API 2.0 is the sole owner of a call that is not IDLE.
   */
  Result<void> deallocate(std::uint32_t hLineApp, std::uint32_t hCall);

  /**
   * lineGetCallInfo: the call's post-connection record as this app may see it; readable
   * until the handle is released, also after the call ended.
   * @return LINEERR_UNINITIALIZED, LINEERR_INVALCALLHANDLE.
   */
  Result<CallInfo> callInfo(std::uint32_t hLineApp, std::uint32_t hCall) const;
  /**
   * lineGetCallStatus: state, mode, privilege, entry time and the features the handle has.
   * @return LINEERR_UNINITIALIZED, LINEERR_INVALCALLHANDLE.
   */
  Result<CallStatus> callStatus(std::uint32_t hLineApp, std::uint32_t hCall) const;
  /**
   * lineSetAppSpecific: sets the record's app-specific value; other holders get
   * LINE_CALLINFO(APPSPECIFIC).
   * @return LINEERR_UNINITIALIZED, LINEERR_INVALCALLHANDLE, LINEERR_NOTOWNER.
   */
  Result<void> setAppSpecific(std::uint32_t hLineApp, std::uint32_t hCall, std::uint32_t value);
  /**
   * lineSetCallPrivilege: makes the handle an owner or a monitor.
   * @return LINEERR_UNINITIALIZED, LINEERR_INVALCALLHANDLE, LINEERR_INVALCALLPRIVILEGE, or
   *         LINEERR_INVALCALLSTATE when the sole owner of a call that is not IDLE would
   *         become a monitor.
   */
  Result<void> setCallPrivilege(std::uint32_t hLineApp, std::uint32_t hCall, Privilege privilege);
  /**
   * lineHandoff: gives ownership to the app named `target`, or (target empty) to the
   * highest-priority other owner of the line that handles `mediaMode`. The handing-off app
   * keeps its handle and privilege.
   * @return LINEERR_UNINITIALIZED, LINEERR_INVALCALLHANDLE, LINEERR_NOTOWNER,
   *         LINEERR_TARGETNOTFOUND, or LINEERR_TARGETSELF when only the caller matches.
   */
  Result<void> handoff(std::uint32_t hLineApp, std::uint32_t hCall, const std::string& target,
                       std::uint32_t mediaMode = 0);
  /**
   * lineGetNewCalls: monitor handles for the line's calls the app has no handle to yet.
   * @return the new hCall values; LINEERR_UNINITIALIZED, LINEERR_INVALLINEHANDLE,
   *         LINEERR_INVALCALLSELECT, LINEERR_INVALADDRESSID.
   */
  Result<std::vector<std::uint32_t>> getNewCalls(std::uint32_t hLineApp, std::uint32_t hLine,
                                                 std::uint32_t addressId, CallSelect select);

  /**
   * lineGetMessage without waiting: takes the app's next message, if any.
   * @return the message or nothing; LINEERR_INVALAPPHANDLE.
   */
  Result<std::optional<Message>> getMessage(std::uint32_t hLineApp);
  /** The number of messages queued for the app; 0 for an unknown hLineApp. */
  std::size_t queuedMessages(std::uint32_t hLineApp) const;
  /**
   * The API version the app initialised with.
   * @return LINEERR_INVALAPPHANDLE for an unknown hLineApp.
   */
  Result<std::uint32_t> appApiVersion(std::uint32_t hLineApp) const;

  /**
   * Server shutdown: every live call is ended (origin server-shutdown) and released, every
   * app gets LINE_CLOSE for each open line. Apps stay initialised until they shut down;
   * initialize() and open() fail from now on.
   */
  void shutdownAll();

  /** Live counts (they return to zero when everything is released) and cumulative ones. */
  EngineStats stats() const;
  /** Records of every call not yet released (live, or ended with handles still held). */
  std::vector<CallRecord> callRecords() const;
  /** Everything still held (apps, lines, handles, calls, requests, provider resources). */
  std::vector<LeakEntry> leakReport() const;

 private:
  std::unique_ptr<detail::EngineImpl> impl_;
};

}  // namespace tapi::engine
