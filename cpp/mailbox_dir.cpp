#include "mailbox_dir.h"

#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdint>
#include <ctime>
#include <set>

#include "error.h"
#include "maildir_store.h"  // The envelope sidecar format, shared with the store.

namespace uvmapi::mailbox {

using maildir::describe;
using maildir::join;

std::string mailbox_name(const std::string& address, std::string& why) {
  why.clear();
  if (address.empty()) {
    why = "an empty address names no mailbox";
  } else if (address.size() > 255) {
    why = "the address is longer than 255 bytes";
  } else if (address[0] == '.') {
    why = "an address must not start with '.'";
  } else {
    for (char c : address) {
      auto byte = static_cast<unsigned char>(c);
      if (c == '/' || byte <= 0x20 || byte == 0x7f) {
        why = "an address must not hold '/', spaces or control characters";
        break;
      }
    }
  }
  if (!why.empty()) {
    why = "'" + address + "': " + why;
    return {};
  }
  std::string name = address;
  for (char& c : name) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  }
  return name;
}

Paths paths(const std::string& root, const std::string& mailbox) {
  Paths where;
  where.dir = join(root, mailbox);
  where.tmp = join(where.dir, "tmp");
  where.fresh = join(where.dir, "new");
  where.cur = join(where.dir, "cur");
  where.envelopes = join(where.dir, "envelopes");
  return where;
}

HRESULT ensure(const std::string& root, const std::string& mailbox) {
  const Paths where = paths(root, mailbox);
  for (const std::string* dir :
       {&root, &where.dir, &where.tmp, &where.fresh, &where.cur, &where.envelopes}) {
    if (HRESULT r = maildir::ensure_dir(*dir); failed(r)) return r;
  }
  return S_OK;
}

bool exists(const Paths& where) {
  // envelopes/ is made last: a mailbox another send is still creating does
  // not count as there yet (that send, or ours, finishes creating it).
  struct stat st;
  for (const std::string* dir : {&where.fresh, &where.tmp, &where.envelopes}) {
    if (::stat(dir->c_str(), &st) != 0 || !S_ISDIR(st.st_mode)) return false;
  }
  return true;
}

HRESULT stage(const Paths& where, const Envelope& envelope, const std::string& content,
              Copy& copy) {
  copy.where = where;
  copy.name = maildir::unique_name();
  copy.envelope_written = copy.message_written = copy.committed = false;

  // The envelope is written in place: nobody reads it before its message is
  // in new/ (and clean_stale removes one whose message never came). Both
  // files are flushed together, then envelopes/, so a delivered message
  // always has its envelope, crash or not.
  const std::string text = encode_envelope(envelope);
  if (HRESULT r = maildir::write_new_files(
          {{where.envelopes, copy.name, &text}, {where.tmp, copy.name, &content}});
      failed(r)) {
    return r;
  }
  copy.envelope_written = copy.message_written = true;
  if (HRESULT r = maildir::sync_dir(where.envelopes); failed(r)) {
    discard(copy);
    return r;
  }
  return S_OK;
}

HRESULT commit(Copy& copy) {
  const std::string from = join(copy.where.tmp, copy.name);
  const std::string to = join(copy.where.fresh, copy.name);
  if (::rename(from.c_str(), to.c_str()) != 0) {
    return fail(MAPI_E_CALL_FAILED, "cannot deliver the message " + describe(to, errno));
  }
  copy.message_written = false;
  copy.committed = true;
  // The rename happened: the message is delivered even if this flush fails
  // (it is then only less durable), so a failure here is not undone.
  return maildir::sync_dir(copy.where.fresh);
}

void discard(Copy& copy) {
  if (copy.committed) return;
  if (copy.message_written) ::unlink(join(copy.where.tmp, copy.name).c_str());
  if (copy.envelope_written) ::unlink(join(copy.where.envelopes, copy.name).c_str());
  copy.message_written = copy.envelope_written = false;
}

namespace {

void discard_all(std::vector<Copy>& copies) {
  for (auto& copy : copies) discard(copy);
}

}  // namespace

DeliveryOutcome deliver(const Delivery& delivery, const std::function<bool()>& cancelled,
                        const std::function<void()>& before_commit, HRESULT& error,
                        std::string& why) {
  const std::size_t count = delivery.mailboxes.size();
  std::vector<Paths> where;
  for (std::size_t i = 0; i < count; ++i) {
    where.push_back(paths(delivery.root, delivery.mailboxes[i]));
    if (exists(where.back())) continue;
    if (!delivery.create_missing) {
      error = MAPI_E_NOT_FOUND;
      why = "no mailbox for the recipient '" + delivery.addresses[i] + "' under " + delivery.root;
      return DeliveryOutcome::Failed;
    }
    if (HRESULT r = ensure(delivery.root, delivery.mailboxes[i]); failed(r)) {
      error = r;
      why = last_error_message();
      return DeliveryOutcome::Failed;
    }
  }
  std::vector<Copy> copies(count);
  for (std::size_t i = 0; i < count; ++i) {
    if (cancelled()) {
      discard_all(copies);
      return DeliveryOutcome::Cancelled;
    }
    Envelope envelope;
    envelope.sender = delivery.sender;
    // Each mailbox learns its own recipient only: the others (Bcc ones above
    // all) are none of its business. The header fields show the rest.
    envelope.recipients.push_back(delivery.addresses[i]);
    if (HRESULT r = stage(where[i], envelope, delivery.content, copies[i]); failed(r)) {
      discard_all(copies);
      error = r;
      why = last_error_message();
      return DeliveryOutcome::Failed;
    }
  }
  if (before_commit) before_commit();
  // The last moment a cancel wins: after the first rename it is delivered.
  if (cancelled()) {
    discard_all(copies);
    return DeliveryOutcome::Cancelled;
  }
  for (auto& copy : copies) {
    if (HRESULT r = commit(copy); failed(r)) {
      discard_all(copies);  // Leaves the copies already committed.
      error = r;
      why = last_error_message();
      return DeliveryOutcome::Failed;
    }
  }
  return DeliveryOutcome::Delivered;
}

