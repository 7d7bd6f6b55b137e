#include "capi/registry.hpp"

#include <iterator>
#include <utility>

#include "client/backend.hpp"

namespace tapi::capi {

Registry& reg() {
  // Never destroyed: applications that skip lineShutdown must not race static destruction.
  static Registry* r = new Registry;
  return *r;
}

// ------------------------------------------------------------------ lookups

CAppSharedPtr findApp(HLINEAPP h, LONG& e) {
  std::lock_guard lock(reg().mu);
  auto it = reg().apps.find(h);
  if (it == reg().apps.end()) {
    e = reg().apps.empty() ? LINEERR_UNINITIALIZED : LINEERR_INVALAPPHANDLE;
    return nullptr;
  }
  return it->second;
}

CLineSharedPtr findLine(HLINE h, LONG& e) {
  std::lock_guard lock(reg().mu);
  auto it = reg().lines.find(h);
  if (it == reg().lines.end()) {
    e = reg().apps.empty() ? LINEERR_UNINITIALIZED : LINEERR_INVALLINEHANDLE;
    return nullptr;
  }
  return it->second;
}

CCallSharedPtr findCall(HCALL h, LONG& e) {
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

void forgetCallLocked(HCALL h) {
  auto it = reg().calls.find(h);
  if (it == reg().calls.end()) {
    return;
  }
  it->second->app->callByEngine.erase(it->second->engine);
  (void)it->second->call.release();
  reg().calls.erase(it);
}

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

HLINE lineForDeviceLocked(const CApp& app, std::uint32_t deviceId) {
  HLINE best = 0;
  for (auto& [hl, l] : reg().lines) {
    if (l->app.get() == &app && l->deviceId == deviceId && (best == 0 || hl < best)) {
      best = hl;
    }
  }
  return best;
}

HCALL mapCall(const CAppSharedPtr& app, std::uint32_t engine, Call call, HLINE hLine) {
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

// ------------------------------------------------------------------ devices

std::vector<LineDevice> devices(LONG& e) {
  auto rt = runtime();
  if (!rt) {
    e = LINEERR_UNINITIALIZED;
    return {};
  }
  return rt->lines();
}

bool serverLost() {
  auto rt = runtime();
  return rt && rt->serverLost();
}

const LineDevice* deviceOf(const std::vector<LineDevice>& lines, DWORD id) {
  for (const auto& l : lines) {
    if (l.deviceId == id) {
      return &l;
    }
  }
  return nullptr;
}

}  // namespace tapi::capi
