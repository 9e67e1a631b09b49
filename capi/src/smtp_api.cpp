// uvmapi_smtp_* and uvmapi_runtime_*_smtp_*: the built-in SMTP transport
// through the ABI. The options become the core's SmtpConfig, checked in full
// before anything is added, and the runtime handle remembers the provider
// added last so that its counters can be read back.
#include <algorithm>
#include <cstdio>
#include <cstring>

#include "api.h"
#include "runtime.h"
#include "smtp/smtp_transport.h"

using namespace uvmapi;
using namespace uvmapi::capi;

namespace {

constexpr std::uint32_t kKnownFlags =
    UVMAPI_SMTP_NO_VERIFY | UVMAPI_SMTP_ALLOW_PLAINTEXT_AUTH | UVMAPI_SMTP_NO_PIPELINING;

// A zero number in the options means the core's default, so the defaults
// are stated once, in SmtpConfig, and the ABI cannot drift from them.
std::chrono::milliseconds or_default(std::uint32_t ms, std::chrono::milliseconds fallback) {
  return ms == 0 ? fallback : std::chrono::milliseconds(ms);
}

HRESULT read_security(std::uint32_t security, SmtpConfig& config) {
  switch (security) {
    case UVMAPI_SMTP_SECURITY_DEFAULT:
      return S_OK;  // As the URL's scheme said.
    case UVMAPI_SMTP_SECURITY_NONE:
      config.security = SmtpSecurity::None;
      return S_OK;
    case UVMAPI_SMTP_SECURITY_STARTTLS:
      config.security = SmtpSecurity::StartTls;
      return S_OK;
    case UVMAPI_SMTP_SECURITY_IMPLICIT:
      config.security = SmtpSecurity::Implicit;
      return S_OK;
  }
  return fail(MAPI_E_INVALID_PARAMETER,
              "options->security " + std::to_string(security) + " is not a UVMAPI_SMTP_SECURITY_*");
}

HRESULT read_auth_mechanism(std::uint32_t mechanism, SmtpConfig& config) {
  switch (mechanism) {
    case UVMAPI_SMTP_AUTH_ANY:
      config.auth_mechanism = SmtpAuthMechanism::Any;
      return S_OK;
    case UVMAPI_SMTP_AUTH_PLAIN:
      config.auth_mechanism = SmtpAuthMechanism::Plain;
      return S_OK;
    case UVMAPI_SMTP_AUTH_LOGIN:
      config.auth_mechanism = SmtpAuthMechanism::Login;
      return S_OK;
  }
  return fail(MAPI_E_INVALID_PARAMETER, "options->auth_mechanism " + std::to_string(mechanism) +
                                            " is not a UVMAPI_SMTP_AUTH_*");
}

// Options -> config, every string copied. The URL comes first: security and
// username given in the options override what it says.
HRESULT read_options(const uvmapi_smtp_options& in, SmtpConfig& config) {
  if (in.url == nullptr) return null_argument("options->url");
  if (in.flags & ~kKnownFlags) {
    char bits[16];
    std::snprintf(bits, sizeof bits, "0x%08x", static_cast<unsigned>(in.flags & ~kKnownFlags));
    return fail(MAPI_E_UNKNOWN_FLAGS,
                std::string("options->flags has bits no UVMAPI_SMTP_* flag defines: ") + bits);
  }
  const std::string url = in.url;
  std::string why;
  if (failed(parse_smtp_url(url, config, why))) {
    // The parser never quotes a password typed into the URL.
    return fail(MAPI_E_INVALID_PARAMETER, "options->url: " + why);
  }
  if (HRESULT result = read_security(in.security, config); failed(result)) return result;
  if (HRESULT result = read_auth_mechanism(in.auth_mechanism, config); failed(result)) {
    return result;
  }
  config.verify_peer = (in.flags & UVMAPI_SMTP_NO_VERIFY) == 0;
  config.allow_plaintext_auth = (in.flags & UVMAPI_SMTP_ALLOW_PLAINTEXT_AUTH) != 0;
  config.pipelining = (in.flags & UVMAPI_SMTP_NO_PIPELINING) == 0;
  if (in.ca_file) config.ca_file = in.ca_file;
  if (in.tls_server_name) config.tls_server_name = in.tls_server_name;
  if (in.username) config.username = in.username;
  if (in.password) config.password = in.password;
  if (in.helo_name) config.helo_name = in.helo_name;
  const SmtpConfig defaults;
  config.connections = in.connections == 0 ? defaults.connections : in.connections;
  config.connect_timeout = or_default(in.connect_timeout_ms, defaults.connect_timeout);
  config.command_timeout = or_default(in.command_timeout_ms, defaults.command_timeout);
  config.data_timeout = or_default(in.data_timeout_ms, defaults.data_timeout);
  config.idle_timeout = or_default(in.idle_timeout_ms, defaults.idle_timeout);
  config.retry_initial = or_default(in.retry_initial_ms, defaults.retry_initial);
  config.retry_max = or_default(in.retry_max_ms, defaults.retry_max);
  return S_OK;
}

// Copies text into a fixed buffer, cut to fit and NUL-terminated. A cut
// never splits a UTF-8 sequence, so the buffer is always valid text.
void copy_cut(const std::string& text, char* out, std::size_t size) {
  std::size_t n = std::min(text.size(), size - 1);
  if (n < text.size()) {
    while (n > 0 && (static_cast<unsigned char>(text[n]) & 0xC0) == 0x80) --n;
  }
  std::memcpy(out, text.data(), n);
  out[n] = '\0';
}

void write_stats(const SmtpStats& in, uvmapi_smtp_stats& out) {
  out.connections_opened = in.connections_opened;
  out.connections_failed = in.connections_failed;
  out.transactions = in.transactions;
  out.messages_sent = in.messages_sent;
  out.messages_deferred = in.messages_deferred;
  out.messages_failed = in.messages_failed;
  out.recipients_accepted = in.recipients_accepted;
  out.recipients_deferred = in.recipients_deferred;
  out.recipients_refused = in.recipients_refused;
  out.reports_delivered = in.reports_delivered;
  out.cancels = in.cancels;
  out.retries_scheduled = in.retries_scheduled;
  copy_cut(in.last_problem, out.last_problem, sizeof out.last_problem);
}

}  // namespace

