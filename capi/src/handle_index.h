// A lock-free index in front of the handle registry, so that the lookup
// every call starts with takes no mutex and no reference count.
//
// It is a fixed, set-associative table from the address the host holds to
// the handle: never reallocated, so a reader never touches freed memory, and
// only a cache, so a handle that does not fit (or a foreign pointer) is
// looked up in the registry under its mutex instead. Writers hold that mutex;
// readers take none. Each bucket is a seqlock: a reader that overlaps a write
// sees an odd or changed sequence and falls back to the registry, so it never
// pairs one handle's key with another's pointer.
#ifndef UVMAPI_CAPI_HANDLE_INDEX_H
#define UVMAPI_CAPI_HANDLE_INDEX_H

#include <atomic>
#include <cstdint>

namespace uvmapi::capi {

struct Handle;

class HandleIndex {
 public:
  // The handle under key whose kind is tag, or null when the index does not
  // hold it (which says nothing about the registry). Any thread.
  Handle* find(const void* key, std::uintptr_t tag) const {
    const Bucket& bucket = buckets_[bucket_of(key)];
    std::uint64_t before = bucket.sequence.load(std::memory_order_acquire);
    if (before & 1) return nullptr;
    std::uintptr_t found = 0;
    for (const Way& way : bucket.ways) {
      if (way.key.load(std::memory_order_acquire) == key) {
        found = way.handle.load(std::memory_order_acquire);
        break;
      }
    }
    // A reader that saw any store of a write in progress saw, through its
    // acquire, the odd sequence stored before it: the second read differs.
    if (bucket.sequence.load(std::memory_order_relaxed) != before) return nullptr;
    if (found == 0 || (found & kTagMask) != tag) return nullptr;
    return reinterpret_cast<Handle*>(found & ~kTagMask);
  }

  // Writers: the registry's mutex held. insert may evict another handle of
  // the same bucket, which the registry then still finds under its mutex.
  void insert(const void* key, Handle* handle, std::uintptr_t tag) {
    Bucket& bucket = buckets_[bucket_of(key)];
    Way* way = nullptr;
    for (Way& candidate : bucket.ways) {
      const void* held = candidate.key.load(std::memory_order_relaxed);
      if (held == key || held == nullptr) {
        way = &candidate;
        break;
      }
    }
    if (way == nullptr) {
      way = &bucket.ways[bucket.next_victim];
      bucket.next_victim = (bucket.next_victim + 1) % kWays;
    }
    write(bucket, *way, key, reinterpret_cast<std::uintptr_t>(handle) | tag);
  }

  void erase(const void* key) {
    Bucket& bucket = buckets_[bucket_of(key)];
    for (Way& way : bucket.ways) {
      if (way.key.load(std::memory_order_relaxed) == key) write(bucket, way, nullptr, 0);
    }
  }

  // A handle's kind travels in the low bits of its address, which its
  // alignment leaves free: kinds are 0 to kTagMask.
  static constexpr std::uintptr_t kTagMask = 7;
  template <typename Kind>
  static constexpr std::uintptr_t tag(Kind kind) {
    return static_cast<std::uintptr_t>(kind);
  }

 private:
  static constexpr int kWays = 3;
  // 4096 buckets of three: some 12,000 handles before evictions become
  // common; the table is 256 KiB of address space, touched as it fills.
  static constexpr int kBucketBits = 12;

  struct Way {
    std::atomic<const void*> key{nullptr};
    std::atomic<std::uintptr_t> handle{0};
  };
  // One cache line per bucket, so a lookup reads one line.
  struct alignas(64) Bucket {
    std::atomic<std::uint64_t> sequence{0};
    Way ways[kWays];
    int next_victim = 0;  // Writers only.
  };

  static std::size_t bucket_of(const void* key) {
    // Fibonacci hashing: handles are allocated some bytes apart, and the
    // multiplication spreads their middle bits over the top ones.
    auto bits = static_cast<std::uint64_t>(reinterpret_cast<std::uintptr_t>(key));
    return static_cast<std::size_t>((bits * 0x9E3779B97F4A7C15ull) >> (64 - kBucketBits));
  }

  // Release stores rather than fences, which ThreadSanitizer cannot follow;
  // on x86 both are plain moves.
  static void write(Bucket& bucket, Way& way, const void* key, std::uintptr_t handle) {
    std::uint64_t sequence = bucket.sequence.load(std::memory_order_relaxed);
    bucket.sequence.store(sequence + 1, std::memory_order_relaxed);
    way.key.store(key, std::memory_order_release);
    way.handle.store(handle, std::memory_order_release);
    bucket.sequence.store(sequence + 2, std::memory_order_release);
  }

  Bucket buckets_[std::size_t{1} << kBucketBits];
};

}  // namespace uvmapi::capi

#endif
