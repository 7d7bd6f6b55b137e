// Runs the parser over every message of corpus/ and checks the verdict recorded in
// corpus/expected.tsv: valid or invalid, the reason, and what the stack would answer.

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <iterator>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "sip/message/message.hpp"

namespace tapi::sip::message {
namespace {

namespace fs = std::filesystem;

struct Expected {
  std::string file;
  bool valid = false;
  std::string error;   // toString(ParseError) or "-"
  std::string action;  // "400", "505", "513", "drop" or "-"
};

std::vector<Expected> loadManifest() {
  std::vector<Expected> out;
  std::ifstream in(fs::path(SIP_MESSAGE_CORPUS_DIR) / "expected.tsv");
  std::string line;
  while (std::getline(in, line)) {
    if (line.empty() || line[0] == '#')
      continue;
    std::vector<std::string> cols;
    std::stringstream ss(line);
    std::string col;
    while (std::getline(ss, col, '\t'))
      cols.push_back(col);
    if (cols.size() != 4) {
      ADD_FAILURE() << "bad manifest line: " << line;
      continue;
    }
    out.push_back({cols[0], cols[1] == "valid", cols[2], cols[3]});
  }
  return out;
}

std::string readFile(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

TEST(CorpusTest, ManifestCoversEveryFileAndHasEnoughCases) {
  const auto manifest = loadManifest();
  std::set<std::string> listed;
  std::size_t valid = 0;
  for (const auto& e : manifest) {
    EXPECT_TRUE(listed.insert(e.file).second) << "listed twice: " << e.file;
    // The verdict is also in the file name, so a reader of the folder sees it.
    EXPECT_EQ(e.file.rfind(e.valid ? "valid_" : "invalid_", 0), 0U) << e.file;
    if (e.valid)
      ++valid;
  }
  for (const auto& entry : fs::directory_iterator(SIP_MESSAGE_CORPUS_DIR)) {
    if (entry.path().extension() != ".sip")
      continue;
    EXPECT_TRUE(listed.count(entry.path().filename().string()))
        << "not in manifest: " << entry.path();
  }
  EXPECT_GE(manifest.size(), 60U);
  EXPECT_GE(valid, 20U);
  EXPECT_GE(manifest.size() - valid, 20U);
}

TEST(CorpusTest, EveryMessageGetsItsExpectedVerdict) {
  for (const auto& e : loadManifest()) {
    SCOPED_TRACE(e.file);
    const std::string bytes = readFile(fs::path(SIP_MESSAGE_CORPUS_DIR) / e.file);
    auto r = parse(bytes);
    ASSERT_EQ(r.ok(), e.valid) << (r.ok() ? std::string("parsed") : r.error().message());
    if (e.valid) {
      const SipMessage& m = *r;
      // Unchanged messages serialise to exactly the bytes they came from.
      EXPECT_EQ(m.serialize(), m.raw());
      EXPECT_NE(bytes.find(m.raw()), std::string::npos);
      // Typed access works on every valid message, and lists are consistent.
      EXPECT_FALSE(m.callId().empty());
      EXPECT_FALSE(m.topVia().host.empty());
      EXPECT_GE(m.vias().size(), 1U);
      EXPECT_EQ(m.vias().front().text, m.topVia().text);
      (void)m.contacts();
      (void)m.routes();
      (void)m.recordRoutes();
      // A modified copy re-serialises to something that parses to the same routing data.
      SipMessage c = m.clone();
      ASSERT_TRUE(c.setTopViaParam("received", "192.0.2.200").ok());
      auto again = parse(c.serialize());
      ASSERT_TRUE(again.ok()) << again.error().message();
      EXPECT_EQ(again->topVia().received, "192.0.2.200");
      EXPECT_EQ(again->callId(), m.callId());
      EXPECT_EQ(again->cseq().number, m.cseq().number);
      EXPECT_EQ(again->body(), m.body());
      EXPECT_EQ(again->isRequest(), m.isRequest());
      EXPECT_EQ(again->vias().size(), m.vias().size());
      if (m.isRequest()) {
        auto resp = makeResponse(m, 200, {}, "corpus");
        ASSERT_TRUE(resp.ok()) << resp.error().message();
        EXPECT_EQ(resp->callId(), m.callId());
      }
    } else {
      EXPECT_EQ(r.error().message(), e.error);
      const BadInputDecision d = decideOnBadInput(bytes, r.error());
      if (e.action == "drop") {
        EXPECT_EQ(d.action, BadInputAction::Drop);
        EXPECT_TRUE(d.response.empty());
      } else {
        ASSERT_EQ(d.action, BadInputAction::Respond400) << e.action;
        EXPECT_EQ(d.response.rfind("SIP/2.0 " + e.action + " " + e.error + "\r\n", 0), 0U)
            << d.response;
        // The answer itself must be readable by the transaction layer of the sender,
        // unless the broken or missing header is one the answer has to echo (RFC 4475 insuf
        // asks for a 400 even so: the sender matches it by Via branch).
        if (e.error != "bad CSeq" && e.error != "bad To" && e.error != "bad From" &&
            e.error != "bad Call-ID" && e.error != "CSeq method does not match" &&
            e.error.rfind("missing ", 0) != 0) {
          auto ans = parse(d.response);
          EXPECT_TRUE(ans.ok()) << ans.error().message() << "\n" << d.response;
        }
      }
    }
  }
}

}  // namespace
}  // namespace tapi::sip::message
