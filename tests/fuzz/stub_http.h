/* The response the stand-in fetch/http.c (stub_http.c) gives to every request. */
#ifndef OCI_FUZZ_STUB_HTTP_H
#define OCI_FUZZ_STUB_HTTP_H
#include <stddef.h>

extern const char *fuzz_http_body;
extern size_t fuzz_http_len;
extern long fuzz_http_status;
/* When set, the body of each request is chosen by its URL instead (fuzz_inspect: a manifest,
 * a config blob and a tag list). */
extern const char *(*fuzz_http_route)(const char *url, size_t *len);
#endif
