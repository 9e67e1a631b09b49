// The POSIX file primitives under MaildirStore: private directories and
// files, the durable write-then-rename commit, directory listings and the
// Maildir names. Plain POSIX calls that exist on Linux and macOS.
//
// Every function that fails records the reason with fail() and returns the
// HRESULT; a sentence names the path and the system's reason.
#ifndef UVMAPI_CPP_MAILDIR_IO_H
#define UVMAPI_CPP_MAILDIR_IO_H

#include <cstdint>
#include <string>
#include <vector>

#include "mapi_defs.h"

namespace uvmapi::maildir {

// An owned file descriptor, closed when it goes.
class Fd {
 public:
  Fd() = default;
  explicit Fd(int fd) : fd_(fd) {}
  ~Fd() { reset(); }
  Fd(Fd&& other) noexcept : fd_(other.release()) {}
  Fd& operator=(Fd&& other) noexcept;
  Fd(const Fd&) = delete;
  Fd& operator=(const Fd&) = delete;

  int get() const { return fd_; }
  explicit operator bool() const { return fd_ >= 0; }
  int release();
  void reset();

 private:
  int fd_ = -1;
};

// "path: reason" with the reason of errno (or of error).
std::string describe(const std::string& path, int error);

std::string join(const std::string& dir, const std::string& name);

// A directory's identity and modification time, to tell whether it changed.
struct DirStamp {
  std::uint64_t device = 0;
  std::uint64_t inode = 0;
  std::int64_t mtime_sec = 0;
  std::int64_t mtime_nsec = 0;
  std::int64_t size = 0;

  bool operator==(const DirStamp& other) const;
  bool operator!=(const DirStamp& other) const { return !(*this == other); }
};

HRESULT stamp_dir(const std::string& path, DirStamp& stamp);

// Wall-clock seconds and nanoseconds.
void now(std::int64_t& sec, std::int64_t& nsec);

// Creates path as a directory with mode 0700 (set with chmod, whatever the
// umask) when it is missing; an existing directory is left as it is.
HRESULT ensure_dir(const std::string& path);

// Fails unless path is missing or a directory.
HRESULT check_dir_or_missing(const std::string& path);

// Flushes a directory's entries (creations, renames, removals) to disk.
HRESULT sync_dir(const std::string& path);

// Creates dir/name exclusively with mode 0600 (set with fchmod), writes data
// and fsyncs it. On failure the file is removed again.
HRESULT write_new_file(const std::string& dir, const std::string& name, const std::string& data);

// One file for write_new_files.
struct NewFile {
  std::string dir;
  std::string name;
  const std::string* data;
};

// As write_new_file for several files, flushed together: all are written
// before the first fsync (and on Linux their writeback is started at once),
// so that the file system can commit them in one go instead of one after
// the other. When it returns S_OK every file's data is on disk; on failure
// every file it created is removed again.
HRESULT write_new_files(const std::vector<NewFile>& files);

// Reads a whole regular file. The errno of a failed open is left in error
// (ENOENT lets callers tell "gone" from "unreadable").
HRESULT read_file(const std::string& path, std::string& data, int& error);

// Opens (creating it with mode 0600 if missing) a file used only for locks.
HRESULT open_lock_file(const std::string& path, Fd& fd);

// Names in a directory, without "." and "..", and without names that start
// with a dot (Maildir readers skip those too).
HRESULT list_dir(const std::string& path, std::vector<std::string>& names);

// A new Maildir file name, unique across processes, hosts and restarts:
//   <seconds>.M<microseconds>P<pid>Q<counter>R<random>.<host>
// Within a process the time part never goes backwards, even when the clock
// does, so names sort in the order they were made.
std::string unique_name();

// The part of a Maildir file name before its ":2,FLAGS" info.
std::string base_of(const std::string& file_name);

// True for names unique_name makes (the form, not the host).
bool is_own_name(const std::string& base);

// Where a name sorts in arrival order: seconds, microseconds, pid, counter,
// then the name itself. Names of other programs sort by their leading
// seconds (or fallback_sec when they have none) and then by name.
struct ArrivalKey {
  std::uint64_t sec = 0;
  std::uint64_t usec = 0;
  std::uint64_t pid = 0;
  std::uint64_t counter = 0;
  std::string name;

  bool operator<(const ArrivalKey& other) const;
};

ArrivalKey arrival_key(const std::string& base, std::uint64_t fallback_sec);
bool has_leading_seconds(const std::string& base);

}  // namespace uvmapi::maildir

#endif
