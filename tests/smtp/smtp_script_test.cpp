// The SMTP transport against a scripted server: what exactly goes over the
// wire (pipelining, dot-stuffing, AUTH), and how the client takes replies a
// real server would rarely send (malformed ones, none at all).
#include <doctest/doctest.h>

#include "script_server.h"
#include "smtp_node.h"

namespace uvmapi::test {

namespace {

const char* const kEhlo =
    "250-mx.example.test\r\n250-PIPELINING\r\n250-SIZE 1000000\r\n250-8BITMIME\r\n"
    "250 ENHANCEDSTATUSCODES\r\n";

// The greeting and EHLO of a well-behaved ESMTP server.
void greet(ScriptConnection& c, const char* ehlo = kEhlo) {
  c.send("220 mx.example.test ESMTP\r\n");
  c.expect("EHLO client.example.test");
  c.send(ehlo);
}

void check_no_failures(ScriptServer& server) {
  for (const auto& failure : server.failures()) FAIL_CHECK(failure);
}

}  // namespace

TEST_CASE("smtp script: MAIL, RCPT and DATA are pipelined; the next message follows the dot") {
  std::string first_data;
  ScriptServer server([&](ScriptConnection& c, int) {
    greet(c);
    c.expect("MAIL FROM:<alice@example.test> SIZE=");
    c.expect("RCPT TO:<bob@example.test>");
    c.expect("RCPT TO:<eve@example.test>");
    c.expect("DATA");
    // All four came before any answer: that is pipelining.
    c.send(
        "250 2.1.0 Ok\r\n250 2.1.5 Ok\r\n550 5.1.1 <eve@example.test>: no such user\r\n"
        "354 End data with <CR><LF>.<CR><LF>\r\n");
    first_data = c.read_data();
    // The second message's commands ride behind the first one's dot.
    c.expect("MAIL FROM:<alice@example.test>");
    c.expect("RCPT TO:<bob@example.test>");
    c.expect("DATA");
    c.send("250 2.0.0 Ok: queued as A\r\n250 2.1.0 Ok\r\n250 2.1.5 Ok\r\n354 go\r\n");
    c.read_data();
    c.send("250 2.0.0 Ok: queued as B\r\n");
    c.expect("QUIT");
    c.send("221 2.0.0 Bye\r\n");
  });
  SmtpNode node(plain_config(server.port()));
  auto alice = node.open();
  node.run([&] {
    MessageId id = 0;
    CHECK(alice->submit(smtp_message("one", {"bob@example.test", "eve@example.test"},
                                     ".leading dot\r\nline\r\n"),
                        id) == S_OK);
    CHECK(alice->submit(smtp_message("two"), id) == S_OK);
  });
  CHECK(node.wait_until([](SmtpNode& n) { return n.count(Folder::SentItems) == 2; }));
  CHECK(finished(node.logoff(*alice, LOGOFF_ORDERLY)).at_final == LOGOFF_COMPLETE);
  CHECK(server.wait_for_scripts(1));
  check_no_failures(server);
  CHECK(first_data.find("\r\n..leading dot\r\nline\r\n.\r\n") != std::string::npos);
  // Eve refused for good: a report in the Inbox, and the message counts as sent (bob has it).
  auto inbox = node.messages(Folder::Inbox);
  REQUIRE(inbox.size() == 1);
  CHECK(inbox[0].content.find("Final-Recipient: rfc822; eve@example.test") != std::string::npos);
  CHECK(inbox[0].content.find("no such user") != std::string::npos);
  SmtpStats stats = node.stats();
  CHECK(stats.messages_sent == 2);
  CHECK(stats.recipients_refused == 1);
  CHECK(stats.reports_delivered == 1);
  CHECK(stats.connections_opened == 1);
}

TEST_CASE(
    "smtp script: without PIPELINING each command waits for its reply; HELO for old servers") {
  ScriptServer server([&](ScriptConnection& c, int) {
    c.send("220 old.example.test\r\n");
    c.expect("EHLO");
    c.send("502 command not implemented\r\n");
    c.expect("HELO client.example.test");
    c.send("250 old.example.test\r\n");
    c.expect("MAIL FROM:<alice@example.test>");
    if (!c.quiet_for(std::chrono::milliseconds(100))) c.failure("RCPT came before MAIL's reply");
    c.send("250 ok\r\n");
    c.expect("RCPT TO:<bob@example.test>");
    c.send("250 ok\r\n");
    c.expect("DATA");
    c.send("354 go\r\n");
    c.read_data();
    c.send("250 ok\r\n");
    c.expect("QUIT");
    c.send("221 bye\r\n");
  });
  SmtpNode node(plain_config(server.port()));
  auto alice = node.open();
  node.submit(*alice, smtp_message("old"));
  CHECK(node.wait_until([](SmtpNode& n) { return n.count(Folder::SentItems) == 1; }));
  CHECK(finished(node.logoff(*alice, LOGOFF_ORDERLY)).at_final == LOGOFF_COMPLETE);
  CHECK(server.wait_for_scripts(1));
  check_no_failures(server);
}

TEST_CASE("smtp script: a malformed reply ends the connection and the message stays queued") {
  struct Case {
    const char* name;
    const char* reply;
  };
  for (Case bad : {Case{"letter in code", "25O ok\r\n"}, Case{"bare LF", "250 ok\n"},
                   Case{"code changes", "250-a\r\n251 b\r\n"}}) {
    CAPTURE(bad.name);
    ScriptServer server([&](ScriptConnection& c, int) {
      greet(c);
      c.expect("MAIL");
      c.expect("RCPT");
      c.expect("DATA");
      c.send(bad.reply);
      c.read_line(std::chrono::milliseconds(2000));  // Ends when the client hangs up.
      if (!c.closed()) c.failure("the client kept talking after a malformed reply");
    });
    SmtpNode node(plain_config(server.port()));
    auto alice = node.open();
    node.submit(*alice, smtp_message("bad"));
    CHECK(node.wait_until([](SmtpNode& n) { return n.stats().messages_deferred >= 1; }));
    CHECK(node.count(Folder::Outbox) == 1);
    CHECK(node.count(Folder::SentItems) == 0);
    CHECK(node.stats().last_problem.find("server") != std::string::npos);
    CHECK(server.wait_for_scripts(1));
    CHECK(finished(node.logoff(*alice, LOGOFF_ABORT)).released);
  }
}

TEST_CASE("smtp script: a server that does not answer times out; the message is retried") {
  ScriptServer server([&](ScriptConnection& c, int index) {
    greet(c);
    c.expect("MAIL");
    c.expect("RCPT");
    c.expect("DATA");
    if (index == 0) {
      c.read_line(std::chrono::milliseconds(5000));  // Silence until the client gives up.
      return;
    }
    c.send("250 ok\r\n250 ok\r\n354 go\r\n");
    c.read_data();
    c.send("250 ok\r\n");
    c.read_line(std::chrono::milliseconds(5000));
  });
  SmtpConfig config = plain_config(server.port());
  config.command_timeout = 300ms;
  SmtpNode node(config);
  auto alice = node.open();
  node.submit(*alice, smtp_message("slow"));
  CHECK(node.wait_until([](SmtpNode& n) { return n.count(Folder::SentItems) == 1; }));
  SmtpStats stats = node.stats();
  CHECK(stats.messages_deferred == 1);
  CHECK(stats.connections_opened == 2);
  CHECK(finished(node.logoff(*alice, LOGOFF_ABORT)).released);
}

TEST_CASE("smtp script: a 4xx recipient is retried alone after a backoff") {
  int transactions = 0;
  ScriptServer server([&](ScriptConnection& c, int) {
    greet(c);
    c.expect("MAIL");
    c.expect("RCPT TO:<bob@example.test>");
    c.expect("RCPT TO:<carol@example.test>");
    c.expect("DATA");
    ++transactions;
    c.send("250 ok\r\n250 ok\r\n452 4.2.2 mailbox full\r\n354 go\r\n");
    c.read_data();
    c.send("250 ok\r\n");
    // The retry: carol only.
    c.expect("MAIL");
    c.expect("RCPT TO:<carol@example.test>");
    c.expect("DATA");
    ++transactions;
    c.send("250 ok\r\n250 ok\r\n354 go\r\n");
    c.read_data();
    c.send("250 ok\r\n");
    c.read_line(std::chrono::milliseconds(5000));
  });
  SmtpNode node(plain_config(server.port()));
  auto alice = node.open();
  node.submit(*alice, smtp_message("full", {"bob@example.test", "carol@example.test"}));
  CHECK(node.wait_until([](SmtpNode& n) { return n.count(Folder::SentItems) == 1; }));
  CHECK(node.count(Folder::Outbox) == 0);
  CHECK(node.count(Folder::Inbox) == 0);
  SmtpStats stats = node.stats();
  CHECK(stats.recipients_deferred == 1);
  CHECK(stats.recipients_accepted == 2);
  CHECK(stats.retries_scheduled == 1);
  CHECK(finished(node.logoff(*alice, LOGOFF_ABORT)).released);
  CHECK(server.wait_for_scripts(1));
  CHECK(transactions == 2);
  check_no_failures(server);
}

TEST_CASE(
    "smtp script: every recipient refused for good: a report, and the message stays in the "
    "Outbox") {
  int transactions = 0;
  ScriptServer server([&](ScriptConnection& c, int) {
    greet(c);
    while (true) {
      std::string line = c.read_line(std::chrono::milliseconds(5000));
      if (c.closed() || line == "QUIT") break;
      if (line.rfind("MAIL", 0) == 0) {
        ++transactions;
        c.expect("RCPT");
        c.expect("DATA");
        c.send("250 ok\r\n550 5.1.1 unknown\r\n554 5.5.1 no valid recipients\r\n");
      } else if (line == "RSET") {
        c.send("250 ok\r\n");
      }
    }
    c.send("221 bye\r\n");
  });
  SmtpNode node(plain_config(server.port()));
  auto alice = node.open();
  node.submit(*alice, smtp_message("nobody"));
  CHECK(node.wait_until([](SmtpNode& n) { return n.count(Folder::Inbox) == 1; }));
  // PURGE gives failed messages one more try, but a refusal for good is not
  // sent again by the same session, and no second report is made.
  auto report = finished(node.logoff(*alice, LOGOFF_PURGE));
  CHECK(report.released);
  CHECK((report.at_final & LOGOFF_OUTBOUND_QUEUE) != 0);
  CHECK(node.count(Folder::Outbox) == 1);
  CHECK(node.count(Folder::SentItems) == 0);
  CHECK(node.count(Folder::Inbox) == 1);
  CHECK(node.stats().messages_failed >= 1);
  CHECK(server.wait_for_scripts(1));
  CHECK(transactions == 1);
  check_no_failures(server);
}

TEST_CASE("smtp script: ABORT cancels a send waiting for the end of its DATA; it stays queued") {
  std::atomic<bool> data_read{false};
  ScriptServer server([&](ScriptConnection& c, int) {
    greet(c);
    c.expect("MAIL");
    c.expect("RCPT");
    c.expect("DATA");
    c.send("250 ok\r\n250 ok\r\n354 go\r\n");
    c.read_data();
    data_read = true;
    c.read_line(std::chrono::milliseconds(5000));  // Never answers the dot.
    if (!c.closed()) c.failure("the client did not close the cancelled transaction");
  });
  SmtpNode node(plain_config(server.port()));
  auto alice = node.open();
  node.submit(*alice, smtp_message("stuck"));
  CHECK(node.wait_until([&](SmtpNode&) { return data_read.load(); }));
  auto report = finished(node.logoff(*alice, LOGOFF_ABORT));
  CHECK(report.released);
  CHECK(report.at_final == (LOGOFF_COMPLETE | LOGOFF_OUTBOUND_QUEUE));
  CHECK(node.count(Folder::Outbox) == 1);
  CHECK(node.stats().cancels == 1);
  CHECK(server.wait_for_scripts(1));
  check_no_failures(server);
}

TEST_CASE("smtp script: AUTH is refused over plain text unless allowed, and then sent right") {
  SUBCASE("refused: no password leaves the client") {
    ScriptServer server([&](ScriptConnection& c, int) {
      greet(c, "250-mx\r\n250 AUTH PLAIN LOGIN\r\n");
      c.read_line(std::chrono::milliseconds(3000));
      if (!c.closed()) c.failure("the client sent something after EHLO without TLS");
    });
    SmtpConfig config = plain_config(server.port());
    config.username = "alice";
    config.password = "s3cret-pw";
    SmtpNode node(config);
    auto alice = node.open();
    node.submit(*alice, smtp_message("auth"));
    CHECK(node.wait_until([](SmtpNode& n) { return n.stats().messages_deferred >= 1; }));
    std::string problem = node.stats().last_problem;
    CHECK(problem.find("not encrypted") != std::string::npos);
    CHECK(problem.find("s3cret") == std::string::npos);
    CHECK(server.wait_for_scripts(1));
    check_no_failures(server);
    CHECK(finished(node.logoff(*alice, LOGOFF_ABORT)).released);
  }
  SUBCASE("PLAIN and LOGIN, allowed explicitly") {
    for (auto mechanism : {SmtpAuthMechanism::Plain, SmtpAuthMechanism::Login}) {
      ScriptServer server([&](ScriptConnection& c, int) {
        greet(c, "250-mx\r\n250 AUTH PLAIN LOGIN\r\n");
        if (mechanism == SmtpAuthMechanism::Plain) {
          c.expect("AUTH PLAIN AGFsaWNlAHMzY3JldC1wdw==");
        } else {
          c.expect("AUTH LOGIN");
          c.send("334 VXNlcm5hbWU6\r\n");
          c.expect("YWxpY2U=");
          c.send("334 UGFzc3dvcmQ6\r\n");
          c.expect("czNjcmV0LXB3");
        }
        c.send("235 2.7.0 Authentication successful\r\n");
        c.expect("MAIL");
        c.send("250 ok\r\n");
        c.expect("RCPT");
        c.send("250 ok\r\n");
        c.expect("DATA");
        c.send("354 go\r\n");
        c.read_data();
        c.send("250 ok\r\n");
        c.read_line(std::chrono::milliseconds(5000));
      });
      SmtpConfig config = plain_config(server.port());
      config.username = "alice";
      config.password = "s3cret-pw";
      config.auth_mechanism = mechanism;
      config.allow_plaintext_auth = true;
      SmtpNode node(config);
      auto alice = node.open();
      node.submit(*alice, smtp_message("auth"));
      CHECK(node.wait_until([](SmtpNode& n) { return n.count(Folder::SentItems) == 1; }));
      CHECK(finished(node.logoff(*alice, LOGOFF_ABORT)).released);
      CHECK(server.wait_for_scripts(1));
      check_no_failures(server);
    }
  }
}

TEST_CASE("smtp script: STARTTLS required but not offered: nothing is sent") {
  ScriptServer server([&](ScriptConnection& c, int) {
    greet(c);
    c.read_line(std::chrono::milliseconds(3000));
    if (!c.closed()) c.failure("the client went on without STARTTLS");
  });
  SmtpConfig config = plain_config(server.port());
  config.security = SmtpSecurity::StartTls;
  config.verify_peer = false;
  SmtpNode node(config);
  auto alice = node.open();
  node.submit(*alice, smtp_message("tls"));
  CHECK(node.wait_until([](SmtpNode& n) { return n.stats().messages_deferred >= 1; }));
  CHECK(node.stats().last_problem.find("STARTTLS") != std::string::npos);
  CHECK(node.count(Folder::Outbox) == 1);
  CHECK(server.wait_for_scripts(1));
  check_no_failures(server);
  CHECK(finished(node.logoff(*alice, LOGOFF_ABORT)).released);
}

TEST_CASE("smtp script: too large for SIZE, or a bad address: refused without a transaction") {
  ScriptServer server([&](ScriptConnection& c, int) {
    greet(c, "250-mx\r\n250-PIPELINING\r\n250 SIZE 100\r\n");
    std::string line = c.read_line(std::chrono::milliseconds(3000));
    if (!c.closed() && line != "QUIT") c.failure("unexpected command: " + line);
    c.send("221 bye\r\n");
  });
  SmtpNode node(plain_config(server.port()));
  auto alice = node.open();
  node.submit(*alice, smtp_message("big", {"bob@example.test"}, std::string(200, 'x') + "\r\n"));
  node.submit(*alice, smtp_message("evil", {"bob@example.test>\r\nRCPT TO:<eve@example.test"}));
  CHECK(node.wait_until([](SmtpNode& n) { return n.count(Folder::Inbox) == 2; }));
  CHECK(node.count(Folder::Outbox) == 2);
  auto reports = node.messages(Folder::Inbox);
  std::string all = reports[0].content + reports[1].content;
  CHECK(all.find("5.3.4") != std::string::npos);
  CHECK(all.find("5.1.3") != std::string::npos);
  CHECK(finished(node.logoff(*alice, LOGOFF_ORDERLY)).released);
  CHECK(server.wait_for_scripts(1));
  check_no_failures(server);
}

}  // namespace uvmapi::test

