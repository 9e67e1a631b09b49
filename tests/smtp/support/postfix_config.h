// The configuration files of a private Postfix instance (main.cf, master.cf
// and Cyrus SASL's smtpd.conf), as text. Kept apart from starting and
// stopping Postfix so the settings, and the reasons for them, are in one place.
#ifndef UVMAPI_TESTS_SMTP_SUPPORT_POSTFIX_CONFIG_H
#define UVMAPI_TESTS_SMTP_SUPPORT_POSTFIX_CONFIG_H

#include <sys/types.h>

#include <cstddef>
#include <cstdint>
#include <string>

namespace uvmapi::test::servers {

struct PostfixSettings {
  std::string config_dir;  // main.cf, master.cf, sasl/smtpd.conf
  std::string queue_dir;   // the spool; Postfix creates its subdirectories
  std::string data_dir;    // Postfix's writable state (locks, TLS seed)
  std::string mail_base;   // virtual_mailbox_base: the Maildir is mail_base/Maildir/
  std::string log_file;    // maillog_file, written by postlogd
  std::string log_prefix;  // maillog_file_prefixes: the instance's root
  std::string cert_file;   // the server certificate (PEM)
  std::string key_file;    // its key (PEM)
  std::string sasl_dir;    // where smtpd.conf and the sasldb are; "" turns AUTH off
  std::string sasl_db;     // the sasldb file
  uid_t mail_uid = 0;      // the owner of delivered mail (the postfix account)
  gid_t mail_gid = 0;
  std::uint16_t smtp_port = 0;      // STARTTLS offered
  std::uint16_t starttls_port = 0;  // STARTTLS required
  std::uint16_t smtps_port = 0;     // implicit TLS
  bool require_auth = false;
  std::size_t message_size_limit = 10240000;
};

// The domain the instance delivers (any local part); myhostname is "mx." + it.
constexpr const char* kPostfixDomain = "example.test";

std::string postfix_main_cf(const PostfixSettings& settings);
std::string postfix_master_cf(const PostfixSettings& settings);
std::string sasl_smtpd_conf(const PostfixSettings& settings);

}  // namespace uvmapi::test::servers

#endif
