#include "shared_dir_transport.h"

#include <algorithm>
#include <utility>

#include "error.h"
#include "mailbox_dir.h"
#include "maildir_io.h"
#include "shared_dir_session.h"

namespace uvmapi {

// ---- SendGate ----------------------------------------------------------------

void SendGate::open() {
  std::lock_guard<std::mutex> lock(mutex_);
  open_ = true;
  changed_.notify_all();
}

void SendGate::close() {
  std::lock_guard<std::mutex> lock(mutex_);
  open_ = false;
}

std::size_t SendGate::waiting() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return waiting_;
}

bool SendGate::wait_for_waiting(std::size_t count, std::chrono::milliseconds timeout) const {
  std::unique_lock<std::mutex> lock(mutex_);
  return changed_.wait_for(lock, timeout, [&] { return waiting_ >= count; });
}

void SendGate::pass() {
  std::unique_lock<std::mutex> lock(mutex_);
  ++waiting_;
  changed_.notify_all();
  changed_.wait(lock, [&] { return open_; });
  --waiting_;
  changed_.notify_all();
}

// ---- The provider ------------------------------------------------------------

SharedDirTransportProvider::SharedDirTransportProvider(uv_loop_t* loop, SharedDirOptions options)
    : loop_(loop) {
  options.send_capacity = std::max<std::size_t>(options.send_capacity, 1);
  options.receive_capacity = std::max<std::size_t>(options.receive_capacity, 1);
  if (options.scan_interval.count() < 0) options.scan_interval = std::chrono::milliseconds{0};
  options_ = std::make_shared<const SharedDirOptions>(std::move(options));
}

HRESULT SharedDirTransportProvider::transport_logon(const std::string& store_name,
                                                    std::shared_ptr<TransportSupport> support,
                                                    std::shared_ptr<TransportSession>& session) {
  const std::string& root = options_->root;
  if (root.empty()) return fail(MAPI_E_INVALID_PARAMETER, "the shared directory has no root");
  const std::string address = options_->address_of ? options_->address_of(store_name) : store_name;
  std::string directory;
  if (address.empty()) {
    // A send-only session: it needs the root, not a mailbox.
    if (HRESULT r = maildir::ensure_dir(root); failed(r)) return r;
  } else {
    std::string why;
    directory = mailbox::mailbox_name(address, why);
    if (directory.empty()) {
      return fail(MAPI_E_INVALID_PARAMETER,
                  "the store '" + store_name + "' has no usable mailbox address: " + why);
    }
    if (HRESULT r = mailbox::ensure(root, directory); failed(r)) return r;
  }
  auto& stats = stats_[store_name];
  if (!stats) stats = std::make_shared<SharedDirStats>();
  auto created = std::make_shared<shared_dir::Session>(loop_, options_, address, directory,
                                                       std::move(support), stats);
  created->start();
  session = std::move(created);
  return S_OK;
}

SharedDirStats SharedDirTransportProvider::stats(const std::string& store_name) const {
  auto it = stats_.find(store_name);
  return it == stats_.end() ? SharedDirStats{} : *it->second;
}

HRESULT SharedDirTransportProvider::create_mailbox(const std::string& root,
                                                   const std::string& address) {
  std::string why;
  const std::string directory = mailbox::mailbox_name(address, why);
  if (directory.empty()) return fail(MAPI_E_INVALID_PARAMETER, "cannot make a mailbox for " + why);
  return mailbox::ensure(root, directory);
}

}  // namespace uvmapi
