#include "delivered_mail.h"

#include <sys/stat.h>

#include <algorithm>
#include <stdexcept>
#include <utility>

#include "sink_dump.h"
#include "temp_dir.h"

namespace uvmapi::test::servers {

namespace {

bool starts_with(const std::string& text, std::size_t pos, const std::string& prefix) {
  return text.compare(pos, prefix.size(), prefix) == 0;
}

// Takes the header line at pos that must start with name, and returns its
// value; false when the line is something else.
bool take_header(const std::string& bytes, std::size_t& pos, const std::string& name,
                 std::string& value) {
  if (!starts_with(bytes, pos, name)) return false;
  std::size_t end = bytes.find('\n', pos);
  if (end == std::string::npos) return false;
  value = bytes.substr(pos + name.size(), end - pos - name.size());
  pos = end + 1;
  return true;
}

}  // namespace

bool strip_postfix_headers(const std::string& bytes, DeliveredMessage& message, std::string& why) {
  std::size_t pos = 0;
  std::string return_path;
  if (!take_header(bytes, pos, "Return-Path: ", return_path)) {
    why = "no Return-Path header first";
    return false;
  }
  message.return_path = address_of(return_path);
  // X-Original-To is left out when it would equal nothing (enable_original_
  // recipient = no), so it is optional here.
  take_header(bytes, pos, "X-Original-To: ", message.original_to);
  if (!take_header(bytes, pos, "Delivered-To: ", message.delivered_to)) {
    why = "no Delivered-To header after Return-Path";
    return false;
  }
  std::string first;
  if (!take_header(bytes, pos, "Received: ", first)) {
    why = "no Received header after Delivered-To";
    return false;
  }
  message.received = "Received: " + first;
  // The Received header's continuation lines start with white space.
  while (pos < bytes.size() && (bytes[pos] == '\t' || bytes[pos] == ' ')) {
    std::size_t end = bytes.find('\n', pos);
    if (end == std::string::npos) end = bytes.size() - 1;
    message.received += "\n" + bytes.substr(pos, end - pos);
    pos = end + 1;
  }
  message.content = bytes.substr(pos);
  return true;
}

std::string maildir_form(const std::string& content) {
  std::string out;
  out.reserve(content.size());
  for (std::size_t i = 0; i < content.size(); ++i) {
    if (content[i] == '\r' && i + 1 < content.size() && content[i + 1] == '\n') continue;
    out.push_back(content[i]);
  }
  return out;
}

std::vector<DeliveredMessage> read_maildir(const std::string& maildir) {
  const std::string new_dir = maildir + "/new";
  std::vector<std::pair<std::pair<long long, long long>, std::string>> files;
  for (const std::string& name : list_dir(new_dir)) {
    std::string path = new_dir + "/" + name;
    struct stat st;
    if (::stat(path.c_str(), &st) != 0 || !S_ISREG(st.st_mode)) continue;
#ifdef __APPLE__
    const struct timespec& mtime = st.st_mtimespec;
#else
    const struct timespec& mtime = st.st_mtim;
#endif
    files.push_back({{mtime.tv_sec, mtime.tv_nsec}, path});
  }
  std::sort(files.begin(), files.end());
  std::vector<DeliveredMessage> out;
  for (const auto& file : files) {
    DeliveredMessage message;
    message.file = file.second;
    std::string why;
    if (!read_file(message.file, message.bytes)) {
      throw std::runtime_error("cannot read delivered mail " + message.file);
    }
    if (!strip_postfix_headers(message.bytes, message, why)) {
      throw std::runtime_error("delivered mail " + message.file + ": " + why);
    }
    out.push_back(std::move(message));
  }
  return out;
}

}  // namespace uvmapi::test::servers
