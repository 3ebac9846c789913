/* OCI hooks (prestart, createRuntime, createContainer, startContainer, poststart, poststop):
 * fork + exec of the hook's path with its args and env, the state JSON on stdin, stdout sent
 * to stderr so it never mixes with a command's data, and a timeout enforced with a pidfd. */
#include "run/hooks.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "common/config.h"
#include "common/json.h"
#include "common/log.h"
#include "common/spec.h"
#include "common/util.h"

static int run_one(const oci_config_hook *hook, const char *jp, const char *state_json,
		   const char *cwd, oci_error *err)
{
	const char *path = hook->path;
	int64_t timeout = hook->timeout;
	char *const *args = hook->args, *const *env = hook->env;
	int p[2];
	if (pipe2(p, O_CLOEXEC) < 0)
		return oci_err_errno(err, errno, "%s: pipe", jp);
	pid_t pid = fork();
	if (pid < 0) {
		close(p[0]);
		close(p[1]);
		return oci_err_errno(err, errno, "%s: fork", jp);
	}
	if (pid == 0) {
		sigset_t none;
		sigemptyset(&none);
		sigprocmask(SIG_SETMASK, &none, NULL);
		dup2(p[0], STDIN_FILENO);
		dup2(STDERR_FILENO, STDOUT_FILENO);
		if (cwd && chdir(cwd) < 0) {
			dprintf(STDERR_FILENO, "hook '%s': cannot chdir to '%s': %s\n", path, cwd,
				strerror(errno));
			_exit(127);
		}
		char *def_argv[] = {(char *)path, NULL};
		char *no_env[] = {NULL};
		execve(path, args && args[0] ? args : def_argv, env ? env : no_env);
		dprintf(STDERR_FILENO, "hook '%s': %s\n", path, strerror(errno));
		_exit(127);
	}
	close(p[0]);
	/* The hook may not read its stdin: ignore EPIPE. */
	signal(SIGPIPE, SIG_IGN);
	oci_write_all(p[1], state_json, strlen(state_json), NULL);
	close(p[1]);
	int status = 0;
	if (timeout > 0) {
		int pfd = (int)syscall(SYS_pidfd_open, pid, 0);
		struct pollfd pf = {.fd = pfd, .events = POLLIN};
		int r;
		do
			r = poll(&pf, 1, (int)(timeout * 1000));
		while (r < 0 && errno == EINTR);
		if (pfd >= 0)
			close(pfd);
		if (r == 0) {
			kill(pid, SIGKILL);
			waitpid(pid, NULL, 0);
			return oci_err(err, OCI_E_STATE, "%s: hook '%s' timed out after %llds", jp,
				       path, (long long)timeout);
		}
	}
	while (waitpid(pid, &status, 0) < 0) {
		if (errno != EINTR)
			return oci_err_errno(err, errno, "%s: wait", jp);
	}
	if (WIFEXITED(status) && WEXITSTATUS(status) == 0)
		return 0;
	if (WIFSIGNALED(status))
		return oci_err(err, OCI_E_STATE, "%s: hook '%s' killed by signal %d", jp, path,
			       WTERMSIG(status));
	return oci_err(err, OCI_E_STATE, "%s: hook '%s' exited with status %d", jp, path,
		       WEXITSTATUS(status));
}

size_t oci_hooks_count(const oci_config_hooks *hooks, const char *name)
{
	for (size_t k = 0; hooks && k < oci_spec_n_hook_kinds; k++)
		if (!strcmp(oci_spec_hook_kinds[k], name))
			return hooks->n[k];
	return 0;
}

/* Every hook of the kind in order; the first failure stops the list unless keep_going, where
 * each failure is a warning. */
static int run_kind(const oci_config_hooks *hooks, const char *name, const char *state_json,
		    const char *cwd, bool keep_going, oci_error *err)
{
	size_t k = 0;
	while (k < oci_spec_n_hook_kinds && strcmp(oci_spec_hook_kinds[k], name))
		k++;
	if (k == oci_spec_n_hook_kinds)
		return oci_err(err, OCI_E_INTERNAL, "unknown hook kind '%s'", name);
	for (size_t i = 0; hooks && i < hooks->n[k]; i++) {
		char jp[64];
		snprintf(jp, sizeof(jp), "hooks.%s[%zu]", name, i);
		oci_error herr = OCI_ERROR_INIT;
		if (run_one(&hooks->list[k][i], jp, state_json, cwd, keep_going ? &herr : err) == 0)
			continue;
		if (!keep_going)
			return -1;
		log_warn("%s", herr.msg);
	}
	return 0;
}

int oci_hooks_run(const oci_config_hooks *hooks, const char *name, const char *state_json,
		  const char *cwd, oci_error *err)
{
	return run_kind(hooks, name, state_json, cwd, false, err);
}

int oci_hooks_run_saved(json_t *saved, const char *name, const char *state_json, oci_error *err)
{
	cleanup_json json_t *problems = json_array();
	oci_config_hooks hooks;
	int n = problems ? oci_config_load_hooks(saved, &hooks, problems, err) : -1;
	if (n > 0)
		oci_config_report(problems, n, "state.json", err);
	if (n == 0)
		log_debug("running the %s hooks", name);
	int r = n == 0 ? run_kind(&hooks, name, state_json, NULL, true, err) : -1;
	if (problems)
		oci_config_hooks_release(&hooks);
	return r;
}
