// The HTML report opened in a real browser (Debian's headless Chromium): it
// renders with no console message (a script error or a request the page's
// Content-Security-Policy blocked would be one), the page makes no network
// request, every chart is in the DOM after the script ran and has marks, and
// a screenshot is saved in the build tree for a person to look at:
// build/tests/reports/report-screenshot.png.
#include <gtest/gtest.h>
#include <sys/wait.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <regex>
#include <sstream>

#include "reports/html_report.h"
#include "reports/result_files.h"
#include "tests/reports/result_test_support.h"

namespace crashdrill::reports {
namespace {

const std::string kOut = CRASHDRILL_BROWSER_OUT_DIR;

std::string Slurp(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

// 30 nights, the newest with violations, one night with a regression.
History ReportedHistory() {
  std::vector<Night> nights;
  for (int n = 0; n < 30; ++n) {
    ResultRecord night = testing::MadeUpNight(n, n == 17 ? 3.0 : 1.0);
    nights.push_back({.label = NightLabel(night, ""),
                      .paths = {"night" + std::to_string(n) + ".json"},
                      .result = std::move(night)});
  }
  ResultRecord& current = nights.back().result;
  current.scenarios[0].violations.push_back({.property = "P2",
                                             .repro = "power-loss@4242",
                                             .detail = "acknowledged fill 17 lost <after> reopen",
                                             .case_index = 3});
  current.scenarios[2].name = "full-disk <i>&amp;</i>";
  return HistoryOf(std::move(nights), 29);
}

struct BrowserRun {
  int status = -1;
  std::string output;  // stdout
};

// The running test's name: CTest runs the cases of this file side by side,
// so each has its own page, profile and logs.
std::string TestName() { return ::testing::UnitTest::GetInstance()->current_test_info()->name(); }

// Runs Chromium headless on `page` with `arguments`; stderr goes to `log`.
BrowserRun Chromium(const std::string& page, const std::string& arguments, const std::string& log) {
  const std::string profile = kOut + "/chromium-profile-" + TestName();
  std::filesystem::remove_all(profile);
  // Flags that keep the browser's own background traffic (updates, sync)
  // out of the network log, so what it records is the page's.
  const std::string command =
      "timeout 120 chromium --headless --no-sandbox --disable-gpu --no-first-run "
      "--user-data-dir=" +
      profile +
      " --disable-background-networking --disable-component-update --disable-sync "
      "--disable-default-apps --disable-extensions --virtual-time-budget=5000 " +
      arguments + " file://" + page + " 2>" + log;
  BrowserRun run;
  FILE* pipe = ::popen(command.c_str(), "r");
  if (pipe == nullptr) return run;
  char buffer[65536];
  for (size_t n; (n = std::fread(buffer, 1, sizeof buffer, pipe)) > 0;)
    run.output.append(buffer, n);
  run.status = ::pclose(pipe);
  return run;
}

// No console message of any level in the browser's `log` (script errors and
// CSP refusals are ones), and no request from the page in its `netlog`.
void ExpectNoConsoleMessageAndNoRequest(const std::string& log, const std::string& netlog) {
  // No console message of any level: script errors and CSP refusals are ones.
  std::istringstream lines(Slurp(log));
  for (std::string line; std::getline(lines, line);) {
    EXPECT_EQ(line.find(":CONSOLE"), std::string::npos) << line;
  }

  // No request from the page: the network log has every URL request the
  // browser started; the page's carry its file:// isolation key.
  const nlohmann::json events = nlohmann::json::parse(Slurp(netlog), nullptr, false);
  ASSERT_FALSE(events.is_discarded()) << netlog << " is not JSON";
  int start_job = -1;
  for (const auto& [name, id] : events["constants"]["logEventTypes"].items()) {
    if (name == "URL_REQUEST_START_JOB") start_job = id;
  }
  ASSERT_GE(start_job, 0);
  size_t page_requests = 0;
  for (const nlohmann::json& event : events["events"]) {
    if (event["type"] != start_job || !event.contains("params")) continue;
    const nlohmann::json& params = event["params"];
    const std::string url = params.value("url", "");
    const std::string key = params.value("network_isolation_key", "");
    if (key.find("file://") != std::string::npos && !url.starts_with("file:")) {
      ADD_FAILURE() << "the page requested " << url;
      ++page_requests;
    }
  }
  EXPECT_EQ(page_requests, 0u);
}

class HtmlInChromiumTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_EQ(std::system("command -v chromium >/dev/null"), 0)
        << "chromium is not installed: bash .ci/install-deps installs it";
    history_ = ReportedHistory();
    page_ = kOut + "/report-in-chromium-" + TestName() + ".html";
    ASSERT_EQ(WriteFileAtomically(page_, HtmlReport(history_)), std::nullopt);
  }

