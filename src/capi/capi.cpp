// The TAPI 2.x C API (include/tapi/tapi.h) over the C++ client API (tapi.hpp).
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

#include <tapi/tapi.h>

#include <poll.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <ctime>
#include <deque>
#include <map>
#include <memory>
#include <mutex>
#include <new>
#include <string>
#include <unordered_map>
#include <vector>

#include <tapi/tapi.hpp>

#include "capi/config.hpp"
#include "capi/var_struct.hpp"
#include "client/embedded_backend.hpp"
#include "providers/sim/sim_script.hpp"

namespace tapi::capi {
namespace {

constexpr DWORD kLowest = kApiVersionLowest;
constexpr DWORD kHighest = kApiVersionHighest;
constexpr DWORD kMediaModes =
    LINEMEDIAMODE_UNKNOWN | LINEMEDIAMODE_INTERACTIVEVOICE | LINEMEDIAMODE_AUTOMATEDVOICE;
constexpr DWORD kCallStates =
    LINECALLSTATE_IDLE | LINECALLSTATE_OFFERING | LINECALLSTATE_ACCEPTED | LINECALLSTATE_DIALING |
    LINECALLSTATE_PROCEEDING | LINECALLSTATE_RINGBACK | LINECALLSTATE_BUSY |
    LINECALLSTATE_CONNECTED | LINECALLSTATE_DISCONNECTED | LINECALLSTATE_UNKNOWN;

LONG err(const std::error_code& ec) {
  return toTapiLong(toLineErr(ec));
}

bool versionOk(DWORD v) {
  return v >= kLowest && v <= kHighest;
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

struct CCall {
  HCALL h = 0;
  std::shared_ptr<CApp> app;
  std::uint32_t engine = 0;
  HLINE hLine = 0;
  std::mutex mu;  // serialises operations on `call`
  Call call;
};

struct Registry {
  std::mutex mu;
  std::shared_ptr<Runtime> runtime;
  std::uint32_t nextApp = 0, nextLine = 0, nextCall = 0;
  std::uint32_t nextInboundCallId = 900000;
  std::unordered_map<HLINEAPP, std::shared_ptr<CApp>> apps;
  std::unordered_map<HLINE, std::shared_ptr<CLine>> lines;
  std::unordered_map<HCALL, std::shared_ptr<CCall>> calls;

  template <typename M>
  static std::uint32_t allocate(std::uint32_t& counter, const M& inUse) {
    do {
      ++counter;
    } while (counter == 0 || inUse.count(counter) != 0);
    return counter;
  }
};

Registry& reg() {
  // Never destroyed: applications that skip lineShutdown must not race static destruction.
  static Registry* r = new Registry;
  return *r;
}

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

std::shared_ptr<CApp> findApp(HLINEAPP h, LONG& e) {
  std::lock_guard lock(reg().mu);
  auto it = reg().apps.find(h);
  if (it == reg().apps.end()) {
    e = reg().apps.empty() ? LINEERR_UNINITIALIZED : LINEERR_INVALAPPHANDLE;
    return nullptr;
  }
  return it->second;
}

std::shared_ptr<CLine> findLine(HLINE h, LONG& e) {
  std::lock_guard lock(reg().mu);
  auto it = reg().lines.find(h);
  if (it == reg().lines.end()) {
    e = reg().apps.empty() ? LINEERR_UNINITIALIZED : LINEERR_INVALLINEHANDLE;
    return nullptr;
  }
  return it->second;
}

std::shared_ptr<CCall> findCall(HCALL h, LONG& e) {
  std::lock_guard lock(reg().mu);
  auto it = reg().calls.find(h);
  if (it == reg().calls.end()) {
    e = reg().apps.empty() ? LINEERR_UNINITIALIZED : LINEERR_INVALCALLHANDLE;
    return nullptr;
  }
  return it->second;
}

std::shared_ptr<Runtime> runtime() {
  std::lock_guard lock(reg().mu);
  return reg().runtime;
}

/** Forgets one call handle (registry lock held). The engine handle is not touched. */
void forgetCallLocked(HCALL h) {
  auto it = reg().calls.find(h);
  if (it == reg().calls.end()) {
    return;
  }
  it->second->app->callByEngine.erase(it->second->engine);
  (void)it->second->call.release();
  reg().calls.erase(it);
}

/** Forgets a line and every call handle on it (registry lock held). */
void forgetLineLocked(HLINE h) {
  auto it = reg().lines.find(h);
  if (it == reg().lines.end()) {
    return;
  }
  std::vector<HCALL> doomed;
  for (auto& [hc, c] : reg().calls) {
    if (c->hLine == h) {
      doomed.push_back(hc);
    }
  }
  for (HCALL hc : doomed) {
    forgetCallLocked(hc);
  }
  for (auto e = it->second->app->lineByEngine.begin(); e != it->second->app->lineByEngine.end();) {
    e = e->second == h ? it->second->app->lineByEngine.erase(e) : std::next(e);
  }
  reg().lines.erase(it);
}

/** The app's first line open on a device (registry lock held), 0 if none. */
HLINE lineForDeviceLocked(const CApp& app, std::uint32_t deviceId) {
  HLINE best = 0;
  for (auto& [hl, l] : reg().lines) {
    if (l->app.get() == &app && l->deviceId == deviceId && (best == 0 || hl < best)) {
      best = hl;
    }
  }
  return best;
}

/**
 * The C handle for an engine call handle of `app`, created (with `hLine`) if the app has
 * none yet. `call` is adopted, or released if the handle was known already.
 */
HCALL mapCall(const std::shared_ptr<CApp>& app, std::uint32_t engine, Call call, HLINE hLine) {
  std::lock_guard lock(reg().mu);
  auto known = app->callByEngine.find(engine);
  if (known != app->callByEngine.end()) {
    (void)call.release();
    auto c = reg().calls.find(known->second);
    if (c != reg().calls.end() && c->second->hLine == 0) {
      c->second->hLine = hLine;
    }
    return known->second;
  }
  auto c = std::make_shared<CCall>();
  c->h = Registry::allocate(reg().nextCall, reg().calls);
  c->app = app;
  c->engine = engine;
  c->hLine = hLine;
  c->call = std::move(call);
  app->callByEngine[engine] = c->h;
  reg().calls[c->h] = c;
  return c->h;
}

DWORD lineVersion(const CCall& c) {
  std::lock_guard lock(reg().mu);
  auto it = reg().lines.find(c.hLine);
  return it != reg().lines.end() ? it->second->apiVersion : c.app->apiVersion;
}

// ------------------------------------------------------------------ messages

DWORD_PTR instanceOfLine(HLINE h) {
  auto it = reg().lines.find(h);
  return it != reg().lines.end() ? it->second->instance : 0;
}

/**
 * Turns one engine message into the app's C message. @return false to drop it (it names
 * a line the app has closed).
 */
bool translate(const std::shared_ptr<CApp>& app, const Message& m, LINEMESSAGE& out) {
  out = LINEMESSAGE{};
  out.dwMessageID = static_cast<DWORD>(m.type);
  out.dwParam1 = m.param1;
  out.dwParam2 = m.param2;
  out.dwParam3 = m.param3;
  if (m.type == kLineDevStateMessage) {
    // REINIT after a lost connection: not about one line, so no hDevice and no instance
    // (TAPI sets both to 0 for REINIT). The LINE_CLOSE messages before it voided the lines.
    return true;
  }
  switch (m.type) {
    case MessageType::Reply: {
      std::lock_guard lock(reg().mu);
      if (auto r = app->requestLine.find(m.param1); r != app->requestLine.end()) {
        out.dwCallbackInstance = instanceOfLine(r->second);
        app->requestLine.erase(r);
      }
      if (auto mc = app->makeCallRequest.find(m.param1); mc != app->makeCallRequest.end()) {
        if (m.param2 != 0) {
          forgetCallLocked(mc->second);  // the call failed: its handle is void
        }
        app->makeCallRequest.erase(mc);
      }
      return true;
    }
    case MessageType::AppNewCall: {
      HLINE hLine = 0;
      {
        std::lock_guard lock(reg().mu);
        auto l = app->lineByEngine.find(m.hDevice);
        if (l == app->lineByEngine.end()) {
          return false;
        }
        hLine = l->second;
        out.dwCallbackInstance = instanceOfLine(hLine);
      }
      out.hDevice = hLine;
      out.dwParam2 = mapCall(app, m.param2, app->app.adopt(m.param2), hLine);
      return true;
    }
    case MessageType::Close: {
      std::lock_guard lock(reg().mu);
      auto l = app->lineByEngine.find(m.hDevice);
      if (l == app->lineByEngine.end()) {
        return false;
      }
      out.hDevice = l->second;
      out.dwCallbackInstance = instanceOfLine(l->second);
      auto line = reg().lines.find(l->second);
      if (line != reg().lines.end()) {
        (void)line->second->line.close();  // already void in the engine; makes the object inert
      }
      forgetLineLocked(out.hDevice);
      return true;
    }
    case MessageType::CallState:
    case MessageType::CallInfo: {
      HLINE hLine = 0;
      bool known = false;
      {
        std::lock_guard lock(reg().mu);
        auto k = app->callByEngine.find(m.hDevice);
        if (k != app->callByEngine.end()) {
          known = true;
          out.hDevice = k->second;
          auto c = reg().calls.find(k->second);
          if (c != reg().calls.end()) {
            out.dwCallbackInstance = instanceOfLine(c->second->hLine);
          }
        }
      }
      if (!known) {
        // A handle the app learns from this message (below API 2.0, or a handoff target).
        Call call = app->app.adopt(m.hDevice);
        auto info = call.info();
        {
          std::lock_guard lock(reg().mu);
          hLine = info.ok() ? lineForDeviceLocked(*app, info->lineDeviceId) : 0;
          out.dwCallbackInstance = instanceOfLine(hLine);
        }
        out.hDevice = mapCall(app, m.hDevice, std::move(call), hLine);
      }
      return true;
    }
  }
  return true;
}

/** Moves every engine message of the app into its C queue (qmu held). */
void pumpLocked(const std::shared_ptr<CApp>& app) {
  while (auto m = app->app.nextMessage()) {
    LINEMESSAGE out;
    if (translate(app, *m, out)) {
      app->queue.push_back(out);
    }
  }
}

/**
 * Waits until the app has a message or `timeoutMs` passes, then takes up to `max`
 * messages. @return 0 with `got` filled, or LINEERR_INVALAPPHANDLE if the app was shut down.
 */
LONG waitMessages(const std::shared_ptr<CApp>& app, DWORD timeoutMs, std::size_t max,
                  std::vector<LINEMESSAGE>& got) {
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(timeoutMs);
  for (;;) {
    if (!app->alive) {
      return LINEERR_INVALAPPHANDLE;
    }
    {
      std::lock_guard lock(app->qmu);
      app->event->drain();
      pumpLocked(app);
      while (!app->queue.empty() && got.size() < max) {
        got.push_back(app->queue.front());
        app->queue.pop_front();
      }
      if (!app->queue.empty()) {
        app->event->signal();
      }
    }
    if (!got.empty()) {
      return 0;
    }
    int wait = -1;
    if (timeoutMs != INFINITE) {
      const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
          deadline - std::chrono::steady_clock::now());
      if (left.count() <= 0) {
        return 0;
      }
      wait = static_cast<int>(std::min<long long>(left.count(), 1 << 30));
    }
    pollfd fds[2] = {{app->event->fd, POLLIN, 0}, {app->wake->fd, POLLIN, 0}};
    const int n = ::poll(fds, 2, wait);
    if (n < 0 && errno != EINTR) {
      return LINEERR_OPERATIONFAILED;
    }
    if ((fds[1].revents & POLLIN) != 0 || !app->alive) {
      return LINEERR_INVALAPPHANDLE;
    }
  }
}

// ------------------------------------------------------------------ conversions

SYSTEMTIME toSystemTime(WallTime t) {
  SYSTEMTIME st{};
  if (t.time_since_epoch().count() == 0) {
    return st;
  }
  const auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(t.time_since_epoch());
  const std::time_t secs = static_cast<std::time_t>(ms.count() / 1000);
  std::tm tm{};
  gmtime_r(&secs, &tm);
  st.wYear = static_cast<WORD>(tm.tm_year + 1900);
  st.wMonth = static_cast<WORD>(tm.tm_mon + 1);
  st.wDayOfWeek = static_cast<WORD>(tm.tm_wday);
  st.wDay = static_cast<WORD>(tm.tm_mday);
  st.wHour = static_cast<WORD>(tm.tm_hour);
  st.wMinute = static_cast<WORD>(tm.tm_min);
  st.wSecond = static_cast<WORD>(tm.tm_sec);
  st.wMilliseconds = static_cast<WORD>(ms.count() % 1000);
  return st;
}

std::int64_t unixMs(const std::optional<WallTime>& t) {
  return t ? std::chrono::duration_cast<std::chrono::milliseconds>(t->time_since_epoch()).count()
           : 0;
}

DWORD partyFlags(const Party& p) {
  DWORD f = 0;
  if (!p.number.empty()) {
    f |= LINECALLPARTYID_ADDRESS;
  }
  if (!p.name.empty()) {
    f |= LINECALLPARTYID_NAME;
  }
  return f != 0 ? f : static_cast<DWORD>(LINECALLPARTYID_UNKNOWN);
}

std::string uuiArg(LPCSTR data, DWORD size) {
  return data != nullptr ? std::string(data, size) : std::string();
}

/** Fails with USERUSERINFOTOOBIG when the line's limit is known and exceeded. */
LONG checkUui(const CCall& c, DWORD size, LPCSTR data) {
  if (data == nullptr || size == 0) {
    return 0;
  }
  std::lock_guard lock(reg().mu);
  auto it = reg().lines.find(c.hLine);
  if (it != reg().lines.end() && it->second->maxUui != 0 && size > it->second->maxUui) {
    return LINEERR_USERUSERINFOTOOBIG;
  }
  return 0;
}

std::vector<LineDevice> devices(LONG& e) {
  auto rt = runtime();
  if (!rt) {
    e = LINEERR_UNINITIALIZED;
    return {};
  }
  return rt->lines();
}

/** True when the runtime is a tapid whose connection was lost (it offers no lines then). */
bool serverLost() {
  auto rt = runtime();
  return rt && rt->backend().serverLost();
}

const LineDevice* deviceOf(const std::vector<LineDevice>& lines, DWORD id) {
  for (const auto& l : lines) {
    if (l.deviceId == id) {
      return &l;
    }
  }
  return nullptr;
}

/** Runs `f` on the embedded engine's loop; false when the runtime is remote. */
template <typename F>
bool onEmbeddedLoop(const std::shared_ptr<Runtime>& rt, F&& f) {
  if (!rt || rt->isRemote()) {
    return false;
  }
  auto& be = static_cast<detail::EmbeddedBackend&>(rt->backend());
  be.invoke(std::forward<F>(f));
  return true;
}

// ------------------------------------------------------------------ initialisation

LONG initialize(LPHLINEAPP lphLineApp, LINECALLBACK callback, LPCSTR name, LPDWORD lpdwNumDevs,
                DWORD apiVersion, bool eventMode, HANDLE* outEvent) {
  if (lphLineApp == nullptr || lpdwNumDevs == nullptr) {
    return LINEERR_INVALPOINTER;
  }
  if (!eventMode && callback == nullptr) {
    return LINEERR_INVALPOINTER;
  }
  std::shared_ptr<Runtime> rt;
  {
    std::lock_guard lock(reg().mu);
    rt = reg().runtime;
  }
  if (!rt) {
    auto choice = chooseBackend();
    if (std::holds_alternative<std::string>(choice)) {
      return LINEERR_INIFILECORRUPT;
    }
    auto& c = std::get<BackendChoice>(choice);
    if (auto* remote = std::get_if<RemoteChoice>(&c)) {
      auto r = Runtime::connect(remote->server, remote->token);
      if (!r) {
        return r.lineErr() == LineErr::InvalParam ? LINEERR_INVALPARAM
                                                  : LINEERR_SERVICE_NOT_RUNNING;
      }
      rt = std::move(*r);
    } else {
      rt = Runtime::embedded(std::get<EmbeddedChoice>(c).options);
    }
    std::lock_guard lock(reg().mu);
    if (reg().runtime) {
      rt = reg().runtime;  // another thread made one meanwhile
    } else {
      reg().runtime = rt;
    }
  }

  auto app = std::make_shared<CApp>();
  app->name = (name != nullptr && *name != '\0') ? name : "app";
  app->apiVersion = std::min<DWORD>(std::max<DWORD>(apiVersion, kLowest), kHighest);
  app->eventMode = eventMode;
  app->callback = callback;
  const int efd = ::eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
  const int wfd = ::eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
  if (efd < 0 || wfd < 0) {
    if (efd >= 0) {
      ::close(efd);
    }
    if (wfd >= 0) {
      ::close(wfd);
    }
    return LINEERR_RESOURCEUNAVAIL;
  }
  app->event = std::make_shared<Fd>(efd);
  app->wake = std::make_shared<Fd>(wfd);
  std::shared_ptr<Fd> notifyFd = app->event;
  AppOptions o;
  o.name = app->name;
  o.apiVersion = app->apiVersion;
  o.notify = [notifyFd] { notifyFd->signal(); };
  auto r = App::initialize(rt, std::move(o));
  if (!r) {
    return err(r.error());
  }
  app->app = std::move(*r);
  const auto lines = rt->lines();
  {
    std::lock_guard lock(reg().mu);
    app->h = Registry::allocate(reg().nextApp, reg().apps);
    reg().apps[app->h] = app;
  }
  *lphLineApp = app->h;
  *lpdwNumDevs = static_cast<DWORD>(lines.size());
  if (outEvent != nullptr) {
    *outEvent = reinterpret_cast<HANDLE>(static_cast<intptr_t>(efd));
  }
  return 0;
}

}  // namespace
}  // namespace tapi::capi

