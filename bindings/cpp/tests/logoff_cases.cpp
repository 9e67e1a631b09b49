// The shared logoff cases (tests/cases/logoff_cases.tsv) through the C++
// wrapper, with a transport written in C++.
//
//   uvmapi_cpp_logoff_cases CASES.tsv --row=N --key=FLAG/ACTIVITY/OPENER
//       runs data row N (1-based) and first checks that it is the row CTest
//       named, so a CTest name can never run another case;
//   uvmapi_cpp_logoff_cases CASES.tsv --expect-rows=N
//       checks that the file has N cases (CTest registered one test for each);
//   uvmapi_cpp_logoff_cases CASES.tsv
//       runs every row.
// Other arguments go to doctest.
//
// Each case builds its activity state on purpose with the scripted transport
// (I: a receive held, O: a send held, Q: a message queued because the
// transport refuses sends with MAPI_E_BUSY), logs the store off with the
// one-call logoff, checks the flags when control returns, then lets the
// transport finish what it still may and checks the final outcome and where
// every message ended.
#define DOCTEST_CONFIG_IMPLEMENT
#include <doctest/doctest.h>

#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "scripted_transport.h"

namespace {

using uvmapi::LogoffFlags;
using namespace uvmapi_test;

// One data line of the TSV, with its columns as written.
struct Row {
  std::size_t number = 0;  // 1-based, counting data lines only.
  std::string flag, activity, opener, at_return, at_final, released, inbound, outbound, queued;

