/* OCI hooks (prestart, createRuntime, createContainer, startContainer, poststart, poststop):
 * fork + exec of the hook's path with its args and env, the state JSON on stdin, stdout sent
 * to stderr so it never mixes with a command's data, and a timeout enforced with a pidfd. */
#include "run/hooks.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
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
#include "run/signals.h"

/* Feed the state to the hook's stdin while watching it: a hook that reads none of a state
 * larger than a pipe holds (annotations are the config's to make big) must not block us
 * before its timeout is looked at. 1: the hook exited, 0: its timeout passed first. */
static int feed_and_watch(pid_t pid, int stdin_fd, const char *data, int64_t timeout,
			  const char *jp, const char *path, oci_error *err)
{
	cleanup_close int in = stdin_fd;
	cleanup_close int pfd = (int)syscall(SYS_pidfd_open, pid, 0);
	if (pfd < 0)
		return oci_err_errno(err, errno, "%s: cannot watch hook '%s' (pidfd_open)", jp,
				     path);
	size_t len = strlen(data), done = 0;
	if (len == 0 || fcntl(in, F_SETFL, O_NONBLOCK) < 0)
		oci_closep(&in);
	int64_t deadline = timeout > 0 ? oci_now_ms() + timeout * 1000 : 0;
	for (;;) {
		int wait = -1;
		if (timeout > 0) {
			int64_t left = deadline - oci_now_ms();
			if (left <= 0)
				return 0;
			wait = left > INT_MAX ? INT_MAX : (int)left;
		}
		struct pollfd pf[2] = {{.fd = pfd, .events = POLLIN},
				       {.fd = in, .events = POLLOUT}};
		int r = poll(pf, 2, wait);
		if (r < 0 && errno != EINTR)
			return oci_err_errno(err, errno, "%s: cannot watch hook '%s'", jp, path);
		if (r > 0 && pf[0].revents)
			return 1;
		if (r > 0 && pf[1].revents) {
			ssize_t w = write(in, data + done, len - done);
			if (w > 0)
				done += (size_t)w;
			/* EPIPE: the hook closed its stdin without reading it all, its right. */
			if (done == len || (w < 0 && errno != EAGAIN && errno != EINTR))
				oci_closep(&in);
		}
	}
}

static int run_one(const oci_config_hook *hook, const char *jp, const char *state_json,
		   const char *cwd, oci_error *err)
{
	const char *path = hook->path;
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
		/* The mask and the dispositions (SIGPIPE is ignored here) are the hook's own. */
		oci_signals_reset();
		/* A group of its own: a timeout kills what the hook started and waits for too. */
		setpgid(0, 0);
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
	setpgid(pid, pid); /* as the child does: whichever runs first */
	close(p[0]);
	/* The hook may not read its stdin: a write to it fails with EPIPE instead. */
	signal(SIGPIPE, SIG_IGN);
	int exited = feed_and_watch(pid, p[1], state_json, hook->timeout, jp, path, err);
	if (exited <= 0) {
		/* The hook itself too: it may have left its group. */
		kill(-pid, SIGKILL);
		kill(pid, SIGKILL);
		waitpid(pid, NULL, 0);
		if (exited < 0)
			return -1;
		return oci_err(err, OCI_E_STATE, "%s: hook '%s' timed out after %llds", jp, path,
			       (long long)hook->timeout);
	}
	int status = 0;
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
	/* runtime-spec 1.3: a failing poststop hook is a warning and the next ones run; a
	 * failing poststart hook fails start at once (runc's Hooks.Run stops there too) */
	int r =
	    n == 0 ? run_kind(&hooks, name, state_json, NULL, !strcmp(name, "poststop"), err) : -1;
	if (problems)
		oci_config_hooks_release(&hooks);
	return r;
}
