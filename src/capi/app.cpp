// The application functions of the C API: lineInitializeEx, lineInitialize, lineShutdown
// and lineNegotiateAPIVersion. The first lineInitialize chooses the process's runtime
// (config.hpp); the last lineShutdown lets it go.

#include <tapi/tapi.h>

#include <sys/eventfd.h>
#include <unistd.h>

#include <algorithm>
#include <cstdint>
#include <memory>
#include <string>
#include <utility>
#include <variant>
#include <vector>

#include "capi/config.hpp"
#include "capi/registry.hpp"

namespace tapi::capi {
namespace {

/**
 * Makes one application: the runtime first if there is none, then the app and its two
 * eventfds. `outEvent` (may be null) receives the event descriptor as a HANDLE.
 */
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
    CAppSharedPtr app;
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
  return withApp(hLineApp, [&](const CAppSharedPtr&) -> LONG {
    if (lpdwAPIVersion == nullptr || lpExtensionID == nullptr) {
      return LINEERR_INVALPOINTER;
    }
    LONG e = 0;
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

}  // extern "C"
