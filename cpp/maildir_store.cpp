#include "maildir_store.h"

#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <cstdio>
#include <set>
#include <utility>

#include "error.h"

namespace uvmapi {

using maildir::describe;
using maildir::join;

namespace {

constexpr Folder kFolders[] = {Folder::Inbox, Folder::Outbox, Folder::SentItems};
constexpr const char* kSubdirs[] = {"tmp", "new", "cur", "envelopes"};
// A scan vouches for a directory only once its mtime is this much older than
// the scan: a change in the same clock tick may leave the mtime unchanged.
constexpr std::int64_t kTrustAfterSeconds = 2;
// Maildir's rule for files other programs left in tmp/.
constexpr std::int64_t kForeignTmpSeconds = 36 * 3600;

// Process-wide, so no two stores of the process ever hand out the same id.
std::atomic<MessageId> next_id{1};

std::size_t slot(Folder folder) {
  return static_cast<std::size_t>(folder);
}

// Re-records the last error with context in front of it.
HRESULT in_context(HRESULT hr, const std::string& context) {
  return fail(hr, context + ": " + last_error_message());
}

std::string envelope_temp_name(const std::string& base) {
  return base + ".envelope";
}

}  // namespace

const char* MaildirStore::folder_dir(Folder folder) {
  switch (folder) {
    case Folder::Inbox:
      return "Inbox";
    case Folder::Outbox:
      return "Outbox";
    case Folder::SentItems:
      return "Sent";
  }
  return "?";
}

MaildirStore::MaildirStore(std::string root) : root_(std::move(root)) {}

MaildirStore::~MaildirStore() = default;

std::string MaildirStore::folder_path(Folder folder) const {
  return join(root_, folder_dir(folder));
}

std::string MaildirStore::sub_path(Folder folder, const char* sub) const {
  return join(folder_path(folder), sub);
}

HRESULT MaildirStore::open(const std::string& root, std::unique_ptr<MaildirStore>& store) {
  if (root.empty()) return fail(MAPI_E_INVALID_PARAMETER, "a durable store needs a root directory");
  std::string clean = root;
  while (clean.size() > 1 && clean.back() == '/') clean.pop_back();
  std::unique_ptr<MaildirStore> made(new MaildirStore(clean));
  const std::string context = "cannot open the store at " + root;
  if (HRESULT r = made->create_layout(); failed(r)) return in_context(r, context);
  if (HRESULT r = made->locks_.open(clean); failed(r)) return in_context(r, context);
  bool alone = false;
  if (HRESULT r = made->locks_.join_openers(alone); failed(r)) return in_context(r, context);
  HRESULT recovered = S_OK;
  if (alone) {
    recovered = made->recover();
  } else {
    made->recovery_.skipped = true;
  }
  made->locks_.finish_join();
  if (failed(recovered)) return in_context(recovered, context);
  for (Folder folder : kFolders) {
    if (HRESULT r = made->refresh(folder, true); failed(r)) return in_context(r, context);
  }
  store = std::move(made);
  return S_OK;
}

HRESULT MaildirStore::create_layout() const {
  // Check everything first, so that a bad root changes nothing.
  if (HRESULT r = maildir::check_dir_or_missing(root_); failed(r)) return r;
  struct stat st;
  bool root_exists = ::stat(root_.c_str(), &st) == 0;
  if (root_exists && ::access(root_.c_str(), R_OK | W_OK | X_OK) != 0) {
    return fail(MAPI_E_CALL_FAILED,
                "no permission to use the store directory " + describe(root_, errno));
  }
  std::vector<std::string> dirs;
  for (Folder folder : kFolders) {
    dirs.push_back(folder_path(folder));
    for (const char* sub : kSubdirs) dirs.push_back(sub_path(folder, sub));
  }
  for (const auto& dir : dirs) {
    if (HRESULT r = maildir::check_dir_or_missing(dir); failed(r)) return r;
  }
  // Create what is missing, and flush each parent that gained an entry, so
  // that no later commit lands in a directory a crash could forget.
  std::set<std::string> grown;
  auto make = [&](const std::string& dir, const std::string& parent) -> HRESULT {
    if (::stat(dir.c_str(), &st) == 0) return S_OK;
    if (HRESULT r = maildir::ensure_dir(dir); failed(r)) return r;
    grown.insert(parent);
    return S_OK;
  };
  std::string root_parent = root_.substr(0, root_.find_last_of('/') + 1);
  if (root_parent.empty()) root_parent = ".";
  if (HRESULT r = make(root_, root_parent); failed(r)) return r;
  for (Folder folder : kFolders) {
    if (HRESULT r = make(folder_path(folder), root_); failed(r)) return r;
    for (const char* sub : kSubdirs) {
      if (HRESULT r = make(sub_path(folder, sub), folder_path(folder)); failed(r)) return r;
    }
  }
  for (const auto& dir : grown) {
    HRESULT r = maildir::sync_dir(dir);
    // The root's parent may be searchable but not readable (a home directory
    // with mode 0711), so it cannot be opened to flush it; the store's own
    // directories always can.
    if (failed(r) && dir != root_parent) return r;
  }
  return S_OK;
}

// ---- Envelopes ----------------------------------------------------------

namespace {

std::string percent_encode(const std::string& text) {
  static const char hex[] = "0123456789ABCDEF";
  std::string out;
  for (char raw : text) {
    auto c = static_cast<unsigned char>(raw);
    if (c <= 0x20 || c >= 0x7f || c == '%') {
      out += '%';
      out += hex[c >> 4];
      out += hex[c & 15];
    } else {
      out += static_cast<char>(c);
    }
  }
  return out;
}

bool percent_decode(const std::string& text, std::string& out) {
  auto value = [](char c) -> int {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    return -1;
  };
  out.clear();
  for (std::size_t i = 0; i < text.size(); ++i) {
    if (text[i] != '%') {
      out += text[i];
      continue;
    }
    if (i + 2 >= text.size()) return false;
    int high = value(text[i + 1]);
    int low = value(text[i + 2]);
    if (high < 0 || low < 0) return false;
    out += static_cast<char>(high * 16 + low);
    i += 2;
  }
  return true;
}

constexpr const char* kEnvelopeMagic = "uvmapi-envelope 1";

}  // namespace

std::string encode_envelope(const Envelope& envelope) {
  std::string text = std::string(kEnvelopeMagic) + "\n";
  text += "from " + percent_encode(envelope.sender) + "\n";
  for (const auto& recipient : envelope.recipients)
    text += "to " + percent_encode(recipient) + "\n";
  text += "end\n";
  return text;
}

bool decode_envelope(const std::string& text, Envelope& envelope) {
  Envelope parsed;
  std::vector<std::string> lines;
  std::size_t start = 0;
  while (start < text.size()) {
    std::size_t end = text.find('\n', start);
    if (end == std::string::npos) return false;  // Every line ends, "end" too.
    lines.push_back(text.substr(start, end - start));
    start = end + 1;
  }
  if (lines.size() < 3 || lines.front() != kEnvelopeMagic || lines.back() != "end") return false;
  if (lines[1].compare(0, 5, "from ") != 0) return false;
  if (!percent_decode(lines[1].substr(5), parsed.sender)) return false;
  for (std::size_t i = 2; i + 1 < lines.size(); ++i) {
    std::string recipient;
    if (lines[i].compare(0, 3, "to ") != 0 || !percent_decode(lines[i].substr(3), recipient)) {
      return false;
    }
    parsed.recipients.push_back(std::move(recipient));
  }
  envelope = std::move(parsed);
  return true;
}

namespace {

std::string trim(const std::string& s) {
  const char* space = " \t\r\n";
  std::size_t first = s.find_first_not_of(space);
  if (first == std::string::npos) return {};
  return s.substr(first, s.find_last_not_of(space) - first + 1);
}

std::string lower(std::string s) {
  for (char& c : s) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  }
  return s;
}

// The addresses of an address-list field value ("A <a@x>, b@y, group: c@z;").
std::vector<std::string> addresses(const std::string& value) {
  std::vector<std::string> parts;
  std::string current;
  bool quoted = false;
  int angle = 0, comment = 0;
  for (char c : value) {
    if (quoted) {
      if (c == '"') quoted = false;
    } else if (c == '"') {
      quoted = true;
    } else if (c == '(') {
      ++comment;
    } else if (c == ')' && comment > 0) {
      --comment;
    } else if (comment == 0 && c == '<') {
      ++angle;
    } else if (comment == 0 && c == '>' && angle > 0) {
      --angle;
    } else if (comment == 0 && angle == 0 && (c == ',' || c == ';' || c == ':')) {
      // ':' ends a group's name (dropped), ';' the group; ',' the address.
      if (c != ':') parts.push_back(current);
      current.clear();
      continue;
    }
    current += c;
  }
  parts.push_back(current);
  std::vector<std::string> out;
  for (const auto& part : parts) {
    std::string address;
    std::size_t open = part.find('<');
    if (open != std::string::npos) {
      address = part.substr(open + 1, part.find('>', open) - open - 1);
    } else {
      int depth = 0;
      for (char c : part) {
        if (c == '(')
          ++depth;
        else if (c == ')' && depth > 0)
          --depth;
        else if (depth == 0 && c != '"')
          address += c;
      }
    }
    address = trim(address);
    if (!address.empty()) out.push_back(address);
  }
  return out;
}

}  // namespace

