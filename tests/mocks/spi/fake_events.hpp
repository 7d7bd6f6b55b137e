#pragma once
// An spi::Events that records everything a provider reports, in one ordered log, so a test
// can check what reached the engine side and in which order (UUI before DISCONNECTED, the
// reply after IDLE, ...). It accepts every new call unless told otherwise.

#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include <tapi/result.hpp>
#include <tapi/types.hpp>

#include "spi/provider.hpp"

namespace tapi::spi::testing {

class FakeEvents final : public Events {
 public:
  /** One report, in arrival order. */
  struct Event {
    enum class Kind : std::uint8_t { NewCall, State, Info, Complete, LineClosed };
    Kind kind = Kind::State;
    EngineCallId call = 0;  ///< NewCall (the id returned), State, Info
    // NewCall
    std::uint32_t deviceId = 0;  ///< also LineClosed
    ProviderCallId hdCall = 0;
    NewCallInfo newCall;
    // State
    CallState state = CallState::Unknown;
    std::uint32_t mode = 0;
    // Info
    CallInfoUpdate info;
    // Complete
    RequestId request = 0;
    Result<void> result;
  };

  // spi::Events
  EngineCallId onNewCall(std::uint32_t deviceId, ProviderCallId hdCall,
                         const NewCallInfo& info) override {
    const EngineCallId ht = refuseNewCalls ? 0 : nextCall_++;
    Event e;
    e.kind = Event::Kind::NewCall;
    e.call = ht;
    e.deviceId = deviceId;
    e.hdCall = hdCall;
    e.newCall = info;
    events.push_back(std::move(e));
    return ht;
  }
  void onCallState(EngineCallId call, CallState state, std::uint32_t mode) override {
    Event e;
    e.kind = Event::Kind::State;
    e.call = call;
    e.state = state;
    e.mode = mode;
    events.push_back(std::move(e));
  }
  void onCallInfo(EngineCallId call, const CallInfoUpdate& update) override {
    Event e;
    e.kind = Event::Kind::Info;
    e.call = call;
    e.info = update;
    events.push_back(std::move(e));
  }
  void onRequestComplete(RequestId id, Result<void> result) override {
    Event e;
    e.kind = Event::Kind::Complete;
    e.request = id;
    e.result = result;
    events.push_back(std::move(e));
  }
  void onLineClosed(std::uint32_t deviceId) override {
    Event e;
    e.kind = Event::Kind::LineClosed;
    e.deviceId = deviceId;
    events.push_back(std::move(e));
  }

  // ---- queries ------------------------------------------------------------------------

  /** The states `call` was reported in, in order. */
  std::vector<CallState> states(EngineCallId call) const {
    std::vector<CallState> out;
    for (const auto& e : events) {
      if (e.kind == Event::Kind::State && e.call == call) {
        out.push_back(e.state);
      }
    }
    return out;
  }
  /** The mode reported with the first `state` of `call`, if it was reported. */
  std::optional<std::uint32_t> modeOf(EngineCallId call, CallState state) const {
    for (const auto& e : events) {
      if (e.kind == Event::Kind::State && e.call == call && e.state == state) {
        return e.mode;
      }
    }
    return std::nullopt;
  }
  /** The modes of every `state` report of `call`, in order. */
  std::vector<std::uint32_t> modes(EngineCallId call, CallState state) const {
    std::vector<std::uint32_t> out;
    for (const auto& e : events) {
      if (e.kind == Event::Kind::State && e.call == call && e.state == state) {
        out.push_back(e.mode);
      }
    }
    return out;
  }
  /** Every info update of `call` merged in order: later fields win, unset ones keep. */
  CallInfoUpdate info(EngineCallId call) const {
    CallInfoUpdate m;
    for (const auto& e : events) {
      if (e.kind != Event::Kind::Info || e.call != call) {
        continue;
      }
      const CallInfoUpdate& u = e.info;
      auto take = [](auto& to, const auto& from) {
        if (from) {
          to = from;
        }
      };
      take(m.callId, u.callId);
      take(m.caller, u.caller);
      take(m.called, u.called);
      take(m.connected, u.connected);
      take(m.userUserInfo, u.userUserInfo);
      take(m.cause, u.cause);
      take(m.endHint, u.endHint);
    }
    return m;
  }
  /** The last cause reported for `call` (post-connection data), if any. */
  std::optional<ProviderCause> cause(EngineCallId call) const { return info(call).cause; }
  /** The completion of request `id`, if it came (a second one is a test failure elsewhere). */
  std::optional<Result<void>> completion(RequestId id) const {
    for (const auto& e : events) {
      if (e.kind == Event::Kind::Complete && e.request == id) {
        return e.result;
      }
    }
    return std::nullopt;
  }
  /** How many completions request `id` got. */
  std::size_t completions(RequestId id) const {
    std::size_t n = 0;
    for (const auto& e : events) {
      n += e.kind == Event::Kind::Complete && e.request == id ? 1 : 0;
    }
    return n;
  }
  /** The new calls announced, in order. */
  std::vector<Event> newCalls() const {
    std::vector<Event> out;
    for (const auto& e : events) {
      if (e.kind == Event::Kind::NewCall) {
        out.push_back(e);
      }
    }
    return out;
  }
  /** Index in `events` of the first event matching `pred`, or events.size(). */
  template <typename Pred>
  std::size_t indexOf(Pred pred) const {
    for (std::size_t i = 0; i < events.size(); ++i) {
      if (pred(events[i])) {
        return i;
      }
    }
    return events.size();
  }

  std::vector<Event> events;
  /** onNewCall returns 0 (the engine refuses the call). */
  bool refuseNewCalls = false;

 private:
  EngineCallId nextCall_ = 1000;
};

}  // namespace tapi::spi::testing
