#pragma once
// Result<T> and LINEERR_* codes are part of the public API; base re-exports them.
#include <tapi/result.hpp>
