#include "sink_process.h"

#include <arpa/inet.h>
#include <dirent.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <fstream>
#include <sstream>
#include <thread>

extern char** environ;

namespace uvmapi::test {

namespace {

std::uint16_t free_port() {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ::bind(fd, reinterpret_cast<sockaddr*>(&address), sizeof address);
  socklen_t length = sizeof address;
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&address), &length);
  ::close(fd);
  return ntohs(address.sin_port);
}

// Whether a server on port answers with a 220 greeting.
bool greets(std::uint16_t port) {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_port = htons(port);
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  bool ok = false;
  if (::connect(fd, reinterpret_cast<sockaddr*>(&address), sizeof address) == 0) {
    pollfd pfd{fd, POLLIN, 0};
    char reply[4] = {};
    if (::poll(&pfd, 1, 1000) == 1 && ::recv(fd, reply, 3, 0) == 3)
      ok = std::string(reply) == "220";
    ::send(fd, "QUIT\r\n", 6, MSG_NOSIGNAL);
  }
  ::close(fd);
  return ok;
}

}  // namespace

bool servers_required() {
  const char* ci = std::getenv("CI");
  const char* strict = std::getenv("UVMAPI_TESTS_STRICT");
  return (ci && std::string(ci) == "true") || (strict && std::string(strict) == "1");
}

std::string SinkProcess::binary() {
  for (const char* path : {"/usr/sbin/smtp-sink", "/usr/bin/smtp-sink", "/usr/local/sbin/smtp-sink",
                           "/opt/homebrew/sbin/smtp-sink"}) {
    if (::access(path, X_OK) == 0) return path;
  }
  return {};
}

SinkProcess::SinkProcess(std::vector<std::string> options, std::uint16_t port) {
  std::string path = binary();
  if (path.empty()) return;
  char pattern[] = "/tmp/uvmapi-sink-XXXXXX";
  if (!::mkdtemp(pattern)) return;
  dir_ = pattern;
  ::chmod(dir_.c_str(), 0777);  // smtp-sink writes as the unprivileged user.
  port_ = port ? port : free_port();
  std::vector<std::string> args = {path};
  if (::geteuid() == 0) {
    args.push_back("-u");
    args.push_back("nobody");
  }
  args.push_back("-d");
  args.push_back(dir_ + "/%M.");
  for (auto& option : options) args.push_back(option);
  args.push_back("127.0.0.1:" + std::to_string(port_));
  args.push_back("64");
  std::vector<char*> argv;
  for (auto& arg : args) argv.push_back(arg.data());
  argv.push_back(nullptr);
  // Its warnings (every readiness probe is a "lost connection") go to a file.
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  std::string log = dir_ + ".log";
  posix_spawn_file_actions_addopen(&actions, 2, log.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
  int spawned = ::posix_spawn(&pid_, path.c_str(), &actions, nullptr, argv.data(), environ);
  posix_spawn_file_actions_destroy(&actions);
  if (spawned != 0) {
    pid_ = -1;
    return;
  }
  // Ready when it greets; a deadline, not a sleep, bounds the wait.
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  while (!greets(port_)) {
    if (std::chrono::steady_clock::now() > deadline) {
      stop();
      return;
    }
    ::poll(nullptr, 0, 5);  // The polling interval; the condition decides.
  }
}

SinkProcess::~SinkProcess() {
  stop();
  if (!dir_.empty()) std::system(("rm -rf '" + dir_ + "' '" + dir_ + ".log'").c_str());
}

void SinkProcess::stop() {
  if (pid_ <= 0) return;
  ::kill(pid_, SIGKILL);
  int status = 0;
  ::waitpid(pid_, &status, 0);
  pid_ = -1;
}

std::vector<std::string> SinkProcess::dumps() const {
  std::vector<std::string> found;
  DIR* dir = ::opendir(dir_.c_str());
  if (!dir) return found;
  while (auto* entry = ::readdir(dir)) {
    std::string name = entry->d_name;
    if (name == "." || name == "..") continue;
    std::ifstream file(dir_ + "/" + name, std::ios::binary);
    std::stringstream text;
    text << file.rdbuf();
    found.push_back(text.str());
  }
  ::closedir(dir);
  return found;
}

bool SinkProcess::wait_for_dumps(std::size_t count, std::chrono::milliseconds patience) const {
  auto deadline = std::chrono::steady_clock::now() + patience;
  while (dumps().size() < count) {
    if (std::chrono::steady_clock::now() > deadline) return false;
    ::poll(nullptr, 0, 5);  // The polling interval; the condition decides.
  }
  return true;
}

}  // namespace uvmapi::test
