#pragma once
// TAPI's variable-size structures: the caller sets dwTotalSize; the library fills the
// fixed part, puts each variable part after it (described by a ...Size/...Offset pair
// measured from the start of the structure) and reports dwNeededSize and dwUsedSize.
//
// Rule (docs/capi.md): if dwTotalSize is smaller than the fixed part of the caller's API
// version the call fails with LINEERR_STRUCTURETOOSMALL and nothing is written. If the
// fixed part fits but not everything, only the fixed part is filled: every variable
// field has Size = Offset = 0 (nothing is truncated), dwUsedSize is the fixed size and
// dwNeededSize says how much to allocate.

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>
#include <vector>

#include <tapi/tapi.h>

namespace tapi::capi {

/**
 * Collects variable parts for a structure built in `local` (a zeroed full-size copy), then
 * writes fixed part and variable parts into the caller's buffer.
 */
template <typename T>
class VarStruct {
 public:
  /** @param fixed the fixed size for the caller's API version (<= sizeof(T)). */
  explicit VarStruct(DWORD fixed) : fixed_(fixed) { std::memset(&local_, 0, sizeof(T)); }

  T& local() { return local_; }

  /** Adds raw bytes (may be empty: the pair stays 0). `align` pads the start. */
  void bytes(DWORD T::*size, DWORD T::*offset, const void* data, std::size_t n,
             std::size_t align = 1) {
    if (n == 0) {
      return;
    }
    parts_.push_back(Part{size, offset, std::string(static_cast<const char*>(data), n), align});
  }
  /** Adds a NUL-terminated string (empty strings are left out). */
  void string(DWORD T::*size, DWORD T::*offset, std::string_view s) {
    if (s.empty()) {
      return;
    }
    std::string z(s);
    z.push_back('\0');
    parts_.push_back(Part{size, offset, std::move(z), 1});
  }

  /** Writes into `out` (out->dwTotalSize already checked >= fixed). */
  void write(T* out) {
    const DWORD total = out->dwTotalSize;
    std::size_t needed = fixed_;
    for (const Part& p : parts_) {
      needed = pad(needed, p.align) + p.data.size();
    }
    const bool fits = needed <= total;
    std::size_t used = fixed_;
    if (fits) {
      for (const Part& p : parts_) {
        used = pad(used, p.align);
        local_.*(p.size) = static_cast<DWORD>(p.data.size());
        local_.*(p.offset) = static_cast<DWORD>(used);
        used += p.data.size();
      }
    }
    local_.dwTotalSize = total;
    local_.dwNeededSize = static_cast<DWORD>(needed);
    local_.dwUsedSize = static_cast<DWORD>(used);
    auto* base = reinterpret_cast<unsigned char*>(out);
    std::memcpy(base, &local_, fixed_);
    if (fits) {
      std::size_t at = fixed_;
      for (const Part& p : parts_) {
        const std::size_t start = pad(at, p.align);
        if (start > at) {
          std::memset(base + at, 0, start - at);
        }
        std::memcpy(base + start, p.data.data(), p.data.size());
        at = start + p.data.size();
      }
    }
  }

 private:
  struct Part {
    DWORD T::*size;
    DWORD T::*offset;
    std::string data;
    std::size_t align;
  };
  static std::size_t pad(std::size_t v, std::size_t a) { return (v + a - 1) / a * a; }

  DWORD fixed_;
  T local_;
  std::vector<Part> parts_;
};

}  // namespace tapi::capi
