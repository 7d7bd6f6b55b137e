#pragma once
// tapictl's command tree as plain data: each command is a name, its arguments, its help
// and a handler that reaches the server only through tapi.hpp. main.cpp turns the table
// into a CLI11 front end; tests walk the table directly.

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <ostream>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include <tapi/tapi.hpp>

namespace tapictl {

/** Exit codes. */
inline constexpr int kOk = 0;
inline constexpr int kFailed = 1;       // the server refused or the operation failed
inline constexpr int kUsage = 2;        // bad arguments, or a command that cannot work this way
inline constexpr int kUnreachable = 3;  // no server at --server

struct Positional {
  std::string name;
  std::string help;
  bool required = true;
};

struct Option {
  std::string name;  // without "--"
  std::string help;
  bool flag = false;          // true: takes no value
  std::string defaultValue;   // shown in help; used when the option is absent
};

/** The parsed arguments of one command: values by name (options without "--"). */
struct Args {
  std::map<std::string, std::string> values;
  std::set<std::string> flags;
  bool has(const std::string& name) const { return values.contains(name) || flags.contains(name); }
  std::string get(const std::string& name, std::string dflt = {}) const {
    auto it = values.find(name);
    return it != values.end() ? it->second : dflt;
  }
};

/** Wakes a waiting session: a message arrived, a line came from stdin, or a signal. */
class Waker {
 public:
  void wake() {
    {
      std::lock_guard lock(mutex_);
      ++generation_;
    }
    cv_.notify_all();
  }
  std::uint64_t generation() {
    std::lock_guard lock(mutex_);
    return generation_;
  }
  /** Waits until wake() after `seen`, or `deadline`. */
  void waitUntil(std::uint64_t seen, std::chrono::steady_clock::time_point deadline) {
    std::unique_lock lock(mutex_);
    cv_.wait_until(lock, deadline, [&] { return generation_ != seen; });
  }

 private:
  std::mutex mutex_;
  std::condition_variable cv_;
  std::uint64_t generation_ = 0;
};

/** What every handler gets: global options, output streams, the runtime, the stop flag. */
struct Context {
  std::string server = "unix:./var/tapid.sock";
  std::string token;
  bool json = false;
  std::ostream* out = nullptr;
  std::ostream* err = nullptr;
  /** Set (and waker woken) on SIGINT/SIGTERM: sessions end cleanly. */
  std::atomic<bool> stop{false};
  std::shared_ptr<Waker> waker = std::make_shared<Waker>();
  /** Lines typed on stdin (watch), pushed by the front end's reader thread. */
  std::mutex inputMutex;
  std::vector<std::string> input;
  bool inputClosed = false;
  /** Optional: the runtime to use instead of connecting (tests). */
  std::shared_ptr<tapi::Runtime> runtime;

  /** The runtime, connecting on first use; nullptr after printing why it failed. */
  std::shared_ptr<tapi::Runtime> connect();
};

struct Command {
  std::string name;
  std::string help;
  std::vector<Positional> positionals;
  std::vector<Option> options;
  std::function<int(Context&, const Args&)> handler;
};

/** Every command, in the order help lists them. */
const std::vector<Command>& commands();

/** "500ms", "3s", "1.5s", "2m", "1h"; a bare number is seconds. */
std::optional<std::chrono::milliseconds> parseDuration(std::string_view text);
/** A disconnect mode: "NORMAL", "busy", "0x20" or "32". */
std::optional<std::uint32_t> parseMode(std::string_view text);
/** The token to use for `server`: explicit, else ./var/tapid.token for tcp, else empty. */
std::string resolveToken(const std::string& server, const std::string& explicitToken);

}  // namespace tapictl
