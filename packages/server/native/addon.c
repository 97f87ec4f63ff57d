/*
 * The server's optional addon (src/native-addon.ts loads it): malloc_trim for src/memory-trim.ts,
 * aligned buffers for O_DIRECT file I/O in src/storage/direct-io.ts.
 */
#include <node_api.h>

napi_value Trim(napi_env env, napi_callback_info info);
napi_value AlignedBuffer(napi_env env, napi_callback_info info);

NAPI_MODULE_INIT() {
  napi_value supported, trim, aligned;
#if defined(__GLIBC__)
  napi_get_boolean(env, 1, &supported); /* malloc_trim does something */
#else
  napi_get_boolean(env, 0, &supported);
#endif
  napi_create_function(env, "trim", NAPI_AUTO_LENGTH, Trim, NULL, &trim);
  napi_set_named_property(env, exports, "trim", trim);
  napi_set_named_property(env, exports, "supported", supported);
  napi_create_function(env, "alignedBuffer", NAPI_AUTO_LENGTH, AlignedBuffer, NULL, &aligned);
  napi_set_named_property(env, exports, "alignedBuffer", aligned);
  return exports;
}
