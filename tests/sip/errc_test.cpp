#include "sip/errc.hpp"

#include <gtest/gtest.h>

#include <string>
#include <system_error>

namespace tapi::sip {
namespace {

TEST(SipErrc, CodesCarryTheCategoryValueAndText) {
  const std::error_code ec = Errc::StaleHandle;
  EXPECT_STREQ(ec.category().name(), "sip");
  EXPECT_EQ(&ec.category(), &errcCategory());
  EXPECT_EQ(ec.value(), static_cast<int>(Errc::StaleHandle));
  EXPECT_EQ(ec.message(), "stale handle");
  EXPECT_TRUE(ec) << "no value is 0, so every one is an error";
  EXPECT_EQ(std::error_code(Errc::Timeout).message(), "timed out");
  EXPECT_EQ(std::error_code(Errc::Cancelled).message(), "cancelled");
  EXPECT_EQ(errcCategory().message(0), "unknown sip error");
  EXPECT_EQ(errcCategory().message(9999), "unknown sip error");
}

TEST(SipErrc, EveryValueHasItsOwnText) {
  for (int v = static_cast<int>(Errc::StaleHandle); v <= static_cast<int>(Errc::InvalidConfig);
       ++v) {
    const std::string text = std::error_code(static_cast<Errc>(v)).message();
    EXPECT_NE(text, "unknown sip error") << v;
    for (int w = static_cast<int>(Errc::StaleHandle); w < v; ++w) {
      EXPECT_NE(text, std::error_code(static_cast<Errc>(w)).message()) << v << " vs " << w;
    }
  }
}

TEST(SipErrc, EachValueIsEquivalentToTheGenericCodeItReplaced) {
  struct Row {
    Errc e;
    std::errc generic;
  };
  const Row rows[] = {
      {Errc::StaleHandle, std::errc::no_such_process},
      {Errc::WrongState, std::errc::operation_not_permitted},
      {Errc::WrongMessage, std::errc::invalid_argument},
      {Errc::WrongKind, std::errc::invalid_argument},
      {Errc::Duplicate, std::errc::file_exists},
      {Errc::OverLimit, std::errc::resource_unavailable_try_again},
      {Errc::NoDialog, std::errc::invalid_argument},
      {Errc::BadUri, std::errc::invalid_argument},
      {Errc::UnsupportedTransport, std::errc::protocol_not_supported},
      {Errc::NeedsDns, std::errc::address_not_available},
      {Errc::NoTransport, std::errc::address_family_not_supported},
      {Errc::NoViaAddress, std::errc::destination_address_required},
      {Errc::NoRoute, std::errc::host_unreachable},
      {Errc::TooManyConnections, std::errc::no_buffer_space},
      {Errc::QueueFull, std::errc::no_buffer_space},
      {Errc::Cancelled, std::errc::operation_canceled},
      {Errc::TransportError, std::errc::host_unreachable},
      {Errc::Timeout, std::errc::timed_out},
      {Errc::InvalidConfig, std::errc::invalid_argument},
  };
  for (const Row& r : rows) {
    const std::error_code ec = r.e;
    EXPECT_EQ(ec, r.generic) << ec.message();
    EXPECT_EQ(ec.default_error_condition(), std::make_error_condition(r.generic)) << ec.message();
    // Equivalent, not equal: the code keeps its own category.
    EXPECT_NE(ec, std::make_error_code(r.generic)) << ec.message();
  }
  EXPECT_NE(std::error_code(Errc::Timeout), std::errc::host_unreachable);
  EXPECT_NE(std::error_code(Errc::Cancelled), Errc::Timeout);
}

TEST(SipStatusError, CarriesTheStatusWithItsReasonPhrase) {
  const std::error_code busy = make_error_code(SipStatus{486});
  EXPECT_STREQ(busy.category().name(), "sip-status");
  EXPECT_EQ(&busy.category(), &sipStatusCategory());
  EXPECT_EQ(busy.value(), 486);
  EXPECT_EQ(busy.message(), "Busy Here");
  EXPECT_TRUE(busy);
  EXPECT_EQ(std::error_code(SipStatus{404}).message(), "Not Found");
  EXPECT_EQ(std::error_code(SipStatus{603}).message(), "Decline");
  // A status without a phrase of its own gets its class's.
  EXPECT_EQ(std::error_code(SipStatus{499}).message(), "Client Error");
  EXPECT_EQ(std::error_code(SipStatus{599}).message(), "Server Error");
}

TEST(SipStatusError, ComparesByStatusAndIsReadBack) {
  const std::error_code ec = SipStatus{486};
  EXPECT_EQ(ec, SipStatus{486});
  EXPECT_NE(ec, SipStatus{600});
  EXPECT_EQ(sipStatusOf(ec), 486);
  EXPECT_EQ(sipStatusOf(Errc::Timeout), 0) << "not a sip-status error";
  EXPECT_EQ(sipStatusOf(std::error_code()), 0);
  EXPECT_EQ(sipStatusOf(std::make_error_code(std::errc::timed_out)), 0);
  // A 408 is a status, not a local timeout: the two stay apart.
  EXPECT_NE(std::error_code(SipStatus{408}), Errc::Timeout);
  EXPECT_NE(std::error_code(SipStatus{408}), std::errc::timed_out);
}

}  // namespace
}  // namespace tapi::sip