using namespace tapi;
using namespace tapi::capi;

extern "C" {

LONG WINAPI lineInitializeEx(LPHLINEAPP lphLineApp, HINSTANCE, LINECALLBACK lpfnCallback,
                             LPCSTR lpszFriendlyAppName, LPDWORD lpdwNumDevs,
                             LPDWORD lpdwAPIVersion, LPLINEINITIALIZEEXPARAMS lpParams) {
  return guarded([&]() -> LONG {
    if (lpdwAPIVersion == nullptr) {
      return LINEERR_INVALPOINTER;
    }
    if (*lpdwAPIVersion < kLowest) {
      return LINEERR_INCOMPATIBLEAPIVERSION;
    }
    bool eventMode = false;
    if (lpParams != nullptr) {
      if (lpParams->dwTotalSize < sizeof(LINEINITIALIZEEXPARAMS)) {
        return LINEERR_STRUCTURETOOSMALL;
      }
      switch (lpParams->dwOptions & ~static_cast<DWORD>(LINEINITIALIZEEXOPTION_CALLHUBTRACKING)) {
        case LINEINITIALIZEEXOPTION_USEHIDDENWINDOW:
          eventMode = false;
          break;
        case LINEINITIALIZEEXOPTION_USEEVENT:
          eventMode = true;
          break;
        default:
          return LINEERR_INVALPARAM;  // USECOMPLETIONPORT is not offered on Linux
      }
    }
    HANDLE ev = nullptr;
    const LONG r = initialize(lphLineApp, lpfnCallback, lpszFriendlyAppName, lpdwNumDevs,
                              *lpdwAPIVersion, eventMode, &ev);
    if (r != 0) {
      return r;
    }
    if (lpParams != nullptr) {
      lpParams->dwNeededSize = sizeof(LINEINITIALIZEEXPARAMS);
      lpParams->dwUsedSize = sizeof(LINEINITIALIZEEXPARAMS);
      if (eventMode) {
        lpParams->Handles.hEvent = ev;
      }
    }
    *lpdwAPIVersion = kHighest;
    return 0;
  });
}

LONG WINAPI lineInitialize(LPHLINEAPP lphLineApp, HINSTANCE, LINECALLBACK lpfnCallback,
                           LPCSTR lpszAppName, LPDWORD lpdwNumDevs) {
  return guarded([&]() -> LONG {
    return initialize(lphLineApp, lpfnCallback, lpszAppName, lpdwNumDevs, kApiVersion14, false,
                      nullptr);
  });
}

LONG WINAPI lineShutdown(HLINEAPP hLineApp) {
  return guarded([&]() -> LONG {
    std::shared_ptr<CApp> app;
    std::shared_ptr<Runtime> lastRuntime;
    {
      std::lock_guard lock(reg().mu);
      auto it = reg().apps.find(hLineApp);
      if (it == reg().apps.end()) {
        return reg().apps.empty() ? LINEERR_UNINITIALIZED : LINEERR_INVALAPPHANDLE;
      }
      app = it->second;
      reg().apps.erase(it);
      app->alive = false;
    }
    app->wake->signal();
    (void)app->app.shutdown();
    {
      std::lock_guard lock(reg().mu);
      std::vector<HLINE> lines;
      for (auto& [h, l] : reg().lines) {
        if (l->app == app) {
          lines.push_back(h);
        }
      }
      for (HLINE h : lines) {
        forgetLineLocked(h);
      }
      std::vector<HCALL> calls;
      for (auto& [h, c] : reg().calls) {
        if (c->app == app) {
          calls.push_back(h);
        }
      }
      for (HCALL h : calls) {
        forgetCallLocked(h);
      }
      if (reg().apps.empty()) {
        lastRuntime = std::move(reg().runtime);  // the next lineInitialize chooses again
      }
    }
    {
      std::lock_guard lock(app->qmu);
      app->queue.clear();
    }
    app.reset();
    lastRuntime.reset();  // outside the registry lock: this may stop the engine's thread
    return 0;
  });
}

LONG WINAPI lineNegotiateAPIVersion(HLINEAPP hLineApp, DWORD dwDeviceID, DWORD dwAPILowVersion,
                                    DWORD dwAPIHighVersion, LPDWORD lpdwAPIVersion,
                                    LPLINEEXTENSIONID lpExtensionID) {
  return guarded([&]() -> LONG {
    LONG e = 0;
    auto app = findApp(hLineApp, e);
    if (!app) {
      return e;
    }
    if (lpdwAPIVersion == nullptr || lpExtensionID == nullptr) {
      return LINEERR_INVALPOINTER;
    }
    auto lines = devices(e);
    if (deviceOf(lines, dwDeviceID) == nullptr) {
      return LINEERR_BADDEVICEID;
    }
    if (dwAPILowVersion > dwAPIHighVersion || dwAPIHighVersion < kLowest ||
        dwAPILowVersion > kHighest) {
      return LINEERR_INCOMPATIBLEAPIVERSION;
    }
    *lpdwAPIVersion = std::min<DWORD>(dwAPIHighVersion, kHighest);
    *lpExtensionID = LINEEXTENSIONID{};
    return 0;
  });
}

LONG WINAPI lineGetDevCaps(HLINEAPP hLineApp, DWORD dwDeviceID, DWORD dwAPIVersion,
                           DWORD dwExtVersion, LPLINEDEVCAPS lpLineDevCaps) {
  return guarded([&]() -> LONG {
    LONG e = 0;
    auto app = findApp(hLineApp, e);
    if (!app) {
      return e;
    }
    auto lines = devices(e);
    const LineDevice* d = deviceOf(lines, dwDeviceID);
    if (d == nullptr) {
      return LINEERR_BADDEVICEID;
    }
    if (!versionOk(dwAPIVersion)) {
      return LINEERR_INCOMPATIBLEAPIVERSION;
    }
    if (dwExtVersion != 0) {
      return LINEERR_INCOMPATIBLEEXTVERSION;
    }
    if (lpLineDevCaps == nullptr) {
      return LINEERR_INVALPOINTER;
    }
    const DWORD fixed = dwAPIVersion < kApiVersion14   ? offsetof(LINEDEVCAPS, dwLineFeatures)
                        : dwAPIVersion < kApiVersion20 ? offsetof(LINEDEVCAPS, dwSettableDevStatus)
                        : dwAPIVersion < kApiVersion22 ? offsetof(LINEDEVCAPS, PermanentLineGuid)
                        : dwAPIVersion < kApiVersion30 ? offsetof(LINEDEVCAPS, dwAddressTypes)
                                                       : sizeof(LINEDEVCAPS);
    if (lpLineDevCaps->dwTotalSize < fixed) {
      return LINEERR_STRUCTURETOOSMALL;
    }
    VarStruct<LINEDEVCAPS> v(fixed);
    LINEDEVCAPS& c = v.local();
    auto rt = runtime();
    v.string(&LINEDEVCAPS::dwProviderInfoSize, &LINEDEVCAPS::dwProviderInfoOffset,
             rt && rt->isRemote() ? "OpenTAPI (tapid)" : "OpenTAPI (embedded engine)");
    v.string(&LINEDEVCAPS::dwSwitchInfoSize, &LINEDEVCAPS::dwSwitchInfoOffset, d->address);
    c.dwPermanentLineID = d->deviceId;
    v.string(&LINEDEVCAPS::dwLineNameSize, &LINEDEVCAPS::dwLineNameOffset, d->name);
    c.dwStringFormat = STRINGFORMAT_ASCII;
    c.dwAddressModes = LINEADDRESSMODE_ADDRESSID;
    c.dwNumAddresses = 1;
    c.dwBearerModes = LINEBEARERMODE_VOICE;
    c.dwMediaModes = kMediaModes;
    c.dwDevCapFlags = d->devCapFlags;
    c.dwMaxNumActiveCalls = 0xFFFF;
    c.dwAnswerMode = LINEANSWERMODE_NONE;
    c.dwUUIAcceptSize = d->maxUserUserInfo;
    c.dwUUIAnswerSize = d->maxUserUserInfo;
    c.dwUUIMakeCallSize = d->maxUserUserInfo;
    c.dwUUIDropSize = d->maxUserUserInfo;
    c.dwUUICallInfoSize = d->maxUserUserInfo;
    if (dwAPIVersion >= kApiVersion14) {
      c.dwLineFeatures = LINEFEATURE_MAKECALL;
    }
    if (dwAPIVersion >= kApiVersion20) {
      static const char kClasses[] = "tapi/line\0";  // a list of strings ending with "\0\0"
      v.bytes(&LINEDEVCAPS::dwDeviceClassesSize, &LINEDEVCAPS::dwDeviceClassesOffset, kClasses,
              sizeof kClasses);
    }
    if (dwAPIVersion >= kApiVersion22) {
      c.PermanentLineGuid.Data1 = 0x4f54a000u + d->deviceId;  // "OT", stable per device
    }
    if (dwAPIVersion >= kApiVersion30) {
      c.dwAddressTypes = LINEADDRESSTYPE_PHONENUMBER;
    }
    v.write(lpLineDevCaps);
    return 0;
  });
}

LONG WINAPI lineGetAddressCaps(HLINEAPP hLineApp, DWORD dwDeviceID, DWORD dwAddressID,
                               DWORD dwAPIVersion, DWORD dwExtVersion,
                               LPLINEADDRESSCAPS lpAddressCaps) {
  return guarded([&]() -> LONG {
    LONG e = 0;
    auto app = findApp(hLineApp, e);
    if (!app) {
      return e;
    }
    auto lines = devices(e);
    const LineDevice* d = deviceOf(lines, dwDeviceID);
    if (d == nullptr) {
      return LINEERR_BADDEVICEID;
    }
    if (dwAddressID != 0) {
      return LINEERR_INVALADDRESSID;
    }
    if (!versionOk(dwAPIVersion)) {
      return LINEERR_INCOMPATIBLEAPIVERSION;
    }
    if (dwExtVersion != 0) {
      return LINEERR_INCOMPATIBLEEXTVERSION;
    }
    if (lpAddressCaps == nullptr) {
      return LINEERR_INVALPOINTER;
    }
    const DWORD fixed = dwAPIVersion < kApiVersion14 ? offsetof(LINEADDRESSCAPS, dwAddressFeatures)
                        : dwAPIVersion < kApiVersion20
                            ? offsetof(LINEADDRESSCAPS, dwPredictiveAutoTransferStates)
                            : sizeof(LINEADDRESSCAPS);
    if (lpAddressCaps->dwTotalSize < fixed) {
      return LINEERR_STRUCTURETOOSMALL;
    }
    VarStruct<LINEADDRESSCAPS> v(fixed);
    LINEADDRESSCAPS& c = v.local();
    c.dwLineDeviceID = dwDeviceID;
    v.string(&LINEADDRESSCAPS::dwAddressSize, &LINEADDRESSCAPS::dwAddressOffset, d->address);
    c.dwAddressSharing = LINEADDRESSSHARING_PRIVATE;
    c.dwCallInfoStates = LINECALLINFOSTATE_OTHER | LINECALLINFOSTATE_APPSPECIFIC |
                         LINECALLINFOSTATE_CALLID | LINECALLINFOSTATE_NUMOWNERINCR |
                         LINECALLINFOSTATE_NUMOWNERDECR | LINECALLINFOSTATE_NUMMONITORS |
                         LINECALLINFOSTATE_CALLERID | LINECALLINFOSTATE_CALLEDID |
                         LINECALLINFOSTATE_CONNECTEDID | LINECALLINFOSTATE_USERUSERINFO;
    const DWORD partyFlagsAll =
        LINECALLPARTYID_ADDRESS | LINECALLPARTYID_NAME | LINECALLPARTYID_UNKNOWN;
    c.dwCallerIDFlags = partyFlagsAll;
    c.dwCalledIDFlags = partyFlagsAll;
    c.dwConnectedIDFlags = partyFlagsAll;
    c.dwRedirectionIDFlags = LINECALLPARTYID_UNAVAIL;
    c.dwRedirectingIDFlags = LINECALLPARTYID_UNAVAIL;
    c.dwCallStates = kCallStates;
    c.dwBusyModes = LINEBUSYMODE_UNKNOWN;
    DWORD modes = 0x00000FFF;  // NORMAL .. UNAVAIL (1.0)
    if (dwAPIVersion >= kApiVersion14) {
      modes |= LINEDISCONNECTMODE_NODIALTONE;
    }
    if (dwAPIVersion >= kApiVersion20) {
      modes |= 0x000FE000;  // NUMBERCHANGED .. CANCELLED
    }
    c.dwDisconnectModes = modes;
    c.dwMaxNumActiveCalls = 0xFFFF;
    c.dwCallFeatures = LINECALLFEATURE_ACCEPT | LINECALLFEATURE_ANSWER | LINECALLFEATURE_DROP;
    if (dwAPIVersion >= kApiVersion14) {
      c.dwAddressFeatures = LINEADDRFEATURE_MAKECALL;
    }
    if (dwAPIVersion >= kApiVersion20) {
      c.dwMaxNoAnswerTimeout = 0xFFFFFFFFu / 1000;
      c.dwConnectedModes = LINECONNECTEDMODE_ACTIVE;
      c.dwOfferingModes = LINEOFFERINGMODE_ACTIVE;
      c.dwAvailableMediaModes = kMediaModes;
    }
    v.write(lpAddressCaps);
    return 0;
  });
}

LONG WINAPI lineOpen(HLINEAPP hLineApp, DWORD dwDeviceID, LPHLINE lphLine, DWORD dwAPIVersion,
                     DWORD dwExtVersion, DWORD_PTR dwCallbackInstance, DWORD dwPrivileges,
                     DWORD dwMediaModes, LPLINECALLPARAMS const lpCallParams) {
  return guarded([&]() -> LONG {
    LONG e = 0;
    auto app = findApp(hLineApp, e);
    if (!app) {
      return e;
    }
    if (lphLine == nullptr) {
      return LINEERR_INVALPOINTER;
    }
    auto lines = devices(e);
    const LineDevice* d = deviceOf(lines, dwDeviceID);
    if (d == nullptr) {
      // A lost tapid offers no lines; TAPI answers REINIT until the app starts again.
      return serverLost() ? LINEERR_REINIT : LINEERR_BADDEVICEID;
    }
    if (!versionOk(dwAPIVersion)) {
      return LINEERR_INCOMPATIBLEAPIVERSION;
    }
    if (dwExtVersion != 0) {
      return LINEERR_INCOMPATIBLEEXTVERSION;
    }
    const DWORD options = dwPrivileges & (LINEOPENOPTION_SINGLEADDRESS | LINEOPENOPTION_PROXY);
    const DWORD privs = dwPrivileges & ~options;
    const bool privsOk = privs == LINECALLPRIVILEGE_NONE || privs == LINECALLPRIVILEGE_MONITOR ||
                         privs == LINECALLPRIVILEGE_OWNER ||
                         privs == (LINECALLPRIVILEGE_OWNER | LINECALLPRIVILEGE_MONITOR);
    if (!privsOk || (options & LINEOPENOPTION_PROXY) != 0 ||
        (options != 0 && dwAPIVersion < kApiVersion20)) {
      return LINEERR_INVALPRIVSELECT;
    }
    if ((options & LINEOPENOPTION_SINGLEADDRESS) != 0) {
      if (lpCallParams == nullptr || lpCallParams->dwAddressMode != LINEADDRESSMODE_ADDRESSID) {
        return LINEERR_INVALPRIVSELECT;
      }
      if (lpCallParams->dwAddressID != 0) {
        return LINEERR_INVALADDRESSID;
      }
    }
    OpenOptions o;
    o.mediaModes = dwMediaModes;
    o.apiVersion = dwAPIVersion;
    auto r = app->app.open(dwDeviceID, privs, o);
    if (!r) {
      return err(r.error());
    }
    auto l = std::make_shared<CLine>();
    l->app = app;
    l->deviceId = dwDeviceID;
    l->apiVersion = dwAPIVersion;
    l->instance = dwCallbackInstance;
    l->mediaModes = dwMediaModes;
    l->maxUui = d->maxUserUserInfo;
    const std::uint32_t engineLine = r->handle();
    l->line = std::move(*r);
    {
      std::lock_guard lock(reg().mu);
      l->h = Registry::allocate(reg().nextLine, reg().lines);
      reg().lines[l->h] = l;
      app->lineByEngine[engineLine] = l->h;
    }
    *lphLine = l->h;
    return 0;
  });
}

LONG WINAPI lineClose(HLINE hLine) {
  return guarded([&]() -> LONG {
    LONG e = 0;
    auto l = findLine(hLine, e);
    if (!l) {
      return e;
    }
    auto r = l->line.close();
    {
      std::lock_guard lock(reg().mu);
      forgetLineLocked(hLine);
    }
    if (!r && r.lineErr() != LineErr::InvalLineHandle) {
      return err(r.error());
    }
    return r.ok() ? 0 : LINEERR_INVALLINEHANDLE;
  });
}

LONG WINAPI lineMakeCall(HLINE hLine, LPHCALL lphCall, LPCSTR lpszDestAddress, DWORD,
                         LPLINECALLPARAMS const lpCallParams) {
  return guarded([&]() -> LONG {
    LONG e = 0;
    auto l = findLine(hLine, e);
    if (!l) {
      return e;
    }
    if (lphCall == nullptr) {
      return LINEERR_INVALPOINTER;
    }
    if (lpszDestAddress == nullptr) {
      return LINEERR_OPERATIONUNAVAIL;  // no line offers a call waiting in dial tone
    }
    MakeCallOptions mo;
    if (lpCallParams != nullptr) {
      const DWORD total = lpCallParams->dwTotalSize;
      if (total < offsetof(LINECALLPARAMS, dwPredictiveAutoTransferStates)) {
        return LINEERR_STRUCTURETOOSMALL;
      }
      if (lpCallParams->dwAddressMode == LINEADDRESSMODE_ADDRESSID) {
        if (lpCallParams->dwAddressID != 0) {
          return LINEERR_INVALADDRESSID;
        }
        mo.addressId = lpCallParams->dwAddressID;
      }
      const DWORD size = lpCallParams->dwUserUserInfoSize;
      const DWORD offset = lpCallParams->dwUserUserInfoOffset;
      if (size != 0) {
        if (offset < offsetof(LINECALLPARAMS, dwPredictiveAutoTransferStates) ||
            static_cast<std::uint64_t>(offset) + size > total) {
          return LINEERR_INVALCALLPARAMS;
        }
        if (l->maxUui != 0 && size > l->maxUui) {
          return LINEERR_USERUSERINFOTOOBIG;
        }
        mo.userUserInfo.assign(reinterpret_cast<const char*>(lpCallParams) + offset, size);
      }
      if (l->apiVersion >= kApiVersion20 &&
          total >= offsetof(LINECALLPARAMS, dwCallingPartyIDSize) &&
          lpCallParams->dwNoAnswerTimeout != 0) {
        mo.noAnswerTimeout = std::chrono::seconds(lpCallParams->dwNoAnswerTimeout);
      }
    }
    // "sim:" far-end scripts are read by the simulated provider itself (docs/api.md).
    const std::string dest = lpszDestAddress;
    auto r = l->line.makeCall(dest, mo);
    if (!r) {
      return err(r.error());
    }
    const std::uint32_t requestId = r->requestId;
    const std::uint32_t engineCall = r->call.handle();
    const HCALL h = mapCall(l->app, engineCall, std::move(r->call), hLine);
    {
      std::lock_guard lock(reg().mu);
      l->app->requestLine[requestId] = hLine;
      l->app->makeCallRequest[requestId] = h;
    }
    *lphCall = h;
    return static_cast<LONG>(requestId);
  });
}

LONG WINAPI lineDial(HCALL hCall, LPCSTR, DWORD) {
  return guarded([&]() -> LONG {
    LONG e = 0;
    auto c = findCall(hCall, e);
    return c ? LINEERR_OPERATIONUNAVAIL : e;
  });
}

}  // extern "C"

