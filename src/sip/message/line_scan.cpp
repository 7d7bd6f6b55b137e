#include "sip/message/detail/line_scan.hpp"

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

namespace tapi::sip::message::detail {

namespace {

/** First '\n', '\r' or NUL in [p, end), or end. Sixteen bytes at a time where SSE2 exists. */
const char* findLineSpecial(const char* p, const char* end) noexcept {
#if defined(__SSE2__)
  const __m128i lf = _mm_set1_epi8('\n');
  const __m128i cr = _mm_set1_epi8('\r');
  const __m128i nul = _mm_setzero_si128();
  while (end - p >= 16) {
    const __m128i v = _mm_loadu_si128(reinterpret_cast<const __m128i*>(p));
    const __m128i hit = _mm_or_si128(_mm_or_si128(_mm_cmpeq_epi8(v, lf), _mm_cmpeq_epi8(v, cr)),
                                     _mm_cmpeq_epi8(v, nul));
    const auto mask = static_cast<unsigned>(_mm_movemask_epi8(hit));
    if (mask != 0)
      return p + __builtin_ctz(mask);
    p += 16;
  }
#endif
  while (p < end && *p != '\n' && *p != '\r' && *p != '\0')
    ++p;
  return p;
}

/**
 * Quote state of a header line read left to right, so that an escaped NUL inside a
 * quoted-string (RFC 3261 §25.1 quoted-pair, RFC 4475 intmeth) can be told from a bare one
 * in one pass, however many of them the line holds.
 */
struct QuoteTracker {
  const char* seen;  // everything before this has been classified
  bool quoted = false;
  bool escaped = false;  // the previous byte was the "\\" of a quoted-pair

  /** Reads up to @p q (a NUL) and @return true if that NUL is escaped inside quotes. */
  bool escapedNulAt(const char* q) noexcept {
    for (; seen < q; ++seen) {
      if (escaped) {
        escaped = false;
      } else if (quoted && *seen == '\\') {
        escaped = true;
      } else if (*seen == '"') {
        quoted = !quoted;
      }
    }
    const bool ok = escaped;
    escaped = false;
    seen = q + 1;
    return ok;
  }
};

}  // namespace

LineScan scanLine(std::string_view s, std::size_t pos) noexcept {
  LineScan r;
  const char* end = s.data() + s.size();
  const char* q = findLineSpecial(s.data() + pos, end);
  QuoteTracker quotes{s.data() + pos};
  while (q != end && *q == '\0' && quotes.escapedNulAt(q)) {
    q = findLineSpecial(q + 1, end);
  }
  r.text = s.substr(pos, static_cast<std::size_t>(q - (s.data() + pos)));
  if (q == end)
    return r;
  if (*q == '\n') {
    r.kind = LineScan::Kind::Line;
    r.next = static_cast<std::size_t>(q + 1 - s.data());
  } else if (*q == '\r' && q + 1 < end && q[1] == '\n') {
    r.kind = LineScan::Kind::Line;
    r.next = static_cast<std::size_t>(q + 2 - s.data());
  } else if (*q == '\r' && q + 1 == end) {
    r.kind = LineScan::Kind::NoEnd;
  } else {
    r.kind = LineScan::Kind::Forbidden;
  }
  return r;
}

}  // namespace tapi::sip::message::detail
