/* marker-hook -- a hook that leaves a file behind: $ZP_TEST_MARKER,
 * created from its init. The secure-execution test offers it to a
 * set-user-ID program, which must never load it. */
#include <fcntl.h>
#include <stdlib.h>
#include <unistd.h>

#include <zpoline/hook.h>

static zpoline_syscall_fn *next_fn;

static long marker_syscall(long nr, long a1, long a2, long a3, long a4, long a5, long a6)
{
	return next_fn(nr, a1, a2, a3, a4, a5, a6);
}

static int marker_init(const struct zpoline_init *in)
{
	const char *path = getenv("ZP_TEST_MARKER");

	next_fn = in->next;
	if (path != NULL) {
		int fd = open(path, O_WRONLY | O_CREAT | O_CLOEXEC, 0644);
		if (fd >= 0)
			close(fd);
	}
	return 0;
}

ZPOLINE_HOOK_DEFINE(.name = "marker", .init = marker_init, .syscall = marker_syscall);
