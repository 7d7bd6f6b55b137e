#pragma once
// Errors as values: TAPI's LINEERR_* codes as a std::error_code category, and a small
// Result<T> shaped like C++23 std::expected so it can become an alias later.

#include <cassert>
#include <cstdint>
#include <string>
#include <system_error>
#include <type_traits>
#include <utility>
#include <variant>

namespace tapi {

/** TAPI 2.x LINEERR_* values (tapi.h). The enumerator value is the documented constant. */
enum class LineErr : std::uint32_t {
  InvalAddressId = 0x80000011,
  InvalAppHandle = 0x80000014,
  InvalCallHandle = 0x80000018,
  InvalCallPrivilege = 0x8000001A,
  InvalCallSelect = 0x8000001B,
  InvalCallState = 0x8000001C,
  InvalLineHandle = 0x8000002B,
  InvalParam = 0x80000032,
  InvalPointer = 0x80000035,
  InvalPrivSelect = 0x80000036,
  InvalMediaMode = 0x8000002F,
  BadDeviceId = 0x80000002,
  IncompatibleApiVersion = 0x8000000C,
  InvalAddress = 0x80000010,
  NoMem = 0x80000044,
  NotOwner = 0x80000046,
  OperationFailed = 0x80000048,
  OperationUnavail = 0x80000049,
  ResourceUnavail = 0x8000004B,
  StructureTooSmall = 0x8000004D,
  TargetNotFound = 0x8000004E,
  TargetSelf = 0x8000004F,
  Uninitialized = 0x80000050,
  UserUserInfoTooBig = 0x80000051,
  Reinit = 0x80000052,
  Disconnected = 0x80000060,
};

/** The error category of LineErr; message() gives the LINEERR_ name and a short meaning. */
const std::error_category& lineErrCategory() noexcept;

inline std::error_code make_error_code(LineErr e) noexcept {
  return {static_cast<int>(static_cast<std::uint32_t>(e)), lineErrCategory()};
}

/** The LINEERR_ constant name of a code ("LINEERR_INVALCALLHANDLE"). */
const char* lineErrName(LineErr e) noexcept;

/** The negative LONG a TAPI function returns for this error. */
inline std::int32_t toTapiLong(LineErr e) noexcept {
  return static_cast<std::int32_t>(static_cast<std::uint32_t>(e));
}

/** Extract a LineErr from any error_code; codes of other categories map to OPERATIONFAILED. */
LineErr toLineErr(const std::error_code& ec) noexcept;

struct Unexpected {
  std::error_code error;
};

inline Unexpected fail(std::error_code ec) {
  return Unexpected{ec};
}
inline Unexpected fail(LineErr e) {
  return Unexpected{make_error_code(e)};
}

/**
 * Holds either a value or an error_code. Accessing the wrong alternative is a broken
 * invariant and asserts; callers check ok() first.
 */
template <typename T>
class [[nodiscard]] Result {
 public:
  Result(T value) : v_(std::in_place_index<0>, std::move(value)) {}      // NOLINT implicit
  Result(Unexpected u) : v_(std::in_place_index<1>, u.error) {}          // NOLINT implicit
  Result(LineErr e) : v_(std::in_place_index<1>, make_error_code(e)) {}  // NOLINT implicit

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

  std::error_code error() const noexcept { return ok() ? std::error_code{} : std::get<1>(v_); }
  LineErr lineErr() const noexcept { return toLineErr(error()); }

 private:
  std::variant<T, std::error_code> v_;
};

template <>
class [[nodiscard]] Result<void> {
 public:
  Result() = default;
  Result(Unexpected u) : ec_(u.error) {}          // NOLINT implicit
  Result(LineErr e) : ec_(make_error_code(e)) {}  // NOLINT implicit
  bool ok() const noexcept { return !ec_; }
  explicit operator bool() const noexcept { return ok(); }
  std::error_code error() const noexcept { return ec_; }
  LineErr lineErr() const noexcept { return toLineErr(ec_); }

 private:
  std::error_code ec_;
};

}  // namespace tapi

template <>
struct std::is_error_code_enum<tapi::LineErr> : std::true_type {};
