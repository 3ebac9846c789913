/* Fuzz the auth files oci-fetch reads and login/logout rewrite (fetch/credentials.c): the input
 * is the file ($REGISTRY_AUTH_FILE); it is looked up for a few registry names, then a login
 * stores new credentials in it and a lookup must find exactly those, then logout erases them.
 * Credential helpers it names cannot run: PATH leads nowhere. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fetch/credentials.h"
#include "tests/fuzz/fuzz_util.h"

static char path[4200];

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	fuzz_sandbox_init(*argc, *argv);
	setenv("PATH", "/nonexistent", 1);
	unsetenv("XDG_RUNTIME_DIR");
	unsetenv("XDG_CONFIG_HOME");
	unsetenv("DOCKER_CONFIG");
	setenv("HOME", "/nonexistent", 1);
	return 0;
}

static int lookup(const char *host, oci_creds *c)
{
	oci_error err = OCI_ERROR_INIT;
	memset(c, 0, sizeof(*c));
	int r = oci_creds_lookup(host, c, &err);
	if (r < 0 && !err.msg[0])
		__builtin_trap(); /* an error says what it is */
	return r;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char *const hosts[] = {"docker.io", "127.0.0.1:5000", "[::1]:5000",
					    "registry.example.com"};
	int spoolfd;
	close(fuzz_scratch_reset(&spoolfd));
	fuzz_write_file(spoolfd, "auth.json", data, size);
	close(spoolfd);
	snprintf(path, sizeof(path), "%s/auth.json", fuzz_spool_path());
	setenv("REGISTRY_AUTH_FILE", path, 1);
	oci_creds c;
	for (size_t i = 0; i < sizeof(hosts) / sizeof(hosts[0]); i++) {
		if (lookup(hosts[i], &c) > 0 && (!c.user || !c.secret))
			__builtin_trap();
		oci_creds_release(&c);
	}
	oci_error err = OCI_ERROR_INIT;
	if (oci_creds_store(path, "127.0.0.1:5000", "fuzz-user", "fuzz:secret", &err) == 0) {
		/* what login stored is what the next pull uses (a helper named for the host
		 * would win, and cannot run here) */
		if (lookup("127.0.0.1:5000", &c) > 0 &&
		    (strcmp(c.user, "fuzz-user") || strcmp(c.secret, "fuzz:secret")))
			__builtin_trap();
		oci_creds_release(&c);
		oci_err_clear(&err);
		if (oci_creds_erase(path, "127.0.0.1:5000", &err) != 1)
			__builtin_trap();
	}
	oci_err_clear(&err);
	(void)oci_creds_erase(path, NULL, &err);
	return 0;
}
