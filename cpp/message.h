// A message as the store and the transports see it: an envelope that says who
// sends it to whom, and the RFC 5322 bytes that a transport carries unchanged.
#ifndef UVMAPI_CPP_MESSAGE_H
#define UVMAPI_CPP_MESSAGE_H

#include <cstdint>
#include <string>
#include <vector>

namespace uvmapi {

// Identifies a message within one store for the store's whole life. Ids are
// never reused, so a stale id can only miss, never hit another message.
using MessageId = std::uint64_t;

enum class Folder { Inbox, Outbox, SentItems };
constexpr int kFolderCount = 3;

const char* folder_name(Folder folder);

struct Envelope {
  std::string sender;
  std::vector<std::string> recipients;
};

struct Message {
  Envelope envelope;
  std::string content;  // RFC 5322: header fields, a blank line, the body.
};

}  // namespace uvmapi

#endif
