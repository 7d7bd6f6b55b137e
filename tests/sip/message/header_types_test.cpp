#include "sip/message/header_types.hpp"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace tapi::sip::message {
namespace {

TEST(UriTest, FullSipUri) {
  auto u = parseUri("sips:user:secret@secure.example.com:5061;transport=tcp;lr?subject=x&p=1");
  ASSERT_TRUE(u.ok());
  EXPECT_EQ(u->scheme, UriScheme::Sips);
  EXPECT_EQ(u->user, "user");
  EXPECT_EQ(u->password, "secret");
  EXPECT_EQ(u->host, "secure.example.com");
  ASSERT_TRUE(u->port.has_value());
  EXPECT_EQ(*u->port, 5061);
  EXPECT_EQ(u->params.value("transport"), "tcp");
  EXPECT_TRUE(u->params.has("lr"));
  EXPECT_FALSE(u->params.find("lr")->hasValue);
  EXPECT_EQ(u->headers, "subject=x&p=1");
}

TEST(UriTest, HostOnlyAndIpv6) {
  auto a = parseUri("sip:example.com");
  ASSERT_TRUE(a.ok());
  EXPECT_TRUE(a->user.empty());
  EXPECT_EQ(a->host, "example.com");
  EXPECT_FALSE(a->port.has_value());

  auto b = parseUri("sip:alice@[2001:db8::1]:5070;maddr=[2001:db8::2]");
  ASSERT_TRUE(b.ok());
  EXPECT_EQ(b->host, "[2001:db8::1]");
  EXPECT_TRUE(b->hostIsIpv6());
  EXPECT_EQ(*b->port, 5070);
  EXPECT_EQ(b->params.value("maddr"), "[2001:db8::2]");
}

TEST(UriTest, UserMayHoldSemicolonsAndEscapes) {
  auto u = parseUri("sip:user;par=u%40example.net@example.com");
  ASSERT_TRUE(u.ok());
  EXPECT_EQ(u->user, "user;par=u%40example.net");
  EXPECT_EQ(u->host, "example.com");
  EXPECT_TRUE(u->params.empty());
}

TEST(UriTest, LongHostsAreCheckedPastSixteenBytes) {
  // The host scan works sixteen bytes at a time; bad bytes on either side of a block edge.
  auto ok = parseUri("sip:a-very-very-long-host-name.sub0.example.com:5060");
  ASSERT_TRUE(ok.ok());
  EXPECT_EQ(ok->host, "a-very-very-long-host-name.sub0.example.com");
  EXPECT_EQ(*ok->port, 5060);
  EXPECT_FALSE(parseUri("sip:a-very-very-long_host-name.example.com").ok());
  EXPECT_FALSE(parseUri("sip:abcdefghijklmno_.example.com").ok());
  EXPECT_FALSE(parseUri("sip:abcdefghijklmnop_.example.com").ok());
  EXPECT_FALSE(parseUri("sip:abcdefghijklmnopqrstuvwxyz@host{x}.example.com").ok());
  auto v = parseVia("SIP/2.0/UDP abcdefghijklmnopqrstuvwxyz0123456789.example.com;branch=z9hG4bK1");
  ASSERT_TRUE(v.ok());
  EXPECT_EQ(v->host, "abcdefghijklmnopqrstuvwxyz0123456789.example.com");
}

TEST(UriTest, TelAndOtherSchemes) {
  auto t = parseUri("tel:+1-201-555-0123;phone-context=example.com");
  ASSERT_TRUE(t.ok());
  EXPECT_EQ(t->scheme, UriScheme::Tel);
  EXPECT_EQ(t->user, "+1-201-555-0123");
  EXPECT_EQ(t->params.value("phone-context"), "example.com");

  auto o = parseUri("urn:service:sos");
  ASSERT_TRUE(o.ok());
  EXPECT_EQ(o->scheme, UriScheme::Other);
  EXPECT_EQ(o->opaque, "service:sos");
}

TEST(UriTest, RejectsMalformed) {
  for (const char* bad : {"", "sip:", "sip:@host", "sip:[::1", "sip:[]", "sip:host:99999",
                          "sip:host:", "sip:%zz@host", "sip:a b@host", "1sip:host", ":host",
                          "sip:host;=x", "sip:host;a=", "sip:host?", "tel:", "sip:ho<st",
                          "sip:host extra", "sip:[zz::1]"}) {
    EXPECT_FALSE(parseUri(bad).ok()) << bad;
  }
}

TEST(NameAddrTest, QuotedDisplayNameWithEscapes) {
  auto na = parseNameAddr(R"("Carol \"The Boss\", Esq." <sip:carol@chicago.example.com>;tag=9)",
                          ParseError::BadTo);
  ASSERT_TRUE(na.ok());
  EXPECT_TRUE(na->angleBrackets);
  EXPECT_EQ(na->unquotedDisplayName(), R"(Carol "The Boss", Esq.)");
  EXPECT_EQ(na->uri.user, "carol");
  EXPECT_EQ(na->tag(), "9");
}

