// Command-line parsing for the `uvmapi` subcommands.
#include <cerrno>
#include <cmath>
#include <cstdio>
#include <cstdlib>

#include "cli/cli.h"

namespace uvmapi::cli {

std::string ParsedArgs::value(const std::string& name, const std::string& fallback) const {
  auto it = options.find(name);
  if (it == options.end() || it->second.empty()) return fallback;
  return it->second.back();
}

const std::vector<std::string>& ParsedArgs::values(const std::string& name) const {
  static const std::vector<std::string> kNone;
  auto it = options.find(name);
  return it == options.end() ? kNone : it->second;
}

ParsedArgs parse_args(const std::vector<std::string>& args, const std::vector<OptionSpec>& specs) {
  ParsedArgs parsed;
  // Help wins over anything else on the line, even a mistake.
  for (const auto& arg : args) {
    if (arg == "--") break;
    if (arg == "-h" || arg == "--help") {
      parsed.help = true;
      return parsed;
    }
  }
  bool options_done = false;
  for (std::size_t i = 0; i < args.size(); ++i) {
    const std::string& arg = args[i];
    if (options_done || arg == "-" || arg.empty() || arg[0] != '-') {
      parsed.positionals.push_back(arg);
      continue;
    }
    if (arg == "--") {
      options_done = true;
      continue;
    }
    if (arg.size() < 3 || arg[1] != '-') {
      throw UsageError("unknown option '" + arg + "'");
    }
    std::string name = arg.substr(2);
    std::string value;
    bool inline_value = false;
    if (auto eq = name.find('='); eq != std::string::npos) {
      value = name.substr(eq + 1);
      name = name.substr(0, eq);
      inline_value = true;
    }
    const OptionSpec* spec = nullptr;
    for (const auto& candidate : specs) {
      if (name == candidate.name) spec = &candidate;
    }
    if (spec == nullptr) throw UsageError("unknown option '--" + name + "'");
    if (!spec->takes_value) {
      if (inline_value) throw UsageError("option '--" + name + "' takes no value");
      value.clear();
    } else if (!inline_value) {
      if (i + 1 >= args.size()) throw UsageError("option '--" + name + "' needs a value");
      value = args[++i];
    }
    if (spec->takes_value && value.empty()) {
      throw UsageError("option '--" + name + "' needs a non-empty value");
    }
    auto& slot = parsed.options[name];
    if (!slot.empty() && !spec->repeatable) {
      throw UsageError("option '--" + name + "' given more than once");
    }
    slot.push_back(value);
  }
  return parsed;
}

void expect_positionals(const ParsedArgs& parsed, std::size_t min, std::size_t max,
                        const char* what) {
  const std::size_t n = parsed.positionals.size();
  if (n < min) throw UsageError(std::string("missing ") + what);
  if (n > max) {
    throw UsageError("unexpected argument '" + parsed.positionals[max] + "' (expected " + what +
                     ")");
  }
}

std::uint64_t parse_unsigned(const std::string& option, const std::string& text, std::uint64_t min,
                             std::uint64_t max) {
  bool digits = !text.empty();
  for (char c : text) digits = digits && c >= '0' && c <= '9';
  errno = 0;
  unsigned long long value = digits ? std::strtoull(text.c_str(), nullptr, 10) : 0;
  if (!digits || errno == ERANGE || value < min || value > max) {
    throw UsageError("option '--" + option + "' needs a whole number from " + std::to_string(min) +
                     " to " + std::to_string(max) + ", not '" + text + "'");
  }
  return value;
}

std::uint64_t parse_seconds_ms(const std::string& option, const std::string& text,
                               double max_seconds) {
  bool ok = !text.empty() && text.find_first_not_of("0123456789.") == std::string::npos &&
            text.find('.') == text.rfind('.') && text != ".";
  double seconds = 0;
  if (ok) {
    char* end = nullptr;
    seconds = std::strtod(text.c_str(), &end);
    ok = end != nullptr && *end == '\0' && std::isfinite(seconds) && seconds > 0 &&
         seconds <= max_seconds;
  }
  if (!ok) {
    char limit[32];
    std::snprintf(limit, sizeof limit, "%g", max_seconds);
    throw UsageError("option '--" + option + "' needs a number of seconds above 0 and up to " +
                     limit + ", not '" + text + "'");
  }
  auto ms = static_cast<std::uint64_t>(std::llround(seconds * 1000.0));
  return ms == 0 ? 1 : ms;
}

}  // namespace uvmapi::cli
