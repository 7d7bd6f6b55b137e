#pragma once
// The engine's internal records: an application, a line open, one application's handle to a
// call, a pending end and an outstanding request. Only the engine's own .cpp files include
// this header; the engine's users see src/engine/engine.hpp.

#include <cstdint>
#include <deque>
#include <functional>
#include <optional>
#include <string>

#include "base/event_loop.hpp"
#include "base/handle.hpp"
#include "spi/provider.hpp"

namespace tapi::engine::detail {

struct App;
struct LineOpen;
struct CallEntry;
using AppH = base::Handle<App>;
using OpenH = base::Handle<LineOpen>;
using CallH = base::Handle<CallEntry>;

/** Why a handle is released: decides the termination recorded if it was the last one. */
enum class ReleaseCause : std::uint8_t {
  Deallocate,       // the app deallocated its handle (or its make-call failed)
  LineClose,        // the app closed its line
  LineForcedClose,  // the provider took the line away (LINE_CLOSE to every opener)
  AppShutdown,      // the app shut down (or its connection dropped)
  Reclaim,          // the idle-reclaim policy released handles left after the call ended
  EngineShutdown,   // the server shut down
};

/** What an outstanding request is for: decides what its completion does. */
enum class RequestKind : std::uint8_t {
  MakeCall,   // an app's lineMakeCall
  Answer,     // an app's lineAnswer
  Accept,     // an app's lineAccept
  Drop,       // an app's lineDrop, sent to the provider
  LocalDrop,  // an app's lineDrop of a call whose network side already ended
  Internal,   // a drop the engine started for a policy (no app gets a reply)
};

/** One lineInitializeEx: an application and everything it holds. */
struct App {
  std::string name;
  std::uint32_t apiVersion = 0;
  std::uint64_t callbackInstance = 0;
  std::function<void()> notify;
  std::uint32_t hLineApp = 0;
  base::AppHandleTable<OpenH> lines;  // the app's hLine values
  base::AppHandleTable<CallH> calls;  // the app's hCall values
  std::deque<Message> queue;
  base::TimePoint created{};
};

/** One lineOpen by one application. */
struct LineOpen {
  AppH app;
  std::uint32_t deviceId = 0;
  std::uint32_t privileges = 0;  // Privilege bits
  std::uint32_t mediaModes = 0;
  std::uint32_t apiVersion = 0;
  std::uint64_t callbackInstance = 0;
  std::uint32_t hLine = 0;
  std::uint64_t order = 0;  // lower opened earlier: higher ownership priority
  std::optional<base::Duration> noAnswerTimeout;
  std::optional<base::Duration> maxDuration;

  /** Whether the open asked for privilege `p` (LINECALLPRIVILEGE_ bits). */
  bool allows(Privilege p) const noexcept {
    return (privileges & static_cast<std::uint32_t>(p)) != 0;
  }
};

/** One application's handle to a call. An application holds at most one handle per call. */
struct Holder {
  AppH app;
  OpenH line;
  std::uint32_t hCall = 0;
  Privilege privilege = Privilege::Monitor;
  bool valid = false;  // an outbound call's handle is valid once its make-call succeeded

  bool owner() const noexcept { return privilege == Privilege::Owner; }
};

/** An end the engine or an app started, recorded when the provider confirms it. */
struct PendingEnd {
  Termination termination;
  std::uint32_t mode = 0;
  bool presentDisconnected = false;  // owners see DISCONNECTED(mode) and must drop
};

/** An asynchronous request awaiting its completion (and, for an app's, its one LINE_REPLY). */
struct Request {
  RequestKind kind = RequestKind::Internal;
  AppH app;
  CallH call;
  OpenH line;
  std::uint32_t hCall = 0;
  bool suppressed = false;  // the app let go (shutdown, line close): no reply is sent
  // The call's uuiSent before this request recorded its user-user info: restored if the
  // request fails, since nothing was sent then.
  std::optional<std::string> uuiBefore;
};

}  // namespace tapi::engine::detail
