#include "sip/auth/digest.hpp"

#include <algorithm>
#include <array>
#include <cstdio>
#include <initializer_list>
#include <limits>
#include <random>
#include <utility>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/rand.h>

namespace tapi::sip::auth {
namespace {

// ---- error category ------------------------------------------------------------------

class AuthErrorCategory final : public std::error_category {
 public:
  const char* name() const noexcept override { return "sip.auth"; }
  std::string message(int ev) const override {
    if (ev < 0 || ev > static_cast<int>(AuthError::HashUnavailable))
      return "unknown auth error";
    return toString(static_cast<AuthError>(ev));
  }
};

tapi::Unexpected failWith(AuthError e) {
  return tapi::fail(make_error_code(e));
}

// ---- characters ----------------------------------------------------------------------

char lower(char c) noexcept {
  return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c;
}

bool equalsNoCase(std::string_view a, std::string_view b) noexcept {
  if (a.size() != b.size())
    return false;
  for (std::size_t i = 0; i < a.size(); ++i) {
    if (lower(a[i]) != lower(b[i]))
      return false;
  }
  return true;
}

/** RFC 3261 §25.1 token characters. */
bool isTokenChar(char c) noexcept {
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

bool isHexDigit(char c) noexcept {
  return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}

bool isWsp(char c) noexcept {
  return c == ' ' || c == '\t';
}

/** True for bytes that must never reach a header we write (they would end or split it). */
bool hasLineBreakOrNul(std::string_view s) noexcept {
  return s.find_first_of(std::string_view("\r\n\0", 3)) != std::string_view::npos;
}

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
bool parseOneChallenge(Scanner& sc, RawChallenge& out) {
  out.params.clear();
  out.hasToken68 = false;
  sc.skipLwsAndCommas();
  out.scheme = sc.token();
  if (out.scheme.empty())
    return false;
  // The scheme ends at whitespace, a comma or the end ("realm=x" alone has no scheme).
  if (!sc.atEnd() && !isWsp(sc.peek()) && sc.peek() != ',' && sc.foldAt(sc.pos()) == 0) {
    return false;
  }
  bool first = true;
  while (true) {
    sc.skipLwsAndCommas();
    if (sc.atEnd())
      return true;
    const std::size_t mark = sc.pos();
    if (first) {
      // token68 ("Basic QWxhZGRpbg==") is only valid as the first item after the scheme.
      if (const std::size_t n = sc.token68Length(); n != 0) {
        sc.setPos(mark + n);
        sc.skipLws();
        if (sc.atEnd() || sc.peek() == ',') {
          out.hasToken68 = true;
          first = false;
          continue;
        }
        sc.setPos(mark);
      }
    }
    const std::string_view name = sc.token();
    if (name.empty())
      return false;
    sc.skipLws();
    if (sc.atEnd() || sc.peek() != '=') {
      // A bare token here starts the next challenge ("Digest ..., Basic realm=..."): the
      // previous item ended with a comma, or this one follows the scheme directly.
      sc.setPos(mark);
      return true;
    }
    sc.advance();  // '='
    sc.skipLws();
    if (sc.atEnd())
      return false;
    AuthParam p{name, {}};
    if (sc.peek() == '"') {
      if (!sc.quoted(p.value))
        return false;
    } else {
      const std::string_view v = sc.bareValue();
      if (v.empty())
        return false;
      p.value.assign(v);
    }
    out.params.push_back(std::move(p));
    first = false;
    sc.skipLws();
    if (sc.atEnd())
      return true;
    if (sc.peek() != ',')
      return false;
  }
}

// ---- hashing ---------------------------------------------------------------------------

const EVP_MD* mdFor(Algorithm a) noexcept {
  switch (a) {
    case Algorithm::Md5:
    case Algorithm::Md5Sess:
      return EVP_md5();
    case Algorithm::Sha256:
    case Algorithm::Sha256Sess:
      return EVP_sha256();
    case Algorithm::Sha512_256:
    case Algorithm::Sha512_256Sess:
      return EVP_sha512_256();
  }
  return nullptr;
}

/** Hex length of a digest of @p a (32 for MD5, 64 for the SHA-2 family). */
std::size_t hexLength(Algorithm a) noexcept {
  return strength(a) == 1 ? 32 : 64;  // MD5: 128 bits; every SHA-2 variant here: 256
}

std::string toHex(const unsigned char* data, std::size_t n) {
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out(n * 2, '\0');
  for (std::size_t i = 0; i < n; ++i) {
    out[2 * i] = kHex[data[i] >> 4];
    out[2 * i + 1] = kHex[data[i] & 0x0F];
  }
  return out;
}

/** @return lowercase hex H(data), or empty if OpenSSL refuses (e.g. MD5 in FIPS mode). */
std::string hashHex(Algorithm a, std::string_view data) {
  std::array<unsigned char, EVP_MAX_MD_SIZE> md{};
  unsigned int len = 0;
  const EVP_MD* type = mdFor(a);
  if (type == nullptr ||
      EVP_Digest(data.data(), data.size(), md.data(), &len, type, nullptr) != 1) {
    return {};
  }
  return toHex(md.data(), len);
}

/** Concatenate @p parts with ':' between them (the digest KD/H input form). */
std::string joinColon(std::initializer_list<std::string_view> parts) {
  std::size_t n = 0;
  for (std::string_view p : parts)
    n += p.size() + 1;
  std::string out;
  out.reserve(n);
  bool firstPart = true;
  for (std::string_view p : parts) {
    if (!firstPart)
      out.push_back(':');
    out.append(p);
    firstPart = false;
  }
  return out;
}

/**
 * The response from the HA1 base H(user:realm:password) (RFC 7616 §3.4.1-3.4.3). Empty if
 * a hash fails.
 */
std::string responseFromBaseHa1(const DigestInput& in, std::string_view baseHa1) {
  if (baseHa1.empty())
    return {};
  std::string ha1(baseHa1);
  if (isSession(in.algorithm)) {
    ha1 = hashHex(in.algorithm, joinColon({baseHa1, in.nonce, in.cnonce}));
    if (ha1.empty())
      return {};
  }
  std::string ha2;
  if (in.qop == Qop::AuthInt) {
    const std::string bodyHash = hashHex(in.algorithm, in.body);
    if (bodyHash.empty())
      return {};
    ha2 = hashHex(in.algorithm, joinColon({in.method, in.digestUri, bodyHash}));
  } else {
    ha2 = hashHex(in.algorithm, joinColon({in.method, in.digestUri}));
  }
  if (ha2.empty())
    return {};
  if (in.qop == Qop::None)
    return hashHex(in.algorithm, joinColon({ha1, in.nonce, ha2}));
  return hashHex(in.algorithm, joinColon({ha1, in.nonce, in.nc, in.cnonce, toString(in.qop), ha2}));
}

/** Random lowercase hex from the crypto RNG (std::random_device if that ever fails). */
std::string randomHex(std::size_t bytes) {
  std::vector<unsigned char> buf(bytes);
  if (RAND_bytes(buf.data(), static_cast<int>(buf.size())) != 1) {
    std::random_device rd;
    for (unsigned char& b : buf)
      b = static_cast<unsigned char>(rd());
  }
  return toHex(buf.data(), buf.size());
}

/** Constant-time equality of two hex strings, ignoring case in @p received. */
bool hexEqualsConstantTime(std::string_view expected, std::string_view received) {
  if (expected.empty() || expected.size() != received.size())
    return false;
  std::string lowered(received);
  for (char& c : lowered)
    c = lower(c);
  return CRYPTO_memcmp(expected.data(), lowered.data(), expected.size()) == 0;
}

// ---- writing ---------------------------------------------------------------------------

/**
 * Append `"value"` as a quoted-string: '"', '\' and control characters other than HT go
 * out as quoted-pairs (RFC 3261 §25.1), so the parser reads back the same bytes. CR, LF and
 * NUL cannot be escaped: ClientAuth refuses them (BadCredentials), and if one slips through
 * a precondition it is dropped here rather than split the header (header injection).
 */
void appendQuoted(std::string& out, std::string_view value) {
  out.push_back('"');
  for (char c : value) {
    if (c == '\r' || c == '\n' || c == '\0')
      continue;
    const auto u = static_cast<unsigned char>(c);
    if (c == '"' || c == '\\' || (u < 0x20 && c != '\t') || u == 0x7F)
      out.push_back('\\');
    out.push_back(c);
  }
  out.push_back('"');
}

void appendQuotedParam(std::string& out, std::string_view name, std::string_view value) {
  out.append(", ").append(name).push_back('=');
  appendQuoted(out, value);
}

std::string formatNc(std::uint32_t nc) {
  std::array<char, 9> buf{};
  std::snprintf(buf.data(), buf.size(), "%08x", static_cast<unsigned>(nc));
  return std::string(buf.data(), 8);
}

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

Field fieldOf(std::string_view name) noexcept {
  static constexpr std::pair<std::string_view, Field> kFields[] = {
      {"realm", Field::Realm},         {"nonce", Field::Nonce}, {"opaque", Field::Opaque},
      {"algorithm", Field::Algorithm}, {"qop", Field::Qop},     {"stale", Field::Stale},
      {"username", Field::Username},   {"uri", Field::Uri},     {"response", Field::Response},
      {"cnonce", Field::Cnonce},       {"nc", Field::Nc},
  };
  for (const auto& [n, f] : kFields) {
    if (equalsNoCase(n, name))
      return f;
  }
  return Field::Unknown;
}

/**
 * The known fields of one Digest challenge or credentials, each at most once.
 * Pointers into RawChallenge::params (which outlives this).
 */
struct Fields {
  std::array<const std::string*, static_cast<std::size_t>(Field::Unknown)> value{};
  const std::string* get(Field f) const noexcept { return value[static_cast<std::size_t>(f)]; }
};

/** Copies realm and nonce, which both a challenge and an authorization must carry. */
std::error_code realmAndNonce(const Fields& f, std::string& realm, std::string& nonce) {
  const std::string* r = f.get(Field::Realm);
  if (r == nullptr)
    return make_error_code(AuthError::MissingRealm);
  const std::string* n = f.get(Field::Nonce);
  if (n == nullptr || n->empty())
    return make_error_code(AuthError::MissingNonce);
  realm = *r;
  nonce = *n;
  return {};
}

tapi::Result<Fields> collectFields(const RawChallenge& raw) {
  if (!equalsNoCase(raw.scheme, "Digest"))
    return failWith(AuthError::NotDigest);
  // "realm=," reads as a token68 (RFC 7235 §2.1); for Digest it is a broken parameter.
  if (raw.hasToken68)
    return failWith(AuthError::Malformed);
  Fields fields;
  for (const AuthParam& p : raw.params) {
    const Field f = fieldOf(p.name);
    if (f == Field::Unknown)
      continue;
    const std::string*& slot = fields.value[static_cast<std::size_t>(f)];
    if (slot != nullptr)
      return failWith(AuthError::DuplicateParameter);
    slot = &p.value;
  }
  return fields;
}

/** Parse the whole value as exactly one challenge/credentials (the size checked first). */
tapi::Result<RawChallenge> parseSingle(std::string_view value) {
  if (value.size() > kMaxHeaderValue)
    return failWith(AuthError::ValueTooLong);
  Scanner sc(value);
  sc.skipLws();
  if (sc.atEnd())
    return failWith(AuthError::Empty);
  RawChallenge raw;
  if (!parseOneChallenge(sc, raw))
    return failWith(AuthError::Malformed);
  sc.skipLwsAndCommas();
  if (!sc.atEnd())
    return failWith(AuthError::Malformed);  // a second scheme
  return raw;
}

tapi::Result<Algorithm> algorithmField(const Fields& f) {
  const std::string* a = f.get(Field::Algorithm);
  if (a == nullptr)
    return Algorithm::Md5;
  const auto alg = algorithmFromName(*a);
  if (!alg)
    return failWith(AuthError::UnsupportedAlgorithm);
  return *alg;
}

tapi::Result<Challenge> challengeFrom(const RawChallenge& raw, bool proxy) {
  auto fr = collectFields(raw);
  if (!fr)
    return tapi::fail(fr.error());
  const Fields& f = *fr;
  Challenge c;
  c.proxy = proxy;
  if (auto e = realmAndNonce(f, c.realm, c.nonce); e)
    return tapi::fail(e);
  if (const std::string* o = f.get(Field::Opaque)) {
    c.opaque = *o;
    c.hasOpaque = true;
  }
  auto alg = algorithmField(f);
  if (!alg)
    return tapi::fail(alg.error());
  c.algorithm = *alg;
  if (const std::string* s = f.get(Field::Stale))
    c.stale = equalsNoCase(*s, "true");
  if (const std::string* q = f.get(Field::Qop)) {
    // qop-options: a quoted, comma-separated list ("auth,auth-int"); unknown ones ignored.
    Scanner qs(*q);
    while (true) {
      qs.skipLwsAndCommas();
      if (qs.atEnd())
        break;
      const std::string_view opt = qs.token();
      if (opt.empty())
        return failWith(AuthError::Malformed);
      if (equalsNoCase(opt, "auth"))
        c.qopAuth = true;
      if (equalsNoCase(opt, "auth-int"))
        c.qopAuthInt = true;
    }
    if (!c.qopAuth && !c.qopAuthInt)
      return failWith(AuthError::UnsupportedQop);
  } else if (isSession(c.algorithm)) {
    // Without qop there is no cnonce on the wire, so the server cannot compute HA1.
    return failWith(AuthError::UnsupportedQop);
  }
  return c;
}

bool allHex(std::string_view s) noexcept {
  return std::all_of(s.begin(), s.end(), [](char ch) { return isHexDigit(ch); });
}

/** Precondition: @p s is 1..8 hex digits. */
std::uint32_t parseHex32(std::string_view s) noexcept {
  std::uint32_t v = 0;
  for (char ch : s) {
    const char c = lower(ch);
    v = (v << 4) | static_cast<std::uint32_t>(c <= '9' ? c - '0' : c - 'a' + 10);
  }
  return v;
}

tapi::Result<Authorization> authorizationFrom(const RawChallenge& raw) {
  auto fr = collectFields(raw);
  if (!fr)
    return tapi::fail(fr.error());
  const Fields& f = *fr;
  Authorization a;
  if (auto e = realmAndNonce(f, a.realm, a.nonce); e)
    return tapi::fail(e);
  const std::string* username = f.get(Field::Username);
  const std::string* uri = f.get(Field::Uri);
  const std::string* response = f.get(Field::Response);
  if (username == nullptr || uri == nullptr || response == nullptr) {
    return failWith(AuthError::MissingParameter);
  }
  a.username = *username;
  a.uri = *uri;
  if (response->empty() || response->size() > 128 || !allHex(*response)) {
    return failWith(AuthError::Malformed);
  }
  a.response = *response;
  auto alg = algorithmField(f);
  if (!alg)
    return tapi::fail(alg.error());
  a.algorithm = *alg;
  if (const std::string* o = f.get(Field::Opaque)) {
    a.opaque = *o;
    a.hasOpaque = true;
  }
  if (const std::string* c = f.get(Field::Cnonce))
    a.cnonce = *c;
  if (const std::string* q = f.get(Field::Qop)) {
    if (equalsNoCase(*q, "auth")) {
      a.qop = Qop::Auth;
    } else if (equalsNoCase(*q, "auth-int")) {
      a.qop = Qop::AuthInt;
    } else {
      return failWith(AuthError::UnsupportedQop);
    }
    const std::string* nc = f.get(Field::Nc);
    if (nc == nullptr || a.cnonce.empty())
      return failWith(AuthError::MissingParameter);
    if (nc->size() != 8 || !allHex(*nc))
      return failWith(AuthError::Malformed);
    a.nc = *nc;
    a.nonceCount = parseHex32(a.nc);
  } else if (isSession(a.algorithm) && a.cnonce.empty()) {
    return failWith(AuthError::MissingParameter);
  }
  return a;
}

DigestInput inputFor(const Authorization& a, std::string_view method, std::string_view body) {
  DigestInput in;
  in.algorithm = a.algorithm;
  in.qop = a.qop;
  in.username = a.username;
  in.realm = a.realm;
  in.nonce = a.nonce;
  in.cnonce = a.cnonce;
  in.nc = a.nc;
  in.method = method;
  in.digestUri = a.uri;
  in.body = body;
  return in;
}

}  // namespace

// ---- names -----------------------------------------------------------------------------

const char* toString(AuthError e) noexcept {
  switch (e) {
    case AuthError::ValueTooLong:
      return "authentication header value too long";
    case AuthError::Empty:
      return "empty authentication header value";
    case AuthError::NotDigest:
      return "not a Digest challenge or credentials";
    case AuthError::Malformed:
      return "malformed Digest parameters";
    case AuthError::DuplicateParameter:
      return "duplicate Digest parameter";
    case AuthError::MissingRealm:
      return "missing realm";
    case AuthError::MissingNonce:
      return "missing nonce";
    case AuthError::MissingParameter:
      return "missing Digest parameter";
    case AuthError::UnsupportedAlgorithm:
      return "unsupported digest algorithm";
    case AuthError::UnsupportedQop:
      return "unsupported qop";
    case AuthError::RealmMismatch:
      return "credentials are for another realm";
    case AuthError::BadCredentials:
      return "username or uri contains CR, LF or NUL";
    case AuthError::RetryRefused:
      return "credentials rejected; not retrying";
    case AuthError::NonceCountExhausted:
      return "nonce count exhausted";
    case AuthError::HashUnavailable:
      return "digest hash unavailable";
  }
  return "unknown auth error";
}

const std::error_category& authErrorCategory() noexcept {
  static const AuthErrorCategory cat;
  return cat;
}

const char* toString(Algorithm a) noexcept {
  switch (a) {
    case Algorithm::Md5:
      return "MD5";
    case Algorithm::Md5Sess:
      return "MD5-sess";
    case Algorithm::Sha256:
      return "SHA-256";
    case Algorithm::Sha256Sess:
      return "SHA-256-sess";
    case Algorithm::Sha512_256:
      return "SHA-512-256";
    case Algorithm::Sha512_256Sess:
      return "SHA-512-256-sess";
  }
  return "MD5";
}

std::optional<Algorithm> algorithmFromName(std::string_view name) noexcept {
  static constexpr Algorithm kAll[] = {Algorithm::Md5,        Algorithm::Md5Sess,
                                       Algorithm::Sha256,     Algorithm::Sha256Sess,
                                       Algorithm::Sha512_256, Algorithm::Sha512_256Sess};
  for (Algorithm a : kAll) {
    if (equalsNoCase(name, toString(a)))
      return a;
  }
  return std::nullopt;
}

bool isSession(Algorithm a) noexcept {
  switch (a) {
    case Algorithm::Md5:
    case Algorithm::Sha256:
    case Algorithm::Sha512_256:
      return false;
    case Algorithm::Md5Sess:
    case Algorithm::Sha256Sess:
    case Algorithm::Sha512_256Sess:
      return true;
  }
  return false;
}

int strength(Algorithm a) noexcept {
  switch (a) {
    case Algorithm::Md5:
    case Algorithm::Md5Sess:
      return 1;
    case Algorithm::Sha256:
    case Algorithm::Sha256Sess:
    case Algorithm::Sha512_256:
    case Algorithm::Sha512_256Sess:
      return 2;
  }
  return 0;
}

const char* toString(Qop q) noexcept {
  switch (q) {
    case Qop::None:
      return "";
    case Qop::Auth:
      return "auth";
    case Qop::AuthInt:
      return "auth-int";
  }
  return "";
}

// ---- client side -----------------------------------------------------------------------

tapi::Result<Challenge> parseChallenge(std::string_view headerValue, bool proxy) {
  auto raw = parseSingle(headerValue);
  if (!raw)
    return tapi::fail(raw.error());
  return challengeFrom(*raw, proxy);
}

std::optional<Challenge> pickChallenge(const std::vector<std::string_view>& headerValues,
                                       bool proxy) {
  std::optional<Challenge> best;
  for (std::string_view value : headerValues) {
    if (value.size() > kMaxHeaderValue)
      continue;
    Scanner sc(value);
    RawChallenge raw;
    while (true) {
      sc.skipLwsAndCommas();
      if (sc.atEnd())
        break;
      // A syntax error loses the rest of this value: where the next challenge starts is unknown.
      if (!parseOneChallenge(sc, raw))
        break;
      auto c = challengeFrom(raw, proxy);
      if (c && (!best || strength(c->algorithm) > strength(best->algorithm))) {
        best = std::move(*c);
      }
    }
  }
  return best;
}

namespace {

/** authorizationHeader(), also telling whether the hash worked (the response is non-empty). */
std::string buildAuthorization(const Challenge& challenge, const Credentials& credentials,
                               const AuthorizationParams& params, bool* hashed) {
  const Qop qop = challenge.qopAuth ? Qop::Auth : challenge.qopAuthInt ? Qop::AuthInt : Qop::None;
  // A -sess HA1 needs a cnonce even in the (non-conforming) no-qop case.
  const bool sendCnonce = qop != Qop::None || isSession(challenge.algorithm);
  const std::string cnonce = !sendCnonce             ? std::string()
                             : params.cnonce.empty() ? randomHex(8)
                                                     : params.cnonce;
  const std::string nc = formatNc(params.nonceCount == 0 ? 1 : params.nonceCount);

  DigestInput in;
  in.algorithm = challenge.algorithm;
  in.qop = qop;
  in.username = credentials.username;
  in.realm = challenge.realm;
  in.password = credentials.password;
  in.nonce = challenge.nonce;
  in.cnonce = cnonce;
  in.nc = nc;
  in.method = params.method;
  in.digestUri = params.digestUri;
  in.body = params.body;
  const std::string response = computeResponse(in);
  *hashed = !response.empty();

  std::string out = "Digest username=";
  appendQuoted(out, credentials.username);
  appendQuotedParam(out, "realm", challenge.realm);
  appendQuotedParam(out, "nonce", challenge.nonce);
  appendQuotedParam(out, "uri", params.digestUri);
  appendQuotedParam(out, "response", response);
  out.append(", algorithm=").append(toString(challenge.algorithm));
  if (sendCnonce)
    appendQuotedParam(out, "cnonce", cnonce);
  if (qop != Qop::None) {
    out.append(", qop=").append(toString(qop));
    out.append(", nc=").append(nc);
  }
  if (challenge.hasOpaque)
    appendQuotedParam(out, "opaque", challenge.opaque);
  return out;
}

}  // namespace

std::string authorizationHeader(const Challenge& challenge, const Credentials& credentials,
                                const AuthorizationParams& params) {
  bool hashed = false;
  return buildAuthorization(challenge, credentials, params, &hashed);
}

void ClientAuth::beginRequest() noexcept {
  for (RealmState& r : realms_) {
    r.answeredThisRequest = false;
    r.staleRetries = 0;
  }
}

ClientAuth::RealmState* ClientAuth::find(std::string_view realm, bool proxy) noexcept {
  for (RealmState& r : realms_) {
    if (r.challenge.proxy == proxy && r.challenge.realm == realm)
      return &r;
  }
  return nullptr;
}

const ClientAuth::RealmState* ClientAuth::find(std::string_view realm, bool proxy) const noexcept {
  for (const RealmState& r : realms_) {
    if (r.challenge.proxy == proxy && r.challenge.realm == realm)
      return &r;
  }
  return nullptr;
}

tapi::Result<std::string> ClientAuth::answer(const Challenge& challenge,
                                             const Credentials& credentials,
                                             std::string_view method, std::string_view uri,
                                             std::string_view body) {
  if (!credentials.realm.empty() && credentials.realm != challenge.realm) {
    return failWith(AuthError::RealmMismatch);
  }
  if (hasLineBreakOrNul(credentials.username) || hasLineBreakOrNul(uri) ||
      hasLineBreakOrNul(method)) {
    return failWith(AuthError::BadCredentials);
  }
  RealmState* state = find(challenge.realm, challenge.proxy);
  if (state != nullptr && state->answeredThisRequest) {
    // Challenged again after answering: the answer was rejected. Only a stale nonce (the
    // password was right) with a new nonce earns another try, a bounded number of times.
    const bool freshStale = challenge.stale && challenge.nonce != state->challenge.nonce &&
                            state->staleRetries < kMaxStaleRetries;
    if (!freshStale)
      return failWith(AuthError::RetryRefused);
    ++state->staleRetries;
  }
  if (state == nullptr) {
    // A server inventing realms must not grow this without bound: drop the oldest.
    if (realms_.size() >= kMaxRealms)
      realms_.erase(realms_.begin());
    realms_.push_back(RealmState{});
    state = &realms_.back();
    state->challenge.realm = challenge.realm;
    state->challenge.proxy = challenge.proxy;
  }
  const bool sameNonce = state->nc != 0 && state->challenge.nonce == challenge.nonce;
  if (sameNonce) {
    if (state->nc == std::numeric_limits<std::uint32_t>::max()) {
      return failWith(AuthError::NonceCountExhausted);
    }
    ++state->nc;
  } else {
    state->nc = 1;
    // One cnonce per nonce keeps a -sess HA1 stable however the server computes it.
    state->cnonce = randomHex(8);
  }
  state->challenge = challenge;
  state->answeredThisRequest = true;

  AuthorizationParams p;
  p.method = method;
  p.digestUri = uri;
  p.body = body;
  p.nonceCount = state->nc;
  p.cnonce = state->cnonce;
  bool hashed = false;
  std::string value = buildAuthorization(challenge, credentials, p, &hashed);
  if (!hashed)
    return failWith(AuthError::HashUnavailable);
  return value;
}

std::optional<std::string> ClientAuth::authorizeCached(std::string_view realm, bool proxy,
                                                       const Credentials& credentials,
                                                       std::string_view method,
                                                       std::string_view uri,
                                                       std::string_view body) {
  RealmState* state = find(realm, proxy);
  if (state == nullptr || state->nc == 0)
    return std::nullopt;
  if (!credentials.realm.empty() && credentials.realm != state->challenge.realm) {
    return std::nullopt;
  }
  if (hasLineBreakOrNul(credentials.username) || hasLineBreakOrNul(uri) ||
      hasLineBreakOrNul(method)) {
    return std::nullopt;
  }
  if (state->nc == std::numeric_limits<std::uint32_t>::max())
    return std::nullopt;
  ++state->nc;
  AuthorizationParams p;
  p.method = method;
  p.digestUri = uri;
  p.body = body;
  p.nonceCount = state->nc;
  p.cnonce = state->cnonce;
  bool hashed = false;
  std::string value = buildAuthorization(state->challenge, credentials, p, &hashed);
  if (!hashed)
    return std::nullopt;
  return value;
}

std::uint32_t ClientAuth::nonceCount(std::string_view realm, bool proxy) const noexcept {
  const RealmState* state = find(realm, proxy);
  return state == nullptr ? 0 : state->nc;
}

void ClientAuth::forget(std::string_view realm) {
  std::erase_if(realms_, [&](const RealmState& r) { return r.challenge.realm == realm; });
}

// ---- server side -----------------------------------------------------------------------

tapi::Result<Authorization> parseAuthorization(std::string_view headerValue) {
  auto raw = parseSingle(headerValue);
  if (!raw)
    return tapi::fail(raw.error());
  return authorizationFrom(*raw);
}

std::string digestHa1(Algorithm algorithm, std::string_view username, std::string_view realm,
                      std::string_view password) {
  return hashHex(algorithm, joinColon({username, realm, password}));
}

std::string computeResponse(const DigestInput& input) {
  return responseFromBaseHa1(
      input, digestHa1(input.algorithm, input.username, input.realm, input.password));
}

bool verify(const Authorization& authorization, std::string_view method, std::string_view password,
            std::string_view body) {
  DigestInput in = inputFor(authorization, method, body);
  in.password = password;
  const std::string expected = computeResponse(in);
  if (expected.size() != hexLength(authorization.algorithm))
    return false;
  return hexEqualsConstantTime(expected, authorization.response);
}

bool verifyHa1(const Authorization& authorization, std::string_view method, std::string_view ha1,
               std::string_view body) {
  if (ha1.size() != hexLength(authorization.algorithm) || !allHex(ha1))
    return false;
  std::string base(ha1);
  for (char& c : base)
    c = lower(c);
  const std::string expected = responseFromBaseHa1(inputFor(authorization, method, body), base);
  if (expected.size() != hexLength(authorization.algorithm))
    return false;
  return hexEqualsConstantTime(expected, authorization.response);
}

std::string challengeHeader(std::string_view realm, std::string_view nonce, Algorithm algorithm,
                            bool stale, std::string_view opaque) {
  std::string out = "Digest realm=";
  appendQuoted(out, realm);
  appendQuotedParam(out, "nonce", nonce);
  out.append(", algorithm=").append(toString(algorithm));
  out.append(", qop=\"auth\"");
  if (!opaque.empty())
    appendQuotedParam(out, "opaque", opaque);
  if (stale)
    out.append(", stale=true");
  return out;
}

std::string randomNonce() {
  return randomHex(16);
}

}  // namespace tapi::sip::auth
