#include "server/server.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <csignal>
#include <filesystem>
#include <optional>

#include <openssl/rand.h>
#include <spdlog/sinks/stdout_sinks.h>
#include <spdlog/spdlog.h>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/ssl/context.hpp>
#include <boost/asio/steady_timer.hpp>

#include "base/asio_loop.hpp"
#include "base/fd_budget.hpp"
#include "cdr/record_json.hpp"
#include "engine/engine.hpp"
#include "providers/multi/multi_provider.hpp"
#include "providers/sim/sim_provider.hpp"
#include "providers/sip/sip_provider.hpp"
#include "server/listener.hpp"
#include "server/protocol.hpp"
#include "server/session.hpp"

namespace tapi::server {

namespace asio = boost::asio;

namespace {

/** 32 random bytes as 64 hex digits. */
std::optional<std::string> randomToken() {
  unsigned char bytes[32];
  if (RAND_bytes(bytes, sizeof bytes) != 1) {
    return std::nullopt;
  }
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  out.reserve(2 * sizeof bytes);
  for (unsigned char b : bytes) {
    out += kHex[b >> 4];
    out += kHex[b & 0xF];
  }
  return out;
}

/** Writes `text` to `path` readable by the owner only (created or replaced). */
std::string writePrivateFile(const std::string& path, const std::string& text) {
  ::unlink(path.c_str());  // a file left by another user or with wider permissions goes
  const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0600);
  if (fd < 0) {
    return path + ": " + std::strerror(errno);
  }
  std::string err;
  if (::fchmod(fd, 0600) != 0 ||
      ::write(fd, text.data(), text.size()) != static_cast<ssize_t>(text.size())) {
    err = path + ": " + std::strerror(errno);
  }
  ::close(fd);
  return err;
}

void ensureParentDir(const std::string& path) {
  if (path.empty()) {
    return;
  }
  const std::filesystem::path parent = std::filesystem::path(path).parent_path();
  if (!parent.empty()) {
    std::error_code ec;
    std::filesystem::create_directories(parent, ec);
  }
}

void gauge(std::string& out, const char* name, const char* help, std::uint64_t v,
           const char* type = "gauge") {
  out += "# HELP ";
  out += name;
  out += ' ';
  out += help;
  out += "\n# TYPE ";
  out += name;
  out += ' ';
  out += type;
  out += '\n';
  out += name;
  out += ' ';
  out += std::to_string(v);
  out += '\n';
}

}  // namespace

struct Server::Impl {
  explicit Impl(ServerConfig c) : cfg(std::move(c)) {}

  // Declaration order is destruction order reversed: the loop outlives everything that
  // posts to it or has operations pending on it.
  ServerConfig cfg;
  base::AsioLoop loop;
  std::unique_ptr<base::FdBudget> fdBudget;  // outlives the SIP provider that uses it
  std::unique_ptr<providers::sim::SimProvider> sim;
  std::unique_ptr<providers::sip::SipProvider> sip;
  std::unique_ptr<providers::multi::MultiProvider> providers;
  std::unique_ptr<engine::Engine> engine;
  std::FILE* callsFile = nullptr;
  std::uint64_t recordsWritten = 0;
  std::unique_ptr<ProtocolHub> hub;
  std::unique_ptr<SessionContext> ctx;
  std::unique_ptr<asio::ssl::context> tls;
  std::unique_ptr<UnixListener> unixListener;
  std::unique_ptr<TcpListener> tcpListener;
  std::optional<asio::signal_set> signals;
  std::optional<asio::steady_timer> shutdownTimer;
  std::chrono::steady_clock::time_point shutdownDeadline{};
  bool stopping = false;
  bool forced = false;
  int exitCode = 0;

  int setUp();
  void onCallReleased(const CallRecord& r);
  void waitForSignal();
  void beginShutdown(int signal);
  void pollClients();
  void pollEngine(int turnsLeft);
  void finish();
  void budgetDescriptors();
  std::string metrics() const;
};

Server::Server(ServerConfig config) : impl_(std::make_unique<Impl>(std::move(config))) {}

