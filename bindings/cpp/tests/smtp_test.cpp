// The SMTP transport through the C++ wrapper: SmtpOptions and its checks,
// the library's refusals as exceptions, SmtpStats, and messages sent for
// real to smtp-sink by a PURGE logoff.
#define DOCTEST_CONFIG_IMPLEMENT_WITH_MAIN
#include <doctest/doctest.h>

#include <uvmapi/uvmapi.hpp>

#include <algorithm>
#include <chrono>
#include <string>
#include <utility>
#include <vector>

#include "smtp_sink.h"

using namespace std::chrono_literals;
using uvmapi::Folder;
using uvmapi::LogoffFlags;
using uvmapi::SmtpOptions;
using uvmapi::SmtpSecurity;
using uvmapi_test::RefusingPort;
using uvmapi_test::SmtpSink;

namespace {

constexpr const char* kUnusedUrl = "smtp://127.0.0.1:2525";  // Nothing here logs a store on.
constexpr std::size_t kMessages = 3;

// Runs fn and returns the uvmapi::Error it throws (code S_OK if none).
template <typename Fn>
uvmapi::Error error_of(Fn&& fn) {
  try {
    fn();
  } catch (const uvmapi::Error& error) {
    return error;
  }
  return uvmapi::Error(UVMAPI_S_OK, "");
}

SmtpOptions plain(const std::string& url) {
  return SmtpOptions(url).security(SmtpSecurity::None);
}

void check_nothing_added(const uvmapi::Runtime& runtime) {
  CHECK(error_of([&] { runtime.smtp_stats("alice"); }).code() == MAPI_E_NOT_FOUND);
}

bool same(const uvmapi::SmtpStats& a, const uvmapi::SmtpStats& b) {
  return a.connections_opened == b.connections_opened &&
         a.connections_failed == b.connections_failed && a.transactions == b.transactions &&
         a.messages_sent == b.messages_sent && a.messages_deferred == b.messages_deferred &&
         a.messages_failed == b.messages_failed && a.recipients_accepted == b.recipients_accepted &&
         a.recipients_deferred == b.recipients_deferred &&
         a.recipients_refused == b.recipients_refused &&
         a.reports_delivered == b.reports_delivered && a.cancels == b.cancels &&
         a.retries_scheduled == b.retries_scheduled && a.last_problem == b.last_problem;
}

uvmapi::Message message(const std::string& subject) {
  uvmapi::Message m;
  m.sender = "alice@example.org";
  m.recipients = {"bob@example.org"};
  m.content = "From: alice@example.org\r\nTo: bob@example.org\r\nSubject: " + subject + "\r\n\r\n" +
              subject + "\r\n";
  return m;
}

// Submits kMessages messages to a fresh store and logs it off with PURGE.
uvmapi::Outcome purge(const uvmapi::Runtime& runtime) {
  uvmapi::Store store = runtime.open_store("alice");  // The logoff consumes it.
  for (std::size_t i = 0; i < kMessages; ++i) {
    store.submit(message("smtp message " + std::to_string(i)));
  }
  return std::move(store).logoff(LogoffFlags::Purge, 30s);
}

uvmapi::Runtime smtp_runtime(const SmtpOptions& options) {
  uvmapi::Runtime runtime(uvmapi::Runtime::Options().drain_deadline(60s));
  runtime.add_smtp_transport(options);
  return runtime;
}

}  // namespace

TEST_CASE("smtp: without an SMTP transport the stats are not found") {
  uvmapi::Runtime runtime;
  uvmapi::Error error = error_of([&] { runtime.smtp_stats("alice"); });
  CHECK(error.code() == MAPI_E_NOT_FOUND);
  CHECK(std::string(error.what()).find("no SMTP transport") != std::string::npos);
}

TEST_CASE("smtp: defaults, every working option, and zero stats before a logon") {
  uvmapi::Runtime runtime;
  runtime.add_smtp_transport(plain(kUnusedUrl));
  CHECK(same(runtime.smtp_stats("never-logged-on"), uvmapi::SmtpStats{}));
  runtime.add_smtp_transport(SmtpOptions("smtps://user@localhost:4650")
                                 .security(SmtpSecurity::None)
                                 .tls_server_name("mail.example.test")
                                 .password("not-shown")
                                 .auth_mechanism(uvmapi::SmtpAuth::Login)
                                 .helo_name("client.example.test")
                                 .verify(false)
                                 .allow_plaintext_auth(true)
                                 .pipelining(false)
                                 .connections(4)
                                 .connect_timeout(1s)
                                 .command_timeout(2s)
                                 .data_timeout(3s)
                                 .idle_timeout(10ms)
                                 .retry_initial(50ms)
                                 .retry_max(50ms));
  CHECK(same(runtime.smtp_stats("alice"), uvmapi::SmtpStats{}));
}

