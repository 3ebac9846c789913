/* tmpcopyup: a tmpfs mounted over a directory of the image starts with that directory's
 * contents (podman's --tmpfs and its /tmp, /run defaults ask for it). */
#ifndef OCI_RUN_COPYUP_H
#define OCI_RUN_COPYUP_H

#include <stdbool.h>

#include "common/error.h"

/* Copy the tree below the directory fd from into the directory fd to: directories, regular
 * files, symlinks, fifos and device nodes with their modes and owners, never following a
 * symlink. to also takes from's mode and owner unless keep_root_mode. */
int oci_copyup(int from, int to, bool keep_root_mode, oci_error *err);
#endif