Server::~Server() {
  Impl& s = *impl_;
  // Whatever still has an operation on the loop completes (aborted) before the objects
  // its handler refers to go away.
  if (s.ctx) {
    for (auto& [id, weak] : std::unordered_map(s.ctx->live)) {
      if (auto c = weak.lock()) {
        c->forceClose();
      }
    }
  }
  if (s.unixListener) {
    s.unixListener->close();
  }
  if (s.tcpListener) {
    s.tcpListener->close();
  }
  if (s.signals) {
    boost::system::error_code ec;
    s.signals->cancel(ec);
  }
  if (s.shutdownTimer) {
    s.shutdownTimer->cancel();
  }
  s.loop.context().restart();
  while (s.loop.context().poll() > 0) {
  }
  if (s.callsFile != nullptr) {
    std::fclose(s.callsFile);
  }
}

std::string Server::metricsText() const {
  return impl_->metrics();
}

void Server::Impl::onCallReleased(const CallRecord& r) {
  if (callsFile != nullptr) {
    const std::string line = cdr::toJson(r) + "\n";
    if (std::fputs(line.c_str(), callsFile) < 0 || std::fflush(callsFile) != 0) {
      spdlog::error("event=cdr_write_failed file={} error=\"{}\"", cfg.callsJsonl,
                    std::strerror(errno));
    } else {
      ++recordsWritten;
    }
  }
  if (hub) {
    hub->recordReleased(r);
  }
}