namespace tapi::capi {
namespace {

enum class Async { Answer, Accept, Drop };

LONG asyncCall(HCALL hCall, LPCSTR uui, DWORD size, Async what) {
  LONG e = 0;
  auto c = findCall(hCall, e);
  if (!c) {
    return e;
  }
  if (const LONG big = checkUui(*c, size, uui); big != 0) {
    return big;
  }
  Result<std::uint32_t> r = LineErr::OperationFailed;
  {
    std::lock_guard lock(c->mu);
    switch (what) {
      case Async::Answer:
        r = c->call.answer(uuiArg(uui, size));
        break;
      case Async::Accept:
        r = c->call.accept(uuiArg(uui, size));
        break;
      case Async::Drop:
        r = c->call.drop(0, uuiArg(uui, size));
        break;
    }
  }
  if (!r) {
    return err(r.error());
  }
  {
    std::lock_guard lock(reg().mu);
    c->app->requestLine[*r] = c->hLine;
  }
  return static_cast<LONG>(*r);
}

/**
 * Runs a synchronous call operation. A handle the engine voided on its own (idle-handle
 * reclamation) stays mapped until lineDeallocateCall, lineClose or lineShutdown.
 */
template <typename F>
LONG syncCall(HCALL hCall, F&& f) {
  LONG e = 0;
  auto c = findCall(hCall, e);
  if (!c) {
    return e;
  }
  Result<void> r;
  {
    std::lock_guard lock(c->mu);
    r = f(*c);
  }
  return r.ok() ? 0 : err(r.error());
}

}  // namespace
}  // namespace tapi::capi

