#pragma once
// An optional value kept on the heap: one pointer wide while empty. For rarely set
// members of objects that exist in large numbers (a call's pending end, say), where an
// inline std::optional would cost every object its full size.

#include <memory>
#include <optional>
#include <utility>

namespace tapi::base {

template <typename T>
class Boxed {
 public:
  Boxed() = default;
  Boxed(const Boxed& o) : p_(o.p_ ? std::make_unique<T>(*o.p_) : nullptr) {}
  Boxed(Boxed&&) noexcept = default;
  Boxed& operator=(const Boxed& o) {
    p_ = o.p_ ? std::make_unique<T>(*o.p_) : nullptr;
    return *this;
  }
  Boxed& operator=(Boxed&&) noexcept = default;
  Boxed& operator=(T v) {
    p_ = std::make_unique<T>(std::move(v));
    return *this;
  }
  Boxed& operator=(const std::optional<T>& v) {
    p_ = v ? std::make_unique<T>(*v) : nullptr;
    return *this;
  }

  explicit operator bool() const noexcept { return p_ != nullptr; }
  T* operator->() noexcept { return p_.get(); }
  const T* operator->() const noexcept { return p_.get(); }
  T& operator*() noexcept { return *p_; }
  const T& operator*() const noexcept { return *p_; }
  void reset() noexcept { p_.reset(); }
  std::optional<T> toOptional() const { return p_ ? std::optional<T>(*p_) : std::nullopt; }

 private:
  std::unique_ptr<T> p_;
};

}  // namespace tapi::base
