/* unit.c -- the tracer's decoders and option parser on known inputs.
 *
 * Each check formats a value (or a whole call, with arguments that point
 * into this process) and compares the text with what strace prints. */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/futex.h>
#include <linux/sched.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <sys/time.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "decode-opts.h"
#include "decode.h"
#include "zp.h"

static int failures, checks;
static char text[8192];
static struct tr_buf buf;
static struct tr_fmt fmt = { .strmax = 32, .align = true };

/* the decoders' per-thread state: a hook keeps it in a block of its own */
static __thread struct tr_thread decoder_state;

struct tr_thread *tr_thread(void)
{
	return &decoder_state;
}

static struct tr_buf *fresh(void)
{
	buf = (struct tr_buf){ text, 0, sizeof(text) };
	text[0] = '\0';
	return &buf;
}

static void expect(const char *what, const char *want)
{
	checks++;
	if (strcmp(text, want) != 0) {
		failures++;
		printf("FAIL %s\n  want: %s\n  got:  %s\n", what, want, text);
	}
}

/* call -- the whole line of a call that returned ret */
static const char *call(long nr, long a0, long a1, long a2, long a3, long a4, long a5, long ret)
{
	struct tr_call c = { .nr = nr, .args = { a0, a1, a2, a3, a4, a5 } };

	fresh();
	tr_capture(&c);
	c.exiting = true;
	c.ret = ret;
	tr_print_enter(&buf, &fmt, &c, zp_syscall_name(nr));
	tr_print_exit(&buf, &fmt, &c, 0);
	return text;
}

#define CALL(want, nr, ...) do { call(nr, __VA_ARGS__); expect(#nr, want); } while (0)

static void strings(void)
{
	const unsigned char data[] = "a\0001\n\377x\"\\\t";

	tr_print_quoted(fresh(), data, 9, false, false);
	expect("octal escapes", "\"a\\0001\\n\\377x\\\"\\\\\\t\"");
	tr_print_quoted(fresh(), (const unsigned char *)"\x01\x02z", 3, true, false);
	expect("hex escapes", "\"\\x01\\x02\\x7a\"");
	char longstr[100];
	memset(longstr, 'x', sizeof(longstr) - 1);
	longstr[99] = '\0';
	tr_print_str(fresh(), &fmt, (long)longstr, 32, false);
	expect("-s 32 string", "\"xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx\"...");
	tr_print_str(fresh(), &fmt, (long)longstr, 32, true);
	checks++;
	if (strlen(text) != 101)
		failures++, printf("FAIL path in full: %zu\n", strlen(text));
	tr_print_str(fresh(), &fmt, 0, 32, false);
	expect("NULL string", "NULL");
	tr_print_str(fresh(), &fmt, 8, 32, false);
	expect("bad pointer", "0x8");
}

static void flags(void)
{
	tr_print_open_flags(fresh(), &fmt, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC);
	expect("open flags", "O_WRONLY|O_CREAT|O_TRUNC|O_CLOEXEC");
	tr_print_open_flags(fresh(), &fmt, O_RDONLY | O_NONBLOCK | O_CLOEXEC | O_DIRECTORY);
	expect("open flags order", "O_RDONLY|O_NONBLOCK|O_CLOEXEC|O_DIRECTORY");
	struct tr_fmt raw = fmt;
	raw.xstyle = TR_X_RAW;
	tr_print_open_flags(fresh(), &raw, O_WRONLY | O_APPEND);
	expect("-X raw", "0x401");
	uint64_t set = 1ull << (SIGINT - 1) | 1ull << (SIGTERM - 1);
	tr_print_sigset(fresh(), &fmt, &set, 1);
	expect("sigset", "[INT TERM]");
	set = ~(1ull << (SIGKILL - 1) | 1ull << (SIGSTOP - 1) | 1ull << 31 | 1ull << 32);
	tr_print_sigset(fresh(), &fmt, &set, 1);
	expect("inverted sigset", "~[KILL STOP RTMIN RT_1]");
	tr_print_signal(fresh(), &fmt, 32 + 3);
	expect("RT signal", "SIGRT_3");
	tr_print_wstatus(fresh(), 7 << 8);
	expect("wait status", "[{WIFEXITED(s) && WEXITSTATUS(s) == 7}]");
	tr_print_wstatus(fresh(), SIGKILL);
	expect("wait status signal", "[{WIFSIGNALED(s) && WTERMSIG(s) == SIGKILL}]");
}

