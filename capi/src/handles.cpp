#include "handles.h"

#include <deque>
#include <unordered_map>
#include <vector>

namespace uvmapi::capi {

namespace {

// How many released handles stay allocated. A pointer released this many
// handles ago may have been reused; before that, a call through it fails cleanly.
constexpr std::size_t kQuarantine = 4096;

struct Registry {
  std::mutex mutex;
  std::unordered_map<const void*, std::shared_ptr<Handle>> live;
  std::deque<std::shared_ptr<Handle>> quarantine;

  // Returns the handle that falls out of the quarantine, for the caller to
  // drop after unlocking: a handle's destructor may call into the host.
  std::shared_ptr<Handle> quarantine_locked(std::shared_ptr<Handle> handle) {
    quarantine.push_back(std::move(handle));
    if (quarantine.size() <= kQuarantine) return nullptr;
    auto evicted = std::move(quarantine.front());
    quarantine.pop_front();
    return evicted;
  }
};

Registry& registry() {
  // Never destroyed: handles may be released from static destructors of the host.
  static Registry* instance = new Registry;
  return *instance;
}

}  // namespace

// Constant-initialised and trivially destroyed: like the registry, it
// outlives the host's static destructors.
HandleIndex handle_index;

void register_handle(std::shared_ptr<Handle> handle) {
  Registry& reg = registry();
  std::lock_guard<std::mutex> lock(reg.mutex);
  handle_index.insert(handle->key(), handle.get(), HandleIndex::tag(handle->kind()));
  reg.live[handle->key()] = std::move(handle);
}

std::shared_ptr<Handle> find_handle(const void* key, Kind kind) {
  Registry& reg = registry();
  std::lock_guard<std::mutex> lock(reg.mutex);
  auto it = reg.live.find(key);
  if (it == reg.live.end() || it->second->kind() != kind) return nullptr;
  return it->second;
}

Handle* find_live_handle(const void* key, Kind kind) {
  if (key == nullptr) return nullptr;
  // Not in the index: evicted from its bucket, or not a live handle at all.
  Registry& reg = registry();
  std::lock_guard<std::mutex> lock(reg.mutex);
  auto it = reg.live.find(key);
  if (it == reg.live.end() || it->second->kind() != kind) return nullptr;
  handle_index.insert(key, it->second.get(), HandleIndex::tag(kind));
  return it->second.get();
}

bool is_retired(const void* key, Kind kind) {
  Registry& reg = registry();
  std::lock_guard<std::mutex> lock(reg.mutex);
  for (const auto& handle : reg.quarantine) {
    if (handle->key() == key && handle->kind() == kind) return true;
  }
  return false;
}

void retire_handle(const void* key) {
  Registry& reg = registry();
  std::shared_ptr<Handle> evicted;
  std::lock_guard<std::mutex> lock(reg.mutex);
  auto it = reg.live.find(key);
  if (it == reg.live.end()) return;
  handle_index.erase(key);
  evicted = reg.quarantine_locked(std::move(it->second));
  reg.live.erase(it);
  // evicted is declared before the lock, so it is destroyed after unlocking.
}

void retire_handles_of(const Handle* runtime) {
  Registry& reg = registry();
  std::vector<std::shared_ptr<Handle>> evicted;
  std::lock_guard<std::mutex> lock(reg.mutex);
  for (auto it = reg.live.begin(); it != reg.live.end();) {
    if (it->second->owner() == runtime) {
      handle_index.erase(it->first);
      evicted.push_back(reg.quarantine_locked(std::move(it->second)));
      it = reg.live.erase(it);
    } else {
      ++it;
    }
  }
}

}  // namespace uvmapi::capi
