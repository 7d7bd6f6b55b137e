// Client side, first step: reading WWW-Authenticate / Proxy-Authenticate challenges and
// choosing the one to answer.

#include "sip/auth/digest.hpp"

#include <utility>

#include "sip/auth/detail/syntax.hpp"

namespace tapi::sip::auth {

using detail::algorithmField;
using detail::collectFields;
using detail::equalsNoCase;
using detail::failWith;
using detail::Field;
using detail::Fields;
using detail::parseOneChallenge;
using detail::parseSingle;
using detail::RawChallenge;
using detail::realmAndNonce;
using detail::Scanner;

namespace {

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

}  // namespace

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

}  // namespace tapi::sip::auth
