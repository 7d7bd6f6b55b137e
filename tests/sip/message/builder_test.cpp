#include <gtest/gtest.h>

#include <string>

#include "sip/message/message.hpp"

namespace tapi::sip::message {
namespace {

SipMessage buildOptions() {
  auto r = MessageBuilder::request(Method::Options, "sip:carol@chicago.example.com")
               .header("Via", "SIP/2.0/UDP pc33.atlanta.example.com;branch=z9hG4bKb1")
               .header("Via", "SIP/2.0/TCP proxy.example.com;branch=z9hG4bKb0;received=192.0.2.9")
               .header("Max-Forwards", "70")
               .header("To", "Carol <sip:carol@chicago.example.com>")
               .header("From", "Alice <sip:alice@atlanta.example.com>;tag=1928301774")
               .header("Call-ID", "build-1@pc33")
               .header("CSeq", "63104 OPTIONS")
               .header("Record-Route", "<sip:rr.example.com;lr>")
               .build();
  EXPECT_TRUE(r.ok()) << r.error().message();
  return std::move(r).value();
}

TEST(MessageBuilderTest, BuildsRequestWithContentLength) {
  SipMessage m = buildOptions();
  EXPECT_EQ(m.method(), Method::Options);
  EXPECT_EQ(*m.contentLength(), 0U);
  EXPECT_EQ(m.serialize().rfind("OPTIONS sip:carol@chicago.example.com SIP/2.0\r\nVia: ", 0), 0U);
  EXPECT_NE(m.serialize().find("Content-Length: 0\r\n\r\n"), std::string::npos);
}

TEST(MessageBuilderTest, BodyAndExtensionMethod) {
  auto r = MessageBuilder::request("PING", "sip:x@y")
               .header("Via", "SIP/2.0/UDP h;branch=z9hG4bKp")
               .header("To", "<sip:x@y>")
               .header("From", "<sip:a@b>;tag=t")
               .header("Call-ID", "p1")
               .header("CSeq", "1 PING")
               .body("payload", "text/plain")
               .build();
  ASSERT_TRUE(r.ok()) << r.error().message();
  EXPECT_EQ(r->method(), Method::Extension);
  EXPECT_EQ(r->methodName(), "PING");
  EXPECT_EQ(r->body(), "payload");
  EXPECT_EQ(*r->header("Content-Type"), "text/plain");
}

TEST(MessageBuilderTest, RefusesHeaderInjectionAndIncompleteMessages) {
  auto inj = MessageBuilder::response(200).header("X", "a\r\nVia: evil").build();
  EXPECT_EQ(inj.error(), make_error_code(ParseError::BadHeaderValue));
  auto missing = MessageBuilder::request(Method::Bye, "sip:x@y").header("Call-ID", "c").build();
  EXPECT_EQ(missing.error(), make_error_code(ParseError::MissingVia));
  EXPECT_FALSE(MessageBuilder::response(99).build().ok());
  EXPECT_FALSE(MessageBuilder::request(Method::Extension, "sip:x@y").build().ok());
}

TEST(MakeResponseTest, CopiesHeadersPerRfc3261Section8_2_6) {
  SipMessage req = buildOptions();
  auto r = makeResponse(req, 200, {}, "tag42");
  ASSERT_TRUE(r.ok()) << r.error().message();
  const SipMessage& resp = *r;
  EXPECT_EQ(resp.statusCode(), 200);
  EXPECT_EQ(resp.reasonPhrase(), "OK");
  ASSERT_EQ(resp.vias().size(), 2U);
  EXPECT_EQ(resp.vias()[0].branch, "z9hG4bKb1");
  EXPECT_EQ(resp.vias()[1].received, "192.0.2.9");
  EXPECT_EQ(resp.from().text, req.from().text);
  EXPECT_EQ(resp.callId(), req.callId());
  EXPECT_EQ(resp.cseq().number, 63104U);
  EXPECT_EQ(resp.cseq().method, Method::Options);
  EXPECT_EQ(resp.method(), Method::Options);
  EXPECT_EQ(resp.to().tag(), "tag42");
  EXPECT_EQ(resp.to().uri.user, "carol");
  // Only the §8.2.6 headers: Record-Route and Max-Forwards are the TU's business.
  EXPECT_TRUE(resp.recordRoutes().empty());
  EXPECT_FALSE(resp.maxForwards().has_value());
  EXPECT_EQ(*resp.contentLength(), 0U);
}

TEST(MakeResponseTest, TagRules) {
  SipMessage req = buildOptions();
  auto trying = makeResponse(req, 100);
  ASSERT_TRUE(trying.ok());
  EXPECT_TRUE(trying->to().tag().empty());  // 100 Trying gets no tag
  EXPECT_EQ(trying->reasonPhrase(), "Trying");

  auto a = makeResponse(req, 486);
  auto b = makeResponse(req, 486);
  ASSERT_TRUE(a.ok() && b.ok());
  EXPECT_EQ(a->reasonPhrase(), "Busy Here");
  EXPECT_EQ(a->to().tag().size(), 16U);
  EXPECT_NE(a->to().tag(), b->to().tag());  // generated tags differ

  // A To that already has a tag (mid-dialog request) keeps it.
  auto inDialog = MessageBuilder::request(Method::Bye, "sip:a@h")
                      .header("Via", "SIP/2.0/UDP h;branch=z9hG4bKd")
                      .header("To", "<sip:a@h>;tag=existing")
                      .header("From", "<sip:b@h>;tag=f")
                      .header("Call-ID", "d1")
                      .header("CSeq", "2 BYE")
                      .build();
  ASSERT_TRUE(inDialog.ok());
  auto ok = makeResponse(*inDialog, 200, "Fine", "ignored");
  ASSERT_TRUE(ok.ok());
  EXPECT_EQ(ok->to().tag(), "existing");
  EXPECT_EQ(ok->reasonPhrase(), "Fine");
}

TEST(MakeResponseTest, RejectsResponsesAndBadStatus) {
  SipMessage req = buildOptions();
  auto resp = makeResponse(req, 200);
  ASSERT_TRUE(resp.ok());
  EXPECT_FALSE(makeResponse(*resp, 200).ok());
  EXPECT_FALSE(makeResponse(req, 700).ok());
  EXPECT_FALSE(makeResponse(req, 99).ok());
}

TEST(DefaultReasonPhraseTest, KnownAndClassDefaults) {
  EXPECT_EQ(defaultReasonPhrase(481), "Call/Transaction Does Not Exist");
  EXPECT_EQ(defaultReasonPhrase(199), "Early Dialog Terminated");
  EXPECT_EQ(defaultReasonPhrase(299), "Success");
  EXPECT_EQ(defaultReasonPhrase(699), "Global Failure");
}

const std::string kBadCSeq =
    "INVITE sip:bob@biloxi.example.com SIP/2.0\r\n"
    "Via: SIP/2.0/UDP pc33.atlanta.example.com;branch=z9hG4bK776asdhds\r\n"
    "Via: SIP/2.0/UDP proxy.example.com;branch=z9hG4bK1\r\n"
    "To: Bob <sip:bob@biloxi.example.com>\r\n"
    "From: Alice <sip:alice@atlanta.example.com>;tag=1928301774\r\n"
    "Call-ID: a84b4c76e66710\r\n"
    "CSeq: x INVITE\r\n"
    "\r\n";

TEST(DecideOnBadInputTest, AnswerableRequestGetsStateless400WithReason) {
  auto r = parse(kBadCSeq);
  ASSERT_FALSE(r.ok());
  const BadInputDecision d = decideOnBadInput(kBadCSeq, r.error());
  ASSERT_EQ(d.action, BadInputAction::Respond400);
  EXPECT_EQ(d.error, ParseError::BadCSeq);
  EXPECT_EQ(d.status, 400);
  EXPECT_EQ(d.response.rfind("SIP/2.0 400 bad CSeq\r\n", 0), 0U) << d.response;
  EXPECT_NE(
      d.response.find("\r\nVia: SIP/2.0/UDP pc33.atlanta.example.com;branch=z9hG4bK776asdhds\r\n"
                      "Via: SIP/2.0/UDP proxy.example.com;branch=z9hG4bK1\r\n"),
      std::string::npos);
  EXPECT_NE(d.response.find("\r\nCSeq: x INVITE\r\n"), std::string::npos);
  EXPECT_NE(d.response.find("\r\nTo: Bob <sip:bob@biloxi.example.com>;tag="), std::string::npos);
  EXPECT_NE(d.response.find("\r\nCall-ID: a84b4c76e66710\r\n"), std::string::npos);
}

TEST(DecideOnBadInputTest, DropsWhatCannotBeAnswered) {
  auto decide = [](const std::string& text) {
    auto r = parse(text);
    EXPECT_FALSE(r.ok());
    return decideOnBadInput(text, r.error());
  };
  const std::string ack = "ACK" + kBadCSeq.substr(6);
  EXPECT_EQ(decide(ack).action, BadInputAction::Drop);

  std::string noCallId = kBadCSeq;
  noCallId.replace(noCallId.find("Call-ID"), 7, "X-Not-C");
  // RFC 4475 insuf: a missing Call-ID still gets its 400 (the caller matches it by Via).
  EXPECT_EQ(decide(noCallId).action, BadInputAction::Respond400);
  EXPECT_EQ(decide(noCallId).error, ParseError::BadCSeq);  // header errors are found first

  std::string badVia = kBadCSeq;
  badVia.replace(badVia.find("pc33.atlanta"), 4, ";;;;");
  EXPECT_EQ(decide(badVia).action, BadInputAction::Drop);

  const std::string response =
      "SIP/2.0 200 OK\r\nVia: SIP/2.0/UDP h;branch=z9hG4bK1\r\nTo: <sip:b@h>\r\n"
      "From: <sip:a@h>;tag=1\r\nCSeq: 1 OPTIONS\r\n\r\n";
  EXPECT_EQ(decide(response).action, BadInputAction::Drop);

  std::string ctl = kBadCSeq;
  ctl.replace(ctl.find("a84b4c"), 1, "\x01");
  EXPECT_EQ(decide(ctl).action, BadInputAction::Drop);  // never echo control bytes
}

TEST(DecideOnBadInputTest, StrayDelimitersInTheTopViaStillGetA400) {
  // RFC 4475 §3.1.2.12 (badinv01): the Via's sent-by still says where the request came from;
  // the 400 echoes the part of it that parses, so that the answer itself is a valid message.
  std::string good = kBadCSeq;
  good.replace(good.find("CSeq: x"), 7, "CSeq: 1");
  std::string stray = good;
  stray.replace(stray.find(";branch=z9hG4bK776asdhds"), 24, ";branch=z9hG4bK776;;,;,,");
  auto r = parse(stray);
  ASSERT_FALSE(r.ok());
  const BadInputDecision d = decideOnBadInput(stray, r.error());
  ASSERT_EQ(d.action, BadInputAction::Respond400);
  EXPECT_NE(d.response.find("\r\nVia: SIP/2.0/UDP pc33.atlanta.example.com;branch=z9hG4bK776\r\n"
                            "From: "),
            std::string::npos)
      << d.response;
  auto answer = parse(d.response);
  ASSERT_TRUE(answer.ok()) << d.response;
  EXPECT_EQ(answer->topVia().branch, "z9hG4bK776");

  // With no parameter at all the sent-by alone is echoed.
  std::string bare = good;
  bare.replace(bare.find(";branch=z9hG4bK776asdhds"), 24, ";;,;,,");
  auto rb = parse(bare);
  ASSERT_FALSE(rb.ok());
  const BadInputDecision db = decideOnBadInput(bare, rb.error());
  ASSERT_EQ(db.action, BadInputAction::Respond400);
  EXPECT_NE(db.response.find("\r\nVia: SIP/2.0/UDP pc33.atlanta.example.com\r\nFrom: "),
            std::string::npos)
      << db.response;
  EXPECT_TRUE(parse(db.response).ok()) << db.response;
}

TEST(DecideOnBadInputTest, TrailingSpaceAfterTheVersionIsStillARequest) {
  // RFC 4475 §3.1.2.10 (trws): answered 400 like any other bad request, not dropped.
  std::string trws = kBadCSeq;
  trws.replace(trws.find("SIP/2.0\r\n"), 7, "SIP/2.0  ");
  auto r = parse(trws);
  ASSERT_FALSE(r.ok());
  const BadInputDecision d = decideOnBadInput(trws, r.error());
  ASSERT_EQ(d.action, BadInputAction::Respond400);
  EXPECT_EQ(d.status, 400);
  EXPECT_NE(d.response.find("\r\nCall-ID: a84b4c76e66710\r\n"), std::string::npos);
}

TEST(DecideOnBadInputTest, VersionAndSizeGetTheirOwnStatus) {
  std::string v7 = kBadCSeq;
  v7.replace(v7.find("SIP/2.0\r\n"), 7, "SIP/7.0");
  auto r = parse(v7);
  ASSERT_FALSE(r.ok());
  const BadInputDecision d = decideOnBadInput(v7, r.error());
  ASSERT_EQ(d.action, BadInputAction::Respond400);
  EXPECT_EQ(d.status, 505);
  EXPECT_EQ(d.response.rfind("SIP/2.0 505 bad SIP version\r\n", 0), 0U);
}

}  // namespace
}  // namespace tapi::sip::message
