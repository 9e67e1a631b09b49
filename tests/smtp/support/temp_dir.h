// A private scratch directory per server fixture, and the few file helpers the
// fixtures need. Each server keeps its configuration, spool, keys and logs in
// its own directory so tests never share state, and the directory goes away
// with the fixture so a test run leaves nothing behind.
#ifndef UVMAPI_TESTS_SMTP_SUPPORT_TEMP_DIR_H
#define UVMAPI_TESTS_SMTP_SUPPORT_TEMP_DIR_H

#include <sys/types.h>

#include <string>
#include <vector>

namespace uvmapi::test::servers {

class TempDir {
 public:
  // Creates a fresh directory under $TMPDIR (or /tmp) whose name starts with
  // prefix. Throws std::runtime_error when that is impossible.
  explicit TempDir(const std::string& prefix);
  // Removes the directory and everything in it, unless the environment
  // variable UVMAPI_KEEP_SERVER_DIRS=1 asks to keep it for a post-mortem.
  ~TempDir();
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;

  const std::string& path() const { return path_; }
  // path() + "/" + name.
  std::string join(const std::string& name) const { return path_ + "/" + name; }

 private:
  std::string path_;
};

// Writes content to path (replacing it) with the given mode; throws on failure.
void write_file(const std::string& path, const std::string& content, mode_t mode = 0644);
// The whole file; false when it cannot be read (missing, unreadable).
bool read_file(const std::string& path, std::string& content);
// Creates a directory (the parent must exist); an existing one is fine.
void make_dir(const std::string& path, mode_t mode);
// Changes owner and group; throws on failure.
void change_owner(const std::string& path, uid_t uid, gid_t gid);
// The names in a directory, without "." and ".."; empty when it is missing.
std::vector<std::string> list_dir(const std::string& dir);
// Removes a file or a whole tree; missing paths are fine.
void remove_tree(const std::string& path);
// The environment variable's value, or "" when it is not set.
std::string env_or_empty(const char* name);

}  // namespace uvmapi::test::servers

#endif
