// The `uvmapi` command: shared declarations of its subcommands.
//
// Errors travel as exceptions inside the tool only: UsageError for what the
// user typed (exit 2), CliError for what went wrong while doing it (exit 1).
// main() turns them into one line on stderr. docs/cli.md is the reference.
#ifndef UVMAPI_CPP_CLI_CLI_H
#define UVMAPI_CPP_CLI_CLI_H

#include <cstdint>
#include <map>
#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

#include "mapi_defs.h"

namespace uvmapi {
class MaildirStore;
}

namespace uvmapi::cli {

constexpr int kExitOk = 0;
constexpr int kExitFailure = 1;
constexpr int kExitUsage = 2;

// A bad command line: unknown command or option, missing or bad argument.
class UsageError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// A failure while running a valid command (missing store, bad message, ...).
class CliError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// ---- Arguments (args.cpp) -----------------------------------------------------

struct OptionSpec {
  const char* name;  // Without the leading "--".
  bool takes_value;
  bool repeatable;
};

struct ParsedArgs {
  bool help = false;
  std::vector<std::string> positionals;
  std::map<std::string, std::vector<std::string>> options;

  bool has(const std::string& name) const { return options.count(name) > 0; }
  // The value of a single-valued option, or fallback when absent.
  std::string value(const std::string& name, const std::string& fallback = "") const;
  const std::vector<std::string>& values(const std::string& name) const;
};

// Parses args (after the command name). "--name value", "--name=value",
// "-h"/"--help" and "--" (end of options) are understood; a lone "-" is a
// positional (stdin). Throws UsageError.
ParsedArgs parse_args(const std::vector<std::string>& args, const std::vector<OptionSpec>& specs);

// Throws UsageError unless there are between min and max positionals; what
// names them for the message ("DIR", "DIR and FILE").
void expect_positionals(const ParsedArgs& parsed, std::size_t min, std::size_t max,
                        const char* what);

// Whole-number option values; throw UsageError naming the option.
std::uint64_t parse_unsigned(const std::string& option, const std::string& text, std::uint64_t min,
                             std::uint64_t max);
// Seconds with an optional fraction ("2", "0.5"); at most max_seconds.
std::uint64_t parse_seconds_ms(const std::string& option, const std::string& text,
                               double max_seconds);

// ---- Stores and addresses (common.cpp) ------------------------------------------

// Throws CliError unless dir holds a store made by `uvmapi init` (every
// folder's new/ directory present). Never creates anything.
void require_store(const std::string& dir);

// Whether dir holds the three folders of a store.
bool is_store(const std::string& dir);

// Opens the store at dir (which require_store accepted). Throws CliError.
std::unique_ptr<MaildirStore> open_store_dir(const std::string& dir);

// Throws UsageError unless address can name a mailbox under a shared root.
void check_address(const std::string& option, const std::string& address);

// The five logoff modes by their command-line names (no-wait, orderly,
// purge, abort, quiet). Throws UsageError for any other name.
std::uint32_t parse_logoff_mode(const std::string& text);
const char* logoff_mode_name(std::uint32_t mode);

// Activity bits as a short form: "I|O|Q", or "idle".
std::string activity_short(std::uint32_t bits);

// A JSON string literal (quotes included).
std::string json_string(const std::string& text);

// "uvmapi: <hr name>: <last error message>" material for CliError.
std::string core_error(const std::string& what, HRESULT hr);

// Prints a line on stdout and flushes it, so a pipe sees progress at once.
void say(const std::string& line);

// ---- Commands ---------------------------------------------------------------------

struct Command {
  const char* name;
  const char* summary;
  const char* help;
  int (*run)(const std::vector<std::string>& args);
};

int run_init(const std::vector<std::string>& args);
int run_submit(const std::vector<std::string>& args);
int run_status(const std::vector<std::string>& args);
int run_run(const std::vector<std::string>& args);

extern const char* const kInitHelp;
extern const char* const kSubmitHelp;
extern const char* const kStatusHelp;
extern const char* const kRunHelp;

// Prints help to stdout when parsed.help is set; returns whether it did.
bool print_help_if_asked(const ParsedArgs& parsed, const char* help);

// ---- Messages (message_check.cpp) ---------------------------------------------------

// The largest message `submit` accepts (the shared-directory transport's default limit).
constexpr std::size_t kMaxMessageBytes = std::size_t{64} << 20;

// Throws CliError unless content looks like an RFC 5322 message: header
// fields "Name: value" (folded lines allowed), then an empty line and the
// body, or the end; CRLF or LF line ends; no NUL or other binary bytes in
// the header, no NUL in the body.
void check_message(const std::string& content, const std::string& source);

}  // namespace uvmapi::cli

#endif