int Server::Impl::setUp() {
  std::error_code fsec;
  std::filesystem::create_directories(cfg.varDir, fsec);
  if (fsec) {
    spdlog::error("event=startup_failed reason=\"cannot create {}: {}\"", cfg.varDir,
                  fsec.message());
    return 1;
  }
  ensureParentDir(cfg.unixSocket);
  ensureParentDir(cfg.callsJsonl);
  budgetDescriptors();

  // Lines and engine.
  std::vector<providers::sim::LineConfig> lines;
  for (std::uint32_t i = 0; i < cfg.sim.count; ++i) {
    lines.push_back(
        {cfg.sim.namePrefix + std::to_string(i), std::to_string(cfg.sim.firstAddress + i)});
  }
  sim = std::make_unique<providers::sim::SimProvider>(loop, std::move(lines));
  std::vector<spi::Provider*> all{sim.get()};
  if (cfg.sip.enabled) {
    providers::sip::SipProviderConfig sc;
    sc.listenUdp = cfg.sip.listenUdp;
    sc.listenTcp = cfg.sip.listenTcp;
    sc.advertisedHost = cfg.sip.advertisedHost;
    sc.rtpFirstPort = static_cast<std::uint16_t>(cfg.sip.rtpFirstPort);
    sc.rtpLastPort = static_cast<std::uint16_t>(cfg.sip.rtpLastPort);
    sc.firstDeviceId = cfg.sim.count;
    sc.session.sessionExpires = std::chrono::seconds(cfg.sip.sessionExpiresS);
    sc.timers.t1 = std::chrono::milliseconds(cfg.sip.t1Ms);
    sc.tcpIdleTimeout = std::chrono::seconds(cfg.sip.tcpIdleTimeoutS);
    sc.tcpMaxConnections = cfg.sip.tcpMaxConnections;
    sc.fdBudget = fdBudget.get();
    for (const SipLineEntry& e : cfg.sip.lines) {
      providers::sip::SipLineConfig l;
      l.name = e.name;
      l.user = e.user;
      l.domain = e.domain;
      l.displayName = e.displayName;
      l.authUser = e.authUser;
      l.password = e.password;
      l.registrar = e.registrar;
      l.registerExpires = e.registerExpires;
      l.proxy = e.proxy;
      l.transport = e.transport;
      l.offeredRejectStatus = e.rejectStatus;
      sc.lines.push_back(std::move(l));
    }
    auto created = providers::sip::SipProvider::create(loop, loop.context(), std::move(sc));
    if (!created) {
      spdlog::error("event=startup_failed reason=\"{}\"", created.error().message());
      return 1;
    }
    sip = std::move(*created);
    all.push_back(sip.get());
    spdlog::info("event=sip_listening udp={} tcp={} lines={}",
                 sip->udpEndpoint() ? sip->udpEndpoint()->toString() : "-",
                 sip->tcpEndpoint() ? sip->tcpEndpoint()->toString() : "-", cfg.sip.lines.size());
  }
  providers = std::make_unique<providers::multi::MultiProvider>(std::move(all));
  engine::Config ec;
  ec.ownerlessGrace = std::chrono::milliseconds(cfg.ownerlessGraceMs);
  ec.idleReclaimAfter = std::chrono::milliseconds(cfg.idleReclaimMs);
  ec.noAnswerTimeout = std::chrono::milliseconds(cfg.noAnswerTimeoutMs);
  ec.maxDuration = std::chrono::milliseconds(cfg.maxDurationMs);
  ec.onCallReleased = [this](const CallRecord& r) { onCallReleased(r); };
  ec.log = [](const std::string& line) { spdlog::info("event=engine detail=\"{}\"", line); };
  engine = std::make_unique<engine::Engine>(loop, *providers, std::move(ec));
  hub = std::make_unique<ProtocolHub>(loop, *engine, cfg.sim.count > 0 ? sim.get() : nullptr,
                                      cfg.limits, cfg.keepRecords);

  if (!cfg.callsJsonl.empty()) {
    callsFile = std::fopen(cfg.callsJsonl.c_str(), "ae");
    if (callsFile == nullptr) {
      spdlog::error("event=startup_failed reason=\"cannot open {}: {}\"", cfg.callsJsonl,
                    std::strerror(errno));
      return 1;
    }
  }

  ctx = std::make_unique<SessionContext>(SessionContext{*hub, {}, {}, {}, 0, false, 0, 0});
  ctx->maxClients = cfg.maxClients;
  ctx->metrics = [this] { return metrics(); };

  // Listeners.
  if (!cfg.unixSocket.empty()) {
    auto r = UnixListener::bind(loop.context(), cfg.unixSocket, cfg.unixSocketMode, *ctx);
    if (auto* err = std::get_if<std::string>(&r)) {
      spdlog::error("event=startup_failed reason=\"{}\"", *err);
      return 1;
    }
    unixListener = std::move(std::get<0>(r));
  }
  if (!cfg.tcpListen.empty()) {
    if (cfg.token.empty()) {
      auto token = randomToken();
      if (!token) {
        spdlog::error("event=startup_failed reason=\"no random bytes for the API token\"");
        return 1;
      }
      ensureParentDir(cfg.tokenFile);
      if (std::string err = writePrivateFile(cfg.tokenFile, *token + "\n"); !err.empty()) {
        spdlog::error("event=startup_failed reason=\"cannot write the token: {}\"", err);
        return 1;
      }
      ctx->token = *token;
      spdlog::info("event=token_generated file={} mode=0600", cfg.tokenFile);
    } else {
      ctx->token = cfg.token;
    }
    if (!cfg.tls.cert.empty()) {
      tls = std::make_unique<asio::ssl::context>(asio::ssl::context::tls_server);
      boost::system::error_code ec2;
      tls->set_options(asio::ssl::context::default_workarounds | asio::ssl::context::no_sslv2 |
                           asio::ssl::context::no_sslv3 | asio::ssl::context::no_tlsv1 |
                           asio::ssl::context::no_tlsv1_1,
                       ec2);
      if (!ec2) {
        tls->use_certificate_chain_file(cfg.tls.cert, ec2);
      }
      if (!ec2) {
        tls->use_private_key_file(cfg.tls.key, asio::ssl::context::pem, ec2);
      }
      if (ec2) {
        spdlog::error("event=startup_failed reason=\"TLS: {}\" cert={} key={}", ec2.message(),
                      cfg.tls.cert, cfg.tls.key);
        return 1;
      }
    }
    auto r = TcpListener::bind(loop.context(), cfg.tcpListen, *ctx, tls.get());
    if (auto* err = std::get_if<std::string>(&r)) {
      spdlog::error("event=startup_failed reason=\"{}\"", *err);
      return 1;
    }
    tcpListener = std::move(std::get<0>(r));
  }

  if (unixListener) {
    unixListener->start();
    spdlog::info("event=listening transport=unix path={} mode=0{:o} url=ws+unix://{}:/v1",
                 unixListener->path(), cfg.unixSocketMode, unixListener->path());
  }
  if (tcpListener) {
    tcpListener->start();
    const std::string addr = tcpListener->address();
    spdlog::info("event=listening transport={} address={} url={}://{}/v1 auth=bearer{}",
                 tls ? "tls" : "tcp", addr, tls ? "wss" : "ws", addr,
                 cfg.token.empty() ? " token_file=" + cfg.tokenFile : std::string(" token=config"));
  }
  spdlog::info("event=ready lines={} calls_jsonl={} pid={}", engine->lines().size(),
               cfg.callsJsonl.empty() ? "off" : cfg.callsJsonl, ::getpid());
  return 0;
}

