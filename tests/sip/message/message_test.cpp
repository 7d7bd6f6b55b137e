#include "sip/message/message.hpp"

#include <gtest/gtest.h>

#include <string>

namespace tapi::sip::message {
namespace {

const std::string kInvite =
    "INVITE sip:bob@biloxi.example.com SIP/2.0\r\n"
    "Via: SIP/2.0/UDP pc33.atlanta.example.com:5066;branch=z9hG4bK776asdhds;rport\r\n"
    "Via: SIP/2.0/TCP proxy.example.com;branch=z9hG4bKp1, SIP/2.0/UDP [2001:db8::1];branch=z9hG4bKp2\r\n"
    "Max-Forwards: 70\r\n"
    "To: Bob <sip:bob@biloxi.example.com>\r\n"
    "From: \"Alice\" <sip:alice@atlanta.example.com>;tag=1928301774\r\n"
    "Call-ID: a84b4c76e66710@pc33.atlanta.example.com\r\n"
    "CSeq: 314159 INVITE\r\n"
    "Route: <sip:p1.example.com;lr>, <sip:p2.example.com;lr>\r\n"
    "Contact: <sip:alice@pc33.atlanta.example.com>;expires=60\r\n"
    "Supported: timer, 100rel\r\n"
    "k: replaces\r\n"
    "Content-Type: application/sdp\r\n"
    "Content-Length: 4\r\n"
    "\r\n"
    "v=0\n";

SipMessage parseOk(std::string_view text, const ParseLimits& limits = {}) {
  auto r = parse(text, limits);
  EXPECT_TRUE(r.ok()) << r.error().message();
  return std::move(r).value();
}

ParseError parseErr(std::string_view text, const ParseLimits& limits = {}) {
  auto r = parse(text, limits);
  EXPECT_FALSE(r.ok());
  ParseError e = ParseError::Empty;
  EXPECT_TRUE(toParseError(r.error(), &e));
  return e;
}

TEST(SipMessageTest, RequestStartLineAndRoutingHeaders) {
  SipMessage m = parseOk(kInvite);
  EXPECT_TRUE(m.isRequest());
  EXPECT_EQ(m.method(), Method::Invite);
  EXPECT_EQ(m.methodName(), "INVITE");
  EXPECT_EQ(m.requestUri().user, "bob");
  EXPECT_EQ(m.requestUri().host, "biloxi.example.com");
  EXPECT_EQ(m.statusCode(), 0);

  EXPECT_EQ(m.topVia().transport, "UDP");
  EXPECT_EQ(m.topVia().host, "pc33.atlanta.example.com");
  EXPECT_EQ(*m.topVia().port, 5066);
  EXPECT_EQ(m.topVia().branch, "z9hG4bK776asdhds");
  EXPECT_TRUE(m.topVia().hasRport);
  ASSERT_EQ(m.vias().size(), 3U);
  EXPECT_EQ(m.vias()[1].host, "proxy.example.com");
  EXPECT_EQ(m.vias()[2].host, "[2001:db8::1]");

  EXPECT_EQ(m.from().tag(), "1928301774");
  EXPECT_EQ(m.from().unquotedDisplayName(), "Alice");
  EXPECT_TRUE(m.to().tag().empty());
  EXPECT_EQ(m.to().uri.user, "bob");
  EXPECT_EQ(m.callId(), "a84b4c76e66710@pc33.atlanta.example.com");
  EXPECT_EQ(m.cseq().number, 314159U);
  EXPECT_EQ(m.cseq().method, Method::Invite);
  EXPECT_EQ(*m.maxForwards(), 70U);
  EXPECT_EQ(*m.contentLength(), 4U);
  EXPECT_EQ(m.body(), "v=0\n");

  ASSERT_EQ(m.routes().size(), 2U);
  EXPECT_EQ(m.routes()[1].uri.host, "p2.example.com");
  EXPECT_TRUE(m.routes()[0].uri.params.has("lr"));
  ASSERT_EQ(m.contacts().size(), 1U);
  EXPECT_EQ(m.contacts()[0].params.value("expires"), "60");
  EXPECT_FALSE(m.contactIsWildcard());
  EXPECT_TRUE(m.recordRoutes().empty());
}

TEST(SipMessageTest, ResponseTakesMethodFromCSeq) {
  SipMessage m = parseOk(
      "SIP/2.0 486 Busy Here\r\nVia: SIP/2.0/UDP h;branch=z9hG4bK1\r\nTo: <sip:b@h>;tag=x\r\n"
      "From: <sip:a@h>;tag=y\r\nCall-ID: c1\r\nCSeq: 5 INVITE\r\nContent-Length: 0\r\n\r\n");
  EXPECT_TRUE(m.isResponse());
  EXPECT_EQ(m.statusCode(), 486);
  EXPECT_EQ(m.reasonPhrase(), "Busy Here");
  EXPECT_EQ(m.method(), Method::Invite);
  EXPECT_EQ(m.to().tag(), "x");
  EXPECT_TRUE(m.body().empty());
}

TEST(SipMessageTest, GenericLookupIsCaseInsensitiveAndKnowsCompactForms) {
  SipMessage m = parseOk(kInvite);
  EXPECT_EQ(*m.header("call-id"), m.callId());
  EXPECT_EQ(*m.header("i"), m.callId());
  EXPECT_EQ(*m.header(HeaderId::ContentType), "application/sdp");
  EXPECT_FALSE(m.header("Subject").has_value());
  // "Supported" and its compact form "k" are the same header, values flattened in order.
  const auto sup = m.headerValues("SUPPORTED");
  ASSERT_EQ(sup.size(), 3U);
  EXPECT_EQ(sup[0], "timer");
  EXPECT_EQ(sup[1], "100rel");
  EXPECT_EQ(sup[2], "replaces");
  EXPECT_EQ(m.headerCount(), 13U);
  EXPECT_EQ(m.headerAt(0).id, HeaderId::Via);
  EXPECT_EQ(m.headerAt(10).name, "k");
}

TEST(SipMessageTest, ViewsPointIntoTheMessageBufferAndSurviveMoves) {
  std::string text = kInvite;
  SipMessage m = parseOk(text);
  text.assign(text.size(), 'x');  // the message owns its own copy
  const std::string_view raw = m.raw();
  const std::string_view callId = m.callId();
  EXPECT_GE(callId.data(), raw.data());
  EXPECT_LE(callId.data() + callId.size(), raw.data() + raw.size());
  SipMessage moved = std::move(m);
  EXPECT_EQ(moved.callId(), "a84b4c76e66710@pc33.atlanta.example.com");
  EXPECT_EQ(moved.callId().data(), callId.data());
}

TEST(SipMessageTest, UnmodifiedSerializeIsByteIdentical) {
  SipMessage m = parseOk(kInvite);
  EXPECT_FALSE(m.modified());
  EXPECT_EQ(m.serialize(), kInvite);
}

TEST(SipMessageTest, BytesAfterContentLengthAreNotPartOfTheMessage) {
  std::string text = kInvite + "trailing junk";
  SipMessage m = parseOk(text);
  EXPECT_EQ(m.body(), "v=0\n");
  EXPECT_EQ(m.serialize(), kInvite);
}

TEST(SipMessageTest, PrependViaAndSetReceivedRport) {
  SipMessage m = parseOk(kInvite);
  ASSERT_TRUE(m.setTopViaParam("received", "198.51.100.9").ok());
  ASSERT_TRUE(m.setTopViaParam("rport", "5099").ok());
  EXPECT_EQ(m.topVia().received, "198.51.100.9");
  EXPECT_EQ(*m.topVia().rport, 5099);
  EXPECT_EQ(m.topVia().branch, "z9hG4bK776asdhds");

  ASSERT_TRUE(m.prependHeader("Via", "SIP/2.0/UDP 192.0.2.50:5060;branch=z9hG4bKnew").ok());
  EXPECT_EQ(m.topVia().host, "192.0.2.50");
  EXPECT_EQ(m.vias().size(), 4U);
  EXPECT_TRUE(m.modified());

  const std::string wire = m.serialize();
  EXPECT_NE(wire.find("Via: SIP/2.0/UDP 192.0.2.50:5060;branch=z9hG4bKnew\r\n"
                      "Via: SIP/2.0/UDP pc33.atlanta.example.com:5066;branch=z9hG4bK776asdhds;"
                      "rport=5099;received=198.51.100.9\r\n"),
            std::string::npos)
      << wire;
  // Untouched header lines are copied byte for byte.
  EXPECT_NE(wire.find("From: \"Alice\" <sip:alice@atlanta.example.com>;tag=1928301774\r\n"),
            std::string::npos);
  SipMessage again = parseOk(wire);
  EXPECT_EQ(again.vias().size(), 4U);
  EXPECT_EQ(again.vias()[1].received, "198.51.100.9");
  EXPECT_EQ(again.body(), "v=0\n");
}

TEST(SipMessageTest, SetTopViaParamInAListOnlyTouchesTheFirstElement) {
  SipMessage m = parseOk(
      "SIP/2.0 200 OK\r\nVia: SIP/2.0/UDP a.example.com;branch=z9hG4bK1, SIP/2.0/UDP "
      "b.example.com;branch=z9hG4bK2\r\nTo: <sip:b@h>;tag=x\r\nFrom: <sip:a@h>;tag=y\r\n"
      "Call-ID: c1\r\nCSeq: 5 OPTIONS\r\n\r\n");
  ASSERT_TRUE(m.setTopViaParam("received", "192.0.2.1").ok());
  ASSERT_EQ(m.vias().size(), 2U);
  EXPECT_EQ(m.vias()[0].received, "192.0.2.1");
  EXPECT_TRUE(m.vias()[1].received.empty());
  ASSERT_TRUE(m.removeTopVia());
  ASSERT_EQ(m.vias().size(), 1U);
  EXPECT_EQ(m.topVia().host, "b.example.com");
  EXPECT_FALSE(m.removeTopVia());  // the last Via stays
}

TEST(SipMessageTest, SetTopViaParamReplacesDuplicates) {
  SipMessage m = parseOk(
      "SIP/2.0 200 OK\r\nVia: SIP/2.0/UDP a.example.com;received=1.1.1.1;branch=z9hG4bK1;"
      "received=2.2.2.2 ;rport\r\nTo: <sip:b@h>;tag=x\r\nFrom: <sip:a@h>;tag=y\r\n"
      "Call-ID: c1\r\nCSeq: 5 OPTIONS\r\n\r\n");
  ASSERT_TRUE(m.setTopViaParam("received", "192.0.2.1").ok());
  ASSERT_TRUE(m.setTopViaParam("RPORT", "5060").ok());
  EXPECT_EQ(m.topVia().text, "SIP/2.0/UDP a.example.com;received=192.0.2.1;branch=z9hG4bK1 ;RPORT=5060");
  SipMessage again = parseOk(m.serialize());
  EXPECT_EQ(again.topVia().received, "192.0.2.1");
  EXPECT_EQ(*again.topVia().rport, 5060);
}

TEST(SipMessageTest, ReplaceAndRemoveHeaders) {
  SipMessage m = parseOk(kInvite);
  ASSERT_TRUE(m.replaceHeader("Max-Forwards", "69").ok());
  EXPECT_EQ(*m.maxForwards(), 69U);
  EXPECT_EQ(m.removeHeader("Route"), 1U);
  EXPECT_TRUE(m.routes().empty());
  EXPECT_EQ(m.removeHeader("supported"), 2U);  // both the full and the compact form
  EXPECT_EQ(m.removeHeader("Call-ID"), 0U);     // mandatory: refused
  ASSERT_TRUE(m.addHeader("X-Trace", "abc").ok());
  ASSERT_TRUE(m.replaceHeader("X-Trace", "def").ok());
  EXPECT_EQ(*m.header("x-trace"), "def");

  SipMessage again = parseOk(m.serialize());
  EXPECT_EQ(*again.maxForwards(), 69U);
  EXPECT_TRUE(again.routes().empty());
  EXPECT_TRUE(again.headerValues("Supported").empty());
  EXPECT_EQ(*again.header("X-Trace"), "def");
  EXPECT_EQ(again.callId(), m.callId());
}

TEST(SipMessageTest, InvalidChangesAreRefusedAndLeaveTheMessageAlone) {
  SipMessage m = parseOk(kInvite);
  EXPECT_EQ(m.replaceHeader("CSeq", "not a cseq").error(), make_error_code(ParseError::BadCSeq));
  EXPECT_EQ(m.addHeader("Call-ID", "second").error(), make_error_code(ParseError::BadCallId));
  EXPECT_EQ(m.prependHeader("Via", "garbage").error(), make_error_code(ParseError::BadVia));
  EXPECT_EQ(m.addHeader("X-Evil", "a\r\nVia: injected").error(),
            make_error_code(ParseError::BadHeaderValue));
  EXPECT_FALSE(m.addHeader("Bad Name", "v").ok());
  EXPECT_FALSE(m.setTopViaParam("received", "a;b").ok());
  EXPECT_FALSE(m.setRequestUri("not a uri").ok());
  EXPECT_FALSE(m.modified());
  EXPECT_EQ(m.cseq().number, 314159U);
  EXPECT_EQ(m.serialize(), kInvite);
}

TEST(SipMessageTest, SetBodyUpdatesContentLengthAndType) {
  SipMessage m = parseOk(kInvite);
  m.setBody("hello world", "text/plain");
  EXPECT_EQ(m.body(), "hello world");
  EXPECT_EQ(*m.contentLength(), 11U);
  SipMessage again = parseOk(m.serialize());
  EXPECT_EQ(again.body(), "hello world");
  EXPECT_EQ(*again.header("Content-Type"), "text/plain");
}

TEST(SipMessageTest, SetRequestUri) {
  SipMessage m = parseOk(kInvite);
  ASSERT_TRUE(m.setRequestUri("sip:bob@192.0.2.4:5070;transport=tcp").ok());
  EXPECT_EQ(m.requestUri().host, "192.0.2.4");
  EXPECT_EQ(m.methodName(), "INVITE");
  const std::string wire = m.serialize();
  EXPECT_EQ(wire.rfind("INVITE sip:bob@192.0.2.4:5070;transport=tcp SIP/2.0\r\nVia:", 0), 0U);
  EXPECT_EQ(parseOk(wire).requestUri().port, 5070);
}

TEST(SipMessageTest, CloneIsIndependent) {
  SipMessage m = parseOk(kInvite);
  SipMessage c = m.clone();
  ASSERT_TRUE(c.replaceHeader("Max-Forwards", "10").ok());
  EXPECT_EQ(*m.maxForwards(), 70U);
  EXPECT_EQ(*c.maxForwards(), 10U);
}

TEST(SipMessageTest, FoldedHeadersAreUnfoldedForTypedAccess) {
  SipMessage m = parseOk(
      "OPTIONS sip:c@h SIP/2.0\r\nVia: SIP/2.0/UDP h\r\n ;branch=z9hG4bKf\r\n"
      "To: Bob\r\n\t<sip:b@h>\r\nFrom: <sip:a@h>\r\n  ;tag=f\r\nCall-ID: f1\r\n"
      "CSeq:\r\n 7\r\n OPTIONS\r\nSubject: one\r\n two\r\n\r\n");
  EXPECT_EQ(m.topVia().branch, "z9hG4bKf");
  EXPECT_EQ(m.to().displayName, "Bob");
  EXPECT_EQ(m.from().tag(), "f");
  EXPECT_EQ(m.cseq().number, 7U);
  EXPECT_EQ(*m.header("Subject"), "one\r\n two");
}

TEST(SipMessageTest, ContactWildcard) {
  SipMessage m = parseOk(
      "REGISTER sip:reg.example.com SIP/2.0\r\nVia: SIP/2.0/UDP h;branch=z9hG4bKr\r\n"
      "To: <sip:b@h>\r\nFrom: <sip:b@h>;tag=1\r\nCall-ID: r1\r\nCSeq: 2 REGISTER\r\n"
      "Contact: *\r\nExpires: 0\r\n\r\n");
  EXPECT_TRUE(m.contactIsWildcard());
  EXPECT_TRUE(m.contacts().empty());
}

TEST(ParseLimitsTest, DefaultsAreSane) {
  ParseLimits l;
  EXPECT_EQ(l.maxMessageSize, 64U * 1024U);
  EXPECT_EQ(l.maxHeaders, 256U);
  EXPECT_EQ(l.maxLineLength, 8U * 1024U);
  EXPECT_FALSE(l.requireContentLength);
}

TEST(ParseLimitsTest, EachLimitIsEnforcedAtItsBoundary) {
  const std::string base =
      "OPTIONS sip:c@h SIP/2.0\r\nVia: SIP/2.0/UDP h;branch=z9hG4bKl\r\nTo: <sip:b@h>\r\n"
      "From: <sip:a@h>;tag=1\r\nCall-ID: l1\r\nCSeq: 1 OPTIONS\r\n";
  const std::string msg = base + "\r\n";

  ParseLimits size;
  size.maxMessageSize = msg.size();
  EXPECT_TRUE(parse(msg, size).ok());
  size.maxMessageSize = msg.size() - 1;
  EXPECT_EQ(parseErr(msg, size), ParseError::MessageTooLarge);

  ParseLimits headers;
  headers.maxHeaders = 5;
  EXPECT_TRUE(parse(msg, headers).ok());
  headers.maxHeaders = 4;
  EXPECT_EQ(parseErr(msg, headers), ParseError::TooManyHeaders);

  ParseLimits line;
  line.maxLineLength = 40;  // every line of base is shorter
  const std::string longSubject = base + "Subject: " + std::string(31, 's') + "\r\n\r\n";  // 40
  EXPECT_TRUE(parse(longSubject, line).ok());
  const std::string tooLong = base + "Subject: " + std::string(32, 's') + "\r\n\r\n";  // 41
  EXPECT_EQ(parseErr(tooLong, line), ParseError::LineTooLong);

  ParseLimits stream;
  stream.requireContentLength = true;
  EXPECT_EQ(parseErr(msg, stream), ParseError::MissingContentLength);
  EXPECT_TRUE(parse(base + "Content-Length: 0\r\n\r\n", stream).ok());
}

TEST(FrameMessageTest, FramesByContentLengthAcrossPartialReads) {
  const std::string one =
      "OPTIONS sip:c@h SIP/2.0\r\nVia: SIP/2.0/TCP h;branch=z9hG4bKt\r\nTo: <sip:b@h>\r\n"
      "From: <sip:a@h>;tag=1\r\nCall-ID: t1\r\nCSeq: 1 OPTIONS\r\nl: 5\r\n\r\nhello";
  const std::string stream = one + one;
  for (std::size_t cut = 0; cut < one.size(); ++cut) {
    EXPECT_EQ(frameMessage(std::string_view(stream).substr(0, cut)).status, FrameStatus::NeedMore)
        << cut;
  }
  const FrameResult r = frameMessage(stream);
  ASSERT_EQ(r.status, FrameStatus::Complete);
  EXPECT_EQ(r.length, one.size());
  ParseLimits streamLimits;
  streamLimits.requireContentLength = true;
  EXPECT_EQ(parseOk(std::string_view(stream).substr(0, r.length), streamLimits).body(), "hello");
}

TEST(FrameMessageTest, KeepAlivesAndErrors) {
  const FrameResult ka = frameMessage("\r\n\r\nOPTIONS");
  EXPECT_EQ(ka.status, FrameStatus::KeepAlive);
  EXPECT_EQ(ka.length, 4U);

  const FrameResult nocl = frameMessage("OPTIONS sip:c@h SIP/2.0\r\nCall-ID: x\r\n\r\n");
  EXPECT_EQ(nocl.status, FrameStatus::Invalid);
  EXPECT_EQ(nocl.error, ParseError::MissingContentLength);

  const FrameResult badcl = frameMessage("OPTIONS sip:c@h SIP/2.0\r\nContent-Length: x\r\n\r\n");
  EXPECT_EQ(badcl.error, ParseError::BadContentLength);

  ParseLimits small;
  small.maxMessageSize = 100;
  const FrameResult big =
      frameMessage("OPTIONS sip:c@h SIP/2.0\r\nContent-Length: 5000\r\n\r\n", small);
  EXPECT_EQ(big.status, FrameStatus::Invalid);
  EXPECT_EQ(big.error, ParseError::MessageTooLarge);

  small.maxLineLength = 10;
  EXPECT_EQ(frameMessage(std::string(200, 'a'), small).error, ParseError::LineTooLong);
}

}  // namespace
}  // namespace tapi::sip::message
