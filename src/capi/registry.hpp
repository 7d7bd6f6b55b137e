#pragma once
// The C API's bookkeeping: which HLINEAPP, HLINE and HCALL values exist, and what each one
// stands for in the C++ client API.
//
// Handles: the engine's HLINEAPP/HLINE/HCALL values belong to one application, and several
// applications may live in one process. The C API therefore hands out its own values from
// process-wide counters that only go up (one per handle kind, 0 skipped, a value still in
// use skipped after wrap-around), and keeps a map from each value to (application, engine
// handle). A value repeats only after 2^32 allocations of its kind in the process.
//
// Locks: `Registry::mu` guards every map; `CApp::qmu` guards one application's translated
// message queue. Order: qmu before Registry::mu. No lock is held while a LINECALLBACK runs,
// and the loop thread's notification only writes an eventfd.
//
// Every C function runs its body through guarded() (or withApp/withLine/withCall, which
// look the handle up first), so that no exception crosses the C API.

#include <tapi/tapi.h>

#include <unistd.h>

#include <atomic>
#include <cstdint>
#include <deque>
#include <memory>
#include <mutex>
#include <new>
#include <string>
#include <system_error>
#include <unordered_map>
#include <vector>

#include <tapi/tapi.hpp>

namespace tapi::capi {

constexpr DWORD kLowest = kApiVersionLowest;
constexpr DWORD kHighest = kApiVersionHighest;
/** The media modes every line offers. */
constexpr DWORD kMediaModes =
    LINEMEDIAMODE_UNKNOWN | LINEMEDIAMODE_INTERACTIVEVOICE | LINEMEDIAMODE_AUTOMATEDVOICE;
/** The call states every call can enter. */
constexpr DWORD kCallStates =
    LINECALLSTATE_IDLE | LINECALLSTATE_OFFERING | LINECALLSTATE_ACCEPTED | LINECALLSTATE_DIALING |
    LINECALLSTATE_PROCEEDING | LINECALLSTATE_RINGBACK | LINECALLSTATE_BUSY |
    LINECALLSTATE_CONNECTED | LINECALLSTATE_DISCONNECTED | LINECALLSTATE_UNKNOWN;

/** The LINEERR value of a client error. */
inline LONG err(const std::error_code& ec) {
  return toTapiLong(toLineErr(ec));
}

inline bool versionOk(DWORD v) {
  return v >= kLowest && v <= kHighest;
}

/** The version checks every line-device function makes: 0, or the LINEERR_ to return. */
inline LONG versionsError(DWORD apiVersion, DWORD extVersion) {
  if (!versionOk(apiVersion)) {
    return LINEERR_INCOMPATIBLEAPIVERSION;
  }
  return extVersion != 0 ? LINEERR_INCOMPATIBLEEXTVERSION : 0;
}

/** Owns an eventfd; shared by the application and the loop's notification closure. */
struct Fd {
  int fd = -1;
  explicit Fd(int f) : fd(f) {}
  ~Fd() {
    if (fd >= 0) {
      ::close(fd);
    }
  }
  Fd(const Fd&) = delete;
  Fd& operator=(const Fd&) = delete;
  void signal() const {
    const std::uint64_t one = 1;
    [[maybe_unused]] auto n = ::write(fd, &one, sizeof one);
  }
  void drain() const {
    std::uint64_t v = 0;
    [[maybe_unused]] auto n = ::read(fd, &v, sizeof v);
  }
};

/** One application (HLINEAPP). */
struct CApp {
  HLINEAPP h = 0;
  std::string name;
  DWORD apiVersion = 0;
  bool eventMode = true;
  LINECALLBACK callback = nullptr;
  App app;
  std::shared_ptr<Fd> event;  // readable while messages are queued
  std::shared_ptr<Fd> wake;   // written by lineShutdown to wake blocked waiters
  std::atomic<bool> alive{true};

  std::mutex qmu;
  std::deque<LINEMESSAGE> queue;

  // Guarded by Registry::mu.
  std::unordered_map<std::uint32_t, HLINE> lineByEngine;
  std::unordered_map<std::uint32_t, HCALL> callByEngine;
  std::unordered_map<std::uint32_t, HLINE> requestLine;      // request id -> line, for instances
  std::unordered_map<std::uint32_t, HCALL> makeCallRequest;  // request id -> new call
};

/** One open line (HLINE). */
struct CLine {
  HLINE h = 0;
  std::shared_ptr<CApp> app;
  Line line;
  DWORD deviceId = 0;
  DWORD apiVersion = 0;
  DWORD_PTR instance = 0;
  DWORD mediaModes = 0;
  DWORD maxUui = 0;
  std::vector<HCALL> undelivered;  // lineGetNewCalls handles a too-small list could not hold
};

/** One application's handle to one call (HCALL). */
struct CCall {
  HCALL h = 0;
  std::shared_ptr<CApp> app;
  std::uint32_t engine = 0;
  HLINE hLine = 0;
  std::mutex mu;  // serialises operations on `call`
  Call call;

