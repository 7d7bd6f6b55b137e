#pragma once
// The service provider interface (this project's TSPI). The engine talks to a network
// only through spi::Provider and hears back only through spi::Events.
//
// Rules every provider keeps:
// - Requests that return ok() complete exactly once, later, through onRequestComplete.
//   A request that returns an error synchronously never completes.
// - Events are posted to the loop: never delivered from inside an engine->provider call.
// - closeCall() is idempotent, always succeeds, completes the call's outstanding
//   requests with LINEERR_OPERATIONFAILED, drops the call on the network if it is not
//   idle, and after it no event for that call is delivered. closeCall on a call whose
//   makeCall failed is a no-op.

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include <tapi/result.hpp>
#include <tapi/types.hpp>

namespace tapi::spi {

using RequestId = std::uint32_t;       // engine-assigned, never 0
using ProviderCallId = std::uint64_t;  // the provider's call (TSPI hdCall), never 0
using EngineCallId = std::uint64_t;    // the engine's call (TSPI htCall), never 0

/** What a line device is and can do (LINEDEVCAPS subset). */
struct LineInfo {
  std::uint32_t deviceId = 0;
  std::string name;     // e.g. "sim/1"
  std::string address;  // the line's own address (number or SIP URI)
  std::uint32_t devCapFlags = kDevCapCloseDrop;
  std::uint32_t maxUserUserInfo = 128;  // bytes; longer UUI gets USERUSERINFOTOOBIG
  std::uint32_t numAddresses = 1;
};

struct MakeCallParams {
  std::string destination;
  std::string userUserInfo;
  std::uint32_t addressId = 0;
};

/** How the provider classifies an end it reports (DISCONNECTED or IDLE it originated). */
enum class EndHint : std::uint8_t {
  Remote,           // the far end or the network ended the call
  ProviderFailure,  // the provider itself failed (transport lost, internal error)
  SessionTimer,     // the provider's session keep-alive expired
};

/** Fields a provider reports about a call; empty optionals mean "unchanged". */
struct CallInfoUpdate {
  std::optional<std::uint32_t> callId;
  std::optional<Party> caller;
  std::optional<Party> called;
  std::optional<Party> connected;
  std::optional<std::string> userUserInfo;  // latest UUI received
  std::optional<ProviderCause> cause;
  std::optional<EndHint> endHint;  // applies to the next DISCONNECTED/IDLE it reports
};

struct NewCallInfo {
  std::uint32_t addressId = 0;
  std::uint32_t callId = 0;
  Party caller;
  Party called;
  CallState initialState = CallState::Offering;  // announced with the call: not re-reported
  std::string userUserInfo;
  std::string providerRef;  // e.g. the SIP Call-ID
};

/** A kind of resource a provider still holds when it should hold none (shutdown leak report). */
struct ProviderLeak {
  std::string what;  // e.g. "sip-transaction"
  std::size_t count = 0;
};

struct ProviderStats {
  std::size_t calls = 0;            // provider call objects alive
  std::size_t pendingRequests = 0;  // requests accepted and not yet completed
  std::size_t timers = 0;           // timers the provider has scheduled
  std::size_t openLines = 0;
};

/** Implemented by the engine. Called on the loop thread only. */
class Events {
 public:
  virtual ~Events() = default;

  /**
   * A call appeared on a line (inbound, or made outside the engine).
   * @return the engine's id for it, or 0 if the engine refuses it (the provider then
   *         rejects the call and forgets it; it must not call closeCall's effects twice).
   */
  virtual EngineCallId onNewCall(std::uint32_t deviceId, ProviderCallId hdCall,
                                 const NewCallInfo& info) = 0;
  /** The call entered `state`; `mode` is the state's detail (disconnect mode etc.). */
  virtual void onCallState(EngineCallId call, CallState state, std::uint32_t mode) = 0;
  /** Facts about the call changed. */
  virtual void onCallInfo(EngineCallId call, const CallInfoUpdate& update) = 0;
  /** An asynchronous request finished: exactly once per accepted request. */
  virtual void onRequestComplete(RequestId id, Result<void> result) = 0;
  /** The provider closed the line on its own (config change, failure): LINE_CLOSE. */
  virtual void onLineClosed(std::uint32_t deviceId) = 0;
};

/** Implemented by each provider. Called on the loop thread only. */
class Provider {
 public:
  virtual ~Provider() = default;

  /** Where events go. Set once before any other call. */
  virtual void setEvents(Events* events) = 0;
  /** The line devices this provider offers. */
  virtual std::vector<LineInfo> lines() const = 0;
  /** The engine opened the line for the first app. Synchronous. */
  virtual Result<void> openLine(std::uint32_t deviceId) = 0;
  /** The last app closed the line: drop its calls (CLOSEDROP) and stop listening. */
  virtual void closeLine(std::uint32_t deviceId) = 0;
  /**
   * Places a call. On ok() the provider's call exists (the engine calls closeCall for it
   * eventually) and the request completes later; events for the call come only after a
   * successful completion.
   */
  virtual Result<ProviderCallId> makeCall(RequestId id, std::uint32_t deviceId, EngineCallId htCall,
                                          const MakeCallParams& params) = 0;
  /** Answers an offered or accepted call, sending `uui` with the answer. */
  virtual Result<void> answer(RequestId id, ProviderCallId call, std::string_view uui) = 0;
  /** Accepts an offered call (alerting). */
  virtual Result<void> accept(RequestId id, ProviderCallId call, std::string_view uui) = 0;
  /**
   * Drops the call. On an offered call this rejects it with `mode` (REJECT, BUSY,
   * UNAVAIL...); otherwise it clears it. Reports IDLE, then completes.
   */
  virtual Result<void> drop(RequestId id, ProviderCallId call, std::uint32_t mode,
                            std::string_view uui) = 0;
  /** Forgets the call (see the rules at the top of this file). */
  virtual void closeCall(ProviderCallId call) = 0;
  /** Live resource counts of the provider. */
  virtual ProviderStats stats() const = 0;
  /**
   * What the provider holds that no call, line or timer of its own will release: every
   * resource that should be gone once the engine has no calls (stack objects, ports, ...).
   * Lingering objects a timer is about to free are not leaks. Empty by default.
   */
  virtual std::vector<ProviderLeak> leaks() const { return {}; }
};

}  // namespace tapi::spi