namespace uvmapi::test {

TEST_CASE("smtp script: TransportLogoff HURRY (ABORT of an idle store) closes without QUIT") {
  std::string after;
  bool closed = false;
  ScriptServer server([&](ScriptConnection& c, int) {
    c.send("220 mx.example.test ESMTP\r\n");
    c.expect("EHLO");
    c.send("250-mx.example.test\r\n250 PIPELINING\r\n");
    c.expect("MAIL");
    c.expect("RCPT");
    c.expect("DATA");
    c.send("250 ok\r\n250 ok\r\n354 go\r\n");
    c.read_data();
    c.send("250 ok\r\n");
    after = c.read_line(std::chrono::milliseconds(5000));
    closed = c.closed();
  });
  SmtpConfig config = plain_config(server.port());
  config.idle_timeout = 60s;  // The connection stays open until the logoff.
  SmtpNode node(config);
  auto alice = node.open();
  node.submit(*alice, smtp_message("hurry"));
  CHECK(node.wait_until([](SmtpNode& n) { return n.count(Folder::SentItems) == 1; }));
  CHECK(finished(node.logoff(*alice, LOGOFF_ABORT)).at_final == LOGOFF_COMPLETE);
  CHECK(server.wait_for_scripts(1));
  CHECK(closed);
  CHECK(after.empty());
  check_no_failures(server);  // A connection left open would be a timeout failure.
}

}  // namespace uvmapi::test
