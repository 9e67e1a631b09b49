// Helpers the `uvmapi` subcommands share: stores, addresses, modes, output.
#include <sys/stat.h>

#include <cerrno>
#include <cstdio>
#include <cstring>

#include "cli/cli.h"
#include "error.h"
#include "mailbox_dir.h"
#include "maildir_store.h"

namespace uvmapi::cli {

namespace {

constexpr Folder kFolders[] = {Folder::Inbox, Folder::Outbox, Folder::SentItems};

bool is_dir(const std::string& path) {
  struct stat st {};
  return ::stat(path.c_str(), &st) == 0 && S_ISDIR(st.st_mode);
}

}  // namespace

bool is_store(const std::string& dir) {
  for (Folder folder : kFolders) {
    const std::string base = dir + "/" + MaildirStore::folder_dir(folder);
    if (!is_dir(base + "/new") || !is_dir(base + "/cur") || !is_dir(base + "/tmp")) return false;
  }
  return true;
}

void require_store(const std::string& dir) {
  struct stat st {};
  if (::stat(dir.c_str(), &st) != 0) {
    if (errno == ENOENT) {
      throw CliError("no store at " + dir + " (create one with 'uvmapi init " + dir + "')");
    }
    throw CliError("cannot reach the store at " + dir + ": " + std::strerror(errno));
  }
  if (!S_ISDIR(st.st_mode)) throw CliError(dir + " is not a directory, so not a store");
  if (!is_store(dir)) {
    throw CliError(dir + " is not a uvmapi store (no Inbox, Outbox and Sent folders); create one " +
                   "with 'uvmapi init " + dir + "'");
  }
}

std::unique_ptr<MaildirStore> open_store_dir(const std::string& dir) {
  std::unique_ptr<MaildirStore> store;
  if (HRESULT opened = MaildirStore::open(dir, store); failed(opened)) {
    throw CliError(core_error("cannot open the store at " + dir, opened));
  }
  return store;
}

void check_address(const std::string& option, const std::string& address) {
  std::string why;
  if (mailbox::mailbox_name(address, why).empty()) {
    throw UsageError("option '--" + option + "': '" + address + "' is not a usable address (" +
                     why + ")");
  }
}

namespace {

const struct {
  const char* name;
  std::uint32_t flag;
} kModes[] = {
    {"no-wait", LOGOFF_NO_WAIT}, {"orderly", LOGOFF_ORDERLY}, {"purge", LOGOFF_PURGE},
    {"abort", LOGOFF_ABORT},     {"quiet", LOGOFF_QUIET},
};

}  // namespace

std::uint32_t parse_logoff_mode(const std::string& text) {
  std::string lower;
  for (char c : text) lower += (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c;
  if (lower == "no_wait" || lower == "nowait") lower = "no-wait";
  for (const auto& mode : kModes) {
    if (lower == mode.name) return mode.flag;
  }
  throw UsageError("option '--logoff': unknown mode '" + text +
                   "' (use no-wait, orderly, purge, abort or quiet)");
}

const char* logoff_mode_name(std::uint32_t mode) {
  for (const auto& entry : kModes) {
    if (entry.flag == mode) return entry.name;
  }
  return "?";
}

std::string activity_short(std::uint32_t bits) {
  std::string out;
  if (bits & LOGOFF_INBOUND) out += "I";
  if (bits & LOGOFF_OUTBOUND) out += out.empty() ? "O" : "|O";
  if (bits & LOGOFF_OUTBOUND_QUEUE) out += out.empty() ? "Q" : "|Q";
  return out.empty() ? "idle" : out;
}

std::string json_string(const std::string& text) {
  std::string out = "\"";
  for (unsigned char c : text) {
    switch (c) {
      case '"':
        out += "\\\"";
        break;
      case '\\':
        out += "\\\\";
        break;
      case '\n':
        out += "\\n";
        break;
      case '\r':
        out += "\\r";
        break;
      case '\t':
        out += "\\t";
        break;
      default:
        if (c < 0x20 || c == 0x7f) {
          char escaped[8];
          std::snprintf(escaped, sizeof escaped, "\\u%04x", c);
          out += escaped;
        } else {
          out += static_cast<char>(c);
        }
    }
  }
  return out + "\"";
}

std::string core_error(const std::string& what, HRESULT hr) {
  const std::string& message = last_error_message();
  return what + ": " + (message.empty() ? hresult_name(hr) : message);
}

void say(const std::string& line) {
  std::fputs(line.c_str(), stdout);
  std::fputc('\n', stdout);
  std::fflush(stdout);
}

bool print_help_if_asked(const ParsedArgs& parsed, const char* help) {
  if (!parsed.help) return false;
  std::fputs(help, stdout);
  std::fflush(stdout);
  return true;
}

}  // namespace uvmapi::cli