TEST(NameAddrTest, TokenDisplayNameAndNoDisplayName) {
  auto a = parseNameAddr("Bob Smith <sip:bob@b.example.com;transport=tcp> ; tag = x1",
                         ParseError::BadTo);
  ASSERT_TRUE(a.ok());
  EXPECT_EQ(a->displayName, "Bob Smith");
  EXPECT_EQ(a->uri.params.value("transport"), "tcp");
  EXPECT_EQ(a->tag(), "x1");

  auto b = parseNameAddr("<sip:bob@b.example.com>", ParseError::BadTo);
  ASSERT_TRUE(b.ok());
  EXPECT_TRUE(b->displayName.empty());
}

TEST(NameAddrTest, AddrSpecParamsBelongToTheHeader) {
  auto na = parseNameAddr("sip:alice@atlanta.example.com;tag=88;expires=30", ParseError::BadFrom);
  ASSERT_TRUE(na.ok());
  EXPECT_FALSE(na->angleBrackets);
  EXPECT_TRUE(na->uri.params.empty());
  EXPECT_EQ(na->tag(), "88");
  EXPECT_EQ(na->params.value("expires"), "30");
}

TEST(NameAddrTest, RejectsMalformedWithTheGivenError) {
  for (const char* bad : {"", "\"open <sip:a@b>", "<sip:a@b", "Bob <sip:a@b> junk",
                          "<sip:a@b>;", "<sip:a@b>;tag=", "<>", "Bob sip:a@b"}) {
    auto r = parseNameAddr(bad, ParseError::BadFrom);
    ASSERT_FALSE(r.ok()) << bad;
    EXPECT_EQ(r.error(), make_error_code(ParseError::BadFrom));
  }
}

TEST(ViaTest, AllParameters) {
  auto v = parseVia(
      "SIP/2.0/UDP 192.0.2.1:5062;branch=z9hG4bK77;received=198.51.100.7;rport=5099;"
      "maddr=224.2.0.1;ttl=16");
  ASSERT_TRUE(v.ok());
  EXPECT_EQ(v->protocolName, "SIP");
  EXPECT_EQ(v->protocolVersion, "2.0");
  EXPECT_EQ(v->transport, "UDP");
  EXPECT_EQ(v->host, "192.0.2.1");
  EXPECT_EQ(*v->port, 5062);
  EXPECT_EQ(v->branch, "z9hG4bK77");
  EXPECT_TRUE(v->hasMagicCookie());
  EXPECT_EQ(v->received, "198.51.100.7");
  EXPECT_TRUE(v->hasRport);
  EXPECT_EQ(*v->rport, 5099);
  EXPECT_EQ(v->maddr, "224.2.0.1");
  EXPECT_EQ(*v->ttl, 16);
}

