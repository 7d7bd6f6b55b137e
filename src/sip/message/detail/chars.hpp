#pragma once
// Character classes of the RFC 3261 grammar (§25.1), shared by the parsers.

#include <cstddef>
#include <string_view>

namespace tapi::sip::message::detail {

constexpr bool isAlpha(char c) noexcept { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); }
constexpr bool isDigit(char c) noexcept { return c >= '0' && c <= '9'; }
constexpr bool isAlnum(char c) noexcept { return isAlpha(c) || isDigit(c); }
constexpr bool isHex(char c) noexcept {
  return isDigit(c) || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}

/** token characters: alphanum / "-" / "." / "!" / "%" / "*" / "_" / "+" / "`" / "'" / "~" */
constexpr bool isTokenChar(char c) noexcept {
  if (isAlnum(c)) return true;
  switch (c) {
    case '-': case '.': case '!': case '%': case '*': case '_': case '+': case '`':
    case '\'': case '~':
      return true;
    default:
      return false;
  }
}

/** Whitespace inside a header value; CR/LF only appear there as part of a fold. */
constexpr bool isLws(char c) noexcept { return c == ' ' || c == '\t' || c == '\r' || c == '\n'; }

/** Characters allowed in parameter names and unquoted values (token + URI paramchar). */
constexpr bool isParamChar(char c) noexcept {
  if (isTokenChar(c)) return true;
  switch (c) {
    case '[': case ']': case '/': case ':': case '&': case '$': case '(': case ')':
      return true;
    default:
      return false;
  }
}

inline std::size_t skipLws(std::string_view s, std::size_t pos) noexcept {
  while (pos < s.size() && isLws(s[pos])) ++pos;
  return pos;
}

/**
 * Skip a quoted-string starting at s[pos] == '"'. @return the index after the closing
 * quote, or npos if it is unterminated or holds a forbidden character.
 */
inline std::size_t skipQuoted(std::string_view s, std::size_t pos) noexcept {
  ++pos;
  while (pos < s.size()) {
    const char c = s[pos];
    if (c == '"') return pos + 1;
    if (c == '\\') {
      if (pos + 1 >= s.size()) return std::string_view::npos;
      const char n = s[pos + 1];
      if (n == '\r' || n == '\n') return std::string_view::npos;
      pos += 2;
      continue;
    }
    if (c == '\0') return std::string_view::npos;
    ++pos;
  }
  return std::string_view::npos;
}

/** Parse a decimal number of at most @p maxDigits digits; false on empty/overflow. */
template <typename T>
bool parseDecimal(std::string_view s, T max, T* out) noexcept {
  if (s.empty() || s.size() > 10) return false;
  unsigned long long v = 0;
  for (char c : s) {
    if (!isDigit(c)) return false;
    v = v * 10 + static_cast<unsigned long long>(c - '0');
  }
  if (v > static_cast<unsigned long long>(max)) return false;
  *out = static_cast<T>(v);
  return true;
}

}  // namespace tapi::sip::message::detail
