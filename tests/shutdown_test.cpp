// Runtime shutdown logs off every opener, whatever state it is in, and
// always returns.
#include <map>

#include "harness.h"

namespace uvmapi::test {

TEST_CASE("shutdown logs off openers in every state and always returns") {
  std::vector<LogoffReport> finals;
  auto options = quick_options(100ms, 100ms);
  options.on_logoff = [&](const std::string&, const LogoffReport& report) {
    finals.push_back(report);
  };
  Harness harness(options);

  // Open and idle, with a saved flag.
  auto idle = harness.open("first-idle");
  std::uint32_t flags = LOGOFF_ORDERLY;
  REQUIRE(harness.invoke([&] { return idle->store_logoff(flags); }) == S_OK);

  // Open with a send in flight and no saved flag (ABORT at shutdown).
  auto busy = harness.open("second-busy");
  harness.submit(*busy, "busy send");

  // Draining: NO_WAIT under way with a send the transport holds.
  auto draining = harness.open("draining");
  harness.submit(*draining, "draining send");
  flags = LOGOFF_NO_WAIT;
  REQUIRE(harness.invoke([&] { return draining->store_logoff(flags); }) == S_OK);
  auto draining_ticket = harness.release(*draining);
  CHECK(wait_returned(draining_ticket).at_return == (LOGOFF_COMPLETE | LOGOFF_OUTBOUND));

  // Kept: QUIET with activity did not log off.
  auto kept = harness.open("kept");
  harness.submit(*kept, "kept send");
  flags = LOGOFF_QUIET;
  REQUIRE(harness.invoke([&] { return kept->store_logoff(flags); }) == S_OK);
  CHECK_FALSE(wait_finished(harness.release(*kept)).released);

  // Hung: a transport that never answers, under an opener still referenced.
  auto hung = harness.open("hung");
  harness.submit(*hung, "hung send");
  harness.run([&] { harness.transport("hung")->set_hung(true); });

  // Already released.
  auto gone = harness.open("gone");
  wait_finished(harness.release(*gone));

  // Shared: two openers of one store.
  auto shared_a = harness.open("shared");
  auto shared_b = harness.open("shared");

  REQUIRE(harness.runtime().shutdown() == S_OK);

  // The loop thread has ended: the objects can be read directly now.
  for (const auto& opener : {idle, busy, draining, kept, hung, gone, shared_a, shared_b}) {
    CAPTURE(opener->store_name());
    CHECK(opener->state() == Opener::State::Released);
    CHECK(opener->logoff_transports_calls() == 1);
    std::uint32_t again = LOGOFF_ORDERLY;
    CHECK(opener->store_logoff(again) == MAPI_E_INVALID_OBJECT);
  }
  CHECK(wait_finished(draining_ticket).escalated);
  // Only the hung one had to be ended by force.
  // Eight openers; the kept and the hung one each report a logoff that did
  // not happen before the one that ended them.
  CHECK(finals.size() == 10);
  std::size_t forced = 0;
  for (const auto& report : finals) forced += report.forced;
  CHECK(forced == 1);

  std::shared_ptr<Opener> late;
  CHECK(harness.runtime().open_store("late", late) == MAPI_E_CALL_FAILED);
  CHECK(harness.runtime().post([] {}) == MAPI_E_CALL_FAILED);
  CHECK(harness.runtime().shutdown() == S_OK);  // A second shutdown is harmless.
}

TEST_CASE("shutdown logs each opener off with its own flag when an idle one is done at once") {
  std::map<std::string, LogoffReport> finals;
  auto options = quick_options(100ms, 100ms);
  options.on_logoff = [&](const std::string& store, const LogoffReport& report) {
    finals[store] = report;
  };
  Harness harness(options);
  // First in name and in opening order, and with nothing to do: its logoff
  // ends inside the shutdown's first step, before the busy store's has begun.
  auto idle = harness.open("first-idle");
  auto busy = harness.open("second-busy");
  harness.submit(*busy, "held in flight");
  for (const auto& opener : {idle, busy}) {
    std::uint32_t flags = LOGOFF_ORDERLY;
    REQUIRE(harness.invoke([&] { return opener->store_logoff(flags); }) == S_OK);
  }

  REQUIRE(harness.runtime().shutdown() == S_OK);

  REQUIRE(finals.count("first-idle") == 1);
  REQUIRE(finals.count("second-busy") == 1);
  CHECK(finals["first-idle"].requested == LOGOFF_ORDERLY);
  // The busy store drained as ORDERLY says until its deadline made it an
  // abort; it was not ended by force with an ABORT of the runtime's own.
  CHECK(finals["second-busy"].requested == LOGOFF_ORDERLY);
  CHECK(finals["second-busy"].escalated);
  CHECK_FALSE(finals["second-busy"].forced);
}

TEST_CASE("messages are where they belong after a shutdown") {
  Harness harness(quick_options(100ms, 100ms));
  auto opener = harness.open();
  auto transport = harness.transport();
  harness.submit(*opener, "in flight");
  harness.run([&] {
    transport->set_hung(true);
    transport->arrive(make_message("arriving"), true);
  });
  REQUIRE(harness.runtime().shutdown() == S_OK);
  // Forced off: the send never left the Outbox, the receive was never
  // committed and is still at its source.
  CHECK(transport->logoff_flags() == LOGOFF_HURRY);
  CHECK(transport->at_source() == 1u);
  CHECK(transport->delivered().empty());
}

}  // namespace uvmapi::test