static void structs(void)
{
	struct stat st = { .st_mode = S_IFREG | 0644, .st_size = 1221 };
	tr_print_stat(fresh(), &fmt, &st);
	expect("stat", "{st_mode=S_IFREG|0644, st_size=1221, ...}");
	st.st_mode = S_IFIFO | 044;
	tr_print_stat(fresh(), &fmt, &st);
	expect("stat, mode below 0100", "{st_mode=S_IFIFO|044, st_size=1221, ...}");
	st.st_mode = S_IFCHR | 0620;
	st.st_rdev = makedev(136, 1);
	tr_print_stat(fresh(), &fmt, &st);
	expect("stat of a device", "{st_mode=S_IFCHR|0620, st_rdev=makedev(0x88, 0x1), ...}");

	struct sockaddr_in in = { .sin_family = AF_INET, .sin_port = htons(80) };
	inet_pton(AF_INET, "127.0.0.1", &in.sin_addr);
	tr_print_sockaddr(fresh(), &fmt, &in, sizeof(in));
	expect("AF_INET", "{sa_family=AF_INET, sin_port=htons(80), sin_addr=inet_addr(\"127.0.0.1\")}");
	struct sockaddr_in6 in6 = { .sin6_family = AF_INET6, .sin6_port = htons(1), .sin6_addr = IN6ADDR_LOOPBACK_INIT };
	tr_print_sockaddr(fresh(), &fmt, &in6, sizeof(in6));
	expect("AF_INET6", "{sa_family=AF_INET6, sin6_port=htons(1), sin6_flowinfo=htonl(0), "
	       "inet_pton(AF_INET6, \"::1\", &sin6_addr), sin6_scope_id=0}");
	struct sockaddr_un un = { .sun_family = AF_UNIX, .sun_path = "/run/x" };
	tr_print_sockaddr(fresh(), &fmt, &un, sizeof(un));
	expect("AF_UNIX", "{sa_family=AF_UNIX, sun_path=\"/run/x\"}");

	siginfo_t si = { .si_signo = SIGCHLD, .si_code = CLD_EXITED };
	si.si_pid = 42;
	si.si_status = 3;
	tr_print_siginfo(fresh(), &fmt, &si);
	expect("siginfo", "{si_signo=SIGCHLD, si_code=CLD_EXITED, si_pid=42, si_uid=0, si_status=3, "
	       "si_utime=0, si_stime=0}");
}

/* rd0 -- a set of 3 and 9, as select is given it */
static const void *rd0(void)
{
	static uint64_t set[1];

	set[0] = 1u << 3 | 1u << 9;
	return set;
}

