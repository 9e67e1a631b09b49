// The SMTP transport against a real MTA: a private Postfix on loopback with
// STARTTLS, implicit TLS, SASL and a Maildir (tests/smtp/support). What
// arrives must be byte for byte what was submitted; TLS must be verified;
// AUTH must work, and fail cleanly without showing the password.
#include <doctest/doctest.h>

#include "smtp_node.h"
#include "support/postfix_server.h"
#include "support/skip.h"

namespace uvmapi::test {

namespace {

using servers::PostfixServer;

SmtpConfig postfix_config(const PostfixServer& server, SmtpSecurity security) {
  SmtpConfig config =
      plain_config(security == SmtpSecurity::Implicit ? server.smtps_port() : server.smtp_port());
  config.security = security;
  config.ca_file = server.ca_file();
  config.tls_server_name = "localhost";
  return config;
}

// Line ends as the Maildir keeps them: LF only.
std::string lf_only(const std::string& text) {
  std::string out;
  for (std::size_t i = 0; i < text.size(); ++i) {
    if (text[i] == '\r' && i + 1 < text.size() && text[i + 1] == '\n') continue;
    out += text[i];
  }
  return out;
}

Message tricky_message(const std::string& subject, std::vector<std::string> recipients) {
  std::string body =
      ".a line that starts with a dot\r\n..two dots\r\n.\r\nthe line above was a lone dot\r\n"
      "caf\xc3\xa9 and 8-bit text\r\n" +
      std::string(900, 'w') + "\r\nlast line without an end";
  Message message = smtp_message(subject, std::move(recipients), body);
  message.envelope.sender = "alice@example.test";
  return message;
}

}  // namespace

TEST_CASE("smtp postfix: STARTTLS, verified; the bytes arrive intact for every recipient") {
  std::string why;
  UVMAPI_SKIP_UNLESS(PostfixServer::available(why), why);
  PostfixServer server;
  server.start();
  SmtpNode node(postfix_config(server, SmtpSecurity::StartTls));
  auto alice = node.open();
  Message message = tricky_message("intact", {"bob@example.test", "carol@example.test"});
  node.submit(*alice, message);
  CHECK(node.wait_until([](SmtpNode& n) { return n.count(Folder::SentItems) == 1; }));
  auto delivered = server.wait_for_delivered(2, kSmtpPatience);
  REQUIRE(delivered.size() == 2);
  // The client ends the last line; otherwise the bytes are the submitted ones.
  std::string expected = lf_only(message.content) + "\n";
  for (const auto& copy : delivered) {
    CHECK(copy.content == expected);
    CHECK(copy.return_path == "alice@example.test");
  }
  CHECK(server.log().find("TLS connection established") != std::string::npos);
  CHECK(finished(node.logoff(*alice, LOGOFF_ORDERLY)).at_final == LOGOFF_COMPLETE);
}

TEST_CASE("smtp postfix: implicit TLS on the smtps port") {
  std::string why;
  UVMAPI_SKIP_UNLESS(PostfixServer::available(why), why);
  PostfixServer server;
  server.start();
  SmtpNode node(postfix_config(server, SmtpSecurity::Implicit));
  auto alice = node.open();
  node.submit(*alice, smtp_message("smtps", {"bob@example.test"}));
  CHECK(finished(node.logoff(*alice, LOGOFF_PURGE)).at_final == LOGOFF_COMPLETE);
  CHECK(node.count(Folder::SentItems) == 1);
  CHECK(server.wait_for_delivered(1, kSmtpPatience).size() == 1);
}

TEST_CASE("smtp postfix: a certificate that does not verify stops everything before MAIL") {
  std::string why;
  UVMAPI_SKIP_UNLESS(PostfixServer::available(why), why);
  PostfixServer server;
  server.start();
  struct Case {
    std::string name;
    std::string ca_file;
    std::string server_name;
    std::string problem;
  };
  for (const Case& bad :
       {Case{"another CA", server.wrong_ca_file(), "localhost", "certificate"},
        Case{"another name", server.ca_file(), "other.example.test", "mismatch"}}) {
    CAPTURE(bad.name);
    for (auto security : {SmtpSecurity::StartTls, SmtpSecurity::Implicit}) {
      SmtpConfig config = postfix_config(server, security);
      config.ca_file = bad.ca_file;
      config.tls_server_name = bad.server_name;
      SmtpNode node(config);
      auto alice = node.open();
      node.submit(*alice, smtp_message("unverified", {"bob@example.test"}));
      CHECK(node.wait_until([](SmtpNode& n) { return n.stats().messages_deferred >= 1; }));
      CHECK(node.stats().last_problem.find(bad.problem) != std::string::npos);
      CHECK(node.count(Folder::Outbox) == 1);
      CHECK(finished(node.logoff(*alice, LOGOFF_ABORT)).released);
    }
  }
  CHECK(server.delivered().empty());
  SUBCASE("unless verification is turned off") {
    SmtpConfig config = postfix_config(server, SmtpSecurity::StartTls);
    config.ca_file = server.wrong_ca_file();
    config.verify_peer = false;
    SmtpNode node(config);
    auto alice = node.open();
    node.submit(*alice, smtp_message("unchecked", {"bob@example.test"}));
    CHECK(finished(node.logoff(*alice, LOGOFF_PURGE)).at_final == LOGOFF_COMPLETE);
    CHECK(server.wait_for_delivered(1, kSmtpPatience).size() == 1);
  }
}

TEST_CASE(
    "smtp postfix: AUTH PLAIN and LOGIN over TLS; a wrong password fails without showing it") {
  std::string why;
  UVMAPI_SKIP_UNLESS(PostfixServer::available(why), why);
  UVMAPI_SKIP_UNLESS(PostfixServer::sasl_available(why), why);
  PostfixServer::Options options;
  options.require_auth = true;
  PostfixServer server(options);
  server.start();
  REQUIRE(server.sasl_enabled());
  for (auto mechanism : {SmtpAuthMechanism::Plain, SmtpAuthMechanism::Login}) {
    SmtpConfig config = postfix_config(server, SmtpSecurity::StartTls);
    config.username = PostfixServer::kSaslUser;
    config.password = PostfixServer::kSaslPassword;
    config.auth_mechanism = mechanism;
    SmtpNode node(config);
    auto alice = node.open();
    node.submit(*alice, smtp_message("authenticated", {"bob@example.test"}));
    CHECK(finished(node.logoff(*alice, LOGOFF_PURGE)).at_final == LOGOFF_COMPLETE);
    CHECK(node.count(Folder::SentItems) == 1);
  }
  CHECK(server.wait_for_delivered(2, kSmtpPatience).size() == 2);

  SmtpConfig config = postfix_config(server, SmtpSecurity::StartTls);
  config.username = PostfixServer::kSaslUser;
  config.password = "not-the-password-xyzzy";
  SmtpNode node(config);
  auto alice = node.open();
  node.submit(*alice, smtp_message("wrong password", {"bob@example.test"}));
  CHECK(node.wait_until([](SmtpNode& n) { return n.stats().messages_deferred >= 1; }));
  std::string problem = node.stats().last_problem;
  CHECK(problem.find("authentication") != std::string::npos);
  CHECK(problem.find("xyzzy") == std::string::npos);
  CHECK(node.count(Folder::Outbox) == 1);
  CHECK(finished(node.logoff(*alice, LOGOFF_ABORT)).released);
}

TEST_CASE("smtp postfix: one recipient refused by the MTA: sent to the other, reported for it") {
  std::string why;
  UVMAPI_SKIP_UNLESS(PostfixServer::available(why), why);
  PostfixServer server;
  server.start();
  SmtpNode node(postfix_config(server, SmtpSecurity::StartTls));
  auto alice = node.open();
  node.submit(*alice, smtp_message("partly", {"bob@example.test", "eve@elsewhere.test"}));
  CHECK(node.wait_until([](SmtpNode& n) { return n.count(Folder::Inbox) == 1; }));
  CHECK(node.wait_until([](SmtpNode& n) { return n.count(Folder::SentItems) == 1; }));
  auto report = node.messages(Folder::Inbox);
  REQUIRE(report.size() == 1);
  CHECK(report[0].content.find("Final-Recipient: rfc822; eve@elsewhere.test") != std::string::npos);
  CHECK(report[0].content.find("Relay access denied") != std::string::npos);
  CHECK(report[0].content.find("Final-Recipient: rfc822; bob@example.test\r\nAction: delivered") !=
        std::string::npos);
  auto delivered = server.wait_for_delivered(1, kSmtpPatience);
  REQUIRE(delivered.size() == 1);
  CHECK(delivered[0].delivered_to == "bob@example.test");
  CHECK(finished(node.logoff(*alice, LOGOFF_ORDERLY)).at_final == LOGOFF_COMPLETE);
}

}  // namespace uvmapi::test
