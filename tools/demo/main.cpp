// opentapi-demo: runs scripted calls on the simulated network and prints what two
// applications — a dialer that owns calls and a logger that monitors them — receive, then
// each call's post-connection data and the engine's resource counters.

#include <chrono>
#include <cstdio>
#include <string>
#include <vector>

#include <tapi/tapi.hpp>

#include "cdr/record_json.hpp"
#include "client/simulation.hpp"
#include "providers/sim/sim_provider.hpp"

namespace {

using namespace std::chrono_literals;
using tapi::providers::sim::Action;

struct Demo {
  std::shared_ptr<tapi::Runtime> rt;
  tapi::App dialer;
  tapi::App logger;
  std::chrono::milliseconds now{0};
  std::vector<tapi::Call> loggerCalls;
  std::vector<tapi::CallRecord> records;

  static std::string describe(const tapi::Message& m) {
    std::string s = tapi::toString(m.type);
    switch (m.type) {
      case tapi::MessageType::CallState:
        s += std::string(" ") + tapi::toString(static_cast<tapi::CallState>(m.param1));
        if (m.param1 == static_cast<std::uint32_t>(tapi::CallState::Disconnected)) {
          s += " mode=" + tapi::disconnectModeName(m.param2);
        }
        if (m.param3 != 0) {
          s += std::string(" privilege=") + tapi::toString(static_cast<tapi::Privilege>(m.param3));
        }
        s += " hCall=" + std::to_string(m.hDevice);
        break;
      case tapi::MessageType::Reply:
        s += " request=" + std::to_string(m.param1) +
             (m.param2 == 0
                  ? " ok"
                  : std::string(" ") + tapi::lineErrName(static_cast<tapi::LineErr>(m.param2)));
        break;
      case tapi::MessageType::AppNewCall:
        s += " hCall=" + std::to_string(m.param2) +
             " privilege=" + tapi::toString(static_cast<tapi::Privilege>(m.param3));
        break;
      case tapi::MessageType::CallInfo:
        s += " hCall=" + std::to_string(m.hDevice) + " changed=0x" + [&] {
          char b[12];
          std::snprintf(b, sizeof b, "%X", m.param1);
          return std::string(b);
        }();
        break;
      case tapi::MessageType::Close:
        s += " hLine=" + std::to_string(m.hDevice);
        break;
    }
    return s;
  }

  void pump(const char* name, tapi::App& app, bool adoptNewCalls) {
    while (auto m = app.nextMessage()) {
      std::printf("  t=%6.3fs  %-7s %s\n", now.count() / 1000.0, name, describe(*m).c_str());
      if (adoptNewCalls && m->type == tapi::MessageType::AppNewCall) {
        loggerCalls.push_back(app.adopt(m->param2));
      }
      if (adoptNewCalls && m->type == tapi::MessageType::CallState &&
          m->param1 == static_cast<std::uint32_t>(tapi::CallState::Idle)) {
        // The logger's job: read the post-connection data at IDLE, then release the handle.
        for (auto it = loggerCalls.begin(); it != loggerCalls.end(); ++it) {
          if (it->handle() == m->hDevice) {
            if (auto info = it->info()) {
              std::printf("  logger  post-connection data: %s\n", tapi::cdr::toJson(*info).c_str());
            }
            loggerCalls.erase(it);
            break;
          }
        }
      }
    }
  }

  void run(std::chrono::milliseconds d) {
    const auto step = 250ms;
    for (auto t = 0ms; t < d; t += step) {
      rt->advance(std::min(step, d - t));
      now += std::min(step, d - t);
      pump("dialer", dialer, false);
      pump("logger", logger, true);
    }
  }
};

}  // namespace

int main() {
  Demo demo;
  demo.rt = tapi::Runtime::embedded(tapi::EngineOptions{
      .simulatedLines = 1,
      .simulatedClock = true,
      .noAnswerTimeout = 15s,
      .onCallReleased = [&](const tapi::CallRecord& r) { demo.records.push_back(r); }});
  auto* net = &demo.rt->simulation()->provider();
  net->scriptDestination("200", tapi::providers::sim::answerAfter(2s));
  net->scriptDestination(
      "201", tapi::providers::sim::answerAfter(1s, 4s, tapi::disconnect::Normal, "see you"));
  tapi::providers::sim::Script busy;
  busy.steps = {{0ms, Action::Dialing}, {500ms, Action::Busy}};
  net->scriptDestination("486", busy);
  net->scriptDestination("ring", tapi::providers::sim::ringForever());

  demo.dialer = tapi::App::initialize(demo.rt, {.name = "dialer"}).value();
  demo.logger = tapi::App::initialize(demo.rt, {.name = "logger"}).value();
  auto line = demo.dialer.open(0, tapi::Privilege::Owner).value();
  auto mon = demo.logger.open(0, tapi::Privilege::Monitor).value();

  std::printf("OpenTAPI demo: one simulated line, a dialer (owner) and a logger (monitor)\n\n");

  std::printf("1. dialer calls 200, which answers after 2 s; dialer hangs up after 5 s\n");
  auto c1 = line.makeCall("200", {.userUserInfo = "order 1234"}).value();
  demo.run(7s);
  (void)c1.call.drop(0, "thanks");
  demo.run(1s);
  c1.call = tapi::Call{};

  std::printf("\n2. dialer calls 201, which hangs up after 4 s; dialer clears the call\n");
  auto c2 = line.makeCall("201").value();
  demo.run(6s);
  (void)c2.call.drop();
  demo.run(1s);
  c2.call = tapi::Call{};

  std::printf("\n3. dialer calls 486: busy\n");
  auto c3 = line.makeCall("486").value();
  demo.run(2s);
  (void)c3.call.drop();
  demo.run(1s);
  c3.call = tapi::Call{};

  std::printf("\n4. dialer calls 'ring', nobody answers: the no-answer policy ends it at 15 s\n");
  auto c4 = line.makeCall("ring").value();
  demo.run(16s);
  (void)c4.call.drop();
  demo.run(1s);
  c4.call = tapi::Call{};

  std::printf("\n5. an inbound call from 555 rings the line; the caller gives up after 3 s\n");
  tapi::providers::sim::SimProvider::Inbound in;
  in.caller = {"555", "Alice"};
  in.called = {"100", ""};
  in.script.steps = {{3s, Action::RemoteCancel}};
  (void)net->placeInbound(0, in);
  demo.run(4s);

  std::printf("\nreleased calls (final post-connection data, as written to a call record):\n");
  // Shutting down releases every handle still held (here: the dialer's inbound call).
  (void)demo.logger.shutdown();
  (void)demo.dialer.shutdown();
  demo.rt->runUntilIdle();
  for (const auto& r : demo.records) {
    std::printf("%s\n", tapi::cdr::toJson(r).c_str());
  }
  const tapi::EngineStats s = demo.rt->stats();
  std::printf(
      "\nresources after every app shut down: apps=%zu lines=%zu handles=%zu calls=%zu "
      "provider_calls=%zu pending_requests=%zu queued_events=%zu timers=%zu\n",
      s.apps, s.openLines, s.handles, s.calls, s.providerCalls, s.pendingRequests, s.queuedEvents,
      s.timers);
  const auto leaks = demo.rt->leakReport();
  std::printf("leak report: %s\n", leaks.empty() ? "empty" : "NOT EMPTY");
  return leaks.empty() && s.allZero() ? 0 : 1;
}
