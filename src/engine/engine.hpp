#pragma once
// The session engine: applications, lines, calls and per-application call handles, the
// call state machine, asynchronous requests with exactly one reply each, per-app event
// queues, termination policies and post-connection data. It runs on one loop thread and
// talks to the network only through spi::Provider.

#include <cstdint>
#include <deque>
#include <functional>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "base/boxed.hpp"
#include "base/event_loop.hpp"
#include "base/handle.hpp"
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
  /** Diagnostic lines (handle reclamation, refused provider events...). */
  std::function<void(const std::string&)> log;
};

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

struct LineOpenParams {
  std::uint32_t deviceId = 0;
  std::uint32_t privileges = static_cast<std::uint32_t>(Privilege::None);  // Privilege bits
  std::uint32_t mediaModes = 0;
  std::uint32_t apiVersion = 0;  // 0: the app's version
  std::uint64_t callbackInstance = 0;
  std::optional<base::Duration> noAnswerTimeout;  // overrides Config for calls on this open
  std::optional<base::Duration> maxDuration;
};

struct CallParams {
  std::string userUserInfo;
  std::uint32_t addressId = 0;
  std::optional<base::Duration> noAnswerTimeout;
  std::optional<base::Duration> maxDuration;
};

struct MakeCallResult {
  spi::RequestId requestId = 0;
  std::uint32_t hCall = 0;  // valid once the LINE_REPLY for requestId reports success
};

struct CallInfo {
  std::uint32_t hLine = 0;
  CallRecord record;
};

/**
 * The engine. Every method runs on the loop thread. Methods that start an asynchronous
 * operation return its request id; the result arrives later as one LINE_REPLY message.
 */
class Engine final : private spi::Events {
 public:
  Engine(base::EventLoop& loop, spi::Provider& provider, Config config = {});
  ~Engine() override;
  Engine(const Engine&) = delete;
  Engine& operator=(const Engine&) = delete;

  /** lineInitializeEx: @return the app's hLineApp. */
  Result<std::uint32_t> initialize(AppParams params);
  /** lineShutdown: releases every handle and line of the app and its queued messages. */
  Result<void> shutdown(std::uint32_t hLineApp);
  /** lineNegotiateAPIVersion. */
  Result<std::uint32_t> negotiateApiVersion(std::uint32_t hLineApp, std::uint32_t deviceId,
                                            std::uint32_t low, std::uint32_t high) const;
  /** Line devices. */
  std::vector<spi::LineInfo> lines() const;

  Result<std::uint32_t> open(std::uint32_t hLineApp, const LineOpenParams& params);
  Result<void> close(std::uint32_t hLineApp, std::uint32_t hLine);

  Result<MakeCallResult> makeCall(std::uint32_t hLineApp, std::uint32_t hLine,
                                  const std::string& destination, const CallParams& params = {});
  Result<spi::RequestId> answer(std::uint32_t hLineApp, std::uint32_t hCall,
                                const std::string& uui = {});
  Result<spi::RequestId> accept(std::uint32_t hLineApp, std::uint32_t hCall,
                                const std::string& uui = {});
  /** lineDrop; `mode` 0 means REJECT on an offered call and NORMAL otherwise. */
  Result<spi::RequestId> drop(std::uint32_t hLineApp, std::uint32_t hCall, std::uint32_t mode = 0,
                              const std::string& uui = {});
  Result<void> deallocate(std::uint32_t hLineApp, std::uint32_t hCall);

