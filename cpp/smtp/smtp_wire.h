// What the SMTP client puts on the wire and reads of the server's abilities:
// the DATA encoding (CRLF line ends, dot-stuffing, the final "."), the EHLO
// keywords it uses, envelope address checks and base64 for AUTH.
#ifndef UVMAPI_CPP_SMTP_SMTP_WIRE_H
#define UVMAPI_CPP_SMTP_SMTP_WIRE_H

#include <cstdint>
#include <string>
#include <string_view>

#include "smtp/smtp_reply.h"

namespace uvmapi {

// The message as DATA carries it (RFC 5321 section 4.5.2): every line end
// becomes CRLF (a bare LF or a bare CR alike), a line that starts with "."
// gets another "." in front, and the result ends with CRLF "." CRLF.
std::string encode_data(std::string_view content);

// Whether any octet has the high bit set (BODY=8BITMIME then matters).
bool has_8bit(std::string_view content);

struct SmtpCapabilities {
  bool esmtp = false;  // EHLO worked; otherwise HELO and nothing below.
  bool pipelining = false;
  bool size = false;
  std::uint64_t max_size = 0;  // SIZE's limit; 0: none announced.
  bool eight_bit_mime = false;
  bool enhanced_status_codes = false;
  bool starttls = false;
  bool auth_plain = false;
  bool auth_login = false;
};

// Reads the keywords of a positive EHLO reply (first line is the greeting).
SmtpCapabilities parse_ehlo(const SmtpReply& reply);

// Whether address can go between "<" and ">" in MAIL FROM or RCPT TO: no
// control characters, spaces, angle brackets or 8-bit octets (SMTPUTF8 is
// not used), and not longer than RFC 5321 allows. The empty address is the
// null reverse-path, valid only as a sender.
bool valid_envelope_address(std::string_view address);

std::string base64_encode(std::string_view data);

}  // namespace uvmapi

#endif
