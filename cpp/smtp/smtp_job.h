// One attempt to send one message over one SMTP connection: what to send,
// and what the server answered, recipient by recipient.
#ifndef UVMAPI_CPP_SMTP_SMTP_JOB_H
#define UVMAPI_CPP_SMTP_SMTP_JOB_H

#include <cstdint>
#include <string>
#include <vector>

#include "message.h"
#include "smtp/smtp_reply.h"
#include "transport.h"

namespace uvmapi {

struct SmtpJob {
  ActivityId send = 0;
  std::uint64_t fingerprint = 0;  // See SmtpSession: the message's retry record.
  std::string sender;
  std::vector<std::string> recipients;  // Those still to try in this attempt.
  std::string wire;                     // encode_data() of the content.
  bool eight_bit = false;

  // Filled in by the connection.
  std::vector<SmtpReply> rcpt_replies;  // One per recipient, code 0 if none came.
  // The refusal of MAIL, DATA or the final ".", or a local reply for a
  // connection that broke; code 0 when there was none.
  SmtpReply failure;
  bool accepted = false;  // The final "." was answered 2xx.
  bool cancelled = false;
};

}  // namespace uvmapi

#endif