static void calls(void)
{
	struct stat st = { .st_mode = S_IFDIR | 0755, .st_size = 4096 };
	CALL("newfstatat(AT_FDCWD, \"/tmp\", {st_mode=S_IFDIR|0755, st_size=4096, ...}, 0) = 0",
	     SYS_newfstatat, AT_FDCWD, (long)"/tmp", (long)&st, 0, 0, 0, 0);
	CALL("newfstatat(AT_FDCWD, \"/nope\", 0x1000, AT_SYMLINK_NOFOLLOW) = -1 ENOENT (No such file or directory)",
	     SYS_newfstatat, AT_FDCWD, (long)"/nope", 0x1000, AT_SYMLINK_NOFOLLOW, 0, 0, -ENOENT);
	CALL("openat(AT_FDCWD, \"f\", O_WRONLY|O_CREAT|O_TRUNC, 0600) = 3",
	     SYS_openat, AT_FDCWD, (long)"f", O_WRONLY | O_CREAT | O_TRUNC, 0600, 0, 0, 3);
	CALL("openat(AT_FDCWD, \"/etc\", O_RDONLY|O_DIRECTORY) = 3",
	     SYS_openat, AT_FDCWD, (long)"/etc", O_DIRECTORY, 0, 0, 0, 3);
	CALL("read(3, \"abc\", 10)                      = 3", SYS_read, 3, (long)"abcdef", 10, 0, 0, 0, 3);
	CALL("write(1, \"hello\\n\", 6)                  = 6", SYS_write, 1, (long)"hello\n", 6, 0, 0, 0, 6);
	CALL("close(3)                                = 0", SYS_close, 3, 0, 0, 0, 0, 0, 0);
	CALL("lseek(3, -2, SEEK_END)                  = 10", SYS_lseek, 3, -2, SEEK_END, 0, 0, 0, 10);
	CALL("mmap(NULL, 8192, PROT_READ|PROT_WRITE, MAP_PRIVATE|MAP_ANONYMOUS, -1, 0) = 0x7f0000000000",
	     SYS_mmap, 0, 8192, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0, 0x7f0000000000);
	CALL("mmap(0x7f0000001000, 4096, PROT_READ|PROT_EXEC, MAP_PRIVATE|MAP_FIXED|MAP_DENYWRITE, 3, 0x2000) = 0x7f0000001000",
	     SYS_mmap, 0x7f0000001000, 4096, PROT_READ | PROT_EXEC, MAP_PRIVATE | MAP_FIXED | MAP_DENYWRITE, 3, 0x2000, 0x7f0000001000);
	CALL("mprotect(0x7f0000001000, 4096, PROT_NONE) = 0", SYS_mprotect, 0x7f0000001000, 4096, 0, 0, 0, 0, 0);
	CALL("madvise(0x7f0000001000, 4096, MADV_DONTNEED) = 0", SYS_madvise, 0x7f0000001000, 4096, MADV_DONTNEED, 0, 0, 0, 0);
	CALL("brk(NULL)                               = 0x55d000", SYS_brk, 0, 0, 0, 0, 0, 0, 0x55d000);
	struct { unsigned long h, f, r; uint64_t m; } act = { (unsigned long)SIG_IGN, 0x04000000 | SA_RESTART, 0x1234, 1ull << (SIGUSR1 - 1) };
	CALL("rt_sigaction(SIGUSR1, {sa_handler=SIG_IGN, sa_mask=[USR1], sa_flags=SA_RESTORER|SA_RESTART, sa_restorer=0x1234}, NULL, 8) = 0",
	     SYS_rt_sigaction, SIGUSR1, (long)&act, 0, 8, 0, 0, 0);
	uint64_t mask = 1ull << (SIGINT - 1);
	CALL("rt_sigprocmask(SIG_BLOCK, [INT], NULL, 8) = 0", SYS_rt_sigprocmask, SIG_BLOCK, (long)&mask, 0, 8, 0, 0, 0);
	/* rt_sigtimedwait: the siginfo only when a signal came, the result named */
	uint64_t usr = 1ull << (SIGUSR1 - 1) | 1ull << (SIGUSR2 - 1);
	siginfo_t si = { .si_signo = SIGUSR1, .si_code = SI_USER };
	si.si_pid = 42;
	si.si_uid = 0;
	struct timespec wait_ts = { 0, 100000000 };
	CALL("rt_sigtimedwait([USR1 USR2], {si_signo=SIGUSR1, si_code=SI_USER, si_pid=42, si_uid=0}, {tv_sec=0, tv_nsec=100000000}, 8) = 10 (SIGUSR1)",
	     SYS_rt_sigtimedwait, (long)&usr, (long)&si, (long)&wait_ts, 8, 0, 0, SIGUSR1);
	CALL("rt_sigtimedwait([USR1 USR2], NULL, NULL, 8) = 12 (SIGUSR2)",
	     SYS_rt_sigtimedwait, (long)&usr, 0, 0, 8, 0, 0, SIGUSR2);
	CALL("rt_sigtimedwait([USR1 USR2], 0x1000, {tv_sec=0, tv_nsec=100000000}, 8) = -1 EAGAIN (Resource temporarily unavailable)",
	     SYS_rt_sigtimedwait, (long)&usr, 0x1000, (long)&wait_ts, 8, 0, 0, -EAGAIN);
	CALL("futex(0x1000, FUTEX_WAKE_PRIVATE, 2147483647) = 0",
	     SYS_futex, 0x1000, FUTEX_WAKE | FUTEX_PRIVATE_FLAG, 2147483647, 0, 0, 0, 0);
	CALL("futex(0x1000, FUTEX_WAIT_BITSET_PRIVATE|FUTEX_CLOCK_REALTIME, 0, NULL, FUTEX_BITSET_MATCH_ANY) = 0",
	     SYS_futex, 0x1000, FUTEX_WAIT_BITSET | FUTEX_PRIVATE_FLAG | FUTEX_CLOCK_REALTIME, 0, 0, 0, -1, 0);
	CALL("clone(child_stack=NULL, flags=CLONE_CHILD_CLEARTID|CLONE_CHILD_SETTID|SIGCHLD, child_tidptr=0x1000) = 42",
	     SYS_clone, CLONE_CHILD_CLEARTID | CLONE_CHILD_SETTID | SIGCHLD, 0, 0, 0x1000, 0, 0, 42);
	int status = 3 << 8;
	CALL("wait4(-1, [{WIFEXITED(s) && WEXITSTATUS(s) == 3}], 0, NULL) = 42",
	     SYS_wait4, -1, (long)&status, 0, 0, 0, 0, 42);
	CALL("wait4(-1, 0x1000, WNOHANG, NULL)        = -1 ECHILD (No child processes)",
	     SYS_wait4, -1, 0x1000, WNOHANG, 0, 0, 0, -ECHILD);
	CALL("fcntl(1, F_GETFL)                       = 0x8001 (flags O_WRONLY|O_LARGEFILE)",
	     SYS_fcntl, 1, F_GETFL, 0, 0, 0, 0, 0x8001);
	CALL("fcntl(3, F_GETFD)                       = 0x1 (flags FD_CLOEXEC)", SYS_fcntl, 3, F_GETFD, 0, 0, 0, 0, 1);
	CALL("fcntl(3, F_SETFD, FD_CLOEXEC)           = 0", SYS_fcntl, 3, F_SETFD, FD_CLOEXEC, 0, 0, 0, 0);
	CALL("ioctl(1, TCGETS, 0x1000)                = -1 ENOTTY (Inappropriate ioctl for device)",
	     SYS_ioctl, 1, 0x5401, 0x1000, 0, 0, 0, -ENOTTY);
	struct sockaddr_in in = { .sin_family = AF_INET, .sin_port = htons(80) };
	inet_pton(AF_INET, "10.0.0.1", &in.sin_addr);
	CALL("connect(3, {sa_family=AF_INET, sin_port=htons(80), sin_addr=inet_addr(\"10.0.0.1\")}, 16) = 0",
	     SYS_connect, 3, (long)&in, sizeof(in), 0, 0, 0, 0);
	CALL("socket(AF_INET, SOCK_STREAM|SOCK_CLOEXEC, IPPROTO_IP) = 3",
	     SYS_socket, AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0, 0, 0, 0, 3);
	int one = 1;
	CALL("setsockopt(3, SOL_SOCKET, SO_REUSEADDR, [1], 4) = 0",
	     SYS_setsockopt, 3, SOL_SOCKET, SO_REUSEADDR, (long)&one, 4, 0, 0);
	socklen_t len = 16;
	CALL("getsockname(3, {sa_family=AF_INET, sin_port=htons(80), sin_addr=inet_addr(\"10.0.0.1\")}, [16]) = 0",
	     SYS_getsockname, 3, (long)&in, (long)&len, 0, 0, 0, 0);
	struct epoll_event ev = { .events = EPOLLIN, .data.u64 = 3 };
	CALL("epoll_ctl(4, EPOLL_CTL_ADD, 3, {events=EPOLLIN, data={u32=3, u64=3}}) = 0",
	     SYS_epoll_ctl, 4, EPOLL_CTL_ADD, 3, (long)&ev, 0, 0, 0);
	CALL("epoll_create1(EPOLL_CLOEXEC)            = 4", SYS_epoll_create1, EPOLL_CLOEXEC, 0, 0, 0, 0, 0, 4);
	struct timespec ts = { 1, 500 };
	CALL("nanosleep({tv_sec=1, tv_nsec=500}, NULL) = 0", SYS_nanosleep, (long)&ts, 0, 0, 0, 0, 0, 0);
	CALL("clock_gettime(CLOCK_MONOTONIC, {tv_sec=1, tv_nsec=500}) = 0",
	     SYS_clock_gettime, CLOCK_MONOTONIC, (long)&ts, 0, 0, 0, 0, 0);
	uint64_t rl[2] = { 8192 * 1024, RLIM_INFINITY };
	CALL("prlimit64(0, RLIMIT_STACK, NULL, {rlim_cur=8192*1024, rlim_max=RLIM64_INFINITY}) = 0",
	     SYS_prlimit64, 0, RLIMIT_STACK, 0, (long)rl, 0, 0, 0);
	const char *argv[] = { "ls", "-l", NULL }, *envp[] = { "A=1", "B=2", NULL };
	call(SYS_execve, (long)"/bin/ls", (long)argv, (long)envp, 0, 0, 0, 0);
	char want[200];
	snprintf(want, sizeof(want), "execve(\"/bin/ls\", [\"ls\", \"-l\"], %p /* 2 vars */) = 0", (void *)envp);
	expect("execve", want);
	CALL("umask(022)                              = 077", SYS_umask, 022, 0, 0, 0, 0, 0, 077);
	CALL("access(\"/etc\", R_OK|X_OK)               = 0", SYS_access, (long)"/etc", R_OK | X_OK, 0, 0, 0, 0, 0);
	CALL("arch_prctl(ARCH_SET_FS, 0x7f00)         = 0", SYS_arch_prctl, 0x1002, 0x7f00, 0, 0, 0, 0, 0);
	CALL("arch_prctl(0x3001 /* ARCH_??? */, 0x7f00) = -1 EINVAL (Invalid argument)",
	     SYS_arch_prctl, 0x3001, 0x7f00, 0, 0, 0, 0, -EINVAL);
	CALL("set_robust_list(0x7f00, 24)             = 0", SYS_set_robust_list, 0x7f00, 24, 0, 0, 0, 0, 0);
	CALL("rseq(0x7f00, 0x20, 0, 0x53053053)       = 0", SYS_rseq, 0x7f00, 0x20, 0, 0x53053053, 0, 0, 0);
	CALL("getrandom(\"\\x61\\x62\", 2, GRND_NONBLOCK) = 2", SYS_getrandom, (long)"ab", 2, 1, 0, 0, 0, 2);
	int fds[2] = { 3, 4 };
	CALL("pipe2([3, 4], O_CLOEXEC)                = 0", SYS_pipe2, (long)fds, O_CLOEXEC, 0, 0, 0, 0, 0);
	CALL("dup3(3, 10, O_CLOEXEC)                  = 10", SYS_dup3, 3, 10, O_CLOEXEC, 0, 0, 0, 10);
	CALL("exit_group(0)                           = ?", SYS_exit_group, 0, 0, 0, 0, 0, 0, 0);
	/* select: the sets as given at enter, then the ready ones, counted
	 * by the result, and the time left */
	uint64_t rd[2] = { 1u << 3 | 1u << 9, 1 }, wr[1] = { 1u << 4 }, none[1] = { 0 };
	struct timeval tv = { 0, 250 };
	struct tr_call sc = { .nr = SYS_select, .args = { 65, (long)rd, (long)wr, (long)none, (long)&tv } };
	tr_print_enter(fresh(), &fmt, &sc, "select");
	expect("select enter", "select(65, [3 9 64], [4], [], {tv_sec=0, tv_usec=250}");
	rd[0] = 1u << 9, rd[1] = 1;
	sc.exiting = true, sc.ret = 3;
	tr_print_exit(&buf, &fmt, &sc, 0);
	expect("select exit", "select(65, [3 9 64], [4], [], {tv_sec=0, tv_usec=250}) = 3 "
	       "(in [9 64], out [4], left {tv_sec=0, tv_usec=250})");
	sc.ret = 1;
	buf.len = strlen("select(65, [3 9 64], [4], [], {tv_sec=0, tv_usec=250}");
	tr_print_exit(&buf, &fmt, &sc, 0);
	expect("select exit, as many as counted", "select(65, [3 9 64], [4], [], {tv_sec=0, tv_usec=250}) = 1 "
	       "(in [9], left {tv_sec=0, tv_usec=250})");
	CALL("select(64, [3 9], NULL, NULL, NULL)     = 0 (Timeout)", SYS_select, 64, (long)rd0(), 0, 0, 0, 0, 0);
	CALL("select(0, 0x10000, NULL, NULL, NULL)    = 0 (Timeout)", SYS_select, 0, 0x10000, 0, 0, 0, 0, 0);
	CALL("select(-1, 0x8, NULL, NULL, NULL)       = -1 EINVAL (Invalid argument)",
	     SYS_select, -1, 8, 0, 0, 0, 0, -EINVAL);
	uint64_t usr1 = 1u << (SIGUSR1 - 1);
	struct { const void *set; size_t size; } ss = { &usr1, 8 }, ss_null = { NULL, 8 }, ss_odd = { &usr1, 4 };
	char line[200];
	CALL("pselect6(64, [3 9], NULL, NULL, {tv_sec=1, tv_nsec=500}, {sigmask=[USR1], sigsetsize=8}) = 1 "
	     "(in [3], left {tv_sec=1, tv_nsec=500})", SYS_pselect6, 64, (long)rd0(), 0, 0, (long)&ts, (long)&ss, 1);
	CALL("pselect6(64, [3 9], NULL, NULL, NULL, {sigmask=NULL, sigsetsize=8}) = 2 (in [3 9])",
	     SYS_pselect6, 64, (long)rd0(), 0, 0, 0, (long)&ss_null, 2);
	snprintf(line, sizeof(line), "pselect6(1, NULL, NULL, NULL, NULL, {sigmask=%p, sigsetsize=4}) = 0 (Timeout)",
		 (void *)&usr1);
	call(SYS_pselect6, 1, 0, 0, 0, 0, (long)&ss_odd, 0);
	expect("pselect6, odd sigsetsize", line);
	struct pollfd pf = { .fd = 3, .events = POLLIN, .revents = POLLIN };
	CALL("ppoll([{fd=3, events=POLLIN}], 1, {tv_sec=1, tv_nsec=500}, NULL, 8) = 1 "
	     "([{fd=3, revents=POLLIN}], left {tv_sec=1, tv_nsec=500})", SYS_ppoll, (long)&pf, 1, (long)&ts, 0, 8, 0, 1);
	CALL("ppoll([{fd=3, events=POLLIN}], 1, NULL, NULL, 8) = 1 ([{fd=3, revents=POLLIN}])",
	     SYS_ppoll, (long)&pf, 1, 0, 0, 8, 0, 1);
	CALL("syscall_0x3e7(0x1, 0x2, 0x3, 0x4, 0x5, 0x6) = -1 ENOSYS (Function not implemented)",
	     999, 1, 2, 3, 4, 5, 6, -ENOSYS);
}

