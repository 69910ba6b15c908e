/* efault -- system calls given pointers into the first 0x5000 bytes, where
 * the trampoline (page 0) and its literal page live when hooked: the
 * kernel must see them unmapped, as natively. Each case prints what the
 * call returned; so do calls whose NULL arguments mean "none", which must
 * keep working, and calls that natively fail with something else than
 * EFAULT (EBADF first, 0 for nothing to copy). A thread making system
 * calls meanwhile must not notice. */
#include <errno.h>
#include <fcntl.h>
#include <linux/futex.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/ptrace.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#ifndef PROT_SEM
#define PROT_SEM 0x8              /* asm-generic/mman-common.h, not in glibc's */
#endif

#define LOW ((void *)0x10)              /* in page 0 */
#define LITERAL ((void *)0x420d)        /* in the literal page */
#define MOVED ((void *)0xdead0000)      /* unmapped; lowptr-hook makes it 0x10 */

static void show(const char *what, long r)
{
	if (r < 0)
		printf("%-52s -1 %s\n", what, strerrorname_np(errno));
	else
		printf("%-52s %ld\n", what, r);
}

/* show_ok -- for results that differ between runs (descriptors) */
static void show_ok(const char *what, long r)
{
	if (r < 0)
		show(what, r);
	else
		printf("%-52s ok\n", what);
}

static volatile int stop;
static long thread_calls;

static void *busy(void *arg)
{
	(void)arg;
	while (!stop) {
		if (syscall(SYS_getppid) > 0)
			__atomic_add_fetch(&thread_calls, 1, __ATOMIC_RELAXED);
		struct stat st;
		if (syscall(SYS_newfstatat, AT_FDCWD, "/", &st, 0) != 0)
			printf("thread: stat / failed\n");
	}
	return NULL;
}

