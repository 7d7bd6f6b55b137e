#include "commands.hpp"

#include <algorithm>
#include <cctype>
#include <charconv>
#include <cstdio>
#include <fstream>
#include <iomanip>
#include <sstream>

#include "cdr/record_json.hpp"

namespace tapictl {

using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;

// ----------------------------------------------------------------------------- helpers

std::optional<std::chrono::milliseconds> parseDuration(std::string_view text) {
  if (text.empty()) {
    return std::nullopt;
  }
  std::size_t i = 0;
  while (i < text.size() && (std::isdigit(static_cast<unsigned char>(text[i])) || text[i] == '.')) {
    ++i;
  }
  if (i == 0) {
    return std::nullopt;
  }
  double value = 0;
  try {
    std::size_t used = 0;
    value = std::stod(std::string(text.substr(0, i)), &used);
    if (used != i) {
      return std::nullopt;
    }
  } catch (const std::exception&) {
    return std::nullopt;
  }
  const std::string_view unit = text.substr(i);
  double ms = 0;
  if (unit.empty() || unit == "s") {
    ms = value * 1000;
  } else if (unit == "ms") {
    ms = value;
  } else if (unit == "m") {
    ms = value * 60'000;
  } else if (unit == "h") {
    ms = value * 3'600'000;
  } else {
    return std::nullopt;
  }
  return std::chrono::milliseconds(static_cast<std::int64_t>(ms + 0.5));
}

std::optional<std::uint32_t> parseMode(std::string_view text) {
  std::string upper(text);
  std::transform(upper.begin(), upper.end(), upper.begin(),
                 [](unsigned char c) { return static_cast<char>(std::toupper(c)); });
  if (upper.starts_with("LINEDISCONNECTMODE_")) {
    upper = upper.substr(19);
  }
  for (std::uint32_t bit = 1; bit != 0; bit <<= 1) {
    if (tapi::disconnectModeName(bit) == upper) {
      return bit;
    }
  }
  unsigned long v = 0;
  const char* b = upper.data();
  const char* e = b + upper.size();
  int base = 10;
  if (upper.starts_with("0X")) {
    b += 2;
    base = 16;
  }
  auto [p, ec] = std::from_chars(b, e, v, base);
  if (ec != std::errc{} || p != e || b == e || v == 0 || v > 0xFFFFFFFFul) {
    return std::nullopt;
  }
  return static_cast<std::uint32_t>(v);
}

std::string resolveToken(const std::string& server, const std::string& explicitToken) {
  if (!explicitToken.empty() || !server.starts_with("tcp:")) {
    return explicitToken;
  }
  std::ifstream f("./var/tapid.token");
  std::string token;
  std::getline(f, token);
  while (!token.empty() && std::isspace(static_cast<unsigned char>(token.back()))) {
    token.pop_back();
  }
  return token;
}

std::shared_ptr<tapi::Runtime> Context::connect() {
  if (!runtime) {
    auto r = tapi::Runtime::connect(server, resolveToken(server, token));
    if (!r) {
      *err << "tapictl: cannot reach tapid at " << server << ": " << r.error().message()
           << (r.lineErr() == tapi::LineErr::InvalParam ? " (expected unix:PATH or tcp://HOST:PORT)"
                                                        : " (is tapid running? wrong token?)")
           << "\n";
      return nullptr;
    }
    runtime = std::move(*r);
  }
  return runtime;
}

namespace {

std::string errText(const std::error_code& ec) {
  return ec.message();
}

int failWith(Context& ctx, std::string_view what, const std::error_code& ec) {
  *ctx.err << "tapictl: " << what << ": " << errText(ec) << "\n";
  return kFailed;
}

std::optional<std::uint32_t> parseU32(std::string_view text) {
  std::uint32_t v = 0;
  auto [p, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
  if (ec != std::errc{} || p != text.data() + text.size()) {
    return std::nullopt;
  }
  return v;
}

/**
 * Prints rows as left-aligned columns, each as wide as its widest cell plus two spaces, so
 * that a long value (a SIP address) never runs into the next column.
 */
void printTable(std::ostream& out, const std::vector<std::vector<std::string>>& rows) {
  std::vector<std::size_t> widths;
  for (const auto& row : rows) {
    widths.resize(std::max(widths.size(), row.size()));
    for (std::size_t i = 0; i < row.size(); ++i) {
      widths[i] = std::max(widths[i], row[i].size());
    }
  }
  for (const auto& row : rows) {
    std::string text;
    for (std::size_t i = 0; i < row.size(); ++i) {
      text += row[i];
      if (i + 1 < row.size()) {
        text.append(widths[i] + 2 - row[i].size(), ' ');
      }
    }
    out << text << "\n";
  }
}

std::string lastState(const tapi::CallRecord& r) {
  return r.states.empty() ? "-" : tapi::toString(r.states.back().state);
}

std::string clockNow() {
  return tapi::cdr::formatTime(tapi::WallTime(std::chrono::system_clock::now().time_since_epoch()))
      .substr(11, 12);
}

std::string describeMessage(const tapi::Message& m) {
  std::ostringstream o;
  o << tapi::toString(m.type);
  switch (m.type) {
    case tapi::MessageType::CallState:
      o << " " << tapi::toString(static_cast<tapi::CallState>(m.param1));
      if (m.param1 == static_cast<std::uint32_t>(tapi::CallState::Disconnected)) {
        o << " " << tapi::disconnectModeName(m.param2);
      }
      break;
    case tapi::MessageType::Reply:
      o << " request " << m.param1 << " "
        << (m.param2 == 0 ? std::string("ok")
                          : std::string(tapi::lineErrName(static_cast<tapi::LineErr>(m.param2))));
      break;
    case tapi::MessageType::AppNewCall:
      o << " h=" << m.param2 << " " << tapi::toString(static_cast<tapi::Privilege>(m.param3));
      break;
    case tapi::MessageType::CallInfo: {
      std::ostringstream hex;
      hex << "0x" << std::hex << m.param1;
      o << " " << hex.str();
      break;
    }
    case tapi::MessageType::Close:
      break;
  }
  return o.str();
}

/** The call handle a message is about (0 if none). */
std::uint32_t callOf(const tapi::Message& m) {
  switch (m.type) {
    case tapi::MessageType::CallState:
    case tapi::MessageType::CallInfo:
      return m.hDevice;
    case tapi::MessageType::AppNewCall:
      return m.param2;
    case tapi::MessageType::Reply:
    case tapi::MessageType::Close:
      return 0;
  }
  return 0;
}

/**
 * One application and its loop: messages, timers, stdin lines and the stop flag, until
 * finish() is called or the user interrupts.
 */
class Session {
 public:
  explicit Session(Context& ctx) : ctx_(ctx) {}

  /** Initializes the app; prints why not and returns false on failure. */
  bool start(std::shared_ptr<tapi::Runtime> rt, const std::string& name) {
    auto waker = ctx_.waker;
    auto app =
        tapi::App::initialize(std::move(rt), {.name = name, .notify = [waker] { waker->wake(); }});
    if (!app) {
      failWith(ctx_, "lineInitialize", app.error());
      return false;
    }
    app_ = std::move(*app);
    return true;
  }

  tapi::App& app() { return app_; }

  /** Opens `device` (or every line if nullopt); prints errors. */
  bool openLines(std::optional<std::uint32_t> device, std::uint32_t privileges) {
    std::vector<std::uint32_t> ids;
    if (device) {
      ids.push_back(*device);
    } else {
      for (const auto& l : app_.lines()) {
        ids.push_back(l.deviceId);
      }
    }
    for (std::uint32_t id : ids) {
      auto line = app_.open(id, privileges);
      if (!line) {
        failWith(ctx_, "lineOpen " + std::to_string(id), line.error());
        return false;
      }
      lines_.push_back(std::move(*line));
    }
    return !lines_.empty();
  }

  std::vector<tapi::Line>& lines() { return lines_; }

  void after(std::chrono::milliseconds d, std::function<void()> f) {
    timers_.emplace(Clock::now() + d, std::move(f));
  }

  void finish(int rc) {
    done_ = true;
    rc_ = rc;
  }

  /**
   * Runs until finish() or the stop flag. `onMessage` sees every message; `onInput` every
   * stdin line (if given); `onStop` runs once when interrupted and may keep the loop going
   * (to drop calls) until finish() or `stopBound`.
   */
  int run(const std::function<void(const tapi::Message&)>& onMessage,
          const std::function<void(const std::string&)>& onInput = {},
          const std::function<void()>& onStop = {}) {
    std::optional<Clock::time_point> stopDeadline;
    while (!done_) {
      const std::uint64_t seen = ctx_.waker->generation();
      if (ctx_.stop && !stopDeadline) {
        stopDeadline = Clock::now() + 5s;
        if (onStop) {
          onStop();
        } else {
          finish(kOk);
          break;
        }
      }
      if (stopDeadline && Clock::now() >= *stopDeadline) {
        finish(kOk);
        break;
      }
      bool progressed = false;
      while (auto m = app_.nextMessage()) {
        if (m->type == tapi::kLineDevStateMessage && m->param1 == tapi::linedevstate::Reinit) {
          // The connection to tapid is gone (the LINE_CLOSEs for our lines came first).
          *ctx_.out << std::flush;
          *ctx_.err << "tapictl: lost the connection to tapid at " << ctx_.server << "\n";
          finish(kUnreachable);
          return rc_;
        }
        onMessage(*m);
        progressed = true;
        if (done_) {
          return rc_;
        }
        if (m->type == tapi::MessageType::Close) {
          ++closedLines_;
        }
      }
      if (!lines_.empty() && closedLines_ >= lines_.size()) {
        // The server closed every line this command uses (it is shutting down). Checked
        // once the queue is drained, so a lost connection's REINIT behind the LINE_CLOSEs
        // is reported as such.
        *ctx_.err << "tapictl: the server closed the line\n";
        finish(kFailed);
        return rc_;
      }
      if (onInput) {
        std::vector<std::string> lines;
        {
          std::lock_guard lock(ctx_.inputMutex);
          lines.swap(ctx_.input);
        }
        for (const auto& l : lines) {
          onInput(l);
          progressed = true;
        }
      }
      while (!timers_.empty() && timers_.begin()->first <= Clock::now()) {
        auto f = std::move(timers_.begin()->second);
        timers_.erase(timers_.begin());
        f();
        progressed = true;
      }
      if (done_ || progressed) {
        continue;
      }
      auto deadline = Clock::now() + 1h;
      if (!timers_.empty()) {
        deadline = std::min(deadline, timers_.begin()->first);
      }
      if (stopDeadline) {
        deadline = std::min(deadline, *stopDeadline);
      }
      ctx_.waker->waitUntil(seen, deadline);
    }
    return rc_;
  }

 private:
  Context& ctx_;
  tapi::App app_;
  std::vector<tapi::Line> lines_;
  std::size_t closedLines_ = 0;
  std::multimap<Clock::time_point, std::function<void()>> timers_;
  bool done_ = false;
  int rc_ = kOk;
};

std::optional<std::uint32_t> lineArg(Context& ctx, const Args& a, const char* name = "line") {
  if (!a.has(name)) {
    return std::nullopt;
  }
  auto v = parseU32(a.get(name));
  if (!v) {
    *ctx.err << "tapictl: --" << name << " wants a device id\n";
  }
  return v;
}

bool durationArg(Context& ctx, const Args& a, const char* name,
                 std::optional<std::chrono::milliseconds>& out) {
  if (!a.has(name)) {
    return true;
  }
  out = parseDuration(a.get(name));
  if (!out) {
    *ctx.err << "tapictl: --" << name << ": not a duration (e.g. 500ms, 3s, 2m)\n";
    return false;
  }
  return true;
}

void printRecordEnd(Context& ctx, const tapi::CallRecord& r) {
  if (ctx.json) {
    *ctx.out << tapi::cdr::toJson(r) << "\n";
    return;
  }
  *ctx.out << "call " << r.callId << " ended: " << tapi::disconnectModeName(r.disconnectMode)
           << ", origin " << tapi::toString(r.termination.origin);
  if (r.termination.policy != tapi::Policy::None) {
    *ctx.out << " (" << tapi::toString(r.termination.policy) << ")";
  }
  // A local drop of a connected call goes straight to IDLE (no DISCONNECTED).
  if (const auto end = r.disconnectedAt ? r.disconnectedAt : r.idleAt; r.connectedAt && end) {
    const auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(*end - *r.connectedAt);
    *ctx.out << ", connected " << std::fixed << std::setprecision(1)
             << static_cast<double>(ms.count()) / 1000.0 << " s";
  }
  if (!r.uuiReceived.empty()) {
    *ctx.out << ", uui received \"" << r.uuiReceived << "\"";
  }
  *ctx.out << "\n";
}

/** Finds the call with `callId` on the session's lines and makes this app an owner of it. */
tapi::Call takeOver(Context& ctx, Session& s, std::uint32_t callId) {
  for (auto& line : s.lines()) {
    auto calls = line.getNewCalls();
    if (!calls) {
      continue;
    }
    for (auto& c : *calls) {
      auto info = c.info();
      if (info && info->callId == callId) {
        if (auto r = c.setPrivilege(tapi::Privilege::Owner); !r) {
          failWith(ctx, "lineSetCallPrivilege", r.error());
          return {};
        }
        return std::move(c);
      }
    }
  }
  *ctx.err << "tapictl: no call " << callId
           << " on the lines (see `tapictl calls`; ended calls cannot be taken over)\n";
  return {};
}

// ----------------------------------------------------------------------------- commands

int cmdLines(Context& ctx, const Args&) {
  auto rt = ctx.connect();
  if (!rt) {
    return kUnreachable;
  }
  const auto lines = rt->lines();
  if (ctx.json) {
    *ctx.out << "[";
    for (std::size_t i = 0; i < lines.size(); ++i) {
      const auto& l = lines[i];
      *ctx.out << (i ? "," : "") << "{\"deviceId\":" << l.deviceId << ",\"name\":\""
               << tapi::cdr::jsonEscape(l.name) << "\",\"address\":\""
               << tapi::cdr::jsonEscape(l.address) << "\",\"devCapFlags\":" << l.devCapFlags
               << ",\"maxUserUserInfo\":" << l.maxUserUserInfo << "}";
    }
    *ctx.out << "]\n";
    return kOk;
  }
  std::vector<std::vector<std::string>> rows = {{"DEVICE", "NAME", "ADDRESS", "MAX-UUI"}};
  for (const auto& l : lines) {
    rows.push_back(
        {std::to_string(l.deviceId), l.name, l.address, std::to_string(l.maxUserUserInfo)});
  }
  printTable(*ctx.out, rows);
  return kOk;
}

int cmdCalls(Context& ctx, const Args&) {
  auto rt = ctx.connect();
  if (!rt) {
    return kUnreachable;
  }
  auto calls = rt->calls();
  if (!calls) {
    return failWith(ctx, "tapidCalls", calls.error());
  }
  if (ctx.json) {
    *ctx.out << "[";
    for (std::size_t i = 0; i < calls->size(); ++i) {
      *ctx.out << (i ? "," : "") << tapi::cdr::toJson((*calls)[i]);
    }
    *ctx.out << "]\n";
    return kOk;
  }
  std::vector<std::vector<std::string>> rows = {
      {"CALLID", "LINE", "DIR", "STATE", "CALLER", "CALLED", "OWNERS", "MONITORS", "APP"}};
  for (const auto& r : *calls) {
    rows.push_back({std::to_string(r.callId), std::to_string(r.lineDeviceId),
                    r.origin == tapi::callorigin::Outbound ? "outbound" : "inbound", lastState(r),
                    r.caller.number, r.called.number, std::to_string(r.numOwners),
                    std::to_string(r.numMonitors), r.appName});
  }
  printTable(*ctx.out, rows);
  if (calls->empty()) {
    *ctx.out << "(no calls)\n";
  }
  return kOk;
}

int cmdStats(Context& ctx, const Args&) {
  auto rt = ctx.connect();
  if (!rt) {
    return kUnreachable;
  }
  auto c = rt->counters();
  if (!c) {
    return failWith(ctx, "tapidStats", c.error());
  }
  if (ctx.json) {
    *ctx.out << "{";
    for (std::size_t i = 0; i < c->size(); ++i) {
      *ctx.out << (i ? "," : "") << "\"" << (*c)[i].first << "\":" << (*c)[i].second;
    }
    *ctx.out << "}\n";
    return kOk;
  }
  for (const auto& [name, value] : *c) {
    *ctx.out << std::left << std::setw(26) << name << value << "\n";
  }
  return kOk;
}

int cmdInfo(Context& ctx, const Args& a) {
  auto id = parseU32(a.get("CALLID"));
  if (!id) {
    *ctx.err << "tapictl: info wants a call id (handles belong to the app that holds them: "
                "use `info HANDLE` inside `tapictl watch`)\n";
    return kUsage;
  }
  auto rt = ctx.connect();
  if (!rt) {
    return kUnreachable;
  }
  auto rec = rt->callRecord(*id);
  if (!rec) {
    return failWith(ctx, "tapidCallRecord " + std::to_string(*id), rec.error());
  }
  *ctx.out << tapi::cdr::toJson(*rec) << "\n";
  return kOk;
}

int cmdInbound(Context& ctx, const Args& a) {
  auto rt = ctx.connect();
  if (!rt) {
    return kUnreachable;
  }
  tapi::InboundCall in;
  in.deviceId = lineArg(ctx, a).value_or(0);
  in.caller = a.get("caller", "555");
  in.callerName = a.get("name");
  in.script = a.get("script");
  auto r = rt->placeInbound(in);
  if (!r) {
    return failWith(ctx, "simPlaceInbound", r.error());
  }
  if (ctx.json) {
    *ctx.out << "{\"callId\":" << *r << "}\n";
  } else {
    *ctx.out << "call " << *r << " offered on line " << in.deviceId << "\n";
  }
  return kOk;
}

int cmdCall(Context& ctx, const Args& a) {
  std::optional<std::chrono::milliseconds> hangupAfter;
  if (!durationArg(ctx, a, "hangup-after", hangupAfter)) {
    return kUsage;
  }
  const std::uint32_t device = lineArg(ctx, a).value_or(0);
  const bool wait = a.has("wait") || hangupAfter.has_value();
  auto rt = ctx.connect();
  if (!rt) {
    return kUnreachable;
  }
  Session s(ctx);
  if (!s.start(rt, "tapictl-call") ||
      !s.openLines(device, static_cast<std::uint32_t>(tapi::Privilege::Owner))) {
    return kFailed;
  }
  auto made = s.lines().front().makeCall(a.get("URI"), {.userUserInfo = a.get("uui")});
  if (!made) {
    return failWith(ctx, "lineMakeCall", made.error());
  }
  tapi::Call call = std::move(made->call);
  const std::uint32_t requestId = made->requestId;
  std::uint32_t callId = 0;
  bool dropping = false;
  auto dropNow = [&] {
    if (!dropping && call) {
      dropping = true;
      (void)call.drop(tapi::disconnect::Normal);
    }
  };
  return s.run(
      [&](const tapi::Message& m) {
        if (m.type == tapi::MessageType::Reply && m.param1 == requestId) {
          if (m.param2 != 0) {
            *ctx.err << "tapictl: call failed: "
                     << tapi::lineErrName(static_cast<tapi::LineErr>(m.param2)) << "\n";
            s.finish(kFailed);
            return;
          }
          if (auto info = call.info()) {
            callId = info->callId;
          }
          if (ctx.json) {
            *ctx.out << "{\"event\":\"placed\",\"callId\":" << callId
                     << ",\"hCall\":" << call.handle() << "}\n";
          } else {
            *ctx.out << "call " << callId << " placed (handle " << call.handle() << ")\n";
          }
          if (!wait) {
            s.finish(kOk);  // leaving: the server ends the call as for an app shutdown
          }
          return;
        }
        if (m.type != tapi::MessageType::CallState || m.hDevice != call.handle()) {
          return;
        }
        const auto state = static_cast<tapi::CallState>(m.param1);
        if (!ctx.json) {
          // Flushed: scripts (and tests) follow the call's progress through a pipe.
          *ctx.out << clockNow() << " call " << callId << " " << describeMessage(m).substr(15)
                   << std::endl;
        }
        if (state == tapi::CallState::Connected && hangupAfter) {
          s.after(*hangupAfter, dropNow);
        } else if (state == tapi::CallState::Disconnected) {
          dropNow();  // the far end hung up: go to IDLE
        } else if (state == tapi::CallState::Idle) {
          if (auto info = call.info()) {
            printRecordEnd(ctx, *info);
          }
          (void)call.deallocate();
          s.finish(kOk);
        }
      },
      {}, dropNow);
}

int cmdAnswerOrDrop(Context& ctx, const Args& a, bool answer) {
  auto id = parseU32(a.get("CALLID"));
  if (!id) {
    *ctx.err << "tapictl: wants a call id from `tapictl calls` (a HANDLE only means something "
                "inside the `tapictl watch` session that holds it)\n";
    return kUsage;
  }
  std::optional<std::chrono::milliseconds> hangupAfter;
  if (!durationArg(ctx, a, "hangup-after", hangupAfter)) {
    return kUsage;
  }
  std::uint32_t mode = 0;
  if (a.has("mode")) {
    auto m = parseMode(a.get("mode"));
    if (!m) {
      *ctx.err << "tapictl: --mode: not a disconnect mode (NORMAL, BUSY, REJECT, 0x20...)\n";
      return kUsage;
    }
    mode = *m;
  }
  auto rt = ctx.connect();
  if (!rt) {
    return kUnreachable;
  }
  Session s(ctx);
  if (!s.start(rt, answer ? "tapictl-answer" : "tapictl-drop") ||
      !s.openLines(lineArg(ctx, a), static_cast<std::uint32_t>(tapi::Privilege::Monitor))) {
    return kFailed;
  }
  tapi::Call call = takeOver(ctx, s, *id);
  if (!call) {
    return kFailed;
  }
  auto req = answer ? call.answer(a.get("uui")) : call.drop(mode, a.get("uui"));
  if (!req) {
    return failWith(ctx, answer ? "lineAnswer" : "lineDrop", req.error());
  }
  bool dropping = !answer;
  auto dropNow = [&] {
    if (!dropping) {
      dropping = true;
      (void)call.drop(tapi::disconnect::Normal);
    }
  };
  const std::uint32_t requestId = *req;
  return s.run(
      [&](const tapi::Message& m) {
        if (m.type == tapi::MessageType::Reply && m.param1 == requestId && m.param2 != 0) {
          *ctx.err << "tapictl: " << (answer ? "answer" : "drop")
                   << " failed: " << tapi::lineErrName(static_cast<tapi::LineErr>(m.param2))
                   << "\n";
          s.finish(kFailed);
          return;
        }
        if (m.type != tapi::MessageType::CallState || m.hDevice != call.handle()) {
          return;
        }
        const auto state = static_cast<tapi::CallState>(m.param1);
        if (!ctx.json) {
          *ctx.out << clockNow() << " call " << *id << " " << describeMessage(m).substr(15)
                   << std::endl;
        }
        if (state == tapi::CallState::Connected && hangupAfter) {
          s.after(*hangupAfter, dropNow);
        } else if (state == tapi::CallState::Disconnected) {
          dropNow();
        } else if (state == tapi::CallState::Idle) {
          if (auto info = call.info()) {
            printRecordEnd(ctx, *info);
          }
          (void)call.deallocate();
          s.finish(kOk);
        }
      },
      {}, dropNow);
}

int cmdAnswer(Context& ctx, const Args& a) {
  return cmdAnswerOrDrop(ctx, a, true);
}
int cmdDrop(Context& ctx, const Args& a) {
  return cmdAnswerOrDrop(ctx, a, false);
}

int cmdDealloc(Context& ctx, const Args&) {
  *ctx.err << "tapictl: a call handle belongs to the application that received it, and a new "
              "tapictl process is a new application: release handles with `dealloc HANDLE` "
              "inside `tapictl watch`, or let the holding app exit\n";
  return kUsage;
}

int cmdWatch(Context& ctx, const Args& a) {
  auto rt = ctx.connect();
  if (!rt) {
    return kUnreachable;
  }
  Session s(ctx);
  if (!s.start(rt, "tapictl-watch") ||
      !s.openLines(lineArg(ctx, a), static_cast<std::uint32_t>(tapi::Privilege::Monitor))) {
    return kFailed;
  }
  struct Known {
    tapi::Call call;
    std::uint32_t callId = 0;
    std::uint32_t line = 0;
  };
  std::map<std::uint32_t, Known> calls;  // by hCall
  std::map<std::uint32_t, std::uint32_t> lineOfHandle;
  for (auto& l : s.lines()) {
    lineOfHandle[l.handle()] = l.deviceId();
  }
  const bool keep = a.has("keep");
  auto learn = [&](std::uint32_t hCall, std::uint32_t line) -> Known& {
    auto it = calls.find(hCall);
    if (it == calls.end()) {
      Known k;
      k.call = s.app().adopt(hCall);
      k.line = line;
      if (auto info = k.call.info()) {
        k.callId = info->callId;
        k.line = info->lineDeviceId;
      }
      it = calls.emplace(hCall, std::move(k)).first;
    }
    return it->second;
  };
  if (!ctx.json) {
    *ctx.out << "watching " << s.lines().size() << " line(s) on " << ctx.server
             << " (type `help` for commands, Ctrl-C to stop)\n"
             << std::flush;
  }
  auto onMessage = [&](const tapi::Message& m) {
    std::uint32_t h = callOf(m);
    std::uint32_t line = 0;
    if (m.type == tapi::MessageType::AppNewCall) {
      line = lineOfHandle.contains(m.hDevice) ? lineOfHandle[m.hDevice] : 0;
    }
    Known* k = h != 0 ? &learn(h, line) : nullptr;
    if (ctx.json) {
      *ctx.out << "{\"event\":\"" << tapi::toString(m.type) << "\",\"hDevice\":" << m.hDevice
               << ",\"param1\":" << m.param1 << ",\"param2\":" << m.param2
               << ",\"param3\":" << m.param3;
      if (k != nullptr) {
        *ctx.out << ",\"hCall\":" << h << ",\"callId\":" << k->callId << ",\"line\":" << k->line;
      }
      if (m.type == tapi::MessageType::CallState) {
        *ctx.out << ",\"state\":\"" << tapi::toString(static_cast<tapi::CallState>(m.param1))
                 << "\",\"mode\":\"" << tapi::disconnectModeName(m.param2) << "\"";
      }
      *ctx.out << "}\n";
    } else {
      *ctx.out << clockNow();
      if (k != nullptr) {
        *ctx.out << " line " << k->line << " call " << k->callId << " h=" << h;
      }
      *ctx.out << " " << describeMessage(m) << "\n";
    }
    if (k != nullptr && m.type == tapi::MessageType::CallState &&
        m.param1 == static_cast<std::uint32_t>(tapi::CallState::Idle)) {
      if (a.has("records")) {
        if (auto info = k->call.info()) {
          *ctx.out << tapi::cdr::toJson(*info) << "\n";
        }
      }
      if (!keep) {
        calls.erase(h);  // releases this monitor's handle
      }
    }
    *ctx.out << std::flush;
  };
  auto onInput = [&](const std::string& lineText) {
    std::istringstream in(lineText);
    std::string verb;
    std::string arg;
    std::string extra;
    in >> verb >> arg >> extra;
    if (verb.empty()) {
      return;
    }
    if (verb == "help") {
      *ctx.out << "commands: answer H | drop H [MODE] | dealloc H | info H | calls | quit\n";
      return;
    }
    if (verb == "quit" || verb == "exit") {
      s.finish(kOk);
      return;
    }
    if (verb == "calls") {
      for (const auto& [h, k] : calls) {
        *ctx.out << "h=" << h << " call " << k.callId << " line " << k.line << "\n";
      }
      return;
    }
    auto h = parseU32(arg);
    auto it = h ? calls.find(*h) : calls.end();
    if (it == calls.end()) {
      *ctx.out << "no handle " << arg << " in this session (see `calls`)\n";
      return;
    }
    tapi::Call& c = it->second.call;
    if (verb == "info") {
      auto info = c.info();
      *ctx.out << (info ? tapi::cdr::toJson(*info) : errText(info.error())) << "\n";
    } else if (verb == "answer" || verb == "drop") {
      if (auto st = c.status(); st && st->privilege != tapi::Privilege::Owner) {
        if (auto r = c.setPrivilege(tapi::Privilege::Owner); !r) {
          *ctx.out << "lineSetCallPrivilege: " << errText(r.error()) << "\n";
          return;
        }
      }
      std::uint32_t mode = 0;
      if (!extra.empty()) {
        mode = parseMode(extra).value_or(0);
      }
      auto r = verb == "answer" ? c.answer() : c.drop(mode);
      *ctx.out << verb << ": " << (r ? "request " + std::to_string(*r) : errText(r.error()))
               << "\n";
    } else if (verb == "dealloc") {
      auto r = c.deallocate();
      *ctx.out << "dealloc: " << (r ? std::string("released") : errText(r.error())) << "\n";
      if (r) {
        calls.erase(it);
      }
    } else {
      *ctx.out << "unknown command " << verb << " (try help)\n";
    }
    *ctx.out << std::flush;
  };
  return s.run(onMessage, onInput, [&] { s.finish(kOk); });
}

int cmdAutoanswer(Context& ctx, const Args& a) {
  std::optional<std::chrono::milliseconds> afterD;
  std::optional<std::chrono::milliseconds> hangupAfter;
  if (!durationArg(ctx, a, "after", afterD) || !durationArg(ctx, a, "hangup-after", hangupAfter)) {
    return kUsage;
  }
  std::optional<std::uint32_t> rejectMode;
  if (a.has("reject")) {
    rejectMode = parseMode(a.get("reject"));
    if (!rejectMode) {
      *ctx.err << "tapictl: --reject: not a disconnect mode (REJECT, BUSY, NOANSWER...)\n";
      return kUsage;
    }
  }
  std::uint32_t count = 0;
  if (a.has("count")) {
    auto c = parseU32(a.get("count"));
    if (!c) {
      *ctx.err << "tapictl: --count wants a number\n";
      return kUsage;
    }
    count = *c;
  }
  auto rt = ctx.connect();
  if (!rt) {
    return kUnreachable;
  }
  Session s(ctx);
  if (!s.start(rt, "tapictl-autoanswer") ||
      !s.openLines(lineArg(ctx, a), static_cast<std::uint32_t>(tapi::Privilege::Owner))) {
    return kFailed;
  }
  std::map<std::uint32_t, tapi::Call> calls;
  std::uint32_t handled = 0;
  // A readiness line, so scripts can offer calls only once the lines are open.
  if (ctx.json) {
    *ctx.out << "{\"event\":\"ready\",\"lines\":" << s.lines().size() << "}\n" << std::flush;
  } else {
    *ctx.out << (rejectMode ? "rejecting" : "answering") << " calls on " << s.lines().size()
             << " line(s)" << (count ? " (" + std::to_string(count) + " calls)" : std::string())
             << "\n"
             << std::flush;
  }
  auto dropIfLive = [&](std::uint32_t h, std::uint32_t mode) {
    auto it = calls.find(h);
    if (it != calls.end()) {
      (void)it->second.drop(mode);
    }
  };
  auto onMessage = [&](const tapi::Message& m) {
    if (m.type == tapi::MessageType::AppNewCall) {
      const std::uint32_t h = m.param2;
      calls.emplace(h, s.app().adopt(h));
      if (m.param3 != static_cast<std::uint32_t>(tapi::Privilege::Owner)) {
        return;  // a call this app only monitors: released when it goes idle
      }
      auto act = [&, h] {
        if (rejectMode) {
          dropIfLive(h, *rejectMode);
        } else if (auto it = calls.find(h); it != calls.end()) {
          (void)it->second.answer();
        }
      };
      s.after(afterD.value_or(0ms), act);
      return;
    }
    if (m.type != tapi::MessageType::CallState || !calls.contains(m.hDevice)) {
      return;
    }
    const std::uint32_t h = m.hDevice;
    const auto state = static_cast<tapi::CallState>(m.param1);
    if (state == tapi::CallState::Connected && hangupAfter) {
      s.after(*hangupAfter, [&, h] { dropIfLive(h, tapi::disconnect::Normal); });
    } else if (state == tapi::CallState::Disconnected) {
      dropIfLive(h, tapi::disconnect::Normal);
    } else if (state == tapi::CallState::Idle) {
      if (auto info = calls[h].info()) {
        printRecordEnd(ctx, *info);
      }
      calls.erase(h);
      ++handled;
      *ctx.out << std::flush;
      if (count != 0 && handled >= count) {
        s.finish(kOk);
      }
    }
  };
  return s.run(onMessage, {}, [&] {
    if (calls.empty()) {
      s.finish(kOk);
      return;
    }
    for (auto& [h, c] : calls) {
      (void)c.drop(tapi::disconnect::Normal);
    }
    count = handled + static_cast<std::uint32_t>(calls.size());
  });
}

}  // namespace

const std::vector<Command>& commands() {
  static const std::vector<Command> table = {
      {"lines", "List the line devices the server offers.", {}, {}, cmdLines},
      {"calls", "List calls not yet released, with their state and holders.", {}, {}, cmdCalls},
      {"call",
       "Place a call from a line as a new app. Without --wait it returns once the call is "
       "placed, and the call then ends (origin app-shutdown) unless another app owns it.",
       {{"URI", "destination (number, SIP URI or sim:... script)"}},
       {{"line", "line device id", false, "0"},
        {"hangup-after", "drop this long after it connects (implies --wait)"},
        {"uui", "user-user info sent with the call"},
        {"wait", "stay until the call ends, then print its record", true}},
       cmdCall},
      {"answer",
       "Answer an offered call as a new app (takes ownership, stays until the call ends).",
       {{"CALLID", "call id from `tapictl calls` or `watch`"}},
       {{"line", "look on this line only"},
        {"hangup-after", "drop this long after it connects"},
        {"uui", "user-user info sent with the answer"}},
       cmdAnswer},
      {"drop",
       "Drop a call as a new app (takes ownership, waits until it is idle).",
       {{"CALLID", "call id from `tapictl calls` or `watch`"}},
       {{"line", "look on this line only"},
        {"mode", "disconnect mode (NORMAL, BUSY, REJECT, ...)"},
        {"uui", "user-user info sent with the drop"}},
       cmdDrop},
      {"dealloc",
       "Release a call handle: only inside `watch`, since a handle belongs to its app.",
       {{"HANDLE", "call handle"}},
       {},
       cmdDealloc},
      {"info",
       "Print a call's post-connection data as JSON (live or ended since start).",
       {{"CALLID", "call id"}},
       {},
       cmdInfo},
      {"watch",
       "Monitor every line and print live events; reads commands on stdin "
       "(answer H, drop H [MODE], dealloc H, info H, calls, quit).",
       {},
       {{"line", "watch this line only"},
        {"records", "print each call's record when it goes idle", true},
        {"keep", "keep handles of idle calls (release them with dealloc)", true}},
       cmdWatch},
      {"stats", "Print the server's resource counters.", {}, {}, cmdStats},
      {"autoanswer",
       "Run an app that answers (or rejects) incoming calls and releases them.",
       {},
       {{"line", "serve this line only (default: every line)"},
        {"after", "answer or reject this long after the offer", false, "0"},
        {"hangup-after", "drop this long after connecting"},
        {"reject", "reject with this disconnect mode instead of answering"},
        {"count", "exit after this many calls (default: run until interrupted)"}},
       cmdAutoanswer},
      {"inbound",
       "Have the simulated network offer a call on a line (simulated lines only).",
       {},
       {{"line", "line device id", false, "0"},
        {"caller", "calling number", false, "555"},
        {"name", "calling name"},
        {"script", "far end script, e.g. sim:cancel=3s"}},
       cmdInbound},
  };
  return table;
}

}  // namespace tapictl