  Result<CallInfo> callInfo(std::uint32_t hLineApp, std::uint32_t hCall) const;
  Result<CallStatus> callStatus(std::uint32_t hLineApp, std::uint32_t hCall) const;
  Result<void> setAppSpecific(std::uint32_t hLineApp, std::uint32_t hCall, std::uint32_t value);
  Result<void> setCallPrivilege(std::uint32_t hLineApp, std::uint32_t hCall, Privilege privilege);
  /** lineHandoff: to the app named `target`, or (target empty) the top owner for `mediaMode`. */
  Result<void> handoff(std::uint32_t hLineApp, std::uint32_t hCall, const std::string& target,
                       std::uint32_t mediaMode = 0);
  /** lineGetNewCalls: monitor handles for the line's calls the app has no handle to yet. */
  Result<std::vector<std::uint32_t>> getNewCalls(std::uint32_t hLineApp, std::uint32_t hLine,
                                                 std::uint32_t addressId, CallSelect select);

  /** Takes the app's next message, if any. */
  Result<std::optional<Message>> getMessage(std::uint32_t hLineApp);
  std::size_t queuedMessages(std::uint32_t hLineApp) const;
  /** The API version an app initialised with. */
  Result<std::uint32_t> appApiVersion(std::uint32_t hLineApp) const;

  /**
   * Server shutdown: every live call is ended (origin server-shutdown) and released, every
   * app gets LINE_CLOSE for each open line. Apps stay initialised until they shut down.
   */
  void shutdownAll();

  EngineStats stats() const;
  /** Records of every call not yet released (live, or ended with handles still held). */
  std::vector<CallRecord> callRecords() const;
  /** Everything still held (apps, lines, handles, calls, requests). */
  std::vector<LeakEntry> leakReport() const;

 private:
  struct App;
  struct LineOpen;
  struct Call;
  using AppH = base::Handle<App>;
  using OpenH = base::Handle<LineOpen>;
  using CallH = base::Handle<Call>;

  enum class ReleaseCause : std::uint8_t {
    Deallocate,
    LineClose,        // the app closed its line
    LineForcedClose,  // the provider took the line away (LINE_CLOSE to every opener)
    AppShutdown,
    Reclaim,
    EngineShutdown,
  };
  enum class RequestKind : std::uint8_t { MakeCall, Answer, Accept, Drop, LocalDrop, Internal };

  struct App {
    std::string name;
    std::uint32_t apiVersion = 0;
    std::uint64_t callbackInstance = 0;
    std::function<void()> notify;
    std::uint32_t hLineApp = 0;
    base::AppHandleTable<OpenH> lines;
    base::AppHandleTable<CallH> calls;
    std::deque<Message> queue;
    base::TimePoint created{};
  };
  struct LineOpen {
    AppH app;
    std::uint32_t deviceId = 0;
    std::uint32_t privileges = 0;
    std::uint32_t mediaModes = 0;
    std::uint32_t apiVersion = 0;
    std::uint64_t callbackInstance = 0;
    std::uint32_t hLine = 0;
    std::uint64_t order = 0;  // lower opened earlier: higher ownership priority
    std::optional<base::Duration> noAnswerTimeout;
    std::optional<base::Duration> maxDuration;
  };
  struct Holder {
    AppH app;
    OpenH line;
    std::uint32_t hCall = 0;
    Privilege privilege = Privilege::Monitor;
    bool valid = false;  // an outbound call's handle is valid once its make-call succeeded
  };
  struct PendingEnd {
    Termination termination;
    std::uint32_t mode = 0;
    bool presentDisconnected = false;  // owners see DISCONNECTED(mode) and must drop
  };
  struct Call {
    CallH self;
    spi::ProviderCallId hd = 0;
    std::uint32_t deviceId = 0;
    CallState state = CallState::Unknown;
    std::uint32_t mode = 0;
    WallTime stateEntry{};
    base::TimePoint createdMono{};
    bool announced = false;
    bool closed = false;          // provider closeCall done
    bool networkCleared = false;  // the provider's side is idle; only the engine's remains
    bool deleting = false;
    std::vector<Holder> holders;
    CallRecord record;
    std::optional<spi::EndHint> endHint;
    base::Boxed<PendingEnd> pendingEnd;  // set by a drop the engine or an app started
    std::optional<base::Duration> noAnswerTimeout;
    std::optional<base::Duration> maxDuration;
    base::TimerId noAnswerTimer = 0;
    base::TimerId maxDurationTimer = 0;
    base::TimerId ownerlessTimer = 0;
    base::TimerId reclaimTimer = 0;
    base::Boxed<Termination>
        ownerlessWhy;  // what made it ownerless: recorded if the grace period ends
    bool idleReported = false;
  };
  struct Request {
    RequestKind kind = RequestKind::Internal;
    AppH app;
    CallH call;
    OpenH line;
    std::uint32_t hCall = 0;
    bool suppressed = false;
    // The call's uuiSent before this request recorded its user-user info: restored if the
    // request fails, since nothing was sent then.
    std::optional<std::string> uuiBefore;
  };