  std::string key() const { return flag + "/" + activity + "/" + opener; }
};

struct Options {
  std::string cases_file;
  std::size_t row = 0;  // 0: every row.
  std::string key;
  long expect_rows = -1;
};
Options g_options;

std::vector<Row> read_rows(const std::string& path) {
  std::ifstream file(path);
  REQUIRE_MESSAGE(file.good(), "cannot read " << path);
  std::vector<Row> rows;
  std::string line;
  bool header = true;
  while (std::getline(file, line)) {
    if (line.empty() || line[0] == '#') continue;
    if (header) {
      header = false;  // The column names.
      continue;
    }
    std::vector<std::string> cells;
    std::stringstream stream(line);
    std::string cell;
    while (std::getline(stream, cell, '\t')) cells.push_back(cell);
    REQUIRE_MESSAGE(cells.size() == 9, "malformed line: " << line);
    Row row;
    row.number = rows.size() + 1;
    row.flag = cells[0];
    row.activity = cells[1];
    row.opener = cells[2];
    row.at_return = cells[3];
    row.at_final = cells[4];
    row.released = cells[5];
    row.inbound = cells[6];
    row.outbound = cells[7];
    row.queued = cells[8];
    rows.push_back(row);
  }
  return rows;
}

LogoffFlags input_flag(const std::string& name) {
  if (name == "NO_WAIT") return LogoffFlags::NoWait;
  if (name == "ORDERLY") return LogoffFlags::Orderly;
  if (name == "PURGE") return LogoffFlags::Purge;
  if (name == "ABORT") return LogoffFlags::Abort;
  if (name == "QUIET") return LogoffFlags::Quiet;
  FAIL("unknown flag " << name);
  return LogoffFlags::None;
}

// "C|I|O|Q" letters, or "-" for none.
LogoffFlags letters(const std::string& text) {
  LogoffFlags flags = LogoffFlags::None;
  if (text == "-") return flags;
  for (char c : text) {
    switch (c) {
      case 'C':
        flags |= LogoffFlags::Complete;
        break;
      case 'I':
        flags |= LogoffFlags::Inbound;
        break;
      case 'O':
        flags |= LogoffFlags::Outbound;
        break;
      case 'Q':
        flags |= LogoffFlags::OutboundQueue;
        break;
      case '|':
        break;
      default:
        FAIL("unknown letter in " << text);
    }
  }
  return flags;
}

// Where the message is now, as the TSV spells it, failing a check unless it
// is in exactly one place (and reached the peer exactly when it is in Sent
// Items).
std::string locate(const uvmapi::Store& reader, const ScriptedTransport& transport,
                   const std::string& body, bool inbound) {
  uvmapi::Message message = make_message(body);
  std::size_t places = 0;
  std::string where = "-";
  auto seen = [&](std::size_t count, const char* place) {
    CHECK_MESSAGE(count <= 1, body << " is " << count << " times in " << place);
    if (count > 0) {
      ++places;
      where = place;
    }
  };
  if (inbound) {
    seen(count_in(reader, uvmapi::Folder::Inbox, message), "inbox");
    seen(transport.at_source(message), "source");
  } else {
    seen(count_in(reader, uvmapi::Folder::Outbox, message), "outbox");
    seen(count_in(reader, uvmapi::Folder::SentItems, message), "sent");
    CHECK_MESSAGE(transport.delivered(message) == (where == "sent" ? 1u : 0u),
                  body << " reached the peer " << transport.delivered(message) << " times");
  }
  CHECK_MESSAGE(places == 1, body << " is in " << places << " places: lost or duplicated");
  return where;
}

void run_row(const Row& row) {
  INFO("case " << row.number << ": " << row.key());
  const LogoffFlags flag = input_flag(row.flag);
  const LogoffFlags state = letters(row.activity);
  const bool shared = row.opener == "shared";
  REQUIRE((shared || row.opener == "sole"));
  REQUIRE((row.released == "return" || row.released == "final" || row.released == "never"));

  Fixture fixture;
  uvmapi::Store store = fixture.runtime.open_store("store");
  std::shared_ptr<ScriptedTransport> transport = fixture.provider->session("store");
  REQUIRE(transport != nullptr);

  // Build the activity state.
  if (has(state, LogoffFlags::Outbound)) {
    store.submit(make_message("o"));
    REQUIRE(transport->wait_sends_in_flight(1));
  }
  if (has(state, LogoffFlags::OutboundQueue)) {
    // Full: the next offer is refused with MAPI_E_BUSY and the message stays queued.
    transport->set_capacity(transport->sends_in_flight());
    store.submit(make_message("q"));
  }
  if (has(state, LogoffFlags::Inbound)) transport->arrive(make_message("i"), true);
  uvmapi::Store other;
  if (shared) other = fixture.runtime.open_store("store");

  // StoreLogoff saves the flag and reports the activity, nothing more.
  CHECK(store.store_logoff(flag) == state);

  // The one-call logoff. A case released only at the final outcome cannot
  // finish before the transport is let go on, so it is asked not to wait and
  // must come back unfinished; every other case must finish by itself.
  const bool released_at_final = row.released == "final";
  uvmapi::Outcome at_return =
      std::move(store).logoff(flag, released_at_final ? std::chrono::milliseconds(0) : kPatience);
  CHECK_FALSE(store);  // The reference was consumed.
  CHECK(at_return.returned);
  CHECK_MESSAGE(at_return.at_return == letters(row.at_return),
                "at return: " << to_string(at_return.at_return) << ", expected " << row.at_return);
  if (released_at_final) {
    CHECK_FALSE(at_return.finished);
    CHECK_FALSE(at_return.released);
    CHECK(fixture.log.count("store") == 0);
    CHECK_FALSE(transport->logged_off());
  } else {
    CHECK(at_return.finished);
    CHECK(at_return.released == (row.released == "return"));
  }

  // Let the transport finish what it still may.
  transport->finish_everything();

  uvmapi::Outcome final_outcome;
  REQUIRE(fixture.log.wait("store", 0, final_outcome));
  CHECK(final_outcome.finished);
  CHECK(final_outcome.requested == flag);
  CHECK(final_outcome.status == UVMAPI_S_OK);
  CHECK_FALSE(final_outcome.escalated);
  CHECK_FALSE(final_outcome.forced);
  CHECK_MESSAGE(final_outcome.at_return == letters(row.at_return),
                "at return (final report): " << to_string(final_outcome.at_return));
  CHECK_MESSAGE(final_outcome.at_final == letters(row.at_final),
                "final: " << to_string(final_outcome.at_final) << ", expected " << row.at_final);
  CHECK(final_outcome.released == (row.released != "never"));
  if (!released_at_final) {
    // What the logoff call returned was already final: the callback agrees.
    CHECK(at_return.at_final == final_outcome.at_final);
    CHECK(at_return.released == final_outcome.released);
  }

  // The transports are logged off exactly when the store's last opener went,
  // in a hurry after an abort.
  const bool logged_off = !shared && row.released != "never";
  CHECK(transport->logged_off() == logged_off);
  if (logged_off) {
    CHECK(transport->logoff_calls() == 1);
    CHECK(transport->logoff_flags() == (flag == LogoffFlags::Abort
                                            ? uvmapi::TransportLogoffFlags::Hurry
                                            : uvmapi::TransportLogoffFlags::Normal));
  }

  // Read the folders through a new opener whose new session takes no sends,
  // so that reading moves nothing.
  fixture.provider->set_default_capacity(0);
  uvmapi::Store reader = fixture.runtime.open_store("store");
  if (has(state, LogoffFlags::Inbound)) CHECK(locate(reader, *transport, "i", true) == row.inbound);
  if (has(state, LogoffFlags::Outbound))
    CHECK(locate(reader, *transport, "o", false) == row.outbound);
  if (has(state, LogoffFlags::OutboundQueue)) {
    CHECK(locate(reader, *transport, "q", false) == row.queued);
  }
  // The columns of messages the state does not have are "-".
  if (!has(state, LogoffFlags::Inbound)) CHECK(row.inbound == "-");
  if (!has(state, LogoffFlags::Outbound)) CHECK(row.outbound == "-");
  if (!has(state, LogoffFlags::OutboundQueue)) CHECK(row.queued == "-");
}

TEST_CASE("logoff cases of tests/cases/logoff_cases.tsv through the C++ wrapper") {
  std::vector<Row> rows = read_rows(g_options.cases_file);
  if (g_options.expect_rows >= 0) {
    CHECK_MESSAGE(rows.size() == static_cast<std::size_t>(g_options.expect_rows),
                  "the case list has " << rows.size() << " cases and CTest registered "
                                       << g_options.expect_rows << ": re-run CMake");
    return;
  }
  if (g_options.row == 0) {
    for (const Row& row : rows) run_row(row);
    return;
  }
  REQUIRE_MESSAGE(g_options.row <= rows.size(), "there is no case " << g_options.row);
  const Row& row = rows[g_options.row - 1];
  REQUIRE_MESSAGE(row.key() == g_options.key, "case " << g_options.row << " is " << row.key()
                                                      << ", CTest expected " << g_options.key
                                                      << ": re-run CMake");
  run_row(row);
}

}  // namespace

// Takes our own arguments out and hands the rest to doctest.
int main(int argc, char** argv) {
  std::vector<char*> rest;
  for (int i = 0; i < argc; ++i) {
    std::string arg = argv[i];
    if (i > 0 && arg.rfind("--row=", 0) == 0) {
      g_options.row = std::stoul(arg.substr(6));
    } else if (i > 0 && arg.rfind("--key=", 0) == 0) {
      g_options.key = arg.substr(6);
    } else if (i > 0 && arg.rfind("--expect-rows=", 0) == 0) {
      g_options.expect_rows = std::stol(arg.substr(14));
    } else if (i > 0 && g_options.cases_file.empty() && arg.rfind("-", 0) != 0) {
      g_options.cases_file = arg;
    } else {
      rest.push_back(argv[i]);
    }
  }
  if (g_options.cases_file.empty()) g_options.cases_file = UVMAPI_CASES_FILE;
  doctest::Context context(static_cast<int>(rest.size()), rest.data());
  return context.run();
}
