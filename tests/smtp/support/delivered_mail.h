// Reading what the private Postfix instance delivered into its Maildir.
//
// virtual(8) writes one file per recipient into Maildir/new (through tmp/ and
// a rename, so a file in new/ is always complete), with LF line ends and the
// transparency dots removed. Above the message as the client sent it, Postfix
// has added, in this order:
//
//   Return-Path: <sender>                    (virtual)
//   X-Original-To: rcpt@example.test         (virtual)
//   Delivered-To: rcpt@example.test          (virtual)
//   Received: from client.test (unknown [127.0.0.1])
//   \tby mx.example.test (Postfix) with ESMTP id 3865FAD81C1;
//   \tSun, 22 Nov 2026 00:01:26 +0000 (UTC)   (smtpd; lines of the header vary)
#ifndef UVMAPI_TESTS_SMTP_SUPPORT_DELIVERED_MAIL_H
#define UVMAPI_TESTS_SMTP_SUPPORT_DELIVERED_MAIL_H

#include <string>
#include <vector>

namespace uvmapi::test::servers {

struct DeliveredMessage {
  std::string file;          // Its path in Maildir/new.
  std::string bytes;         // The whole file as delivered.
  std::string return_path;   // The envelope sender (without <>; "" for <>).
  std::string delivered_to;  // The envelope recipient this copy is for.
  std::string original_to;   // X-Original-To (the recipient as the client sent it).
  std::string received;      // Postfix's Received header, lines joined by LF.
  // bytes without the headers Postfix added: the message as the client sent
  // it, in maildir_form().
  std::string content;
};

// Splits delivered bytes into the headers Postfix added and the rest. False,
// with the reason in why, when the bytes do not start with exactly those
// headers.
bool strip_postfix_headers(const std::string& bytes, DeliveredMessage& message, std::string& why);

// What the Maildir holds for message content sent on the wire (before dot
// stuffing): CRLF becomes LF. (Unlike smtp-sink, Postfix keeps a bare CR.)
std::string maildir_form(const std::string& content);

// The delivered files of a Maildir (its new/ directory), oldest first by
// modification time, then by name. A file that cannot be read or parsed is
// an error (std::runtime_error): new/ only ever holds complete deliveries.
std::vector<DeliveredMessage> read_maildir(const std::string& maildir);

}  // namespace uvmapi::test::servers

#endif
