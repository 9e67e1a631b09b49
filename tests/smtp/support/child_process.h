// Starting, stopping and reaping the server programs the fixtures run, and
// running short helper commands (openssl, postfix, saslpasswd2) to the end.
// Programs are started directly (posix_spawn, no shell), so arguments need no
// quoting and the process we stop is the server itself, not a shell.
#ifndef UVMAPI_TESTS_SMTP_SUPPORT_CHILD_PROCESS_H
#define UVMAPI_TESTS_SMTP_SUPPORT_CHILD_PROCESS_H

#include <sys/types.h>

#include <chrono>
#include <string>
#include <vector>

namespace uvmapi::test::servers {

// The full path of an executable: a name containing '/' is checked as given,
// anything else is looked up in $PATH and then in extra_dirs (the sbin
// directories, which a non-root PATH often lacks). "" when not found.
std::string find_program(const std::string& name, const std::vector<std::string>& extra_dirs = {
                                                      "/usr/sbin", "/sbin", "/usr/local/sbin"});

// A long-running child: started with stdin from /dev/null and stdout and
// stderr appended to a log file, stopped and reaped at the latest by the
// destructor so no server outlives its test.
class ChildProcess {
 public:
  ChildProcess() = default;
  ~ChildProcess() { stop(); }
  ChildProcess(const ChildProcess&) = delete;
  ChildProcess& operator=(const ChildProcess&) = delete;

  // argv[0] must be a path (see find_program). Throws std::runtime_error when
  // the program cannot be started; a program that starts and then fails is
  // seen through running() and the log.
  void start(const std::vector<std::string>& argv, const std::string& log_path);

  // False once the child has exited (it is reaped then).
  bool running();
  pid_t pid() const { return pid_; }

  // Sends SIGSTOP and waits until the child is stopped, so a caller can look
  // at its state (open files) while it cannot change. False when it exited.
  bool freeze();

  // SIGTERM (and SIGCONT, in case it is frozen), then SIGKILL when it has not
  // exited after grace; reaps it. Returns the wait status, or -1 when no child
  // was running.
  int stop(std::chrono::milliseconds grace = std::chrono::seconds(5));

 private:
  // Reaps the child if it has exited by the deadline (polling every few
  // milliseconds); true when it is gone.
  bool wait_exit(std::chrono::steady_clock::time_point deadline, int& status);

  pid_t pid_ = -1;
  int last_status_ = -1;
};

struct CommandResult {
  // The exit code; -1 when the command was killed by a signal or timed out.
  int exit_code = -1;
  bool timed_out = false;
  // stdout and stderr, interleaved as written.
  std::string output;
};

// Runs a command to completion without a shell, writes stdin_data to its
// stdin, and collects its output. A command still running at the timeout is
// killed. Throws std::runtime_error only when it cannot be started.
CommandResult run_command(const std::vector<std::string>& argv, std::chrono::milliseconds timeout,
                          const std::string& stdin_data = "");

// "argv joined by spaces: exit N: output", for error messages.
std::string describe(const std::vector<std::string>& argv, const CommandResult& result);

}  // namespace uvmapi::test::servers

#endif
