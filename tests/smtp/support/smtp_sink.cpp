#include "smtp_sink.h"

#include <pwd.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <stdexcept>
#include <thread>

#include "loopback.h"

namespace uvmapi::test::servers {

namespace {

using Clock = std::chrono::steady_clock;
using namespace std::chrono_literals;

constexpr auto kStartTimeout = 10s;
constexpr auto kPollInterval = 5ms;

// The unprivileged account smtp-sink switches to when started as root: the
// Postfix account when there is one (it comes with smtp-sink), else nobody.
const struct passwd* sink_user() {
  if (const struct passwd* pw = ::getpwnam("postfix")) return pw;
  return ::getpwnam("nobody");
}

std::string inode_key(const struct stat& st) {
  return std::to_string(static_cast<unsigned long long>(st.st_dev)) + ":" +
         std::to_string(static_cast<unsigned long long>(st.st_ino));
}

bool contains(const std::vector<std::string>& keys, const std::string& key) {
  return std::find(keys.begin(), keys.end(), key) != keys.end();
}

// The modification time; the field has another name on macOS.
struct timespec mtime_of(const struct stat& st) {
#ifdef __APPLE__
  return st.st_mtimespec;
#else
  return st.st_mtim;
#endif
}

struct DumpFile {
  std::string path;
  struct timespec mtime;
};

}  // namespace

std::string SmtpSink::binary() {
  return find_program("smtp-sink", {"/usr/sbin", "/usr/local/sbin", "/opt/homebrew/sbin"});
}

std::string SmtpSink::smtp_source_binary() {
  return find_program("smtp-source", {"/usr/sbin", "/usr/local/sbin", "/opt/homebrew/sbin"});
}

bool SmtpSink::available(std::string& why) {
  if (binary().empty()) {
    why = "smtp-sink (Postfix) is not installed (not in PATH, /usr/sbin or /usr/local/sbin)";
    return false;
  }
  if (::geteuid() == 0 && sink_user() == nullptr) {
    why = "running as root, but there is neither a postfix nor a nobody account for smtp-sink -u";
    return false;
  }
  return true;
}

SmtpSink::SmtpSink(std::vector<std::string> options)
    : dir_("uvmapi-smtp-sink-"), binary_(binary()), options_(std::move(options)) {
  std::string why;
  if (!available(why)) throw std::runtime_error(why);
  // The directory must be reachable by the account smtp-sink runs as, and
  // the dump directory writable by it.
  make_dir(dir_.path(), 0755);
  make_dir(dump_dir(), 0755);
  if (::geteuid() == 0) {
    const struct passwd* pw = sink_user();
    change_owner(dump_dir(), pw->pw_uid, pw->pw_gid);
  }
  port_ = free_loopback_port();
  start_process();
}

SmtpSink::~SmtpSink() {
  try {
    stop();
  } catch (...) {
    // A destructor must not throw; the process is reaped by ChildProcess.
  }
}

void SmtpSink::start_process() {
  std::vector<std::string> argv = {binary_};
  bool has_user = std::find(options_.begin(), options_.end(), "-u") != options_.end();
  if (::geteuid() == 0 && !has_user) {
    argv.push_back("-u");
    argv.push_back(sink_user()->pw_name);
  }
  bool has_counters = std::find(options_.begin(), options_.end(), "-c") != options_.end();
  for (std::size_t i = 0; i < options_.size(); ++i) {
    argv.push_back(options_[i]);
    if (options_[i] == "-n" && i + 1 < options_.size()) {
      // smtp-sink counts sessions for -n only when it also shows counters
      // (-c), and only sessions that end with QUIT. The readiness probe
      // below is one such session; count it so "-n N" still means N
      // sessions of the test.
      argv.push_back(std::to_string(std::stol(options_[++i]) + 1));
      if (!has_counters) {
        argv.push_back("-c");
        has_counters = true;
      }
    }
  }
  // No strftime fields in the template: all dumps go into one directory,
  // named "msg." plus smtp-sink's random suffix.
  argv.push_back("-d");
  argv.push_back(dump_dir() + "/msg.");
  argv.push_back(std::string("inet:") + host() + ":" + std::to_string(port_));
  argv.push_back("64");
  process_.start(argv, dir_.join("smtp-sink.log"));

  std::string reply;
  if (!wait_for_smtp_answer(
          port_, kStartTimeout, [this] { return process_.running(); }, reply)) {
    process_.stop();
    throw std::runtime_error("smtp-sink did not start: " + reply + "; log: " + log());
  }
}

void SmtpSink::stop() {
  if (!process_.running()) return;
  // Freeze smtp-sink first, so no transaction can finish between noting the
  // unfinished ones and ending the process.
  std::vector<std::string> unfinished;
  bool known = process_.freeze() && open_dumps(unfinished);
  process_.stop();
  if (!known) return;
  for (const std::string& name : list_dir(dump_dir())) {
    std::string path = dump_dir() + "/" + name;
    struct stat st;
    if (::stat(path.c_str(), &st) == 0 && contains(unfinished, inode_key(st))) {
      std::remove(path.c_str());
    }
  }
}

void SmtpSink::restart() {
  stop();
  start_process();
}

void SmtpSink::restart(std::vector<std::string> options) {
  stop();
  options_ = std::move(options);
  start_process();
}

bool SmtpSink::running() {
  return process_.running();
}

bool SmtpSink::open_dumps(std::vector<std::string>& keys) const {
  // Linux shows a process's open files under /proc/<pid>/fd; elsewhere this
  // is unknown and messages() falls back on the file's own shape.
  std::string fd_dir = "/proc/" + std::to_string(process_.pid()) + "/fd";
  if (process_.pid() < 0 || ::access(fd_dir.c_str(), R_OK) != 0) return false;
  for (const std::string& fd : list_dir(fd_dir)) {
    struct stat st;
    if (::stat((fd_dir + "/" + fd).c_str(), &st) == 0 && S_ISREG(st.st_mode)) {
      keys.push_back(inode_key(st));
    }
  }
  return true;
}

std::vector<DumpedMessage> SmtpSink::messages() {
  // List first, then ask which files are still open: a file that was closed
  // in between is complete, and one created in between is not listed.
  std::vector<DumpFile> files;
  for (const std::string& name : list_dir(dump_dir())) {
    std::string path = dump_dir() + "/" + name;
    struct stat st;
    if (::stat(path.c_str(), &st) == 0 && S_ISREG(st.st_mode))
      files.push_back({path, mtime_of(st)});
  }
  std::vector<std::string> unfinished;
  bool known = process_.running() && open_dumps(unfinished);

  std::sort(files.begin(), files.end(), [](const DumpFile& a, const DumpFile& b) {
    if (a.mtime.tv_sec != b.mtime.tv_sec) return a.mtime.tv_sec < b.mtime.tv_sec;
    if (a.mtime.tv_nsec != b.mtime.tv_nsec) return a.mtime.tv_nsec < b.mtime.tv_nsec;
    return a.path < b.path;
  });
  std::vector<DumpedMessage> out;
  for (const DumpFile& file : files) {
    struct stat st;
    if (::stat(file.path.c_str(), &st) != 0) continue;  // Removed by RSET meanwhile.
    if (known && contains(unfinished, inode_key(st))) continue;
    std::string bytes;
    if (!read_file(file.path, bytes)) continue;
    DumpedMessage message;
    std::string why;
    if (!parse_sink_dump(bytes, message, why)) {
      // A closed dump that does not parse means smtp-sink's format changed.
      if (known) throw std::runtime_error("unreadable smtp-sink dump " + file.path + ": " + why);
      // Otherwise (no /proc, or a sink that ended by itself amid a
      // transaction) an unfinished dump cannot be told apart: skip it.
      continue;
    }
    message.file = file.path;
    out.push_back(std::move(message));
  }
  return out;
}

std::vector<DumpedMessage> SmtpSink::wait_for_messages(std::size_t count,
                                                       std::chrono::milliseconds timeout) {
  const auto deadline = Clock::now() + timeout;
  for (;;) {
    std::vector<DumpedMessage> found = messages();
    if (found.size() >= count || Clock::now() >= deadline) return found;
    std::this_thread::sleep_for(kPollInterval);
  }
}

void SmtpSink::clear_messages() {
  for (const DumpedMessage& message : messages()) std::remove(message.file.c_str());
}

std::string SmtpSink::log() const {
  std::string text;
  read_file(dir_.join("smtp-sink.log"), text);
  return text;
}

}  // namespace uvmapi::test::servers