Envelope envelope_from_headers(const std::string& content) {
  // Unfolded header fields, up to the blank line.
  std::vector<std::pair<std::string, std::string>> fields;
  std::size_t start = 0;
  while (start < content.size()) {
    std::size_t end = content.find('\n', start);
    if (end == std::string::npos) end = content.size();
    std::string line = content.substr(start, end - start);
    start = end + 1;
    if (!line.empty() && line.back() == '\r') line.pop_back();
    if (line.empty()) break;
    if ((line[0] == ' ' || line[0] == '\t') && !fields.empty()) {
      fields.back().second += " " + trim(line);
      continue;
    }
    std::size_t colon = line.find(':');
    if (colon == std::string::npos) continue;
    fields.emplace_back(lower(trim(line.substr(0, colon))), line.substr(colon + 1));
  }
  Envelope envelope;
  std::vector<std::string> seen;
  for (const auto& [name, value] : fields) {
    if (name == "from" && envelope.sender.empty()) {
      auto from = addresses(value);
      if (!from.empty()) envelope.sender = from.front();
    } else if (name == "to" || name == "cc" || name == "bcc") {
      for (auto& address : addresses(value)) {
        if (std::find(seen.begin(), seen.end(), address) != seen.end()) continue;
        seen.push_back(address);
        envelope.recipients.push_back(std::move(address));
      }
    }
  }
  return envelope;
}

