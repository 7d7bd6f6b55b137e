// Server shutdown and resource accounting: stats, the records of unreleased calls, and the
// leak report.

#include <vector>

#include "engine/detail/engine_impl.hpp"

namespace tapi::engine::detail {

void EngineImpl::shutdownAll() {
  for (CallH ch : calls_.handles()) {
    CallEntry* c = calls_.get(ch);
    if (c != nullptr && !c->released() && c->state != CallState::Idle) {
      recordEnd(*c, terminationFor(ReleaseCause::EngineShutdown, "", false), disconnect::Normal);
    }
  }
  std::vector<OpenH> all = opens_.handles();
  for (OpenH oh : all) {
    if (const LineOpen* o = opens_.get(oh)) {
      sendLineClose(*o);
    }
    closeLineOpen(oh, ReleaseCause::EngineShutdown);
  }
  shutDown_ = true;
}

EngineStats EngineImpl::stats() const {
  EngineStats s;
  s.apps = apps_.size();
  s.openLines = opens_.size();
  apps_.forEach([&](AppH, const App& a) {
    s.handles += a.calls.size();
    s.queuedEvents += a.queue.size();
  });
  s.calls = calls_.size();
  calls_.forEach([&](CallH, const CallEntry& c) { s.timers += c.timers.armed(); });
  s.pendingRequests = requests_.size();
  const spi::ProviderStats ps = provider_.stats();
  s.providerCalls = ps.calls;
  s.providerPendingRequests = ps.pendingRequests;
  s.timers += ps.timers;
  s.reclaimedHandles = reclaimed_;
  s.refusedTransitions = refusedTransitions_;
  return s;
}

std::vector<CallRecord> EngineImpl::callRecords() const {
  std::vector<CallRecord> out;
  calls_.forEach([&](CallH, const CallEntry& c) {
    if (!c.released() && c.announced) {
      out.push_back(c.record);
    }
  });
  return out;
}

std::vector<LeakEntry> EngineImpl::leakReport() const {
  std::vector<LeakEntry> out;
  const base::TimePoint now = loop_.now();
  apps_.forEach([&](AppH, const App& a) {
    out.push_back(LeakEntry{"app", a.name, a.hLineApp, 0, CallState::Unknown, now - a.created});
  });
  opens_.forEach([&](OpenH, const LineOpen& o) {
    const App* a = apps_.get(o.app);
    out.push_back(
        LeakEntry{"line", a != nullptr ? a->name : "", o.hLine, 0, CallState::Unknown, {}});
  });
  calls_.forEach([&](CallH, const CallEntry& c) {
    out.push_back(LeakEntry{"call", "", 0, c.record.callId, c.state, now - c.createdMono});
    for (const Holder& h : c.holders) {
      const App* a = apps_.get(h.app);
      out.push_back(LeakEntry{"handle", a != nullptr ? a->name : "", h.hCall, c.record.callId,
                              c.state, now - c.createdMono});
    }
  });
  for (const auto& [id, r] : requests_) {
    const App* a = apps_.get(r.app);
    out.push_back(LeakEntry{"request", a != nullptr ? a->name : "", id, 0, CallState::Unknown, {}});
  }
  for (const spi::ProviderLeak& l : provider_.leaks()) {
    if (l.count > 0) {
      out.push_back(LeakEntry{l.what, "", 0, 0, CallState::Unknown, {}, l.count});
    }
  }
  return out;
}

}  // namespace tapi::engine::detail