  History history_;
  std::string page_;
};

TEST_F(HtmlInChromiumTest, RendersWithoutConsoleMessagesOrRequestsAndDrawsEveryChart) {
  const std::string log = kOut + "/chromium-dom.log";
  const std::string netlog = kOut + "/chromium-netlog.json";
  const BrowserRun run =
      Chromium(page_, "--enable-logging=stderr --v=0 --log-net-log=" + netlog + " --dump-dom", log);
  ASSERT_EQ(run.status, 0) << Slurp(log);
  const std::string& dom = run.output;
  ASSERT_NE(dom.find("</html>"), std::string::npos) << dom.substr(0, 500);

  ExpectNoConsoleMessageAndNoRequest(log, netlog);

  // Every chart the report promises is in the DOM, with marks: sources and
  // phases, RTO and RPO for three scenarios, five trend charts, and two
  // sparklines per scenario seen over the nights (four: one was renamed in
  // the newest).
  const std::regex chart("<svg class=\"chart\"[^>]*aria-labelledby=\"([^ \"]+)");
  size_t charts = 0;
  for (auto it = std::sregex_iterator(dom.begin(), dom.end(), chart); it != std::sregex_iterator();
       ++it) {
    ++charts;
    const size_t begin = static_cast<size_t>(it->position());
    const std::string svg = dom.substr(begin, dom.find("</svg>", begin) - begin);
    EXPECT_NE(svg.find("class=\"mark"), std::string::npos) << (*it)[1] << " has no marks";
  }
  EXPECT_EQ(charts, 2u + 2 * 3 + 5 + 2 * 4);
  // The script ran: it shows the copy button of the violation's replay line.
  EXPECT_NE(dom.find("<button class=\"copy\" type=\"button\" data-text=\"crashdrill replay "
                     "power-loss@4242\">copy</button>"),
            std::string::npos);
  // The hostile scenario name is text in the DOM, not an element.
  EXPECT_EQ(dom.find("<i>&amp;</i>"), std::string::npos);
  EXPECT_NE(dom.find("full-disk &lt;i&gt;&amp;amp;&lt;/i&gt;"), std::string::npos);
}

TEST_F(HtmlInChromiumTest, ScreenshotIsSavedInTheBuildTree) {
  const std::string png = kOut + "/report-screenshot.png";
  std::filesystem::remove(png);
  const std::string log = kOut + "/chromium-screenshot.log";
  const BrowserRun run = Chromium(page_, "--screenshot=" + png + " --window-size=1280,6000", log);
  ASSERT_EQ(run.status, 0) << Slurp(log);
  const std::string image = Slurp(png);
  ASSERT_GT(image.size(), 20000u) << png << " is too small to show the report";
  EXPECT_EQ(image.substr(0, 8), std::string("\x89PNG\r\n\x1a\n", 8));
  std::printf("screenshot: %s\n", png.c_str());
}

// Print (the monthly drill's report is printed and signed): the print style
// sheet gives pages, with the data tables opened by the beforeprint handler.
TEST_F(HtmlInChromiumTest, PrintsToPdf) {
  const std::string pdf = kOut + "/report-print.pdf";
  std::filesystem::remove(pdf);
  const std::string log = kOut + "/chromium-print.log";
  const BrowserRun run = Chromium(page_, "--no-pdf-header-footer --print-to-pdf=" + pdf, log);
  ASSERT_EQ(run.status, 0) << Slurp(log);
  const std::string document = Slurp(pdf);
  ASSERT_TRUE(document.starts_with("%PDF-")) << pdf;
  // Several pages: the report is not cut to one.
  size_t pages = 0;
  for (size_t at = document.find("/Type /Page"); at != std::string::npos;
       at = document.find("/Type /Page", at + 1)) {
    pages += document.compare(at, 12, "/Type /Pages") != 0;
  }
  EXPECT_GE(pages, 3u) << pdf;
}

// The drill report (a drill's result): it renders without console messages
// or requests, draws its RTO chart, the script shows the copy button of each
// failed step's repro line, and it prints with the sign-off form on a page.
TEST(HtmlDrillInChromiumTest, RendersEveryStepAndPrintsTheSignOffForm) {
  ASSERT_EQ(std::system("command -v chromium >/dev/null"), 0)
      << "chromium is not installed: bash .ci/install-deps installs it";
  const ResultRecord drill = testing::MadeUpDrill();
  const std::string page = kOut + "/drill-report-in-chromium.html";
  ASSERT_EQ(
      WriteFileAtomically(
          page,
          HtmlReport(HistoryOf(
              {{.label = NightLabel(drill, ""), .paths = {"drill.json"}, .result = drill}}, 0))),
      std::nullopt);
  const std::string log = kOut + "/chromium-drill-dom.log";
  const std::string netlog = kOut + "/chromium-drill-netlog.json";
  const BrowserRun run =
      Chromium(page, "--enable-logging=stderr --v=0 --log-net-log=" + netlog + " --dump-dom", log);
  ASSERT_EQ(run.status, 0) << Slurp(log);
  const std::string& dom = run.output;
  ASSERT_NE(dom.find("</html>"), std::string::npos) << dom.substr(0, 500);
  ExpectNoConsoleMessageAndNoRequest(log, netlog);
  EXPECT_NE(dom.find("<svg class=\"chart\" role=\"img\" aria-labelledby=\"c-drill-rto-t"),
            std::string::npos);
  for (const DrillStep& s : drill.drill->steps) {
    EXPECT_NE(dom.find("id=\"step-" + std::to_string(s.index) + "\""), std::string::npos);
    const std::string button =
        "<button class=\"copy\" type=\"button\" data-text=\"" + s.repro + "\">copy</button>";
    EXPECT_EQ(dom.find(button) != std::string::npos, !s.passed()) << "step " << s.index;
  }
  EXPECT_NE(dom.find("<span class=\"label\">Signature:</span>"), std::string::npos);

  const std::string pdf = kOut + "/drill-report-print.pdf";
  std::filesystem::remove(pdf);
  const BrowserRun print = Chromium(page, "--no-pdf-header-footer --print-to-pdf=" + pdf,
                                    kOut + "/chromium-drill-print.log");
  ASSERT_EQ(print.status, 0) << Slurp(kOut + "/chromium-drill-print.log");
  EXPECT_TRUE(Slurp(pdf).starts_with("%PDF-")) << pdf;
  std::printf("drill report: %s, printed: %s\n", page.c_str(), pdf.c_str());
}

}  // namespace
}  // namespace crashdrill::reports
