// Postfix's smtp-sink on a loopback port, started and stopped by a test: a
// real SMTP server whose faults (refusals, delays, disconnects) are options.
#ifndef UVMAPI_TESTS_SMTP_SINK_PROCESS_H
#define UVMAPI_TESTS_SMTP_SINK_PROCESS_H

#include <sys/types.h>

#include <chrono>
#include <cstdint>
#include <string>
#include <vector>

namespace uvmapi::test {

class SinkProcess {
 public:
  // The path of smtp-sink, or empty when it is not installed.
  static std::string binary();

  // Starts smtp-sink with options on a free port (or on port, to bring one
  // back) and waits until it greets. Messages are dumped one per file.
  explicit SinkProcess(std::vector<std::string> options, std::uint16_t port = 0);
  ~SinkProcess();
  SinkProcess(const SinkProcess&) = delete;
  SinkProcess& operator=(const SinkProcess&) = delete;

  bool started() const { return pid_ > 0; }
  std::uint16_t port() const { return port_; }
  void stop();

  // The dumped transactions (smtp-sink's headers, then the message).
  std::vector<std::string> dumps() const;
  bool wait_for_dumps(std::size_t count, std::chrono::milliseconds patience) const;

 private:
  pid_t pid_ = -1;
  std::uint16_t port_ = 0;
  std::string dir_;
};

// Whether the tests that need real servers must run: CI and strict mode fail
// rather than skip when a server is missing.
bool servers_required();

}  // namespace uvmapi::test

#endif
