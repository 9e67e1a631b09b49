// uvmapi: the command-line tool of uvmapi. `uvmapi --help` lists the
// commands; docs/cli.md is the reference.
#include <cstdio>
#include <cstring>
#include <exception>
#include <string>
#include <vector>

#include "cli/cli.h"
#include "uvmapi/version.h"

using namespace uvmapi::cli;

namespace {

const Command kCommands[] = {
    {"init", "create a durable store (Maildir Inbox, Outbox, Sent)", kInitHelp, run_init},
    {"submit", "put a message into a store's Outbox", kSubmitHelp, run_submit},
    {"status", "show a store's folders, queue and spooler", kStatusHelp, run_status},
    {"run", "spool a store through the shared directory or SMTP", kRunHelp, run_run},
};

void print_usage(std::FILE* out) {
  std::fputs(
      "Usage: uvmapi <command> [options] [arguments]\n"
      "\n"
      "A message store on disk and its spooler, with MAPI's store logoff.\n"
      "\n"
      "Commands:\n",
      out);
  for (const auto& command : kCommands) {
    std::fprintf(out, "  %-8s %s\n", command.name, command.summary);
  }
  std::fputs(
      "\n"
      "Options:\n"
      "  -h, --help     show this help; 'uvmapi <command> --help' shows a command's\n"
      "  --version      show the version\n"
      "\n"
      "Exit codes: 0 success, 1 failure (nothing was changed unless the command\n"
      "says so), 2 bad command line (nothing was changed).\n"
      "\n"
      "Example:\n"
      "  uvmapi init ~/mail/alice\n"
      "  uvmapi submit ~/mail/alice --from alice --to bob message.eml\n"
      "  uvmapi run ~/mail/alice --address alice --shared-root ~/mail/shared\n"
      "  uvmapi status ~/mail/alice --json\n",
      out);
}

}  // namespace

int main(int argc, char** argv) {
  std::vector<std::string> args(argv + 1, argv + argc);
  if (args.empty()) {
    std::fputs("uvmapi: missing command (try 'uvmapi --help')\n", stderr);
    return kExitUsage;
  }
  const std::string first = args.front();
  if (first == "-h" || first == "--help" || first == "help") {
    if (first == "help" && args.size() > 1) {
      for (const auto& command : kCommands) {
        if (args[1] == command.name) {
          std::fputs(command.help, stdout);
          return kExitOk;
        }
      }
      std::fprintf(stderr, "uvmapi: unknown command '%s' (try 'uvmapi --help')\n", args[1].c_str());
      return kExitUsage;
    }
    print_usage(stdout);
    return kExitOk;
  }
  if (first == "--version") {
    std::printf("uvmapi %d.%d.%d\n", UVMAPI_VERSION_MAJOR, UVMAPI_VERSION_MINOR,
                UVMAPI_VERSION_PATCH);
    return kExitOk;
  }
  const Command* command = nullptr;
  for (const auto& candidate : kCommands) {
    if (first == candidate.name) command = &candidate;
  }
  if (command == nullptr) {
    if (!first.empty() && first[0] == '-') {
      std::fprintf(stderr, "uvmapi: unknown option '%s' (try 'uvmapi --help')\n", first.c_str());
    } else {
      std::fprintf(stderr, "uvmapi: unknown command '%s' (try 'uvmapi --help')\n", first.c_str());
    }
    return kExitUsage;
  }
  args.erase(args.begin());
  try {
    return command->run(args);
  } catch (const UsageError& error) {
    std::fprintf(stderr, "uvmapi %s: %s (try 'uvmapi %s --help')\n", command->name, error.what(),
                 command->name);
    return kExitUsage;
  } catch (const CliError& error) {
    std::fprintf(stderr, "uvmapi %s: error: %s\n", command->name, error.what());
    return kExitFailure;
  } catch (const std::exception& error) {
    std::fprintf(stderr, "uvmapi %s: error: %s\n", command->name, error.what());
    return kExitFailure;
  }
}
