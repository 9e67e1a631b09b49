#include "postfix_server.h"

#include <glob.h>
#include <grp.h>
#include <pwd.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <stdexcept>
#include <thread>

#include "child_process.h"
#include "loopback.h"

namespace uvmapi::test::servers {

namespace {

using Clock = std::chrono::steady_clock;
using namespace std::chrono_literals;

constexpr auto kCommandTimeout = 60s;
constexpr auto kStartTimeout = 20s;
constexpr auto kStopTimeout = 10s;
constexpr auto kPollInterval = 5ms;

std::string postfix_binary() {
  return find_program("postfix");
}
std::string postconf_binary() {
  return find_program("postconf");
}
std::string saslpasswd2_binary() {
  return find_program("saslpasswd2");
}

// The directory of Postfix's daemons, as this Postfix was built.
std::string daemon_directory() {
  std::string postconf = postconf_binary();
  if (postconf.empty()) return "";
  CommandResult result = run_command({postconf, "-dh", "daemon_directory"}, 10s);
  if (result.exit_code != 0) return "";
  std::string dir = result.output;
  while (!dir.empty() && (dir.back() == '\n' || dir.back() == '\r')) dir.pop_back();
  return dir;
}

// True when a Cyrus SASL plugin whose file name starts with name is installed.
bool sasl_plugin_installed(const std::string& name) {
  for (const char* dir :
       {"/usr/lib/*/sasl2/", "/usr/lib/sasl2/", "/usr/lib64/sasl2/", "/usr/local/lib/sasl2/"}) {
    glob_t found;
    std::string pattern = std::string(dir) + name + "*";
    bool any = ::glob(pattern.c_str(), 0, nullptr, &found) == 0 && found.gl_pathc > 0;
    ::globfree(&found);
    if (any) return true;
  }
  return false;
}

// Postfix waits until a configuration file is a second or two old before it
// trusts it (in case an editor is still writing it), which would add up to
// two seconds to every start. The files are complete when written here, so
// they are simply dated back.
void date_back(const std::string& path) {
  struct timeval now;
  ::gettimeofday(&now, nullptr);
  struct timeval times[2] = {now, now};
  times[0].tv_sec -= 60;
  times[1].tv_sec -= 60;
  if (::utimes(path.c_str(), times) != 0) throw std::runtime_error("utimes " + path);
}

// True while some process of the group is alive (a zombie is not: it only
// waits to be reaped and holds no sockets).
bool group_alive(pid_t group) {
  if (::access("/proc/self/stat", R_OK) != 0) {
    return ::kill(-group, 0) == 0 || errno == EPERM;
  }
  for (const std::string& name : list_dir("/proc")) {
    if (name.empty() || name.find_first_not_of("0123456789") != std::string::npos) continue;
    std::string stat;
    if (!read_file("/proc/" + name + "/stat", stat)) continue;
    // "pid (comm) state ppid pgrp ...": comm may contain spaces and
    // parentheses, so parse from its last ')'.
    std::size_t close = stat.rfind(')');
    if (close == std::string::npos) continue;
    char state = 0;
    long ppid = 0, pgrp = 0;
    if (std::sscanf(stat.c_str() + close + 1, " %c %ld %ld", &state, &ppid, &pgrp) != 3) continue;
    if (pgrp == group && state != 'Z' && state != 'X') return true;
  }
  return false;
}

}  // namespace

bool PostfixServer::available(std::string& why) {
  if (::geteuid() != 0) {
    why = "Postfix needs root to start its master (this test runs as uid " +
          std::to_string(::geteuid()) + ")";
    return false;
  }
  if (postfix_binary().empty() || postconf_binary().empty()) {
    why = "Postfix is not installed (no postfix or postconf in PATH or /usr/sbin)";
    return false;
  }
  std::string daemons = daemon_directory();
  for (const char* daemon : {"master", "smtpd", "cleanup", "qmgr", "virtual", "postlogd"}) {
    if (daemons.empty() || ::access((daemons + "/" + daemon).c_str(), X_OK) != 0) {
      why = "Postfix daemon " + std::string(daemon) + " not found in '" + daemons + "'";
      return false;
    }
  }
  if (::getpwnam("postfix") == nullptr || ::getgrnam("postdrop") == nullptr) {
    why = "the postfix account or the postdrop group is missing";
    return false;
  }
  if (openssl_binary().empty()) {
    why = "the openssl command is not installed";
    return false;
  }
  return true;
}

bool PostfixServer::sasl_available(std::string& why) {
  if (saslpasswd2_binary().empty()) {
    why = "saslpasswd2 is not installed (Debian: sasl2-bin)";
    return false;
  }
  for (const char* plugin : {"libplain.so", "liblogin.so", "libsasldb.so"}) {
    if (!sasl_plugin_installed(plugin)) {
      why = std::string("Cyrus SASL plugin ") + plugin +
            " is not installed (Debian: libsasl2-modules, libsasl2-modules-db)";
      return false;
    }
  }
  return true;
}

PostfixServer::PostfixServer() : PostfixServer(Options{}) {}

PostfixServer::PostfixServer(Options options) : options_(options), dir_("uvmapi-postfix-") {
  std::string why;
  if (!available(why)) throw std::runtime_error(why);
  prepare();
}

PostfixServer::~PostfixServer() {
  try {
    stop();
  } catch (...) {
    // A destructor must not throw; stop() already killed what it could.
  }
}

void PostfixServer::prepare() {
  const struct passwd* postfix = ::getpwnam("postfix");
  const std::string& root = dir_.path();
  // The daemons run as the postfix account and must reach into the root.
  make_dir(root, 0755);

  std::vector<std::uint16_t> ports = free_loopback_ports(3);
  settings_.smtp_port = ports[0];
  settings_.starttls_port = ports[1];
  settings_.smtps_port = ports[2];
  settings_.config_dir = root + "/etc";
  settings_.queue_dir = root + "/spool";
  settings_.data_dir = root + "/data";
  settings_.mail_base = root + "/mail";
  settings_.log_file = root + "/maillog";
  settings_.log_prefix = root;
  settings_.mail_uid = postfix->pw_uid;
  settings_.mail_gid = postfix->pw_gid;
  settings_.require_auth = options_.require_auth;
  settings_.message_size_limit = options_.message_size_limit;

  make_dir(settings_.config_dir, 0755);
  // The queue's subdirectories, with their owners and modes, are made by
  // "postfix start" itself (post-install create-missing).
  make_dir(settings_.queue_dir, 0755);
  make_dir(settings_.data_dir, 0700);
  change_owner(settings_.data_dir, postfix->pw_uid, postfix->pw_gid);
  make_dir(settings_.mail_base, 0700);
  change_owner(settings_.mail_base, postfix->pw_uid, postfix->pw_gid);

  const std::string tls_dir = root + "/tls";
  make_dir(tls_dir, 0755);
  pki_ = make_test_pki(tls_dir);
  settings_.cert_file = pki_.server_cert_file;
  settings_.key_file = pki_.server_key_file;

  if (sasl_available(sasl_why_)) write_sasl_account();
  write_configuration();
}

void PostfixServer::write_sasl_account() {
  const struct group* postfix_group = ::getgrgid(settings_.mail_gid);
  settings_.sasl_dir = settings_.config_dir + "/sasl";
  settings_.sasl_db = settings_.sasl_dir + "/sasldb2";
  make_dir(settings_.sasl_dir, 0755);
  const std::string user = kSaslUser;
  const std::size_t at = user.find('@');
  std::vector<std::string> argv = {saslpasswd2_binary(),
                                   "-p",  // The password comes from stdin.
                                   "-c",
                                   "-f",
                                   settings_.sasl_db,
                                   "-u",
                                   user.substr(at + 1),
                                   user.substr(0, at)};
  CommandResult result = run_command(argv, kCommandTimeout, kSaslPassword);
  if (result.exit_code != 0) throw std::runtime_error("SASL account: " + describe(argv, result));
  // smtpd reads the database after it has dropped root privileges.
  change_owner(settings_.sasl_db, 0, postfix_group ? postfix_group->gr_gid : settings_.mail_gid);
  ::chmod(settings_.sasl_db.c_str(), 0640);
  write_file(settings_.sasl_dir + "/smtpd.conf", sasl_smtpd_conf(settings_));
}

void PostfixServer::write_configuration() {
  const std::string main_cf = settings_.config_dir + "/main.cf";
  const std::string master_cf = settings_.config_dir + "/master.cf";
  write_file(main_cf, postfix_main_cf(settings_));
  write_file(master_cf, postfix_master_cf(settings_));
  date_back(main_cf);
  date_back(master_cf);
}

std::vector<std::string> PostfixServer::postfix_command(const std::string& verb) const {
  return {postfix_binary(), "-c", settings_.config_dir, verb};
}

pid_t PostfixServer::master_pid() const {
  std::string text;
  if (!read_file(settings_.queue_dir + "/pid/master.pid", text)) return -1;
  long pid = std::strtol(text.c_str(), nullptr, 10);
  return pid > 0 ? static_cast<pid_t>(pid) : -1;
}

void PostfixServer::start() {
  if (running_) return;
  const auto started = Clock::now();
  std::vector<std::string> argv = postfix_command("start");
  CommandResult result = run_command(argv, kCommandTimeout);
  if (result.exit_code != 0) {
    std::string text = describe(argv, result) + "; log: " + log();
    stop();
    throw std::runtime_error("Postfix did not start: " + text);
  }
  running_ = true;
  auto alive = [this] {
    pid_t pid = master_pid();
    return pid > 0 && ::kill(pid, 0) == 0;
  };
  std::string reply;
  for (std::uint16_t port : {smtp_port(), starttls_port()}) {
    if (!wait_for_smtp_answer(port, kStartTimeout, alive, reply) ||
        reply.compare(0, 4, "220 ") != 0) {
      std::string text = "port " + std::to_string(port) + ": " + reply + "; log: " + log();
      stop();
      throw std::runtime_error("Postfix did not answer: " + text);
    }
  }
  if (!wait_for_listener(smtps_port(), kStartTimeout, alive, reply)) {
    std::string text = reply + "; log: " + log();
    stop();
    throw std::runtime_error("Postfix did not listen: " + text);
  }
  last_start_ = std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - started);
}

