#include "memory_store.h"

#include "error.h"

namespace uvmapi {

const char* folder_name(Folder folder) {
  switch (folder) {
    case Folder::Inbox:
      return "Inbox";
    case Folder::Outbox:
      return "Outbox";
    case Folder::SentItems:
      return "Sent Items";
  }
  return "?";
}

namespace {

std::size_t slot(Folder folder) {
  return static_cast<std::size_t>(folder);
}

}  // namespace

HRESULT MemoryStore::add(Folder folder, const Message& message, MessageId& id) {
  id = next_id_++;
  messages_.emplace(id, message);
  folders_[slot(folder)].insert(id);
  return S_OK;
}

HRESULT MemoryStore::move(MessageId id, Folder from, Folder to) {
  auto& source = folders_[slot(from)];
  if (source.erase(id) == 0) {
    return fail(MAPI_E_NOT_FOUND, std::string("message is not in ") + folder_name(from));
  }
  folders_[slot(to)].insert(id);
  return S_OK;
}

std::optional<Message> MemoryStore::read(MessageId id) const {
  auto it = messages_.find(id);
  if (it == messages_.end()) return std::nullopt;
  return it->second;
}

std::vector<MessageId> MemoryStore::list(Folder folder) const {
  const auto& ids = folders_[slot(folder)];
  return {ids.begin(), ids.end()};
}

std::size_t MemoryStore::count(Folder folder) const {
  return folders_[slot(folder)].size();
}

}  // namespace uvmapi
