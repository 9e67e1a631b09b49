// The main of a doctest program whose tests need real servers: doctest's own
// run, except that a run in which a test was skipped (and none failed) exits
// with 77, so CTest shows it as skipped instead of passed.
#define DOCTEST_CONFIG_IMPLEMENT
#include <doctest/doctest.h>

#include <csignal>

#include "skip.h"

int main(int argc, char** argv) {
  // A server that closes a connection while a test writes to it (a fault a
  // test provoked on purpose) must make the write fail, not kill the program.
  std::signal(SIGPIPE, SIG_IGN);
  doctest::Context context(argc, argv);
  int result = context.run();
  // --help, --list-test-cases and the like: doctest's answer as it is.
  if (context.shouldExit()) return result;
  if (result == 0 && uvmapi::test::servers::any_skipped()) {
    return uvmapi::test::servers::kSkipExitCode;
  }
  return result;
}
