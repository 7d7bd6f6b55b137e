#pragma once
// The call model shared by the engine, providers and both client APIs: TAPI 2.x constants
// (values as documented in tapi.h) and OpenTAPI's post-connection record.

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace tapi {

using WallTime = std::chrono::time_point<std::chrono::system_clock, std::chrono::nanoseconds>;

/** TAPI API versions (lineNegotiateAPIVersion). */
inline constexpr std::uint32_t kApiVersion13 = 0x00010003;
inline constexpr std::uint32_t kApiVersion14 = 0x00010004;
inline constexpr std::uint32_t kApiVersion20 = 0x00020000;
inline constexpr std::uint32_t kApiVersion21 = 0x00020001;
inline constexpr std::uint32_t kApiVersion22 = 0x00020002;
inline constexpr std::uint32_t kApiVersion30 = 0x00030000;
inline constexpr std::uint32_t kApiVersion31 = 0x00030001;
inline constexpr std::uint32_t kApiVersionLowest = kApiVersion13;
inline constexpr std::uint32_t kApiVersionHighest = kApiVersion31;

/** LINECALLSTATE_*: exactly one bit per state. IDLE is terminal. */
enum class CallState : std::uint32_t {
  Idle = 0x00000001,
  Offering = 0x00000002,
  Accepted = 0x00000004,
  DialTone = 0x00000008,
  Dialing = 0x00000010,
  Ringback = 0x00000020,
  Busy = 0x00000040,
  SpecialInfo = 0x00000080,
  Connected = 0x00000100,
  Proceeding = 0x00000200,
  OnHold = 0x00000400,
  Conferenced = 0x00000800,
  OnHoldPendConf = 0x00001000,
  OnHoldPendTransfer = 0x00002000,
  Disconnected = 0x00004000,
  Unknown = 0x00008000,
};
const char* toString(CallState s) noexcept;

/** LINEDISCONNECTMODE_* bit values. The high 16 bits may carry device-specific detail. */
namespace disconnect {
inline constexpr std::uint32_t Normal = 0x00000001;
inline constexpr std::uint32_t Unknown = 0x00000002;
inline constexpr std::uint32_t Reject = 0x00000004;
inline constexpr std::uint32_t Pickup = 0x00000008;
inline constexpr std::uint32_t Forwarded = 0x00000010;
inline constexpr std::uint32_t Busy = 0x00000020;
inline constexpr std::uint32_t NoAnswer = 0x00000040;
inline constexpr std::uint32_t BadAddress = 0x00000080;
inline constexpr std::uint32_t Unreachable = 0x00000100;
inline constexpr std::uint32_t Congestion = 0x00000200;
inline constexpr std::uint32_t Incompatible = 0x00000400;
inline constexpr std::uint32_t Unavail = 0x00000800;
inline constexpr std::uint32_t NoDialTone = 0x00001000;
inline constexpr std::uint32_t NumberChanged = 0x00002000;
inline constexpr std::uint32_t OutOfOrder = 0x00004000;
inline constexpr std::uint32_t TempFailure = 0x00008000;
inline constexpr std::uint32_t QosUnavail = 0x00010000;
inline constexpr std::uint32_t Blocked = 0x00020000;
inline constexpr std::uint32_t DoNotDisturb = 0x00040000;
inline constexpr std::uint32_t Cancelled = 0x00080000;
inline constexpr std::uint32_t DestinationBarred = 0x00100000;
inline constexpr std::uint32_t FdnRestrict = 0x00200000;
}  // namespace disconnect

/** The LINEDISCONNECTMODE_ name of a single mode bit ("NORMAL"), or "0x..." otherwise. */
std::string disconnectModeName(std::uint32_t mode);
/** The mode named `name` ("BUSY", case-insensitive, with or without the prefix). */
std::optional<std::uint32_t> disconnectModeFromName(std::string_view name);

/**
 * The mode an application of `apiVersion` may be shown (TAPI: a mode newer than the
 * negotiated version is reported as UNKNOWN).
 */
std::uint32_t downMapDisconnectMode(std::uint32_t mode, std::uint32_t apiVersion) noexcept;

/** LINECALLPRIVILEGE_* (also lineOpen's dwPrivileges bits). */
enum class Privilege : std::uint32_t { None = 0x1, Monitor = 0x2, Owner = 0x4 };
const char* toString(Privilege p) noexcept;

/** LINECALLORIGIN_* */
namespace callorigin {
inline constexpr std::uint32_t Outbound = 0x1;
inline constexpr std::uint32_t Internal = 0x2;
inline constexpr std::uint32_t External = 0x4;
inline constexpr std::uint32_t Unknown = 0x10;
inline constexpr std::uint32_t Unavail = 0x20;
inline constexpr std::uint32_t Conference = 0x40;
inline constexpr std::uint32_t Inbound = 0x80;
}  // namespace callorigin

/** LINECONNECTEDMODE_* values: the mode of CONNECTED (API 1.4 and later). */
namespace connectedmode {
inline constexpr std::uint32_t Active = 0x1;
inline constexpr std::uint32_t Inactive = 0x2;
inline constexpr std::uint32_t ActiveHeld = 0x4;    ///< the far end holds the call (API 2.0)
inline constexpr std::uint32_t InactiveHeld = 0x8;  ///< API 2.0
}  // namespace connectedmode

/** LINECALLINFOSTATE_* bits carried by LINE_CALLINFO. */
namespace callinfostate {
inline constexpr std::uint32_t Other = 0x1;
inline constexpr std::uint32_t AppSpecific = 0x20;
inline constexpr std::uint32_t CallId = 0x40;
inline constexpr std::uint32_t NumOwnerIncr = 0x800;
inline constexpr std::uint32_t NumOwnerDecr = 0x1000;
inline constexpr std::uint32_t NumMonitors = 0x2000;
inline constexpr std::uint32_t CallerId = 0x8000;
inline constexpr std::uint32_t CalledId = 0x10000;
inline constexpr std::uint32_t ConnectedId = 0x20000;
inline constexpr std::uint32_t UserUserInfo = 0x200000;
}  // namespace callinfostate

/** LINECALLFEATURE_* bits reported in the call status. */
namespace callfeature {
inline constexpr std::uint32_t Accept = 0x00000001;
inline constexpr std::uint32_t Answer = 0x00000004;
inline constexpr std::uint32_t Drop = 0x00000080;
inline constexpr std::uint32_t SendUserUser = 0x00100000;
}  // namespace callfeature

/** LINEDEVCAPFLAGS_CLOSEDROP: closing the line (last opener) drops its calls. */
inline constexpr std::uint32_t kDevCapCloseDrop = 0x00000020;

/** LINE_* message identifiers. */
enum class MessageType : std::uint32_t {
  CallInfo = 1,     // LINE_CALLINFO
  CallState = 2,    // LINE_CALLSTATE
  Close = 3,        // LINE_CLOSE
  Reply = 12,       // LINE_REPLY
  AppNewCall = 23,  // LINE_APPNEWCALL (API >= 2.0)
};
const char* toString(MessageType t) noexcept;

/**
 * LINE_LINEDEVSTATE (8). The client library queues it, with dwParam1 =
 * LINEDEVSTATE_REINIT and hDevice 0, after the LINE_CLOSE messages for the app's lines when
 * its connection to tapid is lost: the app should shut down and initialize again. It is a
 * constant beside MessageType rather than an enumerator because the engine and the server
 * never produce it and switch over the enumerators they do produce.
 */
inline constexpr MessageType kLineDevStateMessage = static_cast<MessageType>(8);

/** LINEDEVSTATE_* values carried in LINE_LINEDEVSTATE's dwParam1. */
namespace linedevstate {
inline constexpr std::uint32_t Reinit = 0x00040000;  // LINEDEVSTATE_REINIT
}  // namespace linedevstate

/** One queued message, shaped like TAPI's LINEMESSAGE. */
struct Message {
  std::uint32_t hDevice = 0;
  MessageType type = MessageType::CallState;
  std::uint64_t callbackInstance = 0;
  std::uint32_t param1 = 0;
  std::uint32_t param2 = 0;
  std::uint32_t param3 = 0;
  friend bool operator==(const Message&, const Message&) = default;
};

/** What ended a call (an OpenTAPI addition to post-connection data). */
enum class TerminationOrigin : std::uint8_t {
  None,             // not ended yet
  Local,            // an application dropped it (Termination::app says which)
  Remote,           // the far end or the network ended it
  Policy,           // an engine policy ended it (Termination::policy says which)
  LineClose,        // the line it was on was closed (by its last owner, or forcibly)
  AppShutdown,      // the owning application shut down, exited or crashed
  ProviderFailure,  // the service provider failed (transport error, request failure)
  ServerShutdown,   // the engine (tapid) shut down
};
const char* toString(TerminationOrigin o) noexcept;

/** Which engine policy ended a call. */
enum class Policy : std::uint8_t {
  None,
  NoAnswer,      // outbound call not answered within the no-answer timeout
  MaxDuration,   // connected longer than the maximum call duration
  SessionTimer,  // the provider's session keep-alive expired
  Ownerless,     // the last owner released its handle and the grace period ran out
  IdleReclaim,   // handles left on an ended call were reclaimed after the configured time
};
const char* toString(Policy p) noexcept;

struct Party {
  std::string number;
  std::string name;
  bool empty() const noexcept { return number.empty() && name.empty(); }
  friend bool operator==(const Party&, const Party&) = default;
};

struct StateVisit {
  CallState state = CallState::Unknown;
  std::uint32_t mode = 0;
  WallTime at{};
};

/** Who or what ended the call, and the provider's own account of it. */
struct Termination {
  TerminationOrigin origin = TerminationOrigin::None;
  Policy policy = Policy::None;
  std::string app;     // the application that dropped it, shut down or closed the line
  std::string detail;  // free text, e.g. "owner app 'dialer' shut down"
};

/** Provider-specific cause: the SIP provider puts the SIP status and Q.850 cause here. */
struct ProviderCause {
  int code = 0;         // e.g. SIP status 486
  int q850 = 0;         // Q.850 cause value, 0 if none
  std::string text;     // e.g. "486 Busy Here; Q.850;cause=17"
  std::string callRef;  // provider's own id, e.g. the SIP Call-ID
  friend bool operator==(const ProviderCause&, const ProviderCause&) = default;
};

/**
 * Post-connection data: everything known about a call, readable through any live handle
 * from creation until the handle is deallocated, and written out when the call is released.
 */
struct CallRecord {
  std::uint32_t callId = 0;  // provider-assigned, the same for every app
  std::uint32_t lineDeviceId = 0;
  std::uint32_t addressId = 0;
  std::uint32_t origin = callorigin::Unknown;  // LINECALLORIGIN_
  Party caller;
  Party called;
  Party connected;
  std::vector<StateVisit> states;  // every state visited, in order
  WallTime created{};
  std::optional<WallTime> offeringOrDialing;
  std::optional<WallTime> connectedAt;
  std::optional<WallTime> disconnectedAt;
  std::optional<WallTime> idleAt;
  std::optional<WallTime> releasedAt;
  std::uint32_t disconnectMode = 0;  // LINEDISCONNECTMODE_ of the end (0 while live)
  Termination termination;
  ProviderCause cause;
  std::string uuiSent;      // user-user info sent (make call, answer or drop)
  std::string uuiReceived;  // latest user-user info received
  std::uint32_t appSpecific = 0;
  std::uint32_t numOwners = 0;
  std::uint32_t numMonitors = 0;
  std::string appName;  // the app that originated or answered it
};

/** Dynamic call status (LINECALLSTATUS subset). */
struct CallStatus {
  CallState state = CallState::Unknown;
  std::uint32_t mode = 0;  // down-mapped for the caller's API version
  Privilege privilege = Privilege::Monitor;
  std::uint32_t features = 0;  // LINECALLFEATURE_ bits usable now
  WallTime stateEntryTime{};
};

/** Live resource counts; all zero once every app has shut down and every call is released. */
struct EngineStats {
  std::size_t apps = 0;
  std::size_t openLines = 0;  // line opens (one per app per lineOpen)
  std::size_t handles = 0;    // call handles held by apps
  std::size_t calls = 0;      // engine call objects
  std::size_t providerCalls = 0;
  std::size_t pendingRequests = 0;          // engine requests awaiting completion
  std::size_t providerPendingRequests = 0;  // provider requests awaiting completion
  std::size_t queuedEvents = 0;
  std::size_t timers = 0;            // timers on the loop (engine and provider)
  std::size_t reclaimedHandles = 0;  // cumulative, not a live count
  /** Cumulative: call-state changes the engine refused (a bug if not 0). */
  std::size_t refusedTransitions = 0;
  bool allZero() const noexcept {
    return apps == 0 && openLines == 0 && handles == 0 && calls == 0 && providerCalls == 0 &&
           pendingRequests == 0 && providerPendingRequests == 0 && queuedEvents == 0 && timers == 0;
  }
};

/** One thing still held at shutdown, for the leak report. */
struct LeakEntry {
  std::string what;  // "app", "line", "handle", "call", "request", or a provider's ("sip-...")
  std::string app;
  std::uint32_t handle = 0;
  std::uint32_t callId = 0;
  CallState state = CallState::Unknown;
  std::chrono::nanoseconds age{};
  std::size_t count = 1;  // how many (a provider's resources are reported by kind)
};

/** LINECALLSELECT_* for getNewCalls. */
enum class CallSelect : std::uint32_t { Line = 0x1, Address = 0x2, Call = 0x4 };

}  // namespace tapi
