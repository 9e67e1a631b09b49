#include "script_server.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>

namespace uvmapi::test {

void ScriptConnection::failure(const std::string& what) {
  std::lock_guard<std::mutex> lock(mutex_);
  failures_.push_back(what);
}

void ScriptConnection::send(const std::string& bytes) {
  std::size_t sent = 0;
  while (sent < bytes.size()) {
    ssize_t n = ::send(fd_, bytes.data() + sent, bytes.size() - sent, MSG_NOSIGNAL);
    if (n <= 0) {
      if (n < 0 && errno == EINTR) continue;
      return;  // The client went away; the script's reads will notice.
    }
    sent += static_cast<std::size_t>(n);
  }
}

bool ScriptConnection::fill(std::chrono::milliseconds patience) {
  pollfd pfd{fd_, POLLIN, 0};
  int ready = ::poll(&pfd, 1, static_cast<int>(patience.count()));
  if (ready <= 0) return false;
  char chunk[16384];
  ssize_t n = ::recv(fd_, chunk, sizeof chunk, 0);
  if (n <= 0) {
    closed_ = true;
    return false;
  }
  buffer_.append(chunk, static_cast<std::size_t>(n));
  return true;
}

std::string ScriptConnection::read_line(std::chrono::milliseconds patience) {
  auto deadline = std::chrono::steady_clock::now() + patience;
  while (true) {
    std::size_t end = buffer_.find("\r\n");
    if (end != std::string::npos) {
      std::string line = buffer_.substr(0, end);
      buffer_.erase(0, end + 2);
      return line;
    }
    if (closed_) return {};
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) {
      failure("the client sent no line in time");
      closed_ = true;
      return {};
    }
    fill(left);
  }
}

std::string ScriptConnection::expect(const std::string& prefix) {
  std::string line = read_line();
  if (line.compare(0, prefix.size(), prefix) != 0) {
    failure("expected \"" + prefix + "...\", got \"" + line + "\"");
  }
  return line;
}

std::string ScriptConnection::read_data() {
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  while (true) {
    std::size_t length = 0;
    if (buffer_.compare(0, 3, ".\r\n") == 0) {
      length = 3;  // An empty message.
    } else if (std::size_t end = buffer_.find("\r\n.\r\n"); end != std::string::npos) {
      length = end + 5;
    }
    if (length > 0) {
      std::string data = buffer_.substr(0, length);
      buffer_.erase(0, length);
      return data;
    }
    if (closed_ || std::chrono::steady_clock::now() >= deadline) {
      failure("the client did not end the message with CRLF . CRLF");
      return {};
    }
    fill(std::chrono::milliseconds(100));
  }
}

bool ScriptConnection::quiet_for(std::chrono::milliseconds patience) {
  if (!buffer_.empty()) return false;
  pollfd pfd{fd_, POLLIN, 0};
  return ::poll(&pfd, 1, static_cast<int>(patience.count())) == 0;
}

ScriptServer::ScriptServer(Script script) : script_(std::move(script)) {
  listener_ = ::socket(AF_INET, SOCK_STREAM, 0);
  int one = 1;
  ::setsockopt(listener_, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ::bind(listener_, reinterpret_cast<sockaddr*>(&address), sizeof address);
  ::listen(listener_, 16);
  socklen_t length = sizeof address;
  ::getsockname(listener_, reinterpret_cast<sockaddr*>(&address), &length);
  port_ = ntohs(address.sin_port);
  thread_ = std::thread([this] { serve(); });
}

ScriptServer::~ScriptServer() {
  stopping_ = true;
  ::shutdown(listener_, SHUT_RDWR);
  thread_.join();
  ::close(listener_);
}

void ScriptServer::serve() {
  int index = 0;
  while (!stopping_) {
    pollfd pfd{listener_, POLLIN, 0};
    if (::poll(&pfd, 1, 50) <= 0) continue;
    int fd = ::accept(listener_, nullptr, nullptr);
    if (fd < 0) continue;
    ++connections_;
    ScriptConnection connection(fd, failures_, mutex_);
    script_(connection, index++);
    ::close(fd);
    {
      std::lock_guard<std::mutex> lock(mutex_);
      ++finished_;
    }
    finished_changed_.notify_all();
  }
}

bool ScriptServer::wait_for_scripts(int count, std::chrono::milliseconds patience) {
  std::unique_lock<std::mutex> lock(mutex_);
  return finished_changed_.wait_for(lock, patience, [&] { return finished_ >= count; });
}

std::vector<std::string> ScriptServer::failures() {
  std::lock_guard<std::mutex> lock(mutex_);
  return failures_;
}

}  // namespace uvmapi::test
