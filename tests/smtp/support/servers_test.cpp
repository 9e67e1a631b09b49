// The fixtures' own test: each server does what its header promises, checked
// with a small blocking client (test_smtp_client.h) that shares no code with
// the SMTP transport the fixtures exist to test.
#include <doctest/doctest.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <string>
#include <thread>
#include <vector>

#include "support/child_process.h"
#include "support/loopback.h"
#include "support/postfix_server.h"
#include "support/skip.h"
#include "support/smtp_sink.h"
#include "support/temp_dir.h"
#include "support/test_smtp_client.h"

namespace uvmapi::test::servers {

namespace {

using namespace std::chrono_literals;

// How long a test waits for something that must happen.
constexpr auto kPatience = 10s;

// A message with what transports get wrong: a line starting with a dot (it
// must be dot-stuffed on the wire), one starting with two, an 8-bit line
// (UTF-8), an empty line in the body and a long line.
std::string tricky_message(const std::string& subject) {
  return "From: alice@example.test\r\n"
         "To: bob@example.test, carol@example.test\r\n"
         "Subject: " +
         subject +
         "\r\n"
         "\r\n"
         "first line\r\n"
         ".leading dot\r\n"
         "..two dots\r\n"
         "\xc3\xa9t\xc3\xa9 8-bit line\r\n"
         "\r\n" +
         std::string(1500, 'x') + "\r\n" + "last line\r\n";
}

// EHLO, MAIL, the RCPTs (each must be accepted), DATA and the content;
// returns the reply to the final dot.
std::string send_message(TestSmtpClient& client, const std::string& mail_args,
                         const std::vector<std::string>& rcpt_args, const std::string& content) {
  REQUIRE(reply_code(client.command("MAIL FROM:" + mail_args)) == 250);
  for (const std::string& rcpt : rcpt_args) {
    REQUIRE(reply_code(client.command("RCPT TO:" + rcpt)) == 250);
  }
  REQUIRE(reply_code(client.command("DATA")) == 354);
  client.send(dot_stuff(content));
  return client.reply();
}

std::vector<std::string> sorted(std::vector<std::string> items) {
  std::sort(items.begin(), items.end());
  return items;
}

bool refused(std::uint16_t port) {
  int fd = connect_loopback(port, 2s);
  if (fd >= 0) {
    ::close(fd);
    return false;
  }
  return errno == ECONNREFUSED;
}

}  // namespace

TEST_CASE("smtp-sink dumps a message with two recipients byte for byte") {
  std::string why;
  UVMAPI_SKIP_UNLESS(SmtpSink::available(why), why);
  SmtpSink sink;
  TestSmtpClient client(sink.port());
  CHECK(reply_code(client.reply()) == 220);
  CHECK(reply_code(client.command("EHLO client.test")) == 250);
  const std::string content = tricky_message("two recipients");
  CHECK(reply_code(send_message(client, "<alice@example.test> BODY=8BITMIME",
                                {"<bob@example.test>", "<carol@example.test> NOTIFY=NEVER"},
                                content)) == 250);
  CHECK(reply_code(client.command("QUIT")) == 221);

  std::vector<DumpedMessage> messages = sink.wait_for_messages(1, kPatience);
  REQUIRE(messages.size() == 1);
  const DumpedMessage& message = messages[0];
  CHECK(message.client_addr == "127.0.0.1");
  CHECK(message.client_proto == "ESMTP");
  CHECK(message.helo_args == "client.test");
  CHECK(message.mail_args == "<alice@example.test> BODY=8BITMIME");
  CHECK(message.mail_from() == "alice@example.test");
  CHECK(message.rcpt_args ==
        std::vector<std::string>{"<bob@example.test>", "<carol@example.test> NOTIFY=NEVER"});
  CHECK(message.recipients() == std::vector<std::string>{"bob@example.test", "carol@example.test"});
  CHECK(message.content == sink_form(content));

  // The file itself, as sink_dump.h describes it.
  std::string bytes;
  REQUIRE(read_file(message.file, bytes));
  const std::string headers =
      "X-Client-Addr: 127.0.0.1\n"
      "X-Client-Proto: ESMTP\n"
      "X-Helo-Args: client.test\n"
      "X-Mail-Args: <alice@example.test> BODY=8BITMIME\n"
      "X-Rcpt-Args: <bob@example.test>\n"
      "X-Rcpt-Args: <carol@example.test> NOTIFY=NEVER\n"
      "Received: from client.test ([127.0.0.1])\n"
      "\tby smtp-sink (smtp-sink) with ESMTP id ";
  CHECK(bytes.compare(0, headers.size(), headers) == 0);
  const std::string tail = sink_form(content) + "\n";
  REQUIRE(bytes.size() > tail.size());
  CHECK(bytes.compare(bytes.size() - tail.size(), tail.size(), tail) == 0);
}

TEST_CASE("smtp-sink fails as its options say") {
  std::string why;
  UVMAPI_SKIP_UNLESS(SmtpSink::available(why), why);

  SUBCASE("-f RCPT with -B: every RCPT gets the given hard reply") {
    SmtpSink sink({"-f", "RCPT", "-B", "550 5.1.1 No such user"});
    TestSmtpClient client(sink.port());
    CHECK(reply_code(client.reply()) == 220);
    CHECK(reply_code(client.command("EHLO client.test")) == 250);
    CHECK(reply_code(client.command("MAIL FROM:<alice@example.test>")) == 250);
    CHECK(client.command("RCPT TO:<bob@example.test>") == "550 5.1.1 No such user");
  }
  SUBCASE("-r MAIL with -b: MAIL gets the given soft reply") {
    SmtpSink sink({"-r", "MAIL", "-b", "452 4.2.2 Mailbox full"});
    TestSmtpClient client(sink.port());
    CHECK(reply_code(client.reply()) == 220);
    CHECK(reply_code(client.command("EHLO client.test")) == 250);
    CHECK(client.command("MAIL FROM:<alice@example.test>") == "452 4.2.2 Mailbox full");
  }
  SUBCASE("-q DATA: the connection is dropped without a reply") {
    SmtpSink sink({"-q", "DATA"});
    TestSmtpClient client(sink.port());
    CHECK(reply_code(client.reply()) == 220);
    CHECK(reply_code(client.command("EHLO client.test")) == 250);
    CHECK(reply_code(client.command("MAIL FROM:<alice@example.test>")) == 250);
    CHECK(reply_code(client.command("RCPT TO:<bob@example.test>")) == 250);
    CHECK(client.command("DATA") == "");
    CHECK(sink.messages().empty());
  }
  SUBCASE("a healthy sink can be restarted into a faulty one") {
    SmtpSink sink;
    const std::uint16_t port = sink.port();
    sink.restart({"-f", "MAIL"});
    CHECK(sink.port() == port);
    TestSmtpClient client(sink.port());
    CHECK(reply_code(client.reply()) == 220);
    CHECK(reply_code(client.command("EHLO client.test")) == 250);
    CHECK(reply_code(client.command("MAIL FROM:<alice@example.test>")) == 500);
  }
}

TEST_CASE("smtp-sink stops and comes back on the same port") {
  std::string why;
  UVMAPI_SKIP_UNLESS(SmtpSink::available(why), why);
  SmtpSink sink;
  const std::uint16_t port = sink.port();
  {
    TestSmtpClient client(port);
    CHECK(reply_code(client.reply()) == 220);
    CHECK(reply_code(client.command("EHLO client.test")) == 250);
    CHECK(reply_code(send_message(client, "<alice@example.test>", {"<bob@example.test>"},
                                  "Subject: before\r\n\r\nbefore\r\n")) == 250);
  }
  REQUIRE(sink.wait_for_messages(1, kPatience).size() == 1);

  // A transaction cut off in the middle of DATA is never reported.
  TestSmtpClient unfinished(port);
  CHECK(reply_code(unfinished.reply()) == 220);
  CHECK(reply_code(unfinished.command("EHLO client.test")) == 250);
  CHECK(reply_code(unfinished.command("MAIL FROM:<alice@example.test>")) == 250);
  CHECK(reply_code(unfinished.command("RCPT TO:<bob@example.test>")) == 250);
  CHECK(reply_code(unfinished.command("DATA")) == 354);
  unfinished.send("Subject: unfinished\r\n\r\nhalf a message\r\n");
  CHECK(sink.messages().size() == 1);

  sink.stop();
  CHECK_FALSE(sink.running());
  CHECK(refused(port));
  CHECK(sink.messages().size() == 1);
  CHECK(list_dir(sink.dump_dir()).size() == 1);

  sink.restart();
  CHECK(sink.port() == port);
  TestSmtpClient client(port);
  CHECK(reply_code(client.reply()) == 220);
  CHECK(reply_code(client.command("EHLO client.test")) == 250);
  CHECK(reply_code(send_message(client, "<alice@example.test>", {"<bob@example.test>"},
                                "Subject: after\r\n\r\nafter\r\n")) == 250);
  std::vector<DumpedMessage> messages = sink.wait_for_messages(2, kPatience);
  REQUIRE(messages.size() == 2);
  CHECK(messages[0].content == "Subject: before\n\nbefore\n");
  CHECK(messages[1].content == "Subject: after\n\nafter\n");

  sink.clear_messages();
  CHECK(sink.messages().empty());
}

TEST_CASE("smtp-sink -n counts the test's sessions only") {
  std::string why;
  UVMAPI_SKIP_UNLESS(SmtpSink::available(why), why);
  SmtpSink sink({"-n", "1"});
  CHECK(sink.running());
  {
    TestSmtpClient client(sink.port());
    CHECK(reply_code(client.reply()) == 220);
    CHECK(reply_code(client.command("QUIT")) == 221);
  }
  const auto deadline = std::chrono::steady_clock::now() + kPatience;
  while (sink.running() && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(5ms);
  }
  CHECK_FALSE(sink.running());
}

TEST_CASE("smtp-source sends into smtp-sink") {
  std::string why;
  UVMAPI_SKIP_UNLESS(SmtpSink::available(why), why);
  const std::string source = SmtpSink::smtp_source_binary();
  UVMAPI_SKIP_UNLESS(!source.empty(), "smtp-source (Postfix) is not installed");
  SmtpSink sink;
  const std::vector<std::string> argv = {
      source,
      "-m",
      "3",
      "-f",
      "alice@example.test",
      "-t",
      "bob@example.test",
      "-M",
      "client.test",
      std::string("inet:127.0.0.1:") + std::to_string(sink.port())};
  CommandResult result = run_command(argv, 30s);
  INFO(describe(argv, result));
  CHECK(result.exit_code == 0);
  std::vector<DumpedMessage> messages = sink.wait_for_messages(3, kPatience);
  REQUIRE(messages.size() == 3);
  for (const DumpedMessage& message : messages) {
    CHECK(message.mail_from() == "alice@example.test");
    CHECK(message.recipients() == std::vector<std::string>{"bob@example.test"});
  }
}

TEST_CASE("Postfix delivers a message intact into the Maildir") {
  std::string why;
  UVMAPI_SKIP_UNLESS(PostfixServer::available(why), why);
  PostfixServer server;
  server.start();
  MESSAGE("Postfix started in " << server.last_start_duration().count() << " ms");

  TestSmtpClient client(server.smtp_port());
  CHECK(client.reply().find("220 mx.example.test ESMTP") == 0);
  std::string ehlo = client.command("EHLO client.test");
  CHECK(advertises(ehlo, "8BITMIME"));
  CHECK(advertises(ehlo, "SIZE"));
  const std::string content = tricky_message("Postfix");
  REQUIRE(reply_code(client.command("MAIL FROM:<alice@example.test> BODY=8BITMIME")) == 250);
  REQUIRE(reply_code(client.command("RCPT TO:<bob@example.test>")) == 250);
  REQUIRE(reply_code(client.command("RCPT TO:<carol@example.test>")) == 250);
  // Other domains are refused: the server relays nowhere.
  CHECK(client.command("RCPT TO:<dave@elsewhere.test>").find("554 5.7.1") == 0);
  REQUIRE(reply_code(client.command("DATA")) == 354);
  client.send(dot_stuff(content));
  CHECK(client.reply().find("250 2.0.0 Ok: queued as ") == 0);
  CHECK(reply_code(client.command("QUIT")) == 221);

  std::vector<DeliveredMessage> mail = server.wait_for_delivered(2, kPatience);
  INFO(server.log());
  REQUIRE(mail.size() == 2);
  CHECK(sorted({mail[0].delivered_to, mail[1].delivered_to}) ==
        std::vector<std::string>{"bob@example.test", "carol@example.test"});
  for (const DeliveredMessage& message : mail) {
    CHECK(message.return_path == "alice@example.test");
    CHECK(message.original_to == message.delivered_to);
    CHECK(message.received.find("Received: from client.test (unknown [127.0.0.1])\n\tby "
                                "mx.example.test (Postfix) with ESMTP id ") == 0);
    CHECK(message.content == maildir_form(content));
    CHECK(message.bytes.find("Return-Path: <alice@example.test>\nX-Original-To: ") == 0);
  }
  server.clear_delivered();
  CHECK(server.delivered().empty());
}

TEST_CASE("Postfix offers STARTTLS on the plain port and requires it on another") {
  std::string why;
  UVMAPI_SKIP_UNLESS(PostfixServer::available(why), why);
  PostfixServer server;
  server.start();

  SUBCASE("offered") {
    TestSmtpClient client(server.smtp_port());
    CHECK(reply_code(client.reply()) == 220);
    std::string ehlo = client.command("EHLO client.test");
    CHECK(advertises(ehlo, "STARTTLS"));
    // AUTH only over TLS.
    CHECK_FALSE(advertises(ehlo, "AUTH"));
    // Mail without TLS is accepted here.
    CHECK(reply_code(client.command("MAIL FROM:<alice@example.test>")) == 250);
  }
  SUBCASE("required") {
    TestSmtpClient client(server.starttls_port());
    CHECK(reply_code(client.reply()) == 220);
    CHECK(advertises(client.command("EHLO client.test"), "STARTTLS"));
    CHECK(client.command("MAIL FROM:<alice@example.test>").find("530 5.7.0") == 0);
    CHECK(reply_code(client.command("STARTTLS")) == 220);
    std::string error;
    REQUIRE_MESSAGE(client.start_tls(server.ca_file(), "localhost", error), error);
    std::string ehlo = client.command("EHLO client.test");
    CHECK_FALSE(advertises(ehlo, "STARTTLS"));
    CHECK(reply_code(client.command("MAIL FROM:<alice@example.test>")) == 250);
    CHECK(reply_code(client.command("RCPT TO:<bob@example.test>")) == 250);
  }
}

TEST_CASE("Postfix implicit TLS verifies against ca_file and not against wrong_ca_file") {
  std::string why;
  UVMAPI_SKIP_UNLESS(PostfixServer::available(why), why);
  PostfixServer server;
  server.start();

  std::string error;
  for (const char* name : {"localhost", "127.0.0.1"}) {
    TestSmtpClient client(server.smtps_port());
    REQUIRE_MESSAGE(client.start_tls(server.ca_file(), name, error), error);
    CHECK(client.reply().find("220 mx.example.test ESMTP") == 0);
    CHECK(reply_code(client.command("EHLO client.test")) == 250);
  }
  {
    TestSmtpClient client(server.smtps_port());
    CHECK_FALSE(client.start_tls(server.wrong_ca_file(), "localhost", error));
    CHECK(error.find("certificate verify failed") != std::string::npos);
  }
  {
    TestSmtpClient client(server.smtps_port());
    CHECK_FALSE(client.start_tls(server.ca_file(), "mx.elsewhere.test", error));
    CHECK(error.find("certificate verify failed") != std::string::npos);
  }
}

TEST_CASE("Postfix AUTH PLAIN and LOGIN after STARTTLS") {
  std::string why;
  UVMAPI_SKIP_UNLESS(PostfixServer::available(why), why);
  PostfixServer server;
  UVMAPI_SKIP_UNLESS(server.sasl_enabled(), server.sasl_unavailable_reason());
  server.start();
  const std::string user = PostfixServer::kSaslUser;
  const std::string password = PostfixServer::kSaslPassword;

  auto encrypted_session = [&](TestSmtpClient& client) {
    REQUIRE(reply_code(client.reply()) == 220);
    REQUIRE(reply_code(client.command("EHLO client.test")) == 250);
    REQUIRE(reply_code(client.command("STARTTLS")) == 220);
    std::string error;
    REQUIRE_MESSAGE(client.start_tls(server.ca_file(), "localhost", error), error);
    std::string ehlo = client.command("EHLO client.test");
    CHECK(ehlo.find("250-AUTH PLAIN LOGIN") != std::string::npos);
  };
  SUBCASE("PLAIN") {
    TestSmtpClient client(server.smtp_port());
    encrypted_session(client);
    std::string reply = client.command(
        "AUTH PLAIN " + base64(std::string("\0", 1) + user + std::string("\0", 1) + password));
    INFO(server.log());
    CHECK(reply.find("235 2.7.0") == 0);
  }
  SUBCASE("LOGIN") {
    TestSmtpClient client(server.smtp_port());
    encrypted_session(client);
    CHECK(client.command("AUTH LOGIN") == "334 VXNlcm5hbWU6");
    CHECK(client.command(base64(user)) == "334 UGFzc3dvcmQ6");
    CHECK(client.command(base64(password)).find("235 2.7.0") == 0);
  }
  SUBCASE("a wrong password") {
    TestSmtpClient client(server.smtp_port());
    encrypted_session(client);
    std::string reply = client.command(
        "AUTH PLAIN " + base64(std::string("\0", 1) + user + std::string("\0", 1) + "wrong"));
    CHECK(reply.find("535 5.7.8") == 0);
  }
}

TEST_CASE("Postfix with require_auth refuses recipients until the client logs in") {
  std::string why;
  UVMAPI_SKIP_UNLESS(PostfixServer::available(why), why);
  PostfixServer::Options options;
  options.require_auth = true;
  PostfixServer server(options);
  UVMAPI_SKIP_UNLESS(server.sasl_enabled(), server.sasl_unavailable_reason());
  server.start();

  TestSmtpClient client(server.smtps_port());
  std::string error;
  REQUIRE_MESSAGE(client.start_tls(server.ca_file(), "localhost", error), error);
  CHECK(reply_code(client.reply()) == 220);
  CHECK(reply_code(client.command("EHLO client.test")) == 250);
  CHECK(reply_code(client.command("MAIL FROM:<alice@example.test>")) == 250);
  CHECK(client.command("RCPT TO:<bob@example.test>").find("554 5.7.1") == 0);
  CHECK(reply_code(client.command("RSET")) == 250);
  CHECK(reply_code(client.command(
            "AUTH PLAIN " + base64(std::string("\0", 1) + PostfixServer::kSaslUser +
                                   std::string("\0", 1) + PostfixServer::kSaslPassword))) == 235);
  CHECK(reply_code(send_message(client, "<alice@example.test>", {"<bob@example.test>"},
                                "Subject: authenticated\r\n\r\nhello\r\n")) == 250);
  CHECK(server.wait_for_delivered(1, kPatience).size() == 1);
}

TEST_CASE("Postfix stops and comes back on the same ports") {
  std::string why;
  UVMAPI_SKIP_UNLESS(PostfixServer::available(why), why);
  PostfixServer server;
  server.start();
  server.stop();
  CHECK_FALSE(server.running());
  for (std::uint16_t port : {server.smtp_port(), server.starttls_port(), server.smtps_port()}) {
    CHECK(refused(port));
  }

  server.start();
  MESSAGE("Postfix restarted in " << server.last_start_duration().count() << " ms");
  TestSmtpClient client(server.smtp_port());
  CHECK(reply_code(client.reply()) == 220);
  CHECK(reply_code(client.command("EHLO client.test")) == 250);
  CHECK(reply_code(send_message(client, "<alice@example.test>", {"<bob@example.test>"},
                                "Subject: again\r\n\r\nagain\r\n")) == 250);
  std::vector<DeliveredMessage> mail = server.wait_for_delivered(1, kPatience);
  REQUIRE(mail.size() == 1);
  CHECK(mail[0].content == "Subject: again\n\nagain\n");
}

}  // namespace uvmapi::test::servers
