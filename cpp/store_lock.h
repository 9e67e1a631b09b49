// The locks of one store directory, shared by every process that opens it.
//
//   root/.openers        every opener holds a shared flock() on it, through
//                        its own open file description, for as long as it is open;
//   root/.openers.guard  an exclusive flock() taken around every change of the
//                        lock on .openers, so that those changes never interleave;
//   root/.spooler        an exclusive flock() held by the one opener that runs
//                        transports for the store.
//
// flock() locks belong to open file descriptions, not to processes, so two
// StoreLocks in one process conflict exactly as two processes do, and the
// kernel drops a dead process's locks. See docs/store.md, "Locking".
#ifndef UVMAPI_CPP_STORE_LOCK_H
#define UVMAPI_CPP_STORE_LOCK_H

#include <string>

#include "maildir_io.h"

namespace uvmapi::maildir {

class StoreLocks {
 public:
  StoreLocks() = default;
  StoreLocks(const StoreLocks&) = delete;
  StoreLocks& operator=(const StoreLocks&) = delete;

  // Opens (creating them 0600 if missing) the three lock files under root.
  HRESULT open(const std::string& root);

  // Joins the openers. alone tells whether no other opener had the store
  // open; then this one holds .openers exclusively, and the guard, until
  // finish_join(), so it may repair the directory undisturbed. Otherwise it
  // holds a shared lock and finish_join() only lets the guard go.
  HRESULT join_openers(bool& alone);
  void finish_join();

  // Whether another opener holds .openers. True when that cannot be told
  // (the guard stays busy for longer than two seconds, or flock fails): then
  // the failure is recorded with fail().
  bool others() const;

  HRESULT try_lock_spooler(bool& acquired);
  void unlock_spooler();
  bool spooler_locked() const { return spooler_held_; }

 private:
  std::string root_;
  Fd openers_;
  Fd guard_;
  Fd spooler_;
  bool joined_ = false;
  bool exclusive_ = false;
  bool guarded_ = false;
  bool spooler_held_ = false;
};

}  // namespace uvmapi::maildir

#endif
