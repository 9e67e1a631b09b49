// Reading the per-message dump files of Postfix's smtp-sink (its -d option).
//
// What smtp-sink 3.7 writes, checked by experiment (see servers_test.cpp):
//
//   X-Client-Addr: 127.0.0.1
//   X-Client-Proto: ESMTP
//   X-Helo-Args: client.test                      (only after HELO/EHLO)
//   X-Mail-Args: <a@example.test> SIZE=100 BODY=8BITMIME
//   X-Rcpt-Args: <b@example.test>                 (one per RCPT, in order;
//   X-Rcpt-Args: <c@example.test> NOTIFY=NEVER     rejected ones too)
//   Received: from client.test ([127.0.0.1])
//   \tby smtp-sink (smtp-sink) with ESMTP id 6179cbc9;
//   \tSat, 21 Nov 2026 23:58:52 +0000 (UTC)
//   <the message as received>
//   <one empty line>
//
// The message is stored line by line: every line ends in LF (the wire's CRLF
// and a bare LF both become LF), a bare CR inside a line is dropped, and the
// transparency dot is removed ("..x" on the wire is ".x" here). The file is
// created at MAIL (empty), written while DATA arrives, and closed at the
// final "."; RSET deletes it; a transaction cut off in DATA leaves it open.
#ifndef UVMAPI_TESTS_SMTP_SUPPORT_SINK_DUMP_H
#define UVMAPI_TESTS_SMTP_SUPPORT_SINK_DUMP_H

#include <string>
#include <vector>

namespace uvmapi::test::servers {

struct DumpedMessage {
  std::string file;                    // The dump file it was read from.
  std::string client_addr;             // X-Client-Addr.
  std::string client_proto;            // X-Client-Proto: SMTP, ESMTP or LMTP.
  std::string helo_args;               // X-Helo-Args; "" when there was no HELO/EHLO.
  std::string mail_args;               // X-Mail-Args: "<sender> PARAM=..." as sent.
  std::vector<std::string> rcpt_args;  // X-Rcpt-Args, one per RCPT, as sent.
  // The message as received, in the form described above, without the empty
  // line smtp-sink appends.
  std::string content;

  // The sender address of mail_args without the angle brackets ("" for <>).
  std::string mail_from() const;
  // The recipient addresses of rcpt_args without the angle brackets.
  std::vector<std::string> recipients() const;
};

// Parses one dump file's bytes. False, with the reason in why, when they are
// not in the format above (which would mean smtp-sink changed).
bool parse_sink_dump(const std::string& bytes, DumpedMessage& message, std::string& why);

// What smtp-sink stores for message content sent on the wire (before dot
// stuffing): CRLF and bare LF become LF and bare CR is dropped, so a test can
// compare DumpedMessage::content with the message it sent.
std::string sink_form(const std::string& content);

// The address inside the first <...> of an SMTP path argument ("" for <>).
std::string address_of(const std::string& path_args);

}  // namespace uvmapi::test::servers

#endif
