/* Shared helpers for the libFuzzer harnesses: splitting one input into several documents, and
 * a private scratch directory for harnesses that write files (layer apply runs as root, so it
 * gets a mount namespace where everything but its scratch tmpfs and libFuzzer's own
 * directories is read-only, and a check that nothing was written next to the root). */
#ifndef OCI_FUZZ_UTIL_H
#define OCI_FUZZ_UTIL_H

#include <stddef.h>
#include <stdint.h>

#include "unpack/unpack.h"

/* Separator between the documents of one input ("passwd\n--\ngroup\n--\nuser"). */
#define FUZZ_SEP "\n--\n"

/* Split data at FUZZ_SEP into n NUL-terminated copies (missing parts are ""); free with
 * fuzz_parts_free. lens gets each part's length (may be NULL). */
void fuzz_split(const uint8_t *data, size_t size, char **parts, size_t *lens, size_t n);
void fuzz_parts_free(char **parts, size_t n);
/* A NUL-terminated copy of data. */
char *fuzz_strndup(const uint8_t *data, size_t size);

/* Call once from LLVMFuzzerInitialize: private mount namespace, read-only host, a tmpfs scratch
 * directory. FUZZ_NO_SANDBOX=1 skips the namespace (a plain directory under /tmp is used). */
void fuzz_sandbox_init(int argc, char **argv);
/* Empty the scratch directory and create root/ (nested three levels down, so that an entry
 * escaping it lands somewhere fuzz_scratch_check can see) and spool/. Returns the root's fd
 * and sets *spoolfd (when not NULL); aborts on failure. */
int fuzz_scratch_reset(int *spoolfd);
/* abort() when anything appeared beside the root: an entry escaped it. */
void fuzz_scratch_check(void);
/* The scratch directory's spool/ as a path (valid after fuzz_scratch_reset). */
const char *fuzz_spool_path(void);
/* s with every occurrence of key replaced by val (a new string). */
char *fuzz_subst(const char *s, const char *key, const char *val);
/* The limits the unpack harnesses apply layers with: small enough that a hostile input
 * stops quickly, one thread so a crash is reproducible. */
extern const oci_unpack_opts fuzz_unpack_opts;
/* Write a whole file at dirfd/name (creating parent directories of name); aborts on failure. */
void fuzz_write_file(int dirfd, const char *name, const void *buf, size_t len);
#endif
