// The in-memory message store under the MessageStore interface.
#include <doctest/doctest.h>

#include "memory_store.h"

namespace uvmapi {

TEST_CASE("a message moves between folders and is always in exactly one") {
  MemoryStore store;
  Message message;
  message.envelope = {"a@example.org", {"b@example.org"}};
  message.content = "Subject: x\r\n\r\nbody\r\n";
  MessageId first = 0, second = 0;
  REQUIRE(store.add(Folder::Outbox, message, first) == S_OK);
  REQUIRE(store.add(Folder::Outbox, message, second) == S_OK);
  CHECK(first != second);
  CHECK(store.list(Folder::Outbox) == std::vector<MessageId>{first, second});

  REQUIRE(store.move(first, Folder::Outbox, Folder::SentItems) == S_OK);
  CHECK(store.count(Folder::Outbox) == 1u);
  CHECK(store.count(Folder::SentItems) == 1u);
  CHECK(store.move(first, Folder::Outbox, Folder::SentItems) == MAPI_E_NOT_FOUND);
  CHECK(store.count(Folder::SentItems) == 1u);

  auto read = store.read(first);
  REQUIRE(read);
  CHECK(read->content == message.content);
  CHECK(read->envelope.recipients == message.envelope.recipients);
  CHECK_FALSE(store.read(999));
}

}  // namespace uvmapi
