// Deadlines: a drain that takes too long becomes an abort, and an abort that
// cannot stop gives up without logging off. Short deadlines here; every wait
// is on the outcome itself, never on the clock.
#include "harness.h"

namespace uvmapi::test {

TEST_CASE("a drain that passes its deadline escalates to ABORT") {
  for (std::uint32_t flag : {LOGOFF_NO_WAIT, LOGOFF_ORDERLY, LOGOFF_PURGE}) {
    CAPTURE(logoff_flags_name(flag));
    Harness harness(quick_options(50ms));
    auto opener = harness.open();
    auto transport = harness.transport();
    harness.submit(*opener, "stuck");
    // PURGE's flush must not send it: refuse the flush answer, but honour cancels.
    harness.run([&] {
      if (flag == LOGOFF_PURGE) transport->set_hung(true);
    });
    std::uint32_t flags = flag;
    REQUIRE(harness.invoke([&] { return opener->store_logoff(flags); }) == S_OK);
    std::shared_ptr<LogoffTicket> ticket;
    harness.run([&] {
      opener->release(&ticket);
      // Hung for the flush only: once the drain deadline has turned the
      // logoff into an abort, the transport answers the cancel.
      transport->set_hung(false);
    });
    auto report = wait_finished(ticket);
    CHECK(report.escalated);
    CHECK(report.released);
    CHECK(report.status == S_OK);
    CHECK(report.at_final == (LOGOFF_COMPLETE | LOGOFF_OUTBOUND_QUEUE));
    CHECK(harness.invoke([&] { return transport->logoff_flags(); }) == LOGOFF_HURRY);
    CHECK(harness.count_in(Folder::Outbox, "stuck") == 1);
  }
}

TEST_CASE("an ABORT that cannot stop the activity does not log off") {
  Harness harness(quick_options(kNoDeadline, 50ms));
  auto opener = harness.open();
  auto transport = harness.transport();
  harness.submit(*opener, "unstoppable");
  harness.run([&] { transport->set_hung(true); });
  auto ticket = harness.release(*opener);  // No StoreLogoff: ABORT.
  auto report = wait_finished(ticket);
  CHECK(report.requested == LOGOFF_ABORT);
  CHECK(report.status == MAPI_E_UNABLE_TO_ABORT);
  CHECK(report.at_return == LOGOFF_OUTBOUND);
  CHECK(report.at_final == LOGOFF_OUTBOUND);
  CHECK_FALSE(report.released);
  CHECK(harness.invoke([&] { return opener->state(); }) == Opener::State::Kept);
  CHECK_FALSE(harness.invoke([&] { return transport->logged_off(); }));

  // The kept opener goes on working: the send still completes.
  harness.run([&] {
    transport->set_hung(false);
    transport->finish_sends();
  });
  CHECK(harness.count_in(Folder::SentItems, "unstoppable") == 1);
}

TEST_CASE("a drain that escalates to an abort that cannot stop gives up") {
  Harness harness(quick_options(30ms, 30ms));
  auto opener = harness.open();
  auto transport = harness.transport();
  harness.submit(*opener, "hung");
  harness.run([&] { transport->set_hung(true); });
  std::uint32_t flags = LOGOFF_NO_WAIT;
  REQUIRE(harness.invoke([&] { return opener->store_logoff(flags); }) == S_OK);
  auto ticket = harness.release(*opener);
  auto report = wait_finished(ticket);
  CHECK(report.at_return == (LOGOFF_COMPLETE | LOGOFF_OUTBOUND));
  CHECK(report.escalated);
  CHECK(report.status == MAPI_E_UNABLE_TO_ABORT);
  CHECK(report.at_final == LOGOFF_OUTBOUND);
  CHECK_FALSE(report.released);
  CHECK(harness.invoke([&] { return opener->state(); }) == Opener::State::Kept);
}

TEST_CASE("a host can escalate a drain to ABORT before its deadline") {
  for (std::uint32_t flag : {LOGOFF_NO_WAIT, LOGOFF_ORDERLY, LOGOFF_PURGE}) {
    CAPTURE(logoff_flags_name(flag));
    Harness harness;  // No deadline would pass during the test.
    auto opener = harness.open();
    auto transport = harness.transport();
    harness.submit(*opener, "stuck");
    std::shared_ptr<LogoffTicket> ticket;
    harness.run([&] {
      // A hung flush keeps PURGE draining; cancels are still honoured below.
      transport->set_hung(true);
      std::uint32_t flags = flag;
      CHECK(opener->store_logoff(flags) == S_OK);
      opener->release(&ticket);
      transport->set_hung(false);
    });
    CHECK(harness.invoke([&] { return harness.runtime().escalate_logoff("store"); }) == S_OK);
    auto report = wait_finished(ticket);
    CHECK(report.escalated);
    CHECK(report.released);
    CHECK(report.at_final == (LOGOFF_COMPLETE | LOGOFF_OUTBOUND_QUEUE));
    CHECK(harness.invoke([&] { return transport->logoff_flags(); }) == LOGOFF_HURRY);
    CHECK(harness.count_in(Folder::Outbox, "stuck") == 1);
    // Nothing left to escalate.
    CHECK(harness.invoke([&] { return harness.runtime().escalate_logoff("store"); }) ==
          MAPI_E_NOT_FOUND);
  }
}

}  // namespace uvmapi::test
