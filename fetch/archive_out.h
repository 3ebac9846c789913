/* Streaming tar writer for oci-archive output: ustar headers (pax records for long names and
 * sizes over 8 GiB), entries written as their bytes arrive, deterministic metadata. */
#ifndef OCI_FETCH_ARCHIVE_OUT_H
#define OCI_FETCH_ARCHIVE_OUT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/error.h"

typedef struct oci_archive_out {
	int fd;
	uint64_t entry_size;	/* size announced in the current entry's header */
	uint64_t entry_written; /* bytes of it written so far */
	bool sendfile_ok;	/* data_fd may use sendfile (until it fails with EINVAL) */
} oci_archive_out;

void oci_archive_out_init(oci_archive_out *a, int fd);
/* Start a regular-file entry of exactly size bytes. */
int oci_archive_out_begin(oci_archive_out *a, const char *name, uint64_t size, oci_error *err);
int oci_archive_out_data(oci_archive_out *a, const void *data, size_t len, oci_error *err);
/* len bytes of fd from off (sendfile where it works, else through buf of cap bytes). */
int oci_archive_out_data_fd(oci_archive_out *a, int fd, uint64_t off, uint64_t len, char *buf,
			    size_t cap, oci_error *err);
/* Close the current entry (padding); fails if fewer bytes than announced were written. */
int oci_archive_out_end(oci_archive_out *a, oci_error *err);
/* A whole entry from memory. */
int oci_archive_out_file(oci_archive_out *a, const char *name, const void *data, size_t len,
			 oci_error *err);
/* The end-of-archive marker. */
int oci_archive_out_finish(oci_archive_out *a, oci_error *err);
#endif