extern "C" {

uvmapi_hresult uvmapi_smtp_options_init(uvmapi_smtp_options* options, uint32_t version) {
  return guard([&]() -> HRESULT {
    if (options == nullptr) return null_argument("options");
    if (version != UVMAPI_SMTP_OPTIONS_VERSION) {
      return fail(MAPI_E_INVALID_PARAMETER,
                  "unknown uvmapi_smtp_options version " + std::to_string(version));
    }
    *options = uvmapi_smtp_options UVMAPI_SMTP_OPTIONS_INIT;
    return S_OK;
  });
}

uvmapi_hresult uvmapi_runtime_add_smtp_transport(uvmapi_runtime* runtime,
                                                 const uvmapi_smtp_options* options) {
  return guard([&]() -> HRESULT {
    std::shared_ptr<RuntimeHandle> owner;
    if (HRESULT result = lookup(runtime, "runtime", owner); failed(result)) return result;
    if (options == nullptr) return null_argument("options");
    if (options->version != UVMAPI_SMTP_OPTIONS_VERSION) {
      return fail(MAPI_E_INVALID_PARAMETER, "options->version is not UVMAPI_SMTP_OPTIONS_VERSION");
    }
    SmtpConfig config;
    if (HRESULT result = read_options(*options, config); failed(result)) return result;
    std::shared_ptr<Runtime> core;
    if (HRESULT result = live_runtime(*owner, core); failed(result)) return result;
    // Made here rather than on the loop thread: it reads the CA file, which
    // the loop should not wait for. The loop pointer never changes.
    std::shared_ptr<SmtpTransportProvider> provider;
    if (HRESULT result = SmtpTransportProvider::create(core->loop(), config, provider);
        failed(result)) {
      return fail(result, "options: " + last_error_message());
    }
    return on_loop(*core, [&]() -> HRESULT {
      if (HRESULT added = core->add_transport_provider(provider); failed(added)) return added;
      owner->smtp = provider;
      return S_OK;
    });
  });
}

uvmapi_hresult uvmapi_runtime_smtp_stats(uvmapi_runtime* runtime, const char* store_name,
                                         uvmapi_smtp_stats* stats) {
  return guard([&]() -> HRESULT {
    std::shared_ptr<RuntimeHandle> owner;
    if (HRESULT result = lookup(runtime, "runtime", owner); failed(result)) return result;
    if (store_name == nullptr) return null_argument("store_name");
    if (stats == nullptr) return null_argument("stats");
    if (stats->version != UVMAPI_SMTP_STATS_VERSION) {
      return fail(MAPI_E_INVALID_PARAMETER, "stats->version is not UVMAPI_SMTP_STATS_VERSION");
    }
    std::shared_ptr<Runtime> core;
    if (HRESULT result = live_runtime(*owner, core); failed(result)) return result;
    const std::string name = store_name;
    SmtpStats counted;
    HRESULT result = on_loop(*core, [&]() -> HRESULT {
      if (!owner->smtp) {
        return fail(MAPI_E_NOT_FOUND, "no SMTP transport was added to this runtime");
      }
      counted = owner->smtp->stats(name);
      return S_OK;
    });
    if (failed(result)) return result;
    write_stats(counted, *stats);
    return S_OK;
  });
}

}  // extern "C"
