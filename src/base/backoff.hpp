#pragma once
// A retry delay that doubles up to a ceiling. Acceptors use it when accept() fails for lack
// of descriptors (EMFILE/ENFILE): the pending connection stays in the kernel's backlog and
// the listening socket stays readable, so retrying at once would spin the loop at 100 % CPU
// without ever freeing a descriptor.

#include <algorithm>
#include <chrono>

namespace tapi::base {

class Backoff {
 public:
  using Duration = std::chrono::milliseconds;

  /** @param first the first delay; @param ceiling no delay is longer (>= first). */
  constexpr Backoff(Duration first = Duration{10}, Duration ceiling = Duration{1000}) noexcept
      : first_(first), ceiling_(std::max(first, ceiling)), next_(first) {}

  /** The delay to wait before the next attempt; each call doubles the one after it. */
  constexpr Duration next() noexcept {
    const Duration d = next_;
    next_ = std::min(ceiling_, next_ * 2);
    ++failures_;
    return d;
  }

  /** After a success: the next failure waits `first` again. */
  constexpr void reset() noexcept {
    next_ = first_;
    failures_ = 0;
  }

  /** Failures since the last reset (how many next() calls). */
  constexpr unsigned failures() const noexcept { return failures_; }

 private:
  Duration first_;
  Duration ceiling_;
  Duration next_;
  unsigned failures_ = 0;
};

/** True for the accept()/socket() errors that mean "no descriptor left" (EMFILE, ENFILE). */
bool isOutOfDescriptors(int errnoValue) noexcept;

}  // namespace tapi::base
