#include <tapi/tapi.hpp>

#include <atomic>
#include <condition_variable>
#include <mutex>

#include "client/runtime_core.hpp"

namespace tapi {
namespace detail {

RuntimeCore::RuntimeCore(EngineOptions opts) : options(std::move(opts)) {
  if (options.simulatedClock) {
    sim = std::make_unique<base::SimLoop>();
  } else {
    asio = std::make_unique<base::AsioLoop>();
  }
  std::vector<providers::sim::LineConfig> lines;
  for (std::uint32_t i = 0; i < options.simulatedLines; ++i) {
    lines.push_back({"sim/" + std::to_string(i), std::to_string(100 + i)});
  }
  provider = std::make_unique<providers::sim::SimProvider>(loop(), std::move(lines));
  engine::Config config;
  config.ownerlessGrace = options.ownerlessGrace;
  config.idleReclaimAfter = options.idleReclaimAfter;
  config.noAnswerTimeout = options.noAnswerTimeout;
  config.maxDuration = options.maxDuration;
  config.onCallReleased = options.onCallReleased;
  engine = std::make_unique<engine::Engine>(loop(), *provider, std::move(config));
  if (asio) {
    asio->start();
  }
}

RuntimeCore::~RuntimeCore() {
  invoke([this] {
    if (!engineShutDown) {
      engine->shutdownAll();
      engineShutDown = true;
    }
  });
  if (asio) {
    // Let the work posted by the shutdown (deferred deletions) run, then stop the loop.
    invoke([] {});
    asio->stop();
  } else {
    sim->runUntilIdle();
  }
  engine.reset();
  provider.reset();
}

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

  RuntimeCore& rt() const { return runtime->core(); }

  Result<void> shutdown() {
    if (!alive.exchange(false)) {
      return LineErr::InvalAppHandle;
    }
    return rt().invoke([this] { return rt().engine->shutdown(hLineApp); });
  }
  ~AppCore() { (void)shutdown(); }
};

}  // namespace detail

// ----------------------------------------------------------------------------- Runtime

std::shared_ptr<Runtime> Runtime::embedded(EngineOptions options) {
  return std::make_shared<Runtime>(std::make_unique<detail::RuntimeCore>(std::move(options)));
}

Runtime::Runtime(std::unique_ptr<detail::RuntimeCore> core) : core_(std::move(core)) {}
Runtime::~Runtime() = default;

std::vector<LineDevice> Runtime::lines() const {
  auto infos = core_->invoke([this] { return core_->engine->lines(); });
  std::vector<LineDevice> out;
  for (const auto& i : infos) {
    out.push_back(LineDevice{i.deviceId, i.name, i.address, i.devCapFlags, i.maxUserUserInfo});
  }
  return out;
}

EngineStats Runtime::stats() const {
  return core_->invoke([this] { return core_->engine->stats(); });
}

std::vector<LeakEntry> Runtime::leakReport() const {
  return core_->invoke([this] { return core_->engine->leakReport(); });
}

void Runtime::shutdownEngine() {
  core_->invoke([this] {
    if (!core_->engineShutDown) {
      core_->engine->shutdownAll();
      core_->engineShutDown = true;
    }
  });
}

void Runtime::runUntilIdle() {
  if (core_->sim) {
    core_->sim->runUntilIdle();
  }
}

void Runtime::advance(std::chrono::nanoseconds d) {
  if (core_->sim) {
    core_->sim->advance(d);
  }
}

providers::sim::SimProvider* Runtime::simulation() const { return core_->provider.get(); }

// ----------------------------------------------------------------------------- App

Result<App> App::initialize(std::shared_ptr<Runtime> runtime, AppOptions options) {
  if (!runtime) {
    return LineErr::InvalPointer;
  }
  auto core = std::make_shared<detail::AppCore>();
  core->runtime = std::move(runtime);
  core->signal->user = std::move(options.notify);
  std::weak_ptr<detail::Signal> weak = core->signal;
  engine::AppParams params;
  params.name = std::move(options.name);
  params.apiVersion = options.apiVersion;
  params.notify = [weak] {
    if (auto s = weak.lock()) {
      {
        std::lock_guard lock(s->mutex);
        ++s->generation;
      }
      s->cv.notify_all();
      if (s->user) {
        s->user();
      }
    }
  };
  auto r = core->rt().invoke([&] { return core->rt().engine->initialize(std::move(params)); });
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

std::uint32_t App::handle() const noexcept { return core_ ? core_->hLineApp : 0; }

std::vector<LineDevice> App::lines() const {
  return core_ ? core_->runtime->lines() : std::vector<LineDevice>{};
}

Result<Line> App::open(std::uint32_t deviceId, std::uint32_t privileges, const OpenOptions& o) {
  if (!core_ || !core_->alive) {
    return LineErr::InvalAppHandle;
  }
  engine::LineOpenParams p;
  p.deviceId = deviceId;
  p.privileges = privileges;
  p.mediaModes = o.mediaModes;
  p.apiVersion = o.apiVersion;
  p.noAnswerTimeout = o.noAnswerTimeout;
  p.maxDuration = o.maxDuration;
  auto r = core_->rt().invoke([&] { return core_->rt().engine->open(core_->hLineApp, p); });
  if (!r) {
    return fail(r.error());
  }
  return Line(core_, *r, deviceId);
}

std::optional<Message> App::nextMessage() {
  if (!core_ || !core_->alive) {
    return std::nullopt;
  }
  auto r = core_->rt().invoke([&] { return core_->rt().engine->getMessage(core_->hLineApp); });
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
    if (core_->rt().sim || !core_->alive) {
      return std::nullopt;  // nothing would ever arrive while we wait on a simulated clock
    }
    std::unique_lock lock(sig.mutex);
    if (!sig.cv.wait_until(lock, deadline, [&] { return sig.generation != seen; })) {
      lock.unlock();
      return nextMessage();
    }
  }
}

