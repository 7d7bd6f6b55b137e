#include "sip/transport/branch.hpp"

#include <gtest/gtest.h>

#include <set>
#include <string>

namespace tapi::sip::transport {
namespace {

TEST(Branch, HasMagicCookieAndAtLeast64RandomBits) {
  const std::string b = generateBranch();
  ASSERT_TRUE(isRfc3261Branch(b));
  const std::string_view rest = std::string_view(b).substr(kMagicCookie.size());
  EXPECT_GE(rest.size() * 4, 64u) << "hex digits carry 4 bits each";
  for (char c : rest) {
    EXPECT_TRUE((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f')) << b;
  }
}

TEST(Branch, IsUniqueOverManyCalls) {
  std::set<std::string> seen;
  for (int i = 0; i < 20000; ++i) {
    ASSERT_TRUE(seen.insert(generateBranch()).second);
  }
}

TEST(Branch, EveryHexDigitPositionVaries) {
  // A counter or clock-based value would leave leading digits fixed across calls.
  const std::string first = generateBranch();
  std::vector<bool> changed(first.size(), false);
  for (int i = 0; i < 200; ++i) {
    const std::string b = generateBranch();
    for (std::size_t k = kMagicCookie.size(); k < b.size(); ++k) {
      changed[k] = changed[k] || b[k] != first[k];
    }
  }
  for (std::size_t k = kMagicCookie.size(); k < first.size(); ++k) {
    EXPECT_TRUE(changed[k]) << "position " << k;
  }
}

TEST(Branch, RecognisesRfc2543Branches) {
  EXPECT_FALSE(isRfc3261Branch(""));
  EXPECT_FALSE(isRfc3261Branch("z9hG4bK"));
  EXPECT_FALSE(isRfc3261Branch("abc123"));
  EXPECT_FALSE(isRfc3261Branch("Z9HG4BKabc"));
  EXPECT_TRUE(isRfc3261Branch("z9hG4bKabc"));
}

}  // namespace
}  // namespace tapi::sip::transport