void Server::Impl::budgetDescriptors() {
  // main() raised the soft limit to the hard one; what is open now (stdio, the loop's own
  // descriptors, anything inherited) is not available to connections and calls.
  const std::size_t limit = base::fileLimit();
  const std::size_t reserve =
      cfg.fdReserve != 0 ? std::size_t{cfg.fdReserve} : base::defaultFdReserve(limit);
  fdBudget = std::make_unique<base::FdBudget>(limit, reserve);
  const std::size_t room = fdBudget->available();
  // Each cap stays below what the limit leaves, so a full set of connections cannot take
  // the reserve; several full sets together are still refused by the budget (SIP) or wait
  // on the accept backoff (API).
  const auto clamp = [&](const char* key, std::uint32_t& cap) {
    const std::size_t fit = std::max<std::size_t>(room, 1);
    if (cap > fit) {
      spdlog::warn("event=limit_lowered setting={} configured={} effective={} fd_limit={}", key,
                   cap, fit, limit);
      cap = static_cast<std::uint32_t>(fit);
    }
  };
  clamp("api.max_clients", cfg.maxClients);
  if (cfg.sip.enabled) {
    clamp("lines.sip.tcp_max_connections", cfg.sip.tcpMaxConnections);
  }
  spdlog::info("event=fd_budget limit={} open={} reserve={} available={}", limit, fdBudget->open(),
               reserve, room);
}

void Server::Impl::waitForSignal() {
  signals->async_wait([this](const boost::system::error_code& ec, int sig) {
    if (ec) {
      return;
    }
    beginShutdown(sig);
    waitForSignal();
  });
}

void Server::Impl::beginShutdown(int sig) {
  if (stopping) {
    spdlog::warn("event=shutdown_forced signal={}", sig);
    forced = true;
    for (auto& [id, weak] : std::unordered_map(ctx->live)) {
      if (auto c = weak.lock()) {
        c->forceClose();
      }
    }
    return;
  }
  stopping = true;
  ctx->stopping = true;
  const EngineStats before = engine->stats();
  spdlog::info("event=shutdown_begin signal={} calls={} apps={} connections={}", sig, before.calls,
               before.apps, ctx->live.size());
  if (unixListener) {
    unixListener->close();
  }
  if (tcpListener) {
    tcpListener->close();
  }
  // Every live call ends (origin server-shutdown) and is recorded; every app gets
  // LINE_CLOSE for its lines. Then each client is sent what is queued and closed.
  if (sip) {
    sip->beginShutdown();  // live SIP calls end with server-shutdown causes on the wire
  }
  engine->shutdownAll();
  for (auto& [id, weak] : std::unordered_map(ctx->live)) {
    if (auto c = weak.lock()) {
      c->shutdownClose();
    }
  }
  shutdownDeadline =
      std::chrono::steady_clock::now() + std::chrono::milliseconds(cfg.shutdownGraceMs);
  shutdownTimer.emplace(loop.context());
  pollClients();
}

void Server::Impl::pollClients() {
  if (ctx->live.empty()) {
    pollEngine(sip ? 500 : 100);  // SIP: up to 5 s for BYE/CANCEL answers
    return;
  }
  if (!forced && std::chrono::steady_clock::now() >= shutdownDeadline) {
    spdlog::warn("event=shutdown_grace_expired connections={}", ctx->live.size());
    forced = true;
    for (auto& [id, weak] : std::unordered_map(ctx->live)) {
      if (auto c = weak.lock()) {
        c->forceClose();
      }
    }
  }
  shutdownTimer->expires_after(std::chrono::milliseconds(10));
  shutdownTimer->async_wait([this](const boost::system::error_code& ec) {
    if (!ec) {
      pollClients();
    }
  });
}

