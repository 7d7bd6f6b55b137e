#pragma once
// Helpers for the conformance suite. They use only <tapi/tapi.h> (the C API), so the same
// binary runs against the embedded engine and, with TAPI_SERVER set, against a tapid.

#include <tapi/tapi.h>

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <cstring>
#include <deque>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include <gtest/gtest.h>

namespace conformance {

inline const char* name(LONG r) { return opentapi_lineerr_name(r); }

#define EXPECT_LINEERR(expr, code) EXPECT_EQ((expr), (code)) << name(expr)
#define ASSERT_OK(expr)                              \
  do {                                               \
    const LONG r_ = (expr);                          \
    ASSERT_EQ(r_, 0) << #expr << ": " << name(r_);   \
  } while (0)

/** True when TAPI_SERVER selects a remote tapid. */
inline bool remote() {
  const char* s = std::getenv("TAPI_SERVER");
  return s != nullptr && *s != '\0';
}

/** One application initialised with LINEINITIALIZEEXOPTION_USEEVENT. */
class EventApp {
 public:
  explicit EventApp(const char* appName, DWORD apiVersion = TAPI_VERSION2_2) {
    LINEINITIALIZEEXPARAMS p{};
    p.dwTotalSize = sizeof p;
    p.dwOptions = LINEINITIALIZEEXOPTION_USEEVENT;
    DWORD v = apiVersion;
    result = lineInitializeEx(&h, nullptr, nullptr, appName, &numDevs, &v, &p);
    event = p.Handles.hEvent;
  }
  ~EventApp() {
    if (h != 0) {
      (void)lineShutdown(h);
    }
  }
  EventApp(const EventApp&) = delete;
  EventApp& operator=(const EventApp&) = delete;

  /** lineShutdown now (the destructor then does nothing). */
  LONG shutdown() {
    const LONG r = lineShutdown(h);
    h = 0;
    return r;
  }

  /** Opens a line; 0 on failure (with `lastError`). */
  HLINE open(DWORD device, DWORD privileges, DWORD apiVersion = TAPI_VERSION2_2,
             DWORD mediaModes = LINEMEDIAMODE_INTERACTIVEVOICE, DWORD_PTR instance = 0) {
    HLINE line = 0;
    lastError = lineOpen(h, device, &line, apiVersion, 0, instance, privileges,
                         (privileges & LINECALLPRIVILEGE_OWNER) != 0 ? mediaModes : 0, nullptr);
    return lastError == 0 ? line : 0;
  }

  /** Next message (kept ones first) within `ms`, or nothing. */
  std::optional<LINEMESSAGE> next(DWORD ms = 3000) {
    if (!backlog.empty()) {
      LINEMESSAGE m = backlog.front();
      backlog.pop_front();
      return m;
    }
    return fetch(ms);
  }

  /**
   * The first message (kept ones first, then new ones within `ms`) that `pred` matches;
   * messages passed over are kept, in order, for later waits.
   */
  std::optional<LINEMESSAGE> waitFor(const std::function<bool(const LINEMESSAGE&)>& pred,
                                     DWORD ms = 5000) {
    for (auto it = backlog.begin(); it != backlog.end(); ++it) {
      if (pred(*it)) {
        LINEMESSAGE m = *it;
        backlog.erase(it);
        return m;
      }
    }
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(ms);
    while (std::chrono::steady_clock::now() < deadline) {
      const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
          deadline - std::chrono::steady_clock::now());
      auto m = fetch(static_cast<DWORD>(std::max<long long>(1, left.count())));
      if (!m) {
        continue;
      }
      if (pred(*m)) {
        return m;
      }
      backlog.push_back(*m);
    }
    return std::nullopt;
  }

  /** Waits for the LINE_REPLY of `requestId`; its result (or 1 if none came). */
  LONG reply(LONG requestId, DWORD ms = 5000) {
    auto m = waitFor(
        [&](const LINEMESSAGE& x) {
          return x.dwMessageID == LINE_REPLY && x.dwParam1 == static_cast<DWORD_PTR>(requestId);
        },
        ms);
    return m ? static_cast<LONG>(static_cast<DWORD>(m->dwParam2)) : 1;
  }

  /** Waits for LINE_CALLSTATE(state) on `call`. */
  std::optional<LINEMESSAGE> state(HCALL call, DWORD callState, DWORD ms = 5000) {
    return waitFor(
        [&](const LINEMESSAGE& x) {
          return x.dwMessageID == LINE_CALLSTATE && x.hDevice == call && x.dwParam1 == callState;
        },
        ms);
  }

