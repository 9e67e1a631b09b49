// The contract's conformance matrix: 5 logoff flags x 8 activity states x
// {sole opener, shared opener} = 80 test cases, generated from the table below.
//
// Each case builds its activity state on purpose with the scripted
// transport: I = one message being received, O = one message being sent,
// Q = one message queued that no transport takes yet. It releases the only
// reference of the opener under test, records the output flags when control
// returns, then lets the transport finish whatever it still may (complete
// sends, commit receives, take the queue), waits for the final outcome and
// checks where every message ended.
#include <fstream>
#include <sstream>

#include "harness.h"

namespace uvmapi::test {
namespace {

constexpr std::uint32_t C = LOGOFF_COMPLETE;
constexpr std::uint32_t I = LOGOFF_INBOUND;
constexpr std::uint32_t O = LOGOFF_OUTBOUND;
constexpr std::uint32_t Q = LOGOFF_OUTBOUND_QUEUE;
constexpr std::uint32_t NONE = 0;

// When the opener is released: already when control returns, only at the
// final outcome (after the transport finished), or not at all (the logoff
// did not happen and the runtime keeps the opener).
enum class When { Return, Final, Never };

// Where a message ends. "-" marks a message the state does not have.
enum class Place { Inbox, Source, SentItems, Outbox, None };
constexpr Place Inbox = Place::Inbox, Source = Place::Source, Sent = Place::SentItems,
                Outbox = Place::Outbox, _ = Place::None;

struct Expected {
  std::uint32_t at_return;
  std::uint32_t at_final;
  When released;
  Place i, o, q;  // Where the I, O and Q messages end.
};

// With another opener on the store the logoff touches nothing: the opener
// goes at once, and the transports go on to finish everything for the other.
constexpr Expected kShared{C, C, When::Return, Inbox, Sent, Sent};

const char* place_name(Place place) {
  switch (place) {
    case Place::Inbox:
      return "Inbox";
    case Place::Source:
      return "still at the source";
    case Place::SentItems:
      return "Sent Items";
    case Place::Outbox:
      return "Outbox";
    case Place::None:
      return "-";
  }
  return "?";
}

// Where the message with body is now, failing the test unless it is in
// exactly one place (and was delivered to the peer exactly when it is in Sent Items).
Place locate(Harness& harness, ScriptedTransport& transport, const std::string& body,
             bool inbound) {
  std::size_t places = 0;
  Place where = Place::None;
  auto seen = [&](std::size_t count, Place place) {
    CHECK_MESSAGE(count <= 1, body << " is " << count << " times in " << place_name(place));
    if (count > 0) {
      ++places;
      where = place;
    }
  };
  if (inbound) {
    seen(harness.count_in(Folder::Inbox, body), Place::Inbox);
    seen(harness.invoke([&] { return transport.at_source(); }), Place::Source);
  } else {
    seen(harness.count_in(Folder::Outbox, body), Place::Outbox);
    seen(harness.count_in(Folder::SentItems, body), Place::SentItems);
    std::size_t delivered = harness.invoke([&] {
      std::size_t n = 0;
      for (const auto& content : transport.delivered()) n += content == make_message(body).content;
      return n;
    });
    CHECK_MESSAGE(delivered == (where == Place::SentItems ? 1u : 0u),
                  body << " reached the peer " << delivered << " times");
  }
  CHECK_MESSAGE(places == 1, body << " is in " << places << " places: lost or duplicated");
  return where;
}

void run_case(std::uint32_t flag, std::uint32_t state, bool shared, const Expected& expected,
              Storage storage = Storage::Memory) {
  Harness harness(quick_options(), storage);
  auto opener = harness.open();
  auto transport = harness.transport();

  // Build the activity state.
  if (state & O) harness.submit(*opener, "o");
  if (state & Q) {
    harness.run([&] { transport->set_capacity(transport->sends_in_flight()); });
    harness.submit(*opener, "q");
  }
  if (state & I) {
    REQUIRE(harness.invoke([&] { return transport->arrive(make_message("i"), true); }) == S_OK);
  }
  std::shared_ptr<Opener> other;
  if (shared) other = harness.open();

  // StoreLogoff saves the flag and reports the activity, nothing more.
  std::uint32_t flags = flag;
  REQUIRE(harness.invoke([&] { return opener->store_logoff(flags); }) == S_OK);
  CHECK_MESSAGE(flags == state, "StoreLogoff output " << logoff_flags_name(flags));

  auto ticket = harness.release(*opener);
  REQUIRE((ticket != nullptr));
  LogoffReport at_return = wait_returned(ticket);
  CHECK_MESSAGE(at_return.at_return == expected.at_return,
                "at return: " << logoff_flags_name(at_return.at_return) << ", expected "
                              << logoff_flags_name(expected.at_return));
  auto state_at_return = harness.invoke([&] { return opener->state(); });
  if (expected.released == When::Return) {
    CHECK(state_at_return == Opener::State::Released);
  } else {
    CHECK(state_at_return != Opener::State::Released);
  }

  // Let the transport finish what it still may.
  harness.run([&] {
    if (transport->logged_off()) return;
    transport->set_send_policy(ScriptedTransport::SendPolicy::Complete);
    transport->finish_sends(S_OK);
    transport->commit_receives();
    transport->set_capacity(ScriptedTransport::kUnlimited);
  });

  LogoffReport report = wait_finished(ticket);
  CHECK(report.requested == flag);
  CHECK(report.status == S_OK);
  CHECK_FALSE(report.escalated);
  CHECK_MESSAGE(report.at_final == expected.at_final,
                "final: " << logoff_flags_name(report.at_final) << ", expected "
                          << logoff_flags_name(expected.at_final));
  CHECK(report.released == (expected.released != When::Never));
  CHECK(harness.invoke([&] { return opener->state(); }) ==
        (expected.released == When::Never ? Opener::State::Kept : Opener::State::Released));
  CHECK(harness.invoke([&] { return opener->logoff_transports_calls(); }) == 1);

  // Transports are logged off exactly when the store's last opener went.
  bool logged_off = harness.invoke([&] { return transport->logged_off(); });
  CHECK(logged_off == (!shared && expected.released != When::Never));

  if (state & I) CHECK(locate(harness, *transport, "i", true) == expected.i);
  if (state & O) CHECK(locate(harness, *transport, "o", false) == expected.o);
  if (state & Q) CHECK(locate(harness, *transport, "q", false) == expected.q);

  if (other) harness.run([&] { other->release(); });
}

}  // namespace

// One row per flag and activity state, for the sole opener of the store.
// Each row also makes the shared-opener case, which expects kShared.
// clang-format off
//      flag     state      at return      final      released  I       O       Q
#define UVMAPI_MATRIX(ROW)                                                           \
  ROW(NO_WAIT, NONE,      C,             C,         Return,   _,      _,      _     ) \
  ROW(NO_WAIT, I,         C | I,         C,         Final,    Inbox,  _,      _     ) \
  ROW(NO_WAIT, O,         C | O,         C,         Final,    _,      Sent,   _     ) \
  ROW(NO_WAIT, Q,         C | Q,         C,         Final,    _,      _,      Sent  ) \
  ROW(NO_WAIT, I | O,     C | I | O,     C,         Final,    Inbox,  Sent,   _     ) \
  ROW(NO_WAIT, I | Q,     C | I | Q,     C,         Final,    Inbox,  _,      Sent  ) \
  ROW(NO_WAIT, O | Q,     C | O | Q,     C,         Final,    _,      Sent,   Sent  ) \
  ROW(NO_WAIT, I | O | Q, C | I | O | Q, C,         Final,    Inbox,  Sent,   Sent  ) \
  ROW(ORDERLY, NONE,      C,             C,         Return,   _,      _,      _     ) \
  ROW(ORDERLY, I,         C | I,         C,         Final,    Inbox,  _,      _     ) \
  ROW(ORDERLY, O,         C | O,         C,         Final,    _,      Sent,   _     ) \
  ROW(ORDERLY, Q,         C | Q,         C | Q,     Return,   _,      _,      Outbox) \
  ROW(ORDERLY, I | O,     C | I | O,     C,         Final,    Inbox,  Sent,   _     ) \
  ROW(ORDERLY, I | Q,     C | I | Q,     C | Q,     Final,    Inbox,  _,      Outbox) \
  ROW(ORDERLY, O | Q,     C | O | Q,     C | Q,     Final,    _,      Sent,   Outbox) \
  ROW(ORDERLY, I | O | Q, C | I | O | Q, C | Q,     Final,    Inbox,  Sent,   Outbox) \
  ROW(PURGE,   NONE,      C,             C,         Return,   _,      _,      _     ) \
  ROW(PURGE,   I,         C,             C,         Return,   Inbox,  _,      _     ) \
  ROW(PURGE,   O,         C,             C,         Return,   _,      Sent,   _     ) \
  ROW(PURGE,   Q,         C,             C,         Return,   _,      _,      Sent  ) \
  ROW(PURGE,   I | O,     C,             C,         Return,   Inbox,  Sent,   _     ) \
  ROW(PURGE,   I | Q,     C,             C,         Return,   Inbox,  _,      Sent  ) \
  ROW(PURGE,   O | Q,     C,             C,         Return,   _,      Sent,   Sent  ) \
  ROW(PURGE,   I | O | Q, C,             C,         Return,   Inbox,  Sent,   Sent  ) \
  ROW(ABORT,   NONE,      C,             C,         Return,   _,      _,      _     ) \
  ROW(ABORT,   I,         C,             C,         Return,   Source, _,      _     ) \
  ROW(ABORT,   O,         C | Q,         C | Q,     Return,   _,      Outbox, _     ) \
  ROW(ABORT,   Q,         C | Q,         C | Q,     Return,   _,      _,      Outbox) \
  ROW(ABORT,   I | O,     C | Q,         C | Q,     Return,   Source, Outbox, _     ) \
  ROW(ABORT,   I | Q,     C | Q,         C | Q,     Return,   Source, _,      Outbox) \
  ROW(ABORT,   O | Q,     C | Q,         C | Q,     Return,   _,      Outbox, Outbox) \
  ROW(ABORT,   I | O | Q, C | Q,         C | Q,     Return,   Source, Outbox, Outbox) \
  ROW(QUIET,   NONE,      C,             C,         Return,   _,      _,      _     ) \
  ROW(QUIET,   I,         I,             I,         Never,    Inbox,  _,      _     ) \
  ROW(QUIET,   O,         O,             O,         Never,    _,      Sent,   _     ) \
  ROW(QUIET,   Q,         Q,             Q,         Never,    _,      _,      Sent  ) \
  ROW(QUIET,   I | O,     I | O,         I | O,     Never,    Inbox,  Sent,   _     ) \
  ROW(QUIET,   I | Q,     I | Q,         I | Q,     Never,    Inbox,  _,      Sent  ) \
  ROW(QUIET,   O | Q,     O | Q,         O | Q,     Never,    _,      Sent,   Sent  ) \
  ROW(QUIET,   I | O | Q, I | O | Q,     I | O | Q, Never,    Inbox,  Sent,   Sent  )
// clang-format on

#define UVMAPI_MATRIX_CASES(FLAG, STATE, RET, FIN, WHEN, PI, PO, PQ)                   \
  TEST_CASE("matrix: " #FLAG " with " #STATE " - sole opener") {                       \
    run_case(LOGOFF_##FLAG, STATE, false, Expected{RET, FIN, When::WHEN, PI, PO, PQ}); \
  }                                                                                    \
  TEST_CASE("matrix: " #FLAG " with " #STATE " - shared opener") {                     \
    run_case(LOGOFF_##FLAG, STATE, true, kShared);                                     \
  }                                                                                    \
  TEST_CASE("matrix: " #FLAG " with " #STATE " - sole opener, durable store") {        \
    run_case(LOGOFF_##FLAG, STATE, false, Expected{RET, FIN, When::WHEN, PI, PO, PQ},  \
             Storage::Durable);                                                        \
  }                                                                                    \
  TEST_CASE("matrix: " #FLAG " with " #STATE " - shared opener, durable store") {      \
    run_case(LOGOFF_##FLAG, STATE, true, kShared, Storage::Durable);                   \
  }

UVMAPI_MATRIX(UVMAPI_MATRIX_CASES)

namespace {

std::string letters(std::uint32_t flags) {
  std::string out;
  for (auto [bit, letter] : {std::pair{C, 'C'}, {I, 'I'}, {O, 'O'}, {Q, 'Q'}}) {
    if ((flags & bit) == 0) continue;
    if (!out.empty()) out += '|';
    out += letter;
  }
  return out.empty() ? "-" : out;
}

const char* tsv_place(Place place) {
  switch (place) {
    case Place::Inbox:
      return "inbox";
    case Place::Source:
      return "source";
    case Place::SentItems:
      return "sent";
    case Place::Outbox:
      return "outbox";
    case Place::None:
      return "-";
  }
  return "?";
}

// One case as a line of tests/cases/logoff_cases.tsv.
std::string tsv_line(const char* flag, std::uint32_t state, bool shared, const Expected& e) {
  const char* when = e.released == When::Return  ? "return"
                     : e.released == When::Final ? "final"
                                                 : "never";
  auto placed = [&](std::uint32_t bit, Place place) {
    return (state & bit) ? tsv_place(place) : "-";
  };
  std::ostringstream line;
  line << flag << '\t' << letters(state) << '\t' << (shared ? "shared" : "sole") << '\t'
       << letters(e.at_return) << '\t' << letters(e.at_final) << '\t' << when << '\t'
       << placed(I, e.i) << '\t' << placed(O, e.o) << '\t' << placed(Q, e.q);
  return line.str();
}

}  // namespace

// The other languages run the cases of tests/cases/logoff_cases.tsv; this
// keeps that file and the table above from drifting apart.
TEST_CASE("the shared case list agrees with the conformance table") {
  std::vector<std::string> expected;
#define UVMAPI_MATRIX_LINES(FLAG, STATE, RET, FIN, WHEN, PI, PO, PQ) \
  expected.push_back(tsv_line(#FLAG, STATE, false, Expected{RET, FIN, When::WHEN, PI, PO, PQ}));
  UVMAPI_MATRIX(UVMAPI_MATRIX_LINES)
#undef UVMAPI_MATRIX_LINES
#define UVMAPI_MATRIX_LINES(FLAG, STATE, RET, FIN, WHEN, PI, PO, PQ) \
  expected.push_back(tsv_line(#FLAG, STATE, true, kShared));
  UVMAPI_MATRIX(UVMAPI_MATRIX_LINES)
#undef UVMAPI_MATRIX_LINES

  std::ifstream file(UVMAPI_CASES_FILE);
  REQUIRE(file.good());
  std::vector<std::string> listed;
  std::string line;
  bool header = true;
  while (std::getline(file, line)) {
    if (line.empty() || line[0] == '#') continue;
    if (header) {
      header = false;  // The column names.
      continue;
    }
    listed.push_back(line);
  }
  CHECK(listed == expected);
}

}  // namespace uvmapi::test
