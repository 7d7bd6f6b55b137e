// Every kind of client of a tapid that is killed with SIGKILL learns of it within a second:
// the C++ API and the C API get LINE_CLOSE for each open line and then
// LINE_LINEDEVSTATE(REINIT), after which their functions fail with the documented codes
// (docs/api.md, docs/capi.md); tapictl's long-running commands and the C examples say the
// connection was lost and exit with status 3. Also: `tapictl lines` keeps its columns apart.

#include <tapi/tapi.h>
#include <tapi/tapi.hpp>

#include <gtest/gtest.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>

#include <condition_variable>
#include <map>
#include <mutex>
#include <set>
#include <sstream>

#include "client/backend.hpp"
#include "tapid_fixture.hpp"

namespace tapi::testing {
namespace {

using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;

/** How soon a client must know that its server died. */
constexpr auto kNoticeBound = 1s;

class ServerLoss : public ::testing::Test {
 protected:
  void SetUp() override { ASSERT_TRUE(tapid_.ready()); }

  /** A client process with stderr joined to stdout, so its messages can be awaited. */
  std::unique_ptr<Process> start(std::vector<std::string> argv,
                                 const std::vector<std::string>& env = {}) {
    if (!env.empty()) {
      argv.insert(argv.begin(), "/usr/bin/env");
      argv.insert(argv.begin() + 1, env.begin(), env.end());
    }
    auto p = std::make_unique<Process>(argv, true);
    p->closeStdin();
    return p;
  }

  std::unique_ptr<Process> tapictl(std::vector<std::string> args) {
    args.insert(args.begin(), {envOr("TAPICTL"), "--server", tapid_.unixAddress()});
    return start(std::move(args));
  }

  /**
   * Kills tapid, then expects `client` to print `needle` within kNoticeBound and to exit
   * with `status`.
   */
  void expectNoticed(Process& client, const std::string& needle, int status) {
    const auto t0 = Clock::now();
    tapid_.kill9();
    auto line = client.readUntil(needle, kNoticeBound + 200ms);
    const auto took = Clock::now() - t0;
    ASSERT_TRUE(line.has_value()) << "no \"" << needle << "\" within " << kNoticeBound.count()
                                  << " s:\n"
                                  << client.transcript();
    EXPECT_LT(took, kNoticeBound) << client.transcript();
    EXPECT_EQ(client.wait(30s), std::optional<int>(status)) << client.transcript();
  }

