/* oci-bundle: placeholder main until its issue lands (--help and --version only). */
#include <stdio.h>
#include <string.h>

#include "common/error.h"
#include "common/log.h"

int main(int argc, char **argv)
{
	oci_error err = OCI_ERROR_INIT;
	oci_log_init("oci-bundle");
	if (argc > 1 && !strcmp(argv[1], "--version")) {
		printf("oci-bundle version %s\n", OCI_VERSION);
		return 0;
	}
	if (argc > 1 && !strcmp(argv[1], "--help")) {
		printf("Usage: oci-bundle [OPTIONS]\n");
		return 0;
	}
	oci_err(&err, OCI_E_UNSUPPORTED, "not built yet");
	oci_log_error_final(&err);
	return 1;
}
