#pragma once
// The wire syntax of Digest header values (RFC 3261 §25.1, RFC 7235 §2.1): character
// classes, a scanner over one value, auth-params read into the digest fields we know, and
// the quoted-strings we write. Shared by the challenge, client and server files; nothing
// outside src/sip/auth includes it.

#include <array>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <system_error>
#include <vector>

#include "base/result.hpp"
#include "sip/auth/digest.hpp"

namespace tapi::sip::auth::detail {

inline tapi::Unexpected failWith(AuthError e) {
  return tapi::fail(make_error_code(e));
}

// ---- characters ----------------------------------------------------------------------

inline char lower(char c) noexcept {
  return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c;
}

inline bool equalsNoCase(std::string_view a, std::string_view b) noexcept {
  if (a.size() != b.size())
    return false;
  for (std::size_t i = 0; i < a.size(); ++i) {
    if (lower(a[i]) != lower(b[i]))
      return false;
  }
  return true;
}

/** RFC 3261 §25.1 token characters. */
inline bool isTokenChar(char c) noexcept {
  if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9'))
    return true;
  switch (c) {
    case '-':
    case '.':
    case '!':
    case '%':
    case '*':
    case '_':
    case '+':
    case '`':
    case '\'':
    case '~':
      return true;
    default:
      return false;
  }
}

inline bool isHexDigit(char c) noexcept {
  return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}

inline bool isWsp(char c) noexcept {
  return c == ' ' || c == '\t';
}

/** True for bytes that must never reach a header we write (they would end or split it). */
inline bool hasLineBreakOrNul(std::string_view s) noexcept {
  return s.find_first_of(std::string_view("\r\n\0", 3)) != std::string_view::npos;
}

/** True if every byte of @p s is a hex digit (true for empty). */
bool allHex(std::string_view s) noexcept;

/** Precondition: @p s is 1..8 hex digits. */
std::uint32_t parseHex32(std::string_view s) noexcept;

// ---- scanning auth-params --------------------------------------------------------------

/**
 * A cursor over a header value. LWS includes folds (CRLF or LF followed by SP/HT), since
 * the message layer leaves folds in place.
 */
class Scanner {
 public:
  explicit Scanner(std::string_view s) noexcept : s_(s) {}

  bool atEnd() const noexcept { return i_ >= s_.size(); }
  char peek() const noexcept { return s_[i_]; }
  void advance() noexcept { ++i_; }
  std::size_t pos() const noexcept { return i_; }
  void setPos(std::size_t p) noexcept { i_ = p; }

  /** @return the length of the fold starting at @p p (CRLF WSP or LF WSP), 0 if none. */
  std::size_t foldAt(std::size_t p) const noexcept {
    if (p < s_.size() && s_[p] == '\r' && p + 2 < s_.size() && s_[p + 1] == '\n' &&
        isWsp(s_[p + 2])) {
      return 2;
    }
    if (p < s_.size() && s_[p] == '\n' && p + 1 < s_.size() && isWsp(s_[p + 1]))
      return 1;
    return 0;
  }

  void skipLws() noexcept {
    while (!atEnd()) {
      if (isWsp(s_[i_])) {
        ++i_;
      } else if (const std::size_t f = foldAt(i_); f != 0) {
        i_ += f;
      } else {
        break;
      }
    }
  }

  void skipLwsAndCommas() noexcept {
    skipLws();
    while (!atEnd() && peek() == ',') {
      ++i_;
      skipLws();
    }
  }

  std::string_view token() noexcept {
    const std::size_t start = i_;
    while (!atEnd() && isTokenChar(s_[i_]))
      ++i_;
    return s_.substr(start, i_ - start);
  }

  /**
   * A quoted-string (RFC 3261 §25.1) with the quotes removed, quoted-pairs unescaped and
   * folds turned into their whitespace. Precondition: peek() == '"'.
   * @return false if unterminated or holding a control character.
   */
  bool quoted(std::string& out) {
    ++i_;  // opening quote
    while (!atEnd()) {
      const char c = s_[i_];
      if (c == '"') {
        ++i_;
        return true;
      }
      if (c == '\\') {
        if (i_ + 1 >= s_.size())
          return false;
        const char e = s_[i_ + 1];
        if (e == '\r' || e == '\n' || e == '\0')
          return false;  // not a quoted-pair
        out.push_back(e);
        i_ += 2;
        continue;
      }
      if (const std::size_t f = foldAt(i_); f != 0) {
        i_ += f;  // the WSP after the line break stays
        continue;
      }
      const auto u = static_cast<unsigned char>(c);
      if ((u < 0x20 && c != '\t') || u == 0x7F)
        return false;
      out.push_back(c);
      ++i_;
    }
    return false;  // no closing quote
  }