void PostfixServer::stop() {
  pid_t master = master_pid();
  if (master > 0 && group_alive(master)) {
    // "postfix abort" sends the master the same SIGTERM as "postfix stop"
    // (the master then terminates its children and itself), but leaves the
    // waiting to us: "postfix stop" checks once, then sleeps a whole second,
    // which made every other stop a second slower. The exit status is not
    // checked: it fails when the master has died already, and what matters
    // is below: that nothing is left.
    run_command(postfix_command("abort"), kCommandTimeout);
    wait_group_gone(master);
  }
  running_ = false;
}

void PostfixServer::wait_group_gone(pid_t group) {
  // The master runs in its own session and process group (it calls
  // setsid), so the group id is its pid. Its children (smtpd) hold the
  // listening sockets too, so the ports are free only when all are gone.
  const auto deadline = Clock::now() + kStopTimeout;
  while (group_alive(group)) {
    if (Clock::now() >= deadline) {
      ::kill(-group, SIGKILL);
      const auto kill_deadline = Clock::now() + kStopTimeout;
      while (group_alive(group) && Clock::now() < kill_deadline) {
        std::this_thread::sleep_for(kPollInterval);
      }
      return;
    }
    std::this_thread::sleep_for(kPollInterval);
  }
}

std::vector<DeliveredMessage> PostfixServer::delivered() const {
  return read_maildir(maildir());
}

std::vector<DeliveredMessage> PostfixServer::wait_for_delivered(
    std::size_t count, std::chrono::milliseconds timeout) const {
  const auto deadline = Clock::now() + timeout;
  for (;;) {
    std::vector<DeliveredMessage> found = delivered();
    if (found.size() >= count || Clock::now() >= deadline) return found;
    std::this_thread::sleep_for(kPollInterval);
  }
}

void PostfixServer::clear_delivered() {
  for (const DeliveredMessage& message : delivered()) std::remove(message.file.c_str());
}

std::string PostfixServer::log() const {
  std::string text;
  read_file(settings_.log_file, text);
  return text;
}

}  // namespace uvmapi::test::servers
