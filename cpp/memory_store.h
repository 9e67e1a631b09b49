// A MessageStore held in memory. It lives as long as the runtime that opened
// it, so what an ORDERLY logoff leaves in the Outbox is there at the next logon.
#ifndef UVMAPI_CPP_MEMORY_STORE_H
#define UVMAPI_CPP_MEMORY_STORE_H

#include <array>
#include <map>
#include <set>

#include "message_store.h"

namespace uvmapi {

class MemoryStore final : public MessageStore {
 public:
  HRESULT add(Folder folder, const Message& message, MessageId& id) override;
  HRESULT move(MessageId id, Folder from, Folder to) override;
  std::optional<Message> read(MessageId id) const override;
  std::vector<MessageId> list(Folder folder) const override;
  std::size_t count(Folder folder) const override;

 private:
  MessageId next_id_ = 1;
  std::map<MessageId, Message> messages_;
  // Ordered by id, and ids grow, so each folder lists in arrival order.
  std::array<std::set<MessageId>, kFolderCount> folders_;
};

}  // namespace uvmapi

#endif
