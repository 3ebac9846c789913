/* SIGINT, SIGTERM and SIGHUP while unpacking: the handler only records the signal, and the
 * long loops (reading the input, applying entries) poll it, so that an interrupted run
 * unwinds through the ordinary error path and removes its staging directory. */
#include <signal.h>
#include <string.h>

#include "unpack/unpack.h"

volatile sig_atomic_t oci_unpack_interrupted;

static void on_signal(int sig)
{
	oci_unpack_interrupted = sig;
}

void oci_unpack_signals_install(void)
{
	struct sigaction sa;
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal; /* no SA_RESTART: blocking reads return EINTR */
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);
}

int oci_unpack_check_interrupted(oci_error *err)
{
	if (!oci_unpack_interrupted)
		return 0;
	return oci_err(err, OCI_E_IO, "interrupted by signal %d", (int)oci_unpack_interrupted);
}