TEST(ViaTest, RportWithoutValueLwsAndIpv6) {
  auto v = parseVia("SIP / 2.0 / TCP [2001:db8::9] : 5060 ; rport ; branch = abc (comment)");
  ASSERT_TRUE(v.ok());
  EXPECT_EQ(v->transport, "TCP");
  EXPECT_EQ(v->host, "[2001:db8::9]");
  EXPECT_EQ(*v->port, 5060);
  EXPECT_TRUE(v->hasRport);
  EXPECT_FALSE(v->rport.has_value());
  EXPECT_EQ(v->branch, "abc");
  EXPECT_FALSE(v->hasMagicCookie());
}

TEST(ViaTest, RejectsMalformed) {
  for (const char* bad : {"", "SIP/2.0/UDP", "SIP/2.0 host", "SIP/2.0/UDPhost",
                          "SIP/2.0/UDP host:70000", "SIP/2.0/UDP host;branch",
                          "SIP/2.0/UDP host;ttl=300", "SIP/2.0/UDP host;rport=x",
                          "SIP/2.0/UDP host junk", "SIP/2.0/UDP host (open"}) {
    EXPECT_FALSE(parseVia(bad).ok()) << bad;
  }
}

TEST(CSeqTest, NumberAndMethod) {
  auto c = parseCSeq("  314159   INVITE ");
  ASSERT_TRUE(c.ok());
  EXPECT_EQ(c->number, 314159U);
  EXPECT_EQ(c->method, Method::Invite);
  auto e = parseCSeq("2147483647 FOO");
  ASSERT_TRUE(e.ok());
  EXPECT_EQ(e->method, Method::Extension);
  EXPECT_EQ(e->methodName, "FOO");
  for (const char* bad : {"", "INVITE", "1", "1INVITE", "2147483648 INVITE", "-1 INVITE",
                          "1 INVITE x", "1 INV@TE"}) {
    EXPECT_FALSE(parseCSeq(bad).ok()) << bad;
  }
}

TEST(ParamListTest, IteratesInOrderWithQuotedValues) {
  ParamList p(R"(;a=1;B;c="x;y,z";d=[::1])");
  std::vector<std::string> names;
  for (const Param& prm : p) names.emplace_back(prm.name);
  EXPECT_EQ(names, (std::vector<std::string>{"a", "B", "c", "d"}));
  EXPECT_EQ(p.value("A"), "1");
  EXPECT_TRUE(p.has("b"));
  EXPECT_EQ(p.value("c"), R"("x;y,z")");
  EXPECT_EQ(p.value("d"), "[::1]");
  EXPECT_FALSE(p.has("e"));
  EXPECT_TRUE(ParamList("").empty());
}

TEST(SplitValuesTest, CommasInsideQuotesAndAnglesDoNotSplit) {
  std::vector<std::string> parts;
  const bool ok = splitValues(R"("A, B" <sip:a@x;p=1,2>, <sip:b@y> ,sip:c@z)",
                              [&](std::string_view e) {
                                parts.emplace_back(e);
                                return true;
                              });
  EXPECT_TRUE(ok);
  EXPECT_EQ(parts, (std::vector<std::string>{R"("A, B" <sip:a@x;p=1,2>)", "<sip:b@y>",
                                             "sip:c@z"}));
}

TEST(SplitValuesTest, RejectsUnbalancedAndEmptyElements) {
  auto noop = [](std::string_view) { return true; };
  EXPECT_FALSE(splitValues(R"("open, <sip:a@b>)", noop));
  EXPECT_FALSE(splitValues("<sip:a@b", noop));
  EXPECT_FALSE(splitValues("sip:a@b>", noop));
  EXPECT_FALSE(splitValues("a,,b", noop));
  EXPECT_FALSE(splitValues("", noop));
}

}  // namespace
}  // namespace tapi::sip::message
