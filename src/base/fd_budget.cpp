#include "base/fd_budget.hpp"

#include <dirent.h>
#include <sys/resource.h>

#include <cerrno>
#include <cstdlib>

#include "base/backoff.hpp"

namespace tapi::base {

bool isOutOfDescriptors(int errnoValue) noexcept {
  return errnoValue == EMFILE || errnoValue == ENFILE;
}

std::size_t fileLimit() noexcept {
  rlimit rl{};
  if (::getrlimit(RLIMIT_NOFILE, &rl) != 0 || rl.rlim_cur == RLIM_INFINITY) {
    return 1024 * 1024;
  }
  return static_cast<std::size_t>(rl.rlim_cur);
}

std::size_t raiseFileLimit() noexcept {
  rlimit rl{};
  if (::getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
    rlimit raised = rl;
    raised.rlim_cur = rl.rlim_max;
    // May fail (e.g. an infinite hard limit above fs.nr_open): the old limit stays.
    (void)::setrlimit(RLIMIT_NOFILE, &raised);
  }
  return fileLimit();
}

std::optional<std::size_t> countOpenFds() noexcept {
  DIR* d = ::opendir("/proc/self/fd");
  if (d == nullptr) {
    return std::nullopt;  // EMFILE among others: the caller treats it as "full"
  }
  // RLIMIT_NOFILE bounds descriptor numbers, not their count: one inherited above the limit
  // takes no room below it, so only the numbers below the limit are counted.
  const std::size_t limit = fileLimit();
  const int own = ::dirfd(d);
  std::size_t n = 0;
  while (const dirent* e = ::readdir(d)) {
    if (e->d_name[0] == '.') {
      continue;
    }
    const long fd = std::strtol(e->d_name, nullptr, 10);
    if (fd != own && fd >= 0 && static_cast<std::size_t>(fd) < limit) {
      ++n;
    }
  }
  ::closedir(d);
  return n;
}

FdBudget::FdBudget(std::size_t limit, std::size_t reserve, Counter counter, Clock clock,
                   FdBudgetOptions options)
    : limit_(limit),
      reserve_(reserve),
      counter_(std::move(counter)),
      clock_(std::move(clock)),
      options_(options) {
  recount();
}

void FdBudget::recount() {
  countedAt_ = clock_();
  // An unreadable count (no descriptor left for opendir) means we are at the limit.
  open_ = counter_().value_or(limit_);
}

std::size_t FdBudget::available() const noexcept {
  const std::size_t used = open_ + reserve_;
  return used >= limit_ ? 0 : limit_ - used;
}

bool FdBudget::admit(std::size_t need) {
  const auto age = clock_() - countedAt_;
  if (age >= options_.maxAge || (available() < need && age >= options_.minAge)) {
    recount();
  }
  if (available() < need) {
    ++refusals_;
    return false;
  }
  open_ += need;
  return true;
}

void FdBudget::giveBack(std::size_t n) noexcept {
  open_ = n > open_ ? 0 : open_ - n;
}

}  // namespace tapi::base
