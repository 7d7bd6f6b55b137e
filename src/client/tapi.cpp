#include <tapi/tapi.hpp>

#include <atomic>
#include <condition_variable>
#include <mutex>

#include "client/embedded_backend.hpp"
#include "client/remote_backend.hpp"
#include "client/runtime_access.hpp"
#include "client/server_address.hpp"
#include "client/simulation.hpp"

namespace tapi {
namespace detail {

/** Wakes waitMessage() when the engine queues a message; shared with the loop's callback. */
struct Signal {
  std::mutex mutex;
  std::condition_variable cv;
  std::uint64_t generation = 0;
  std::function<void()> user;
};

struct AppCore {
  std::shared_ptr<Runtime> runtime;
  std::uint32_t hLineApp = 0;
  std::atomic<bool> alive{true};
  std::shared_ptr<Signal> signal = std::make_shared<Signal>();

  Backend& be() const { return RuntimeAccess::backend(*runtime); }

  Result<void> shutdown() {
    if (!alive.exchange(false)) {
      return LineErr::InvalAppHandle;
    }
    return be().shutdown(hLineApp);
  }
  ~AppCore() { (void)shutdown(); }
};

}  // namespace detail

// ----------------------------------------------------------------------------- Runtime

std::shared_ptr<Runtime> Runtime::embedded(EngineOptions options) {
  return detail::RuntimeAccess::make(std::make_unique<detail::EmbeddedBackend>(std::move(options)));
}

Result<std::shared_ptr<Runtime>> Runtime::connect(const std::string& server,
                                                  const std::string& token) {
  auto address = detail::parseServerAddress(server);
  if (!address) {
    return fail(address.error());
  }
  auto backend = detail::RemoteBackend::connect(std::move(*address), token);
  if (!backend) {
    return fail(backend.error());
  }
  return detail::RuntimeAccess::make(std::move(*backend));
}

Runtime::Runtime(std::unique_ptr<detail::Backend> backend) : backend_(std::move(backend)) {}
Runtime::~Runtime() = default;

std::vector<LineDevice> Runtime::lines() const {
  return backend_->lines();
}
EngineStats Runtime::stats() const {
  return backend_->stats();
}
std::vector<LeakEntry> Runtime::leakReport() const {
  return backend_->leakReport();
}
void Runtime::shutdownEngine() {
  backend_->shutdownEngine();
}
Result<Counters> Runtime::counters() const {
  return backend_->counters();
}
Result<std::vector<CallRecord>> Runtime::calls() const {
  return backend_->calls();
}
Result<CallRecord> Runtime::callRecord(std::uint32_t callId) const {
  return backend_->callRecord(callId);
}
Result<std::uint32_t> Runtime::placeInbound(const InboundCall& call) {
  return backend_->placeInbound(call);
}

bool Runtime::isRemote() const noexcept {
  return detail::RuntimeAccess::embedded(*this) == nullptr;
}
bool Runtime::serverLost() const {
  return backend_->serverLost();
}

void Runtime::runUntilIdle() {
  auto* embedded = detail::RuntimeAccess::embedded(*this);
  if (embedded != nullptr && embedded->simLoop() != nullptr) {
    embedded->simLoop()->runUntilIdle();
  }
}

void Runtime::advance(std::chrono::nanoseconds d) {
  auto* embedded = detail::RuntimeAccess::embedded(*this);
  if (embedded != nullptr && embedded->simLoop() != nullptr) {
    embedded->simLoop()->advance(d);
  }
}

Simulation* Runtime::simulation() const {
  auto* embedded = detail::RuntimeAccess::embedded(*this);
  return embedded != nullptr ? embedded->simulation() : nullptr;
}

// ----------------------------------------------------------------------------- App

Result<App> App::initialize(std::shared_ptr<Runtime> runtime, AppOptions options) {
  if (!runtime) {
    return LineErr::InvalPointer;
  }
  auto core = std::make_shared<detail::AppCore>();
  core->runtime = std::move(runtime);
  core->signal->user = std::move(options.notify);
  std::weak_ptr<detail::Signal> weak = core->signal;
  auto notify = [weak] {
    if (auto sig = weak.lock()) {
      {
        std::lock_guard lock(sig->mutex);
        ++sig->generation;
      }
      sig->cv.notify_all();
      if (sig->user) {
        sig->user();
      }
    }
  };
  auto r = core->be().initialize(options.name, options.apiVersion, std::move(notify));
  if (!r) {
    core->alive = false;
    return fail(r.error());
  }
  core->hLineApp = *r;
  return App(std::move(core));
}

App::App(std::shared_ptr<detail::AppCore> core) : core_(std::move(core)) {}

App::~App() {
  if (core_) {
    (void)core_->shutdown();
  }
}

App& App::operator=(App&& other) noexcept {
  if (this != &other) {
    if (core_) {
      (void)core_->shutdown();
    }
    core_ = std::move(other.core_);
  }
  return *this;
}

std::uint32_t App::handle() const noexcept {
  return core_ ? core_->hLineApp : 0;
}

std::vector<LineDevice> App::lines() const {
  return core_ ? core_->runtime->lines() : std::vector<LineDevice>{};
}

Result<Line> App::open(std::uint32_t deviceId, std::uint32_t privileges, const OpenOptions& o) {
  if (!core_ || !core_->alive) {
    return LineErr::InvalAppHandle;
  }
  auto r = core_->be().open(core_->hLineApp, detail::OpenRequest{deviceId, privileges, o});
  if (!r) {
    return fail(r.error());
  }
  return Line(core_, *r, deviceId);
}

std::optional<Message> App::nextMessage() {
  if (!core_ || !core_->alive) {
    return std::nullopt;
  }
  auto r = core_->be().getMessage(core_->hLineApp);
  return r.ok() ? *r : std::nullopt;
}

std::optional<Message> App::waitMessage(std::chrono::milliseconds timeout) {
  if (!core_) {
    return std::nullopt;
  }
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  auto& sig = *core_->signal;
  for (;;) {
    std::uint64_t seen;
    {
      std::lock_guard lock(sig.mutex);
      seen = sig.generation;
    }
    if (auto m = nextMessage()) {
      return m;
    }
    if (core_->be().neverBlocks() || !core_->alive) {
      return std::nullopt;  // nothing would ever arrive while we wait on a simulated clock
    }
    std::unique_lock lock(sig.mutex);
    if (!sig.cv.wait_until(lock, deadline, [&] { return sig.generation != seen; })) {
      lock.unlock();
      return nextMessage();
    }
  }
}

Call App::adopt(std::uint32_t hCall) {
  return Call(core_, hCall);
}

Result<void> App::shutdown() {
  if (!core_) {
    return LineErr::InvalAppHandle;
  }
  return core_->shutdown();
}

// ----------------------------------------------------------------------------- Line

Line::Line(std::shared_ptr<detail::AppCore> app, std::uint32_t hLine, std::uint32_t deviceId)
    : app_(std::move(app)), hLine_(hLine), deviceId_(deviceId) {}

Line::~Line() {
  (void)close();
}

Line::Line(Line&& other) noexcept
    : app_(std::move(other.app_)),
      hLine_(std::exchange(other.hLine_, 0)),
      deviceId_(other.deviceId_) {}

Line& Line::operator=(Line&& other) noexcept {
  if (this != &other) {
    (void)close();
    app_ = std::move(other.app_);
    hLine_ = std::exchange(other.hLine_, 0);
    deviceId_ = other.deviceId_;
  }
  return *this;
}

Result<void> Line::close() {
  if (!app_ || hLine_ == 0) {
    return LineErr::InvalLineHandle;
  }
  const std::uint32_t h = std::exchange(hLine_, 0);
  if (!app_->alive) {
    return LineErr::InvalLineHandle;
  }
  return app_->be().close(app_->hLineApp, h);
}

Result<MadeCall> Line::makeCall(const std::string& destination, const MakeCallOptions& options) {
  if (!app_ || !app_->alive || hLine_ == 0) {
    return LineErr::InvalLineHandle;
  }
  auto r = app_->be().makeCall(app_->hLineApp, hLine_, destination, options);
  if (!r) {
    return fail(r.error());
  }
  return MadeCall{r->requestId, Call(app_, r->hCall)};
}

Result<std::vector<Call>> Line::getNewCalls() {
  if (!app_ || !app_->alive || hLine_ == 0) {
    return LineErr::InvalLineHandle;
  }
  auto r = app_->be().getNewCalls(app_->hLineApp, hLine_);
  if (!r) {
    return fail(r.error());
  }
  std::vector<Call> out;
  for (std::uint32_t h : *r) {
    out.push_back(Call(app_, h));
  }
  return out;
}

// ----------------------------------------------------------------------------- Call

Call::Call(std::shared_ptr<detail::AppCore> app, std::uint32_t hCall)
    : app_(std::move(app)), hCall_(hCall) {}

Call::~Call() {
  (void)deallocate();
}

Call::Call(Call&& other) noexcept
    : app_(std::move(other.app_)), hCall_(std::exchange(other.hCall_, 0)) {}

Call& Call::operator=(Call&& other) noexcept {
  if (this != &other) {
    (void)deallocate();
    app_ = std::move(other.app_);
    hCall_ = std::exchange(other.hCall_, 0);
  }
  return *this;
}

std::uint32_t Call::release() noexcept {
  return std::exchange(hCall_, 0);
}

#define TAPI_CALL_GUARD()            \
  if (!app_ || hCall_ == 0) {        \
    return LineErr::InvalCallHandle; \
  }                                  \
  if (!app_->alive) {                \
    return LineErr::Uninitialized;   \
  }

Result<std::uint32_t> Call::answer(std::string_view uui) {
  TAPI_CALL_GUARD();
  return app_->be().answer(app_->hLineApp, hCall_, std::string(uui));
}

Result<std::uint32_t> Call::accept(std::string_view uui) {
  TAPI_CALL_GUARD();
  return app_->be().accept(app_->hLineApp, hCall_, std::string(uui));
}

Result<std::uint32_t> Call::drop(std::uint32_t mode, std::string_view uui) {
  TAPI_CALL_GUARD();
  return app_->be().drop(app_->hLineApp, hCall_, mode, std::string(uui));
}

Result<std::uint32_t> Call::disconnect(std::uint32_t dcCode) {
  TAPI_CALL_GUARD();
  switch (dcCode) {
    case 0:
      return drop(disconnect::Normal);
    case 1:
      return drop(disconnect::NoAnswer);
    case 2:
      return drop(disconnect::Reject);
    default:
      return LineErr::InvalParam;
  }
}

Result<void> Call::deallocate() {
  TAPI_CALL_GUARD();
  auto r = app_->be().deallocate(app_->hLineApp, hCall_);
  if (r.ok() || r.lineErr() == LineErr::InvalCallHandle) {
    hCall_ = 0;  // released now, or already gone (line closed, reclaimed)
  }
  return r;
}

Result<CallRecord> Call::info() const {
  TAPI_CALL_GUARD();
  return app_->be().callInfo(app_->hLineApp, hCall_);
}

Result<CallStatus> Call::status() const {
  TAPI_CALL_GUARD();
  return app_->be().callStatus(app_->hLineApp, hCall_);
}

Result<void> Call::setAppSpecific(std::uint32_t value) {
  TAPI_CALL_GUARD();
  return app_->be().setAppSpecific(app_->hLineApp, hCall_, value);
}

Result<void> Call::setPrivilege(Privilege privilege) {
  TAPI_CALL_GUARD();
  return app_->be().setCallPrivilege(app_->hLineApp, hCall_, privilege);
}

Result<void> Call::handoff(const std::string& target, std::uint32_t mediaMode) {
  TAPI_CALL_GUARD();
  return app_->be().handoff(app_->hLineApp, hCall_, target, mediaMode);
}

#undef TAPI_CALL_GUARD

}  // namespace tapi