  Tapid tapid_;
};

// ----------------------------------------------------------------------------- C++ API

TEST_F(ServerLoss, CppAppGetsLineCloseForEachLineThenReinitAndCallsFailAsDocumented) {
  auto rt = Runtime::connect(tapid_.unixAddress());
  ASSERT_TRUE(rt.ok()) << rt.error().message();
  std::mutex mutex;
  std::condition_variable cv;
  bool notified = false;
  auto app = App::initialize(*rt, {.name = "loss-cpp", .notify = [&] {
                                     std::lock_guard lock(mutex);
                                     notified = true;
                                     cv.notify_all();
                                   }});
  ASSERT_TRUE(app.ok());
  auto line0 = app->open(0, Privilege::Owner);
  auto line1 = app->open(1, Privilege::Monitor);
  ASSERT_TRUE(line0.ok() && line1.ok());
  auto made = line0->makeCall("sim:answer=50ms");
  ASSERT_TRUE(made.ok());
  // The call connects before the server dies, so a live call handle is voided too.
  for (auto deadline = Clock::now() + 30s; Clock::now() < deadline;) {
    auto m = app->waitMessage(1s);
    if (m && m->type == MessageType::CallState && m->hDevice == made->call.handle() &&
        m->param1 == static_cast<std::uint32_t>(CallState::Connected)) {
      break;
    }
  }
  ASSERT_EQ(made->call.status()->state, CallState::Connected);
  {
    std::lock_guard lock(mutex);
    notified = false;
  }

  const auto t0 = Clock::now();
  tapid_.kill9();
  std::set<std::uint32_t> closed;
  std::optional<Message> reinit;
  while (!reinit && Clock::now() - t0 < 5s) {
    auto m = app->waitMessage(5s);
    if (!m) {
      continue;
    }
    if (m->type == MessageType::Close) {
      EXPECT_FALSE(reinit.has_value()) << "LINE_CLOSE after REINIT";
      closed.insert(m->hDevice);
    } else if (m->type == kLineDevStateMessage) {
      reinit = m;
    }
  }
  const auto took = Clock::now() - t0;
  ASSERT_TRUE(reinit.has_value());
  EXPECT_LT(took, kNoticeBound);
  EXPECT_EQ(reinit->param1, linedevstate::Reinit);
  EXPECT_EQ(reinit->hDevice, 0u);
  EXPECT_EQ(closed, (std::set<std::uint32_t>{line0->handle(), line1->handle()}));
  {
    // The app's notify runs as for any message (just after the messages are queued).
    std::unique_lock lock(mutex);
    EXPECT_TRUE(cv.wait_for(lock, kNoticeBound, [&] { return notified; }));
  }
  EXPECT_FALSE(app->nextMessage().has_value());

  // Call functions: the LINE_CLOSE voided the handles.
  EXPECT_EQ(made->call.info().lineErr(), LineErr::InvalCallHandle);
  EXPECT_EQ(made->call.status().lineErr(), LineErr::InvalCallHandle);
  EXPECT_EQ(made->call.drop().lineErr(), LineErr::InvalCallHandle);
  EXPECT_EQ(made->call.setAppSpecific(1).lineErr(), LineErr::InvalCallHandle);
  // Line functions: the lines are closed.
  EXPECT_EQ(line0->makeCall("200").lineErr(), LineErr::InvalLineHandle);
  EXPECT_EQ(line1->getNewCalls().lineErr(), LineErr::InvalLineHandle);
  // New work: TAPI's REINIT until the app starts again.
  EXPECT_EQ(app->open(0, Privilege::Owner).lineErr(), LineErr::Reinit);
  // The control connection is lost too: its next request fails (at once, or as its EOF
  // arrives), and from then on the runtime refuses new apps.
  EXPECT_EQ((*rt)->counters().lineErr(), LineErr::Reinit);
  EXPECT_TRUE((*rt)->serverLost());
  EXPECT_EQ(App::initialize(*rt, {.name = "late"}).lineErr(), LineErr::Reinit);
  EXPECT_TRUE((*rt)->lines().empty());
  EXPECT_EQ(made->call.deallocate().lineErr(), LineErr::InvalCallHandle);
  EXPECT_EQ(line1->close().lineErr(), LineErr::InvalLineHandle);
  EXPECT_TRUE(app->shutdown().ok());
}

// ----------------------------------------------------------------------------- C API

/** Waits for the app's event handle (an eventfd) to become readable. */
bool waitEvent(HANDLE event, std::chrono::milliseconds bound) {
  pollfd p{OPENTAPI_HANDLE_TO_FD(event), POLLIN, 0};
  return poll(&p, 1, static_cast<int>(bound.count())) == 1;
}

TEST_F(ServerLoss, CAppGetsLineCloseForEachLineThenReinitAndCallsFailAsDocumented) {
  ASSERT_EQ(setenv("TAPI_SERVER", tapid_.unixAddress().c_str(), 1), 0);
  HLINEAPP app = 0;
  DWORD numDevs = 0;
  DWORD version = TAPI_CURRENT_VERSION;
  LINEINITIALIZEEXPARAMS params{};
  params.dwTotalSize = sizeof params;
  params.dwOptions = LINEINITIALIZEEXOPTION_USEEVENT;
  ASSERT_EQ(lineInitializeEx(&app, nullptr, nullptr, "loss-c", &numDevs, &version, &params), 0);
  ASSERT_GE(numDevs, 2u);
  HLINE lines[2] = {0, 0};
  ASSERT_EQ(lineOpen(app, 0, &lines[0], TAPI_VERSION2_2, 0, 100, LINECALLPRIVILEGE_OWNER,
                     LINEMEDIAMODE_INTERACTIVEVOICE, nullptr),
            0);
  ASSERT_EQ(
      lineOpen(app, 1, &lines[1], TAPI_VERSION2_2, 0, 101, LINECALLPRIVILEGE_MONITOR, 0, nullptr),
      0);
  HCALL call = 0;
  const LONG request = lineMakeCall(lines[0], &call, "sim:answer=50ms", 0, nullptr);
  ASSERT_GT(request, 0);
  LINEMESSAGE m{};
  bool connected = false;
  for (auto deadline = Clock::now() + 30s; !connected && Clock::now() < deadline;) {
    if (lineGetMessage(app, &m, 1000) == 0) {
      connected = m.dwMessageID == LINE_CALLSTATE && m.hDevice == call &&
                  m.dwParam1 == LINECALLSTATE_CONNECTED;
    }
  }
  ASSERT_TRUE(connected);
  while (lineGetMessage(app, &m, 0) == 0) {
  }

  const auto t0 = Clock::now();
  tapid_.kill9();
  ASSERT_TRUE(waitEvent(params.Handles.hEvent, 5000ms));
  EXPECT_LT(Clock::now() - t0, kNoticeBound);
  // Before the app reads its messages, the backend already refuses the voided handles.
  std::vector<unsigned char> buf(sizeof(LINECALLINFO) + 1024);
  auto* info = reinterpret_cast<LINECALLINFO*>(buf.data());
  info->dwTotalSize = static_cast<DWORD>(buf.size());
  EXPECT_EQ(lineGetCallInfo(call, info), LINEERR_INVALCALLHANDLE);

  std::map<HLINE, DWORD_PTR> closed;  // hLine -> callback instance
  std::optional<LINEMESSAGE> reinit;
  while (!reinit && lineGetMessage(app, &m, 2000) == 0) {
    if (m.dwMessageID == LINE_CLOSE) {
      closed[m.hDevice] = m.dwCallbackInstance;
    } else if (m.dwMessageID == LINE_LINEDEVSTATE) {
      reinit = m;
    }
  }
  ASSERT_TRUE(reinit.has_value());
  EXPECT_LT(Clock::now() - t0, kNoticeBound);
  EXPECT_EQ(reinit->dwParam1, static_cast<DWORD>(LINEDEVSTATE_REINIT));
  EXPECT_EQ(reinit->hDevice, 0u);
  EXPECT_EQ(reinit->dwCallbackInstance, 0u);
  EXPECT_EQ(closed, (std::map<HLINE, DWORD_PTR>{{lines[0], 100}, {lines[1], 101}}));
  EXPECT_EQ(lineGetMessage(app, &m, 0), LINEERR_OPERATIONFAILED);

  EXPECT_EQ(lineDrop(call, nullptr, 0), LINEERR_INVALCALLHANDLE);
  EXPECT_EQ(lineGetCallInfo(call, info), LINEERR_INVALCALLHANDLE);
  EXPECT_EQ(lineDeallocateCall(call), LINEERR_INVALCALLHANDLE);
  HCALL another = 0;
  EXPECT_EQ(lineMakeCall(lines[0], &another, "200", 0, nullptr), LINEERR_INVALLINEHANDLE);
  EXPECT_EQ(lineClose(lines[1]), LINEERR_INVALLINEHANDLE);
  HLINE reopened = 0;
  EXPECT_EQ(lineOpen(app, 0, &reopened, TAPI_VERSION2_2, 0, 0, LINECALLPRIVILEGE_OWNER,
                     LINEMEDIAMODE_INTERACTIVEVOICE, nullptr),
            LINEERR_REINIT);
  HLINEAPP second = 0;
  DWORD secondVersion = TAPI_CURRENT_VERSION;
  LINEINITIALIZEEXPARAMS secondParams{};
  secondParams.dwTotalSize = sizeof secondParams;
  secondParams.dwOptions = LINEINITIALIZEEXOPTION_USEEVENT;
  EXPECT_EQ(lineInitializeEx(&second, nullptr, nullptr, "second", &numDevs, &secondVersion,
                             &secondParams),
            LINEERR_REINIT);
  EXPECT_EQ(lineShutdown(app), 0);
  // With every app shut down, the next initialization connects afresh: no server now.
  EXPECT_EQ(lineInitializeEx(&second, nullptr, nullptr, "second", &numDevs, &secondVersion,
                             &secondParams),
            LINEERR_SERVICE_NOT_RUNNING);
  unsetenv("TAPI_SERVER");
}

// ----------------------------------------------------------------------------- tapictl

TEST_F(ServerLoss, TapictlWatchSaysTheConnectionWasLostAndExits3) {
  auto watch = tapictl({"watch"});
  ASSERT_TRUE(watch->readUntil("watching 2 line(s)", 30s).has_value()) << watch->transcript();
  expectNoticed(*watch, "lost the connection to tapid at " + tapid_.unixAddress(), 3);
  // The LINE_CLOSE of the lines came before it.
  const std::string out = watch->transcript();
  EXPECT_NE(out.find("LINE_CLOSE"), std::string::npos) << out;
}

TEST_F(ServerLoss, TapictlAutoanswerSaysTheConnectionWasLostAndExits3) {
  auto aa = tapictl({"autoanswer"});
  ASSERT_TRUE(aa->readUntil("answering calls on 2 line(s)", 30s).has_value()) << aa->transcript();
  expectNoticed(*aa, "lost the connection to tapid", 3);
}

TEST_F(ServerLoss, TapictlCallWaitSaysTheConnectionWasLostAndExits3) {
  auto call = tapictl({"call", "sim:answer=50ms", "--wait"});
  ASSERT_TRUE(call->readUntil("CONNECTED", 30s).has_value()) << call->transcript();
  expectNoticed(*call, "lost the connection to tapid", 3);
}

// ----------------------------------------------------------------------------- C examples

TEST_F(ServerLoss, TapiLoggerSaysTheConnectionWasLostAndExits3) {
  auto logger =
      start({envOr("TAPI_LOGGER"), "--seconds", "60"}, {"TAPI_SERVER=" + tapid_.unixAddress()});
  ASSERT_TRUE(logger->readUntil("monitoring 2 line(s)", 30s).has_value()) << logger->transcript();
  expectNoticed(*logger, "lost the connection to tapid", 3);
}

TEST_F(ServerLoss, TapiDialerSaysTheConnectionWasLostAndExits3) {
  auto dialer = start({envOr("TAPI_DIALER"), "--wait", "60000", "sim:answer=50ms"},
                      {"TAPI_SERVER=" + tapid_.unixAddress()});
  ASSERT_TRUE(dialer->readUntil("state CONNECTED", 30s).has_value()) << dialer->transcript();
  expectNoticed(*dialer, "lost the connection to tapid", 3);
}

// ----------------------------------------------------------------------------- tapictl lines

std::uint16_t freeUdpPort() {
  const int fd = socket(AF_INET, SOCK_DGRAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  (void)bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a);
  socklen_t len = sizeof a;
  (void)getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len);
  close(fd);
  return ntohs(a.sin_port);
}

std::string sipLineConfig() {
  const std::uint16_t rtp = freeUdpPort();
  std::ostringstream c;
  c << "[lines.sip]\n"
    << "enabled = true\n"
    << "listen_udp = \"127.0.0.1:" << freeUdpPort() << "\"\n"
    << "listen_tcp = \"\"\n"
    << "rtp_first_port = " << rtp << "\n"
    << "rtp_last_port = " << rtp + 1 << "\n"
    << "[[lines.sip.line]]\n"
    << "user = \"alice\"\n"
    << "domain = \"127.0.0.1\"\n";
  return c.str();
}

TEST(TapictlLines, ColumnsStayApartForLongSipAddresses) {
  Tapid tapid(sipLineConfig());
  ASSERT_TRUE(tapid.ready());
  Process p({envOr("TAPICTL"), "--server", tapid.unixAddress(), "lines"}, true);
  p.closeStdin();
  std::vector<std::string> rows;
  while (auto line = p.readLine(30s)) {
    rows.push_back(*line);
  }
  ASSERT_EQ(p.wait(30s), std::optional<int>(0));
  ASSERT_GE(rows.size(), 4u) << p.transcript();  // header, sim/0, sim/1, the SIP line
  const std::string& header = rows.front();
  const auto addressColumn = header.find("ADDRESS");
  const auto uuiColumn = header.find("MAX-UUI");
  ASSERT_NE(addressColumn, std::string::npos) << header;
  ASSERT_NE(uuiColumn, std::string::npos) << header;
  bool sawSip = false;
  for (std::size_t i = 1; i < rows.size(); ++i) {
    const std::string& row = rows[i];
    // Every value starts in its header's column, after at least two spaces.
    ASSERT_GT(row.size(), uuiColumn) << row;
    EXPECT_NE(row[uuiColumn], ' ') << row;
    EXPECT_EQ(row.substr(uuiColumn - 2, 2), "  ") << row;
    EXPECT_EQ(row.substr(addressColumn - 2, 2), "  ") << row;
    if (row.find("sip:alice@127.0.0.1") != std::string::npos) {
      sawSip = true;
      // The address, at least two spaces, then MAX-UUI's number up to the end.
      const std::string rest = row.substr(row.find("sip:alice@127.0.0.1") + 19);
      const auto digits = rest.find_first_not_of(' ');
      EXPECT_GE(digits, 2u) << row;
      EXPECT_TRUE(digits != std::string::npos &&
                  rest.find_first_not_of("0123456789", digits) == std::string::npos)
          << row;
    }
  }
  EXPECT_TRUE(sawSip) << p.transcript();
}

}  // namespace
}  // namespace tapi::testing
