#pragma once
// Cutting a message into lines: the strict scanner parse() uses (it refuses the bytes that
// could smuggle a line break) and the plain line helpers of the framer and of the salvage
// of bad input, which only look for '\n'.

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string_view>

namespace tapi::sip::message::detail {

/** Find the end of the line starting at @p pos: index of '\n' (or npos). */
inline std::size_t lineEnd(std::string_view s, std::size_t pos) noexcept {
  const void* p = std::memchr(s.data() + pos, '\n', s.size() - pos);
  return p == nullptr ? std::string_view::npos
                      : static_cast<std::size_t>(static_cast<const char*>(p) - s.data());
}

/** The line [pos, nl) without a trailing CR. */
inline std::string_view lineText(std::string_view s, std::size_t pos, std::size_t nl) noexcept {
  std::size_t e = nl;
  if (e > pos && s[e - 1] == '\r')
    --e;
  return s.substr(pos, e - pos);
}

/** One physical line of the header section. */
struct LineScan {
  enum class Kind : std::uint8_t { Line, NoEnd, Forbidden } kind = Kind::NoEnd;
  std::string_view text;  // without its terminator
  std::size_t next = 0;   // index after the terminator
};

/**
 * Cut the line starting at @p pos. Lines end in CRLF or a lone LF. NUL (except escaped
 * inside a quoted-string), and CR other than in CRLF, are refused here so that no later
 * reader can mistake them for a line break (header smuggling); other control bytes are
 * passed to whoever reads the header.
 */
LineScan scanLine(std::string_view s, std::size_t pos) noexcept;

}  // namespace tapi::sip::message::detail