static void options(void)
{
	struct zp_trace_opts o;
	char err[300];

	checks++;
	if (zp_trace_parse("s=64 v X=raw tt T y trace=%file,!close", &o, err, sizeof(err)) == 0 ||
	    strstr(err, "unknown system call '!close'") == NULL)
		failures++, printf("FAIL '!' only leads a set\n");
	checks++;
	if (zp_trace_parse("s=64 v X=raw tt T y trace=%file,close", &o, err, sizeof(err)) != 0 ||
	    o.strmax != 64 || !o.verbose || o.xstyle != 1 || o.tstamp != 2 || !o.timing ||
	    !zp_trace_has(o.trace, SYS_openat) || !zp_trace_has(o.trace, SYS_close) ||
	    zp_trace_has(o.trace, SYS_read))
		failures++, printf("FAIL option string: %s\n", err);
	checks++;
	if (zp_trace_parse("trace=!/^(read|write)$", &o, err, sizeof(err)) != 0 ||
	    zp_trace_has(o.trace, SYS_read) || !zp_trace_has(o.trace, SYS_openat))
		failures++, printf("FAIL negated regex\n");
	checks++;
	if (zp_trace_parse("inject=openat:error=ENOENT:when=2..4+2", &o, err, sizeof(err)) != 0 ||
	    o.inject[0].error != ENOENT || o.inject[0].first != 2 || o.inject[0].last != 4 ||
	    o.inject[0].step != 2)
		failures++, printf("FAIL inject: %s\n", err);
	checks++;
	if (zp_trace_parse("fault=read", &o, err, sizeof(err)) != 0 || o.inject[0].error != ENOSYS)
		failures++, printf("FAIL fault defaults to ENOSYS\n");
	checks++;
	if (zp_trace_parse("trace=%nope", &o, err, sizeof(err)) == 0 || strstr(err, "class") == NULL)
		failures++, printf("FAIL unknown class accepted\n");
	checks++;
	if (zp_trace_parse("inject=read:error=EFOO", &o, err, sizeof(err)) == 0)
		failures++, printf("FAIL unknown errno accepted\n");
	checks++;
	if (zp_trace_parse("status=failed,unfinished", &o, err, sizeof(err)) != 0 ||
	    o.status != (ZP_STATUS_FAILED | ZP_STATUS_UNFINISHED))
		failures++, printf("FAIL status\n");
	/* -e signal=SET, as strace takes it */
	static const struct { const char *set; uint64_t want; } sigsets[] = {
		{ "signal=all", ~0ull },
		{ "signal=none", 0 },
		{ "signal=SIGCHLD", 1ull << (SIGCHLD - 1) },
		{ "signal=chld,SIGusr1", 1ull << (SIGCHLD - 1) | 1ull << (SIGUSR1 - 1) },
		{ "signal=9,15", 1ull << 8 | 1ull << 14 },
		{ "signal=!CHLD", ~(1ull << (SIGCHLD - 1)) },
		{ "signal=RTMIN,RT_2", 1ull << 31 | 1ull << 33 },
	};
	for (size_t i = 0; i < sizeof(sigsets) / sizeof(sigsets[0]); i++) {
		checks++;
		if (zp_trace_parse(sigsets[i].set, &o, err, sizeof(err)) != 0 || o.sigs != sigsets[i].want ||
		    o.signals != (sigsets[i].want != 0))
			failures++, printf("FAIL %s: %#llx (%s)\n", sigsets[i].set, (unsigned long long)o.sigs, err);
	}
	checks++;
	if (zp_trace_parse("signal=SIGNOPE", &o, err, sizeof(err)) == 0 || strstr(err, "SIGNOPE") == NULL)
		failures++, printf("FAIL unknown signal accepted\n");
}

