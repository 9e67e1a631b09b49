// A MessageStore on disk, in Maildir layout, shared by any number of openers
// in this process and in others. docs/store.md describes the layout, the
// commit sequence, the recovery at open and the locks.
//
//   root/Inbox/{tmp,new,cur,envelopes}   one Maildir per folder, plus the
//   root/Outbox/{tmp,new,cur,envelopes}  envelope sidecars
//   root/Sent/{tmp,new,cur,envelopes}
//   root/.openers  root/.openers.guard  root/.spooler   lock files
//
// Not thread-safe: one instance is used from one thread (the loop thread).
// The const calls refresh caches, so they are not safe to share either.
#ifndef UVMAPI_CPP_MAILDIR_STORE_H
#define UVMAPI_CPP_MAILDIR_STORE_H

#include <array>
#include <map>
#include <memory>
#include <string>
#include <unordered_map>

#include "maildir_io.h"
#include "message_store.h"
#include "store_lock.h"

namespace uvmapi {

class MaildirStore final : public MessageStore {
 public:
  // Opens the store at root, creating root (not its parents) and whatever
  // part of the layout is missing. When no other opener has the store open,
  // repairs what a crash left half-done first. On failure store is untouched
  // and the reason is recorded with fail().
  static HRESULT open(const std::string& root, std::unique_ptr<MaildirStore>& store);

  ~MaildirStore() override;
  MaildirStore(const MaildirStore&) = delete;
  MaildirStore& operator=(const MaildirStore&) = delete;

  HRESULT add(Folder folder, const Message& message, MessageId& id) override;
  HRESULT move(MessageId id, Folder from, Folder to) override;
  // Null when the id is unknown, the message left the store, or its file
  // cannot be read; the reason is recorded with fail().
  std::optional<Message> read(MessageId id) const override;
  // These reflect the directories, with changes made by other openers. A
  // folder that cannot be listed keeps its last known content (and fail()).
  std::vector<MessageId> list(Folder folder) const override;
  std::size_t count(Folder folder) const override;

  // Whether another opener (another process, or another MaildirStore on the
  // same root in this process) has the store open. True when it cannot be
  // told, so that a caller in doubt touches nothing.
  bool opened_elsewhere() const override;

  // The spooler lock: at most one opener of a store runs its transports.
  // acquired is false, with S_OK, when another opener holds it. Taking it
  // again while held succeeds. Destroying the store lets it go.
  HRESULT try_lock_spooler(bool& acquired);
  void unlock_spooler();

  const std::string& root() const { return root_; }

  // The directory of a folder under root: "Inbox", "Outbox" or "Sent".
  static const char* folder_dir(Folder folder);

  // Where recovery at open put things; for tests and logs.
  struct Recovery {
    std::size_t temporary_files_removed = 0;
    std::size_t envelopes_removed = 0;
    std::size_t envelopes_rejoined = 0;  // followed their message to its folder
    std::size_t envelopes_derived = 0;   // Outbox messages that had none
    bool skipped = false;                // others had the store open
  };
  const Recovery& recovery() const { return recovery_; }

 private:
  struct Entry {
    std::string file;  // Current file name: the base, or base + ":2,FLAGS".
    bool in_cur = false;
    maildir::ArrivalKey key;
    MessageId id = 0;
  };
  struct FolderState {
    maildir::DirStamp new_stamp;
    maildir::DirStamp cur_stamp;
    bool trusted = false;  // The stamps were old enough to vouch for the scan.
    std::map<std::string, Entry> by_base;
  };

  explicit MaildirStore(std::string root);

  HRESULT create_layout() const;
  HRESULT recover();
  HRESULT recover_folder_tmp(Folder folder);
  HRESULT recover_envelopes(
      const std::array<std::map<std::string, std::string>, kFolderCount>& present);
  HRESULT write_envelope(Folder folder, const std::string& base, const Envelope& envelope) const;

  // Rescans a folder when its directories changed (or always, with force).
  HRESULT refresh(Folder folder, bool force) const;
  HRESULT scan(Folder folder, FolderState& state) const;
  const Entry* find(MessageId id, Folder& folder) const;

  std::string folder_path(Folder folder) const;
  std::string sub_path(Folder folder, const char* sub) const;

  const std::string root_;
  maildir::StoreLocks locks_;
  Recovery recovery_;
  mutable std::array<FolderState, kFolderCount> folders_;
  mutable std::unordered_map<MessageId, std::pair<Folder, std::string>> ids_;
};

// The envelope sidecar's text form, and the envelope a message's own header
// fields give (From; To, Cc and Bcc) when it has no sidecar.
std::string encode_envelope(const Envelope& envelope);
bool decode_envelope(const std::string& text, Envelope& envelope);
Envelope envelope_from_headers(const std::string& content);

}  // namespace uvmapi

#endif
