#include "base/result.hpp"

#include <gtest/gtest.h>

namespace tapi {
namespace {

TEST(Result, CarriesValueOrLineErr) {
  Result<int> ok = 7;
  ASSERT_TRUE(ok.ok());
  EXPECT_EQ(*ok, 7);
  Result<int> bad = LineErr::InvalCallHandle;
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.lineErr(), LineErr::InvalCallHandle);
  EXPECT_EQ(bad.error().message(), "LINEERR_INVALCALLHANDLE");
  EXPECT_EQ(toTapiLong(LineErr::InvalCallHandle), static_cast<std::int32_t>(0x80000018));
}

TEST(Result, ForeignCategoryMapsToOperationFailed) {
  Result<void> r = fail(std::make_error_code(std::errc::io_error));
  EXPECT_EQ(r.lineErr(), LineErr::OperationFailed);
  Result<void> good;
  EXPECT_TRUE(good.ok());
}

}  // namespace
}  // namespace tapi