// ---- Scanning -----------------------------------------------------------

HRESULT MaildirStore::refresh(Folder folder, bool force) const {
  FolderState& state = folders_[slot(folder)];
  if (!force && state.trusted) {
    maildir::DirStamp new_stamp, cur_stamp;
    if (maildir::stamp_dir(sub_path(folder, "new"), new_stamp) == S_OK &&
        maildir::stamp_dir(sub_path(folder, "cur"), cur_stamp) == S_OK &&
        new_stamp == state.new_stamp && cur_stamp == state.cur_stamp) {
      return S_OK;
    }
  }
  return scan(folder, state);
}

HRESULT MaildirStore::scan(Folder folder, FolderState& state) const {
  FolderState fresh;
  const std::string new_dir = sub_path(folder, "new");
  const std::string cur_dir = sub_path(folder, "cur");
  std::int64_t now_sec = 0, now_nsec = 0;
  std::vector<std::string> new_names, cur_names;
  HRESULT r = maildir::stamp_dir(new_dir, fresh.new_stamp);
  if (!failed(r)) r = maildir::stamp_dir(cur_dir, fresh.cur_stamp);
  maildir::now(now_sec, now_nsec);
  if (!failed(r)) r = maildir::list_dir(new_dir, new_names);
  if (!failed(r)) r = maildir::list_dir(cur_dir, cur_names);
  if (failed(r)) {
    state.trusted = false;
    return in_context(r, std::string("cannot scan the folder ") + folder_dir(folder));
  }

  std::vector<Entry*> unseen;
  auto take = [&](const std::string& dir, const std::string& file, bool in_cur) {
    std::string base = maildir::base_of(file);
    if (base.empty() || fresh.by_base.count(base)) return;
    std::uint64_t fallback = 0;
    if (!maildir::has_leading_seconds(base)) {
      struct stat st;
      if (::stat(join(dir, file).c_str(), &st) == 0)
        fallback = static_cast<std::uint64_t>(st.st_mtime);
    }
    Entry& entry = fresh.by_base[base];
    entry.file = file;
    entry.in_cur = in_cur;
    entry.key = maildir::arrival_key(base, fallback);
    auto old = state.by_base.find(base);
    if (old != state.by_base.end()) {
      entry.id = old->second.id;
    } else {
      unseen.push_back(&entry);
    }
  };
  for (const auto& file : new_names) take(new_dir, file, false);
  for (const auto& file : cur_names) take(cur_dir, file, true);

  // Ids for newcomers in arrival order, so a first scan numbers them in order.
  std::sort(unseen.begin(), unseen.end(),
            [](const Entry* a, const Entry* b) { return a->key < b->key; });
  for (Entry* entry : unseen) {
    entry->id = next_id.fetch_add(1);
    ids_[entry->id] = {folder, entry->key.name};
  }
  for (const auto& [base, entry] : state.by_base) {
    if (fresh.by_base.count(base)) continue;
    auto it = ids_.find(entry.id);
    if (it != ids_.end() && it->second.first == folder) ids_.erase(it);
  }
  fresh.trusted = fresh.new_stamp.mtime_sec + kTrustAfterSeconds < now_sec &&
                  fresh.cur_stamp.mtime_sec + kTrustAfterSeconds < now_sec;
  state = std::move(fresh);
  return S_OK;
}

