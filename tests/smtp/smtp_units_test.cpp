// The SMTP client's pure parts: reply parsing, the DATA encoding, the EHLO
// keywords, addresses, the URL and the non-delivery report.
#include <doctest/doctest.h>

#include "smtp/smtp_config.h"
#include "smtp/smtp_reply.h"
#include "smtp/smtp_report.h"
#include "smtp/smtp_wire.h"

namespace uvmapi {

namespace {

std::vector<SmtpReply> parse_all(const std::string& input, std::string* error = nullptr) {
  SmtpReplyParser parser;
  parser.feed(input);
  std::vector<SmtpReply> replies;
  SmtpReply reply;
  std::string why;
  while (true) {
    auto result = parser.next(reply, why);
    if (result == SmtpReplyParser::Result::Reply) {
      replies.push_back(reply);
      continue;
    }
    if (error) *error = result == SmtpReplyParser::Result::Error ? why : "";
    return replies;
  }
}

}  // namespace

TEST_CASE("smtp reply: single and multi-line replies, with and without enhanced codes") {
  auto replies = parse_all(
      "220 mx.example ESMTP\r\n250-mx.example\r\n250-PIPELINING\r\n250 SIZE 100\r\n"
      "550 5.1.1 No such user\r\n354\r\n");
  REQUIRE(replies.size() == 4);
  CHECK(replies[0].code == 220);
  CHECK(replies[0].lines == std::vector<std::string>{"mx.example ESMTP"});
  CHECK(replies[1].lines.size() == 3);
  CHECK(replies[1].lines[2] == "SIZE 100");
  CHECK(replies[2].enhanced == "5.1.1");
  CHECK(replies[2].lines[0] == "No such user");
  CHECK(replies[2].permanent());
  CHECK(replies[2].text() == "550 5.1.1 No such user");
  CHECK(replies[3].code == 354);
  CHECK(replies[3].positive());
}

TEST_CASE("smtp reply: a reply split across reads waits for its end") {
  SmtpReplyParser parser;
  SmtpReply reply;
  std::string error;
  parser.feed("250-first\r\n25");
  CHECK(parser.next(reply, error) == SmtpReplyParser::Result::NeedMore);
  parser.feed("0 last\r");
  CHECK(parser.next(reply, error) == SmtpReplyParser::Result::NeedMore);
  parser.feed("\n");
  REQUIRE(parser.next(reply, error) == SmtpReplyParser::Result::Reply);
  CHECK(reply.lines == std::vector<std::string>{"first", "last"});
  CHECK_FALSE(parser.has_pending_input());
}

TEST_CASE("smtp reply: malformed input is refused, never guessed at") {
  const char* bad[] = {
      "25O ok\r\n",          // Not a digit.
      "650 what\r\n",        // No such class.
      "250-a\r\n251 b\r\n",  // The code changes inside a reply.
      "250 ok\n",            // Bare LF.
      "250xok\r\n",          // No separator.
      "2\r\n",               // Too short.
      "250 a\rb\r\n",        // A CR inside the text.
  };
  for (const char* input : bad) {
    CAPTURE(input);
    std::string error;
    auto replies = parse_all(input, &error);
    CHECK(replies.empty());
    CHECK_FALSE(error.empty());
  }
  std::string error;
  parse_all("250 " + std::string(5000, 'x'), &error);
  CHECK(error.find("too long") != std::string::npos);
}

TEST_CASE("smtp reply: an enhanced code of another class is text, not a code") {
  auto replies = parse_all("250 5.1.1 odd\r\n450 4.2.2 Mailbox full\r\n");
  REQUIRE(replies.size() == 2);
  CHECK(replies[0].enhanced.empty());
  CHECK(replies[0].lines[0] == "5.1.1 odd");
  CHECK(replies[1].enhanced == "4.2.2");
  CHECK(replies[1].transient());
}

TEST_CASE("smtp wire: DATA gets CRLF line ends, dot-stuffing and the final dot") {
  CHECK(encode_data("a\r\nb\r\n") == "a\r\nb\r\n.\r\n");
  CHECK(encode_data("a\nb") == "a\r\nb\r\n.\r\n");
  CHECK(encode_data("a\rb\r\n") == "a\r\nb\r\n.\r\n");
  CHECK(encode_data(".hidden\r\n..two\r\nmid.dle\r\n.") ==
        "..hidden\r\n...two\r\nmid.dle\r\n..\r\n.\r\n");
  CHECK(encode_data("") == ".\r\n");
  CHECK(encode_data("x\r\n.\r\ny") == "x\r\n..\r\ny\r\n.\r\n");
  CHECK(has_8bit("caf\xc3\xa9"));
  CHECK_FALSE(has_8bit("cafe"));
}

TEST_CASE("smtp wire: the EHLO keywords the client uses") {
  auto replies = parse_all(
      "250-mx.example\r\n250-PIPELINING\r\n250-SIZE 10240000\r\n250-8BITMIME\r\n"
      "250-ENHANCEDSTATUSCODES\r\n250-STARTTLS\r\n250-AUTH=LOGIN\r\n250 AUTH plain cram-md5\r\n");
  REQUIRE(replies.size() == 1);
  SmtpCapabilities caps = parse_ehlo(replies[0]);
  CHECK(caps.esmtp);
  CHECK(caps.pipelining);
  CHECK(caps.size);
  CHECK(caps.max_size == 10240000);
  CHECK(caps.eight_bit_mime);
  CHECK(caps.enhanced_status_codes);
  CHECK(caps.starttls);
  CHECK(caps.auth_plain);
  CHECK(caps.auth_login);
  SmtpCapabilities bare = parse_ehlo(parse_all("250 mx.example\r\n")[0]);
  CHECK_FALSE(bare.pipelining);
  CHECK_FALSE(bare.starttls);
  CHECK(bare.max_size == 0);
}

TEST_CASE("smtp wire: envelope addresses that could break a command are refused") {
  CHECK(valid_envelope_address("bob@example.test"));
  CHECK(valid_envelope_address(""));
  CHECK_FALSE(valid_envelope_address("bob@example.test>\r\nRCPT TO:<eve@example.test"));
  CHECK_FALSE(valid_envelope_address("bob smith@example.test"));
  CHECK_FALSE(valid_envelope_address("<bob@example.test>"));
  CHECK_FALSE(
      valid_envelope_address("b\xc3\xb6"
                             "b@example.test"));
  CHECK_FALSE(valid_envelope_address(std::string(300, 'a')));
}

TEST_CASE("smtp wire: base64 as AUTH needs it") {
  CHECK(base64_encode("") == "");
  CHECK(base64_encode("f") == "Zg==");
  CHECK(base64_encode("fo") == "Zm8=");
  CHECK(base64_encode("foo") == "Zm9v");
  CHECK(base64_encode(std::string("\0user\0pass", 10)) == "AHVzZXIAcGFzcw==");
}

TEST_CASE("smtp config: URLs") {
  SmtpConfig config;
  std::string error;
  REQUIRE(parse_smtp_url("smtp://mail.example.test", config, error) == S_OK);
  CHECK(config.host == "mail.example.test");
  CHECK(config.port == 587);
  CHECK(config.security == SmtpSecurity::StartTls);
  REQUIRE(parse_smtp_url("smtps://bob@mail.example.test:2465/", config, error) == S_OK);
  CHECK(config.port == 2465);
  CHECK(config.security == SmtpSecurity::Implicit);
  CHECK(config.username == "bob");
  REQUIRE(parse_smtp_url("smtp://[::1]:25", config, error) == S_OK);
  CHECK(config.host == "::1");
  CHECK(config.port == 25);

  SmtpConfig before = config;
  for (const char* bad :
       {"http://x", "smtp://", "smtp://host:0", "smtp://host:99999", "smtp://host:x",
        "smtp://host/path", "smtp://[::1", "smtp://ho st", "smtp://@host"}) {
    CAPTURE(bad);
    CHECK(parse_smtp_url(bad, config, error) == MAPI_E_INVALID_PARAMETER);
    CHECK_FALSE(error.empty());
    CHECK(config.host == before.host);
  }
  for (const char* with_password : {"smtp://bob:secret@host", "smtp://bob:secret@host/path",
                                    "ftp://bob:secret@host", "smtp://bob:secret@[::1"}) {
    CAPTURE(with_password);
    CHECK(parse_smtp_url(with_password, config, error) == MAPI_E_INVALID_PARAMETER);
    CHECK(error.find("secret") == std::string::npos);
  }
}

TEST_CASE("smtp config: values that cannot work are refused with a reason") {
  SmtpConfig good;
  good.host = "mx.example.test";
  std::string error;
  CHECK(validate_smtp_config(good, error) == S_OK);
  auto refused = [&](auto change) {
    SmtpConfig config = good;
    change(config);
    error.clear();
    return validate_smtp_config(config, error) == MAPI_E_INVALID_PARAMETER && !error.empty();
  };
  CHECK(refused([](SmtpConfig& c) { c.host.clear(); }));
  CHECK(refused([](SmtpConfig& c) { c.connections = 0; }));
  CHECK(refused([](SmtpConfig& c) { c.command_timeout = std::chrono::milliseconds(0); }));
  CHECK(refused([](SmtpConfig& c) { c.retry_max = std::chrono::milliseconds(1); }));
  CHECK(refused([](SmtpConfig& c) { c.username = "bob"; }));
  CHECK(refused([](SmtpConfig& c) { c.password = "secret"; }));
  CHECK(refused([](SmtpConfig& c) { c.helo_name = "bad name\r\n"; }));
}

TEST_CASE("smtp report: a delivery-status report names each recipient and its answer") {
  DeliveryReportInput input;
  input.original_sender = "alice@example.test";
  input.original_header = header_section("Subject: hi\r\nFrom: alice@example.test\r\n\r\nbody\r\n");
  CHECK(input.original_header == "Subject: hi\r\nFrom: alice@example.test\r\n");
  input.recipients.push_back({"bob@example.test", true, {}});
  input.recipients.push_back(
      {"eve@example.test", false, local_reply(550, "5.1.1", "No such user")});
  input.reporting_host = "client.example.test";
  input.remote_host = "mx.example.test";
  input.when = 0;
  Message report = make_delivery_report(input);
  CHECK(report.envelope.sender.empty());
  CHECK(report.envelope.recipients == std::vector<std::string>{"alice@example.test"});
  const std::string& text = report.content;
  CHECK(text.find("Content-Type: multipart/report; report-type=delivery-status;") !=
        std::string::npos);
  CHECK(text.find("Final-Recipient: rfc822; eve@example.test\r\nAction: failed\r\nStatus: 5.1.1") !=
        std::string::npos);
  CHECK(text.find("Final-Recipient: rfc822; bob@example.test\r\nAction: delivered") !=
        std::string::npos);
  CHECK(text.find("Diagnostic-Code: smtp; 550 5.1.1 No such user") != std::string::npos);
  CHECK(text.find("Subject: hi") != std::string::npos);
  CHECK(text.find("Date: Thu, 01 Jan 1970 00:00:00 +0000") != std::string::npos);
  CHECK(header_section("no body at all") == "no body at all");
  CHECK(header_section("A: b\n\nbody") == "A: b\n");
}

}  // namespace uvmapi
