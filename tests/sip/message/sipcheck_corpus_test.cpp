// Runs the sipcheck tool on every corpus message and checks its exit code and its JSON
// line (parsed with Boost.JSON, so escaping mistakes fail the test).

#include <sys/wait.h>
#include <unistd.h>

#include <boost/json/src.hpp>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <gtest/gtest.h>
#include <sstream>
#include <string>
#include <vector>

namespace {

namespace fs = std::filesystem;
namespace json = boost::json;

struct ToolRun {
  int exitCode = -1;
  std::string out;
};

ToolRun runShell(const std::string& cmd) {
  ToolRun r;
  FILE* p = ::popen(cmd.c_str(), "r");
  if (p == nullptr) return r;
  char buf[4096];
  std::size_t n = 0;
  while ((n = std::fread(buf, 1, sizeof buf, p)) > 0) r.out.append(buf, n);
  const int st = ::pclose(p);
  r.exitCode = WIFEXITED(st) ? WEXITSTATUS(st) : -1;
  return r;
}

ToolRun sipcheck(const std::string& args) {
  return runShell(std::string(SIPCHECK_PATH) + " " + args + " 2>/dev/null");
}

json::object parseLine(const std::string& out) {
  EXPECT_FALSE(out.empty());
  EXPECT_EQ(out.back(), '\n');
  EXPECT_EQ(out.find('\n'), out.size() - 1) << "more than one line: " << out;
  boost::system::error_code ec;
  json::value v = json::parse(out, ec);
  EXPECT_FALSE(ec) << ec.message() << ": " << out;
  if (ec || !v.is_object()) return {};
  return v.as_object();
}

struct Expected {
  std::string file, verdict, error, action;
};

std::vector<Expected> manifest() {
  std::vector<Expected> out;
  std::ifstream in(fs::path(SIP_MESSAGE_CORPUS_DIR) / "expected.tsv");
  std::string line;
  while (std::getline(in, line)) {
    if (line.empty() || line[0] == '#') continue;
    std::stringstream ss(line);
    Expected e;
    std::getline(ss, e.file, '\t');
    std::getline(ss, e.verdict, '\t');
    std::getline(ss, e.error, '\t');
    std::getline(ss, e.action, '\t');
    out.push_back(e);
  }
  return out;
}

TEST(SipcheckTest, CorpusVerdictsExitCodesAndFields) {
  const auto all = manifest();
  ASSERT_GE(all.size(), 60U);
  for (const auto& e : all) {
    SCOPED_TRACE(e.file);
    const ToolRun r = sipcheck((fs::path(SIP_MESSAGE_CORPUS_DIR) / e.file).string());
    const json::object o = parseLine(r.out);
    ASSERT_TRUE(o.contains("valid"));
    for (const char* key : {"kind", "method", "status", "call_id", "error"}) {
      EXPECT_TRUE(o.contains(key)) << key;
    }
    if (e.verdict == "valid") {
      EXPECT_EQ(r.exitCode, 0);
      EXPECT_EQ(o.at("valid"), json::value(true));
      EXPECT_TRUE(o.at("error").is_null());
      EXPECT_TRUE(o.at("call_id").is_string());
      EXPECT_TRUE(o.at("method").is_string());
      const bool response = o.at("kind") == json::value("response");
      EXPECT_EQ(o.at("status").is_int64(), response);
      EXPECT_FALSE(o.contains("would_send"));
    } else {
      EXPECT_EQ(r.exitCode, 1);
      EXPECT_EQ(o.at("valid"), json::value(false));
      EXPECT_EQ(o.at("error"), json::value(e.error.c_str()));
      if (e.action == "drop") {
        EXPECT_FALSE(o.contains("would_send"));
      } else {
        ASSERT_TRUE(o.contains("would_send"));
        EXPECT_EQ(o.at("would_send"), json::value(std::stoi(e.action)));
        EXPECT_EQ(o.at("kind"), json::value("request"));
      }
    }
  }
}

TEST(SipcheckTest, KnownFieldValuesForARequestAndAResponse) {
  const fs::path dir(SIP_MESSAGE_CORPUS_DIR);
  const json::object req = parseLine(sipcheck((dir / "valid_invite_basic.sip").string()).out);
  EXPECT_EQ(req.at("kind"), json::value("request"));
  EXPECT_EQ(req.at("method"), json::value("INVITE"));
  EXPECT_TRUE(req.at("status").is_null());
  EXPECT_EQ(req.at("call_id"), json::value("a84b4c76e66710@pc33.atlanta.example.com"));

  const json::object resp = parseLine(sipcheck((dir / "valid_busy_here_486.sip").string()).out);
  EXPECT_EQ(resp.at("kind"), json::value("response"));
  EXPECT_EQ(resp.at("status"), json::value(486));
  EXPECT_EQ(resp.at("method"), json::value("INVITE"));
}

TEST(SipcheckTest, ReadsStandardInput) {
  const fs::path f = fs::path(SIP_MESSAGE_CORPUS_DIR) / "valid_options_minimal.sip";
  const ToolRun a = runShell(std::string(SIPCHECK_PATH) + " < " + f.string());
  const ToolRun b = runShell(std::string(SIPCHECK_PATH) + " - < " + f.string());
  EXPECT_EQ(a.exitCode, 0);
  EXPECT_EQ(b.exitCode, 0);
  EXPECT_EQ(a.out, b.out);
  EXPECT_EQ(parseLine(a.out).at("method"), json::value("OPTIONS"));
}

TEST(SipcheckTest, UsageAndIoErrorsExitTwo) {
  EXPECT_EQ(sipcheck("/nonexistent/file.sip").exitCode, 2);
  EXPECT_EQ(sipcheck("--bogus").exitCode, 2);
  EXPECT_EQ(sipcheck("a b").exitCode, 2);
  const ToolRun help = sipcheck("--help");
  EXPECT_EQ(help.exitCode, 0);
  EXPECT_NE(help.out.find("would_send"), std::string::npos);
}

TEST(SipcheckTest, HostileBytesStillGiveValidJson) {
  // Quotes, backslashes and invalid UTF-8 in a Call-ID the parser accepts.
  const std::string text = std::string(
      "OPTIONS sip:c@h SIP/2.0\r\nVia: SIP/2.0/UDP h;branch=z9hG4bKj\r\nTo: <sip:b@h>\r\n"
      "From: <sip:a@h>;tag=1\r\nCall-ID: a\"b\\c\xff\xc3\xa9\r\nCSeq: 1 OPTIONS\r\n\r\n");
  const fs::path tmp = fs::temp_directory_path() / ("sipcheck_hostile_" + std::to_string(::getpid()));
  {
    std::ofstream out(tmp, std::ios::binary);
    out << text;
  }
  const ToolRun r = sipcheck(tmp.string());
  fs::remove(tmp);
  EXPECT_EQ(r.exitCode, 0);
  const json::object o = parseLine(r.out);
  EXPECT_EQ(o.at("call_id"), json::value("a\"b\\c\xef\xbf\xbd\xc3\xa9"));

  const fs::path tmp2 = fs::temp_directory_path() / ("sipcheck_ctl_" + std::to_string(::getpid()));
  {
    std::ofstream out(tmp2, std::ios::binary);
    out << std::string("IN\"V\x01\xff sip:c@h SIP/2.0\r\n\r\n");
  }
  const ToolRun bad = sipcheck(tmp2.string());
  fs::remove(tmp2);
  EXPECT_EQ(bad.exitCode, 1);
  const json::object b = parseLine(bad.out);
  EXPECT_EQ(b.at("valid"), json::value(false));
}

}  // namespace
