#pragma once
// Callbacks that outlive their owner: a task posted to the loop, a timer or a transaction's
// completion can run after the object that asked for it is gone. A LifeToken wraps them so
// they do nothing then.

#include <memory>
#include <utility>

namespace tapi::base {

/**
 * Held by its owner for the owner's whole life (a member, so it goes with it). Not
 * copyable: a copy would outlive the owner. Loop thread only.
 */
class LifeToken {
 public:
  LifeToken() = default;
  LifeToken(const LifeToken&) = delete;
  LifeToken& operator=(const LifeToken&) = delete;

  /**
   * @param f a callable; it may capture the owner's `this`.
   * @return a copyable callable taking the same arguments that calls `f` while the owner is
   *         alive and does nothing once it is destroyed.
   */
  template <typename F>
  auto guard(F f) const {
    return [alive = std::weak_ptr<const bool>(alive_), f = std::move(f)](auto&&... args) mutable {
      if (!alive.expired()) {
        f(std::forward<decltype(args)>(args)...);
      }
    };
  }

  /**
   * Ends the owner's life before its members go (call it first in the owner's destructor):
   * a callback that would run during the teardown does nothing.
   */
  void end() noexcept { alive_.reset(); }

 private:
  std::shared_ptr<const bool> alive_ = std::make_shared<const bool>(true);
};

}  // namespace tapi::base