TEST_CASE("smtp: to_c carries every option into the C struct") {
  SmtpOptions options = SmtpOptions("smtp://mail.example.test")
                            .security(SmtpSecurity::Implicit)
                            .ca_file("/etc/ca.pem")
                            .username("alice")
                            .password("pw")
                            .auth_mechanism(uvmapi::SmtpAuth::Plain)
                            .verify(false)
                            .pipelining(false)
                            .connections(2)
                            .retry_max(7s);
  uvmapi_smtp_options c = options.to_c();
  CHECK(c.version == UVMAPI_SMTP_OPTIONS_VERSION);
  CHECK(std::string(c.url) == "smtp://mail.example.test");
  CHECK(c.security == UVMAPI_SMTP_SECURITY_IMPLICIT);
  CHECK(c.flags == (UVMAPI_SMTP_NO_VERIFY | UVMAPI_SMTP_NO_PIPELINING));
  CHECK(std::string(c.ca_file) == "/etc/ca.pem");
  CHECK(c.tls_server_name == nullptr);
  CHECK(c.helo_name == nullptr);
  CHECK(c.auth_mechanism == UVMAPI_SMTP_AUTH_PLAIN);
  CHECK(c.connections == 2);
  CHECK(c.retry_max_ms == 7000);
  CHECK(c.connect_timeout_ms == 0);
  CHECK(SmtpOptions("x").verify(false).verify(true).to_c().flags == 0);
}

TEST_CASE("smtp: bad values are refused with the reason, and nothing is added") {
  uvmapi::Runtime runtime;
  struct Row {
    SmtpOptions options;
    uvmapi_hresult code;
    const char* mention;
  };
  std::vector<Row> rows = {
      {plain(""), MAPI_E_INVALID_PARAMETER, "smtp://"},
      {plain("http://mail.example.test"), MAPI_E_INVALID_PARAMETER, "smtp://"},
      {plain("smtp://"), MAPI_E_INVALID_PARAMETER, "host"},
      {plain("smtp://mail.example.test:0"), MAPI_E_INVALID_PARAMETER, "port"},
      {plain("smtp://mail.example.test/inbox"), MAPI_E_INVALID_PARAMETER, "path"},
      {plain(kUnusedUrl).username("alice"), MAPI_E_INVALID_PARAMETER, "password"},
      {plain(kUnusedUrl).password("secret-alone"), MAPI_E_INVALID_PARAMETER, "user name"},
      {plain(kUnusedUrl).helo_name("not a host!"), MAPI_E_INVALID_PARAMETER, "EHLO"},
      {plain(kUnusedUrl).retry_initial(600s), MAPI_E_INVALID_PARAMETER, "retry"},
      {SmtpOptions(kUnusedUrl).security(SmtpSecurity::StartTls).ca_file("/nonexistent/ca.pem"),
       MAPI_E_INVALID_PARAMETER, "/nonexistent/ca.pem"},
      {plain(std::string("smtp://mail\0.example.test", 25)), MAPI_E_INVALID_PARAMETER, "NUL"},
      {plain(kUnusedUrl).security(static_cast<SmtpSecurity>(9)), MAPI_E_INVALID_PARAMETER,
       "security"},
  };
  for (const Row& row : rows) {
    CAPTURE(row.mention);
    uvmapi::Error error = error_of([&] { runtime.add_smtp_transport(row.options); });
    CHECK(error.code() == row.code);
    CHECK(std::string(error.what()).find(row.mention) != std::string::npos);
    CHECK(std::string(error.what()).find("secret") == std::string::npos);
    check_nothing_added(runtime);
  }
  // The wrapper refuses what the library would read as "the default".
  CHECK(error_of([] { SmtpOptions(kUnusedUrl).connections(0); }).code() ==
        MAPI_E_INVALID_PARAMETER);
  CHECK(error_of([] { SmtpOptions(kUnusedUrl).idle_timeout(0ms); }).code() ==
        MAPI_E_INVALID_PARAMETER);
}

