#include "temp_dir.h"

#include <dirent.h>
#include <fcntl.h>
#include <ftw.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <stdexcept>

namespace uvmapi::test::servers {

namespace {

std::string errno_text(const std::string& what) {
  return what + ": " + std::strerror(errno);
}

int remove_entry(const char* path, const struct stat*, int, struct FTW*) {
  // Errors are ignored: removal is best effort cleanup after a test, and a
  // leftover file must not turn a passing test into a failing one.
  std::remove(path);
  return 0;
}

}  // namespace

TempDir::TempDir(const std::string& prefix) {
  std::string base = env_or_empty("TMPDIR");
  if (base.empty()) base = "/tmp";
  std::string templ = base + "/" + prefix + "XXXXXX";
  std::vector<char> buffer(templ.begin(), templ.end());
  buffer.push_back('\0');
  if (mkdtemp(buffer.data()) == nullptr) throw std::runtime_error(errno_text("mkdtemp " + templ));
  path_ = buffer.data();
}

TempDir::~TempDir() {
  if (env_or_empty("UVMAPI_KEEP_SERVER_DIRS") == "1") {
    std::fprintf(stderr, "servers: keeping %s\n", path_.c_str());
    return;
  }
  remove_tree(path_);
}

void write_file(const std::string& path, const std::string& content, mode_t mode) {
  int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode);
  if (fd < 0) throw std::runtime_error(errno_text("open " + path));
  std::size_t done = 0;
  while (done < content.size()) {
    ssize_t n = ::write(fd, content.data() + done, content.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      std::string error = errno_text("write " + path);
      ::close(fd);
      throw std::runtime_error(error);
    }
    done += static_cast<std::size_t>(n);
  }
  // The mode given to open() is filtered by the umask; the fixtures need the
  // exact mode (a key readable only by root, a config readable by all).
  if (::fchmod(fd, mode) != 0 || ::close(fd) != 0) {
    throw std::runtime_error(errno_text("fchmod/close " + path));
  }
}

bool read_file(const std::string& path, std::string& content) {
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return false;
  content.clear();
  char buffer[65536];
  for (;;) {
    ssize_t n = ::read(fd, buffer, sizeof buffer);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      ::close(fd);
      return false;
    }
    if (n == 0) break;
    content.append(buffer, static_cast<std::size_t>(n));
  }
  ::close(fd);
  return true;
}

void make_dir(const std::string& path, mode_t mode) {
  if (::mkdir(path.c_str(), mode) != 0 && errno != EEXIST) {
    throw std::runtime_error(errno_text("mkdir " + path));
  }
  if (::chmod(path.c_str(), mode) != 0) throw std::runtime_error(errno_text("chmod " + path));
}

void change_owner(const std::string& path, uid_t uid, gid_t gid) {
  if (::chown(path.c_str(), uid, gid) != 0) throw std::runtime_error(errno_text("chown " + path));
}

std::vector<std::string> list_dir(const std::string& dir) {
  std::vector<std::string> names;
  DIR* d = ::opendir(dir.c_str());
  if (d == nullptr) return names;
  while (struct dirent* entry = ::readdir(d)) {
    std::string name = entry->d_name;
    if (name != "." && name != "..") names.push_back(name);
  }
  ::closedir(d);
  return names;
}

void remove_tree(const std::string& path) {
  ::nftw(path.c_str(), remove_entry, 16, FTW_DEPTH | FTW_PHYS);
}

std::string env_or_empty(const char* name) {
  const char* value = std::getenv(name);
  return value ? value : "";
}

}  // namespace uvmapi::test::servers
