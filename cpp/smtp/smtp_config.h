// How the SMTP transport reaches and talks to its server: the address, the
// security (TLS and authentication) and the limits. One SmtpConfig serves
// every store logged on through the provider; docs/smtp.md explains each
// field and its default.
#ifndef UVMAPI_CPP_SMTP_SMTP_CONFIG_H
#define UVMAPI_CPP_SMTP_SMTP_CONFIG_H

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <string>

#include "mapi_defs.h"

namespace uvmapi {

enum class SmtpSecurity {
  // Plain TCP throughout. Authentication is then refused unless
  // allow_plaintext_auth says otherwise.
  None,
  // Plain TCP, upgraded with STARTTLS before anything else is sent. A server
  // that does not offer STARTTLS is an error, never a silent downgrade.
  StartTls,
  // TLS from the first byte (the "smtps" of RFC 8314, port 465).
  Implicit,
};

enum class SmtpAuthMechanism {
  Any,  // PLAIN if the server offers it, else LOGIN.
  Plain,
  Login,
};

struct SmtpConfig {
  std::string host;
  std::uint16_t port = 587;
  SmtpSecurity security = SmtpSecurity::StartTls;

  // TLS. Verification of the certificate chain and of the host name is on
  // unless verify_peer is false. ca_file: PEM bundle to trust; empty means the
  // system's default trust store. tls_server_name: the name checked and sent
  // as SNI; empty means host.
  bool verify_peer = true;
  std::string ca_file;
  std::string tls_server_name;

  // Authentication, only when username is not empty. The password is never
  // written to an error message or a log.
  std::string username;
  std::string password;
  SmtpAuthMechanism auth_mechanism = SmtpAuthMechanism::Any;
  bool allow_plaintext_auth = false;

  // The name given in EHLO/HELO. Empty: "localhost".
  std::string helo_name;

  // Connections one store's session opens in parallel. At least 1.
  std::size_t connections = 1;
  // Use PIPELINING (RFC 2920) when the server offers it.
  bool pipelining = true;
  // Sends one session holds at once; beyond it the spooler is told MAPI_E_BUSY
  // and offered more when sends complete. At least 1.
  std::size_t send_capacity = 1000;

  // Each step: connecting, the TLS handshake, every reply.
  std::chrono::milliseconds connect_timeout{30000};
  std::chrono::milliseconds command_timeout{60000};
  // The reply to the final "." of a message (the server is storing it).
  std::chrono::milliseconds data_timeout{120000};
  // How long a connection with nothing to send stays open for reuse.
  std::chrono::milliseconds idle_timeout{5000};

  // Backoff of a message whose send failed for now (4xx, a broken connection):
  // the first retry after retry_initial, doubling up to retry_max.
  std::chrono::milliseconds retry_initial{1000};
  std::chrono::milliseconds retry_max{300000};
};

// Parses "smtp://host[:port]" (STARTTLS, port 587 unless given) or
// "smtps://host[:port]" (implicit TLS, port 465) into config's host, port and
// security, and "smtp://user@host" into username. A password in the URL is
// refused: it would show in process listings. IPv6 literals go in brackets.
// MAPI_E_INVALID_PARAMETER with the reason in error; config is then unchanged.
HRESULT parse_smtp_url(const std::string& url, SmtpConfig& config, std::string& error);

// Checks a config for values that cannot work (no host, zero connections,
// zero timeouts). MAPI_E_INVALID_PARAMETER with the reason in error.
HRESULT validate_smtp_config(const SmtpConfig& config, std::string& error);

}  // namespace uvmapi

#endif