int main(void)
{
	int p[2], sv[2];
	char buf[64] = "abc";
	struct stat st;
	struct timespec ts0 = { 0, 0 };

	if (pipe(p) != 0 || socketpair(AF_UNIX, SOCK_STREAM, 0, sv) != 0)
		return 1;
	setvbuf(stdout, NULL, _IOLBF, 0);

	/* plain pointers the kernel reads */
	show("write(pipe, 0x10, 16)", syscall(SYS_write, p[1], LOW, 16));
	show("write(pipe, 0x420d, 8)", syscall(SYS_write, p[1], LITERAL, 8));
	show("write(pipe, 0xdead0000, 16)", syscall(SYS_write, p[1], MOVED, 16));
	show("newfstatat(AT_FDCWD, 0xdead0000, &st, 0)", syscall(SYS_newfstatat, AT_FDCWD, MOVED, &st, 0));
	show("write(pipe, NULL, 16)", syscall(SYS_write, p[1], NULL, 16));
	show("write(pipe, NULL, 0)", syscall(SYS_write, p[1], NULL, 0));
	show("write(-1, 0x10, 16)", syscall(SYS_write, -1, LOW, 16));
	show("pwrite64(pipe, 0x10, 16, 0)", syscall(SYS_pwrite64, p[1], LOW, 16, 0));
	show("pwrite64(-1, NULL, 16, 0)", syscall(SYS_pwrite64, -1, NULL, 16, 0));
	show("newfstatat(AT_FDCWD, NULL, &st, 0)", syscall(SYS_newfstatat, AT_FDCWD, NULL, &st, 0));
	show("newfstatat(AT_FDCWD, 0x10, &st, 0)", syscall(SYS_newfstatat, AT_FDCWD, LOW, &st, 0));
	show("newfstatat(pipe, NULL, &st, AT_EMPTY_PATH)",
	     syscall(SYS_newfstatat, p[0], NULL, &st, AT_EMPTY_PATH));
	show("newfstatat(AT_FDCWD, \"/\", 0x10, 0)", syscall(SYS_newfstatat, AT_FDCWD, "/", LOW, 0));
	show("lstat(NULL, &st)", syscall(SYS_lstat, NULL, &st));
	show("lstat(0x420d, &st)", syscall(SYS_lstat, LITERAL, &st));
	show("openat(AT_FDCWD, 0x10, O_RDONLY)", syscall(SYS_openat, AT_FDCWD, LOW, O_RDONLY));
	show("memfd_create(NULL, 0)", syscall(SYS_memfd_create, NULL, 0));
	show("memfd_create(0x10, 0)", syscall(SYS_memfd_create, LOW, 0));
	int ep = (int)syscall(SYS_epoll_create1, 0);
	show("epoll_ctl(ep, ADD, pipe, NULL)", syscall(SYS_epoll_ctl, ep, EPOLL_CTL_ADD, p[0], NULL));
	show("epoll_ctl(ep, DEL, pipe, NULL)", syscall(SYS_epoll_ctl, ep, EPOLL_CTL_DEL, p[0], NULL));
	show("epoll_ctl(-1, ADD, pipe, NULL)", syscall(SYS_epoll_ctl, -1, EPOLL_CTL_ADD, p[0], NULL));
	show("futex_waitv(NULL, 1, 0, NULL, MONOTONIC)",
	     syscall(SYS_futex_waitv, NULL, 1, 0, NULL, CLOCK_MONOTONIC));
	show("futex_waitv(0x10, 1, 0, NULL, MONOTONIC)",
	     syscall(SYS_futex_waitv, LOW, 1, 0, NULL, CLOCK_MONOTONIC));
	show("futex(0x10, WAIT_PRIVATE, 0, &0s)", syscall(SYS_futex, LOW, FUTEX_WAIT_PRIVATE, 0, &ts0, NULL, 0));
	show("futex(NULL, WAKE_PRIVATE, 1)", syscall(SYS_futex, NULL, FUTEX_WAKE_PRIVATE, 1, NULL, NULL, 0));
	show("nanosleep(0x10, NULL)", syscall(SYS_nanosleep, LOW, NULL));
	show("poll(NULL, 0, 0)", syscall(SYS_poll, NULL, 0, 0));
	show("poll(0x10, 1, 0)", syscall(SYS_poll, LOW, 1, 0));
	show("select(1, 0x10, NULL, NULL, &0s)", syscall(SYS_select, 1, LOW, NULL, NULL, &ts0));
	show("select(0, NULL, NULL, NULL, &0s)", syscall(SYS_select, 0, NULL, NULL, NULL, &ts0));
	show("sendto(sock, 0x10, 4, 0, NULL, 0)", syscall(SYS_sendto, sv[0], LOW, 4, 0, NULL, 0));
	show("sendto(sock, buf, 4, 0, 0x10, 16)", syscall(SYS_sendto, sv[0], buf, 4, 0, LOW, 16));

	/* pointers the kernel only writes: read-only pages fail as natively */
	show("write(pipe, buf, 3)", syscall(SYS_write, p[1], buf, 3));
	show("read(pipe, 0x10, 4) with data waiting", syscall(SYS_read, p[0], LOW, 4));
	show("read(pipe, NULL, 0)", syscall(SYS_read, p[0], NULL, 0));
	show("getcwd(0x10, 64)", syscall(SYS_getcwd, LOW, 64));
	show("uname(0x420d)", syscall(SYS_uname, LITERAL));
	show("pipe2(0x10, 0)", syscall(SYS_pipe2, LOW, 0));
	show("readlinkat(AT_FDCWD, \"/proc/self/exe\", 0x10, 8)",
	     syscall(SYS_readlinkat, AT_FDCWD, "/proc/self/exe", LOW, 8));

	/* iovecs and msghdr: the pointers inside them */
	struct iovec iov_low[2] = { { NULL, 0 }, { LOW, 4 } };
	struct iovec iov_ok[2] = { { NULL, 0 }, { buf, 3 } };
	show("writev(pipe, {NULL,0},{0x10,4})", syscall(SYS_writev, p[1], iov_low, 2));
	show("writev(pipe, {NULL,0},{buf,3})", syscall(SYS_writev, p[1], iov_ok, 2));
	show("writev(pipe, 0x10, 1)", syscall(SYS_writev, p[1], LOW, 1));
	show("writev(pipe, unmapped 0x10000000, 1)", syscall(SYS_writev, p[1], (void *)0x10000000, 1));
	show("writev(pipe, iov, 1025)", syscall(SYS_writev, p[1], iov_ok, 1025));
	show("pwritev(-1, {0x10,4}, 2, 0)", syscall(SYS_pwritev, -1, iov_low, 2, 0, 0));
	show("sendmsg(sock, NULL, 0)", syscall(SYS_sendmsg, sv[0], NULL, 0));
	show("sendmsg(sock, unmapped 0x10000000, 0)", syscall(SYS_sendmsg, sv[0], (void *)0x10000000, 0));
	struct msghdr m = { .msg_iov = iov_low, .msg_iovlen = 2 };
	show("sendmsg(sock, iov {0x10,4})", syscall(SYS_sendmsg, sv[0], &m, 0));
	m.msg_iov = LOW;
	m.msg_iovlen = 1;
	show("sendmsg(sock, msg_iov 0x10)", syscall(SYS_sendmsg, sv[0], &m, 0));
	m = (struct msghdr){ .msg_name = LOW, .msg_namelen = 16, .msg_iov = iov_ok, .msg_iovlen = 2 };
	show("sendmsg(sock, msg_name 0x10)", syscall(SYS_sendmsg, sv[0], &m, 0));
	m = (struct msghdr){ .msg_iov = iov_ok, .msg_iovlen = 2, .msg_control = LOW, .msg_controllen = 32 };
	show("sendmsg(sock, msg_control 0x10)", syscall(SYS_sendmsg, sv[0], &m, 0));
	m = (struct msghdr){ .msg_iov = iov_ok, .msg_iovlen = 2 };
	show("sendmsg(sock, good)", syscall(SYS_sendmsg, sv[0], &m, 0));
	m = (struct msghdr){ .msg_iov = LOW, .msg_iovlen = 1 };
	show("recvmsg(sock, msg_iov 0x10)", syscall(SYS_recvmsg, sv[1], &m, MSG_DONTWAIT));
	struct iovec rio = { buf, sizeof(buf) };
	m = (struct msghdr){ .msg_iov = &rio, .msg_iovlen = 1, .msg_control = LOW, .msg_controllen = 64 };
	show("recvmsg(sock, msg_control 0x10)", syscall(SYS_recvmsg, sv[1], &m, MSG_DONTWAIT));

	/* NULL where it means none: must work (and fast) */
	struct sigaction old;
	show("rt_sigaction(SIGUSR1, NULL, &old)", syscall(SYS_rt_sigaction, SIGUSR1, NULL, &old, 8));
	show("rt_sigaction(SIGUSR1, 0x10, NULL)", syscall(SYS_rt_sigaction, SIGUSR1, LOW, NULL, 8));
	show("rt_sigaction(SIGSEGV, 0x10, NULL)", syscall(SYS_rt_sigaction, SIGSEGV, LOW, NULL, 8));
	show("rt_sigaction(SIGSEGV, NULL, 0x10)", syscall(SYS_rt_sigaction, SIGSEGV, NULL, LOW, 8));
	show("rt_sigprocmask(SIG_BLOCK, 0x10, NULL)", syscall(SYS_rt_sigprocmask, SIG_BLOCK, LOW, NULL, 8));
	show("rt_sigprocmask(SIG_BLOCK, NULL, NULL)", syscall(SYS_rt_sigprocmask, SIG_BLOCK, NULL, NULL, 8));
	show("ppoll(NULL, 0, &0s, 0x10, 8)", syscall(SYS_ppoll, NULL, 0, &ts0, LOW, 8));
	show("ppoll(NULL, 0, &0s, NULL, 8)", syscall(SYS_ppoll, NULL, 0, &ts0, NULL, 8));
	pid_t child = fork();
	if (child == 0)
		_exit(3);
	int status = 0;
	show_ok("wait4(child, &status, 0, NULL)", syscall(SYS_wait4, child, &status, 0, NULL));
	printf("%-52s %d\n", "child's exit status", WEXITSTATUS(status));
	show("wait4(-1, 0x10, WNOHANG, NULL)", syscall(SYS_wait4, -1, LOW, WNOHANG, NULL));
	int mfd = (int)syscall(SYS_memfd_create, "x", 0);
	show_ok("memfd_create(\"x\", 0)", mfd);
	show("pwrite64(memfd, 0x10, 16, 0)", syscall(SYS_pwrite64, mfd, LOW, 16, 0));
	show("pwrite64(memfd, NULL, 0, 0)", syscall(SYS_pwrite64, mfd, NULL, 0, 0));
	show("clock_nanosleep(MONOTONIC, 0, &0s, NULL)", syscall(SYS_clock_nanosleep, CLOCK_MONOTONIC, 0, &ts0, NULL));

	/* arguments that are pointers for some commands only */
	int one = 1;
	char name[17] = "";
	struct flock fl = { .l_type = F_RDLCK, .l_whence = SEEK_SET };
	show("ioctl(pipe, FIONBIO, 0x10)", syscall(SYS_ioctl, p[0], FIONBIO, LOW));
	show("ioctl(pipe, FIONBIO, 0x420d)", syscall(SYS_ioctl, p[0], FIONBIO, LITERAL));
	show("ioctl(pipe, FIONBIO, &1)", syscall(SYS_ioctl, p[0], FIONBIO, &one));
	show("ioctl(pipe, FIONCLEX, 0)", syscall(SYS_ioctl, p[0], FIONCLEX, 0));
	/* NULL where the command reads a pointer (a legacy one, with no
	 * direction encoded) */
	show("ioctl(pipe, FIONBIO, NULL)", syscall(SYS_ioctl, p[0], FIONBIO, 0));
	show("ioctl(pipe, FIOASYNC, NULL)", syscall(SYS_ioctl, p[0], FIOASYNC, 0));
	show("fcntl(memfd, F_SETLK, NULL)", syscall(SYS_fcntl, mfd, F_SETLK, 0));
	show("prctl(PR_SET_NAME, NULL)", syscall(SYS_prctl, PR_SET_NAME, 0, 0, 0, 0));
	show("keyctl(SEARCH, session, NULL, NULL)", syscall(SYS_keyctl, 10 /* KEYCTL_SEARCH */, -3, 0, 0, 0));
	show("ioctl(pipe, FIONREAD, 0x10)", syscall(SYS_ioctl, p[0], FIONREAD, LOW));
	show("fcntl(memfd, F_SETLK, 0x10)", syscall(SYS_fcntl, mfd, F_SETLK, LOW));
	show("fcntl(memfd, F_OFD_GETLK, 0x10)", syscall(SYS_fcntl, mfd, F_OFD_GETLK, LOW));
	show("fcntl(memfd, F_SETLK, &unlock)", syscall(SYS_fcntl, mfd, F_SETLK, &fl));
	show("fcntl(memfd, F_SETOWN_EX, 0x10)", syscall(SYS_fcntl, mfd, F_SETOWN_EX, LOW));
	show("fcntl(memfd, F_GETOWN_EX, 0x10)", syscall(SYS_fcntl, mfd, F_GETOWN_EX, LOW));
	show("fcntl(pipe, F_SETFL, O_NONBLOCK)", syscall(SYS_fcntl, p[0], F_SETFL, O_NONBLOCK));
	show("fcntl(pipe, F_GETFL, 0)", syscall(SYS_fcntl, p[0], F_GETFL, 0));
	show("fcntl(pipe, F_SETFD, FD_CLOEXEC)", syscall(SYS_fcntl, p[0], F_SETFD, FD_CLOEXEC));
	show("prctl(PR_SET_NAME, 0x10)", syscall(SYS_prctl, PR_SET_NAME, LOW, 0, 0, 0));
	show("prctl(PR_GET_NAME, 0x10)", syscall(SYS_prctl, PR_GET_NAME, LOW, 0, 0, 0));
	show("prctl(PR_GET_NAME, name)", syscall(SYS_prctl, PR_GET_NAME, name, 0, 0, 0));
	printf("%-52s %s\n", "the name", name);
	show("prctl(PR_SET_DUMPABLE, 1)", syscall(SYS_prctl, PR_SET_DUMPABLE, 1, 0, 0, 0));
	show("prctl(PR_GET_DUMPABLE)", syscall(SYS_prctl, PR_GET_DUMPABLE, 0, 0, 0, 0));
	show("keyctl(JOIN_SESSION_KEYRING, 0x10)", syscall(SYS_keyctl, 1 /* KEYCTL_JOIN_SESSION_KEYRING */, LOW));
	show("keyctl(GET_KEYRING_ID, -3 (session), 0)", syscall(SYS_keyctl, 0, -3, 0) < 0 ? -1 : 0);
	struct mmsghdr mm[2] = { { .msg_hdr = { .msg_iov = iov_ok, .msg_iovlen = 2 } },
				 { .msg_hdr = { .msg_iov = LOW, .msg_iovlen = 1 } } };
	show("sendmmsg(sock, {good, msg_iov 0x10}, 2)", syscall(SYS_sendmmsg, sv[0], mm, 2, 0));
	show("sendmmsg(sock, {msg_iov 0x10}, 1)", syscall(SYS_sendmmsg, sv[0], &mm[1], 1, 0));
	mm[1].msg_hdr = (struct msghdr){ .msg_iov = iov_low, .msg_iovlen = 2 };
	show("sendmmsg(sock, {iov {0x10,4}}, 1)", syscall(SYS_sendmmsg, sv[0], &mm[1], 1, 0));
	mm[1].msg_hdr = (struct msghdr){ .msg_name = LOW, .msg_namelen = 16, .msg_iov = iov_ok, .msg_iovlen = 2 };
	show("sendmmsg(sock, {msg_name 0x10}, 1)", syscall(SYS_sendmmsg, sv[0], &mm[1], 1, 0));
	show("sendmmsg(sock, {good}, 1)", syscall(SYS_sendmmsg, sv[0], mm, 1, 0));
	mm[0].msg_hdr = (struct msghdr){ .msg_iov = LOW, .msg_iovlen = 1 };
	show("recvmmsg(sock, {msg_iov 0x10}, 1)", syscall(SYS_recvmmsg, sv[1], mm, 1, MSG_DONTWAIT, NULL));
	mm[0].msg_hdr = (struct msghdr){ .msg_iov = &rio, .msg_iovlen = 1, .msg_control = LOW, .msg_controllen = 64 };
	show("recvmmsg(sock, {msg_control 0x10}, 1)", syscall(SYS_recvmmsg, sv[1], mm, 1, MSG_DONTWAIT, NULL));
	show("ptrace(PTRACE_GETREGS, child gone, 0, 0x10)", syscall(SYS_ptrace, PTRACE_GETREGS, child, 0, LOW));

	/* execve: the strings inside argv and envp too */
	char *argv_low[] = { LOW, NULL };
	char *argv_ok[] = { "true", NULL };
	char *envp_low[] = { LOW, NULL };
	show("execve(NULL, argv, NULL)", syscall(SYS_execve, NULL, argv_ok, NULL));
	show("execve(\"/bin/true\", {0x10}, NULL)", syscall(SYS_execve, "/bin/true", argv_low, NULL));
	show("execve(\"/bin/true\", argv, {0x10})", syscall(SYS_execve, "/bin/true", argv_ok, envp_low));
	/* unreadable elsewhere (a PROT_NONE page): the runtime, which reads
	 * them for the new image's environment, must let the kernel say so */
	char *none = mmap(NULL, 0x1000, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	char *argv_none[] = { none, NULL };
	show("execve(none, argv, NULL)", syscall(SYS_execve, none, argv_ok, NULL));
	show("execve(\"/bin/true\", none, NULL)", syscall(SYS_execve, "/bin/true", none, NULL));
	show("execve(\"/bin/true\", {none}, NULL)", syscall(SYS_execve, "/bin/true", argv_none, NULL));
	show("execve(\"/bin/true\", argv, none)", syscall(SYS_execve, "/bin/true", argv_ok, none));
	show("execve(\"/bin/true\", argv, {none})", syscall(SYS_execve, "/bin/true", argv_ok, argv_none));
	show("execve(\"/nonexistent\", argv, none) (ENOENT first)",
	     syscall(SYS_execve, "/nonexistent", argv_ok, none));
	show("execveat(AT_FDCWD, none, argv, NULL, 0)", syscall(SYS_execveat, AT_FDCWD, none, argv_ok, NULL, 0));
	show("clone3(none, 88)", syscall(SYS_clone3, none, 88));
	show("clone3(0x10, 88)", syscall(SYS_clone3, LOW, 88));
	/* a string that ends where its page does, before an unreadable one */
	char *two = mmap(NULL, 0x2000, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	mprotect(two + 0x1000, 0x1000, PROT_NONE);
	memcpy(two + 0x1000 - 3, "A=", 3);
	char *envp_edge[] = { two + 0x1000 - 3, NULL };
	show("execve(\"/nonexistent\", argv, {\"A=\" at a page's end})",
	     syscall(SYS_execve, "/nonexistent", argv_ok, envp_edge));

	/* calls newer than some headers (setxattrat..file_setattr, Linux
	 * 6.13-6.17): a path in page 0 (ENOSYS on older kernels) */
	for (long n = 463; n <= 469; n++) {
		char what[64];
		snprintf(what, sizeof(what), "syscall %ld(AT_FDCWD, 0x10, 0...)", n);
		show(what, syscall(n, AT_FDCWD, LOW, 0, 0, 0, 0));
	}
	show("sysfs(1, 0x10)", syscall(SYS_sysfs, 1, LOW));
	show("sysfs(2, 0, 0x10)", syscall(SYS_sysfs, 2, 0, LOW));

	/* a thread making calls all along, while the pages come and go */
	pthread_t th;
	pthread_create(&th, NULL, busy, NULL);
	while (__atomic_load_n(&thread_calls, __ATOMIC_RELAXED) == 0)
		sched_yield();
	long bad = 0;
	for (int i = 0; i < 300; i++)
		bad += syscall(SYS_write, p[1], LOW, 1) == -1 && errno == EFAULT;
	stop = 1;
	pthread_join(th, NULL);
	printf("%-52s %ld\n", "EFAULTs of 300 writes beside a busy thread", bad);
	printf("%-52s %s\n", "the thread's calls", thread_calls > 0 ? "made" : "none");

	/* address ranges over the trampoline's pages: natively a hole there
	 * (and the calls after them must still work) */
	void *mid = mmap((void *)0x2000, 0x1000, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE,
			 -1, 0);
	show_ok("mmap(0x2000, 4096, MAP_FIXED_NOREPLACE)", mid == MAP_FAILED ? -1 : 0);
	show("mprotect(NULL, 4096, PROT_READ)", syscall(SYS_mprotect, 0, 0x1000, PROT_READ));
	show("mprotect(0x4000, 4096, PROT_READ)", syscall(SYS_mprotect, 0x4000, 0x1000, PROT_READ));
	show("mprotect(0x2000, 0x3000, PROT_READ)", syscall(SYS_mprotect, 0x2000, 0x3000, PROT_READ));
	show("madvise(NULL, 4096, MADV_DONTNEED)", syscall(SYS_madvise, 0, 0x1000, MADV_DONTNEED));
	show("mlock(0x4000, 4096)", syscall(SYS_mlock, 0x4000, 0x1000));
	show("msync(NULL, 4096, MS_SYNC)", syscall(SYS_msync, 0, 0x1000, MS_SYNC));
	/* these three round the start down to its page */
	show("mlock(0x10, 16)", syscall(SYS_mlock, 0x10, 16));
	show("mlock(0x10, 0)", syscall(SYS_mlock, 0x10, 0));
	show("munlock(0x10, 16)", syscall(SYS_munlock, 0x10, 16));
	show("mlock2(0x10, 16, 0)", syscall(SYS_mlock2, 0x10, 16, 0));
	show("mlock(0x4010, 16)", syscall(SYS_mlock, 0x4010, 16));
	show("mlock(0x2010, 16)", syscall(SYS_mlock, 0x2010, 16));
	show("munlock(0x2010, 16)", syscall(SYS_munlock, 0x2010, 16));
	/* bad flags: EINVAL before the range */
	show("mlock2(NULL, 16, 0x10) (EINVAL first)", syscall(SYS_mlock2, 0, 16, 0x10));
	show("msync(NULL, 4096, 0x10) (EINVAL first)", syscall(SYS_msync, 0, 0x1000, 0x10));
	show("msync(NULL, 4096, MS_SYNC|MS_ASYNC) (EINVAL first)", syscall(SYS_msync, 0, 0x1000, MS_SYNC | MS_ASYNC));
	show("mprotect(NULL, 4096, 0x10) (EINVAL first)", syscall(SYS_mprotect, 0, 0x1000, 0x10));
	show("mprotect(NULL, 4096, PROT_GROWSDOWN|PROT_GROWSUP) (EINVAL first)",
	     syscall(SYS_mprotect, 0, 0x1000, PROT_GROWSDOWN | PROT_GROWSUP));
	show("mprotect(NULL, 4096, PROT_READ|PROT_SEM)", syscall(SYS_mprotect, 0, 0x1000, PROT_READ | PROT_SEM));
	show("mprotect(NULL, 4096, PROT_READ|PROT_GROWSDOWN)",
	     syscall(SYS_mprotect, 0, 0x1000, PROT_READ | PROT_GROWSDOWN));
	show("pkey_mprotect(NULL, 4096, 0x10, -1) (EINVAL first)", syscall(SYS_pkey_mprotect, 0, 0x1000, 0x10, -1));
	show("madvise(NULL, 4096, 12345) (EINVAL first)", syscall(SYS_madvise, 0, 0x1000, 12345));
	show("madvise(0x10, 4096, 12345) (EINVAL first)", syscall(SYS_madvise, 0x10, 0x1000, 12345));
	show("madvise(NULL, 4096, MADV_WILLNEED)", syscall(SYS_madvise, 0, 0x1000, MADV_WILLNEED));
	show("madvise(0x2000, 0x3000, MADV_NORMAL)", syscall(SYS_madvise, 0x2000, 0x3000, MADV_NORMAL));
	/* mseal (Linux 6.10; ENOSYS before): sealing the trampoline would
	 * keep it from ever changing */
	show("mseal(NULL, 4096, 0)", syscall(462, 0, 0x1000, 0));
	show("mseal(0x4000, 4096, 0)", syscall(462, 0x4000, 0x1000, 0));
	show("mprotect(NULL, 4096, PROT_READ) after it", syscall(SYS_mprotect, 0, 0x1000, PROT_READ));
	unsigned char vec[8];
	show("mincore(NULL, 4096, vec)", syscall(SYS_mincore, 0, 0x1000, vec));
	show("mremap(NULL, 4096, 8192, MREMAP_MAYMOVE)", syscall(SYS_mremap, 0, 0x1000, 0x2000, MREMAP_MAYMOVE, 0));
	show("munmap(NULL, 4096)", syscall(SYS_munmap, 0, 0x1000));
	show("munmap(0x4000, 4096)", syscall(SYS_munmap, 0x4000, 0x1000));
	show("munmap(NULL, 0x5000)", syscall(SYS_munmap, 0, 0x5000));
	show("munmap(0x2000, 0) (EINVAL first)", syscall(SYS_munmap, 0x2000, 0));
	show("getppid() after them", syscall(SYS_getppid) > 0 ? 0 : -1);
	return 0;
}
