// Non-delivery reports: when a server refuses recipients for good, the
// sender learns it from a report in the store's Inbox, in the standard form
// (RFC 3464 multipart/report with a message/delivery-status part) so that
// mail programs can read it, plus the original's header for reference.
#ifndef UVMAPI_CPP_SMTP_SMTP_REPORT_H
#define UVMAPI_CPP_SMTP_SMTP_REPORT_H

#include <ctime>
#include <string>
#include <string_view>
#include <vector>

#include "message.h"
#include "smtp/smtp_reply.h"

namespace uvmapi {

struct ReportedRecipient {
  std::string address;
  bool delivered = false;  // Listed for completeness; the others failed.
  SmtpReply reply;
};

struct DeliveryReportInput {
  std::string original_sender;
  std::string original_header;  // The header section of the original, as stored.
  std::vector<ReportedRecipient> recipients;
  std::string reporting_host;  // Our EHLO name.
  std::string remote_host;     // The SMTP server.
  std::time_t when = 0;
};

Message make_delivery_report(const DeliveryReportInput& input);

// The header section of an RFC 5322 message: everything before the first
// empty line (either line-end convention), without that line.
std::string header_section(std::string_view content);

}  // namespace uvmapi

#endif
