#include "child_process.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <stdexcept>
#include <thread>

#include "temp_dir.h"

extern char** environ;

namespace uvmapi::test::servers {

namespace {

using Clock = std::chrono::steady_clock;
using namespace std::chrono_literals;

// How often a wait for a child's exit looks again. Short, because tests wait
// for servers often and each wait adds to the run time.
constexpr auto kPollInterval = 2ms;

bool is_executable(const std::string& path) {
  struct stat st;
  return ::stat(path.c_str(), &st) == 0 && S_ISREG(st.st_mode) && ::access(path.c_str(), X_OK) == 0;
}

std::vector<char*> c_argv(const std::vector<std::string>& argv) {
  std::vector<char*> out;
  for (const std::string& arg : argv) out.push_back(const_cast<char*>(arg.c_str()));
  out.push_back(nullptr);
  return out;
}

// Spawn attributes shared by every child: an empty signal mask and default
// dispositions, so a test process that blocks or ignores signals does not
// hand that on to a server that must react to SIGTERM.
class SpawnAttr {
 public:
  SpawnAttr() {
    posix_spawnattr_init(&attr_);
    sigset_t none, defaults;
    sigemptyset(&none);
    sigemptyset(&defaults);
    for (int sig : {SIGPIPE, SIGTERM, SIGINT, SIGHUP, SIGCHLD}) sigaddset(&defaults, sig);
    posix_spawnattr_setsigmask(&attr_, &none);
    posix_spawnattr_setsigdefault(&attr_, &defaults);
    posix_spawnattr_setflags(&attr_, POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF);
  }
  ~SpawnAttr() { posix_spawnattr_destroy(&attr_); }
  SpawnAttr(const SpawnAttr&) = delete;
  SpawnAttr& operator=(const SpawnAttr&) = delete;
  const posix_spawnattr_t* get() const { return &attr_; }

 private:
  posix_spawnattr_t attr_;
};

class FileActions {
 public:
  FileActions() { posix_spawn_file_actions_init(&actions_); }
  ~FileActions() { posix_spawn_file_actions_destroy(&actions_); }
  FileActions(const FileActions&) = delete;
  FileActions& operator=(const FileActions&) = delete;
  posix_spawn_file_actions_t* get() { return &actions_; }