void Server::Impl::pollEngine(int turnsLeft) {
  // Released calls are deleted at the end of a loop turn: give the loop a few turns.
  const EngineStats s = engine->stats();
  // SIP calls must also be ended on the wire (BYE/CANCEL answered or timed out).
  const bool wireDone = !sip || sip->drained();
  if ((s.calls == 0 && s.apps == 0 && s.providerCalls == 0 && s.pendingRequests == 0 && wireDone) ||
      turnsLeft <= 0) {
    finish();
    return;
  }
  shutdownTimer->expires_after(std::chrono::milliseconds(10));
  shutdownTimer->async_wait([this, turnsLeft](const boost::system::error_code& ec) {
    if (!ec) {
      pollEngine(turnsLeft - 1);
    }
  });
}

void Server::Impl::finish() {
  const EngineStats s = engine->stats();
  const auto leaks = engine->leakReport();
  spdlog::info(
      "event=shutdown_done records_written={} apps={} open_lines={} handles={} calls={} "
      "provider_calls={} pending_requests={} provider_pending_requests={} queued_events={} "
      "timers={}",
      recordsWritten, s.apps, s.openLines, s.handles, s.calls, s.providerCalls, s.pendingRequests,
      s.providerPendingRequests, s.queuedEvents, s.timers);
  if (leaks.empty()) {
    std::fprintf(stderr, "leak report: empty\n");
  } else {
    std::fprintf(stderr, "leak report: %zu entries\n", leaks.size());
    for (const LeakEntry& e : leaks) {
      std::fprintf(stderr,
                   "  leak: %s app=%s handle=%u call_id=%u state=%s age_ms=%lld count=%zu\n",
                   e.what.c_str(), e.app.c_str(), e.handle, e.callId, toString(e.state),
                   static_cast<long long>(
                       std::chrono::duration_cast<std::chrono::milliseconds>(e.age).count()),
                   e.count);
    }
  }
  std::fflush(stderr);
  exitCode = leaks.empty() ? 0 : 1;
  if (callsFile != nullptr) {
    std::fclose(callsFile);
    callsFile = nullptr;
  }
  boost::system::error_code ec;
  signals->cancel(ec);
  loop.context().stop();
}