  // spi::Events
  spi::EngineCallId onNewCall(std::uint32_t deviceId, spi::ProviderCallId hdCall,
                              const spi::NewCallInfo& info) override;
  void onCallState(spi::EngineCallId call, CallState state, std::uint32_t mode) override;
  void onCallInfo(spi::EngineCallId call, const spi::CallInfoUpdate& update) override;
  void onRequestComplete(spi::RequestId id, Result<void> result) override;
  void onLineClosed(std::uint32_t deviceId) override;

  App* findApp(std::uint32_t hLineApp, AppH* out = nullptr) const;
  /** Resolves an app's call handle to the call and the app's holder entry. */
  Result<std::pair<Call*, Holder*>> resolve(std::uint32_t hLineApp, std::uint32_t hCall) const;
  Call* findCall(spi::EngineCallId id) const;
  std::uint32_t versionOf(const Holder& h) const;
  const spi::LineInfo* device(std::uint32_t deviceId) const;

  void enqueue(AppH app, const Message& m);
  void sendCallState(Call& c, const Holder& h, std::uint32_t privilegeParam);
  void sendCallInfoToOthers(Call& c, AppH except, std::uint32_t bits);
  void announceNewHandle(Call& c, const Holder& h);
  void countHolders(Call& c);

  spi::RequestId newRequest(RequestKind kind, AppH app, CallH call, OpenH line,
                            std::uint32_t hCall);
  void transition(Call& c, CallState state, std::uint32_t mode);
  void recordEnd(Call& c, const Termination& t, std::uint32_t mode);
  void engineDrop(Call& c, PendingEnd end);
  void startOwnerless(Call& c, Termination why);
  static Termination terminationFor(ReleaseCause cause, const std::string& app, bool ownerless);
  void releaseHolder(Call& c, std::size_t index, ReleaseCause cause);
  void finishCall(Call& c, const Termination& why);
  void closeLineOpen(OpenH open, ReleaseCause cause);
  void suppressRequests(AppH app, std::optional<OpenH> line, std::optional<CallH> call);
  void cancelTimer(base::TimerId& id);
  base::TimerId scheduleForCall(Call& c, base::Duration after, void (Engine::*fn)(CallH));
  void onNoAnswer(CallH h);
  void onMaxDuration(CallH h);
  void onOwnerless(CallH h);
  void onReclaim(CallH h);
  void log(const std::string& line) const;

  base::EventLoop& loop_;
  spi::Provider& provider_;
  Config config_;
  std::vector<spi::LineInfo> devices_;
  std::unordered_map<std::uint32_t, std::vector<OpenH>> opensByDevice_;
  base::SlotMap<App> apps_;
  base::AppHandleTable<AppH> appValues_;
  base::SlotMap<LineOpen> opens_;
  base::SlotMap<Call> calls_;
  std::unordered_map<spi::RequestId, Request> requests_;
  spi::RequestId nextRequest_ = 0;
  std::uint64_t nextOpenOrder_ = 0;
  std::size_t reclaimed_ = 0;
  bool shutDown_ = false;
};

}  // namespace tapi::engine
