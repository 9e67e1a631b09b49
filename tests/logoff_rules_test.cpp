// The contract's rules around the matrix: flag validation, the saved flag,
// exactly one StoreLogoffTransports per opener, refusals while draining,
// released handles, and what the transports are told.
#include <algorithm>

#include "harness.h"

namespace uvmapi::test {
namespace {

bool saw(const std::vector<std::uint32_t>& notifications, std::uint32_t flags) {
  return std::find(notifications.begin(), notifications.end(), flags) != notifications.end();
}

}  // namespace

TEST_CASE("StoreLogoff refuses no flag, two flags and unknown bits, and saves nothing") {
  Harness harness;
  auto opener = harness.open();
  std::uint32_t flags = LOGOFF_ORDERLY;
  REQUIRE(harness.invoke([&] { return opener->store_logoff(flags); }) == S_OK);

  struct Bad {
    std::uint32_t flags;
    HRESULT expected;
  };
  const Bad bad[] = {
      {0, MAPI_E_INVALID_PARAMETER},
      {LOGOFF_NO_WAIT | LOGOFF_PURGE, MAPI_E_INVALID_PARAMETER},
      {LOGOFF_ABORT | LOGOFF_QUIET | LOGOFF_ORDERLY, MAPI_E_INVALID_PARAMETER},
      {0x00001000, MAPI_E_UNKNOWN_FLAGS},  // Reserved for the Windows spooler.
      {LOGOFF_ABORT | 0x00002000, MAPI_E_UNKNOWN_FLAGS},
      {LOGOFF_COMPLETE, MAPI_E_UNKNOWN_FLAGS},  // An output flag is no input.
      {0x80000000, MAPI_E_UNKNOWN_FLAGS},
  };
  for (const auto& entry : bad) {
    CAPTURE(entry.flags);
    std::uint32_t in = entry.flags;
    CHECK(harness.invoke([&] { return opener->store_logoff(in); }) == entry.expected);
    // invoke carries the loop thread's last error back to this thread.
    CHECK(last_error_code() == entry.expected);
    CHECK_FALSE(last_error_message().empty());
    CHECK(in == entry.flags);  // Output untouched on error.
    CHECK(harness.invoke([&] { return opener->saved_flag(); }) == LOGOFF_ORDERLY);
  }
  CHECK(harness.invoke([&] { return opener->refs(); }) == 1u);
  harness.run([&] { opener->release(); });
}

TEST_CASE("StoreLogoff changes nothing but the saved flag") {
  Harness harness;
  auto opener = harness.open();
  auto transport = harness.transport();
  harness.submit(*opener, "held");
  auto notifications_before = harness.invoke([&] { return transport->notifications().size(); });

  std::uint32_t flags = LOGOFF_PURGE;
  REQUIRE(harness.invoke([&] { return opener->store_logoff(flags); }) == S_OK);
  CHECK(flags == LOGOFF_OUTBOUND);
  CHECK(harness.invoke([&] { return opener->refs(); }) == 1u);
  CHECK(harness.invoke([&] { return transport->notifications().size(); }) == notifications_before);
  CHECK(harness.invoke([&] { return transport->flushes().size(); }) == 0u);
  // The store keeps working.
  harness.submit(*opener, "after");
  CHECK(harness.invoke([&] { return transport->sends_in_flight(); }) == 2u);
  harness.run([&] {
    transport->finish_sends();
    opener->release();
  });
}

TEST_CASE("a later StoreLogoff overwrites the saved flag") {
  Harness harness;
  auto opener = harness.open();
  for (std::uint32_t flag : {LOGOFF_QUIET, LOGOFF_PURGE, LOGOFF_ORDERLY}) {
    std::uint32_t flags = flag;
    REQUIRE(harness.invoke([&] { return opener->store_logoff(flags); }) == S_OK);
  }
  auto report = wait_finished(harness.release(*opener));
  CHECK(report.requested == LOGOFF_ORDERLY);
  CHECK(report.released);
}

TEST_CASE("the last release without StoreLogoff logs off with ABORT") {
  Harness harness;
  auto opener = harness.open();
  auto transport = harness.transport();
  harness.submit(*opener, "in flight");
  auto report = wait_finished(harness.release(*opener));
  CHECK(report.requested == LOGOFF_ABORT);
  CHECK(report.at_final == (LOGOFF_COMPLETE | LOGOFF_OUTBOUND_QUEUE));
  CHECK(harness.invoke([&] { return saw(transport->notifications(), NOTIFY_CANCEL_MESSAGE); }));
  CHECK(harness.count_in(Folder::Outbox, "in flight") == 1);
}

TEST_CASE("only the release that reaches zero logs off") {
  Harness harness;
  auto opener = harness.open();
  REQUIRE(harness.invoke([&] { return opener->add_ref(); }) == S_OK);
  std::shared_ptr<LogoffTicket> ticket;
  CHECK(harness.invoke([&] { return opener->release(&ticket); }) == 1u);
  CHECK((ticket == nullptr));
  CHECK(harness.invoke([&] { return opener->logoff_transports_calls(); }) == 0);
  CHECK(harness.invoke([&] { return opener->release(&ticket); }) == 0u);
  REQUIRE((ticket != nullptr));
  CHECK(wait_finished(ticket).released);
}

TEST_CASE("StoreLogoffTransports runs exactly once per opener on every path") {
  Harness harness;
  SUBCASE("last release") {
    auto opener = harness.open();
    wait_finished(harness.release(*opener));
    harness.run([&] { opener->release(); });  // Extra releases only count down.
    CHECK(harness.invoke([&] { return opener->logoff_transports_calls(); }) == 1);
  }
  SUBCASE("release of a shared opener") {
    auto first = harness.open();
    auto second = harness.open();
    wait_finished(harness.release(*first));
    wait_finished(harness.release(*second));
    CHECK(harness.invoke([&] { return first->logoff_transports_calls(); }) == 1);
    CHECK(harness.invoke([&] { return second->logoff_transports_calls(); }) == 1);
  }
  SUBCASE("runtime shutdown of a referenced opener") {
    auto opener = harness.open();
    REQUIRE(harness.runtime().shutdown() == S_OK);
    CHECK(opener->state() == Opener::State::Released);
    CHECK(opener->logoff_transports_calls() == 1);
  }
  SUBCASE("a kept opener ended by shutdown") {
    auto opener = harness.open();
    harness.submit(*opener, "busy");
    std::uint32_t flags = LOGOFF_QUIET;
    REQUIRE(harness.invoke([&] { return opener->store_logoff(flags); }) == S_OK);
    CHECK_FALSE(wait_finished(harness.release(*opener)).released);
    REQUIRE(harness.runtime().shutdown() == S_OK);
    CHECK(opener->state() == Opener::State::Released);
    CHECK(opener->logoff_transports_calls() == 1);
  }
}

TEST_CASE("submissions are refused while the store drains, and the caller keeps the message") {
  for (std::uint32_t flag : {LOGOFF_NO_WAIT, LOGOFF_ORDERLY, LOGOFF_PURGE}) {
    CAPTURE(logoff_flags_name(flag));
    Harness harness;
    auto opener = harness.open();
    auto transport = harness.transport();
    harness.submit(*opener, "draining");
    // PURGE would flush the send out at once; a hung transport keeps it draining.
    harness.run([&] { transport->set_hung(true); });
    std::uint32_t flags = flag;
    REQUIRE(harness.invoke([&] { return opener->store_logoff(flags); }) == S_OK);
    auto ticket = harness.release(*opener);
    CHECK(harness.invoke([&] { return opener->state(); }) == Opener::State::LoggingOff);

    MessageId id = 0;
    CHECK(harness.invoke([&] { return opener->submit(make_message("late"), id); }) == MAPI_E_BUSY);
    std::size_t outbox = 0;
    REQUIRE(harness.invoke([&] { return opener->count(Folder::Outbox, outbox); }) == S_OK);
    CHECK(outbox == 1u);

    harness.run([&] {
      transport->set_hung(false);
      transport->finish_sends();
      if (flag == LOGOFF_PURGE) transport->flush_queues(FLUSH_UPLOAD);
    });
    CHECK(wait_finished(ticket).released);
  }
}

TEST_CASE("every call on a released opener but Release fails with MAPI_E_INVALID_OBJECT") {
  Harness harness;
  auto opener = harness.open();
  wait_finished(harness.release(*opener));
  harness.run([&] {
    std::uint32_t flags = LOGOFF_ORDERLY;
    MessageId id = 0;
    std::size_t count = 0;
    std::vector<MessageId> ids;
    Message message;
    std::shared_ptr<StoreSupport> support;
    CHECK(opener->add_ref() == MAPI_E_INVALID_OBJECT);
    CHECK(opener->store_logoff(flags) == MAPI_E_INVALID_OBJECT);
    CHECK(opener->submit(make_message("x"), id) == MAPI_E_INVALID_OBJECT);
    CHECK(opener->count(Folder::Inbox, count) == MAPI_E_INVALID_OBJECT);
    CHECK(opener->list(Folder::Outbox, ids) == MAPI_E_INVALID_OBJECT);
    CHECK(opener->read(1, message) == MAPI_E_INVALID_OBJECT);
    CHECK(opener->support(support) == MAPI_E_INVALID_OBJECT);
    CHECK(last_error_code() == MAPI_E_INVALID_OBJECT);
    CHECK(opener->release() == 0u);
    CHECK(opener->release() == 0u);
  });
}

TEST_CASE("a store cannot be opened while its last opener logs off") {
  Harness harness;
  auto opener = harness.open();
  auto transport = harness.transport();
  harness.submit(*opener, "slow");
  std::uint32_t flags = LOGOFF_NO_WAIT;
  REQUIRE(harness.invoke([&] { return opener->store_logoff(flags); }) == S_OK);
  auto ticket = harness.release(*opener);
  std::shared_ptr<Opener> second;
  CHECK(harness.invoke([&] { return harness.runtime().open_store("store", second); }) ==
        MAPI_E_BUSY);
  harness.run([&] { transport->finish_sends(); });
  CHECK(wait_finished(ticket).released);
  second = harness.open();  // The next logon works once the logoff is done.
  harness.run([&] { second->release(); });
}

TEST_CASE("a logoff that did not happen leaves the opener usable and can be retried") {
  Harness harness;
  auto opener = harness.open();
  auto transport = harness.transport();
  harness.submit(*opener, "busy");
  std::shared_ptr<StoreSupport> support;
  REQUIRE(harness.invoke([&] { return opener->support(support); }) == S_OK);

  // A store provider's own call while its client still holds the store.
  std::shared_ptr<LogoffTicket> quiet;
  REQUIRE(harness.invoke([&] {
    return support->store_logoff_transports(*opener, LOGOFF_QUIET, quiet);
  }) == S_OK);
  auto report = wait_finished(quiet);
  CHECK(report.at_final == LOGOFF_OUTBOUND);
  CHECK_FALSE(report.released);
  CHECK(harness.invoke([&] { return opener->state(); }) == Opener::State::Open);
  harness.submit(*opener, "still works");

  std::shared_ptr<LogoffTicket> orderly;
  REQUIRE(harness.invoke([&] {
    return support->store_logoff_transports(*opener, LOGOFF_ORDERLY, orderly);
  }) == S_OK);
  harness.run([&] { transport->finish_sends(); });
  CHECK(wait_finished(orderly).released);
  CHECK(harness.count_in(Folder::SentItems, "busy") == 1);
  CHECK(harness.count_in(Folder::SentItems, "still works") == 1);
}

TEST_CASE("after a provider's own logoff did not happen, the last release keeps the opener") {
  Harness harness;
  auto opener = harness.open();
  harness.submit(*opener, "busy");
  std::shared_ptr<StoreSupport> support;
  REQUIRE(harness.invoke([&] { return opener->support(support); }) == S_OK);
  std::shared_ptr<LogoffTicket> quiet;
  REQUIRE(harness.invoke([&] {
    return support->store_logoff_transports(*opener, LOGOFF_QUIET, quiet);
  }) == S_OK);
  CHECK_FALSE(wait_finished(quiet).released);

  // The provider releases its support object, as MAPI's pattern goes: the
  // QUIET call was this opener's one call, so no ABORT follows.
  std::shared_ptr<LogoffTicket> ticket;
  CHECK(harness.invoke([&] { return opener->release(&ticket); }) == 0u);
  CHECK((ticket == nullptr));
  CHECK(harness.invoke([&] { return opener->state(); }) == Opener::State::Kept);
  CHECK(harness.invoke([&] { return opener->logoff_transports_calls(); }) == 1);
  REQUIRE(harness.runtime().shutdown() == S_OK);
  CHECK(opener->state() == Opener::State::Released);
  CHECK(opener->logoff_transports_calls() == 1);
}

TEST_CASE("NO_WAIT stops reception at once but commits the message being received") {
  Harness harness;
  auto opener = harness.open();
  auto transport = harness.transport();
  REQUIRE(harness.invoke([&] { return transport->arrive(make_message("first"), true); }) == S_OK);
  std::uint32_t flags = LOGOFF_NO_WAIT;
  REQUIRE(harness.invoke([&] { return opener->store_logoff(flags); }) == S_OK);
  auto ticket = harness.release(*opener);
  CHECK(wait_returned(ticket).at_return == (LOGOFF_COMPLETE | LOGOFF_INBOUND));
  CHECK(harness.invoke([&] { return transport->arrive(make_message("late"), true); }) ==
        MAPI_E_BUSY);
  CHECK(harness.invoke([&] { return saw(transport->notifications(), NOTIFY_END_INBOUND); }));
  harness.run([&] { transport->commit_receives(); });
  CHECK(wait_finished(ticket).at_final == LOGOFF_COMPLETE);
  CHECK(harness.count_in(Folder::Inbox, "first") == 1);
  CHECK(harness.count_in(Folder::Inbox, "late") == 0);
  CHECK(harness.invoke([&] { return transport->at_source(); }) == 1u);  // "late" waits there.
}

TEST_CASE("PURGE flushes both ways and fetches the mail pending at the source") {
  Harness harness;
  auto opener = harness.open();
  auto transport = harness.transport();
  harness.run([&] {
    transport->arrive(make_message("remote 1"), false);
    transport->arrive(make_message("remote 2"), false);
  });
  std::uint32_t flags = LOGOFF_PURGE;
  REQUIRE(harness.invoke([&] { return opener->store_logoff(flags); }) == S_OK);
  auto report = wait_finished(harness.release(*opener));
  CHECK(report.at_return == LOGOFF_COMPLETE);
  CHECK(harness.invoke([&] { return transport->flushes(); }) ==
        std::vector<std::uint32_t>{FLUSH_UPLOAD | FLUSH_DOWNLOAD | FLUSH_FORCE});
  CHECK(harness.invoke([&] { return transport->at_source(); }) == 0u);
  CHECK(harness.count_in(Folder::Inbox, "remote 1") == 1);
  CHECK(harness.count_in(Folder::Inbox, "remote 2") == 1);
  CHECK(harness.invoke([&] { return transport->logoff_flags(); }) == LOGOFF_NORMAL);
}

TEST_CASE("sends that fail leave their messages in the Outbox and the final flags say so") {
  Harness harness;
  auto opener = harness.open();
  auto transport = harness.transport();
  harness.run([&] { transport->set_send_policy(ScriptedTransport::SendPolicy::Fail); });
  harness.submit(*opener, "bounces");
  // A failed send is not retried at once: no send is in flight.
  CHECK(harness.invoke([&] { return transport->sends_in_flight(); }) == 0u);
  std::uint32_t flags = LOGOFF_NO_WAIT;
  REQUIRE(harness.invoke([&] { return opener->store_logoff(flags); }) == S_OK);
  CHECK(flags == LOGOFF_OUTBOUND_QUEUE);
  auto report = wait_finished(harness.release(*opener));
  CHECK(report.at_final == (LOGOFF_COMPLETE | LOGOFF_OUTBOUND_QUEUE));
  CHECK(harness.count_in(Folder::Outbox, "bounces") == 1);
}

TEST_CASE("ORDERLY tells the transports to end both ways and logs them off normally") {
  Harness harness;
  auto opener = harness.open();
  auto transport = harness.transport();
  std::uint32_t flags = LOGOFF_ORDERLY;
  REQUIRE(harness.invoke([&] { return opener->store_logoff(flags); }) == S_OK);
  wait_finished(harness.release(*opener));
  harness.run([&] {
    CHECK(saw(transport->notifications(), NOTIFY_BEGIN_INBOUND | NOTIFY_BEGIN_OUTBOUND));
    CHECK(saw(transport->notifications(), NOTIFY_END_INBOUND | NOTIFY_END_OUTBOUND));
    CHECK(transport->logoff_flags() == LOGOFF_NORMAL);
  });
}

TEST_CASE("ABORT cancels each message in flight and logs the transports off in a hurry") {
  Harness harness;
  auto opener = harness.open();
  auto transport = harness.transport();
  harness.submit(*opener, "one");
  harness.submit(*opener, "two");
  harness.run([&] { transport->arrive(make_message("three"), true); });
  auto report = wait_finished(harness.release(*opener));
  CHECK(report.at_return == (LOGOFF_COMPLETE | LOGOFF_OUTBOUND_QUEUE));
  harness.run([&] {
    auto cancels = std::count(transport->notifications().begin(), transport->notifications().end(),
                              NOTIFY_CANCEL_MESSAGE);
    CHECK(cancels == 3);
    CHECK(transport->logoff_flags() == LOGOFF_HURRY);
  });
  CHECK(harness.count_in(Folder::Outbox, "one") == 1);
  CHECK(harness.count_in(Folder::Outbox, "two") == 1);
  CHECK(harness.count_in(Folder::Inbox, "three") == 0);
}

TEST_CASE("what ORDERLY leaves in the Outbox is sent at the next logon") {
  Harness harness;
  auto opener = harness.open();
  auto transport = harness.transport();
  harness.run([&] { transport->set_capacity(0); });
  harness.submit(*opener, "next time");
  std::uint32_t flags = LOGOFF_ORDERLY;
  REQUIRE(harness.invoke([&] { return opener->store_logoff(flags); }) == S_OK);
  CHECK(wait_finished(harness.release(*opener)).at_final ==
        (LOGOFF_COMPLETE | LOGOFF_OUTBOUND_QUEUE));

  auto again = harness.open();
  auto next = harness.transport();
  CHECK((next != transport));
  CHECK(harness.invoke([&] { return next->sends_in_flight(); }) == 1u);
  harness.run([&] { next->finish_sends(); });
  CHECK(harness.count_in(Folder::SentItems, "next time") == 1);
  harness.run([&] { again->release(); });
}

TEST_CASE("the runtime reports every final outcome to the host") {
  std::vector<std::uint32_t> finals;
  auto options = quick_options();
  options.on_logoff = [&](const std::string& store, const LogoffReport& report) {
    CHECK(store == "store");
    finals.push_back(report.at_final);
  };
  Harness harness(options);
  auto first = harness.open();
  auto second = harness.open();
  wait_finished(harness.release(*first));
  wait_finished(harness.release(*second));
  CHECK(harness.invoke([&] { return finals; }) ==
        std::vector<std::uint32_t>{LOGOFF_COMPLETE, LOGOFF_COMPLETE});
}

TEST_CASE("offer_queue hands the Outbox to the transports again") {
  Harness harness;
  auto opener = harness.open();
  auto transport = harness.transport();
  // Another process adds to a durable store's Outbox behind the spooler's
  // back; here the storage is written directly, past the spooler.
  harness.run([&] {
    std::shared_ptr<StoreSupport> support;
    // CHECK, not REQUIRE: this runs on the loop thread.
    CHECK(opener->support(support) == S_OK);
    MessageId id = 0;
    CHECK(support->store().add(Folder::Outbox, make_message("from elsewhere"), id) == S_OK);
    CHECK(transport->sends_in_flight() == 0u);
  });
  CHECK(harness.invoke([&] { return harness.runtime().offer_queue("store"); }) == S_OK);
  CHECK(harness.invoke([&] { return transport->sends_in_flight(); }) == 1u);
  CHECK(harness.invoke([&] { return harness.runtime().offer_queue("nowhere"); }) ==
        MAPI_E_NOT_FOUND);
  harness.run([&] {
    transport->finish_sends();
    opener->release();
  });
}

}  // namespace uvmapi::test
