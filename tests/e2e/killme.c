/* killme -- calls getppid N times, then ends as asked:
 *   killme N exit       returns 0
 *   killme N rawexit    ends its only thread with the exit system call (3):
 *                       the process ends without exit_group
 *   killme N term       kill(getpid(), SIGTERM)
 *   killme N segv       writes to a page it cannot (no handler: SIGSEGV)
 *   killme N abort      abort()
 *   killme N pipe       writes to a pipe with no reader (SIGPIPE)
 *   killme N aio        submits a write to a pipe with no reader with
 *                       io_submit (SIGPIPE; status 4 if there is no AIO)
 *   killme N unblock    blocks SIGTERM, sends it to itself, then unblocks
 *                       it: rt_sigprocmask lets it through
 *   killme N blocked    a thread writes to a pipe no one reads until a
 *                       write blocks; then the main one returns: the
 *                       status is the number of writes that came back
 *   killme N blockexec  the same, then the main one execs killme W exit,
 *                       W the number of writes that came back
 *   killme N jump       raise(SIGUSR1), whose handler siglongjmps out of
 *                       it, then returns 0
 *   killme N wait       says "ready" and waits for a signal from outside
 *   killme N exec ARG...  execs ARG...; if that fails, kill(getpid(), SIGTERM)
 * For the counter's table of a program killed by a signal. */
#include <fcntl.h>
#include <linux/aio_abi.h>
#include <pthread.h>
#include <setjmp.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>

static int pipe_w;
static volatile int written, writer;
static sigjmp_buf jump;

static void *writes(void *arg)
{
	static char block[4096];

	(void)arg;
	writer = gettid();
	for (;;)
		if (write(pipe_w, block, sizeof(block)) == (ssize_t)sizeof(block))
			written++;
	return NULL;
}

/* line -- the first line of the file of thread tid in /proc/self/task */
static void line(int tid, const char *name, char *buf, int size)
{
	char path[64];
	snprintf(path, sizeof(path), "/proc/self/task/%d/%s", tid, name);
	FILE *f = fopen(path, "r");
	buf[0] = '\0';
	if (f != NULL) {
		if (fgets(buf, size, f) == NULL)
			buf[0] = '\0';
		fclose(f);
	}
}

/* blocked -- is thread tid asleep in a write to the pipe (r, w), full? A
 * write that filled it returned: the one asleep is the next. */
static bool blocked(int tid, int r, int w)
{
	char call[32], stat[512];
	int queued = 0;
	line(tid, "syscall", call, sizeof(call));
	line(tid, "stat", stat, sizeof(stat));
	const char *state = strrchr(stat, ')');
	return strncmp(call, "1 ", 2) == 0 && state != NULL && state[1] == ' ' && state[2] == 'S' &&
	       ioctl(r, FIONREAD, &queued) == 0 && queued == fcntl(w, F_GETPIPE_SZ);
}

static void jumped(int sig)
{
	(void)sig;
	siglongjmp(jump, 1);
}

int main(int argc, char **argv)
{
	if (argc < 3) {
		fprintf(stderr, "usage: killme N exit|rawexit|term|segv|abort|pipe|aio|unblock|blocked|blockexec|jump|wait|exec ARG...\n");
		return 2;
	}
	for (int i = atoi(argv[1]); i > 0; i--)
		getppid();
	const char *how = argv[2];
	if (strcmp(how, "exit") == 0)
		return 0;
	if (strcmp(how, "rawexit") == 0) {
		syscall(SYS_exit, 3);
	} else if (strcmp(how, "term") == 0) {
		kill(getpid(), SIGTERM);
	} else if (strcmp(how, "segv") == 0) {
		volatile char *p = mmap(NULL, 4096, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		if (p != MAP_FAILED)
			p[0] = 1;
	} else if (strcmp(how, "abort") == 0) {
		abort();
	} else if (strcmp(how, "pipe") == 0) {
		int p[2];
		if (pipe(p) == 0 && close(p[0]) == 0 && write(p[1], "x", 1) < 0)
			perror("killme: write");
	} else if (strcmp(how, "aio") == 0) {
		aio_context_t ctx = 0;
		int p[2];
		struct iocb cb = { .aio_lio_opcode = IOCB_CMD_PWRITE, .aio_buf = (uintptr_t)"x", .aio_nbytes = 1 };
		struct iocb *cbs[1] = { &cb };
		if (syscall(SYS_io_setup, 1, &ctx) < 0) {
			perror("killme: io_setup");
			return 4;
		}
		if (pipe(p) == 0 && close(p[0]) == 0) {
			cb.aio_fildes = (uint32_t)p[1];
			syscall(SYS_io_submit, ctx, 1, cbs);
		}
	} else if (strcmp(how, "unblock") == 0) {
		sigset_t s;
		sigemptyset(&s);
		sigaddset(&s, SIGTERM);
		sigprocmask(SIG_BLOCK, &s, NULL);
		kill(getpid(), SIGTERM);
		sigprocmask(SIG_UNBLOCK, &s, NULL);
	} else if (strcmp(how, "blocked") == 0 || strcmp(how, "blockexec") == 0) {
		int p[2];
		pthread_t t;
		if (pipe(p) != 0)
			return 5;
		pipe_w = p[1];
		if (pthread_create(&t, NULL, writes, NULL) != 0)
			return 5;
		while (writer == 0 || !blocked(writer, p[0], p[1]))
			usleep(1000);
		if (strcmp(how, "blocked") == 0)
			return written;
		char n[16];
		snprintf(n, sizeof(n), "%d", written);
		execl("/proc/self/exe", argv[0], n, "exit", (char *)NULL);
		return 5;
	} else if (strcmp(how, "jump") == 0) {
		signal(SIGUSR1, jumped);
		if (sigsetjmp(jump, 1) == 0)
			raise(SIGUSR1);
		return 0;
	} else if (strcmp(how, "wait") == 0) {
		/* (a shell's background job inherits SIGINT ignored) */
		signal(SIGINT, SIG_DFL);
		printf("ready\n");
		fflush(stdout);
		for (;;)
			pause();
	} else if (strcmp(how, "exec") == 0 && argc > 3) {
		execv(argv[3], argv + 3);
		kill(getpid(), SIGTERM);
	}
	fprintf(stderr, "killme: %s: not ended\n", how);
	return 3;
}
