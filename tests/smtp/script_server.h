// A scripted SMTP server for protocol tests: it listens on loopback and runs
// a test's script against each connection, with blocking reads that give up
// after a deadline. Real servers cannot send malformed replies or prove that
// a client pipelines; this can. Failures are collected, not asserted, because
// the script runs on the server's thread.
#ifndef UVMAPI_TESTS_SMTP_SCRIPT_SERVER_H
#define UVMAPI_TESTS_SMTP_SCRIPT_SERVER_H

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace uvmapi::test {

class ScriptConnection {
 public:
  ScriptConnection(int fd, std::vector<std::string>& failures, std::mutex& mutex)
      : fd_(fd), failures_(failures), mutex_(mutex) {}

  void send(const std::string& bytes);
  // One line without its CRLF; empty with closed() true at end of input or
  // after the deadline (a failure is recorded for the deadline).
  std::string read_line(std::chrono::milliseconds patience = std::chrono::seconds(10));
  // Reads a line and records a failure unless it starts with prefix.
  std::string expect(const std::string& prefix);
  // The DATA body up to and including CRLF "." CRLF, exactly as sent.
  std::string read_data();
  // Whether the client sends anything within patience (it should not have to).
  bool quiet_for(std::chrono::milliseconds patience);
  bool closed() const { return closed_; }
  void failure(const std::string& what);

 private:
  bool fill(std::chrono::milliseconds patience);

  int fd_;
  std::string buffer_;
  bool closed_ = false;
  std::vector<std::string>& failures_;
  std::mutex& mutex_;
};

class ScriptServer {
 public:
  using Script = std::function<void(ScriptConnection&, int index)>;

  explicit ScriptServer(Script script);
  ~ScriptServer();
  ScriptServer(const ScriptServer&) = delete;
  ScriptServer& operator=(const ScriptServer&) = delete;

  std::uint16_t port() const { return port_; }
  int connections() const { return connections_.load(); }
  // Waits until count connections have ended their scripts.
  bool wait_for_scripts(int count, std::chrono::milliseconds patience = std::chrono::seconds(20));
  std::vector<std::string> failures();

 private:
  void serve();

  Script script_;
  int listener_ = -1;
  std::uint16_t port_ = 0;
  std::atomic<int> connections_{0};
  int finished_ = 0;  // Guarded by mutex_.
  std::condition_variable finished_changed_;
  std::atomic<bool> stopping_{false};
  std::mutex mutex_;
  std::vector<std::string> failures_;
  std::thread thread_;
};

}  // namespace uvmapi::test

#endif
