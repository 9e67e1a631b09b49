// SMTP replies (RFC 5321 section 4.2) and a strict incremental parser for
// them. Strict because a client that guesses at a malformed reply may take a
// refusal for an acceptance: anything that is not a well-formed reply ends
// the connection instead.
#ifndef UVMAPI_CPP_SMTP_SMTP_REPLY_H
#define UVMAPI_CPP_SMTP_SMTP_REPLY_H

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

namespace uvmapi {

struct SmtpReply {
  int code = 0;
  // "5.1.1" when the first line starts with an enhanced status code (RFC
  // 3463) of the reply's class; empty otherwise.
  std::string enhanced;
  // The text of each line, without the code, the separator and the
  // enhanced code (which is cut from the first line only).
  std::vector<std::string> lines;

  bool positive() const { return code >= 200 && code < 400; }
  bool transient() const { return code >= 400 && code < 500; }
  bool permanent() const { return code >= 500; }
  // "550 5.1.1 No such user", the lines joined by spaces: for humans.
  std::string text() const;
};

// A reply made up by the client for a failure the server did not report (a
// broken connection, a local check): code 451 or 554 in practice.
SmtpReply local_reply(int code, const std::string& enhanced, const std::string& text);

class SmtpReplyParser {
 public:
  enum class Result { NeedMore, Reply, Error };

  void feed(std::string_view data) { buffer_.append(data); }

  // Takes the next complete reply out of what was fed. Error: malformed
  // input, described in error; the parser is then useless.
  Result next(SmtpReply& reply, std::string& error);

  // Bytes fed but not yet part of a complete reply.
  bool has_pending_input() const { return used_ < buffer_.size(); }

 private:
  std::string buffer_;
  std::size_t used_ = 0;  // Bytes of buffer_ already taken.
  SmtpReply partial_;
  bool failed_ = false;
};

}  // namespace uvmapi

#endif
