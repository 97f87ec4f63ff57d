/*
 * malloc_trim(0) for the server (src/memory-trim.ts): hands the free pages of glibc's heaps back
 * to the system after bulk transfers. Node's HTTP parser copies every request body piece into a
 * fresh ~64 KiB allocation; freed, those leave whole free pages inside the main heap that free()
 * never returns (it only trims the heap's top). Elsewhere than glibc there is nothing to do.
 */
#include <stdlib.h>
#include <node_api.h>
#if defined(__GLIBC__)
#include <malloc.h>
#endif

static napi_value Trim(napi_env env, napi_callback_info info) {
  (void)info;
  int released = 0;
#if defined(__GLIBC__)
  released = malloc_trim(0);
#endif
  napi_value out;
  napi_get_boolean(env, released != 0, &out);
  return out;
}

NAPI_MODULE_INIT() {
  napi_value supported, trim;
#if defined(__GLIBC__)
  napi_get_boolean(env, 1, &supported);
#else
  napi_get_boolean(env, 0, &supported);
#endif
  napi_create_function(env, "trim", NAPI_AUTO_LENGTH, Trim, NULL, &trim);
  napi_set_named_property(env, exports, "trim", trim);
  napi_set_named_property(env, exports, "supported", supported);
  return exports;
}
