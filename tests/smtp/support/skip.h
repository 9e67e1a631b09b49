// When a test cannot get the server it needs (no Postfix, not root), it must
// not pass as if it had run: it is skipped, which the test program reports
// with exit code 77 (CTest's SKIP_RETURN_CODE, set by tests/CMakeLists.txt),
// or, on CI and wherever UVMAPI_TESTS_STRICT=1, it fails, so a CI machine
// that lost a package cannot go green by skipping.
//
//   TEST_CASE("...") {
//     std::string why;
//     UVMAPI_SKIP_UNLESS(PostfixServer::available(why), why);
//     ...
//
// The macro uses doctest's FAIL and MESSAGE: include <doctest/doctest.h>
// first. The program's main must be servers_main.cpp (the
// uvmapi_smtp_servers_main library), which turns a recorded skip into 77.
#ifndef UVMAPI_TESTS_SMTP_SUPPORT_SKIP_H
#define UVMAPI_TESTS_SMTP_SUPPORT_SKIP_H

#include <string>

namespace uvmapi::test::servers {

// The exit code CTest reads as "skipped" (SKIP_RETURN_CODE 77, as Automake).
constexpr int kSkipExitCode = 77;

// True when a missing server must fail the test: CI=true (as GitHub Actions
// and most CI systems set it) or UVMAPI_TESTS_STRICT=1.
bool strict_mode();
// Notes that a test was skipped, and says why on stderr.
void record_skip(const std::string& why);
// True once any test of this program was skipped.
bool any_skipped();

}  // namespace uvmapi::test::servers

// Ends the current test case as skipped when condition is false (or fails it
// in strict mode). why is evaluated after condition, so condition may fill it.
#define UVMAPI_SKIP_UNLESS(condition, why)                               \
  do {                                                                   \
    if (!(condition)) {                                                  \
      if (::uvmapi::test::servers::strict_mode()) {                      \
        FAIL(                                                            \
            "required test server unavailable (strict mode: CI=true or " \
            "UVMAPI_TESTS_STRICT=1): "                                   \
            << (why));                                                   \
      }                                                                  \
      ::uvmapi::test::servers::record_skip(why);                         \
      MESSAGE("skipped: " << (why));                                     \
      return;                                                            \
    }                                                                    \
  } while (0)

#endif
