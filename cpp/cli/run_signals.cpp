// SIGINT and SIGTERM for `uvmapi run`, through a self-pipe.
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <unistd.h>

#include <cerrno>
#include <csignal>
#include <cstring>

#include "cli/run.h"

namespace uvmapi::cli {

namespace {

int g_pipe[2] = {-1, -1};

void on_signal(int signal) {
  const int saved = errno;
  const auto byte = static_cast<unsigned char>(signal);
  // Nothing to do when the pipe is full: enough wake-ups are already waiting.
  [[maybe_unused]] ssize_t written = ::write(g_pipe[1], &byte, 1);
  errno = saved;
}

sigset_t handled_signals() {
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGINT);
  sigaddset(&set, SIGTERM);
  return set;
}

}  // namespace

const char* signal_name(int signal) {
  switch (signal) {
    case SIGINT:
      return "SIGINT";
    case SIGTERM:
      return "SIGTERM";
    default:
      return "a signal";
  }
}

void Wakeups::install() {
  if (g_pipe[0] >= 0) return;
  if (::pipe(g_pipe) != 0)
    throw CliError(std::string("cannot make a pipe: ") + std::strerror(errno));
  for (int fd : g_pipe) {
    ::fcntl(fd, F_SETFL, ::fcntl(fd, F_GETFL) | O_NONBLOCK);
    ::fcntl(fd, F_SETFD, FD_CLOEXEC);
  }
  struct sigaction action {};
  action.sa_handler = on_signal;
  sigemptyset(&action.sa_mask);
  action.sa_flags = SA_RESTART;
  if (::sigaction(SIGINT, &action, nullptr) != 0 || ::sigaction(SIGTERM, &action, nullptr) != 0) {
    throw CliError(std::string("cannot handle signals: ") + std::strerror(errno));
  }
  // A closed stdout (a pipe whose reader went) must not kill the spooler mid-logoff.
  std::signal(SIGPIPE, SIG_IGN);
}

void Wakeups::block() {
  sigset_t set = handled_signals();
  ::pthread_sigmask(SIG_BLOCK, &set, nullptr);
}

void Wakeups::unblock() {
  sigset_t set = handled_signals();
  ::pthread_sigmask(SIG_UNBLOCK, &set, nullptr);
}

std::vector<int> Wakeups::wait(std::chrono::milliseconds timeout) {
  std::vector<int> signals;
  pollfd fd{g_pipe[0], POLLIN, 0};
  int ready = ::poll(&fd, 1, static_cast<int>(timeout.count()));
  if (ready <= 0) return signals;
  unsigned char bytes[64];
  for (;;) {
    ssize_t n = ::read(g_pipe[0], bytes, sizeof bytes);
    if (n <= 0) break;
    for (ssize_t i = 0; i < n; ++i) {
      if (bytes[i] != 0) signals.push_back(bytes[i]);
    }
  }
  return signals;
}

void Wakeups::wake() {
  const unsigned char byte = 0;
  [[maybe_unused]] ssize_t written = ::write(g_pipe[1], &byte, 1);
}

}  // namespace uvmapi::cli