  /**
   * An unquoted value. The grammar says token, but servers send base64 nonces and realms
   * with '/', '@', '=' unquoted, so any visible ASCII except ',' and '"' is taken.
   */
  std::string_view bareValue() noexcept {
    const std::size_t start = i_;
    while (!atEnd()) {
      const auto u = static_cast<unsigned char>(s_[i_]);
      if (u <= 0x20 || u >= 0x7F || s_[i_] == ',' || s_[i_] == '"')
        break;
      ++i_;
    }
    return s_.substr(start, i_ - start);
  }

  /** Length of a token68 (RFC 7235 §2.1) at the cursor, including trailing '='; 0 if none. */
  std::size_t token68Length() const noexcept {
    std::size_t p = i_;
    while (p < s_.size()) {
      const char c = s_[p];
      if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' ||
          c == '.' || c == '_' || c == '~' || c == '+' || c == '/') {
        ++p;
      } else {
        break;
      }
    }
    if (p == i_)
      return 0;
    while (p < s_.size() && s_[p] == '=')
      ++p;
    return p - i_;
  }

 private:
  std::string_view s_;
  std::size_t i_ = 0;
};

struct AuthParam {
  std::string_view name;
  std::string value;  // unquoted
};

/** One challenge or credentials: a scheme and its auth-params (or token68). */
struct RawChallenge {
  std::string_view scheme;
  std::vector<AuthParam> params;
  bool hasToken68 = false;  // "Basic QWxh=="; Digest never uses one
};

/**
 * Parse one `scheme [token68 | auth-param *(, auth-param)]` starting at the cursor. On
 * success the cursor is at the end or at the scheme of the next challenge.
 * @return false on a syntax error.
 */
bool parseOneChallenge(Scanner& sc, RawChallenge& out);

/** Parse the whole value as exactly one challenge/credentials (the size checked first). */
tapi::Result<RawChallenge> parseSingle(std::string_view value);

// ---- mapping auth-params to digest fields ----------------------------------------------

/** The digest parameters we understand; anything else is ignored. */
enum class Field : std::uint8_t {
  Realm,
  Nonce,
  Opaque,
  Algorithm,
  Qop,
  Stale,
  Username,
  Uri,
  Response,
  Cnonce,
  Nc,
  Unknown,
};

/**
 * The known fields of one Digest challenge or credentials, each at most once.
 * Pointers into RawChallenge::params (which outlives this).
 */
struct Fields {
  std::array<const std::string*, static_cast<std::size_t>(Field::Unknown)> value{};
  const std::string* get(Field f) const noexcept { return value[static_cast<std::size_t>(f)]; }
};

/** The Digest fields of @p raw: NotDigest, Malformed (token68) or DuplicateParameter. */
tapi::Result<Fields> collectFields(const RawChallenge& raw);

/** Copies realm and nonce, which both a challenge and an authorization must carry. */
std::error_code realmAndNonce(const Fields& f, std::string& realm, std::string& nonce);

/** The algorithm field; MD5 when absent, UnsupportedAlgorithm when unknown. */
tapi::Result<Algorithm> algorithmField(const Fields& f);

// ---- writing ---------------------------------------------------------------------------

/**
 * Append `"value"` as a quoted-string: '"', '\' and control characters other than HT go
 * out as quoted-pairs (RFC 3261 §25.1), so the parser reads back the same bytes. CR, LF and
 * NUL cannot be escaped: ClientAuth refuses them (BadCredentials), and if one slips through
 * a precondition it is dropped here rather than split the header (header injection).
 */
void appendQuoted(std::string& out, std::string_view value);

/** Append `, name="value"` (value quoted as appendQuoted() does). */
void appendQuotedParam(std::string& out, std::string_view name, std::string_view value);

/** nc as the 8 lowercase hex digits the wire carries. */
std::string formatNc(std::uint32_t nc);

}  // namespace tapi::sip::auth::detail
