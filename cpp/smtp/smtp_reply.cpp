#include "smtp/smtp_reply.h"

namespace uvmapi {

namespace {

// RFC 5321 asks for at least 512 octets per reply line; servers with long
// EHLO keywords or texts exceed it, so allow more, but not without bound.
constexpr std::size_t kMaxLine = 2048;
constexpr std::size_t kMaxLines = 256;

bool digit(char c) {
  return c >= '0' && c <= '9';
}

// "c.s.d" followed by a space or the end, with c the reply's class digit,
// s and d of one to three digits (RFC 3463). Returns its length, or 0.
std::size_t enhanced_length(std::string_view text, int code) {
  if (text.size() < 5 || text[0] != static_cast<char>('0' + code / 100) || text[1] != '.') return 0;
  std::size_t pos = 2;
  for (int part = 0; part < 2; ++part) {
    std::size_t start = pos;
    while (pos < text.size() && digit(text[pos]) && pos - start < 4) ++pos;
    if (pos == start || pos - start > 3) return 0;
    if (part == 0) {
      if (pos >= text.size() || text[pos] != '.') return 0;
      ++pos;
    }
  }
  if (pos < text.size() && text[pos] != ' ') return 0;
  return pos;
}

}  // namespace

std::string SmtpReply::text() const {
  std::string out = std::to_string(code);
  if (!enhanced.empty()) out += " " + enhanced;
  for (const auto& line : lines) {
    if (!line.empty()) out += " " + line;
  }
  return out;
}

SmtpReply local_reply(int code, const std::string& enhanced, const std::string& text) {
  SmtpReply reply;
  reply.code = code;
  reply.enhanced = enhanced;
  reply.lines.push_back(text);
  return reply;
}

SmtpReplyParser::Result SmtpReplyParser::next(SmtpReply& reply, std::string& error) {
  if (failed_) {
    error = "the reply parser already failed";
    return Result::Error;
  }
  auto fail = [&](std::string why) {
    failed_ = true;
    error = std::move(why);
    return Result::Error;
  };
  while (true) {
    std::size_t lf = buffer_.find('\n', used_);
    if (lf == std::string::npos) {
      if (buffer_.size() - used_ > kMaxLine)
        return fail("the server sent a reply line that is too long");
      return Result::NeedMore;
    }
    if (lf == used_ || buffer_[lf - 1] != '\r') {
      return fail("the server ended a reply line with a bare LF, not CRLF");
    }
    std::string_view line(buffer_.data() + used_, lf - 1 - used_);
    used_ = lf + 1;
    if (line.size() > kMaxLine) return fail("the server sent a reply line that is too long");
    if (line.size() < 3 || line[0] < '2' || line[0] > '5' || line[1] < '0' || line[1] > '5' ||
        !digit(line[2])) {
      return fail("the server sent a malformed reply line: no three-digit code");
    }
    int code = (line[0] - '0') * 100 + (line[1] - '0') * 10 + (line[2] - '0');
    bool last = true;
    std::string_view text;
    if (line.size() > 3) {
      if (line[3] == '-') {
        last = false;
      } else if (line[3] != ' ') {
        return fail("the server sent a malformed reply line: no space or '-' after the code");
      }
      text = line.substr(4);
    }
    if (text.find('\r') != std::string_view::npos || text.find('\0') != std::string_view::npos) {
      return fail("the server sent a control character inside a reply line");
    }
    if (partial_.lines.empty()) {
      partial_.code = code;
      std::size_t length = enhanced_length(text, code);
      if (length > 0) {
        partial_.enhanced = std::string(text.substr(0, length));
        text = text.substr(length < text.size() ? length + 1 : length);
      }
    } else if (code != partial_.code) {
      return fail("the server changed the reply code inside a multi-line reply");
    }
    partial_.lines.emplace_back(text);
    if (partial_.lines.size() > kMaxLines) return fail("the server sent a reply of too many lines");
    if (last) {
      reply = std::move(partial_);
      partial_ = SmtpReply{};
      // Keep the buffer small: drop what was taken once it is most of it.
      if (used_ > 4096 && used_ * 2 > buffer_.size()) {
        buffer_.erase(0, used_);
        used_ = 0;
      }
      return Result::Reply;
    }
  }
}

}  // namespace uvmapi
