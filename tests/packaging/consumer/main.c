/* The smallest program a user of an installed uvmapi writes: it creates a
 * runtime, opens an in-memory store, logs it off in ORDERLY mode with nothing
 * in flight, destroys the runtime and prints the version. It is built against
 * an installed tree only (tests/packaging/consumer_test.sh), so it proves that
 * the installed headers, libraries, CMake package and pkg-config file work. */
#include <stdio.h>
#include <string.h>

#include <uvmapi/uvmapi.h>

static int fail(const char* what, uvmapi_hresult hr) {
  fprintf(stderr, "consumer: %s failed: %s: %s\n", what, uvmapi_hresult_name(hr),
          uvmapi_last_error_message());
  return 1;
}

int main(void) {
  uvmapi_runtime* runtime = NULL;
  uvmapi_store* store = NULL;
  uvmapi_store_options options = UVMAPI_STORE_OPTIONS_INIT;
  uvmapi_logoff_outcome outcome;
  uvmapi_hresult hr;
  uint32_t version;

  hr = uvmapi_runtime_create(NULL, &runtime);
  if (UVMAPI_FAILED(hr)) {
    return fail("uvmapi_runtime_create", hr);
  }

  options.name = "consumer";
  options.path = NULL; /* In memory. */
  hr = uvmapi_store_open(runtime, &options, &store);
  if (UVMAPI_FAILED(hr)) {
    fail("uvmapi_store_open", hr);
    uvmapi_runtime_destroy(runtime);
    return 1;
  }

  memset(&outcome, 0, sizeof outcome);
  outcome.version = UVMAPI_LOGOFF_OUTCOME_VERSION;
  hr = uvmapi_store_logoff_wait(store, LOGOFF_ORDERLY, 5000, &outcome);
  if (UVMAPI_FAILED(hr)) {
    fail("uvmapi_store_logoff_wait", hr);
    uvmapi_runtime_destroy(runtime);
    return 1;
  }
  if (outcome.flags_at_final != LOGOFF_COMPLETE) {
    fprintf(stderr,
            "consumer: ORDERLY logoff of an idle store: flags_at_final 0x%08lx, expected "
            "LOGOFF_COMPLETE (0x%08lx)\n",
            (unsigned long)outcome.flags_at_final, (unsigned long)LOGOFF_COMPLETE);
    uvmapi_runtime_destroy(runtime);
    return 1;
  }

  hr = uvmapi_runtime_destroy(runtime);
  if (UVMAPI_FAILED(hr)) {
    return fail("uvmapi_runtime_destroy", hr);
  }

  /* The library loaded at run time must be of the ABI the headers describe. */
  version = uvmapi_version();
  if ((version >> 16) != UVMAPI_VERSION_MAJOR) {
    fprintf(stderr, "consumer: headers are ABI %d, the library loaded is 0x%06lx\n",
            UVMAPI_VERSION_MAJOR, (unsigned long)version);
    return 1;
  }
  printf("consumer: uvmapi %s (0x%06lx): ORDERLY logoff of an idle store complete\n",
         uvmapi_version_string(), (unsigned long)version);
  return 0;
}
