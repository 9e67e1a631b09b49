// A real SMTP server for the wrapper's tests: Postfix's smtp-sink on a free
// loopback port, every message dumped to a file of its own, and a port where
// nothing listens. POSIX only, as the tests are.
#ifndef UVMAPI_CPP_TESTS_SMTP_SINK_H
#define UVMAPI_CPP_TESTS_SMTP_SINK_H

#include <arpa/inet.h>
#include <netinet/in.h>
#include <signal.h>
#include <spawn.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <optional>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

extern char** environ;

namespace uvmapi_test {

namespace fs = std::filesystem;

// How long a wait for the server may take before it counts as a failure.
constexpr std::chrono::seconds kSinkPatience{10};
// How often a wait looks at its condition again.
constexpr std::chrono::milliseconds kPoll{10};

// Under CI (CI=true) or CTest (UVMAPI_TESTS_STRICT=1) a missing smtp-sink
// fails the test: a skip would pass a test that never ran.
inline bool strict() {
  const char* ci = std::getenv("CI");
  const char* flag = std::getenv("UVMAPI_TESTS_STRICT");
  return (ci && std::string(ci) == "true") || (flag && std::string(flag) == "1");
}

inline std::optional<std::string> find_smtp_sink() {
  if (const char* chosen = std::getenv("UVMAPI_SMTP_SINK"); chosen && *chosen) {
    if (::access(chosen, X_OK) == 0) return std::string(chosen);
    return std::nullopt;
  }
  for (const char* place : {"/usr/sbin/smtp-sink", "/usr/local/sbin/smtp-sink",
                            "/usr/bin/smtp-sink", "/opt/homebrew/sbin/smtp-sink"}) {
    if (::access(place, X_OK) == 0) return std::string(place);
  }
  return std::nullopt;
}

// A loopback socket bound but not listening: connections to its port are
// refused, and nobody else takes the port while it is open.
class RefusingPort {
 public:
  RefusingPort() {
    fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t size = sizeof address;
    if (fd_ < 0 || ::bind(fd_, reinterpret_cast<sockaddr*>(&address), sizeof address) != 0 ||
        ::getsockname(fd_, reinterpret_cast<sockaddr*>(&address), &size) != 0) {
      throw std::runtime_error("cannot bind a loopback socket");
    }
    port_ = ntohs(address.sin_port);
  }
  ~RefusingPort() {
    if (fd_ >= 0) ::close(fd_);
  }
  RefusingPort(const RefusingPort&) = delete;
  RefusingPort& operator=(const RefusingPort&) = delete;
  int port() const { return port_; }
  std::string url() const { return "smtp://127.0.0.1:" + std::to_string(port_); }

 private:
  int fd_ = -1;
  int port_ = 0;
};

inline bool accepts_connections(int port) {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  if (fd < 0) return false;
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  address.sin_port = htons(static_cast<std::uint16_t>(port));
  bool ok = ::connect(fd, reinterpret_cast<sockaddr*>(&address), sizeof address) == 0;
  ::close(fd);
  return ok;
}

// smtp-sink, stopped and its dump directory removed by the destructor.
class SmtpSink {
 public:
  explicit SmtpSink(const std::string& program) {
    std::string pattern = (fs::temp_directory_path() / "uvmapi-cpp-sink-XXXXXX").string();
    if (::mkdtemp(pattern.data()) == nullptr) throw std::runtime_error("mkdtemp failed");
    dir_ = pattern;
    // smtp-sink drops to "nobody" when started as root, which must write here.
    fs::permissions(dir_, fs::perms::all);
    for (int attempt = 0; attempt < 5; ++attempt) {
      // Another program may take a free port first: try another.
      int port = 0;
      {
        RefusingPort probe;
        port = probe.port();
      }
      if (start_on(program, port)) return;
    }
    fs::remove_all(dir_);
    throw std::runtime_error("could not start " + program + " on a free loopback port");
  }
  ~SmtpSink() {
    if (pid_ > 0) {
      ::kill(pid_, SIGTERM);
      int status = 0;
      ::waitpid(pid_, &status, 0);
    }
    std::error_code ignored;
    fs::remove_all(dir_, ignored);
  }
  SmtpSink(const SmtpSink&) = delete;
  SmtpSink& operator=(const SmtpSink&) = delete;

  std::string url() const { return "smtp://127.0.0.1:" + std::to_string(port_); }

  std::vector<std::string> dumps() const {
    std::vector<std::string> found;
    for (const auto& entry : fs::directory_iterator(dir_)) {
      if (entry.path().filename().string().rfind('.', 0) == 0) continue;
      std::ifstream in(entry.path(), std::ios::binary);
      found.emplace_back(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
    }
    return found;
  }

  // The dumped messages once there are count of them (or the patience ends).
  std::vector<std::string> wait_for(std::size_t count) const {
    auto deadline = std::chrono::steady_clock::now() + kSinkPatience;
    std::vector<std::string> found = dumps();
    while (found.size() != count && std::chrono::steady_clock::now() < deadline) {
      std::this_thread::sleep_for(kPoll);
      found = dumps();
    }
    return found;
  }

 private:
  bool start_on(const std::string& program, int port) {
    std::string pattern = dir_.string() + "/%M.";
    std::string address = "127.0.0.1:" + std::to_string(port);
    std::vector<std::string> args = {program};
    if (::geteuid() == 0) {
      args.insert(args.end(), {"-u", "nobody"});  // It refuses to keep root privileges.
    }
    args.insert(args.end(), {"-d", pattern, address, "10"});
    std::vector<char*> argv;
    for (auto& arg : args) argv.push_back(arg.data());
    argv.push_back(nullptr);
    if (::posix_spawn(&pid_, program.c_str(), nullptr, nullptr, argv.data(), environ) != 0) {
      pid_ = 0;
      return false;
    }
    auto deadline = std::chrono::steady_clock::now() + kSinkPatience;
    while (std::chrono::steady_clock::now() < deadline) {
      int status = 0;
      if (::waitpid(pid_, &status, WNOHANG) == pid_) {
        pid_ = 0;
        return false;
      }
      if (accepts_connections(port)) {
        port_ = port;
        return true;
      }
      std::this_thread::sleep_for(kPoll);
    }
    throw std::runtime_error("smtp-sink did not accept connections in time");
  }

  fs::path dir_;
  pid_t pid_ = 0;
  int port_ = 0;
};

}  // namespace uvmapi_test

#endif