extern "C" {

LONG WINAPI lineAnswer(HCALL hCall, LPCSTR lpsUserUserInfo, DWORD dwSize) {
  return guarded([&] { return asyncCall(hCall, lpsUserUserInfo, dwSize, Async::Answer); });
}

LONG WINAPI lineAccept(HCALL hCall, LPCSTR lpsUserUserInfo, DWORD dwSize) {
  return guarded([&] { return asyncCall(hCall, lpsUserUserInfo, dwSize, Async::Accept); });
}

LONG WINAPI lineDrop(HCALL hCall, LPCSTR lpsUserUserInfo, DWORD dwSize) {
  return guarded([&] { return asyncCall(hCall, lpsUserUserInfo, dwSize, Async::Drop); });
}

LONG WINAPI lineDeallocateCall(HCALL hCall) {
  return guarded([&]() -> LONG {
    LONG e = 0;
    auto c = findCall(hCall, e);
    if (!c) {
      return e;
    }
    Result<void> r;
    {
      std::lock_guard lock(c->mu);
      r = c->call.deallocate();
    }
    if (r.ok() || r.lineErr() == LineErr::InvalCallHandle) {
      std::lock_guard lock(reg().mu);
      forgetCallLocked(hCall);
    }
    return r.ok() ? 0 : err(r.error());
  });
}

LONG WINAPI lineGetCallInfo(HCALL hCall, LPLINECALLINFO lpCallInfo) {
  return guarded([&]() -> LONG {
    LONG e = 0;
    auto c = findCall(hCall, e);
    if (!c) {
      return e;
    }
    if (lpCallInfo == nullptr) {
      return LINEERR_INVALPOINTER;
    }
    const DWORD version = lineVersion(*c);
    const DWORD fixed = version < kApiVersion20   ? offsetof(LINECALLINFO, dwCallTreatment)
                        : version < kApiVersion30 ? offsetof(LINECALLINFO, dwCallerIDAddressType)
                                                  : sizeof(LINECALLINFO);
    if (lpCallInfo->dwTotalSize < fixed) {
      return LINEERR_STRUCTURETOOSMALL;
    }
    Result<CallRecord> r = LineErr::OperationFailed;
    {
      std::lock_guard lock(c->mu);
      r = c->call.info();
    }
    if (!r) {
      return err(r.error());
    }
    const CallRecord& rec = *r;
    VarStruct<LINECALLINFO> v(fixed);
    LINECALLINFO& i = v.local();
    i.hLine = c->hLine;
    i.dwLineDeviceID = rec.lineDeviceId;
    i.dwAddressID = rec.addressId;
    i.dwBearerMode = LINEBEARERMODE_VOICE;
    i.dwMediaMode = LINEMEDIAMODE_INTERACTIVEVOICE;
    i.dwAppSpecific = rec.appSpecific;
    i.dwCallID = rec.callId;
    i.dwCallStates = kCallStates;
    i.dwOrigin = rec.origin;
    if (version < kApiVersion14 && i.dwOrigin == LINECALLORIGIN_INBOUND) {
      i.dwOrigin = LINECALLORIGIN_UNAVAIL;  // INBOUND came with 1.4
    }
    i.dwReason = LINECALLREASON_DIRECT;
    i.dwNumOwners = rec.numOwners;
    i.dwNumMonitors = rec.numMonitors;
    i.dwTrunk = 0xFFFFFFFFu;
    i.dwCallerIDFlags = partyFlags(rec.caller);
    v.string(&LINECALLINFO::dwCallerIDSize, &LINECALLINFO::dwCallerIDOffset, rec.caller.number);
    v.string(&LINECALLINFO::dwCallerIDNameSize, &LINECALLINFO::dwCallerIDNameOffset,
             rec.caller.name);
    i.dwCalledIDFlags = partyFlags(rec.called);
    v.string(&LINECALLINFO::dwCalledIDSize, &LINECALLINFO::dwCalledIDOffset, rec.called.number);
    v.string(&LINECALLINFO::dwCalledIDNameSize, &LINECALLINFO::dwCalledIDNameOffset,
             rec.called.name);
    i.dwConnectedIDFlags = partyFlags(rec.connected);
    v.string(&LINECALLINFO::dwConnectedIDSize, &LINECALLINFO::dwConnectedIDOffset,
             rec.connected.number);
    v.string(&LINECALLINFO::dwConnectedIDNameSize, &LINECALLINFO::dwConnectedIDNameOffset,
             rec.connected.name);
    i.dwRedirectionIDFlags = LINECALLPARTYID_UNAVAIL;
    i.dwRedirectingIDFlags = LINECALLPARTYID_UNAVAIL;
    v.string(&LINECALLINFO::dwAppNameSize, &LINECALLINFO::dwAppNameOffset, rec.appName);
    v.bytes(&LINECALLINFO::dwUserUserInfoSize, &LINECALLINFO::dwUserUserInfoOffset,
            rec.uuiReceived.data(), rec.uuiReceived.size());
    if (version >= kApiVersion30) {
      i.dwCallerIDAddressType = rec.caller.number.empty() ? 0 : LINEADDRESSTYPE_PHONENUMBER;
      i.dwCalledIDAddressType = rec.called.number.empty() ? 0 : LINEADDRESSTYPE_PHONENUMBER;
      i.dwConnectedIDAddressType = rec.connected.number.empty() ? 0 : LINEADDRESSTYPE_PHONENUMBER;
    }
    v.write(lpCallInfo);
    return 0;
  });
}

LONG WINAPI lineGetCallStatus(HCALL hCall, LPLINECALLSTATUS lpCallStatus) {
  return guarded([&]() -> LONG {
    LONG e = 0;
    auto c = findCall(hCall, e);
    if (!c) {
      return e;
    }
    if (lpCallStatus == nullptr) {
      return LINEERR_INVALPOINTER;
    }
    const DWORD version = lineVersion(*c);
    const DWORD fixed = version < kApiVersion20 ? offsetof(LINECALLSTATUS, dwCallFeatures2)
                                                : sizeof(LINECALLSTATUS);
    if (lpCallStatus->dwTotalSize < fixed) {
      return LINEERR_STRUCTURETOOSMALL;
    }
    Result<CallStatus> r = LineErr::OperationFailed;
    {
      std::lock_guard lock(c->mu);
      r = c->call.status();
    }
    if (!r) {
      return err(r.error());
    }
    VarStruct<LINECALLSTATUS> v(fixed);
    LINECALLSTATUS& s = v.local();
    s.dwCallState = static_cast<DWORD>(r->state);
    s.dwCallStateMode = r->mode;
    s.dwCallPrivilege = static_cast<DWORD>(r->privilege);
    s.dwCallFeatures = r->features;
    if (version >= kApiVersion20) {
      s.tStateEntryTime = toSystemTime(r->stateEntryTime);
    }
    v.write(lpCallStatus);
    return 0;
  });
}

LONG WINAPI lineGetMessage(HLINEAPP hLineApp, LPLINEMESSAGE lpMessage, DWORD dwTimeout) {
  return guarded([&]() -> LONG {
    LONG e = 0;
    auto app = findApp(hLineApp, e);
    if (!app) {
      return e;
    }
    if (!app->eventMode) {
      return LINEERR_INVALAPPHANDLE;  // only USEEVENT applications fetch messages
    }
    if (lpMessage == nullptr) {
      return LINEERR_INVALPOINTER;
    }
    std::vector<LINEMESSAGE> got;
    const LONG r = waitMessages(app, dwTimeout, 1, got);
    if (r != 0) {
      return r;
    }
    if (got.empty()) {
      return LINEERR_OPERATIONFAILED;
    }
    *lpMessage = got.front();
    return 0;
  });
}

LONG WINAPI lineSetAppSpecific(HCALL hCall, DWORD dwAppSpecific) {
  return guarded([&] {
    return syncCall(hCall, [&](CCall& c) { return c.call.setAppSpecific(dwAppSpecific); });
  });
}

LONG WINAPI lineSetCallPrivilege(HCALL hCall, DWORD dwCallPrivilege) {
  return guarded([&]() -> LONG {
    LONG e = 0;
    if (!findCall(hCall, e)) {
      return e;
    }
    if (dwCallPrivilege != LINECALLPRIVILEGE_MONITOR &&
        dwCallPrivilege != LINECALLPRIVILEGE_OWNER) {
      return LINEERR_INVALCALLPRIVILEGE;
    }
    return syncCall(hCall, [&](CCall& c) {
      return c.call.setPrivilege(static_cast<Privilege>(dwCallPrivilege));
    });
  });
}

LONG WINAPI lineHandoff(HCALL hCall, LPCSTR lpszFileName, DWORD dwMediaMode) {
  return guarded([&]() -> LONG {
    LONG e = 0;
    if (!findCall(hCall, e)) {
      return e;
    }
    std::string target;
    if (lpszFileName != nullptr) {
      target = lpszFileName;
      // A module file name may come with a path; the application's name is its last part.
      if (auto slash = target.find_last_of("/\\"); slash != std::string::npos) {
        target.erase(0, slash + 1);
      }
    } else if (dwMediaMode == 0 || (dwMediaMode & (dwMediaMode - 1)) != 0 ||
               dwMediaMode > LAST_LINEMEDIAMODE) {
      return LINEERR_INVALMEDIAMODE;
    }
    return syncCall(hCall, [&](CCall& c) {
      return c.call.handoff(target, lpszFileName != nullptr ? 0 : dwMediaMode);
    });
  });
}

LONG WINAPI lineGetNewCalls(HLINE hLine, DWORD dwAddressID, DWORD dwSelect,
                            LPLINECALLLIST lpCallList) {
  return guarded([&]() -> LONG {
    LONG e = 0;
    auto l = findLine(hLine, e);
    if (!l) {
      return e;
    }
    if (lpCallList == nullptr) {
      return LINEERR_INVALPOINTER;
    }
    if (dwSelect != LINECALLSELECT_LINE && dwSelect != LINECALLSELECT_ADDRESS) {
      return LINEERR_INVALCALLSELECT;
    }
    if (dwSelect == LINECALLSELECT_ADDRESS && dwAddressID != 0) {
      return LINEERR_INVALADDRESSID;
    }
    if (lpCallList->dwTotalSize < sizeof(LINECALLLIST)) {
      return LINEERR_STRUCTURETOOSMALL;
    }
    auto r = l->line.getNewCalls();
    if (!r) {
      return err(r.error());
    }
    std::vector<HCALL> handles;
    {
      std::lock_guard lock(reg().mu);
      handles.swap(l->undelivered);
    }
    for (Call& call : *r) {
      const std::uint32_t engine = call.handle();
      handles.push_back(mapCall(l->app, engine, std::move(call), hLine));
    }
    {
      // Handles already forgotten (deallocated meanwhile) are not listed.
      std::lock_guard lock(reg().mu);
      handles.erase(std::remove_if(handles.begin(), handles.end(),
                                   [](HCALL h) { return reg().calls.count(h) == 0; }),
                    handles.end());
    }
    VarStruct<LINECALLLIST> v(sizeof(LINECALLLIST));
    v.local().dwCallsNumEntries = static_cast<DWORD>(handles.size());
    v.bytes(&LINECALLLIST::dwCallsSize, &LINECALLLIST::dwCallsOffset, handles.data(),
            handles.size() * sizeof(HCALL), alignof(HCALL));
    v.write(lpCallList);
    if (lpCallList->dwCallsSize == 0 && !handles.empty()) {
      // Too small: the handles exist now, so keep them for the caller's next, larger try.
      lpCallList->dwCallsNumEntries = 0;
      std::lock_guard lock(reg().mu);
      l->undelivered = std::move(handles);
    }
    return 0;
  });
}

LONG WINAPI lineGetLineDevStatus(HLINE hLine, LPLINEDEVSTATUS lpLineDevStatus) {
  return guarded([&]() -> LONG {
    LONG e = 0;
    auto l = findLine(hLine, e);
    if (!l) {
      return e;
    }
    if (lpLineDevStatus == nullptr) {
      return LINEERR_INVALPOINTER;
    }
    const DWORD fixed = l->apiVersion < kApiVersion20
                            ? offsetof(LINEDEVSTATUS, dwAvailableMediaModes)
                            : sizeof(LINEDEVSTATUS);
    if (lpLineDevStatus->dwTotalSize < fixed) {
      return LINEERR_STRUCTURETOOSMALL;
    }
    VarStruct<LINEDEVSTATUS> v(fixed);
    LINEDEVSTATUS& s = v.local();
    {
      std::lock_guard lock(reg().mu);
      for (auto& [h, other] : reg().lines) {
        if (other->deviceId == l->deviceId) {
          ++s.dwNumOpens;
          s.dwOpenMediaModes |= other->mediaModes;
        }
      }
    }
    if (auto rt = runtime()) {
      if (auto calls = rt->calls()) {
        for (const CallRecord& rec : *calls) {
          const bool idle = !rec.states.empty() && rec.states.back().state == CallState::Idle;
          if (rec.lineDeviceId == l->deviceId && !idle) {
            ++s.dwNumActiveCalls;
          }
        }
      }
    }
    s.dwLineFeatures = LINEFEATURE_MAKECALL;
    s.dwDevStatusFlags = LINEDEVSTATUSFLAGS_CONNECTED | LINEDEVSTATUSFLAGS_INSERVICE;
    if (l->apiVersion >= kApiVersion20) {
      s.dwAvailableMediaModes = kMediaModes;
    }
    v.write(lpLineDevStatus);
    return 0;
  });
}

// ------------------------------------------------------------------ extensions

LONG opentapi_lineapp_dispatch(HLINEAPP hLineApp, DWORD dwTimeout) {
  return guarded([&]() -> LONG {
    LONG e = 0;
    auto app = findApp(hLineApp, e);
    if (!app) {
      return e;
    }
    if (app->eventMode) {
      return LINEERR_INVALAPPHANDLE;
    }
    std::vector<LINEMESSAGE> got;
    const LONG r = waitMessages(app, dwTimeout, static_cast<std::size_t>(-1), got);
    if (r != 0) {
      return r;
    }
    for (const LINEMESSAGE& m : got) {
      app->callback(m.hDevice, m.dwMessageID, m.dwCallbackInstance, m.dwParam1, m.dwParam2,
                    m.dwParam3);
    }
    return static_cast<LONG>(got.size());
  });
}

LONG opentapi_lineapp_get_fd(HLINEAPP hLineApp, int* out_fd) {
  return guarded([&]() -> LONG {
    LONG e = 0;
    auto app = findApp(hLineApp, e);
    if (!app) {
      return e;
    }
    if (out_fd == nullptr) {
      return LINEERR_INVALPOINTER;
    }
    *out_fd = app->event->fd;
    return 0;
  });
}

LONG opentapi_call_get_record(HCALL hCall, LPOPENTAPICALLRECORD lpRecord) {
  return guarded([&]() -> LONG {
    LONG e = 0;
    auto c = findCall(hCall, e);
    if (!c) {
      return e;
    }
    if (lpRecord == nullptr) {
      return LINEERR_INVALPOINTER;
    }
    if (lpRecord->dwTotalSize < sizeof(OPENTAPICALLRECORD)) {
      return LINEERR_STRUCTURETOOSMALL;
    }
    Result<CallRecord> r = LineErr::OperationFailed;
    {
      std::lock_guard lock(c->mu);
      r = c->call.info();
    }
    if (!r) {
      return err(r.error());
    }
    const CallRecord& rec = *r;
    VarStruct<OPENTAPICALLRECORD> v(sizeof(OPENTAPICALLRECORD));
    OPENTAPICALLRECORD& o = v.local();
    o.dwCallID = rec.callId;
    o.dwTerminationOrigin = static_cast<DWORD>(rec.termination.origin);
    o.dwTerminationPolicy = static_cast<DWORD>(rec.termination.policy);
    o.dwDisconnectMode = rec.disconnectMode;
    o.lProviderCode = rec.cause.code;
    o.lQ850Cause = rec.cause.q850;
    o.tCreatedMs = unixMs(rec.created);
    o.tOfferingOrDialingMs = unixMs(rec.offeringOrDialing);
    o.tConnectedMs = unixMs(rec.connectedAt);
    o.tDisconnectedMs = unixMs(rec.disconnectedAt);
    o.tIdleMs = unixMs(rec.idleAt);
    std::vector<OPENTAPISTATEVISIT> states;
    for (const StateVisit& s : rec.states) {
      states.push_back(OPENTAPISTATEVISIT{static_cast<DWORD>(s.state), s.mode, unixMs(s.at)});
    }
    o.dwStatesNumEntries = static_cast<DWORD>(states.size());
    v.bytes(&OPENTAPICALLRECORD::dwStatesSize, &OPENTAPICALLRECORD::dwStatesOffset, states.data(),
            states.size() * sizeof(OPENTAPISTATEVISIT), alignof(OPENTAPISTATEVISIT));
    v.string(&OPENTAPICALLRECORD::dwTerminationAppSize, &OPENTAPICALLRECORD::dwTerminationAppOffset,
             rec.termination.app);
    v.string(&OPENTAPICALLRECORD::dwTerminationDetailSize,
             &OPENTAPICALLRECORD::dwTerminationDetailOffset, rec.termination.detail);
    v.string(&OPENTAPICALLRECORD::dwProviderTextSize, &OPENTAPICALLRECORD::dwProviderTextOffset,
             rec.cause.text);
    v.string(&OPENTAPICALLRECORD::dwProviderCallRefSize,
             &OPENTAPICALLRECORD::dwProviderCallRefOffset, rec.cause.callRef);
    v.bytes(&OPENTAPICALLRECORD::dwUserUserInfoSentSize,
            &OPENTAPICALLRECORD::dwUserUserInfoSentOffset, rec.uuiSent.data(), rec.uuiSent.size());
    v.write(lpRecord);
    if (lpRecord->dwStatesSize == 0) {
      lpRecord->dwStatesNumEntries = 0;
    }
    return 0;
  });
}

LONG opentapi_sim_place_inbound(DWORD dwDeviceID, LPCSTR lpszCaller, LPCSTR lpszCallerName,
                                LPCSTR lpszScript, LPDWORD out_callId) {
  return guarded([&]() -> LONG {
    auto rt = runtime();
    if (!rt) {
      return LINEERR_UNINITIALIZED;
    }
    const std::string caller = lpszCaller != nullptr ? lpszCaller : "";
    const std::string name = lpszCallerName != nullptr ? lpszCallerName : "";
    const std::string script = lpszScript != nullptr ? lpszScript : "";
    LONG e = 0;
    if (deviceOf(devices(e), dwDeviceID) == nullptr) {
      return LINEERR_BADDEVICEID;
    }
    if (rt->isRemote()) {
      auto r = rt->placeInbound(InboundCall{dwDeviceID, caller, name, script});
      if (!r) {
        return err(r.error());
      }
      if (out_callId != nullptr) {
        *out_callId = *r;
      }
      return 0;
    }
    providers::sim::SimProvider::Inbound in;
    in.caller = {caller, name};
    if (!script.empty()) {
      auto sc = providers::sim::parseScript(script, true);
      if (!sc) {
        return LINEERR_INVALADDRESS;
      }
      in.script = std::move(*sc);
    } else {
      in.script.steps = {{base::Duration{0}, providers::sim::Action::AwaitAnswer}};
    }
    {
      std::lock_guard lock(reg().mu);
      in.callId = ++reg().nextInboundCallId;
    }
    const DWORD callId = in.callId;
    Result<spi::ProviderCallId> r = LineErr::OperationFailed;
    (void)onEmbeddedLoop(rt,
                         [&] { r = rt->simulation()->placeInbound(dwDeviceID, std::move(in)); });
    if (!r) {
      return err(r.error());
    }
    if (out_callId != nullptr) {
      *out_callId = callId;
    }
    return 0;
  });
}

const char* opentapi_lineerr_name(LONG lResult) {
  if (lResult == 0) {
    return "0";
  }
  if (lResult > 0) {
    return "?";
  }
  return lineErrName(static_cast<LineErr>(static_cast<std::uint32_t>(lResult)));
}

}  // extern "C"
