// The storage behind a message store: three folders of messages. It knows
// nothing of transports or logoff; the spooler and the openers build on it.
// Implementations: MemoryStore here, a durable one on disk later.
#ifndef UVMAPI_CPP_MESSAGE_STORE_H
#define UVMAPI_CPP_MESSAGE_STORE_H

#include <cstddef>
#include <optional>
#include <vector>

#include "mapi_defs.h"
#include "message.h"

namespace uvmapi {

class MessageStore {
 public:
  virtual ~MessageStore() = default;

  // Commits message into folder and returns its new id through id. When this
  // returns S_OK the message is in the store for good.
  virtual HRESULT add(Folder folder, const Message& message, MessageId& id) = 0;

  // Moves a message between folders as one step: at every instant it is in
  // exactly one of them. MAPI_E_NOT_FOUND when it is not in from.
  virtual HRESULT move(MessageId id, Folder from, Folder to) = 0;

  virtual std::optional<Message> read(MessageId id) const = 0;

  // Ids in the order the messages entered the folder.
  virtual std::vector<MessageId> list(Folder folder) const = 0;
  virtual std::size_t count(Folder folder) const = 0;

  // Whether an opener outside this object (another process, or another
  // instance on the same storage) has the store open: the shared-store rule
  // then applies. A store only this object can reach answers false.
  virtual bool opened_elsewhere() const { return false; }
};

}  // namespace uvmapi

#endif
