/*
 * Page-aligned buffers for O_DIRECT file I/O (src/storage/direct-io.ts): the kernel moves such
 * writes and reads between the device and the buffer without the page cache, and requires the
 * buffer's address to be aligned to the device's block size. Node allocates Buffers wherever
 * malloc puts them, so they come from here (posix_memalign), freed when V8 collects the Buffer.
 */
#include <stdlib.h>
#include <node_api.h>

static void FreeAligned(napi_env env, void* data, void* hint) {
  (void)hint;
  int64_t change;
  free(data);
  napi_adjust_external_memory(env, -(int64_t)(size_t)hint, &change);
}

/* alignedBuffer(size, alignment): a Buffer of `size` bytes whose address is a multiple of `alignment` (a power of two). */
napi_value AlignedBuffer(napi_env env, napi_callback_info info) {
  size_t argc = 2;
  napi_value argv[2];
  napi_get_cb_info(env, info, &argc, argv, NULL, NULL);
  int64_t size = 0, alignment = 0;
  if (argc < 2 || napi_get_value_int64(env, argv[0], &size) != napi_ok || napi_get_value_int64(env, argv[1], &alignment) != napi_ok ||
      size <= 0 || alignment < (int64_t)sizeof(void*) || (alignment & (alignment - 1)) != 0) {
    napi_throw_range_error(env, NULL, "alignedBuffer(size, alignment): size > 0 and alignment a power of two");
    return NULL;
  }
  void* p = NULL;
  if (posix_memalign(&p, (size_t)alignment, (size_t)size) != 0) {
    napi_throw_error(env, NULL, "alignedBuffer: out of memory");
    return NULL;
  }
  napi_value out;
  if (napi_create_external_buffer(env, (size_t)size, p, FreeAligned, (void*)(size_t)size, &out) != napi_ok) {
    free(p);
    napi_throw_error(env, NULL, "alignedBuffer: external buffers are not allowed here");
    return NULL;
  }
  int64_t change;
  napi_adjust_external_memory(env, size, &change);
  return out;
}
