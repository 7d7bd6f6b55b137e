#include "sip/auth/detail/syntax.hpp"

#include <algorithm>
#include <cstdio>
#include <utility>

namespace tapi::sip::auth::detail {

bool allHex(std::string_view s) noexcept {
  return std::all_of(s.begin(), s.end(), [](char ch) { return isHexDigit(ch); });
}

std::uint32_t parseHex32(std::string_view s) noexcept {
  std::uint32_t v = 0;
  for (char ch : s) {
    const char c = lower(ch);
    v = (v << 4) | static_cast<std::uint32_t>(c <= '9' ? c - '0' : c - 'a' + 10);
  }
  return v;
}

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

namespace {

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

}  // namespace

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

tapi::Result<Algorithm> algorithmField(const Fields& f) {
  const std::string* a = f.get(Field::Algorithm);
  if (a == nullptr)
    return Algorithm::Md5;
  const auto alg = algorithmFromName(*a);
  if (!alg)
    return failWith(AuthError::UnsupportedAlgorithm);
  return *alg;
}

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

}  // namespace tapi::sip::auth::detail
