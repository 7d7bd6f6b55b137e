#pragma once
// Character classes of the RFC 3261 grammar (§25.1), shared by the parsers.

#include <array>
#include <cstddef>
#include <cstdint>
#include <string_view>

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

namespace tapi::sip::message::detail {

constexpr bool isAlpha(char c) noexcept {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}
constexpr bool isDigit(char c) noexcept {
  return c >= '0' && c <= '9';
}
constexpr bool isAlnum(char c) noexcept {
  return isAlpha(c) || isDigit(c);
}
constexpr bool isHex(char c) noexcept {
  return isDigit(c) || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}

/** Character class bits; one table lookup replaces a chain of comparisons per byte. */
enum CharClass : std::uint16_t {
  kToken = 1 << 0,  ///< token: alphanum / "-" / "." / "!" / "%" / "*" / "_" / "+" / "`" / "'" / "~"
  kParam = 1 << 1,  ///< parameter names and unquoted values (token + URI paramchar)
  kUser = 1 << 2,   ///< URI user part: unreserved / user-unreserved (escapes checked apart)
  kPassword = 1 << 3,  ///< URI password part
  kHost = 1 << 4,      ///< hostname / IPv4 characters
  kUriChar = 1 << 5,   ///< may appear anywhere in a URI (visible ASCII but <, >, ")
  kLws = 1 << 6,       ///< SP, HTAB, CR, LF
  kTel = 1 << 7,       ///< tel: number characters
  kSplit = 1 << 8,     ///< stops the fast skip in comma splitting: , " < > backslash
};

constexpr bool inSet(char c, std::string_view set) noexcept {
  for (char x : set) {
    if (x == c)
      return true;
  }
  return false;
}

constexpr std::array<std::uint16_t, 256> makeCharClasses() {
  std::array<std::uint16_t, 256> t{};
  for (int i = 0; i < 256; ++i) {
    const char c = static_cast<char>(i);
    std::uint16_t v = 0;
    const bool an = isAlnum(c);
    if (an || inSet(c, "-.!%*_+`'~"))
      v |= kToken;
    if ((v & kToken) || inSet(c, "[]/:&$()"))
      v |= kParam;
    if (an || inSet(c, "-_.!~*'()&=+$,;?/"))
      v |= kUser;
    if (an || inSet(c, "-_.!~*'()&=+$,"))
      v |= kPassword;
    if (an || c == '-' || c == '.')
      v |= kHost;
    if (i > 0x20 && i < 0x7f && !inSet(c, "<>\""))
      v |= kUriChar;
    if (inSet(c, " \t\r\n"))
      v |= kLws;
    if (an || inSet(c, "+-.()*#"))
      v |= kTel;
    if (inSet(c, ",\"<>\\"))
      v |= kSplit;
    t[static_cast<std::size_t>(i)] = v;
  }
  return t;
}

inline constexpr std::array<std::uint16_t, 256> kCharClasses = makeCharClasses();

constexpr bool hasClass(char c, std::uint16_t cls) noexcept {
  return (kCharClasses[static_cast<unsigned char>(c)] & cls) != 0;
}

constexpr bool isTokenChar(char c) noexcept {
  return hasClass(c, kToken);
}
/** Whitespace inside a header value; CR/LF only appear there as part of a fold. */
constexpr bool isLws(char c) noexcept {
  return hasClass(c, kLws);
}
constexpr bool isParamChar(char c) noexcept {
  return hasClass(c, kParam);
}

/** Index of the first of , " < > \\ in s at or after pos, or s.size(). */
inline std::size_t findSplitSpecial(std::string_view s, std::size_t pos) noexcept {
#if defined(__SSE2__)
  const __m128i comma = _mm_set1_epi8(',');
  const __m128i quote = _mm_set1_epi8('"');
  const __m128i lt = _mm_set1_epi8('<');
  const __m128i gt = _mm_set1_epi8('>');
  const __m128i bs = _mm_set1_epi8('\\');
  while (s.size() - pos >= 16) {
    const __m128i v = _mm_loadu_si128(reinterpret_cast<const __m128i*>(s.data() + pos));
    const __m128i hit =
        _mm_or_si128(_mm_or_si128(_mm_or_si128(_mm_cmpeq_epi8(v, comma), _mm_cmpeq_epi8(v, quote)),
                                  _mm_or_si128(_mm_cmpeq_epi8(v, lt), _mm_cmpeq_epi8(v, gt))),
                     _mm_cmpeq_epi8(v, bs));
    const auto mask = static_cast<unsigned>(_mm_movemask_epi8(hit));
    if (mask != 0)
      return pos + static_cast<std::size_t>(__builtin_ctz(mask));
    pos += 16;
  }
#endif
  while (pos < s.size() && !hasClass(s[pos], kSplit))
    ++pos;
  return pos;
}

/** Index of the first byte at or after pos that is not a hostname/IPv4 character. */
inline std::size_t skipHostChars(std::string_view s, std::size_t pos) noexcept {
#if defined(__SSE2__)
  const __m128i caseBit = _mm_set1_epi8(0x20);
  const __m128i beforeA = _mm_set1_epi8('a' - 1);
  const __m128i afterZ = _mm_set1_epi8('z' + 1);
  const __m128i before0 = _mm_set1_epi8('0' - 1);
  const __m128i after9 = _mm_set1_epi8('9' + 1);
  const __m128i dash = _mm_set1_epi8('-');
  const __m128i dot = _mm_set1_epi8('.');
  while (s.size() - pos >= 16) {
    const __m128i v = _mm_loadu_si128(reinterpret_cast<const __m128i*>(s.data() + pos));
    const __m128i lower = _mm_or_si128(v, caseBit);
    // Signed compares: bytes >= 0x80 are negative and fall outside both ranges.
    const __m128i alpha =
        _mm_and_si128(_mm_cmpgt_epi8(lower, beforeA), _mm_cmplt_epi8(lower, afterZ));
    const __m128i digit = _mm_and_si128(_mm_cmpgt_epi8(v, before0), _mm_cmplt_epi8(v, after9));
    const __m128i ok = _mm_or_si128(_mm_or_si128(alpha, digit),
                                    _mm_or_si128(_mm_cmpeq_epi8(v, dash), _mm_cmpeq_epi8(v, dot)));
    const auto mask = static_cast<unsigned>(_mm_movemask_epi8(ok));
    if (mask != 0xffffU)
      return pos + static_cast<std::size_t>(__builtin_ctz(~mask));
    pos += 16;
  }
#endif
  while (pos < s.size() && hasClass(s[pos], kHost))
    ++pos;
  return pos;
}

/** True if every byte of s may appear in a URI (visible ASCII except < > "). */
inline bool allUriChars(std::string_view s) noexcept {
  std::size_t i = 0;
#if defined(__SSE2__)
  const __m128i space = _mm_set1_epi8(0x20);
  const __m128i del = _mm_set1_epi8(0x7f);
  const __m128i lt = _mm_set1_epi8('<');
  const __m128i gt = _mm_set1_epi8('>');
  const __m128i quote = _mm_set1_epi8('"');
  for (; s.size() - i >= 16; i += 16) {
    const __m128i v = _mm_loadu_si128(reinterpret_cast<const __m128i*>(s.data() + i));
    // Signed compares: bytes >= 0x80 are negative, so "v > 0x20" also rejects them.
    const __m128i visible = _mm_and_si128(_mm_cmpgt_epi8(v, space), _mm_cmplt_epi8(v, del));
    const __m128i banned = _mm_or_si128(_mm_or_si128(_mm_cmpeq_epi8(v, lt), _mm_cmpeq_epi8(v, gt)),
                                        _mm_cmpeq_epi8(v, quote));
    const __m128i ok = _mm_andnot_si128(banned, visible);
    if (_mm_movemask_epi8(ok) != 0xffff)
      return false;
  }
#endif
  for (; i < s.size(); ++i) {
    if (!hasClass(s[i], kUriChar))
      return false;
  }
  return true;
}

inline std::size_t skipLws(std::string_view s, std::size_t pos) noexcept {
  while (pos < s.size() && isLws(s[pos]))
    ++pos;
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
    if (c == '"')
      return pos + 1;
    if (c == '\\') {
      if (pos + 1 >= s.size())
        return std::string_view::npos;
      const char n = s[pos + 1];
      if (n == '\r' || n == '\n')
        return std::string_view::npos;
      pos += 2;
      continue;
    }
    if (c == '\0')
      return std::string_view::npos;
    ++pos;
  }
  return std::string_view::npos;
}

/** Parse a decimal number of at most @p maxDigits digits; false on empty/overflow. */
template <typename T>
bool parseDecimal(std::string_view s, T max, T* out) noexcept {
  if (s.empty() || s.size() > 10)
    return false;
  unsigned long long v = 0;
  for (char c : s) {
    if (!isDigit(c))
      return false;
    v = v * 10 + static_cast<unsigned long long>(c - '0');
  }
  if (v > static_cast<unsigned long long>(max))
    return false;
  *out = static_cast<T>(v);
  return true;
}

}  // namespace tapi::sip::message::detail