const MaildirStore::Entry* MaildirStore::find(MessageId id, Folder& folder) const {
  auto it = ids_.find(id);
  if (it == ids_.end()) return nullptr;
  folder = it->second.first;
  const auto& by_base = folders_[slot(folder)].by_base;
  auto entry = by_base.find(it->second.second);
  return entry == by_base.end() ? nullptr : &entry->second;
}

std::vector<MessageId> MaildirStore::list(Folder folder) const {
  refresh(folder, false);
  std::vector<const Entry*> entries;
  for (const auto& [base, entry] : folders_[slot(folder)].by_base) entries.push_back(&entry);
  std::sort(entries.begin(), entries.end(),
            [](const Entry* a, const Entry* b) { return a->key < b->key; });
  std::vector<MessageId> ids;
  ids.reserve(entries.size());
  for (const Entry* entry : entries) ids.push_back(entry->id);
  return ids;
}

std::size_t MaildirStore::count(Folder folder) const {
  refresh(folder, false);
  return folders_[slot(folder)].by_base.size();
}

// ---- Reading and writing ------------------------------------------------

std::optional<Message> MaildirStore::read(MessageId id) const {
  Folder folder = Folder::Inbox;
  const Entry* entry = find(id, folder);
  if (!entry) {
    fail(MAPI_E_NOT_FOUND, "no message " + std::to_string(id) + " in the store at " + root_);
    return std::nullopt;
  }
  Message message;
  for (int attempt = 0;; ++attempt) {
    const std::string path = join(sub_path(folder, entry->in_cur ? "cur" : "new"), entry->file);
    int error = 0;
    if (maildir::read_file(path, message.content, error) == S_OK) break;
    if (error != ENOENT || attempt == 2) return std::nullopt;
    // A mail reader may have moved it from new/ to cur/, or another opener
    // out of the folder: look again.
    refresh(folder, true);
    Folder now_in = folder;
    entry = find(id, now_in);
    if (!entry || now_in != folder) {
      fail(MAPI_E_NOT_FOUND, "message " + std::to_string(id) + " left the folder " +
                                 folder_dir(folder) + " (another opener moved it)");
      return std::nullopt;
    }
  }
  const std::string envelope_path = join(sub_path(folder, "envelopes"), entry->key.name);
  std::string text;
  int error = 0;
  if (maildir::read_file(envelope_path, text, error) == S_OK) {
    if (!decode_envelope(text, message.envelope)) {
      fail(MAPI_E_CALL_FAILED, "the envelope file " + envelope_path + " is damaged");
      return std::nullopt;
    }
  } else if (error == ENOENT) {
    message.envelope = envelope_from_headers(message.content);
  } else {
    return std::nullopt;
  }
  return message;
}

HRESULT MaildirStore::write_envelope(Folder folder, const std::string& base,
                                     const Envelope& envelope) const {
  const std::string tmp = sub_path(folder, "tmp");
  const std::string envelopes = sub_path(folder, "envelopes");
  const std::string temp_name = envelope_temp_name(base);
  if (HRESULT r = maildir::write_new_file(tmp, temp_name, encode_envelope(envelope)); failed(r)) {
    return r;
  }
  const std::string target = join(envelopes, base);
  if (::rename(join(tmp, temp_name).c_str(), target.c_str()) != 0) {
    int error = errno;
    ::unlink(join(tmp, temp_name).c_str());
    return fail(MAPI_E_CALL_FAILED, "cannot commit the envelope " + describe(target, error));
  }
  if (HRESULT r = maildir::sync_dir(envelopes); failed(r)) {
    ::unlink(target.c_str());
    return r;
  }
  return S_OK;
}

