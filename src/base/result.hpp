#pragma once
// Result<T> and LINEERR_* codes are part of the public API; base re-exports them.
#include <tapi/result.hpp>

#include <cassert>
#include <optional>
#include <string>
#include <system_error>
#include <utility>
#include <variant>

namespace tapi::base {

/**
 * A failure a person reads: the code to branch on and the sentence that says what failed,
 * naming the setting, address or line involved ("sip: listen_udp 'x' is not an IP address
 * and port"), which an error_code alone cannot carry.
 */
struct Error {
  std::error_code code;
  std::string text;
  /** The text, or the code's own message when there is no text. */
  std::string message() const { return text.empty() ? code.message() : text; }
};

/**
 * Result<T> for operations whose failure goes to an operator (start-up, configuration):
 * a value or a base::Error. Shaped like C++23 std::expected<T, Error>; accessing the wrong
 * alternative is a broken invariant and asserts, so callers check ok() first.
 */
template <typename T>
class [[nodiscard]] Outcome {
 public:
  Outcome(T value) : v_(std::in_place_index<0>, std::move(value)) {}      // NOLINT implicit
  Outcome(Error error) : v_(std::in_place_index<1>, std::move(error)) {}  // NOLINT implicit

  bool ok() const noexcept { return v_.index() == 0; }
  explicit operator bool() const noexcept { return ok(); }

  T& value() & {
    assert(ok());
    return std::get<0>(v_);
  }
  const T& value() const& {
    assert(ok());
    return std::get<0>(v_);
  }
  T&& value() && {
    assert(ok());
    return std::get<0>(std::move(v_));
  }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }
  T& operator*() & { return value(); }
  const T& operator*() const& { return value(); }

  /** The failure. Precondition: !ok(). */
  const Error& error() const {
    assert(!ok());
    return std::get<1>(v_);
  }

 private:
  std::variant<T, Error> v_;
};

/** Outcome of an operation with no value: success, or a base::Error. */
template <>
class [[nodiscard]] Outcome<void> {
 public:
  Outcome() = default;
  Outcome(Error error) : error_(std::move(error)) {}  // NOLINT implicit

  bool ok() const noexcept { return !error_.has_value(); }
  explicit operator bool() const noexcept { return ok(); }
  /** The failure. Precondition: !ok(). */
  const Error& error() const {
    assert(!ok());
    return *error_;
  }

 private:
  std::optional<Error> error_;
};

}  // namespace tapi::base
