#include "loopback.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <stdexcept>
#include <thread>

namespace uvmapi::test::servers {

namespace {

using Clock = std::chrono::steady_clock;
using namespace std::chrono_literals;

// How often readiness is probed again. A few milliseconds keeps the wait
// short without spinning.
constexpr auto kRetryInterval = 5ms;

sockaddr_in loopback_address(std::uint16_t port) {
  sockaddr_in address;
  std::memset(&address, 0, sizeof address);
  address.sin_family = AF_INET;
  address.sin_port = htons(port);
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  return address;
}

// A TCP socket that children do not inherit and that never raises SIGPIPE
// (SOCK_CLOEXEC and MSG_NOSIGNAL are not available on macOS).
int tcp_socket() {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  if (fd < 0) return -1;
  ::fcntl(fd, F_SETFD, FD_CLOEXEC);
#ifdef SO_NOSIGPIPE
  int one = 1;
  ::setsockopt(fd, SOL_SOCKET, SO_NOSIGPIPE, &one, sizeof one);
#endif
  return fd;
}

#ifndef MSG_NOSIGNAL
#define MSG_NOSIGNAL 0
#endif

int millis_left(Clock::time_point deadline) {
  auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now());
  return left.count() < 0 ? 0 : static_cast<int>(left.count());
}

// Reads the first line the server sends; false on timeout. An empty line
// means the server closed the connection first.
bool read_first_line(int fd, Clock::time_point deadline, std::string& line) {
  line.clear();
  for (;;) {
    std::size_t end = line.find("\r\n");
    if (end != std::string::npos) {
      line.resize(end);
      return true;
    }
    struct pollfd pfd = {fd, POLLIN, 0};
    int rc = ::poll(&pfd, 1, millis_left(deadline));
    if (rc < 0 && errno == EINTR) continue;
    if (rc <= 0) return false;
    char buffer[512];
    ssize_t n = ::recv(fd, buffer, sizeof buffer, 0);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return true;  // Closed (or reset) without a complete line.
    line.append(buffer, static_cast<std::size_t>(n));
  }
}

}  // namespace

std::vector<std::uint16_t> free_loopback_ports(std::size_t count) {
  std::vector<int> sockets;
  std::vector<std::uint16_t> ports;
  for (std::size_t i = 0; i < count; ++i) {
    int fd = tcp_socket();
    sockaddr_in address = loopback_address(0);
    socklen_t length = sizeof address;
    if (fd < 0 || ::bind(fd, reinterpret_cast<sockaddr*>(&address), sizeof address) != 0 ||
        ::getsockname(fd, reinterpret_cast<sockaddr*>(&address), &length) != 0) {
      std::string error = std::strerror(errno);
      if (fd >= 0) ::close(fd);
      for (int s : sockets) ::close(s);
      throw std::runtime_error("free_loopback_ports: " + error);
    }
    sockets.push_back(fd);
    ports.push_back(ntohs(address.sin_port));
  }
  for (int s : sockets) ::close(s);
  return ports;
}

std::uint16_t free_loopback_port() {
  return free_loopback_ports(1).front();
}

int connect_loopback(std::uint16_t port, std::chrono::milliseconds timeout) {
  int fd = tcp_socket();
  if (fd < 0) return -1;
  ::fcntl(fd, F_SETFL, ::fcntl(fd, F_GETFL) | O_NONBLOCK);
  sockaddr_in address = loopback_address(port);
  int rc = ::connect(fd, reinterpret_cast<sockaddr*>(&address), sizeof address);
  if (rc != 0 && errno == EINPROGRESS) {
    struct pollfd pfd = {fd, POLLOUT, 0};
    rc = ::poll(&pfd, 1, static_cast<int>(timeout.count()));
    int error = ETIMEDOUT;
    socklen_t length = sizeof error;
    if (rc == 1) ::getsockopt(fd, SOL_SOCKET, SO_ERROR, &error, &length);
    if (error != 0) {
      ::close(fd);
      errno = error;
      return -1;
    }
  } else if (rc != 0) {
    int error = errno;
    ::close(fd);
    errno = error;
    return -1;
  }
  ::fcntl(fd, F_SETFL, ::fcntl(fd, F_GETFL) & ~O_NONBLOCK);
  return fd;
}

bool accepts_connections(std::uint16_t port) {
  int fd = connect_loopback(port, 1s);
  if (fd < 0) return false;
  ::close(fd);
  return true;
}

bool wait_for_smtp_answer(std::uint16_t port, std::chrono::milliseconds timeout,
                          const std::function<bool()>& alive, std::string& reply) {
  const auto deadline = Clock::now() + timeout;
  std::string last = "nothing listened";
  for (;;) {
    if (alive && !alive()) {
      reply = "the server exited before it answered on port " + std::to_string(port);
      return false;
    }
    int fd = connect_loopback(port, std::chrono::milliseconds(millis_left(deadline) + 1));
    if (fd >= 0) {
      std::string line;
      bool answered = read_first_line(fd, deadline, line);
      if (answered) {
        static const char quit[] = "QUIT\r\n";
        ::send(fd, quit, sizeof quit - 1, MSG_NOSIGNAL);
      }
      ::close(fd);
      if (answered) {
        reply = line;
        return true;
      }
      last = "connected but no reply line";
    } else {
      last = std::strerror(errno);
    }
    if (Clock::now() >= deadline) {
      reply = "no SMTP answer on 127.0.0.1:" + std::to_string(port) + " within " +
              std::to_string(timeout.count()) + " ms (" + last + ")";
      return false;
    }
    std::this_thread::sleep_for(kRetryInterval);
  }
}

bool wait_for_listener(std::uint16_t port, std::chrono::milliseconds timeout,
                       const std::function<bool()>& alive, std::string& error) {
  const auto deadline = Clock::now() + timeout;
  for (;;) {
    if (alive && !alive()) {
      error = "the server exited before it listened on port " + std::to_string(port);
      return false;
    }
    if (accepts_connections(port)) return true;
    if (Clock::now() >= deadline) {
      error = "nothing listened on 127.0.0.1:" + std::to_string(port) + " within " +
              std::to_string(timeout.count()) + " ms";
      return false;
    }
    std::this_thread::sleep_for(kRetryInterval);
  }
}

bool wait_until_closed(std::uint16_t port, std::chrono::milliseconds timeout) {
  const auto deadline = Clock::now() + timeout;
  for (;;) {
    if (!accepts_connections(port)) return true;
    if (Clock::now() >= deadline) return false;
    std::this_thread::sleep_for(kRetryInterval);
  }
}

}  // namespace uvmapi::test::servers
