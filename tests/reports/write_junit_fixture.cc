// Writes the JUnit XML of a fixed made-up run (with violations), or with
// "drill" as argv[2] of a made-up drill (with failed steps), to the file
// argv[1], for the CTests that validate it against tests/reports/junit.xsd
// with xmllint.
#include <cstdio>
#include <fstream>
#include <string>

#include "reports/result_writers.h"
#include "tests/reports/result_test_support.h"

int main(int argc, char** argv) {
  if (argc < 2 || argc > 3 || (argc == 3 && std::string(argv[2]) != "drill")) {
    std::fprintf(stderr, "usage: %s OUT.xml [drill]\n", argv[0]);
    return 2;
  }
  namespace reports = crashdrill::reports;
  const std::string xml = reports::JunitXml(argc == 3 ? reports::testing::MadeUpDrill()
                                                      : reports::testing::MadeUpRun(6, {}));
  std::ofstream out(argv[1], std::ios::binary);
  out << xml;
  out.close();
  if (!out) {
    std::fprintf(stderr, "write_junit_fixture: cannot write %s\n", argv[1]);
    return 1;
  }
  return 0;
}
