#include <gtest/gtest.h>

#include <string>
#include <string_view>
#include <vector>

#include "sip/headers/reason.hpp"
#include "sip/headers/session_timer.hpp"
#include "sip/headers/user_to_user.hpp"

namespace tapi::sip::headers {
namespace {

using Views = std::vector<std::string_view>;

// ---- Reason -----------------------------------------------------------------------------

/** The header value `value` is one Reason: `expected`. */
void expectOneReason(std::string_view value, const Reason& expected) {
  const auto r = parseReasons({value});
  ASSERT_EQ(r.size(), 1u) << value;
  EXPECT_EQ(r[0].protocol, expected.protocol) << value;
  EXPECT_EQ(r[0].cause, expected.cause) << value;
  EXPECT_EQ(r[0].text, expected.text) << value;
  EXPECT_EQ(r[0].location, expected.location) << value;
}

TEST(ReasonTest, ParsesQ850WithText) {
  expectOneReason("Q.850;cause=16;text=\"Normal call clearing\"",
                  {"Q.850", 16, "Normal call clearing", ""});
}

TEST(ReasonTest, ParsesSipCauseAndLocation) {
  expectOneReason("SIP ;cause=200 ;text=\"Call completed elsewhere\"",
                  {"SIP", 200, "Call completed elsewhere", ""});
  expectOneReason("Q.850;cause=21;location=U", {"Q.850", 21, "", "U"});
}

TEST(ReasonTest, NormalisesProtocolCaseAndKeepsOthers) {
  const auto r = parseReasons({"sip;cause=600", "q.850;cause=17", "X-Vendor;cause=5"});
  ASSERT_EQ(r.size(), 3u);
  EXPECT_EQ(r[0].protocol, "SIP");
  EXPECT_EQ(r[1].protocol, "Q.850");
  EXPECT_EQ(r[2].protocol, "X-Vendor");
  EXPECT_EQ(r[2].cause, 5);
}

TEST(ReasonTest, CommaListAndSeveralHeadersKeepOrder) {
  const auto r = parseReasons(
      {"SIP;cause=487;text=\"a, b\", Q.850;cause=19", "Q.850 ; cause = 31 ; text=unspec"});
  ASSERT_EQ(r.size(), 3u);
  EXPECT_EQ(r[0].cause, 487);
  EXPECT_EQ(r[0].text, "a, b");
  EXPECT_EQ(r[1].cause, 19);
  EXPECT_EQ(r[2].cause, 31);
  EXPECT_EQ(r[2].text, "unspec");
}

TEST(ReasonTest, UnescapesQuotedText) {
  const auto r = parseReasons({R"(Q.850;cause=16;text="say \"bye\" \\ now")"});
  ASSERT_EQ(r.size(), 1u);
  EXPECT_EQ(r[0].text, R"(say "bye" \ now)");
}

TEST(ReasonTest, CauseRangeAndLeadingZeros) {
  EXPECT_EQ(parseReasons({"Q.850;cause=0"}).at(0).cause, 0);
  EXPECT_EQ(parseReasons({"Q.850;cause=999"}).at(0).cause, 999);
  EXPECT_EQ(parseReasons({"Q.850;cause=016"}).at(0).cause, 16);
  EXPECT_TRUE(parseReasons({"Q.850;cause=1000"}).empty());
  EXPECT_TRUE(parseReasons({"Q.850;cause=99999999999999999999"}).empty());
}

TEST(ReasonTest, FirstDuplicateParameterCounts) {
  const auto r = parseReasons({"Q.850;cause=17;cause=16"});
  ASSERT_EQ(r.size(), 1u);
  EXPECT_EQ(r[0].cause, 17);
}

TEST(ReasonTest, SkipsMalformedValuesKeepsGoodOnes) {
  const Views bad = {
      "",
      "   ",
      "Q.850",                // no cause
      "Q.850;cause",          // cause without value
      "Q.850;cause=",         // empty cause
      "Q.850;cause=abc",      // not a number
      "Q.850;cause=-1",       // negative
      "Q.850;cause=16abc",    // trailing letters
      "Q.850;cause=1 6",      // junk after the params
      ";cause=16",            // no protocol
      "Q.850 junk;cause=16",  // junk before the params
      "Q.8\x01"
      "50;cause=16",                          // control character in the protocol
      "Q.850;cause=16;text=\"bad\x01text\"",  // control character in the text
      "Q.850;cause=16;;",                     // empty parameter
      "Q.850;cause=16;=x",                    // parameter without name
      "Q.850;cause=16;text=\"unterminated",   // broken quoting (also unbalanced for splitting)
  };
  for (const std::string_view v : bad) {
    EXPECT_TRUE(parseReasons({v}).empty()) << "value: " << v;
  }
  const auto r = parseReasons({"Q.850;cause=abc, SIP;cause=200", ",,Q.850;cause=17,,"});
  ASSERT_EQ(r.size(), 2u);
  EXPECT_EQ(r[0].cause, 200);
  EXPECT_EQ(r[1].cause, 17);
}

TEST(ReasonTest, UnbalancedQuoteStopsOnlyThatHeader) {
  const auto r = parseReasons({"Q.850;cause=16, SIP;cause=200;text=\"x", "Q.850;cause=17"});
  ASSERT_EQ(r.size(), 2u);
  EXPECT_EQ(r[0].cause, 16);
  EXPECT_EQ(r[1].cause, 17);
}

TEST(ReasonTest, BoundsTheNumberOfValues) {
  std::string many;
  for (int i = 0; i < 100; ++i)
    many += "Q.850;cause=16,";
  const std::string_view v = many;
  EXPECT_EQ(parseReasons({v, v}).size(), kMaxReasons);
}

TEST(ReasonTest, HostileBytesNeverCrash) {
  // Every byte value, long runs of separators and quotes, embedded NULs.
  std::string all;
  for (int i = 0; i < 256; ++i)
    all.push_back(static_cast<char>(i));
  const std::string nuls("Q.850;cause=16\0;text=\"a\0b\"", 27);
  const std::string quotes(10000, '"');
  const std::string semis = "Q.850" + std::string(10000, ';');
  const std::string backslashes = "Q.850;cause=1;text=\"" + std::string(9999, '\\');
  const std::string angles = "Q.850;cause=1<<<<>";
  for (const std::string& s : {all, nuls, quotes, semis, backslashes, angles}) {
    const auto r = parseReasons({s});
    EXPECT_LE(r.size(), kMaxReasons);
  }
  EXPECT_TRUE(parseReasons({}).empty());
}

TEST(ReasonTest, FormatsQuotedEscapedText) {
  EXPECT_EQ(formatReason({"Q.850", 16, "Normal call clearing", ""}),
            "Q.850;cause=16;text=\"Normal call clearing\"");
  EXPECT_EQ(formatReason({"SIP", 200, "Call completed elsewhere", ""}),
            "SIP;cause=200;text=\"Call completed elsewhere\"");
  EXPECT_EQ(formatReason({"Q.850", 41, "", ""}), "Q.850;cause=41");
  EXPECT_EQ(formatReason({"Q.850", 21, "Call rejected", "U"}),
            "Q.850;cause=21;text=\"Call rejected\";location=U");
  EXPECT_EQ(formatReason({"Q.850", 16, R"(a"b\c)", ""}), R"(Q.850;cause=16;text="a\"b\\c")");
}

TEST(ReasonTest, FormatNeverEmitsLineBreaks) {
  const std::string f = formatReason({"Q.850\r\nX: y", 16, "a\r\nVia: evil\x7f", "U\r\n"});
  EXPECT_EQ(f.find('\r'), std::string::npos);
  EXPECT_EQ(f.find('\n'), std::string::npos);
  EXPECT_EQ(f, "Q.850Xy;cause=16;text=\"aVia: evil\"");
}

TEST(ReasonTest, FormatThenParseRoundTrips) {
  const Reason in{"Q.850", 102, R"(Recovery "on" timer \ expiry)", "LN"};
  const std::string f = formatReason(in);
  const auto out = parseReasons({f});
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(out[0], in);
}

TEST(ReasonTest, Q850Names) {
  EXPECT_EQ(q850Text(1), "Unallocated (unassigned) number");
  EXPECT_EQ(q850Text(16), "Normal call clearing");
  EXPECT_EQ(q850Text(17), "User busy");
  EXPECT_EQ(q850Text(19), "No answer from user (user alerted)");
  EXPECT_EQ(q850Text(21), "Call rejected");
  EXPECT_EQ(q850Text(31), "Normal, unspecified");
  EXPECT_EQ(q850Text(41), "Temporary failure");
  EXPECT_EQ(q850Text(102), "Recovery on timer expiry");
  EXPECT_EQ(q850Text(127), "Interworking, unspecified");
  for (const int c : {1,  2,  3,  16, 17, 18, 19, 20, 21, 22, 26, 27,  28,  31, 34,
                      38, 41, 42, 47, 49, 55, 57, 63, 65, 79, 88, 102, 111, 127}) {
    EXPECT_FALSE(q850Text(c).empty()) << c;
  }
  for (const int c : {0, -1, 4, 32, 200, 999, 100000}) {
    EXPECT_TRUE(q850Text(c).empty()) << c;
  }
}

// ---- User-to-User -----------------------------------------------------------------------

TEST(UuiTest, EncodesWholeBufferAsLowercaseHex) {
  EXPECT_EQ(encodeUui(std::string_view("\x04Hello", 6)),
            "0448656c6c6f;encoding=hex;purpose=isdn-uui;content=isdn-uui");
  EXPECT_EQ(encodeUui(std::string_view("\x00\xff", 2)),
            "00ff;encoding=hex;purpose=isdn-uui;content=isdn-uui");
  EXPECT_EQ(encodeUui(""), "");
}

TEST(UuiTest, DecodesHex) {
  EXPECT_EQ(decodeUui("0448656c6c6f;encoding=hex;purpose=isdn-uui;content=isdn-uui"),
            std::string("\x04Hello"));
  EXPECT_EQ(decodeUui("  0448656C6C6F ; ENCODING=HEX  "), std::string("\x04Hello"));
  EXPECT_EQ(decodeUui("\"00ff\";encoding=hex"), std::string("\x00\xff", 2));
  EXPECT_EQ(decodeUui("00;encoding=hex"), std::string(1, '\0'));
}

TEST(UuiTest, RejectsBadHex) {
  EXPECT_EQ(decodeUui("048;encoding=hex"), std::nullopt);   // odd length
  EXPECT_EQ(decodeUui("04zz;encoding=hex"), std::nullopt);  // not hex
  EXPECT_EQ(decodeUui("0x04;encoding=hex"), std::nullopt);  // prefix
  EXPECT_EQ(decodeUui("\"04 8\";encoding=hex"), std::nullopt);
}

TEST(UuiTest, WithoutHexEncodingTakesTextAsIs) {
  EXPECT_EQ(decodeUui("hello"), std::string("hello"));
  // Hex-looking data is not decoded without encoding=hex (RFC 7433 has no default).
  EXPECT_EQ(decodeUui("0448656c6c6f;purpose=isdn-uui"), std::string("0448656c6c6f"));
  EXPECT_EQ(decodeUui("\"hello world\";purpose=isdn-uui"), std::string("hello world"));
  EXPECT_EQ(decodeUui(R"("say \"hi\"")"), std::string(R"(say "hi")"));
  EXPECT_EQ(decodeUui("\"\""), std::string());
  EXPECT_EQ(decodeUui("abc;encoding=ascii"), std::string("abc"));
  EXPECT_EQ(decodeUui("SGVsbG8=;encoding=base64"), std::string("SGVsbG8="));  // kept as is
}

TEST(UuiTest, RejectsMalformedValues) {
  EXPECT_EQ(decodeUui(""), std::nullopt);
  EXPECT_EQ(decodeUui("   "), std::nullopt);
  EXPECT_EQ(decodeUui(";encoding=hex"), std::nullopt);          // no data
  EXPECT_EQ(decodeUui("\"open"), std::nullopt);                 // unterminated
  EXPECT_EQ(decodeUui("\"x\\"), std::nullopt);                  // dangling escape
  EXPECT_EQ(decodeUui("abc def"), std::nullopt);                // junk after data
  EXPECT_EQ(decodeUui("abc;encoding=hex junk"), std::nullopt);  // junk after params
  EXPECT_EQ(decodeUui("\"a\r\nb\""), std::nullopt);             // line break in quotes
}

TEST(UuiTest, BoundsTheSize) {
  const std::string maxHex(kMaxUuiBytes * 2, 'a');
  EXPECT_EQ(decodeUui(maxHex + ";encoding=hex")->size(), kMaxUuiBytes);
  EXPECT_EQ(decodeUui(maxHex + "aa;encoding=hex"), std::nullopt);
  const std::string maxText(kMaxUuiBytes, 'x');
  EXPECT_EQ(decodeUui(maxText)->size(), kMaxUuiBytes);
  EXPECT_EQ(decodeUui(maxText + "x"), std::nullopt);
  EXPECT_EQ(decodeUui("\"" + maxText + "x\""), std::nullopt);
  const std::string huge(1 << 20, '"');
  EXPECT_EQ(decodeUui(huge), std::nullopt);
}

TEST(UuiTest, EncodeDecodeRoundTripsEveryByte) {
  std::string all;
  for (int i = 0; i < 256; ++i)
    all.push_back(static_cast<char>(i));
  EXPECT_EQ(decodeUui(encodeUui(all)), all);
}

TEST(UuiTest, FirstPicksIsdnUuiOrUnspecifiedPurpose) {
  EXPECT_EQ(decodeFirstUui({"aa;purpose=other-pkg;encoding=hex, 41;encoding=hex;purpose=ISDN-UUI",
                            "42;encoding=hex"}),
            std::string("A"));
  EXPECT_EQ(decodeFirstUui({"x;purpose=foo", "plain"}), std::string("plain"));
  // A value that does not decode is passed over.
  EXPECT_EQ(decodeFirstUui({"zz;encoding=hex", "\"ok\""}), std::string("ok"));
  EXPECT_EQ(decodeFirstUui({"x;purpose=foo"}), std::nullopt);
  EXPECT_EQ(decodeFirstUui({"x;purpose"}), std::nullopt);  // flag purpose is not isdn-uui
  EXPECT_EQ(decodeFirstUui({}), std::nullopt);
  EXPECT_EQ(decodeFirstUui({"\"unbalanced, 41;encoding=hex", "42;encoding=hex"}), std::string("B"));
}

TEST(UuiTest, HostileBytesNeverCrash) {
  std::string all;
  for (int i = 0; i < 256; ++i)
    all.push_back(static_cast<char>(i));
  const std::string semis = "aa" + std::string(10000, ';');
  const std::string commas(10000, ',');
  const std::string bs = "\"" + std::string(9999, '\\');
  for (const std::string& s : {all, semis, commas, bs}) {
    (void)decodeUui(s);
    (void)decodeFirstUui({s});
  }
  SUCCEED();
}

// ---- Session timers ---------------------------------------------------------------------

using Refresher = SessionExpires::Refresher;

TEST(SessionTimerTest, ParsesSessionExpires) {
  EXPECT_EQ(parseSessionExpires("1800"), (SessionExpires{1800, Refresher::Unspecified}));
  EXPECT_EQ(parseSessionExpires("1800;refresher=uac"), (SessionExpires{1800, Refresher::Uac}));
  EXPECT_EQ(parseSessionExpires(" 90 ; Refresher = UAS ; x=y ; flag "),
            (SessionExpires{90, Refresher::Uas}));
  EXPECT_EQ(parseSessionExpires("4294967295"),
            (SessionExpires{4294967295u, Refresher::Unspecified}));
  EXPECT_EQ(parseSessionExpires("00000000000000001800")->seconds, 1800u);
}

TEST(SessionTimerTest, RejectsBadSessionExpires) {
  for (const std::string_view v : {"", " ", "abc", "-1", "+90", "1e3", "90s", "90 90", "4294967296",
                                   "99999999999999999999", "1800;refresher=proxy", "1800;refresher",
                                   "1800;refresher=", ";refresher=uac", "1800;;", "1800,1900"}) {
    EXPECT_EQ(parseSessionExpires(v), std::nullopt) << "value: " << v;
  }
}

TEST(SessionTimerTest, FormatsSessionExpires) {
  EXPECT_EQ(formatSessionExpires({1800, Refresher::Unspecified}), "1800");
  EXPECT_EQ(formatSessionExpires({1800, Refresher::Uac}), "1800;refresher=uac");
  EXPECT_EQ(formatSessionExpires({90, Refresher::Uas}), "90;refresher=uas");
  for (const SessionExpires se :
       {SessionExpires{0, Refresher::Uac}, SessionExpires{4294967295u, Refresher::Uas}}) {
    EXPECT_EQ(parseSessionExpires(formatSessionExpires(se)), se);
  }
}

TEST(SessionTimerTest, MinSe) {
  EXPECT_EQ(parseMinSe("90"), 90u);
  EXPECT_EQ(parseMinSe(" 120 ;foo=bar"), 120u);
  EXPECT_EQ(parseMinSe("4294967295"), 4294967295u);
  for (const std::string_view v : {"", "x", "-90", "4294967296", "90 x", "90;", "9 0"}) {
    EXPECT_EQ(parseMinSe(v), std::nullopt) << "value: " << v;
  }
  EXPECT_EQ(formatMinSe(90), "90");
}

}  // namespace
}  // namespace tapi::sip::headers