/* json -- the decoders' text read back as JSON values */
static void json(void)
{
	static const struct { const char *in, *want; } cases[] = {
		{ "openat(AT_FDCWD, \"/etc/passwd\", O_RDONLY|O_CLOEXEC) = 3",
		  "[\"AT_FDCWD\", \"/etc/passwd\", \"O_RDONLY|O_CLOEXEC\"]" },
		{ "newfstatat(3, \"\", {st_mode=S_IFREG|0644, st_size=5, ...}, AT_EMPTY_PATH) = 0",
		  "[3, \"\", {\"st_mode\": \"S_IFREG|0644\", \"st_size\": 5}, \"AT_EMPTY_PATH\"]" },
		{ "read(3, \"ab\\n\\0\\377\"..., 4096) = 4096",
		  "[3, \"ab\\n\\u0000\\u00ff\", 4096]" },
		{ "mmap(NULL, 8192, PROT_READ|PROT_WRITE, MAP_PRIVATE|MAP_ANONYMOUS, -1, 0) = 0x7f00",
		  "[null, 8192, \"PROT_READ|PROT_WRITE\", \"MAP_PRIVATE|MAP_ANONYMOUS\", -1, 0]" },
		{ "rt_sigprocmask(SIG_BLOCK, [INT TERM], ~[RTMIN RT_1], 8) = 0",
		  "[\"SIG_BLOCK\", [\"INT\", \"TERM\"], \"~[RTMIN RT_1]\", 8]" },
		{ "pipe2([3, 4], 0) = 0", "[[3, 4], 0]" },
		{ "accept4(3, {sa_family=AF_INET, sin_port=htons(80), sin_addr=inet_addr(\"10.0.0.1\")}, [16 => 16], 0) = 4",
		  "[3, {\"sa_family\": \"AF_INET\", \"sin_port\": 80, \"sin_addr\": \"10.0.0.1\"}, [{\"in\": 16, \"out\": 16}], 0]" },
		{ "writev(1, [{iov_base=\"hi\", iov_len=2}, ...], 3) = 2",
		  "[1, [{\"iov_base\": \"hi\", \"iov_len\": 2}], 3]" },
		{ "read(3</a,b>, \"\", 1) = 0", "[\"3</a,b>\", \"\", 1]" },
		{ "chmod(\"x\", 0644) = 0", "[\"x\", \"0644\"]" },
		{ "execve(\"/bin/true\", [\"true\"], 0x7ffc0000 /* 3 vars */) = 0",
		  "[\"/bin/true\", [\"true\"], \"0x7ffc0000 /* 3 vars */\"]" },
		{ "getpid() = 42", "[]" },
		{ "x(a]b, 1) = 0", "[\"a\", \"]\", \"b\", 1]" },
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		tr_json_args(fresh(), cases[i].in, strlen(cases[i].in));
		expect(cases[i].in, cases[i].want);
	}
}

int main(void)
{
	strings();
	flags();
	structs();
	fmt.align = true;
	calls();
	options();
	json();
	printf("%d of %d decoder checks passed\n", checks - failures, checks);
	return failures ? 1 : 0;
}
