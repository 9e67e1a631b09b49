#include "maildir_io.h"

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <unistd.h>

#include <cerrno>
#include <cinttypes>
#include <cstdio>
#include <cstring>
#include <mutex>
#include <random>
#include <tuple>

#include "error.h"

namespace uvmapi::maildir {

Fd& Fd::operator=(Fd&& other) noexcept {
  if (this != &other) {
    reset();
    fd_ = other.release();
  }
  return *this;
}

int Fd::release() {
  int fd = fd_;
  fd_ = -1;
  return fd;
}

void Fd::reset() {
  if (fd_ >= 0) ::close(fd_);
  fd_ = -1;
}

std::string describe(const std::string& path, int error) {
  return path + ": " + std::strerror(error);
}

std::string join(const std::string& dir, const std::string& name) {
  if (!dir.empty() && dir.back() == '/') return dir + name;
  return dir + "/" + name;
}

bool DirStamp::operator==(const DirStamp& other) const {
  return device == other.device && inode == other.inode && mtime_sec == other.mtime_sec &&
         mtime_nsec == other.mtime_nsec && size == other.size;
}

HRESULT stamp_dir(const std::string& path, DirStamp& stamp) {
  struct stat st;
  if (::stat(path.c_str(), &st) != 0) {
    return fail(MAPI_E_CALL_FAILED, "cannot look at the folder directory " + describe(path, errno));
  }
  stamp.device = static_cast<std::uint64_t>(st.st_dev);
  stamp.inode = static_cast<std::uint64_t>(st.st_ino);
#if defined(__APPLE__)
  stamp.mtime_sec = st.st_mtimespec.tv_sec;
  stamp.mtime_nsec = st.st_mtimespec.tv_nsec;
#else
  stamp.mtime_sec = st.st_mtim.tv_sec;
  stamp.mtime_nsec = st.st_mtim.tv_nsec;
#endif
  stamp.size = static_cast<std::int64_t>(st.st_size);
  return S_OK;
}

void now(std::int64_t& sec, std::int64_t& nsec) {
  struct timeval tv;
  ::gettimeofday(&tv, nullptr);
  sec = tv.tv_sec;
  nsec = static_cast<std::int64_t>(tv.tv_usec) * 1000;
}

HRESULT check_dir_or_missing(const std::string& path) {
  struct stat st;
  if (::stat(path.c_str(), &st) != 0) {
    if (errno == ENOENT) return S_OK;
    return fail(MAPI_E_CALL_FAILED, "cannot look at " + describe(path, errno));
  }
  if (!S_ISDIR(st.st_mode)) {
    return fail(MAPI_E_INVALID_PARAMETER, path + " exists and is not a directory");
  }
  return S_OK;
}

HRESULT ensure_dir(const std::string& path) {
  if (::mkdir(path.c_str(), 0700) == 0) {
    // mkdir applies the umask; the mode must not depend on it.
    if (::chmod(path.c_str(), 0700) != 0) {
      return fail(MAPI_E_CALL_FAILED, "cannot make the directory private " + describe(path, errno));
    }
    return S_OK;
  }
  int error = errno;
  if (error == EEXIST) {
    struct stat st;
    if (::stat(path.c_str(), &st) == 0 && S_ISDIR(st.st_mode)) return S_OK;
    return fail(MAPI_E_INVALID_PARAMETER, path + " exists and is not a directory");
  }
  if (error == ENOENT) {
    return fail(MAPI_E_NOT_FOUND,
                "cannot create the directory " + path + ": its parent directory does not exist");
  }
  return fail(MAPI_E_CALL_FAILED, "cannot create the directory " + describe(path, error));
}

HRESULT sync_dir(const std::string& path) {
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    return fail(MAPI_E_CALL_FAILED,
                "cannot open the directory to flush it " + describe(path, errno));
  }
  Fd owned(fd);
  if (::fsync(owned.get()) != 0) {
    // Some file systems cannot fsync a directory (EINVAL): their entries are
    // as durable as they can be made.
    if (errno == EINVAL) return S_OK;
    return fail(MAPI_E_CALL_FAILED, "cannot flush the directory " + describe(path, errno));
  }
  return S_OK;
}

