#include "sip/message/header_names.hpp"

#include <gtest/gtest.h>

#include <string>

namespace tapi::sip::message {
namespace {

// The table is constexpr, so the interesting lookups are checked at compile time too.
static_assert(lookupHeader("Via") == HeaderId::Via);
static_assert(lookupHeader("v") == HeaderId::Via);
static_assert(lookupHeader("V") == HeaderId::Via);
static_assert(lookupHeader("cAlL-iD") == HeaderId::CallId);
static_assert(lookupHeader("i") == HeaderId::CallId);
static_assert(lookupHeader("X-Unknown") == HeaderId::Other);
static_assert(lookupHeader("q") == HeaderId::Other);
static_assert(canonicalName(HeaderId::CallId) == "Call-ID");
static_assert(canonicalName(HeaderId::Other).empty());

TEST(HeaderNamesTest, EveryCompactFormMapsToItsHeader) {
  const std::pair<const char*, HeaderId> compact[] = {
      {"a", HeaderId::AcceptContact}, {"b", HeaderId::ReferredBy},   {"c", HeaderId::ContentType},
      {"d", HeaderId::RequestDisposition}, {"e", HeaderId::ContentEncoding},
      {"f", HeaderId::From},          {"i", HeaderId::CallId},       {"j", HeaderId::RejectContact},
      {"k", HeaderId::Supported},     {"l", HeaderId::ContentLength}, {"m", HeaderId::Contact},
      {"n", HeaderId::IdentityInfo},  {"o", HeaderId::Event},        {"r", HeaderId::ReferTo},
      {"s", HeaderId::Subject},       {"t", HeaderId::To},           {"u", HeaderId::AllowEvents},
      {"v", HeaderId::Via},           {"x", HeaderId::SessionExpires}, {"y", HeaderId::Identity},
  };
  for (const auto& [name, id] : compact) {
    EXPECT_EQ(lookupHeader(name), id) << name;
  }
}

TEST(HeaderNamesTest, CanonicalNamesRoundTripThroughLookup) {
  for (const auto& e : detail::kHeaderNames) {
    EXPECT_EQ(lookupHeader(e.name), e.id) << e.name;
    EXPECT_EQ(canonicalName(e.id), e.name);
  }
}

TEST(HeaderNamesTest, RuntimeCompareIsExactApartFromCase) {
  // The word-at-a-time compare forces the case bit, which would also map CR onto '-'.
  EXPECT_EQ(lookupHeader(std::string("Call-ID")), HeaderId::CallId);
  EXPECT_EQ(lookupHeader(std::string("CALL-id")), HeaderId::CallId);
  EXPECT_EQ(lookupHeader(std::string("Call\rID")), HeaderId::Other);
  EXPECT_EQ(lookupHeader(std::string("Content\rLength")), HeaderId::Other);
  EXPECT_EQ(lookupHeader(std::string("Proxy-Authorization")), HeaderId::ProxyAuthorization);
  EXPECT_EQ(lookupHeader(std::string("Proxy-Authorizatio\r")), HeaderId::Other);
  EXPECT_EQ(lookupHeader(std::string("Proxy\rAuthorization")), HeaderId::Other);
  EXPECT_EQ(lookupHeader(std::string("Via ")), HeaderId::Other);
}

TEST(HeaderNamesTest, MethodsAreCaseSensitive) {
  EXPECT_EQ(methodFromString("INVITE"), Method::Invite);
  EXPECT_EQ(methodFromString("invite"), Method::Extension);
  EXPECT_EQ(methodFromString("PRACK"), Method::Prack);
  EXPECT_EQ(toString(Method::Update), "UPDATE");
  EXPECT_EQ(toString(Method::Extension), "");
}

}  // namespace
}  // namespace tapi::sip::message
