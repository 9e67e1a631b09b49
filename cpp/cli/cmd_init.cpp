// uvmapi init DIR [--shared-root ROOT --address ADDR]
#include <dirent.h>
#include <sys/stat.h>

#include <cerrno>
#include <cstring>

#include "cli/cli.h"
#include "maildir_store.h"
#include "shared_dir_transport.h"

namespace uvmapi::cli {

const char* const kInitHelp =
    "Usage: uvmapi init DIR [--shared-root ROOT --address ADDR]\n"
    "\n"
    "Creates a durable message store at DIR: the Maildir folders Inbox, Outbox\n"
    "and Sent (each with tmp/, new/, cur/ and envelopes/), private to the user.\n"
    "DIR's parent must exist. An existing store is left as it is (and said so);\n"
    "an existing directory that is not empty and holds no store is refused.\n"
    "\n"
    "Options:\n"
    "  --shared-root ROOT  also create the mailbox of --address under the shared\n"
    "                      root ROOT (ROOT is created if missing; its parent must\n"
    "                      exist), so other stores can send to it before its\n"
    "                      first 'uvmapi run'\n"
    "  --address ADDR      the address whose mailbox to create (with --shared-root)\n"
    "  -h, --help          show this help\n"
    "\n"
    "Exit codes: 0 created or already there, 1 failure, 2 bad command line.\n"
    "\n"
    "Examples:\n"
    "  uvmapi init ~/mail/alice\n"
    "  uvmapi init ~/mail/bob --shared-root ~/mail/shared --address bob\n";

namespace {

// What is at dir: nothing, a store, an empty or partial store directory, or
// something else.
enum class Found { Missing, Store, Usable, Foreign };

Found inspect(const std::string& dir) {
  struct stat st {};
  if (::lstat(dir.c_str(), &st) != 0) {
    if (errno == ENOENT || errno == ENOTDIR) return Found::Missing;
    throw CliError("cannot look at " + dir + ": " + std::strerror(errno));
  }
  if (S_ISLNK(st.st_mode) && ::stat(dir.c_str(), &st) != 0) {
    throw CliError(dir + " is a dangling symbolic link");
  }
  if (!S_ISDIR(st.st_mode)) throw CliError(dir + " exists and is not a directory");
  if (is_store(dir)) return Found::Store;
  DIR* listing = ::opendir(dir.c_str());
  if (listing == nullptr) throw CliError("cannot read " + dir + ": " + std::strerror(errno));
  bool empty = true;
  bool partial = false;
  while (dirent* entry = ::readdir(listing)) {
    const std::string name = entry->d_name;
    if (name == "." || name == "..") continue;
    if (name == "Inbox" || name == "Outbox" || name == "Sent" || name == ".openers" ||
        name == ".openers.guard" || name == ".spooler") {
      partial = true;
    } else {
      empty = false;
    }
  }
  ::closedir(listing);
  // A store cut short (by a crash or an older version) is completed; a
  // directory with other things in it is not taken over.
  return empty || partial ? Found::Usable : Found::Foreign;
}

std::string parent_of(const std::string& dir) {
  std::string trimmed = dir;
  while (trimmed.size() > 1 && trimmed.back() == '/') trimmed.pop_back();
  auto slash = trimmed.rfind('/');
  if (slash == std::string::npos) return ".";
  return slash == 0 ? "/" : trimmed.substr(0, slash);
}

}  // namespace

int run_init(const std::vector<std::string>& args) {
  const ParsedArgs parsed =
      parse_args(args, {{"shared-root", true, false}, {"address", true, false}});
  if (print_help_if_asked(parsed, kInitHelp)) return kExitOk;
  expect_positionals(parsed, 1, 1, "DIR");
  const std::string dir = parsed.positionals[0];
  const std::string root = parsed.value("shared-root");
  const std::string address = parsed.value("address");
  if (parsed.has("shared-root") != parsed.has("address")) {
    throw UsageError(parsed.has("address") ? "--address needs --shared-root"
                                           : "--shared-root needs --address");
  }
  if (!address.empty()) check_address("address", address);

  // Everything that can be checked is checked before anything is created.
  const Found found = inspect(dir);
  if (found == Found::Foreign) {
    throw CliError(dir + " is not empty and holds no store; not creating one there");
  }
  if (found == Found::Missing) {
    struct stat st {};
    const std::string parent = parent_of(dir);
    if (::stat(parent.c_str(), &st) != 0 || !S_ISDIR(st.st_mode)) {
      throw CliError("cannot create the store at " + dir + ": its parent " + parent +
                     " is not an existing directory");
    }
  }
  if (!root.empty()) {
    struct stat st {};
    const std::string parent = parent_of(root);
    if (::stat(root.c_str(), &st) == 0
            ? !S_ISDIR(st.st_mode)
            : (::stat(parent.c_str(), &st) != 0 || !S_ISDIR(st.st_mode))) {
      throw CliError("cannot use the shared root " + root +
                     ": it is not a directory, nor can it be created in an existing one");
    }
  }

  if (found != Found::Store) {
    std::unique_ptr<MaildirStore> store = open_store_dir(dir);
    say("created a store at " + dir + " (folders Inbox, Outbox, Sent)");
  } else {
    say(dir + " is already a store; left as it is");
  }
  if (!root.empty()) {
    if (HRESULT made = SharedDirTransportProvider::create_mailbox(root, address); failed(made)) {
      throw CliError(
          core_error("cannot create the mailbox of '" + address + "' under " + root, made));
    }
    say("mailbox of '" + address + "' ready under " + root);
  }
  return kExitOk;
}

}  // namespace uvmapi::cli