  /** Waits for LINE_APPNEWCALL on `line`; the new call handle or 0. */
  HCALL newCall(HLINE line, DWORD ms = 5000) {
    auto m = waitFor(
        [&](const LINEMESSAGE& x) { return x.dwMessageID == LINE_APPNEWCALL && x.hDevice == line; },
        ms);
    return m ? static_cast<HCALL>(m->dwParam2) : 0;
  }

  /** Kept messages plus whatever arrives within `ms`. */
  std::vector<LINEMESSAGE> drain(DWORD ms = 200) {
    std::vector<LINEMESSAGE> out;
    while (auto m = next(ms)) {
      out.push_back(*m);
    }
    return out;
  }

  /** One message straight from lineGetMessage (recorded in `seen`). */
  std::optional<LINEMESSAGE> fetch(DWORD ms) {
    LINEMESSAGE m{};
    if (lineGetMessage(h, &m, ms) != 0) {
      return std::nullopt;
    }
    seen.push_back(m);
    return m;
  }

  HLINEAPP h = 0;
  HANDLE event = nullptr;
  DWORD numDevs = 0;
  LONG result = 0;
  LONG lastError = 0;
  std::vector<LINEMESSAGE> seen;        // every message fetched, in order
  std::deque<LINEMESSAGE> backlog;      // fetched but not yet consumed by a wait
};

/** A call made by `app` on `line` and confirmed by its LINE_REPLY. */
struct Made {
  LONG requestId = 0;
  HCALL call = 0;
  LONG replyResult = 1;
};

inline Made makeCall(EventApp& app, HLINE line, const char* dest, const std::string& uui = {}) {
  Made m;
  if (uui.empty()) {
    m.requestId = lineMakeCall(line, &m.call, dest, 0, nullptr);
  } else {
    std::vector<unsigned char> buf(sizeof(LINECALLPARAMS) + uui.size());
    auto* p = reinterpret_cast<LINECALLPARAMS*>(buf.data());
    p->dwTotalSize = static_cast<DWORD>(buf.size());
    p->dwBearerMode = LINEBEARERMODE_VOICE;
    p->dwMediaMode = LINEMEDIAMODE_INTERACTIVEVOICE;
    p->dwUserUserInfoSize = static_cast<DWORD>(uui.size());
    p->dwUserUserInfoOffset = sizeof(LINECALLPARAMS);
    std::memcpy(buf.data() + sizeof(LINECALLPARAMS), uui.data(), uui.size());
    m.requestId = lineMakeCall(line, &m.call, dest, 0, p);
  }
  if (m.requestId > 0) {
    m.replyResult = app.reply(m.requestId);
  }
  return m;
}

/** lineGetCallInfo into a buffer grown to dwNeededSize. */
inline std::vector<unsigned char> callInfo(HCALL call, LONG* result = nullptr) {
  std::vector<unsigned char> buf(sizeof(LINECALLINFO));
  for (int i = 0; i < 3; ++i) {
    auto* ci = reinterpret_cast<LINECALLINFO*>(buf.data());
    ci->dwTotalSize = static_cast<DWORD>(buf.size());
    const LONG r = lineGetCallInfo(call, ci);
    if (result != nullptr) {
      *result = r;
    }
    if (r != 0) {
      return {};
    }
    if (ci->dwNeededSize <= ci->dwTotalSize) {
      return buf;
    }
    buf.assign(ci->dwNeededSize, 0);
  }
  return buf;
}

inline const LINECALLINFO& asInfo(const std::vector<unsigned char>& b) {
  return *reinterpret_cast<const LINECALLINFO*>(b.data());
}

/** A NUL-terminated string field of a variable-size structure ("" when absent). */
template <typename S>
std::string field(const S& s, DWORD size, DWORD offset) {
  if (size == 0) {
    return {};
  }
  const char* p = reinterpret_cast<const char*>(&s) + offset;
  std::string v(p, size);
  if (!v.empty() && v.back() == '\0') {
    v.pop_back();
  }
  return v;
}

inline LINECALLSTATUS callStatus(HCALL call, LONG* result = nullptr) {
  LINECALLSTATUS s{};
  s.dwTotalSize = sizeof s;
  const LONG r = lineGetCallStatus(call, &s);
  if (result != nullptr) {
    *result = r;
  }
  return s;
}

/** The record extension into a grown buffer. */
inline std::vector<unsigned char> record(HCALL call, LONG* result = nullptr) {
  std::vector<unsigned char> buf(4096);
  auto* r = reinterpret_cast<OPENTAPICALLRECORD*>(buf.data());
  r->dwTotalSize = static_cast<DWORD>(buf.size());
  const LONG x = opentapi_call_get_record(call, r);
  if (result != nullptr) {
    *result = x;
  }
  return x == 0 ? buf : std::vector<unsigned char>{};
}

}  // namespace conformance
