#pragma once
// How many file descriptors the process may still open, and a reserve kept back for the
// API and SIP listeners. Things that hold descriptors for a long time (a call's RTP/RTCP
// pair, a SIP TCP connection) ask admit() first and are refused before the process runs
// out, so an operator can still connect and SIP can still answer 503.

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <optional>

namespace tapi::base {

/**
 * Raises the soft RLIMIT_NOFILE to the hard limit (a server should use what it is allowed).
 * @return the soft limit in force afterwards (unchanged if raising failed).
 */
std::size_t raiseFileLimit() noexcept;

/** The soft RLIMIT_NOFILE. */
std::size_t fileLimit() noexcept;

/**
 * Descriptors open in this process with a number below the soft limit (entries of
 * /proc/self/fd), or nullopt if unreadable (e.g. no descriptor left to read it with).
 */
std::optional<std::size_t> countOpenFds() noexcept;

/** The reserve used when none is configured: 1/16 of the limit, at least 8. */
constexpr std::size_t defaultFdReserve(std::size_t limit) noexcept {
  return limit / 16 > 8 ? limit / 16 : 8;
}

/** How often FdBudget counts (see there). */
struct FdBudgetOptions {
  std::chrono::milliseconds maxAge{100};  ///< a count older than this is redone
  std::chrono::milliseconds minAge{10};   ///< a refusal recounts if the count is this old
};

/**
 * The descriptor budget. Loop thread only.
 *
 * Counting /proc/self/fd costs time proportional to the descriptors open, so the count is
 * cached: it is refreshed when older than `maxAge`, and also (at most every `minAge`) when
 * the cached figure says "no": a refusal is decided on a fresh count. Between counts every
 * admitted descriptor is added to the cached figure, so the estimate errs on the safe side
 * (closes are seen at the next count).
 */
class FdBudget {
 public:
  using Clock = std::function<std::chrono::steady_clock::time_point()>;
  using Counter = std::function<std::optional<std::size_t>()>;

  /**
   * @param limit the descriptor limit (RLIMIT_NOFILE).
   * @param reserve descriptors admit() never hands out.
   * @param counter counts open descriptors (tests inject one); nullopt counts as "full".
   * @param clock the time source (tests inject one).
   */
  FdBudget(std::size_t limit, std::size_t reserve, Counter counter = countOpenFds,
           Clock clock = std::chrono::steady_clock::now, FdBudgetOptions options = {});

  /**
   * Whether `need` more descriptors fit while leaving the reserve free. A yes counts them as
   * open until the next count; a no is counted in refusals().
   */
  bool admit(std::size_t need);
  /** Gives back descriptors admitted but not used (e.g. a connection closed at once). */
  void giveBack(std::size_t n) noexcept;

  std::size_t limit() const noexcept { return limit_; }
  std::size_t reserve() const noexcept { return reserve_; }
  /** The open descriptors as last counted plus those admitted since. */
  std::size_t open() const noexcept { return open_; }
  /** Descriptors admit() could still hand out (limit - reserve - open, or 0). */
  std::size_t available() const noexcept;
  /** How many admit() calls said no. */
  std::uint64_t refusals() const noexcept { return refusals_; }
  /** Counts now, whatever the age of the last count. */
  void recount();

 private:
  std::size_t limit_;
  std::size_t reserve_;
  Counter counter_;
  Clock clock_;
  FdBudgetOptions options_;
  std::size_t open_ = 0;
  std::chrono::steady_clock::time_point countedAt_{};
  std::uint64_t refusals_ = 0;
};

}  // namespace tapi::base