Call App::adopt(std::uint32_t hCall) { return Call(core_, hCall); }

Result<void> App::shutdown() {
  if (!core_) {
    return LineErr::InvalAppHandle;
  }
  return core_->shutdown();
}

// ----------------------------------------------------------------------------- Line

Line::Line(std::shared_ptr<detail::AppCore> app, std::uint32_t hLine, std::uint32_t deviceId)
    : app_(std::move(app)), hLine_(hLine), deviceId_(deviceId) {}

Line::~Line() { (void)close(); }

Line::Line(Line&& other) noexcept
    : app_(std::move(other.app_)), hLine_(std::exchange(other.hLine_, 0)),
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
  return app_->rt().invoke([&] { return app_->rt().engine->close(app_->hLineApp, h); });
}

Result<MadeCall> Line::makeCall(const std::string& destination, const MakeCallOptions& options) {
  if (!app_ || !app_->alive || hLine_ == 0) {
    return LineErr::InvalLineHandle;
  }
  engine::CallParams p;
  p.userUserInfo = options.userUserInfo;
  p.addressId = options.addressId;
  p.noAnswerTimeout = options.noAnswerTimeout;
  p.maxDuration = options.maxDuration;
  auto r = app_->rt().invoke(
      [&] { return app_->rt().engine->makeCall(app_->hLineApp, hLine_, destination, p); });
  if (!r) {
    return fail(r.error());
  }
  return MadeCall{r->requestId, Call(app_, r->hCall)};
}

Result<std::vector<Call>> Line::getNewCalls() {
  if (!app_ || !app_->alive || hLine_ == 0) {
    return LineErr::InvalLineHandle;
  }
  auto r = app_->rt().invoke([&] {
    return app_->rt().engine->getNewCalls(app_->hLineApp, hLine_, 0, CallSelect::Line);
  });
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

Call::~Call() { (void)deallocate(); }

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

std::uint32_t Call::release() noexcept { return std::exchange(hCall_, 0); }

#define TAPI_CALL_GUARD()                   \
  if (!app_ || hCall_ == 0) {               \
    return LineErr::InvalCallHandle;        \
  }                                         \
  if (!app_->alive) {                       \
    return LineErr::Uninitialized;          \
  }

Result<std::uint32_t> Call::answer(std::string_view uui) {
  TAPI_CALL_GUARD();
  return app_->rt().invoke(
      [&] { return app_->rt().engine->answer(app_->hLineApp, hCall_, std::string(uui)); });
}

Result<std::uint32_t> Call::accept(std::string_view uui) {
  TAPI_CALL_GUARD();
  return app_->rt().invoke(
      [&] { return app_->rt().engine->accept(app_->hLineApp, hCall_, std::string(uui)); });
}

Result<std::uint32_t> Call::drop(std::uint32_t mode, std::string_view uui) {
  TAPI_CALL_GUARD();
  return app_->rt().invoke(
      [&] { return app_->rt().engine->drop(app_->hLineApp, hCall_, mode, std::string(uui)); });
}

Result<std::uint32_t> Call::disconnect(std::uint32_t dcCode) {
  TAPI_CALL_GUARD();
  switch (dcCode) {
    case 0: return drop(disconnect::Normal);
    case 1: return drop(disconnect::NoAnswer);
    case 2: return drop(disconnect::Reject);
    default: return LineErr::InvalParam;
  }
}

Result<void> Call::deallocate() {
  TAPI_CALL_GUARD();
  auto r =
      app_->rt().invoke([&] { return app_->rt().engine->deallocate(app_->hLineApp, hCall_); });
  if (r.ok() || r.lineErr() == LineErr::InvalCallHandle) {
    hCall_ = 0;  // released now, or already gone (line closed, reclaimed)
  }
  return r;
}

Result<CallRecord> Call::info() const {
  TAPI_CALL_GUARD();
  auto r = app_->rt().invoke([&] { return app_->rt().engine->callInfo(app_->hLineApp, hCall_); });
  if (!r) {
    return fail(r.error());
  }
  return std::move(r->record);
}

Result<CallStatus> Call::status() const {
  TAPI_CALL_GUARD();
  return app_->rt().invoke([&] { return app_->rt().engine->callStatus(app_->hLineApp, hCall_); });
}

Result<void> Call::setAppSpecific(std::uint32_t value) {
  TAPI_CALL_GUARD();
  return app_->rt().invoke(
      [&] { return app_->rt().engine->setAppSpecific(app_->hLineApp, hCall_, value); });
}

Result<void> Call::setPrivilege(Privilege privilege) {
  TAPI_CALL_GUARD();
  return app_->rt().invoke(
      [&] { return app_->rt().engine->setCallPrivilege(app_->hLineApp, hCall_, privilege); });
}

Result<void> Call::handoff(const std::string& target, std::uint32_t mediaMode) {
  TAPI_CALL_GUARD();
  return app_->rt().invoke(
      [&] { return app_->rt().engine->handoff(app_->hLineApp, hCall_, target, mediaMode); });
}

#undef TAPI_CALL_GUARD

}  // namespace tapi
