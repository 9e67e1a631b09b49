#include "skip.h"

#include <atomic>
#include <cctype>
#include <cstdio>

#include "temp_dir.h"

namespace uvmapi::test::servers {

namespace {

std::atomic<bool> skipped{false};

std::string lower(std::string text) {
  for (char& c : text) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return text;
}

}  // namespace

bool strict_mode() {
  std::string ci = lower(env_or_empty("CI"));
  return ci == "true" || ci == "1" || env_or_empty("UVMAPI_TESTS_STRICT") == "1";
}

void record_skip(const std::string& why) {
  skipped = true;
  std::fprintf(stderr, "SKIPPED: %s\n", why.c_str());
}

bool any_skipped() {
  return skipped;
}

}  // namespace uvmapi::test::servers
