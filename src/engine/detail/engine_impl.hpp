#pragma once
// The engine's state and its private operations. Engine (engine.hpp) forwards every public
// method here; the definitions are split by topic over the engine's .cpp files:
//   engine_impl.cpp      construction, lookups, messages to apps
//   apps_lines.cpp       applications and line opens
//   requests.cpp         asynchronous requests and their completion
//   call_control.cpp     make call, answer, accept, drop, deallocate
//   handles_queries.cpp  call info and status, privileges, handoff, new calls, messages
//   provider_events.cpp  spi::Events: what the provider reports
//   lifecycle.cpp        state transitions, the recorded end, handle release, call release
//   policies.cpp         the timed policies (no answer, max duration, ownerless, reclaim)
//   accounting.cpp       server shutdown, stats, records and the leak report
// Only the engine's own .cpp files include this header.

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <unordered_map>
#include <utility>
#include <vector>

#include "base/event_loop.hpp"
#include "base/handle.hpp"
#include "engine/detail/call_entry.hpp"
#include "engine/detail/engine_types.hpp"
#include "engine/engine.hpp"
#include "spi/provider.hpp"

namespace tapi::engine::detail {

class EngineImpl final : public spi::Events {
 public:
  EngineImpl(base::EventLoop& loop, spi::Provider& provider, Config config);
  ~EngineImpl() override;
  EngineImpl(const EngineImpl&) = delete;
  EngineImpl& operator=(const EngineImpl&) = delete;

  // Engine (each documented in engine.hpp)
  Result<std::uint32_t> initialize(AppParams params);
  Result<void> shutdown(std::uint32_t hLineApp);
  Result<std::uint32_t> negotiateApiVersion(std::uint32_t hLineApp, std::uint32_t deviceId,
                                            std::uint32_t low, std::uint32_t high) const;
  std::vector<spi::LineInfo> lines() const;
  Result<std::uint32_t> open(std::uint32_t hLineApp, const LineOpenParams& params);
  Result<void> close(std::uint32_t hLineApp, std::uint32_t hLine);
  Result<MakeCallResult> makeCall(std::uint32_t hLineApp, std::uint32_t hLine,
                                  const std::string& destination, const CallParams& params);
  Result<spi::RequestId> answer(std::uint32_t hLineApp, std::uint32_t hCall,
                                const std::string& uui);
  Result<spi::RequestId> accept(std::uint32_t hLineApp, std::uint32_t hCall,
                                const std::string& uui);
  Result<spi::RequestId> drop(std::uint32_t hLineApp, std::uint32_t hCall, std::uint32_t mode,
                              const std::string& uui);
  Result<void> deallocate(std::uint32_t hLineApp, std::uint32_t hCall);
  Result<CallInfo> callInfo(std::uint32_t hLineApp, std::uint32_t hCall) const;
  Result<CallStatus> callStatus(std::uint32_t hLineApp, std::uint32_t hCall) const;
  Result<void> setAppSpecific(std::uint32_t hLineApp, std::uint32_t hCall, std::uint32_t value);
  Result<void> setCallPrivilege(std::uint32_t hLineApp, std::uint32_t hCall, Privilege privilege);
  Result<void> handoff(std::uint32_t hLineApp, std::uint32_t hCall, const std::string& target,
                       std::uint32_t mediaMode);
  Result<std::vector<std::uint32_t>> getNewCalls(std::uint32_t hLineApp, std::uint32_t hLine,
                                                 std::uint32_t addressId, CallSelect select);
  Result<std::optional<Message>> getMessage(std::uint32_t hLineApp);
  std::size_t queuedMessages(std::uint32_t hLineApp) const;
  Result<std::uint32_t> appApiVersion(std::uint32_t hLineApp) const;
  void shutdownAll();
  EngineStats stats() const;
  std::vector<CallRecord> callRecords() const;
  std::vector<LeakEntry> leakReport() const;

