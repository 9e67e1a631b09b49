#include "sink_dump.h"

namespace uvmapi::test::servers {

namespace {

// Splits off the next LF-terminated line (without the LF); false at the end.
bool next_line(const std::string& bytes, std::size_t& pos, std::string& line) {
  if (pos >= bytes.size()) return false;
  std::size_t end = bytes.find('\n', pos);
  if (end == std::string::npos) return false;  // A dump always ends in LF.
  line = bytes.substr(pos, end - pos);
  pos = end + 1;
  return true;
}

bool starts_with(const std::string& text, const std::string& prefix) {
  return text.compare(0, prefix.size(), prefix) == 0;
}

}  // namespace

std::string address_of(const std::string& path_args) {
  std::size_t open = path_args.find('<');
  std::size_t close = path_args.find('>', open == std::string::npos ? 0 : open);
  if (open == std::string::npos || close == std::string::npos) {
    return path_args.substr(0, path_args.find(' '));
  }
  return path_args.substr(open + 1, close - open - 1);
}

std::string DumpedMessage::mail_from() const {
  return address_of(mail_args);
}

std::vector<std::string> DumpedMessage::recipients() const {
  std::vector<std::string> out;
  for (const std::string& args : rcpt_args) out.push_back(address_of(args));
  return out;
}

bool parse_sink_dump(const std::string& bytes, DumpedMessage& message, std::string& why) {
  std::size_t pos = 0;
  std::string line;
  // Lines before X-Client-Addr are the optional -S start string.
  bool found = false;
  while (next_line(bytes, pos, line)) {
    if (starts_with(line, "X-Client-Addr: ")) {
      message.client_addr = line.substr(15);
      found = true;
      break;
    }
  }
  if (!found) {
    why = "no X-Client-Addr line";
    return false;
  }
  // The smtp-sink headers up to its Received header, which always comes last
  // and always has three lines.
  for (;;) {
    if (!next_line(bytes, pos, line)) {
      why = "no Received header after the X- headers";
      return false;
    }
    if (starts_with(line, "X-Client-Proto: ")) {
      message.client_proto = line.substr(16);
    } else if (starts_with(line, "X-Helo-Args: ")) {
      message.helo_args = line.substr(13);
    } else if (starts_with(line, "X-Mail-Args: ")) {
      message.mail_args = line.substr(13);
    } else if (starts_with(line, "X-Rcpt-Args: ")) {
      message.rcpt_args.push_back(line.substr(13));
    } else if (starts_with(line, "Received: ")) {
      break;
    } else {
      why = "unexpected smtp-sink header: " + line;
      return false;
    }
  }
  for (int i = 0; i < 2; ++i) {
    if (!next_line(bytes, pos, line) || !starts_with(line, "\t")) {
      why = "the Received header does not have three lines";
      return false;
    }
  }
  // What is left is the message and the empty line smtp-sink appends.
  if (bytes.size() < pos + 1 || bytes.back() != '\n' ||
      (bytes.size() > pos + 1 && bytes[bytes.size() - 2] != '\n')) {
    why = "the dump does not end with an empty line (unfinished?)";
    return false;
  }
  message.content = bytes.substr(pos, bytes.size() - pos - 1);
  return true;
}

std::string sink_form(const std::string& content) {
  std::string out;
  out.reserve(content.size());
  for (char c : content) {
    if (c != '\r') out.push_back(c);
  }
  return out;
}

}  // namespace uvmapi::test::servers
