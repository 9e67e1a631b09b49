// The plausibility check `uvmapi submit` runs on a message before it touches
// the store: enough of RFC 5322 to turn away empty input, binary files and
// text that is not a message, without rejecting real mail.
#include <cstdio>
#include <string_view>

#include "cli/cli.h"

namespace uvmapi::cli {

namespace {

bool is_field_name_char(unsigned char c) {
  return c >= 33 && c <= 126 && c != ':';
}

// Control characters other than TAB are not allowed in a header field.
bool is_header_control(unsigned char c) {
  return (c < 0x20 && c != '\t') || c == 0x7f;
}

std::string where(const std::string& source, std::size_t line) {
  return source + ", line " + std::to_string(line);
}

std::string shown(unsigned char c) {
  char text[8];
  std::snprintf(text, sizeof text, "0x%02x", c);
  return text;
}

}  // namespace

void check_message(const std::string& content, const std::string& source) {
  if (content.empty()) throw CliError("bad message (" + source + "): it is empty");
  if (content.size() > kMaxMessageBytes) {
    throw CliError("bad message (" + source + "): " + std::to_string(content.size()) +
                   " bytes is more than the limit of " + std::to_string(kMaxMessageBytes));
  }
  std::size_t pos = 0;
  std::size_t line_no = 0;
  std::size_t fields = 0;
  bool in_header = true;
  while (pos < content.size()) {
    ++line_no;
    std::size_t end = content.find('\n', pos);
    std::size_t next = end == std::string::npos ? content.size() : end + 1;
    std::size_t stop = end == std::string::npos ? content.size() : end;
    if (stop > pos && content[stop - 1] == '\r') --stop;  // CRLF
    const std::string_view line(content.data() + pos, stop - pos);
    pos = next;

    for (std::size_t i = 0; i < line.size(); ++i) {
      const auto c = static_cast<unsigned char>(line[i]);
      if (c == 0) {
        throw CliError("bad message (" + where(source, line_no) +
                       "): it holds NUL bytes; is it a binary file?");
      }
      if (c == '\r') {
        throw CliError("bad message (" + where(source, line_no) +
                       "): a carriage return that does not end the line (use CRLF or LF)");
      }
      if (in_header && is_header_control(c)) {
        throw CliError("bad message (" + where(source, line_no) + "): control character " +
                       shown(c) + " in the header; is it a binary file?");
      }
    }
    if (!in_header) continue;

    if (line.empty()) {
      if (fields == 0) {
        throw CliError("bad message (" + where(source, line_no) +
                       "): no header fields before the blank line (expected 'Name: value' lines)");
      }
      in_header = false;  // The body follows.
      continue;
    }
    if (line[0] == ' ' || line[0] == '\t') {
      if (fields == 0) {
        throw CliError("bad message (" + where(source, line_no) +
                       "): the first line is a continuation line, not a header field");
      }
      continue;  // A folded header field.
    }
    std::size_t name_end = 0;
    while (name_end < line.size() &&
           is_field_name_char(static_cast<unsigned char>(line[name_end]))) {
      ++name_end;
    }
    if (name_end == 0 || name_end >= line.size() || line[name_end] != ':') {
      std::string start(line.substr(0, 40));
      throw CliError("bad message (" + where(source, line_no) + "): '" + start +
                     (line.size() > 40 ? "...'" : "'") +
                     " is not a header field ('Name: value'), and no blank line separates the "
                     "header from the body");
    }
    ++fields;
  }
  // A message that is all header and no body is fine (RFC 5322 3.5).
  if (fields == 0) throw CliError("bad message (" + source + "): no header fields");
}

}  // namespace uvmapi::cli
