#include "smtp/smtp_wire.h"

#include <cctype>
#include <cstdlib>
#include <cstring>
#include <sstream>

namespace uvmapi {

namespace {

// The first CR or LF at or after pos, or npos. Two memchr calls, which scan
// many bytes per instruction; string_view::find_first_of would test each byte
// against the set one call at a time.
std::size_t line_end(std::string_view content, std::size_t pos) {
  const char* start = content.data() + pos;
  std::size_t left = content.size() - pos;
  const void* lf = std::memchr(start, '\n', left);
  std::size_t until = lf ? static_cast<std::size_t>(static_cast<const char*>(lf) - start) : left;
  const void* cr = std::memchr(start, '\r', until);
  if (cr) return pos + static_cast<std::size_t>(static_cast<const char*>(cr) - start);
  return lf ? pos + until : std::string_view::npos;
}

}  // namespace

std::string encode_data(std::string_view content) {
  std::string out;
  out.reserve(content.size() + content.size() / 64 + 8);
  std::size_t pos = 0;
  // Line by line, copying each line's text in one piece: this runs over every
  // byte of every message, so it must not go a byte at a time.
  while (pos < content.size()) {
    if (content[pos] == '.') out += '.';
    std::size_t end = line_end(content, pos);
    if (end == std::string_view::npos) {
      out.append(content.data() + pos, content.size() - pos);
      out += "\r\n";
      break;
    }
    out.append(content.data() + pos, end - pos);
    out += "\r\n";
    // CRLF is one line end; a lone CR or LF is one too.
    pos = end +
          (content[end] == '\r' && end + 1 < content.size() && content[end + 1] == '\n' ? 2 : 1);
  }
  out += ".\r\n";
  return out;
}

bool has_8bit(std::string_view content) {
  // Eight octets at a time: a high bit anywhere in the word shows in the mask.
  std::size_t i = 0;
  for (; i + 8 <= content.size(); i += 8) {
    std::uint64_t word;
    std::memcpy(&word, content.data() + i, 8);
    if (word & 0x8080808080808080ull) return true;
  }
  for (; i < content.size(); ++i) {
    if (static_cast<unsigned char>(content[i]) >= 0x80) return true;
  }
  return false;
}

SmtpCapabilities parse_ehlo(const SmtpReply& reply) {
  SmtpCapabilities caps;
  caps.esmtp = true;
  for (std::size_t i = 1; i < reply.lines.size(); ++i) {
    std::istringstream words(reply.lines[i]);
    std::string keyword;
    words >> keyword;
    for (auto& c : keyword) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
    if (keyword == "PIPELINING") {
      caps.pipelining = true;
    } else if (keyword == "SIZE") {
      caps.size = true;
      std::string limit;
      if (words >> limit && limit.find_first_not_of("0123456789") == std::string::npos &&
          limit.size() < 19) {
        caps.max_size = std::strtoull(limit.c_str(), nullptr, 10);
      }
    } else if (keyword == "8BITMIME") {
      caps.eight_bit_mime = true;
    } else if (keyword == "ENHANCEDSTATUSCODES") {
      caps.enhanced_status_codes = true;
    } else if (keyword == "STARTTLS") {
      caps.starttls = true;
    } else if (keyword == "AUTH" || keyword.rfind("AUTH=", 0) == 0) {
      // "AUTH=PLAIN LOGIN" is the pre-standard form some servers still send.
      std::string mechanism = keyword.size() > 5 ? keyword.substr(5) : std::string();
      do {
        for (auto& c : mechanism)
          c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
        if (mechanism == "PLAIN") caps.auth_plain = true;
        if (mechanism == "LOGIN") caps.auth_login = true;
      } while (words >> mechanism);
    }
  }
  return caps;
}

bool valid_envelope_address(std::string_view address) {
  // RFC 5321 section 4.5.3.1.3: a path is at most 256 octets with its brackets.
  if (address.size() > 254) return false;
  for (char c : address) {
    auto u = static_cast<unsigned char>(c);
    if (u <= 0x20 || u >= 0x7f || c == '<' || c == '>') return false;
  }
  return true;
}

std::string base64_encode(std::string_view data) {
  static const char kAlphabet[] =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string out;
  out.reserve((data.size() + 2) / 3 * 4);
  std::size_t i = 0;
  for (; i + 2 < data.size(); i += 3) {
    unsigned n = (static_cast<unsigned char>(data[i]) << 16) |
                 (static_cast<unsigned char>(data[i + 1]) << 8) |
                 static_cast<unsigned char>(data[i + 2]);
    out += kAlphabet[(n >> 18) & 63];
    out += kAlphabet[(n >> 12) & 63];
    out += kAlphabet[(n >> 6) & 63];
    out += kAlphabet[n & 63];
  }
  if (i < data.size()) {
    unsigned n = static_cast<unsigned char>(data[i]) << 16;
    if (i + 1 < data.size()) n |= static_cast<unsigned char>(data[i + 1]) << 8;
    out += kAlphabet[(n >> 18) & 63];
    out += kAlphabet[(n >> 12) & 63];
    out += i + 1 < data.size() ? kAlphabet[(n >> 6) & 63] : '=';
    out += '=';
  }
  return out;
}

}  // namespace uvmapi
