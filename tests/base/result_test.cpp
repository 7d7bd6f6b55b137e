#include "base/result.hpp"

#include <gtest/gtest.h>

#include <memory>

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

TEST(Outcome, CarriesValueOrAnErrorWithItsText) {
  base::Outcome<int> ok = 7;
  ASSERT_TRUE(ok.ok());
  EXPECT_EQ(*ok, 7);
  base::Outcome<int> bad =
      base::Error{std::make_error_code(std::errc::invalid_argument), "port 'x' is not a number"};
  ASSERT_FALSE(bad);
  EXPECT_EQ(bad.error().code, std::errc::invalid_argument);
  EXPECT_EQ(bad.error().message(), "port 'x' is not a number");
  const base::Error bare{std::make_error_code(std::errc::io_error), {}};
  EXPECT_EQ(bare.message(), std::make_error_code(std::errc::io_error).message())
      << "no text: the code's own message";
}

TEST(Outcome, VoidIsSuccessOrAnError) {
  base::Outcome<void> good;
  EXPECT_TRUE(good.ok());
  base::Outcome<void> bad = base::Error{make_error_code(LineErr::InvalParam), "bad"};
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.error().code, LineErr::InvalParam);
  EXPECT_EQ(bad.error().message(), "bad");
}

TEST(Outcome, MovesAMoveOnlyValueOut) {
  base::Outcome<std::unique_ptr<int>> p = std::make_unique<int>(3);
  ASSERT_TRUE(p);
  std::unique_ptr<int> v = std::move(*p);
  EXPECT_EQ(*v, 3);
}

}  // namespace
}  // namespace tapi
