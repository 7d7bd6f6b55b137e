#include "sip/message/parse_error.hpp"

#include <gtest/gtest.h>

#include <string>
#include <system_error>

namespace tapi::sip::message {
namespace {

TEST(ParseErrorTest, ReasonsAreHumanReadableAndUnique) {
  for (std::size_t i = 0; i < kParseErrorCount; ++i) {
    const auto e = static_cast<ParseError>(i);
    const std::string text = toString(e);
    EXPECT_FALSE(text.empty());
    EXPECT_EQ(make_error_code(e).message(), text);
    for (std::size_t j = 0; j < i; ++j) {
      EXPECT_NE(text, toString(static_cast<ParseError>(j)));
    }
  }
  ParseError out = ParseError::Empty;
  EXPECT_FALSE(toParseError(std::make_error_code(std::errc::invalid_argument), &out));
  EXPECT_TRUE(toParseError(make_error_code(ParseError::MissingCallId), &out));
  EXPECT_EQ(out, ParseError::MissingCallId);
  EXPECT_STREQ(toString(ParseError::MissingCallId), "missing Call-ID");
}

TEST(ParseStatsTest, CountsPerReason) {
  ParseStats s;
  s.countRejected(ParseError::BadCSeq);
  s.countRejected(ParseError::BadCSeq);
  s.countRejected(ParseError::LineTooLong);
  EXPECT_EQ(s.rejected(ParseError::BadCSeq), 2U);
  EXPECT_EQ(s.rejected(ParseError::MissingVia), 0U);
  EXPECT_EQ(s.rejectedTotal(), 3U);
}

}  // namespace
}  // namespace tapi::sip::message
