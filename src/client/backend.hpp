#pragma once
// What tapi::Runtime needs from wherever the engine is: in this process (EmbeddedBackend)
// or in a tapid server (RemoteBackend). The methods mirror the TAPI operations one to one;
// every method may be called from any thread.

#include <functional>
#include <optional>
#include <string>
#include <vector>

#include <tapi/tapi.hpp>

namespace tapi::detail {

struct OpenRequest {
  std::uint32_t deviceId = 0;
  std::uint32_t privileges = 0;
  OpenOptions options;
};

struct MakeCallReply {
  std::uint32_t requestId = 0;
  std::uint32_t hCall = 0;
};

class Backend {
 public:
  virtual ~Backend() = default;

  virtual std::vector<LineDevice> lines() = 0;
  virtual EngineStats stats() = 0;
  virtual std::vector<LeakEntry> leakReport() = 0;
  virtual void shutdownEngine() = 0;
  virtual Result<Counters> counters() = 0;
  virtual Result<std::vector<CallRecord>> calls() = 0;
  virtual Result<CallRecord> callRecord(std::uint32_t callId) = 0;
  virtual Result<std::uint32_t> placeInbound(const InboundCall& call) = 0;

  /** lineInitializeEx; `notify` runs (on a backend thread) when the queue becomes non-empty. */
  virtual Result<std::uint32_t> initialize(const std::string& name, std::uint32_t apiVersion,
                                           std::function<void()> notify) = 0;
  virtual Result<void> shutdown(std::uint32_t app) = 0;
  virtual Result<std::uint32_t> open(std::uint32_t app, const OpenRequest& req) = 0;
  virtual Result<void> close(std::uint32_t app, std::uint32_t hLine) = 0;
  virtual Result<MakeCallReply> makeCall(std::uint32_t app, std::uint32_t hLine,
                                         const std::string& destination,
                                         const MakeCallOptions& options) = 0;
  virtual Result<std::uint32_t> answer(std::uint32_t app, std::uint32_t hCall,
                                       const std::string& uui) = 0;
  virtual Result<std::uint32_t> accept(std::uint32_t app, std::uint32_t hCall,
                                       const std::string& uui) = 0;
  virtual Result<std::uint32_t> drop(std::uint32_t app, std::uint32_t hCall, std::uint32_t mode,
                                     const std::string& uui) = 0;
  virtual Result<void> deallocate(std::uint32_t app, std::uint32_t hCall) = 0;
  virtual Result<CallRecord> callInfo(std::uint32_t app, std::uint32_t hCall) = 0;
  virtual Result<CallStatus> callStatus(std::uint32_t app, std::uint32_t hCall) = 0;
  virtual Result<void> setAppSpecific(std::uint32_t app, std::uint32_t hCall,
                                      std::uint32_t value) = 0;
  virtual Result<void> setCallPrivilege(std::uint32_t app, std::uint32_t hCall,
                                        Privilege privilege) = 0;
  virtual Result<void> handoff(std::uint32_t app, std::uint32_t hCall, const std::string& target,
                               std::uint32_t mediaMode) = 0;
  virtual Result<std::vector<std::uint32_t>> getNewCalls(std::uint32_t app,
                                                         std::uint32_t hLine) = 0;
  /** The next queued message, if any (never blocks). */
  virtual Result<std::optional<Message>> getMessage(std::uint32_t app) = 0;
  /** True when waiting for a message makes no sense (a simulated clock). */
  virtual bool neverBlocks() const { return false; }
  /**
   * True once the server this backend reached is gone (remote only): new apps and lines
   * are refused with LINEERR_REINIT.
   */
  virtual bool serverLost() const { return false; }
};

}  // namespace tapi::detail
