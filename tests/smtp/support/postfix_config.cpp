#include "postfix_config.h"

namespace uvmapi::test::servers {

namespace {

std::string line(const std::string& name, const std::string& value) {
  return name + " = " + value + "\n";
}

}  // namespace

std::string postfix_main_cf(const PostfixSettings& s) {
  const std::string domain = kPostfixDomain;
  std::string cf;
  // Level 2 exists in every Postfix 3.x; the defaults that matter here are set
  // explicitly below, so the level changes nothing for the tests.
  cf += line("compatibility_level", "2");

  // Everything of the instance lives under its own root: nothing of
  // /etc/postfix or /var/spool/postfix is written. (meta_directory stays the
  // package's: Postfix only reads its file lists there.)
  cf += line("config_directory", s.config_dir);
  cf += line("queue_directory", s.queue_dir);
  cf += line("data_directory", s.data_dir);
  cf += line("mail_owner", "postfix");
  cf += line("setgid_group", "postdrop");
  // Containers and CI machines often have no syslog: log into a file the
  // test can show when something goes wrong.
  cf += line("maillog_file", s.log_file);
  cf += line("maillog_file_prefixes", s.log_prefix);

  // A fixed identity and no DNS: the tests must not depend on the machine's
  // name or network.
  cf += line("myhostname", "mx." + domain);
  cf += line("mydomain", domain);
  cf += line("myorigin", "$mydomain");
  cf += line("inet_interfaces", "loopback-only");
  cf += line("inet_protocols", "ipv4");
  cf += line("smtp_dns_support_level", "disabled");
  cf += line("smtpd_peername_lookup", "no");

  // Mail goes to exactly one place: example.test's virtual mailbox. Nothing
  // is delivered locally and nothing is relayed; the transports for those
  // cases are the error transport, and smtpd refuses other domains (554
  // Relay access denied), even from loopback and even after AUTH.
  cf += line("mydestination", "");
  cf += line("local_recipient_maps", "");
  cf += line("local_transport", "error:5.1.1 local delivery is disabled in this test server");
  cf += line("alias_maps", "");
  cf += line("alias_database", "");
  cf += line("relay_domains", "");
  cf += line("relayhost", "");
  cf += line("default_transport", "error:5.7.1 relaying is disabled in this test server");
  cf += line("relay_transport", "$default_transport");
  cf += line("smtpd_relay_restrictions", "reject_unauth_destination");
  cf += line("smtpd_recipient_restrictions",
             s.require_auth ? "permit_sasl_authenticated, reject" : "");
  // Postmaster notices would be delivered into the same Maildir and spoil
  // the tests' counts.
  cf += line("notify_classes", "");

  // All recipients of example.test go into one Maildir, owned by the postfix
  // account (virtual(8) refuses uid 0). One file per recipient.
  cf += line("virtual_mailbox_domains", domain);
  cf += line("virtual_mailbox_base", s.mail_base);
  cf += line("virtual_mailbox_maps", "static:Maildir/");
  cf += line("virtual_uid_maps", "static:" + std::to_string(s.mail_uid));
  cf += line("virtual_gid_maps", "static:" + std::to_string(s.mail_gid));
  cf += line("virtual_minimum_uid", "1");
  cf += line("virtual_mailbox_limit", "0");
  cf += line("mailbox_size_limit", "0");
  cf += line("message_size_limit", std::to_string(s.message_size_limit));

  // Keep the message as the client sent it: no header rewriting or added
  // Message-ID/Date/From for loopback clients.
  cf += line("local_header_rewrite_clients", "");
  cf += line("always_add_missing_headers", "no");

  // No deliberate slowness: these protect real servers from abuse, here they
  // would only make tests of error replies slow.
  cf += line("smtpd_error_sleep_time", "0");
  cf += line("in_flow_delay", "0");
  cf += line("smtpd_client_connection_count_limit", "0");
  cf += line("smtpd_client_connection_rate_limit", "0");
  cf += line("biff", "no");
  cf += line("smtpd_banner", "$myhostname ESMTP Postfix (uvmapi test server)");

  // TLS offered on the plain port; master.cf's services make it required
  // or implicit on the others. AUTH only over TLS, as on real servers.
  cf += line("smtpd_tls_chain_files", s.key_file + ", " + s.cert_file);
  cf += line("smtpd_tls_security_level", "may");
  cf += line("smtpd_tls_auth_only", "yes");
  cf += line("smtpd_tls_loglevel", "1");

  if (!s.sasl_dir.empty()) {
    cf += line("smtpd_sasl_auth_enable", "yes");
    cf += line("smtpd_sasl_type", "cyrus");
    // smtpd.conf is found as <smtpd_sasl_path>.conf in cyrus_sasl_config_path
    // (upstream Postfix) or in $config_directory/sasl (Debian's Postfix,
    // which ignores cyrus_sasl_config_path); sasl_dir is both.
    cf += line("smtpd_sasl_path", "smtpd");
    cf += line("cyrus_sasl_config_path", s.sasl_dir);
  } else {
    cf += line("smtpd_sasl_auth_enable", "no");
  }
  return cf;
}

std::string postfix_master_cf(const PostfixSettings& s) {
  // Only the services the tests need, none chrooted (a chroot would need
  // copies of libraries and files in the spool).
  auto smtpd = [](std::uint16_t port, const std::string& options) {
    return "127.0.0.1:" + std::to_string(port) + " inet n - n - - smtpd" + options + "\n";
  };
  std::string cf;
  cf += smtpd(s.smtp_port, "");
  cf += smtpd(s.starttls_port, " -o smtpd_tls_security_level=encrypt");
  cf += smtpd(s.smtps_port, " -o smtpd_tls_wrappermode=yes -o smtpd_tls_security_level=encrypt");
  cf +=
      "cleanup   unix  n - n - 0 cleanup\n"
      "qmgr      unix  n - n 300 1 qmgr\n"
      "tlsmgr    unix  - - n 1000? 1 tlsmgr\n"
      "rewrite   unix  - - n - - trivial-rewrite\n"
      "bounce    unix  - - n - 0 bounce\n"
      "defer     unix  - - n - 0 bounce\n"
      "trace     unix  - - n - 0 bounce\n"
      "flush     unix  n - n 1000? 0 flush\n"
      "proxymap  unix  - - n - - proxymap\n"
      "error     unix  - - n - - error\n"
      "retry     unix  - - n - - error\n"
      "discard   unix  - - n - - discard\n"
      "anvil     unix  - - n - 1 anvil\n"
      "scache    unix  - - n - 1 scache\n"
      "postlog   unix-dgram n - n - 1 postlogd\n"
      "virtual   unix  - n n - - virtual\n";
  return cf;
}

std::string sasl_smtpd_conf(const PostfixSettings& s) {
  // Passwords from a private sasldb through the auxprop plugin: no saslauthd
  // daemon, and only the two mechanisms an SMTP client commonly uses.
  return "pwcheck_method: auxprop\n"
         "auxprop_plugin: sasldb\n"
         "sasldb_path: " +
         s.sasl_db +
         "\n"
         "mech_list: PLAIN LOGIN\n";
}

}  // namespace uvmapi::test::servers
