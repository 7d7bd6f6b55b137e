// Digest authentication: the RFC 2617 / RFC 7616 vectors, the other algorithms and qop
// variants (checked against values computed independently with Python's hashlib from the
// RFC 7616 §3.4 formulas), challenge parsing, the client retry rule and hostile input.

#include "sip/auth/digest.hpp"

#include <string>
#include <string_view>
#include <vector>

#include <gtest/gtest.h>

namespace tapi::sip::auth {
namespace {

// RFC 2617 §3.5.
constexpr std::string_view kRfc2617Challenge =
    R"(Digest realm="testrealm@host.com", qop="auth,auth-int", )"
    R"(nonce="dcd98b7102dd2f0e8b11d0f600bfb0c093", opaque="5ccc069c403ebaf9f0171e9517f40e41")";

// RFC 7616 §3.9.1 (password "Circle of Life" with a lower-case "of", erratum 4495).
constexpr std::string_view kRfc7616Sha256 =
    R"(Digest realm="http-auth@example.org", qop="auth, auth-int", algorithm=SHA-256, )"
    R"(nonce="7ypf/xlj9XXwfDPEoM4URrv/xwf94BcCAzFZH4GiTo0v", )"
    R"(opaque="FQhe/qaU925kfnzjCev0ciny7QMkPqMAFRtzCUYo5tdS")";
constexpr std::string_view kRfc7616Md5 =
    R"(Digest realm="http-auth@example.org", qop="auth, auth-int", algorithm=MD5, )"
    R"(nonce="7ypf/xlj9XXwfDPEoM4URrv/xwf94BcCAzFZH4GiTo0v", )"
    R"(opaque="FQhe/qaU925kfnzjCev0ciny7QMkPqMAFRtzCUYo5tdS")";
constexpr std::string_view kRfc7616Cnonce = "f2/wE4q74E6zIJEtWaHKaf5wv/H5QzzpXusqGemxURZJ";

Credentials mufasa2617() {
  return {"Mufasa", "Circle Of Life", ""};
}
Credentials mufasa7616() {
  return {"Mufasa", "Circle of Life", ""};
}

AuthorizationParams get(std::string cnonce, std::uint32_t nc = 1) {
  AuthorizationParams p;
  p.method = "GET";
  p.digestUri = "/dir/index.html";
  p.nonceCount = nc;
  p.cnonce = std::move(cnonce);
  return p;
}

Challenge parsed(std::string_view v, bool proxy = false) {
  auto c = parseChallenge(v, proxy);
  EXPECT_TRUE(c.ok()) << v << ": " << c.error().message();
  return c.ok() ? *c : Challenge{};
}

AuthError errorOf(const std::error_code& ec) {
  EXPECT_EQ(&ec.category(), &authErrorCategory()) << ec.message();
  return static_cast<AuthError>(ec.value());
}

// ---- official vectors -------------------------------------------------------------------

TEST(DigestVectors, Rfc2617Mufasa) {
  const Challenge c = parsed(kRfc2617Challenge);
  const std::string v = authorizationHeader(c, mufasa2617(), get("0a4f113b"));
  EXPECT_EQ(v, R"(Digest username="Mufasa", realm="testrealm@host.com", )"
               R"(nonce="dcd98b7102dd2f0e8b11d0f600bfb0c093", uri="/dir/index.html", )"
               R"(response="6629fae49393a05397450978507c4ef1", algorithm=MD5, cnonce="0a4f113b", )"
               R"(qop=auth, nc=00000001, opaque="5ccc069c403ebaf9f0171e9517f40e41")");
}

/** Mufasa's answer to an RFC 7616 §3.9.1 `challenge` (with its cnonce), parsed back. */
Result<Authorization> mufasaAnswers7616(std::string_view challenge) {
  return parseAuthorization(
      authorizationHeader(parsed(challenge), mufasa7616(), get(std::string(kRfc7616Cnonce))));
}

TEST(DigestVectors, Rfc7616Sha256) {
  auto a = mufasaAnswers7616(kRfc7616Sha256);
  ASSERT_TRUE(a.ok());
  EXPECT_EQ(a->response, "753927fa0e85d155564e2e272a28d1802ca10daf4496794697cf8db5856cb6c1");
  EXPECT_EQ(a->algorithm, Algorithm::Sha256);
  EXPECT_EQ(a->opaque, "FQhe/qaU925kfnzjCev0ciny7QMkPqMAFRtzCUYo5tdS");
  EXPECT_TRUE(verify(*a, "GET", "Circle of Life"));
}

TEST(DigestVectors, Rfc7616Md5) {
  auto a = mufasaAnswers7616(kRfc7616Md5);
  ASSERT_TRUE(a.ok());
  EXPECT_EQ(a->response, "8ca523f5e9506fed4657c9700eebdbec");
}

TEST(DigestVectors, Md5WithoutQopIsRfc2069Style) {
  Challenge c = parsed(
      R"(Digest realm="testrealm@host.com", )"
      R"(nonce="dcd98b7102dd2f0e8b11d0f600bfb0c093", opaque="5ccc069c403ebaf9f0171e9517f40e41")");
  EXPECT_FALSE(c.qopAuth || c.qopAuthInt);
  const std::string v = authorizationHeader(c, mufasa2617(), get(""));
  // H(HA1:nonce:HA2), no cnonce/qop/nc on the wire.
  EXPECT_EQ(v, R"(Digest username="Mufasa", realm="testrealm@host.com", )"
               R"(nonce="dcd98b7102dd2f0e8b11d0f600bfb0c093", uri="/dir/index.html", )"
               R"(response="670fd8c2df070c60b045671b8b24ff02", algorithm=MD5, )"
               R"(opaque="5ccc069c403ebaf9f0171e9517f40e41")");
  auto a = parseAuthorization(v);
  ASSERT_TRUE(a.ok());
  EXPECT_EQ(a->qop, Qop::None);
  EXPECT_TRUE(verify(*a, "GET", "Circle Of Life"));
}

// ---- other algorithms and qop (values from hashlib) -------------------------------------

struct AlgoCase {
  Algorithm algorithm;
  Qop qop;
  std::uint32_t nc;
  const char* method;
  const char* uri;
  const char* body;
  const char* expected;
};

class DigestComputed : public ::testing::TestWithParam<AlgoCase> {};

TEST_P(DigestComputed, MatchesIndependentComputation) {
  const AlgoCase& t = GetParam();
  const std::string nc = t.nc == 1 ? "00000001" : "00000002";
  const DigestInput in{.algorithm = t.algorithm,
                       .qop = t.qop,
                       .username = "Mufasa",
                       .realm = "http-auth@example.org",
                       .password = "Circle of Life",
                       .nonce = "7ypf/xlj9XXwfDPEoM4URrv/xwf94BcCAzFZH4GiTo0v",
                       .cnonce = kRfc7616Cnonce,
                       .nc = nc,
                       .method = t.method,
                       .digestUri = t.uri,
                       .body = t.body};
  EXPECT_EQ(computeResponse(in), t.expected);

  // The same through the server path.
  const Authorization a{.username = "Mufasa",
                        .realm = std::string(in.realm),
                        .nonce = std::string(in.nonce),
                        .uri = t.uri,
                        .response = t.expected,
                        .algorithm = t.algorithm,
                        .cnonce = std::string(kRfc7616Cnonce),
                        .nc = t.qop == Qop::None ? "" : nc,
                        .qop = t.qop};
  EXPECT_TRUE(verify(a, t.method, "Circle of Life", t.body));
  EXPECT_TRUE(
      verifyHa1(a, t.method, digestHa1(t.algorithm, "Mufasa", in.realm, "Circle of Life"), t.body));
  EXPECT_FALSE(verify(a, t.method, "Circle Of Life", t.body));
}

/** The RFC 7616 request (GET /dir/index.html, nc 1), hashed with `algorithm` and `qop`. */
AlgoCase httpGet(Algorithm algorithm, Qop qop, const char* expected) {
  return {algorithm, qop, 1, "GET", "/dir/index.html", "", expected};
}
/** An INVITE with an SDP body (nc 2), hashed with `algorithm` and `qop`. */
AlgoCase sipInvite(Algorithm algorithm, Qop qop, const char* expected) {
  return {algorithm, qop, 2, "INVITE", "sip:bob@example.com", "v=0\r\n", expected};
}

INSTANTIATE_TEST_SUITE_P(
    Algorithms, DigestComputed,
    ::testing::Values(httpGet(Algorithm::Md5Sess, Qop::Auth, "e783283f46242139c486a698fec7211d"),
                      httpGet(Algorithm::Sha256Sess, Qop::Auth,
                              "2fd51b3a77ad75bad6afad6003e818d767133c46d9e2749e7f5232ae1ea3efd7"),
                      httpGet(Algorithm::Sha512_256, Qop::Auth,
                              "430d05014cecc49cab6fbe03176d41a1da86cbfe24a16580e22aaad928d960d0"),
                      httpGet(Algorithm::Sha512_256Sess, Qop::Auth,
                              "3f2a34f923c38b0fb26dce2fdfc2ce326c23cecf86fbb1444f3e51fbbc2cb92e"),
                      sipInvite(Algorithm::Md5, Qop::AuthInt, "7d6fcfb119b9ddb4993c6012abd218c0"),
                      sipInvite(Algorithm::Sha256, Qop::AuthInt,
                                "31deb8e44b24f3572687f3444d60b978d794d877378c940984149692c993b833"),
                      httpGet(Algorithm::Sha256, Qop::None,
                              "a1306b0595a6c7fe96c448631fb5cfbd5107bd1fe1da729d978dd7446b812363"),
                      httpGet(Algorithm::Sha512_256, Qop::None,
                              "93e9122020ea0624d2ca801426d5bfbeb93d10ff4cc24cb410af3920fa4730e7")));

TEST(DigestHa1, MatchesIndependentComputation) {
  EXPECT_EQ(digestHa1(Algorithm::Md5, "Mufasa", "http-auth@example.org", "Circle of Life"),
            "3d78807defe7de2157e2b0b6573a855f");
  EXPECT_EQ(digestHa1(Algorithm::Sha256Sess, "Mufasa", "http-auth@example.org", "Circle of Life"),
            "7987c64c30e25f1b74be53f966b49b90f2808aa92faf9a00262392d7b4794232");
}

TEST(DigestSess, HeaderCarriesCnonceAndVerifies) {
  const Challenge c = parsed(R"(Digest realm="r", nonce="n1", qop="auth", algorithm=md5-SESS)");
  EXPECT_EQ(c.algorithm, Algorithm::Md5Sess);
  const std::string v = authorizationHeader(c, {"alice", "pw", ""}, get("abc"));
  EXPECT_NE(v.find("algorithm=MD5-sess"), std::string::npos) << v;
  auto a = parseAuthorization(v);
  ASSERT_TRUE(a.ok());
  EXPECT_EQ(a->cnonce, "abc");
  EXPECT_TRUE(verify(*a, "GET", "pw"));
}

TEST(DigestAuthInt, PreferredOnlyWhenAuthIsNotOffered) {
  const Challenge both = parsed(R"(Digest realm="r", nonce="n", qop="auth-int,auth")");
  EXPECT_NE(authorizationHeader(both, {"u", "p", ""}, get("c")).find("qop=auth,"),
            std::string::npos);
  const Challenge intOnly = parsed(R"(Digest realm="r", nonce="n", qop="auth-int")");
  AuthorizationParams p = get("c");
  p.body = "hello";
  const std::string v = authorizationHeader(intOnly, {"u", "p", ""}, p);
  EXPECT_NE(v.find("qop=auth-int,"), std::string::npos) << v;
  auto a = parseAuthorization(v);
  ASSERT_TRUE(a.ok());
  EXPECT_EQ(a->qop, Qop::AuthInt);
  EXPECT_TRUE(verify(*a, "GET", "p", "hello"));
  EXPECT_FALSE(verify(*a, "GET", "p", "hellO"));  // the body is covered
}

// ---- algorithm names and challenge choice ----------------------------------------------

TEST(DigestAlgorithm, NamesRoundTripAnyCase) {
  for (Algorithm a : {Algorithm::Md5, Algorithm::Md5Sess, Algorithm::Sha256, Algorithm::Sha256Sess,
                      Algorithm::Sha512_256, Algorithm::Sha512_256Sess}) {
    EXPECT_EQ(algorithmFromName(toString(a)), a) << toString(a);
  }
  EXPECT_EQ(algorithmFromName("sha-256"), Algorithm::Sha256);
  EXPECT_EQ(algorithmFromName("md5-sess"), Algorithm::Md5Sess);
  EXPECT_FALSE(algorithmFromName("SHA-1").has_value());
  EXPECT_FALSE(algorithmFromName("").has_value());
  EXPECT_FALSE(algorithmFromName("MD5 ").has_value());
}

TEST(DigestPick, Sha256PreferredOverMd5WhicheverComesFirst) {
  auto c = pickChallenge({kRfc7616Md5, kRfc7616Sha256});
  ASSERT_TRUE(c.has_value());
  EXPECT_EQ(c->algorithm, Algorithm::Sha256);
  c = pickChallenge({kRfc7616Sha256, kRfc7616Md5});
  ASSERT_TRUE(c.has_value());
  EXPECT_EQ(c->algorithm, Algorithm::Sha256);
}

TEST(DigestPick, EqualStrengthKeepsServerOrder) {
  auto c = pickChallenge({R"(Digest realm="r", nonce="a", algorithm=SHA-512-256, qop="auth")",
                          R"(Digest realm="r", nonce="b", algorithm=SHA-256, qop="auth")"});
  ASSERT_TRUE(c.has_value());
  EXPECT_EQ(c->algorithm, Algorithm::Sha512_256);
}

TEST(DigestPick, SkipsUnsupportedAndNonDigest) {
  auto c = pickChallenge({R"(Basic realm="r")", R"(Digest realm="r", nonce="a", algorithm=SHA-1)",
                          "Digest realm=\"unterminated", R"(Digest realm="r", nonce="ok")"},
                         true);
  ASSERT_TRUE(c.has_value());
  EXPECT_EQ(c->nonce, "ok");
  EXPECT_TRUE(c->proxy);
  EXPECT_FALSE(pickChallenge({R"(Basic realm="r")", "Bearer abc=="}).has_value());
  EXPECT_FALSE(pickChallenge({}).has_value());
}

TEST(DigestPick, SeveralChallengesInOneValue) {
  auto c = pickChallenge(
      {R"(Basic realm="x", Negotiate YIIB==, Digest realm="r", nonce="m", algorithm=MD5, )"
       R"(Digest realm="r", nonce="s", algorithm=SHA-256)"});
  ASSERT_TRUE(c.has_value());
  EXPECT_EQ(c->nonce, "s");
}

// ---- challenge parsing ------------------------------------------------------------------

TEST(DigestParse, OddSpacingCaseAndEscapes) {
  const Challenge c = parsed(
      "dIgEsT   REALM = \"ex\\\"am\\\\ple\" ,NONCE=abc/def+==,,  Qop=\"AUTH\" ,\r\n opaque=\"\","
      "\tStale=TRUE, algorithm=\"sha-256\", domain=\"sip:a sip:b\", x-unknown=42");
  EXPECT_EQ(c.realm, "ex\"am\\ple");
  EXPECT_EQ(c.nonce, "abc/def+==");
  EXPECT_TRUE(c.qopAuth);
  EXPECT_FALSE(c.qopAuthInt);
  EXPECT_TRUE(c.hasOpaque);
  EXPECT_EQ(c.opaque, "");
  EXPECT_TRUE(c.stale);
  EXPECT_EQ(c.algorithm, Algorithm::Sha256);
  EXPECT_FALSE(c.proxy);
}

TEST(DigestParse, DefaultsAndFlags) {
  const Challenge c = parsed(R"(Digest nonce="n", realm="r", stale=false)", true);
  EXPECT_EQ(c.algorithm, Algorithm::Md5);
  EXPECT_FALSE(c.stale);
  EXPECT_FALSE(c.hasOpaque);
  EXPECT_FALSE(c.qopAuth);
  EXPECT_TRUE(c.proxy);
}

TEST(DigestParse, FoldedQuotedStringKeepsWhitespace) {
  const Challenge c = parsed("Digest realm=\"a\r\n b\", nonce=\"n\"");
  EXPECT_EQ(c.realm, "a b");
}

TEST(DigestParse, OpaqueEchoedEvenWhenEmpty) {
  const Challenge c = parsed(R"(Digest realm="r", nonce="n", opaque="")");
  EXPECT_NE(authorizationHeader(c, {"u", "p", ""}, get("c")).find(R"(, opaque="")"),
            std::string::npos);
}

TEST(DigestParse, QuotesAndBackslashesEscapedOnOutput) {
  const Challenge c = parsed(R"(Digest realm="a\"b", nonce="n")");
  const std::string v = authorizationHeader(c, {"al\\ice", "p", ""}, get(""));
  EXPECT_NE(v.find(R"(username="al\\ice", realm="a\"b")"), std::string::npos) << v;
  auto a = parseAuthorization(v);
  ASSERT_TRUE(a.ok());
  EXPECT_EQ(a->username, "al\\ice");
  EXPECT_EQ(a->realm, "a\"b");
  EXPECT_TRUE(verify(*a, "GET", "p"));
}

TEST(DigestParse, EscapedControlCharacterRoundTrips) {
  // quoted-pair may escape a control character (RFC 3261 §25.1); it must go out escaped too.
  const Challenge c = parsed(
      "Digest realm=\"a\\\x13"
      "b\", nonce=\"n\"");
  EXPECT_EQ(c.realm,
            "a\x13"
            "b");
  const std::string v = authorizationHeader(c, {"u", "p", ""}, get(""));
  auto a = parseAuthorization(v);
  ASSERT_TRUE(a.ok()) << v;
  EXPECT_EQ(a->realm,
            "a\x13"
            "b");
  EXPECT_TRUE(verify(*a, "GET", "p"));
}

TEST(DigestParse, LineBreaksNeverReachTheHeader) {
  const Challenge c = parsed(R"(Digest realm="r", nonce="n")");
  AuthorizationParams p = get("");
  p.digestUri = "sip:x\r\nVia: evil";
  const std::string v = authorizationHeader(c, {"a\r\nX-Evil: 1", "p", ""}, p);
  EXPECT_EQ(v.find_first_of("\r\n"), std::string::npos) << v;
  EXPECT_EQ(challengeHeader("r\r\nX: y", "n\n", Algorithm::Md5).find_first_of("\r\n"),
            std::string::npos);
}

struct BadValue {
  std::string value;
  AuthError error;
};

class DigestParseErrors : public ::testing::TestWithParam<BadValue> {};

TEST_P(DigestParseErrors, RejectedWithReason) {
  auto c = parseChallenge(GetParam().value);
  ASSERT_FALSE(c.ok()) << GetParam().value;
  EXPECT_EQ(errorOf(c.error()), GetParam().error) << GetParam().value;
  auto a = parseAuthorization(GetParam().value);
  EXPECT_FALSE(a.ok()) << GetParam().value;
}

INSTANTIATE_TEST_SUITE_P(
    Hostile, DigestParseErrors,
    ::testing::Values(
        BadValue{"", AuthError::Empty}, BadValue{"   \t ", AuthError::Empty},
        BadValue{R"(Basic realm="r")", AuthError::NotDigest},
        BadValue{R"(Digest realm="r", nonce="n)", AuthError::Malformed},
        BadValue{R"(Digest realm="r", nonce="n\)", AuthError::Malformed},
        BadValue{"Digest realm=\"r\", nonce=\"n\rx\"", AuthError::Malformed},
        BadValue{std::string("Digest realm=\"r\0\", nonce=\"n\"", 28), AuthError::Malformed},
        BadValue{R"(Digest realm="r" nonce="n")", AuthError::Malformed},
        BadValue{R"(Digest realm=, nonce="n")", AuthError::Malformed},
        BadValue{R"(Digest realm="r", ="n")", AuthError::Malformed},
        BadValue{R"(Digest realm="r", nonce="n"x)", AuthError::Malformed},
        BadValue{R"(realm="r", nonce="n")", AuthError::Malformed},
        BadValue{R"(Digest realm="r", nonce="n", Digest realm="s", nonce="m")",
                 AuthError::Malformed},
        BadValue{R"(Digest realm="r")", AuthError::MissingNonce},
        BadValue{R"(Digest realm="r", nonce="")", AuthError::MissingNonce},
        BadValue{R"(Digest nonce="n")", AuthError::MissingRealm},
        BadValue{"Digest", AuthError::MissingRealm},
        BadValue{R"(Digest realm="r", nonce="n", nonce="m")", AuthError::DuplicateParameter},
        BadValue{R"(Digest realm="r", nonce="n", algorithm=SHA-1)",
                 AuthError::UnsupportedAlgorithm},
        BadValue{R"(Digest realm="r", nonce="n", qop="auth-conf")", AuthError::UnsupportedQop},
        BadValue{R"(Digest realm="r", nonce="n", algorithm=MD5-sess)", AuthError::UnsupportedQop},
        BadValue{std::string(1 << 20, 'a'), AuthError::ValueTooLong},
        BadValue{"Digest realm=\"" + std::string(5000, 'x') + "\", nonce=\"n\"",
                 AuthError::ValueTooLong}));

TEST(DigestParse, HostileInputDoesNotCrash) {
  // Every prefix of a valid value, and some byte soup: must return, never crash (ASan/UBSan).
  const std::string good(kRfc7616Sha256);
  for (std::size_t n = 0; n <= good.size(); ++n) {
    (void)parseChallenge(good.substr(0, n));
    (void)parseAuthorization(good.substr(0, n));
    (void)pickChallenge({std::string_view(good).substr(0, n)});
  }
  std::string soup;
  for (int i = 0; i < 4000; ++i)
    soup.push_back(static_cast<char>((i * 131 + 7) % 256));
  (void)parseChallenge(soup);
  (void)parseAuthorization(soup);
  (void)pickChallenge({soup, std::string(kMaxHeaderValue, '"'), std::string(kMaxHeaderValue, ',')});
  EXPECT_FALSE(parseChallenge(std::string(kMaxHeaderValue, '=')).ok());
  const std::string exactly =
      "Digest realm=\"r\", nonce=\"" + std::string(kMaxHeaderValue - 26, 'n') + "\"";
  ASSERT_EQ(exactly.size(), kMaxHeaderValue);
  EXPECT_TRUE(parseChallenge(exactly).ok());
}

// ---- server side ------------------------------------------------------------------------

TEST(DigestServer, RoundTripAndWrongPassword) {
  for (Algorithm alg :
       {Algorithm::Md5, Algorithm::Sha256, Algorithm::Sha256Sess, Algorithm::Sha512_256}) {
    const std::string nonce = randomNonce();
    const Challenge c = parsed(challengeHeader("example.com", nonce, alg, false, "op"));
    EXPECT_EQ(c.algorithm, alg);
    EXPECT_TRUE(c.qopAuth);
    EXPECT_EQ(c.opaque, "op");
    AuthorizationParams p;
    p.method = "REGISTER";
    p.digestUri = "sip:example.com";
    auto a = parseAuthorization(authorizationHeader(c, {"alice", "s3cret", ""}, p));
    ASSERT_TRUE(a.ok()) << toString(alg);
    EXPECT_EQ(a->username, "alice");
    EXPECT_EQ(a->nonce, nonce);
    EXPECT_EQ(a->nc, "00000001");
    EXPECT_EQ(a->nonceCount, 1u);
    EXPECT_EQ(a->cnonce.size(), 16u);
    EXPECT_TRUE(verify(*a, "REGISTER", "s3cret")) << toString(alg);
    EXPECT_FALSE(verify(*a, "REGISTER", "s3cret!")) << toString(alg);
    EXPECT_FALSE(verify(*a, "INVITE", "s3cret")) << toString(alg);
    EXPECT_TRUE(verifyHa1(*a, "REGISTER", digestHa1(alg, "alice", "example.com", "s3cret")));
    EXPECT_FALSE(verifyHa1(*a, "REGISTER", digestHa1(alg, "alice", "example.com", "x")));
    EXPECT_FALSE(verifyHa1(*a, "REGISTER", "nothex"));
  }
}

TEST(DigestServer, ChallengeHeaderFormat) {
  EXPECT_EQ(
      challengeHeader("a\"b", "n", Algorithm::Sha256, true, "o"),
      R"(Digest realm="a\"b", nonce="n", algorithm=SHA-256, qop="auth", opaque="o", stale=true)");
  EXPECT_EQ(challengeHeader("r", "n", Algorithm::Md5),
            R"(Digest realm="r", nonce="n", algorithm=MD5, qop="auth")");
  EXPECT_EQ(randomNonce().size(), 32u);
  EXPECT_NE(randomNonce(), randomNonce());
}

TEST(DigestServer, ParseAuthorizationLenientAndStrict) {
  // Quoted qop/nc/algorithm (some clients do it), upper-case hex response.
  auto a = parseAuthorization(
      R"(Digest username="Mufasa", realm="testrealm@host.com", nonce="dcd98b7102dd2f0e8b11d0f600bfb0c093", )"
      R"(uri="/dir/index.html", qop="auth", nc="0000000A", cnonce="0a4f113b", )"
      R"(response="6629FAE49393A05397450978507C4EF1", algorithm="md5")");
  ASSERT_TRUE(a.ok());
  EXPECT_EQ(a->nonceCount, 10u);
  EXPECT_FALSE(a->hasOpaque);
  auto b = parseAuthorization(
      R"(Digest username="Mufasa", realm="testrealm@host.com", nonce="dcd98b7102dd2f0e8b11d0f600bfb0c093", )"
      R"(uri="/dir/index.html", qop=auth, nc=00000001, cnonce="0a4f113b", )"
      R"(response="6629FAE49393A05397450978507C4EF1")");
  ASSERT_TRUE(b.ok());
  EXPECT_TRUE(verify(*b, "GET", "Circle Of Life"));

  const auto err = [](std::string_view v) {
    auto r = parseAuthorization(v);
    EXPECT_FALSE(r.ok()) << v;
    return r.ok() ? AuthError::Empty : errorOf(r.error());
  };
  EXPECT_EQ(err(R"(Digest realm="r", nonce="n", uri="u", response="00")"),
            AuthError::MissingParameter);
  EXPECT_EQ(err(R"(Digest username="a", realm="r", nonce="n", response="00")"),
            AuthError::MissingParameter);
  EXPECT_EQ(
      err(R"(Digest username="a", realm="r", nonce="n", uri="u", response="00", qop=auth, nc=00000001)"),
      AuthError::MissingParameter);
  EXPECT_EQ(
      err(R"(Digest username="a", realm="r", nonce="n", uri="u", response="00", qop=auth, cnonce="c")"),
      AuthError::MissingParameter);
  EXPECT_EQ(
      err(R"(Digest username="a", realm="r", nonce="n", uri="u", response="00", qop=auth, cnonce="c", nc=1)"),
      AuthError::Malformed);
  EXPECT_EQ(err(R"(Digest username="a", realm="r", nonce="n", uri="u", response="xyz")"),
            AuthError::Malformed);
  EXPECT_EQ(
      err(R"(Digest username="a", realm="r", nonce="n", uri="u", response="00", qop=auth-conf, cnonce="c", nc=00000001)"),
      AuthError::UnsupportedQop);
  EXPECT_EQ(
      err(R"(Digest username="a", realm="r", nonce="n", uri="u", response="00", algorithm=SHA-256-sess)"),
      AuthError::MissingParameter);
  EXPECT_EQ(
      err(R"(Digest username="a", username="b", realm="r", nonce="n", uri="u", response="00")"),
      AuthError::DuplicateParameter);
}

TEST(DigestServer, ResponseOfWrongLengthNeverVerifies) {
  auto a = parseAuthorization(
      R"(Digest username="Mufasa", realm="testrealm@host.com", nonce="dcd98b7102dd2f0e8b11d0f600bfb0c093", )"
      R"(uri="/dir/index.html", qop=auth, nc=00000001, cnonce="0a4f113b", )"
      R"(response="6629fae49393a05397450978507c4ef1", algorithm=SHA-256)");
  ASSERT_TRUE(a.ok());
  EXPECT_FALSE(verify(*a, "GET", "Circle Of Life"));  // an MD5-length response for SHA-256
}

// ---- ClientAuth -------------------------------------------------------------------------

std::string param(std::string_view header, std::string_view name) {
  auto a = parseAuthorization(header);
  if (!a.ok())
    return "?";
  if (name == "nc")
    return a->nc;
  if (name == "cnonce")
    return a->cnonce;
  if (name == "nonce")
    return a->nonce;
  return "?";
}

TEST(ClientAuth, NonceCountIncrementsForSameNonceAndResetsForNew) {
  ClientAuth client;
  const Credentials creds{"alice", "pw", ""};
  const Challenge c1 = parsed(R"(Digest realm="r", nonce="n1", qop="auth")");
  client.beginRequest();
  auto v1 = client.answer(c1, creds, "REGISTER", "sip:r");
  ASSERT_TRUE(v1.ok());
  EXPECT_EQ(param(*v1, "nc"), "00000001");
  EXPECT_EQ(client.nonceCount("r"), 1u);

  client.beginRequest();  // the next request is challenged with the same nonce
  auto v2 = client.answer(c1, creds, "REGISTER", "sip:r");
  ASSERT_TRUE(v2.ok());
  EXPECT_EQ(param(*v2, "nc"), "00000002");
  EXPECT_EQ(param(*v2, "cnonce"), param(*v1, "cnonce"));  // one cnonce per nonce

  auto cached = client.authorizeCached("r", false, creds, "REGISTER", "sip:r");
  ASSERT_TRUE(cached.has_value());
  EXPECT_EQ(param(*cached, "nc"), "00000003");
  auto ca = parseAuthorization(*cached);
  ASSERT_TRUE(ca.ok());
  EXPECT_TRUE(verify(*ca, "REGISTER", "pw"));

  client.beginRequest();
  const Challenge c2 = parsed(R"(Digest realm="r", nonce="n2", qop="auth")");
  auto v3 = client.answer(c2, creds, "REGISTER", "sip:r");
  ASSERT_TRUE(v3.ok());
  EXPECT_EQ(param(*v3, "nc"), "00000001");
  EXPECT_EQ(param(*v3, "nonce"), "n2");
  EXPECT_NE(param(*v3, "cnonce"), param(*v1, "cnonce"));

  EXPECT_FALSE(client.authorizeCached("other", false, creds, "REGISTER", "sip:r").has_value());
  EXPECT_FALSE(client.authorizeCached("r", true, creds, "REGISTER", "sip:r").has_value());
  client.forget("r");
  EXPECT_EQ(client.nonceCount("r"), 0u);
}

TEST(ClientAuth, OneRetryPerRequestWhenNotStale) {
  ClientAuth client;
  const Credentials wrong{"alice", "wrong", ""};
  client.beginRequest();
  ASSERT_TRUE(client
                  .answer(parsed(R"(Digest realm="r", nonce="n1", qop="auth")"), wrong, "INVITE",
                          "sip:bob@r")
                  .ok());
  // The server rejects the answer and challenges again (fresh nonce, stale=false).
  auto again = client.answer(parsed(R"(Digest realm="r", nonce="n2", qop="auth")"), wrong, "INVITE",
                             "sip:bob@r");
  ASSERT_FALSE(again.ok());
  EXPECT_EQ(errorOf(again.error()), AuthError::RetryRefused);
  // Same nonce, stale=true: still refused (a stale nonce must be a new one).
  auto sameStale = client.answer(parsed(R"(Digest realm="r", nonce="n1", qop="auth", stale=true)"),
                                 wrong, "INVITE", "sip:bob@r");
  EXPECT_FALSE(sameStale.ok());
  // A new request gets its one try again.
  client.beginRequest();
  EXPECT_TRUE(client
                  .answer(parsed(R"(Digest realm="r", nonce="n3", qop="auth")"), wrong, "INVITE",
                          "sip:bob@r")
                  .ok());
}

TEST(ClientAuth, StaleNonceRetriedBoundedTimes) {
  ClientAuth client;
  const Credentials creds{"alice", "pw", "r"};
  client.beginRequest();
  ASSERT_TRUE(
      client
          .answer(parsed(R"(Digest realm="r", nonce="s0", qop="auth")"), creds, "OPTIONS", "sip:r")
          .ok());
  for (int i = 1; i <= ClientAuth::kMaxStaleRetries; ++i) {
    const std::string v =
        R"(Digest realm="r", qop="auth", stale=true, nonce="s)" + std::to_string(i) + "\"";
    auto r = client.answer(parsed(v), creds, "OPTIONS", "sip:r");
    ASSERT_TRUE(r.ok()) << i;
    EXPECT_EQ(param(*r, "nc"), "00000001");
  }
  auto r = client.answer(parsed(R"(Digest realm="r", qop="auth", stale=true, nonce="s99")"), creds,
                         "OPTIONS", "sip:r");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(errorOf(r.error()), AuthError::RetryRefused);
}

TEST(ClientAuth, RealmsAndProxyAreIndependent) {
  ClientAuth client;
  const Credentials any{"alice", "pw", ""};
  client.beginRequest();
  EXPECT_TRUE(client.answer(parsed(R"(Digest realm="a", nonce="1")"), any, "INVITE", "sip:x").ok());
  EXPECT_TRUE(
      client.answer(parsed(R"(Digest realm="b", nonce="1")", true), any, "INVITE", "sip:x").ok());
  EXPECT_TRUE(
      client.answer(parsed(R"(Digest realm="a", nonce="1")", true), any, "INVITE", "sip:x").ok());
  EXPECT_FALSE(
      client.answer(parsed(R"(Digest realm="a", nonce="2")"), any, "INVITE", "sip:x").ok());
}

TEST(ClientAuth, ManyRealmsStayBounded) {
  ClientAuth client;
  client.beginRequest();
  for (int i = 0; i < 1000; ++i) {
    const std::string v = R"(Digest nonce="n", realm="r)" + std::to_string(i) + "\"";
    ASSERT_TRUE(client.answer(parsed(v), {"alice", "pw", ""}, "INVITE", "sip:x").ok());
  }
  EXPECT_EQ(client.nonceCount("r0"), 0u);  // long forgotten
  EXPECT_EQ(client.nonceCount("r999"), 1u);
}

TEST(ClientAuth, RefusesForeignRealmAndInjection) {
  ClientAuth client;
  client.beginRequest();
  auto r = client.answer(parsed(R"(Digest realm="evil", nonce="n")"), {"alice", "pw", "good"},
                         "REGISTER", "sip:good");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(errorOf(r.error()), AuthError::RealmMismatch);
  auto inj = client.answer(parsed(R"(Digest realm="good", nonce="n")"),
                           {"alice\r\nX-Evil: 1", "pw", "good"}, "REGISTER", "sip:good");
  ASSERT_FALSE(inj.ok());
  EXPECT_EQ(errorOf(inj.error()), AuthError::BadCredentials);
  EXPECT_TRUE(client
                  .answer(parsed(R"(Digest realm="good", nonce="n")"), {"alice", "pw", "good"},
                          "REGISTER", "sip:good")
                  .ok());
}

TEST(AuthErrorCategory, NamesEveryValue) {
  EXPECT_STREQ(authErrorCategory().name(), "sip.auth");
  const std::error_code ec = AuthError::MissingNonce;
  EXPECT_EQ(ec.message(), "missing nonce");
  EXPECT_EQ(std::error_code(AuthError::HashUnavailable).message(), "digest hash unavailable");
  EXPECT_EQ(authErrorCategory().message(200), "unknown auth error");
}

}  // namespace
}  // namespace tapi::sip::auth