HRESULT list_new(const Paths& where, std::vector<std::string>& names) {
  if (HRESULT r = maildir::list_dir(where.fresh, names); failed(r)) return r;
  std::vector<std::pair<maildir::ArrivalKey, std::string>> keyed;
  keyed.reserve(names.size());
  for (auto& name : names) keyed.emplace_back(maildir::arrival_key(name, 0), std::move(name));
  std::sort(keyed.begin(), keyed.end(),
            [](const auto& a, const auto& b) { return a.first < b.first; });
  names.clear();
  for (auto& entry : keyed) names.push_back(std::move(entry.second));
  return S_OK;
}

ReadOutcome read(const Paths& where, const std::string& name, const std::string& address,
                 std::size_t max_bytes, Message& message, std::string& why) {
  const std::string path = join(where.fresh, name);
  struct stat st;
  // lstat: a symbolic link in new/ is not followed (it could point anywhere).
  if (::lstat(path.c_str(), &st) != 0) {
    if (errno == ENOENT) return ReadOutcome::Gone;
    why = "cannot look at " + describe(path, errno);
    return ReadOutcome::Unreadable;
  }
  if (!S_ISREG(st.st_mode)) {
    why = path + " is not a regular file";
    return ReadOutcome::Unreadable;
  }
  if (static_cast<std::uint64_t>(st.st_size) > max_bytes) {
    why = path + " is larger than the limit of " + std::to_string(max_bytes) + " bytes";
    return ReadOutcome::TooLarge;
  }
  int error = 0;
  if (failed(maildir::read_file(path, message.content, error))) {
    if (error == ENOENT) return ReadOutcome::Gone;
    why = last_error_message();
    return ReadOutcome::Unreadable;
  }
  if (message.content.size() > max_bytes) {
    why = path + " grew past the limit of " + std::to_string(max_bytes) + " bytes";
    return ReadOutcome::TooLarge;
  }
  std::string text;
  if (failed(maildir::read_file(join(where.envelopes, name), text, error)) ||
      !decode_envelope(text, message.envelope)) {
    message.envelope = envelope_from_headers(message.content);
  }
  if (message.envelope.recipients.empty()) message.envelope.recipients.push_back(address);
  return ReadOutcome::Read;
}

HRESULT remove(const Paths& where, const std::string& name, std::string& why) {
  const std::string path = join(where.fresh, name);
  if (::unlink(path.c_str()) != 0 && errno != ENOENT) {
    why = "cannot remove the delivered message " + describe(path, errno);
    return fail(MAPI_E_CALL_FAILED, why);
  }
  if (HRESULT r = maildir::sync_dir(where.fresh); failed(r)) {
    why = last_error_message();
    return r;
  }
  // An envelope left behind by a crash here is removed by clean_stale.
  ::unlink(join(where.envelopes, name).c_str());
  return S_OK;
}

namespace {

bool older_than(const std::string& path, std::time_t limit) {
  struct stat st;
  return ::lstat(path.c_str(), &st) == 0 && st.st_mtime < limit;
}

}  // namespace

std::size_t clean_stale(const Paths& where, std::chrono::seconds age) {
  const std::time_t limit = std::time(nullptr) - static_cast<std::time_t>(age.count());
  std::size_t removed = 0;
  std::vector<std::string> names;
  if (!failed(maildir::list_dir(where.tmp, names))) {
    for (const auto& name : names) {
      const std::string path = join(where.tmp, name);
      if (older_than(path, limit) && ::unlink(path.c_str()) == 0) ++removed;
    }
  }
  std::vector<std::string> delivered;
  if (failed(maildir::list_dir(where.fresh, delivered))) return removed;
  const std::set<std::string> present(delivered.begin(), delivered.end());
  if (!failed(maildir::list_dir(where.envelopes, names))) {
    for (const auto& name : names) {
      if (present.count(name)) continue;
      const std::string path = join(where.envelopes, name);
      if (older_than(path, limit) && ::unlink(path.c_str()) == 0) ++removed;
    }
  }
  return removed;
}

bool ReceiverLock::try_acquire(const Paths& where) {
  if (held()) return true;
  maildir::Fd fd;
  if (failed(maildir::open_lock_file(join(where.dir, ".receiver"), fd))) return false;
  int result;
  do {
    result = ::flock(fd.get(), LOCK_EX | LOCK_NB);
  } while (result != 0 && errno == EINTR);
  if (result != 0) return false;
  fd_ = std::move(fd);
  return true;
}

void ReceiverLock::release() {
  // Closing the descriptor lets the lock go.
  fd_.reset();
}

}  // namespace uvmapi::mailbox
