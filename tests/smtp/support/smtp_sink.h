// Postfix's smtp-sink on 127.0.0.1, as a test fixture: a fast SMTP server
// that can be told to fail in many ways (reject or drop given commands,
// delay replies, abort DATA) and that dumps every message it receives, so a
// test can check the exact envelope and bytes a client sent.
//
//   SmtpSink sink({"-f", "RCPT"});          // every RCPT gets a 5xx
//   ... point the client at 127.0.0.1:sink.port() ...
//   auto messages = sink.wait_for_messages(1, 10s);
//
// Options are smtp-sink's own (see smtp-sink(1)); the fixture adds the
// listening address, the dump option, and -u when running as root (smtp-sink
// refuses to run as root without it). The fixture probes for readiness with
// one SMTP session of its own (greeting, QUIT; never dumped), so "-n N" is
// passed as N+1, together with -c, without which smtp-sink does not count
// sessions at all. Note that -n counts only sessions that end with QUIT.
#ifndef UVMAPI_TESTS_SMTP_SUPPORT_SMTP_SINK_H
#define UVMAPI_TESTS_SMTP_SUPPORT_SMTP_SINK_H

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "child_process.h"
#include "sink_dump.h"
#include "temp_dir.h"

namespace uvmapi::test::servers {

class SmtpSink {
 public:
  // True when smtp-sink can be run here; otherwise why says what is missing.
  static bool available(std::string& why);
  // The smtp-sink program, or "" when it is not installed.
  static std::string binary();
  // Postfix's load generator smtp-source, for benchmarks (see
  // smtp-source(1)); "" when it is not installed.
  static std::string smtp_source_binary();

  // Starts smtp-sink on a free loopback port with these extra options and
  // waits until it answers. Throws std::runtime_error when !available(), or
  // (with smtp-sink's log) when it does not answer within 10 seconds.
  explicit SmtpSink(std::vector<std::string> options = {});
  // Stops the server and removes its directory with the dumps.
  ~SmtpSink();
  SmtpSink(const SmtpSink&) = delete;
  SmtpSink& operator=(const SmtpSink&) = delete;

  static const char* host() { return "127.0.0.1"; }
  std::uint16_t port() const { return port_; }
  // The directory of the dump files (one file per transaction).
  std::string dump_dir() const { return dir_.join("dump"); }

  // Stops the server: from then on connections to port() are refused. Dumps
  // of transactions that were still in progress are removed, so messages()
  // never returns a message smtp-sink did not finish.
  void stop();
  // Starts the server again on the same port, with the same options or with
  // new ones (a fault that goes away, or one that appears). Dumps made
  // before are kept.
  void restart();
  void restart(std::vector<std::string> options);
  // False once stopped, or once smtp-sink ended by itself (-n, -M).
  bool running();

  // The finished transactions, oldest first (by the dump file's time, whose
  // granularity is the kernel's clock tick: messages finished within the
  // same few milliseconds may come in either order, so tests that send
  // several should identify them by content).
  std::vector<DumpedMessage> messages();
  // Waits until at least count finished transactions are dumped or timeout
  // passes, polling every few milliseconds; returns messages() either way.
  std::vector<DumpedMessage> wait_for_messages(std::size_t count,
                                               std::chrono::milliseconds timeout);
  // Removes the dumps of finished transactions, so a test can count anew.
  void clear_messages();

  // What smtp-sink wrote to stdout and stderr (its -v and -c output).
  std::string log() const;

 private:
  void start_process();
  // The dump files smtp-sink has open right now (unfinished transactions),
  // as "device:inode" keys; false when that cannot be known here.
  bool open_dumps(std::vector<std::string>& keys) const;

  TempDir dir_;
  std::string binary_;
  std::vector<std::string> options_;
  std::uint16_t port_ = 0;
  ChildProcess process_;
};

}  // namespace uvmapi::test::servers

#endif
