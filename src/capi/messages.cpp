#include "capi/messages.hpp"

#include <poll.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <utility>

namespace tapi::capi {
namespace {

/** The callback instance lineOpen gave line `h` (registry lock held), 0 if none. */
DWORD_PTR instanceOfLine(HLINE h) {
  auto it = reg().lines.find(h);
  return it != reg().lines.end() ? it->second->instance : 0;
}

/**
 * Turns one engine message into the app's C message. @return false to drop it (it names
 * a line the app has closed).
 */
bool translate(const CAppSharedPtr& app, const Message& m, LINEMESSAGE& out) {
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
void pumpLocked(const CAppSharedPtr& app) {
  while (auto m = app->app.nextMessage()) {
    LINEMESSAGE out;
    if (translate(app, *m, out)) {
      app->queue.push_back(out);
    }
  }
}

}  // namespace

LONG waitMessages(const CAppSharedPtr& app, DWORD timeoutMs, std::size_t max,
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

}  // namespace tapi::capi

using namespace tapi;
using namespace tapi::capi;

extern "C" {

LONG WINAPI lineGetMessage(HLINEAPP hLineApp, LPLINEMESSAGE lpMessage, DWORD dwTimeout) {
  return withApp(hLineApp, [&](const CAppSharedPtr& app) -> LONG {
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

}  // extern "C"
