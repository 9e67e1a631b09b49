/* uvmapi version. UVMAPI_VERSION_MAJOR is the ABI: it changes only when a
 * program built against an older release could break; the shared library's
 * SONAME carries it. */
#ifndef UVMAPI_VERSION_H
#define UVMAPI_VERSION_H

#include "uvmapi/defs.h"

#define UVMAPI_VERSION_MAJOR 1
#define UVMAPI_VERSION_MINOR 0
#define UVMAPI_VERSION_PATCH 0
#define UVMAPI_STRINGIFY_(x) #x
#define UVMAPI_STRINGIFY(x) UVMAPI_STRINGIFY_(x)
/* "1.0.0" */
#define UVMAPI_VERSION_STRING            \
  UVMAPI_STRINGIFY(UVMAPI_VERSION_MAJOR) \
  "." UVMAPI_STRINGIFY(UVMAPI_VERSION_MINOR) "." UVMAPI_STRINGIFY(UVMAPI_VERSION_PATCH)
/* 0xMMmmpp: comparable with < and >. */
#define UVMAPI_VERSION_HEX \
  ((UVMAPI_VERSION_MAJOR << 16) | (UVMAPI_VERSION_MINOR << 8) | UVMAPI_VERSION_PATCH)

#ifdef __cplusplus
extern "C" {
#endif

/* The version of the library actually loaded, as UVMAPI_VERSION_HEX. */
UVMAPI_EXTERN uint32_t uvmapi_version(void);
/* "1.0.0". Static storage. */
UVMAPI_EXTERN const char* uvmapi_version_string(void);

#ifdef __cplusplus
}
#endif

#endif /* UVMAPI_VERSION_H */