 private:
  posix_spawn_file_actions_t actions_;
};

pid_t spawn(const std::vector<std::string>& argv, FileActions& actions) {
  if (argv.empty()) throw std::runtime_error("spawn: empty argv");
  SpawnAttr attr;
  std::vector<char*> args = c_argv(argv);
  pid_t pid = -1;
  int rc = posix_spawn(&pid, argv[0].c_str(), actions.get(), attr.get(), args.data(), environ);
  if (rc != 0) throw std::runtime_error("spawn " + argv[0] + ": " + std::strerror(rc));
  return pid;
}

// Writes to a pipe whose reader may already have exited without killing the
// test with SIGPIPE: the signal is blocked for this thread during the write
// and a pending one is consumed afterwards.
ssize_t write_no_sigpipe(int fd, const char* data, std::size_t size) {
  sigset_t pipe_set, old_set;
  sigemptyset(&pipe_set);
  sigaddset(&pipe_set, SIGPIPE);
  pthread_sigmask(SIG_BLOCK, &pipe_set, &old_set);
  ssize_t n = ::write(fd, data, size);
  int saved = errno;
  sigset_t pending;
  sigpending(&pending);
  if (sigismember(&pending, SIGPIPE)) {
    int sig = 0;
    sigwait(&pipe_set, &sig);
  }
  pthread_sigmask(SIG_SETMASK, &old_set, nullptr);
  errno = saved;
  return n;
}

// A pipe whose ends are not inherited by other children (pipe2 with
// O_CLOEXEC is not available on macOS).
bool make_pipe(int fds[2]) {
  if (::pipe(fds) != 0) return false;
  ::fcntl(fds[0], F_SETFD, FD_CLOEXEC);
  ::fcntl(fds[1], F_SETFD, FD_CLOEXEC);
  return true;
}

}  // namespace

std::string find_program(const std::string& name, const std::vector<std::string>& extra_dirs) {
  if (name.find('/') != std::string::npos) return is_executable(name) ? name : "";
  std::vector<std::string> dirs;
  std::string path = env_or_empty("PATH");
  std::size_t start = 0;
  while (start <= path.size()) {
    std::size_t end = path.find(':', start);
    if (end == std::string::npos) end = path.size();
    if (end > start) dirs.push_back(path.substr(start, end - start));
    start = end + 1;
  }
  dirs.insert(dirs.end(), extra_dirs.begin(), extra_dirs.end());
  for (const std::string& dir : dirs) {
    std::string candidate = dir + "/" + name;
    if (is_executable(candidate)) return candidate;
  }
  return "";
}

void ChildProcess::start(const std::vector<std::string>& argv, const std::string& log_path) {
  stop();
  FileActions actions;
  posix_spawn_file_actions_addopen(actions.get(), 0, "/dev/null", O_RDONLY, 0);
  posix_spawn_file_actions_addopen(actions.get(), 1, log_path.c_str(),
                                   O_WRONLY | O_CREAT | O_APPEND, 0644);
  posix_spawn_file_actions_adddup2(actions.get(), 1, 2);
  pid_ = spawn(argv, actions);
  last_status_ = -1;
}

bool ChildProcess::running() {
  if (pid_ < 0) return false;
  int status = 0;
  pid_t rc = ::waitpid(pid_, &status, WNOHANG);
  if (rc == pid_ || (rc < 0 && errno == ECHILD)) {
    last_status_ = status;
    pid_ = -1;
    return false;
  }
  return true;
}

bool ChildProcess::freeze() {
  if (pid_ < 0 || ::kill(pid_, SIGSTOP) != 0) return false;
  for (;;) {
    int status = 0;
    pid_t rc = ::waitpid(pid_, &status, WUNTRACED);
    if (rc < 0 && errno == EINTR) continue;
    if (rc == pid_ && WIFSTOPPED(status)) return true;
    // It exited instead of stopping (or was reaped elsewhere).
    last_status_ = status;
    pid_ = -1;
    return false;
  }
}

bool ChildProcess::wait_exit(Clock::time_point deadline, int& status) {
  for (;;) {
    pid_t rc = ::waitpid(pid_, &status, WNOHANG);
    if (rc == pid_ || (rc < 0 && errno == ECHILD)) return true;
    if (Clock::now() >= deadline) return false;
    std::this_thread::sleep_for(kPollInterval);
  }
}

int ChildProcess::stop(std::chrono::milliseconds grace) {
  if (pid_ < 0) return -1;
  int status = 0;
  ::kill(pid_, SIGTERM);
  ::kill(pid_, SIGCONT);
  if (!wait_exit(Clock::now() + grace, status)) {
    ::kill(pid_, SIGKILL);
    while (::waitpid(pid_, &status, 0) < 0 && errno == EINTR) {
    }
  }
  pid_ = -1;
  last_status_ = status;
  return status;
}

CommandResult run_command(const std::vector<std::string>& argv, std::chrono::milliseconds timeout,
                          const std::string& stdin_data) {
  int in_pipe[2], out_pipe[2];
  if (!make_pipe(in_pipe)) throw std::runtime_error("pipe failed");
  if (!make_pipe(out_pipe)) {
    ::close(in_pipe[0]);
    ::close(in_pipe[1]);
    throw std::runtime_error("pipe failed");
  }
  pid_t pid = -1;
  {
    FileActions actions;
    posix_spawn_file_actions_adddup2(actions.get(), in_pipe[0], 0);
    posix_spawn_file_actions_adddup2(actions.get(), out_pipe[1], 1);
    posix_spawn_file_actions_adddup2(actions.get(), out_pipe[1], 2);
    try {
      pid = spawn(argv, actions);
    } catch (...) {
      for (int fd : {in_pipe[0], in_pipe[1], out_pipe[0], out_pipe[1]}) ::close(fd);
      throw;
    }
  }
  ::close(in_pipe[0]);
  ::close(out_pipe[1]);
  int in_fd = in_pipe[1];
  int out_fd = out_pipe[0];
  ::fcntl(in_fd, F_SETFL, O_NONBLOCK);

  CommandResult result;
  std::size_t written = 0;
  if (stdin_data.empty()) {
    ::close(in_fd);
    in_fd = -1;
  }
  const auto deadline = Clock::now() + timeout;
  int status = 0;
  bool exited = false;
  // Read the output and feed stdin until the command has exited and its
  // output is drained. The exit is checked as well as the end of the output
  // because a command that starts a daemon (postfix start) may leave the
  // output pipe open in the daemon long after it has finished itself.
  while (out_fd >= 0) {
    if (!exited && ::waitpid(pid, &status, WNOHANG) == pid) exited = true;
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now());
    if (!exited && left.count() <= 0) {
      result.timed_out = true;
      break;
    }
    struct pollfd fds[2];
    int count = 0;
    fds[count++] = {out_fd, POLLIN, 0};
    if (in_fd >= 0) fds[count++] = {in_fd, POLLOUT, 0};
    // Short slices, so the exit check above runs often; after the exit, only
    // what is already in the pipe is read.
    int slice = exited ? 0 : static_cast<int>(std::min<long long>(left.count(), 10));
    int rc = ::poll(fds, static_cast<nfds_t>(count), slice);
    if (rc < 0 && errno == EINTR) continue;
    if (rc < 0 || (rc == 0 && exited)) break;
    if (count == 2 && (fds[1].revents & (POLLOUT | POLLERR | POLLHUP))) {
      ssize_t n = write_no_sigpipe(in_fd, stdin_data.data() + written, stdin_data.size() - written);
      if (n > 0) written += static_cast<std::size_t>(n);
      if (n < 0 || written == stdin_data.size()) {
        ::close(in_fd);
        in_fd = -1;
      }
    }
    if (fds[0].revents & (POLLIN | POLLERR | POLLHUP)) {
      char buffer[4096];
      ssize_t n = ::read(out_fd, buffer, sizeof buffer);
      if (n > 0) {
        result.output.append(buffer, static_cast<std::size_t>(n));
      } else if (n == 0 || errno != EINTR) {
        ::close(out_fd);
        out_fd = -1;
      }
    }
  }
  if (in_fd >= 0) ::close(in_fd);
  if (out_fd >= 0) ::close(out_fd);
  if (!exited) {
    if (result.timed_out) ::kill(pid, SIGKILL);
    while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
    }
  }
  if (!result.timed_out && WIFEXITED(status)) result.exit_code = WEXITSTATUS(status);
  return result;
}

std::string describe(const std::vector<std::string>& argv, const CommandResult& result) {
  std::string text;
  for (const std::string& arg : argv) text += (text.empty() ? "" : " ") + arg;
  text += result.timed_out ? ": timed out" : ": exit " + std::to_string(result.exit_code);
  if (!result.output.empty()) text += ": " + result.output;
  return text;
}

}  // namespace uvmapi::test::servers
