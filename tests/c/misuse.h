/* Shared pieces of the misuse suite: objects that are not what they claim,
 * and "every call on this handle fails with X" for each kind of handle. */
#ifndef UVMAPI_C_TESTS_MISUSE_H
#define UVMAPI_C_TESTS_MISUSE_H

#include "uvmapi/uvmapi.h"

/* An unrelated struct whose first member is a pointer, as a handle's is. */
typedef struct foreign_object {
  const void* first;
  uint32_t junk[8];
} foreign_object;

extern foreign_object misuse_foreign;

/* Each flat function taking a handle of that kind (AddRef and Release
 * included when with_refcount), with valid other arguments, fails with
 * expected and leaves a message. */
void misuse_store_calls(uvmapi_store* store, uvmapi_hresult expected, int with_refcount);
void misuse_support_calls(uvmapi_support* support, uvmapi_hresult expected, int with_refcount);
void misuse_xpsupport_calls(uvmapi_xpsupport* xp, uvmapi_hresult expected, int with_refcount);

/* The vtable slots that return an HRESULT (QueryInterface aside for the
 * support and xpsupport), on a handle whose memory is still the library's. */
void misuse_store_vtable_calls(uvmapi_store* store, uvmapi_hresult expected);
void misuse_support_vtable_calls(uvmapi_support* support, uvmapi_hresult expected);
void misuse_xpsupport_vtable_calls(uvmapi_xpsupport* xp, uvmapi_hresult expected);

#endif /* UVMAPI_C_TESTS_MISUSE_H */