  /** The call's post-connection record, read under `mu`. */
  Result<CallRecord> record() {
    std::lock_guard lock(mu);
    return call.info();
  }
};

using CAppSharedPtr = std::shared_ptr<CApp>;
using CLineSharedPtr = std::shared_ptr<CLine>;
using CCallSharedPtr = std::shared_ptr<CCall>;

struct Registry {
  std::mutex mu;
  std::shared_ptr<Runtime> runtime;
  std::uint32_t nextApp = 0, nextLine = 0, nextCall = 0;
  std::uint32_t nextInboundCallId = 900000;
  std::unordered_map<HLINEAPP, CAppSharedPtr> apps;
  std::unordered_map<HLINE, CLineSharedPtr> lines;
  std::unordered_map<HCALL, CCallSharedPtr> calls;

  template <typename M>
  static std::uint32_t allocate(std::uint32_t& counter, const M& inUse) {
    do {
      ++counter;
    } while (counter == 0 || inUse.count(counter) != 0);
    return counter;
  }
};

/** The process-wide registry (never destroyed). */
Registry& reg();

/** Runs `f` and turns any exception into a LINEERR (none may cross the C API). */
template <typename F>
LONG guarded(F&& f) noexcept {
  try {
    return f();
  } catch (const std::bad_alloc&) {
    return LINEERR_NOMEM;
  } catch (...) {
    return LINEERR_OPERATIONFAILED;
  }
}

// ------------------------------------------------------------------ lookups

/**
 * The application, line or call a C handle names, or nullptr with `e` set to
 * LINEERR_UNINITIALIZED (no application at all) or the kind's INVAL...HANDLE.
 * Takes the registry lock; any thread.
 */
CAppSharedPtr findApp(HLINEAPP h, LONG& e);
CLineSharedPtr findLine(HLINE h, LONG& e);
CCallSharedPtr findCall(HCALL h, LONG& e);

/**
 * Looks `h` up and runs `f(app)` on it, guarded. @return the lookup's LINEERR when the
 * handle is unknown, else what `f` returns.
 */
template <typename F>
LONG withApp(HLINEAPP h, F&& f) noexcept {
  return guarded([&]() -> LONG {
    LONG e = 0;
    auto app = findApp(h, e);
    return app ? f(app) : e;
  });
}

/** withApp for a line handle: runs `f(line)`. */
template <typename F>
LONG withLine(HLINE h, F&& f) noexcept {
  return guarded([&]() -> LONG {
    LONG e = 0;
    auto l = findLine(h, e);
    return l ? f(l) : e;
  });
}

/** withApp for a call handle: runs `f(call)`. */
template <typename F>
LONG withCall(HCALL h, F&& f) noexcept {
  return guarded([&]() -> LONG {
    LONG e = 0;
    auto c = findCall(h, e);
    return c ? f(c) : e;
  });
}

/** The process's runtime, or nullptr before the first lineInitialize. */
std::shared_ptr<Runtime> runtime();

/** Forgets one call handle (registry lock held). The engine handle is not touched. */
void forgetCallLocked(HCALL h);

/** Forgets a line and every call handle on it (registry lock held). */
void forgetLineLocked(HLINE h);

/** The app's first line open on a device (registry lock held), 0 if none. */
HLINE lineForDeviceLocked(const CApp& app, std::uint32_t deviceId);

/**
 * The C handle for an engine call handle of `app`, created (with `hLine`) if the app has
 * none yet. `call` is adopted, or released if the handle was known already.
 */
HCALL mapCall(const CAppSharedPtr& app, std::uint32_t engine, Call call, HLINE hLine);

/** The API version of the line the call is on (the app's when the line is gone). */
DWORD lineVersion(const CCall& c);

// ------------------------------------------------------------------ devices

/** The runtime's line devices; LINEERR_UNINITIALIZED in `e` without a runtime. */
std::vector<LineDevice> devices(LONG& e);

/** True when the runtime is a tapid whose connection was lost (it offers no lines then). */
bool serverLost();

/** The device with id `id` in `lines`, or nullptr. */
const LineDevice* deviceOf(const std::vector<LineDevice>& lines, DWORD id);

}  // namespace tapi::capi
