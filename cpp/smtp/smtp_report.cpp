#include "smtp/smtp_report.h"

#include <atomic>
#include <cstdio>

namespace uvmapi {

namespace {

std::string rfc5322_date(std::time_t when) {
  std::tm tm{};
  gmtime_r(&when, &tm);
  static const char* const kDays[] = {"Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"};
  static const char* const kMonths[] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                        "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
  char text[64];
  std::snprintf(text, sizeof text, "%s, %02d %s %04d %02d:%02d:%02d +0000", kDays[tm.tm_wday],
                tm.tm_mday, kMonths[tm.tm_mon], tm.tm_year + 1900, tm.tm_hour, tm.tm_min,
                tm.tm_sec);
  return text;
}

// Unique within the process and across runs in practice: time plus a counter.
std::string unique_token(std::time_t when) {
  static std::atomic<unsigned> counter{0};
  char text[48];
  std::snprintf(text, sizeof text, "%llx.%x", static_cast<unsigned long long>(when),
                counter.fetch_add(1, std::memory_order_relaxed));
  return text;
}

// A status for the delivery-status part: the server's enhanced code if it
// gave one, else one made from the reply's class.
std::string status_of(const ReportedRecipient& recipient) {
  if (recipient.delivered) return "2.0.0";
  if (!recipient.reply.enhanced.empty()) return recipient.reply.enhanced;
  return recipient.reply.transient() ? "4.0.0" : "5.0.0";
}

}  // namespace

std::string header_section(std::string_view content) {
  std::size_t end = std::string_view::npos;
  for (std::size_t i = 0; i < content.size(); ++i) {
    if (content[i] != '\n') continue;
    std::size_t next = i + 1;
    if (next < content.size() && content[next] == '\n') {
      end = i + 1;
      break;
    }
    if (next + 1 < content.size() && content[next] == '\r' && content[next + 1] == '\n') {
      end = i + 1;
      break;
    }
  }
  return std::string(content.substr(0, end == std::string_view::npos ? content.size() : end));
}

Message make_delivery_report(const DeliveryReportInput& input) {
  const std::string host = input.reporting_host.empty() ? "localhost" : input.reporting_host;
  const std::string token = unique_token(input.when);
  const std::string boundary = "uvmapi-report-" + token;
  std::string text;
  text += "From: Mail Delivery System <MAILER-DAEMON@" + host + ">\r\n";
  text += "To: <" + input.original_sender + ">\r\n";
  text += "Subject: Undelivered Mail Returned to Sender\r\n";
  text += "Date: " + rfc5322_date(input.when) + "\r\n";
  text += "Message-ID: <" + token + ".report@" + host + ">\r\n";
  text += "Auto-Submitted: auto-replied\r\n";
  text += "MIME-Version: 1.0\r\n";
  text += "Content-Type: multipart/report; report-type=delivery-status;\r\n";
  text += "\tboundary=\"" + boundary + "\"\r\n";
  text += "\r\n";
  text += "This is a MIME-encapsulated delivery status notification.\r\n";
  text += "\r\n--" + boundary + "\r\n";
  text += "Content-Type: text/plain; charset=us-ascii\r\n\r\n";
  text += "The mail server " + input.remote_host +
          " refused your message for the recipients below. It was not\r\n"
          "delivered to them and will not be retried; it is still in your Outbox.\r\n\r\n";
  for (const auto& recipient : input.recipients) {
    if (recipient.delivered) continue;
    text += "<" + recipient.address + ">: " + recipient.reply.text() + "\r\n";
  }
  text += "\r\n--" + boundary + "\r\n";
  text += "Content-Type: message/delivery-status\r\n\r\n";
  text += "Reporting-MTA: dns; " + host + "\r\n";
  for (const auto& recipient : input.recipients) {
    text += "\r\nFinal-Recipient: rfc822; " + recipient.address + "\r\n";
    text += std::string("Action: ") + (recipient.delivered ? "delivered" : "failed") + "\r\n";
    text += "Status: " + status_of(recipient) + "\r\n";
    text += "Remote-MTA: dns; " + input.remote_host + "\r\n";
    if (!recipient.delivered) text += "Diagnostic-Code: smtp; " + recipient.reply.text() + "\r\n";
  }
  text += "\r\n--" + boundary + "\r\n";
  text += "Content-Type: text/rfc822-headers\r\n\r\n";
  text += input.original_header;
  if (!input.original_header.empty() && input.original_header.back() != '\n') text += "\r\n";
  text += "\r\n--" + boundary + "--\r\n";

  Message report;
  report.envelope.sender = "";  // The null reverse-path: reports are never answered.
  if (!input.original_sender.empty()) report.envelope.recipients.push_back(input.original_sender);
  report.content = std::move(text);
  return report;
}

}  // namespace uvmapi
