// What the benchmark programs share: a clock, order statistics, a scratch
// directory, a barrier that keeps a measured value alive, and the one line of
// JSON each program prints for tests/bench/run_bench.py.
//
// A benchmark program measures one case once (with its floor or peer in the
// same process) and prints {"case": ..., "metrics": {...}, "info": {...}} on
// stdout. The driver runs it several times and does the rest: medians over
// runs, spreads, ratios, goals and the pages in docs/.
#ifndef UVMAPI_BENCH_UTIL_H
#define UVMAPI_BENCH_UTIL_H

#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <string>
#include <utility>
#include <vector>

#include "mapi_defs.h"

namespace uvmapi::bench {

using Clock = std::chrono::steady_clock;

inline double micros_since(Clock::time_point start) {
  return std::chrono::duration<double, std::micro>(Clock::now() - start).count();
}

// The q-quantile (0..1) of values, by the nearest rank; 0 for none.
inline double quantile(std::vector<double> values, double q) {
  if (values.empty()) return 0;
  std::sort(values.begin(), values.end());
  auto rank = static_cast<std::size_t>(q * static_cast<double>(values.size() - 1) + 0.5);
  return values[std::min(rank, values.size() - 1)];
}

inline double median(const std::vector<double>& values) {
  return quantile(values, 0.5);
}

// Keeps the compiler from dropping a computation whose result nobody reads,
// or from moving it out of a timing loop.
template <typename T>
inline void keep(const T& value) {
  asm volatile("" : : "g"(&value) : "memory");
}

inline void remove_tree(const std::string& path) {
  ::nftw(
      path.c_str(),
      [](const char* entry, const struct stat*, int, struct FTW*) { return ::remove(entry); }, 16,
      FTW_DEPTH | FTW_PHYS);
}

// The scratch directory in use, which die() removes: exit() skips the
// destructors of the objects on the stack.
inline std::string& scratch_in_use() {
  static std::string path;
  return path;
}

// A benchmark that cannot do what it measures stops: its number would lie.
[[noreturn]] inline void die(const std::string& why) {
  std::fprintf(stderr, "bench: %s\n", why.c_str());
  if (!scratch_in_use().empty()) remove_tree(scratch_in_use());
  std::exit(2);
}

inline void check(HRESULT result, const char* what) {
  if (result != S_OK) {
    char code[16];
    std::snprintf(code, sizeof code, "0x%08x", static_cast<unsigned>(result));
    die(std::string(what) + " failed with " + code);
  }
}

// A fresh private directory under $TMPDIR (or /tmp), removed on destruction,
// so that the file-system benchmarks run where the driver says the temp dir is.
class ScratchDir {
 public:
  explicit ScratchDir(const char* tag) {
    const char* base = std::getenv("TMPDIR");
    std::string pattern =
        std::string(base && *base ? base : "/tmp") + "/uvmapi-bench-" + tag + "-XXXXXX";
    std::vector<char> buffer(pattern.begin(), pattern.end());
    buffer.push_back('\0');
    if (::mkdtemp(buffer.data()) == nullptr) die("cannot create a scratch directory " + pattern);
    path_ = buffer.data();
    scratch_in_use() = path_;
  }
  ~ScratchDir() {
    scratch_in_use().clear();
    remove_tree(path_);
  }
  ScratchDir(const ScratchDir&) = delete;
  ScratchDir& operator=(const ScratchDir&) = delete;

  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

// The one line a benchmark prints: named numbers the driver aggregates, and
// named strings that describe the run.
class Report {
 public:
  explicit Report(std::string name) : name_(std::move(name)) {}

  void metric(const std::string& key, double value) { metrics_.emplace_back(key, value); }
  void info(const std::string& key, const std::string& value) { info_.emplace_back(key, value); }

  void print() const {
    std::string out = "{\"case\": \"" + name_ + "\", \"metrics\": {";
    for (std::size_t i = 0; i < metrics_.size(); ++i) {
      char number[64];
      std::snprintf(number, sizeof number, "%.6g", metrics_[i].second);
      out += (i ? ", \"" : "\"") + metrics_[i].first + "\": " + number;
    }
    out += "}, \"info\": {";
    for (std::size_t i = 0; i < info_.size(); ++i) {
      out += (i ? ", \"" : "\"") + info_[i].first + "\": \"" + escaped(info_[i].second) + "\"";
    }
    out += "}}\n";
    std::fputs(out.c_str(), stdout);
    std::fflush(stdout);
  }

 private:
  static std::string escaped(const std::string& text) {
    std::string out;
    for (char c : text) {
      if (c == '"' || c == '\\') out += '\\';
      if (static_cast<unsigned char>(c) < 0x20) continue;
      out += c;
    }
    return out;
  }

  std::string name_;
  std::vector<std::pair<std::string, double>> metrics_;
  std::vector<std::pair<std::string, std::string>> info_;
};

// What every report says about how the program was built.
inline void describe_build(Report& report) {
#if defined(__clang__)
  report.info("compiler", std::string("clang ") + __clang_version__);
#elif defined(__GNUC__)
  report.info("compiler", std::string("gcc ") + __VERSION__);
#else
  report.info("compiler", "unknown");
#endif
  report.info("build_type", UVMAPI_BENCH_BUILD_TYPE);
}

}  // namespace uvmapi::bench

#endif
