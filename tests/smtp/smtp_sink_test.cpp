// The SMTP transport against Postfix's smtp-sink on loopback: volume over
// reused and parallel connections, and every fault smtp-sink can play (hard
// and soft refusals, 421, disconnects, a slow DATA, an abort after DATA, a
// server that is gone), each under the logoff modes it matters to.
#include <doctest/doctest.h>

#include "smtp_node.h"
#include "support/skip.h"
#include "support/smtp_sink.h"

namespace uvmapi::test {

namespace {

using servers::SmtpSink;

// A case whose server cannot run is skipped (77), or failed when CI=true.
#define REQUIRE_SINK()                                 \
  do {                                                 \
    std::string why;                                   \
    UVMAPI_SKIP_UNLESS(SmtpSink::available(why), why); \
  } while (0)

bool received(SmtpSink& sink, std::size_t count) {
  return sink.wait_for_messages(count, kSmtpPatience).size() >= count;
}

void submit_many(SmtpNode& node, Opener& opener, int count, const std::string& tag) {
  node.run([&] {
    for (int i = 0; i < count; ++i) {
      MessageId id = 0;
      CHECK(opener.submit(smtp_message(tag + std::to_string(i)), id) == S_OK);
    }
  });
}

}  // namespace

TEST_CASE("smtp sink: PURGE sends 300 messages over one reused, pipelined connection") {
  REQUIRE_SINK();
  SmtpSink sink;
  SmtpNode node(plain_config(sink.port()));
  auto alice = node.open();
  submit_many(node, *alice, 300, "bulk ");
  auto report = finished(node.logoff(*alice, LOGOFF_PURGE));
  CHECK(report.released);
  CHECK(report.at_final == LOGOFF_COMPLETE);
  CHECK(node.count(Folder::SentItems) == 300);
  CHECK(node.count(Folder::Outbox) == 0);
  CHECK(received(sink, 300));
  SmtpStats stats = node.stats();
  CHECK(stats.connections_opened == 1);
  CHECK(stats.messages_sent == 300);
  auto messages = sink.messages();
  REQUIRE_FALSE(messages.empty());
  CHECK(messages[0].content.find("Subject: bulk ") != std::string::npos);
}

TEST_CASE("smtp sink: ten connections share the queue") {
  REQUIRE_SINK();
  SmtpSink sink;
  SmtpConfig config = plain_config(sink.port());
  config.connections = 10;
  SmtpNode node(config);
  auto alice = node.open();
  submit_many(node, *alice, 400, "wide ");
  CHECK(finished(node.logoff(*alice, LOGOFF_PURGE)).at_final == LOGOFF_COMPLETE);
  CHECK(node.count(Folder::SentItems) == 400);
  CHECK(received(sink, 400));
  SmtpStats stats = node.stats();
  CHECK(stats.connections_opened > 1);
  CHECK(stats.connections_opened <= 10);
}

TEST_CASE("smtp sink: hard-refused recipients get a report; the message stays in the Outbox") {
  REQUIRE_SINK();
  SmtpSink sink({"-f", "RCPT"});
  SmtpNode node(plain_config(sink.port()));
  auto alice = node.open();
  node.submit(*alice, smtp_message("refused"));
  CHECK(node.wait_until([](SmtpNode& n) { return n.count(Folder::Inbox) == 1; }));
  auto report = finished(node.logoff(*alice, LOGOFF_PURGE));
  CHECK(report.at_final == (LOGOFF_COMPLETE | LOGOFF_OUTBOUND_QUEUE));
  CHECK(node.count(Folder::Outbox) == 1);
  CHECK(node.count(Folder::SentItems) == 0);
  auto inbox = node.messages(Folder::Inbox);
  REQUIRE(inbox.size() == 1);
  CHECK(inbox[0].content.find("Action: failed") != std::string::npos);
  CHECK(inbox[0].content.find("Subject: refused") != std::string::npos);
  CHECK(sink.messages().empty());
}

TEST_CASE("smtp sink: soft refusals, 421 and disconnects keep messages queued, and PURGE ends") {
  struct Fault {
    std::string name;
    std::vector<std::string> options;
    bool refuses = false;  // Some answer is a 5xx: reports are due.
  };
  for (const Fault& fault :
       {Fault{"4xx to RCPT", {"-r", "RCPT"}}, Fault{"4xx to the dot", {"-r", "."}},
        Fault{"421 at MAIL", {"-Q", "MAIL"}}, Fault{"disconnect at DATA", {"-q", "DATA"}},
        Fault{"disconnect at the dot", {"-q", "."}},
        Fault{"550 and a hang-up after DATA", {"-A", "0"}, true}}) {
    CAPTURE(fault.name);
    REQUIRE_SINK();
    SmtpSink sink(fault.options);
    SmtpNode node(plain_config(sink.port()));
    auto alice = node.open();
    submit_many(node, *alice, 5, "fault ");
    CHECK(node.wait_until([](SmtpNode& n) { return n.stats().messages_deferred >= 5; }));
    auto report = finished(node.logoff(*alice, LOGOFF_PURGE));
    CHECK(report.released);
    CHECK(report.at_final == (LOGOFF_COMPLETE | LOGOFF_OUTBOUND_QUEUE));
    CHECK(node.count(Folder::Outbox) == 5);
    CHECK(node.count(Folder::SentItems) == 0);
    if (fault.refuses) {
      CHECK(node.count(Folder::Inbox) >= 1);
    } else {
      CHECK(node.count(Folder::Inbox) == 0);
    }
    CHECK_FALSE(node.stats().last_problem.empty());
  }
}

TEST_CASE("smtp sink: a server that is gone, then back: the queue waits and then goes") {
  REQUIRE_SINK();
  SmtpSink sink;
  sink.stop();
  SmtpNode node(plain_config(sink.port()));
  auto alice = node.open();
  submit_many(node, *alice, 20, "later ");
  CHECK(node.wait_until([](SmtpNode& n) { return n.stats().messages_deferred >= 20; }));
  CHECK(node.stats().last_problem.find("cannot connect") != std::string::npos);
  CHECK(node.count(Folder::Outbox) == 20);
  sink.restart();
  // The backoff brings them back without anyone asking.
  CHECK(node.wait_until([](SmtpNode& n) { return n.count(Folder::SentItems) == 20; }));
  CHECK(received(sink, 20));
  CHECK(finished(node.logoff(*alice, LOGOFF_ORDERLY)).at_final == LOGOFF_COMPLETE);
}

TEST_CASE("smtp sink: each logoff mode against a server that is gone") {
  REQUIRE_SINK();
  SmtpSink sink;
  std::uint16_t port = sink.port();
  sink.stop();
  for (std::uint32_t mode : {LOGOFF_NO_WAIT, LOGOFF_ORDERLY, LOGOFF_PURGE, LOGOFF_ABORT}) {
    CAPTURE(mode);
    SmtpNode node(plain_config(port));
    auto alice = node.open();
    submit_many(node, *alice, 10, "gone ");
    auto report = finished(node.logoff(*alice, mode));
    CHECK(report.released);
    CHECK((report.at_final & LOGOFF_OUTBOUND_QUEUE) != 0);
    CHECK(node.count(Folder::Outbox) == 10);
    CHECK(node.count(Folder::SentItems) == 0);
  }
}

TEST_CASE("smtp sink: each logoff mode against a slow server") {
  // smtp-sink waits 1 s before it answers each DATA.
  REQUIRE_SINK();
  SmtpSink sink({"-w", "1"});
  SUBCASE("ORDERLY finishes the send in flight and keeps the queue") {
    SmtpNode node(plain_config(sink.port()));
    auto alice = node.open();
    submit_many(node, *alice, 3, "slow ");
    CHECK(node.wait_until([](SmtpNode& n) { return n.stats().transactions >= 1; }));
    auto report = finished(node.logoff(*alice, LOGOFF_ORDERLY));
    CHECK(report.released);
    CHECK(node.count(Folder::SentItems) + node.count(Folder::Outbox) == 3);
    CHECK(node.count(Folder::SentItems) >= 1);
    CHECK(received(sink, node.count(Folder::SentItems)));
  }
  SUBCASE("NO_WAIT and PURGE send everything") {
    for (std::uint32_t mode : {LOGOFF_NO_WAIT, LOGOFF_PURGE}) {
      CAPTURE(mode);
      SmtpNode node(plain_config(sink.port()));
      auto alice = node.open();
      submit_many(node, *alice, 3, "slow ");
      auto report = finished(node.logoff(*alice, mode));
      CHECK(report.at_final == LOGOFF_COMPLETE);
      CHECK(node.count(Folder::SentItems) == 3);
    }
  }
  SUBCASE("ABORT cancels what is in flight; nothing is lost") {
    SmtpNode node(plain_config(sink.port()));
    auto alice = node.open();
    submit_many(node, *alice, 3, "slow ");
    CHECK(node.wait_until([](SmtpNode& n) { return n.stats().transactions >= 1; }));
    auto report = finished(node.logoff(*alice, LOGOFF_ABORT));
    CHECK(report.released);
    CHECK(node.count(Folder::SentItems) + node.count(Folder::Outbox) == 3);
    CHECK(node.stats().cancels >= 1);
  }
}

TEST_CASE("smtp sink: a fast server under each logoff mode") {
  REQUIRE_SINK();
  SmtpSink sink;
  for (std::uint32_t mode : {LOGOFF_NO_WAIT, LOGOFF_ORDERLY, LOGOFF_PURGE, LOGOFF_ABORT}) {
    CAPTURE(mode);
    SmtpNode node(plain_config(sink.port()));
    auto alice = node.open();
    submit_many(node, *alice, 50, "fast ");
    auto report = finished(node.logoff(*alice, mode));
    CHECK(report.released);
    std::size_t sent = node.count(Folder::SentItems);
    CHECK(sent + node.count(Folder::Outbox) == 50);
    if (mode == LOGOFF_NO_WAIT || mode == LOGOFF_PURGE) CHECK(sent == 50);
  }
}

}  // namespace uvmapi::test

namespace uvmapi::test {

TEST_CASE("smtp sink: each logoff mode against a failing server") {
  REQUIRE_SINK();
  // Every RCPT is refused for now (4xx): nothing can be sent, nothing may be lost.
  servers::SmtpSink sink({"-r", "RCPT"});
  for (std::uint32_t mode : {LOGOFF_NO_WAIT, LOGOFF_ORDERLY, LOGOFF_PURGE, LOGOFF_ABORT}) {
    CAPTURE(mode);
    SmtpNode node(plain_config(sink.port()));
    auto alice = node.open();
    node.run([&] {
      for (int i = 0; i < 10; ++i) {
        MessageId id = 0;
        CHECK(alice->submit(smtp_message("failing " + std::to_string(i)), id) == S_OK);
      }
    });
    auto report = finished(node.logoff(*alice, mode));
    CHECK(report.released);
    CHECK((report.at_final & LOGOFF_OUTBOUND_QUEUE) != 0);
    CHECK(node.count(Folder::Outbox) == 10);
    CHECK(node.count(Folder::SentItems) == 0);
    CHECK(node.count(Folder::Inbox) == 0);
  }
  CHECK(sink.messages().empty());
}

}  // namespace uvmapi::test