HRESULT MaildirStore::add(Folder folder, const Message& message, MessageId& id) {
  const std::string context = std::string("cannot add a message to ") + folder_dir(folder);
  const std::string base = maildir::unique_name();
  const std::string tmp = sub_path(folder, "tmp");
  const std::string new_dir = sub_path(folder, "new");
  const std::string envelopes = sub_path(folder, "envelopes");
  const std::string envelope = join(envelopes, base);
  const std::string envelope_text = encode_envelope(message.envelope);
  // The envelope is written in place: nobody reads it before its message is
  // in new/, and recovery removes an envelope whose message never came. It
  // and the message's temporary file are flushed together, and envelopes/
  // after them, so the envelope is durable before the message can appear.
  if (HRESULT r = maildir::write_new_files(
          {{envelopes, base, &envelope_text}, {tmp, base, &message.content}});
      failed(r)) {
    return in_context(r, context);
  }
  const std::string temp = join(tmp, base);
  if (HRESULT r = maildir::sync_dir(envelopes); failed(r)) {
    ::unlink(temp.c_str());
    ::unlink(envelope.c_str());
    return in_context(r, context);
  }
  const std::string target = join(new_dir, base);
  if (::rename(temp.c_str(), target.c_str()) != 0) {
    int error = errno;
    ::unlink(temp.c_str());
    ::unlink(envelope.c_str());
    return fail(MAPI_E_CALL_FAILED, context + ": cannot commit " + describe(target, error));
  }
  if (HRESULT r = maildir::sync_dir(new_dir); failed(r)) {
    ::unlink(target.c_str());
    ::unlink(envelope.c_str());
    return in_context(r, context);
  }
  Entry entry;
  entry.file = base;
  entry.key = maildir::arrival_key(base, 0);
  entry.id = id = next_id.fetch_add(1);
  folders_[slot(folder)].by_base[base] = entry;
  ids_[id] = {folder, base};
  return S_OK;
}

HRESULT MaildirStore::move(MessageId id, Folder from, Folder to) {
  Folder at = from;
  const Entry* entry = find(id, at);
  if (!entry || at != from) {
    return fail(MAPI_E_NOT_FOUND,
                "message " + std::to_string(id) + " is not in " + folder_dir(from));
  }
  if (from == to) return S_OK;
  const std::string base = entry->key.name;
  std::string source, target, source_dir, target_dir;
  for (int attempt = 0;; ++attempt) {
    const char* sub = entry->in_cur ? "cur" : "new";
    source_dir = sub_path(from, sub);
    target_dir = sub_path(to, sub);
    source = join(source_dir, entry->file);
    target = join(target_dir, entry->file);
    // The one step that moves it: at every instant it is in exactly one folder.
    if (::rename(source.c_str(), target.c_str()) == 0) break;
    int error = errno;
    if (error != ENOENT || attempt == 2) {
      return fail(MAPI_E_CALL_FAILED,
                  "cannot move the message " + source + " to " + describe(target_dir, error));
    }
    // Gone from where it was: a mail reader moved it to cur/, or another
    // opener took it out of the folder.
    refresh(from, true);
    entry = find(id, at);
    if (!entry || at != from) {
      return fail(MAPI_E_NOT_FOUND, "message " + std::to_string(id) + " is no longer in " +
                                        folder_dir(from) + ": another opener moved it");
    }
  }
  // The envelope follows at once, so that one flush of each directory makes
  // both renames durable together. If a crash keeps only one of them,
  // recovery at open sends the envelope after its message.
  const std::string envelope_from = join(sub_path(from, "envelopes"), base);
  const std::string envelope_to = join(sub_path(to, "envelopes"), base);
  const bool envelope_moved = ::rename(envelope_from.c_str(), envelope_to.c_str()) == 0;
  HRESULT synced = maildir::sync_dir(target_dir);
  if (!failed(synced)) synced = maildir::sync_dir(source_dir);
  if (failed(synced)) {
    std::string reason = last_error_message();
    bool back = ::rename(target.c_str(), source.c_str()) == 0;
    if (back && envelope_moved) ::rename(envelope_to.c_str(), envelope_from.c_str());
    return fail(synced, "cannot make the move of message " + std::to_string(id) + " durable (" +
                            reason + ")" + (back ? "; it stays in " : "; it is now in ") +
                            folder_dir(back ? from : to));
  }
  Entry moved = *entry;
  folders_[slot(from)].by_base.erase(base);
  folders_[slot(to)].by_base[base] = moved;
  ids_[id] = {to, base};
  if (envelope_moved) {
    maildir::sync_dir(sub_path(to, "envelopes"));
    maildir::sync_dir(sub_path(from, "envelopes"));
  }
  return S_OK;
}

