// A real Postfix MTA on 127.0.0.1 as a test fixture: master, smtpd, cleanup,
// qmgr and the virtual delivery agent, private to one test. Its
// configuration, spool, data, keys and mail all live in a fresh temporary
// directory; the system's /etc/postfix and /var/spool/postfix are only read
// (the package's file lists) and never written, and the system's Postfix
// need not run.
//
//   PostfixServer server;                      // prepared, not running
//   server.start();                            // about 0.3 s
//   ... client to 127.0.0.1:server.smtp_port(), trusting server.ca_file() ...
//   auto mail = server.wait_for_delivered(2, 10s);
//   CHECK(mail[0].content == maildir_form(sent));
//
// Three smtpd services listen:
//   smtp_port()      plain SMTP, STARTTLS offered (smtpd_tls_security_level=may)
//   starttls_port()  STARTTLS required: MAIL before STARTTLS gets
//                    "530 5.7.0 Must issue a STARTTLS command first"
//   smtps_port()     implicit TLS (smtpd_tls_wrappermode=yes)
// AUTH PLAIN and LOGIN are offered once the session is encrypted, for the
// user kSaslUser with kSaslPassword (when sasl_enabled()). Every local part
// of example.test is accepted and delivered into the one Maildir; other
// domains are refused at RCPT with "554 5.7.1 ... Relay access denied".
//
// Postfix must run as root (its master drops privileges to the postfix
// account); available() says whether this machine can run it.
#ifndef UVMAPI_TESTS_SMTP_SUPPORT_POSTFIX_SERVER_H
#define UVMAPI_TESTS_SMTP_SUPPORT_POSTFIX_SERVER_H

#include <sys/types.h>

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "delivered_mail.h"
#include "postfix_config.h"
#include "temp_dir.h"
#include "test_pki.h"

namespace uvmapi::test::servers {

class PostfixServer {
 public:
  struct Options {
    // Recipients are refused ("554 5.7.1 <rcpt>: Recipient address rejected:
    // Access denied") on every port unless the client authenticated.
    bool require_auth = false;
    // The largest message accepted, also advertised as EHLO SIZE.
    std::size_t message_size_limit = 10240000;
  };

  // The SASL account every instance has (Cyrus sasldb, realm example.test).
  // The client logs in with the full name, realm included.
  static constexpr const char* kSaslUser = "tester@example.test";
  static constexpr const char* kSaslPassword = "uvmapi-test-password";
  // The domain delivered into the Maildir, and the server's host name.
  static constexpr const char* kDomain = "example.test";
  static constexpr const char* kHostName = "mx.example.test";

  // False, with the reason in why, when Postfix cannot run here: not root,
  // or Postfix, its daemons or the openssl command are missing.
  static bool available(std::string& why);
  // False, with the reason in why, when AUTH cannot be offered: saslpasswd2
  // (Debian: sasl2-bin) or the Cyrus PLAIN, LOGIN or sasldb plugins
  // (libsasl2-modules, libsasl2-modules-db) are missing.
  static bool sasl_available(std::string& why);

  // Prepares the instance (directory, ports, PKI, SASL account, configuration)
  // without starting it. Throws std::runtime_error when that fails.
  PostfixServer();
  explicit PostfixServer(Options options);
  // Stops Postfix and removes the directory.
  ~PostfixServer();
  PostfixServer(const PostfixServer&) = delete;
  PostfixServer& operator=(const PostfixServer&) = delete;

  // Starts Postfix and waits until every port answers (deadline 20 s).
  // Throws std::runtime_error with Postfix's log when it does not. Can be
  // called again after stop(): same ports, same mail.
  void start();
  // Stops Postfix (SIGTERM to the master through "postfix abort") and waits
  // until the master and every process it started are gone, so the ports
  // refuse connections; kills what remains after 10 s. Queued mail stays in
  // the spool for the next start().
  void stop();
  bool running() const { return running_; }

  static const char* host() { return "127.0.0.1"; }
  std::uint16_t smtp_port() const { return settings_.smtp_port; }
  std::uint16_t starttls_port() const { return settings_.starttls_port; }
  std::uint16_t smtps_port() const { return settings_.smtps_port; }
  bool sasl_enabled() const { return !settings_.sasl_dir.empty(); }
  // Why AUTH is off, when it is.
  const std::string& sasl_unavailable_reason() const { return sasl_why_; }

  // The CA that signed the server's certificate (for the client to trust),
  // and a different CA with the same name (verification must fail).
  const std::string& ca_file() const { return pki_.ca_file; }
  const std::string& wrong_ca_file() const { return pki_.wrong_ca_file; }

  // The Maildir all mail is delivered into (files appear in its new/).
  std::string maildir() const { return settings_.mail_base + "/Maildir"; }
  // What has been delivered so far, oldest first; one entry per recipient.
  std::vector<DeliveredMessage> delivered() const;
  // Waits until at least count deliveries are in the Maildir or timeout
  // passes, polling every few milliseconds; returns delivered() either way.
  std::vector<DeliveredMessage> wait_for_delivered(std::size_t count,
                                                   std::chrono::milliseconds timeout) const;
  // Removes delivered mail, so a test can count anew.
  void clear_delivered();

  // Postfix's log (maillog_file): connections, TLS, SASL, deliveries, errors.
  // Its first "SSL_accept error ... lost connection" is start()'s readiness
  // probe of the implicit-TLS port, which connects without a handshake.
  std::string log() const;
  // The instance's directory.
  const std::string& root() const { return dir_.path(); }
  // How long the last start() took.
  std::chrono::milliseconds last_start_duration() const { return last_start_; }

 private:
  void prepare();
  void write_sasl_account();
  void write_configuration();
  std::vector<std::string> postfix_command(const std::string& verb) const;
  // The master's process id from its pid file; -1 when there is none.
  pid_t master_pid() const;
  // Waits until no process of the master's process group is left (zombies
  // do not count); kills the group when the deadline passes.
  void wait_group_gone(pid_t group);

  Options options_;
  TempDir dir_;
  PostfixSettings settings_;
  TestPki pki_;
  std::string sasl_why_;
  bool running_ = false;
  std::chrono::milliseconds last_start_{0};
};

}  // namespace uvmapi::test::servers

#endif