namespace {

int open_retry(const char* path, int flags, mode_t mode) {
  int fd;
  do {
    fd = ::open(path, flags, mode);
  } while (fd < 0 && errno == EINTR);
  return fd;
}

bool write_all(int fd, const std::string& data) {
  const char* p = data.data();
  std::size_t left = data.size();
  while (left > 0) {
    ssize_t n = ::write(fd, p, left);
    if (n < 0) {
      if (errno == EINTR) continue;
      return false;
    }
    p += n;
    left -= static_cast<std::size_t>(n);
  }
  return true;
}

}  // namespace

HRESULT write_new_file(const std::string& dir, const std::string& name, const std::string& data) {
  return write_new_files({NewFile{dir, name, &data}});
}

HRESULT write_new_files(const std::vector<NewFile>& files) {
  std::vector<std::string> paths;
  std::vector<Fd> fds;
  // Closes and removes every file made so far, and says why.
  auto undo = [&](const char* step, const std::string& path, int error) {
    fds.clear();
    for (const auto& made : paths) ::unlink(made.c_str());
    return fail(MAPI_E_CALL_FAILED, step + describe(path, error));
  };
  for (const auto& file : files) {
    const std::string path = join(file.dir, file.name);
    int fd = open_retry(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
    if (fd < 0) return undo("cannot create the file ", path, errno);
    paths.push_back(path);
    fds.emplace_back(fd);
    if (::fchmod(fd, 0600) != 0) return undo("cannot make the file private ", path, errno);
    if (!write_all(fd, *file.data)) return undo("cannot write the file ", path, errno);
#if defined(__linux__)
    // A hint, not a promise (the fsync below is that): the data of every
    // file is on its way before the first fsync waits for a journal commit.
    ::sync_file_range(fd, 0, 0, SYNC_FILE_RANGE_WRITE);
#endif
  }
  for (std::size_t i = 0; i < fds.size(); ++i) {
    if (::fsync(fds[i].get()) != 0) return undo("cannot flush the file ", paths[i], errno);
  }
  for (std::size_t i = 0; i < fds.size(); ++i) {
    if (::close(fds[i].release()) != 0) return undo("cannot close the file ", paths[i], errno);
  }
  return S_OK;
}

HRESULT read_file(const std::string& path, std::string& data, int& error) {
  error = 0;
  int fd = open_retry(path.c_str(), O_RDONLY | O_CLOEXEC, 0);
  if (fd < 0) {
    error = errno;
    return fail(MAPI_E_CALL_FAILED, "cannot open the message file " + describe(path, error));
  }
  Fd owned(fd);
  struct stat st;
  if (::fstat(fd, &st) != 0) {
    error = errno;
    return fail(MAPI_E_CALL_FAILED, "cannot look at the message file " + describe(path, error));
  }
  if (!S_ISREG(st.st_mode)) {
    error = EISDIR;
    return fail(MAPI_E_CALL_FAILED, "the message file " + path + " is not a regular file");
  }
  data.clear();
  data.reserve(static_cast<std::size_t>(st.st_size));
  char buffer[16384];
  for (;;) {
    ssize_t n = ::read(fd, buffer, sizeof buffer);
    if (n == 0) break;
    if (n < 0) {
      if (errno == EINTR) continue;
      error = errno;
      return fail(MAPI_E_CALL_FAILED, "cannot read the message file " + describe(path, error));
    }
    data.append(buffer, static_cast<std::size_t>(n));
  }
  return S_OK;
}

HRESULT open_lock_file(const std::string& path, Fd& fd) {
  int raw = open_retry(path.c_str(), O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
  if (raw >= 0) {
    Fd owned(raw);
    if (::fchmod(raw, 0600) != 0) {
      return fail(MAPI_E_CALL_FAILED, "cannot make the lock file private " + describe(path, errno));
    }
    fd = std::move(owned);
    return S_OK;
  }
  if (errno == EEXIST) raw = open_retry(path.c_str(), O_RDWR | O_CLOEXEC, 0);
  if (raw < 0)
    return fail(MAPI_E_CALL_FAILED, "cannot open the lock file " + describe(path, errno));
  fd = Fd(raw);
  return S_OK;
}

HRESULT list_dir(const std::string& path, std::vector<std::string>& names) {
  names.clear();
  DIR* dir = ::opendir(path.c_str());
  if (!dir) return fail(MAPI_E_CALL_FAILED, "cannot list the directory " + describe(path, errno));
  for (;;) {
    errno = 0;
    struct dirent* entry = ::readdir(dir);
    if (!entry) break;
    if (entry->d_name[0] == '.') continue;
    names.emplace_back(entry->d_name);
  }
  int error = errno;
  ::closedir(dir);
  if (error != 0) {
    return fail(MAPI_E_CALL_FAILED, "cannot list the directory " + describe(path, error));
  }
  return S_OK;
}

namespace {

std::string host_part() {
  char raw[256] = {};
  if (::gethostname(raw, sizeof raw - 1) != 0 || raw[0] == '\0') return "localhost";
  std::string host;
  for (const char* p = raw; *p; ++p) {
    char c = *p;
    bool plain = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                 c == '-' || c == '_' || c == '.';
    host += plain ? c : '_';
  }
  return host;
}

std::uint64_t random64() {
  try {
    std::random_device device;
    return (static_cast<std::uint64_t>(device()) << 32) ^ device();
  } catch (...) {
    // No entropy source: time, pid and the counter still make the name unique.
    struct timeval tv;
    ::gettimeofday(&tv, nullptr);
    return static_cast<std::uint64_t>(tv.tv_usec) * 0x9E3779B97F4A7C15ull ^
           static_cast<std::uint64_t>(::getpid());
  }
}

// Parses digits at s[i...] into value; false when there are none.
bool digits(const std::string& s, std::size_t& i, std::uint64_t& value) {
  std::size_t start = i;
  value = 0;
  while (i < s.size() && s[i] >= '0' && s[i] <= '9') {
    value = value * 10 + static_cast<std::uint64_t>(s[i] - '0');
    ++i;
  }
  return i > start;
}

bool is_hex(char c) {
  return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f');
}

}  // namespace

std::string unique_name() {
  static std::mutex mutex;
  static std::int64_t last_sec = 0;
  static std::int64_t last_usec = 0;
  static std::uint64_t counter = 0;
  static const std::string host = host_part();

  std::lock_guard<std::mutex> lock(mutex);
  struct timeval tv;
  ::gettimeofday(&tv, nullptr);
  std::int64_t sec = tv.tv_sec;
  std::int64_t usec = tv.tv_usec;
  if (std::tie(sec, usec) <= std::tie(last_sec, last_usec)) {
    sec = last_sec;
    usec = last_usec + 1;
    if (usec >= 1000000) {
      ++sec;
      usec = 0;
    }
  }
  last_sec = sec;
  last_usec = usec;
  ++counter;
  char name[128];
  std::snprintf(name, sizeof name, "%" PRId64 ".M%06" PRId64 "P%ldQ%" PRIu64 "R%016" PRIx64 ".",
                sec, usec, static_cast<long>(::getpid()), counter, random64());
  return name + host;
}

std::string base_of(const std::string& file_name) {
  return file_name.substr(0, file_name.find(':'));
}

bool is_own_name(const std::string& base) {
  std::size_t i = 0;
  std::uint64_t value = 0;
  if (!digits(base, i, value) || i >= base.size() || base[i++] != '.') return false;
  for (char letter : {'M', 'P', 'Q'}) {
    if (i >= base.size() || base[i++] != letter || !digits(base, i, value)) return false;
  }
  if (i >= base.size() || base[i++] != 'R') return false;
  for (int n = 0; n < 16; ++n, ++i) {
    if (i >= base.size() || !is_hex(base[i])) return false;
  }
  return i + 1 < base.size() && base[i] == '.';
}

bool has_leading_seconds(const std::string& base) {
  return !base.empty() && base[0] >= '0' && base[0] <= '9';
}

ArrivalKey arrival_key(const std::string& base, std::uint64_t fallback_sec) {
  ArrivalKey key;
  key.name = base;
  std::size_t i = 0;
  if (!digits(base, i, key.sec)) {
    key.sec = fallback_sec;
    return key;
  }
  if (is_own_name(base)) {
    ++i;  // '.'
    ++i;  // 'M'
    digits(base, i, key.usec);
    ++i;  // 'P'
    digits(base, i, key.pid);
    ++i;  // 'Q'
    digits(base, i, key.counter);
    return key;
  }
  // Other deliverers: "<sec>.M<usec>..." (Dovecot, Courier) gives the
  // microseconds; any other form sorts by seconds, then name.
  if (i + 1 < base.size() && base[i] == '.' && base[i + 1] == 'M') {
    i += 2;
    digits(base, i, key.usec);
  }
  return key;
}

bool ArrivalKey::operator<(const ArrivalKey& other) const {
  return std::tie(sec, usec, pid, counter, name) <
         std::tie(other.sec, other.usec, other.pid, other.counter, other.name);
}

}  // namespace uvmapi::maildir
