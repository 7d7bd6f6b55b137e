#pragma once
// A deterministic simulated network. Remote parties follow scripts (per destination, or a
// default); time comes from the loop, so the same script always gives the same events.

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "base/event_loop.hpp"
#include "spi/provider.hpp"

namespace tapi::providers::sim {

/** What the simulated far end (or network) does at one step of a script. */
enum class Action : std::uint8_t {
  Dialing,          // report DIALING
  Proceeding,       // report PROCEEDING
  Ringback,         // report RINGBACK (far end alerting)
  Answer,           // far end answers: CONNECTED
  Busy,             // far end busy: DISCONNECTED(BUSY)
  Reject,           // far end rejects: DISCONNECTED(step.mode, default REJECT)
  Unreachable,      // network cannot reach it: DISCONNECTED(UNREACHABLE)
  RemoteHangup,     // far end hangs up: DISCONNECTED(step.mode, default NORMAL) with step.uui
  RemoteCancel,     // caller abandons an offered inbound call: DISCONNECTED(CANCELLED), IDLE
  ProviderFailure,  // the provider loses the call: DISCONNECTED(step.mode, default UNAVAIL)
  SessionExpired,   // the session keep-alive fails: DISCONNECTED(TEMPFAILURE)
  AwaitAnswer,      // inbound: wait here until the local side answers
};
const char* toString(Action a) noexcept;

struct Step {
  base::Duration after{};  // relative to the previous step (or to the call's start)
  Action action = Action::Answer;
  std::uint32_t mode = 0;
  std::string uui;
  ProviderCause cause{};
};

/** Behaviour of one simulated call. */
struct Script {
  std::vector<Step> steps;
  bool failMakeCallSync = false;  // makeCall returns an error at once
  bool failMakeCall = false;      // makeCall completes with OPERATIONFAILED
  bool failAnswer = false;
  bool failAccept = false;
  bool failDrop = false;
  base::Duration requestLatency{};            // time before a request completes
  std::optional<base::Duration> dropLatency;  // for drops only, if set (a drop in flight)
};

/** Convenience scripts. */
Script answerAfter(base::Duration ring, base::Duration hangupAfter = {}, std::uint32_t mode = 0,
                   std::string uui = {});
Script ringForever();

struct LineConfig {
  std::string name;
  std::string address;
};

/** Everything the provider was asked, for tests that assert the engine's calls. */
struct ProviderLog {
  std::size_t makeCalls = 0;
  std::size_t drops = 0;
  std::size_t closeCalls = 0;
  std::size_t closeCallsUnknown = 0;  // closeCall for an id that was never live (or twice)
  std::size_t answers = 0;
  std::vector<std::uint32_t> dropModes;
  std::vector<std::string> dropUuis;
};

class SimProvider final : public spi::Provider {
 public:
  /** @param lines one entry per line device; device ids are 0..n-1. */
  SimProvider(base::EventLoop& loop, std::vector<LineConfig> lines);
  ~SimProvider() override;

  /** The script used for calls to `destination` (exact match). */
  void scriptDestination(const std::string& destination, Script script);
  /** The script for destinations without their own. Default: answer after 1 s. */
  void setDefaultScript(Script script);

  struct Inbound {
    Party caller;
    Party called;
    std::string uui;
    Script script;             // steps after the offer, e.g. {AwaitAnswer, RemoteHangup after 5 s}
    std::uint32_t callId = 0;  // 0: assigned by the provider
  };
  /**
   * Offers an inbound call on a line (posted: the engine hears of it on the loop).
   * @return the provider's call id, or an error if the line is not open.
   */
  Result<spi::ProviderCallId> placeInbound(std::uint32_t deviceId, Inbound call);
  /** Closes a line as if the network took it away (the engine gets onLineClosed). */
  void forceCloseLine(std::uint32_t deviceId);

  const ProviderLog& log() const noexcept { return log_; }

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

 private:
  struct SimCall {
    spi::ProviderCallId id = 0;
    spi::EngineCallId ht = 0;
    std::uint32_t deviceId = 0;
    std::uint32_t callId = 0;
    CallState state = CallState::Unknown;
    bool inbound = false;
    bool announced = false;  // engine knows it (make call completed / new call accepted)
    std::shared_ptr<const Script> script;  // shared by every call to the same destination
    std::size_t nextStep = 0;
    base::TimerId stepTimer = 0;
  };
  struct Pending {
    spi::ProviderCallId call = 0;
    base::TimerId timer = 0;
  };

  SimCall* find(spi::ProviderCallId id);
  void scheduleNextStep(SimCall& c);
  void runStep(spi::ProviderCallId id);
  void report(SimCall& c, CallState state, std::uint32_t mode);
  void completeLater(SimCall& c, spi::RequestId id, Result<void> r, base::Duration after);
  void complete(spi::RequestId id, Result<void> r);
  void forget(SimCall& c);

  base::EventLoop& loop_;
  spi::Events* events_ = nullptr;
  std::vector<LineConfig> lineConfigs_;
  std::vector<bool> open_;
  std::map<std::string, std::shared_ptr<const Script>, std::less<>> scripts_;
  std::shared_ptr<const Script> defaultScript_;
  std::unordered_map<spi::ProviderCallId, SimCall> calls_;
  std::unordered_map<spi::RequestId, Pending> pending_;
  spi::ProviderCallId nextCallId_ = 0;
  std::uint32_t nextNetworkCallId_ = 1000;
  ProviderLog log_;
};

}  // namespace tapi::providers::sim