std::string Server::Impl::metrics() const {
  std::string out;
  const EngineStats s = engine->stats();
  gauge(out, "tapid_apps", "Applications initialised.", s.apps);
  gauge(out, "tapid_open_lines", "Line opens (one per app per lineOpen).", s.openLines);
  gauge(out, "tapid_handles", "Call handles held by applications.", s.handles);
  gauge(out, "tapid_calls", "Engine call objects.", s.calls);
  gauge(out, "tapid_provider_calls", "Provider call objects.", s.providerCalls);
  gauge(out, "tapid_pending_requests", "Engine requests awaiting completion.", s.pendingRequests);
  gauge(out, "tapid_provider_pending_requests", "Provider requests awaiting completion.",
        s.providerPendingRequests);
  gauge(out, "tapid_queued_events", "Events queued in the engine for applications.",
        s.queuedEvents);
  gauge(out, "tapid_timers", "Timers scheduled by the engine and providers.", s.timers);
  gauge(out, "tapid_reclaimed_handles_total", "Handles reclaimed by the idle-reclaim policy.",
        s.reclaimedHandles, "counter");
  gauge(out, "tapid_refused_transitions_total",
        "Call-state changes the engine refused (a bug if not 0).", s.refusedTransitions, "counter");
  gauge(out, "tapid_connections", "WebSocket API connections.", hub->connections());
  gauge(out, "tapid_open_sockets", "Client sockets (API and plain HTTP).", ctx->live.size());
  gauge(out, "tapid_api_refused_total", "API client sockets closed at once: max_clients open.",
        ctx->refusedClients, "counter");
  gauge(out, "tapid_api_accept_no_fds_total",
        "API accepts that failed with EMFILE/ENFILE (each followed by a backoff).",
        ctx->acceptNoFds, "counter");
  gauge(out, "tapid_fd_limit", "File descriptor limit (soft RLIMIT_NOFILE).", fdBudget->limit());
  gauge(out, "tapid_fd_open", "File descriptors open (counted at most every 100 ms).",
        fdBudget->open());
  gauge(out, "tapid_fd_reserve", "File descriptors kept for the listeners.", fdBudget->reserve());
  if (sip) {
    const providers::sip::SipStats ss = sip->sipStats();
    gauge(out, "tapid_sip_sessions", "SIP INVITE sessions (finishing ones included).", ss.sessions);
    gauge(out, "tapid_sip_dialogs", "SIP dialogs.", ss.dialogs);
    gauge(out, "tapid_sip_transactions", "SIP transactions.", ss.transactions);
    gauge(out, "tapid_sip_timers", "SIP session, transaction and registration timers.", ss.timers);
    gauge(out, "tapid_sip_tcp_connections", "Open SIP TCP connections.", ss.connections);
    gauge(out, "tapid_sip_rtp_ports", "RTP port pairs reserved.", ss.rtpPorts);
    gauge(out, "tapid_sip_registrations", "SIP lines currently registered.", ss.registrations);
    gauge(out, "tapid_sip_calls_total", "SIP calls created.", ss.callsTotal, "counter");
    gauge(out, "tapid_sip_481_total", "Requests answered 481 (unknown dialog).", ss.answered481,
          "counter");
    gauge(
        out, "tapid_sip_calls_refused_fds_total",
        "SIP calls refused (INVITE 503, lineMakeCall RESOURCEUNAVAIL): descriptors at the reserve.",
        ss.callsRefusedNoFds, "counter");
    gauge(out, "tapid_sip_tcp_refused_total",
          "SIP TCP connections closed at once: connection cap or descriptor budget.", ss.tcpRefused,
          "counter");
    gauge(out, "tapid_sip_tcp_accept_no_fds_total",
          "SIP TCP accepts that failed with EMFILE/ENFILE (each followed by a backoff).",
          ss.tcpAcceptNoFds, "counter");
    gauge(out, "tapid_sip_tcp_evicted_total",
          "Idle SIP TCP connections closed to make room for a new one.", ss.tcpEvicted, "counter");
    out += "# HELP tapid_sip_sessions_ended_total SIP sessions ended, by how they ended.\n";
    out += "# TYPE tapid_sip_sessions_ended_total counter\n";
    for (std::size_t k = 0; k < ss.endedBy.size(); ++k) {
      out += "tapid_sip_sessions_ended_total{how=\"";
      out += sip::session::toString(static_cast<sip::session::EndKind>(k));
      out += "\"} ";
      out += std::to_string(ss.endedBy[k]);
      out += '\n';
    }
  }
  const ProtocolCounters& c = hub->counters();
  out += "# HELP tapid_rejected_frames_total Request frames refused, by error code.\n";
  out += "# TYPE tapid_rejected_frames_total counter\n";
  for (std::size_t i = 0; i < kProtoErrorCount; ++i) {
    out += "tapid_rejected_frames_total{reason=\"";
    out += toString(static_cast<ProtoError>(i));
    out += "\"} ";
    out += std::to_string(c.rejectedFrames[i]);
    out += '\n';
  }
  gauge(out, "tapid_requests_total", "Request frames received.", c.requests, "counter");
  gauge(out, "tapid_events_total", "Event frames sent.", c.eventsSent, "counter");
  gauge(out, "tapid_slow_reader_disconnects_total",
        "Clients disconnected for not reading their events.", c.slowReaderDisconnects, "counter");
  gauge(out, "tapid_connections_total", "WebSocket API connections accepted.", c.connectionsTotal,
        "counter");
  gauge(out, "tapid_http_requests_total", "HTTP requests received.", ctx->httpRequests, "counter");
  gauge(out, "tapid_unauthorized_total", "Requests refused for a missing or wrong token.",
        ctx->unauthorized, "counter");
  gauge(out, "tapid_call_records_written_total", "Lines appended to calls.jsonl.", recordsWritten,
        "counter");
  return out;
}

int Server::run() {
  Impl& s = *impl_;
  std::signal(SIGPIPE, SIG_IGN);
  // Signals first: a SIGTERM that arrives once the sockets exist must take the clean path.
  s.signals.emplace(s.loop.context(), SIGTERM, SIGINT);
  if (int rc = s.setUp(); rc != 0) {
    return rc;
  }
  s.waitForSignal();
  s.loop.run();
  return s.exitCode;
}

}  // namespace tapi::server