  // spi::Events
  spi::EngineCallId onNewCall(std::uint32_t deviceId, spi::ProviderCallId hdCall,
                              const spi::NewCallInfo& info) override;
  void onCallState(spi::EngineCallId call, CallState state, std::uint32_t mode) override;
  void onCallInfo(spi::EngineCallId call, const spi::CallInfoUpdate& update) override;
  void onRequestComplete(spi::RequestId id, Result<void> result) override;
  void onLineClosed(std::uint32_t deviceId) override;

 private:
  /** A call's timer slot, and the policy that runs when it fires. */
  using TimerSlot = base::TimerId CallTimers::*;
  using TimerFired = void (EngineImpl::*)(CallEntry&);

  // Lookups (engine_impl.cpp)
  App* findApp(std::uint32_t hLineApp, AppH* out = nullptr) const;
  /** Resolves an app's call handle to the call and the app's holder entry. */
  Result<std::pair<CallEntry*, Holder*>> resolve(std::uint32_t hLineApp, std::uint32_t hCall) const;
  /** resolve(), then LINEERR_NOTOWNER unless the handle has owner privilege. */
  Result<std::pair<CallEntry*, Holder*>> resolveOwned(std::uint32_t hLineApp,
                                                      std::uint32_t hCall) const;
  /** The live call a provider event names, or nullptr. */
  CallEntry* findCall(spi::EngineCallId id) const;
  std::uint32_t versionOf(const Holder& h) const;
  const spi::LineInfo* device(std::uint32_t deviceId) const;
  void log(const std::string& line) const;

  // Messages to apps (engine_impl.cpp)
  void enqueue(AppH app, const Message& m);
  void sendCallState(CallEntry& c, const Holder& h, std::uint32_t privilegeParam);
  void sendCallInfo(const Holder& h, std::uint32_t bits);
  void sendCallInfoToOthers(CallEntry& c, AppH except, std::uint32_t bits);
  void announceNewHandle(CallEntry& c, const Holder& h);
  void sendLineClose(const LineOpen& o);

  // Applications and lines (apps_lines.cpp)
  void closeLineOpen(OpenH open, ReleaseCause cause);
  void suppressRequests(AppH app, std::optional<OpenH> line, std::optional<CallH> call);

  // Requests (requests.cpp)
  spi::RequestId newRequest(RequestKind kind, AppH app, CallH call, OpenH line,
                            std::uint32_t hCall);
  void completeMakeCall(const Request& req, CallEntry* c, Result<void> result);
  void announceToMonitors(CallEntry& c, const Request& req);

  // Lifecycle (lifecycle.cpp)
  /** Moves `c` to `state` if the arrow is allowed; a refused arrow is counted and logged. */
  void transition(CallEntry& c, CallState state, std::uint32_t mode);
  void recordEnd(CallEntry& c, const Termination& t, std::uint32_t mode);
  void engineDrop(CallEntry& c, PendingEnd end);
  static Termination terminationFor(ReleaseCause cause, const std::string& app, bool ownerless);
  void releaseHolder(CallEntry& c, std::size_t index, ReleaseCause cause);
  void finishCall(CallEntry& c, const Termination& why);

  // Policies (policies.cpp)
  /** Arms `slot` of `c` to run `fired` after `after`, if the call is still live then. */
  void arm(CallEntry& c, TimerSlot slot, base::Duration after, TimerFired fired);
  void startOwnerless(CallEntry& c, Termination why);
  void onNoAnswer(CallEntry& c);
  void onMaxDuration(CallEntry& c);
  void onOwnerless(CallEntry& c);
  void onReclaim(CallEntry& c);

  base::EventLoop& loop_;
  spi::Provider& provider_;
  Config config_;
  std::vector<spi::LineInfo> devices_;
  std::unordered_map<std::uint32_t, std::vector<OpenH>> opensByDevice_;
  base::SlotMap<App> apps_;
  base::AppHandleTable<AppH> appValues_;
  base::SlotMap<LineOpen> opens_;
  base::SlotMap<CallEntry> calls_;
  std::unordered_map<spi::RequestId, Request> requests_;
  spi::RequestId nextRequest_ = 0;
  std::uint64_t nextOpenOrder_ = 0;
  std::size_t reclaimed_ = 0;
  std::size_t refusedTransitions_ = 0;
  bool shutDown_ = false;
};

}  // namespace tapi::engine::detail
