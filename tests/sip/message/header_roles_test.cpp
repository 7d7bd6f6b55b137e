#include "sip/message/detail/header_roles.hpp"

#include <gtest/gtest.h>

#include <cstddef>

#include "sip/message/message.hpp"

namespace tapi::sip::message {
namespace {

using detail::HeaderRole;

static_assert(detail::roleOf(HeaderId::Via) == HeaderRole::Via);
static_assert(detail::roleOf(HeaderId::ContentType) == HeaderRole::Located);
static_assert(detail::roleOf(HeaderId::Other) == HeaderRole::Located);
static_assert(detail::badValueError(HeaderId::RecordRoute) == ParseError::BadRecordRoute);
static_assert(detail::badValueError(HeaderId::Subject) == ParseError::BadHeaderValue);

TEST(HeaderRolesTest, RoutingHeadersHaveTheirRoleAndError) {
  struct Row {
    HeaderId id;
    HeaderRole role;
    ParseError badValue;
    bool mandatory;
  };
  const Row rows[] = {
      {HeaderId::Via, HeaderRole::Via, ParseError::BadVia, true},
      {HeaderId::From, HeaderRole::From, ParseError::BadFrom, true},
      {HeaderId::To, HeaderRole::To, ParseError::BadTo, true},
      {HeaderId::CallId, HeaderRole::CallId, ParseError::BadCallId, true},
      {HeaderId::CSeq, HeaderRole::CSeq, ParseError::BadCSeq, true},
      {HeaderId::MaxForwards, HeaderRole::MaxForwards, ParseError::BadMaxForwards, false},
      {HeaderId::ContentLength, HeaderRole::ContentLength, ParseError::BadContentLength, false},
      {HeaderId::Contact, HeaderRole::Contact, ParseError::BadContact, false},
      {HeaderId::Route, HeaderRole::Route, ParseError::BadRoute, false},
      {HeaderId::RecordRoute, HeaderRole::RecordRoute, ParseError::BadRecordRoute, false},
  };
  for (const Row& r : rows) {
    EXPECT_EQ(detail::roleOf(r.id), r.role) << canonicalName(r.id);
    EXPECT_EQ(detail::badValueError(r.id), r.badValue) << canonicalName(r.id);
    EXPECT_EQ(detail::isMandatory(detail::roleOf(r.id)), r.mandatory) << canonicalName(r.id);
  }
}

TEST(HeaderRolesTest, EveryOtherHeaderIsOnlyLocated) {
  std::size_t routing = 0;
  for (std::size_t i = 0; i < detail::kHeaderIdCount; ++i) {
    const auto id = static_cast<HeaderId>(i);
    if (detail::roleOf(id) != HeaderRole::Located) {
      ++routing;
      continue;
    }
    EXPECT_EQ(detail::badValueError(id), ParseError::BadHeaderValue) << canonicalName(id);
    EXPECT_FALSE(detail::isMandatory(detail::roleOf(id))) << canonicalName(id);
  }
  EXPECT_EQ(routing, 10U);
}

// The table drives behaviour: a bad value of a routing header reports that header's error,
// and the mandatory ones cannot be removed.
TEST(HeaderRolesTest, ChangesReportTheTablesErrorAndKeepMandatoryHeaders) {
  auto m = parse(
      "OPTIONS sip:bob@example.com SIP/2.0\r\n"
      "Via: SIP/2.0/UDP 192.0.2.1;branch=z9hG4bK1\r\n"
      "From: <sip:alice@example.com>;tag=1\r\n"
      "To: <sip:bob@example.com>\r\n"
      "Call-ID: roles\r\n"
      "CSeq: 1 OPTIONS\r\n"
      "Subject: x\r\n"
      "Content-Length: 0\r\n\r\n");
  ASSERT_TRUE(m.ok());
  EXPECT_EQ(m->replaceHeader("Route", "not a uri <").error(),
            make_error_code(ParseError::BadRoute));
  EXPECT_EQ(m->replaceHeader("Max-Forwards", "256").error(),
            make_error_code(ParseError::BadMaxForwards));
  EXPECT_EQ(m->removeHeader("Call-ID"), 0U);
  EXPECT_EQ(m->removeHeader("Subject"), 1U);
}

}  // namespace
}  // namespace tapi::sip::message