TEST_CASE("smtp: a password in the URL is refused and never repeated") {
  uvmapi::Runtime runtime;
  for (const char* url :
       {"smtp://alice:Pa55-w0rd@mail.example.test", "smtp://alice:Pa55-w0rd@mail.example.test/path",
        "smtp://alice:Pa55/w0rd@mail.example.test", "ftp://alice:Pa55-w0rd@mail.example.test"}) {
    CAPTURE(url);
    uvmapi::Error error = error_of([&] { runtime.add_smtp_transport(plain(url)); });
    CHECK(error.code() == MAPI_E_INVALID_PARAMETER);
    std::string shown = error.what();
    CHECK(shown.find("Pa55") == std::string::npos);
    CHECK(shown.find("w0rd") == std::string::npos);
    check_nothing_added(runtime);
  }
}

TEST_CASE("smtp: after shutdown nothing is added and the stats stay readable") {
  uvmapi::Runtime runtime;
  runtime.add_smtp_transport(plain(kUnusedUrl));
  runtime.shutdown();
  CHECK(error_of([&] { runtime.add_smtp_transport(plain(kUnusedUrl)); }).code() ==
        MAPI_E_CALL_FAILED);
  CHECK(same(runtime.smtp_stats("alice"), uvmapi::SmtpStats{}));
}

TEST_CASE("smtp: PURGE delivers the Outbox to smtp-sink") {
  std::optional<std::string> program = uvmapi_test::find_smtp_sink();
  if (!program) {
    if (uvmapi_test::strict()) {
      FAIL(
          "smtp-sink (Postfix) is not installed, and CI=true or UVMAPI_TESTS_STRICT=1 forbids "
          "skipping");
    }
    MESSAGE("NOTICE: smtp-sink (Postfix) is not installed: skipped");
    return;
  }
  SmtpSink sink(*program);
  uvmapi::Runtime runtime = smtp_runtime(plain(sink.url()).helo_name("cpp.example.test"));
  uvmapi::Outcome outcome = purge(runtime);
  CHECK(outcome.released);
  CHECK(outcome.at_final == LogoffFlags::Complete);
  {
    // The in-memory store outlives its opener: look at it again.
    uvmapi::Store again = runtime.open_store("alice");
    CHECK(again.count(Folder::Outbox) == 0);
    CHECK(again.count(Folder::SentItems) == kMessages);
  }
  std::vector<std::string> dumps = sink.wait_for(kMessages);
  REQUIRE(dumps.size() == kMessages);
  for (std::size_t i = 0; i < kMessages; ++i) {
    std::string subject = "Subject: smtp message " + std::to_string(i);
    CHECK(std::count_if(dumps.begin(), dumps.end(), [&](const std::string& d) {
            return d.find(subject) != std::string::npos;
          }) == 1);
  }
  for (const auto& dump : dumps)
    CHECK(dump.find("X-Helo-Args: cpp.example.test") != std::string::npos);
  uvmapi::SmtpStats stats = runtime.smtp_stats("alice");
  CHECK(stats.messages_sent == kMessages);
  CHECK(stats.recipients_accepted == kMessages);
  CHECK(stats.messages_deferred == 0);
  CHECK(stats.messages_failed == 0);
  CHECK(stats.connections_failed == 0);
  CHECK(stats.connections_opened >= 1);
}

TEST_CASE("smtp: with the server down PURGE leaves the Outbox queued") {
  RefusingPort refusing;
  uvmapi::Runtime runtime = smtp_runtime(plain(refusing.url()).connect_timeout(5s));
  uvmapi::Outcome outcome = purge(runtime);
  CHECK(outcome.released);
  CHECK(!outcome.forced);
  CHECK((outcome.at_final & LogoffFlags::OutboundQueue) == LogoffFlags::OutboundQueue);
  {
    uvmapi::Store again = runtime.open_store("alice");
    CHECK(again.count(Folder::Outbox) == kMessages);
    CHECK(again.count(Folder::SentItems) == 0);
  }
  uvmapi::SmtpStats stats = runtime.smtp_stats("alice");
  CHECK(stats.messages_sent == 0);
  CHECK(stats.connections_failed >= 1);
  CHECK(stats.messages_deferred >= kMessages);
  CHECK(!stats.last_problem.empty());
}
