// `uvmapi run --smtp URL`: the --smtp-* options read into the core's
// SmtpConfig and checked as the transport will check them, before the store
// is touched, and the lines `run` prints about the SMTP transport.
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <iterator>

#include "cli/run.h"
#include "error.h"
#include "smtp/smtp_transport.h"
#include "url_password.h"

namespace uvmapi::cli {

namespace {

// The options that mean nothing without --smtp.
const char* const kSmtpOptions[] = {
    "smtp-tls",           "smtp-ca",
    "smtp-no-verify",     "smtp-user",
    "smtp-password-file", "smtp-allow-plaintext-auth",
    "smtp-connections",   "smtp-helo",
};

SmtpSecurity parse_security(const std::string& text) {
  std::string lower;
  for (char c : text) lower += (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c;
  if (lower == "none") return SmtpSecurity::None;
  if (lower == "starttls") return SmtpSecurity::StartTls;
  if (lower == "implicit") return SmtpSecurity::Implicit;
  throw UsageError("option '--smtp-tls': unknown mode '" + text +
                   "' (use none, starttls or implicit)");
}

// The password file's first line: a file written by `echo` ends with a
// newline that is not part of the password.
std::string read_password_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    throw CliError("cannot read the SMTP password file " + path + ": " + std::strerror(errno));
  }
  std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  if (in.bad()) throw CliError("cannot read the SMTP password file " + path);
  if (!text.empty() && text.back() == '\n') text.pop_back();
  if (!text.empty() && text.back() == '\r') text.pop_back();
  if (text.empty()) throw CliError("the SMTP password file " + path + " is empty");
  if (text.find('\n') != std::string::npos) {
    throw CliError("the SMTP password file " + path + " holds more than one line");
  }
  return text;
}

}  // namespace

std::optional<SmtpConfig> parse_smtp_options(const ParsedArgs& parsed) {
  if (!parsed.has("smtp")) {
    for (const char* name : kSmtpOptions) {
      if (parsed.has(name))
        throw UsageError(std::string("option '--") + name + "' needs --smtp URL");
    }
    return std::nullopt;
  }
  SmtpConfig config;
  const std::string url = parsed.value("smtp");
  if (url_has_password(url)) {
    // Said here, in the tool's words, and without the URL: it holds the password.
    throw UsageError(
        "option '--smtp': the URL holds a password, which other users can read in the process "
        "list; use --smtp-password-file FILE or UVMAPI_SMTP_PASSWORD");
  }
  std::string why;
  if (failed(parse_smtp_url(url, config, why))) {
    throw UsageError("option '--smtp': " + why);
  }
  if (parsed.has("smtp-tls")) config.security = parse_security(parsed.value("smtp-tls"));
  const bool tls = config.security != SmtpSecurity::None;
  if (!tls && (parsed.has("smtp-ca") || parsed.has("smtp-no-verify"))) {
    throw UsageError(std::string("option '--") +
                     (parsed.has("smtp-ca") ? "smtp-ca" : "smtp-no-verify") +
                     "' has no use without TLS (--smtp-tls none)");
  }
  config.ca_file = parsed.value("smtp-ca");
  config.verify_peer = !parsed.has("smtp-no-verify");
  if (parsed.has("smtp-user")) config.username = parsed.value("smtp-user");
  config.allow_plaintext_auth = parsed.has("smtp-allow-plaintext-auth");
  if (parsed.has("smtp-connections")) {
    config.connections =
        parse_unsigned("smtp-connections", parsed.value("smtp-connections"), 1, 100);
  }
  config.helo_name = parsed.value("smtp-helo");

  if (parsed.has("smtp-password-file") && config.username.empty()) {
    throw UsageError(
        "option '--smtp-password-file' needs a user: --smtp-user USER or smtp://USER@host");
  }
  if (!config.username.empty() && !parsed.has("smtp-password-file")) {
    const char* from_env = std::getenv("UVMAPI_SMTP_PASSWORD");
    if (from_env == nullptr || *from_env == '\0') {
      throw UsageError("the SMTP user '" + config.username +
                       "' needs a password: --smtp-password-file FILE or the environment "
                       "variable UVMAPI_SMTP_PASSWORD (never on the command line)");
    }
    config.password = from_env;
  }
  if (!config.username.empty() && !tls && !config.allow_plaintext_auth) {
    throw UsageError(
        "the SMTP password would cross the network in plain text (--smtp-tls none); use "
        "starttls or implicit, or say --smtp-allow-plaintext-auth");
  }
  // The values as typed; a password still to be read from its file counts
  // as given, so that only what the command line says is judged here.
  SmtpConfig typed = config;
  if (!typed.username.empty() && typed.password.empty()) typed.password = "-";
  if (failed(validate_smtp_config(typed, why))) throw UsageError("--smtp: " + why);
  return config;
}

void load_smtp_config(const ParsedArgs& parsed, SmtpConfig& config) {
  if (parsed.has("smtp-password-file")) {
    config.password = read_password_file(parsed.value("smtp-password-file"));
  }
  std::string why;
  if (failed(validate_smtp_config(config, why))) throw CliError("--smtp: " + why);
  // The provider's own checks, TLS context and CA file included, made now
  // so that a bad CA file stops `run` before it locks and opens the store.
  // The loop is not used until a store logs on, and this provider never
  // sees one.
  std::shared_ptr<SmtpTransportProvider> probe;
  if (HRESULT made = SmtpTransportProvider::create(nullptr, config, probe); failed(made)) {
    throw CliError(core_error("cannot use the SMTP server " + parsed.value("smtp"), made));
  }
}

std::string smtp_description(const SmtpConfig& config) {
  const char* security = config.security == SmtpSecurity::None       ? "plain text"
                         : config.security == SmtpSecurity::StartTls ? "STARTTLS"
                                                                     : "TLS";
  std::string text = "smtp " + config.host + ":" + std::to_string(config.port) + " (" + security;
  if (config.security != SmtpSecurity::None && !config.verify_peer) text += ", not verified";
  if (!config.username.empty()) text += ", user " + config.username;
  return text + ")";
}

std::string smtp_counters_text(const SmtpStats& stats) {
  return "smtp: sent " + std::to_string(stats.messages_sent) + ", deferred " +
         std::to_string(stats.messages_deferred) + ", failed " +
         std::to_string(stats.messages_failed) + ", connections " +
         std::to_string(stats.connections_opened) + " (" +
         std::to_string(stats.connections_failed) + " failed)";
}

}  // namespace uvmapi::cli