// ---- Locks --------------------------------------------------------------

bool MaildirStore::opened_elsewhere() const {
  return locks_.others();
}

HRESULT MaildirStore::try_lock_spooler(bool& acquired) {
  return locks_.try_lock_spooler(acquired);
}

void MaildirStore::unlock_spooler() {
  locks_.unlock_spooler();
}

// ---- Recovery at open ---------------------------------------------------

HRESULT MaildirStore::recover_folder_tmp(Folder folder) {
  const std::string tmp = sub_path(folder, "tmp");
  std::vector<std::string> names;
  if (HRESULT r = maildir::list_dir(tmp, names); failed(r)) return r;
  std::int64_t now_sec = 0, now_nsec = 0;
  maildir::now(now_sec, now_nsec);
  for (const auto& name : names) {
    const std::string path = join(tmp, name);
    struct stat st;
    if (::lstat(path.c_str(), &st) != 0 || !S_ISREG(st.st_mode)) continue;
    // Ours are never needed again: nobody else has the store open. Another
    // program's may be a delivery in progress, so Maildir's 36 hours apply.
    bool stale = maildir::is_own_name(name) || st.st_mtime + kForeignTmpSeconds < now_sec;
    if (stale && ::unlink(path.c_str()) == 0) ++recovery_.temporary_files_removed;
  }
  return S_OK;
}

HRESULT MaildirStore::recover_envelopes(
    const std::array<std::map<std::string, std::string>, kFolderCount>& present) {
  std::array<std::set<std::string>, kFolderCount> envelopes;
  for (Folder folder : kFolders) {
    std::vector<std::string> names;
    if (HRESULT r = maildir::list_dir(sub_path(folder, "envelopes"), names); failed(r)) return r;
    envelopes[slot(folder)].insert(names.begin(), names.end());
  }
  std::set<std::string> touched;
  for (Folder folder : kFolders) {
    const std::string dir = sub_path(folder, "envelopes");
    for (const auto& name : std::set<std::string>(envelopes[slot(folder)])) {
      if (present[slot(folder)].count(name)) continue;
      // An interrupted move: the message went ahead, its envelope follows.
      bool rejoined = false;
      for (Folder other : kFolders) {
        if (other == folder || !present[slot(other)].count(name) ||
            envelopes[slot(other)].count(name)) {
          continue;
        }
        const std::string other_dir = sub_path(other, "envelopes");
        if (::rename(join(dir, name).c_str(), join(other_dir, name).c_str()) == 0) {
          envelopes[slot(other)].insert(name);
          touched.insert(other_dir);
          ++recovery_.envelopes_rejoined;
          rejoined = true;
        }
        break;
      }
      if (!rejoined && ::unlink(join(dir, name).c_str()) == 0) ++recovery_.envelopes_removed;
      envelopes[slot(folder)].erase(name);
      touched.insert(dir);
    }
  }
  for (const auto& dir : touched) {
    if (HRESULT r = maildir::sync_dir(dir); failed(r)) return r;
  }
  // A queued message without an envelope was not put there by this store
  // (a mail program, a hand): it keeps its place, with the envelope its
  // header fields give. It is never dropped.
  for (const auto& [base, file] : present[slot(Folder::Outbox)]) {
    if (envelopes[slot(Folder::Outbox)].count(base)) continue;
    std::string content;
    int error = 0;
    if (maildir::read_file(join(folder_path(Folder::Outbox), file), content, error) != S_OK) {
      continue;  // Unreadable: it stays, and reading it reports why.
    }
    if (write_envelope(Folder::Outbox, base, envelope_from_headers(content)) == S_OK) {
      ++recovery_.envelopes_derived;
    }
  }
  return S_OK;
}

HRESULT MaildirStore::recover() {
  // Per folder: base name -> "new/<file>" or "cur/<file>".
  std::array<std::map<std::string, std::string>, kFolderCount> present;
  for (Folder folder : kFolders) {
    if (HRESULT r = recover_folder_tmp(folder); failed(r)) return r;
    for (const char* sub : {"new", "cur"}) {
      std::vector<std::string> names;
      if (HRESULT r = maildir::list_dir(sub_path(folder, sub), names); failed(r)) return r;
      for (const auto& name : names) {
        present[slot(folder)].emplace(maildir::base_of(name), std::string(sub) + "/" + name);
      }
    }
  }
  return recover_envelopes(present);
}

}  // namespace uvmapi
