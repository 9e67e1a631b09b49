// Version, errors, interface ids, and the helpers of api.h.
#include <cstdlib>
#include <cstring>

#include "api.h"

using namespace uvmapi;
using namespace uvmapi::capi;

extern "C" {

const uvmapi_iid uvmapi_iid_unknown = {
    0x00000000, 0x0000, 0x0000, {0xC0, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x46}};
const uvmapi_iid uvmapi_iid_store = {
    0x7a1c3e01, 0x5b2d, 0x4c6e, {0x9f, 0x10, 0x3a, 0x55, 0x0e, 0x6b, 0x21, 0x01}};
const uvmapi_iid uvmapi_iid_support = {
    0x7a1c3e02, 0x5b2d, 0x4c6e, {0x9f, 0x10, 0x3a, 0x55, 0x0e, 0x6b, 0x21, 0x02}};
const uvmapi_iid uvmapi_iid_store_provider = {
    0x7a1c3e03, 0x5b2d, 0x4c6e, {0x9f, 0x10, 0x3a, 0x55, 0x0e, 0x6b, 0x21, 0x03}};
const uvmapi_iid uvmapi_iid_transport = {
    0x7a1c3e04, 0x5b2d, 0x4c6e, {0x9f, 0x10, 0x3a, 0x55, 0x0e, 0x6b, 0x21, 0x04}};
const uvmapi_iid uvmapi_iid_xpsupport = {
    0x7a1c3e05, 0x5b2d, 0x4c6e, {0x9f, 0x10, 0x3a, 0x55, 0x0e, 0x6b, 0x21, 0x05}};

uint32_t uvmapi_version(void) {
  return UVMAPI_VERSION_HEX;
}

const char* uvmapi_version_string(void) {
  return UVMAPI_VERSION_STRING;
}

uvmapi_hresult uvmapi_last_error(void) {
  return call_state.failed ? last_error_code() : S_OK;
}

const char* uvmapi_last_error_message(void) {
  return call_state.failed ? last_error_message().c_str() : "";
}

const char* uvmapi_hresult_name(uvmapi_hresult hr) {
  if (const char* name = known_hresult_name(hr)) return name;
  // Unknown codes are spelled in hex, in a per-thread buffer.
  thread_local std::string unknown;
  unknown = hresult_name(hr);
  return unknown.c_str();
}

}  // extern "C"

namespace uvmapi::capi {

__thread CallState call_state;

void note_failure(HRESULT result, bool outermost) {
  call_state.failed = true;
  if (outermost && last_error_code() != result) {
    fail(result, std::string(hresult_name(result)) + " (no further detail)");
  }
}

HRESULT null_argument(const char* name) {
  return fail(MAPI_E_INVALID_PARAMETER, std::string(name) + " is NULL");
}

HRESULT not_a_live_handle(const char* name) {
  return fail(MAPI_E_INVALID_OBJECT,
              std::string(name) +
                  " is not a live handle of its kind (released, foreign, or of another type)");
}

HRESULT live_runtime(const RuntimeHandle& handle, std::shared_ptr<Runtime>& runtime) {
  runtime = handle.get();
  if (!runtime) return fail(MAPI_E_INVALID_OBJECT, "the runtime was destroyed");
  return S_OK;
}

HRESULT on_loop(Runtime& runtime, const std::function<HRESULT()>& work) {
  HRESULT result = S_OK;
  HRESULT ran = runtime.invoke([&] { result = guard(work); });
  if (failed(ran)) return ran;
  return result;
}

HRESULT refuse_loop_thread(const Runtime& runtime, const char* call) {
  if (!runtime.on_loop_thread()) return S_OK;
  return fail(MAPI_E_CALL_FAILED, std::string(call) +
                                      " blocks, and the loop thread cannot wait for itself; "
                                      "call it from another thread or use the async form");
}

HRESULT read_message(const uvmapi_message* in, Message& out) {
  if (in == nullptr) return null_argument("message");
  if (in->version != UVMAPI_MESSAGE_VERSION) {
    return fail(MAPI_E_INVALID_PARAMETER, "message->version is not UVMAPI_MESSAGE_VERSION");
  }
  if (in->recipient_count > 0 && in->recipients == nullptr) {
    return null_argument("message->recipients");
  }
  if (in->content_size > 0 && in->content == nullptr) return null_argument("message->content");
  out.envelope.sender = in->sender ? in->sender : "";
  out.envelope.recipients.clear();
  for (std::uint32_t i = 0; i < in->recipient_count; ++i) {
    if (in->recipients[i] == nullptr) return null_argument("a recipient");
    out.envelope.recipients.emplace_back(in->recipients[i]);
  }
  out.content.assign(static_cast<const char*>(in->content), in->content_size);
  return S_OK;
}

MessageView::MessageView(const Message& message) : view_() {
  for (const auto& recipient : message.envelope.recipients) {
    recipients_.push_back(recipient.c_str());
  }
  view_.version = UVMAPI_MESSAGE_VERSION;
  view_.sender = message.envelope.sender.c_str();
  view_.recipients = recipients_.data();
  view_.recipient_count = static_cast<std::uint32_t>(recipients_.size());
  view_.content = message.content.data();
  view_.content_size = message.content.size();
}

uvmapi_logoff_outcome to_outcome(const LogoffReport& report) {
  uvmapi_logoff_outcome outcome{};
  outcome.version = UVMAPI_LOGOFF_OUTCOME_VERSION;
  outcome.requested = report.requested;
  outcome.status = report.status;
  outcome.flags_at_return = report.at_return;
  outcome.flags_at_final = report.at_final;
  outcome.returned = report.returned;
  outcome.finished = report.finished;
  outcome.released = report.released;
  outcome.escalated = report.escalated;
  outcome.forced = report.forced;
  return outcome;
}

}  // namespace uvmapi::capi
