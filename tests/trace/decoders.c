/* decoders.c -- a program that makes each call the tracer decodes, so
 * `zpoline trace` and `strace -f` can be compared on it line by line. */
#include <arpa/inet.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <linux/fs.h>
#include <sys/epoll.h>
#include <sys/file.h>
#include <sys/mman.h>
#include <sys/random.h>
#include <sys/resource.h>
#include <sys/select.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <sys/un.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <time.h>
#include <ucontext.h>
#include <unistd.h>

static volatile sig_atomic_t got;

static void on_usr1(int sig)
{
	got = sig;
}

static void on_info(int sig, siginfo_t *si, void *uc)
{
	(void)si;
	(void)uc;
	got = sig;
}

static void *thread_main(void *arg)
{
	(void)arg;
	return NULL;
}

static void files(void)
{
	char buf[256];
	struct stat st;
	struct iovec iov[2] = { { "hello ", 6 }, { "world\n", 6 } };

	mkdir("d", 0750);
	int fd = openat(AT_FDCWD, "d/f", O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0640);
	write(fd, "binary\0\1\2\377 and text\n", 21);
	writev(fd, iov, 2);
	pwrite(fd, "X", 1, 3);
	lseek(fd, 0, SEEK_SET);
	read(fd, buf, sizeof(buf));
	pread(fd, buf, 4, 2);
	lseek(fd, -2, SEEK_END);
	fstat(fd, &st);
	ftruncate(fd, 10);
	fsync(fd);
	flock(fd, LOCK_EX | LOCK_NB);
	fcntl(fd, F_GETFL);
	fcntl(fd, F_GETFD);
	fcntl(fd, F_SETFD, FD_CLOEXEC);
	fcntl(fd, F_SETFL, O_NONBLOCK | O_APPEND);
	int d2 = fcntl(fd, F_DUPFD_CLOEXEC, 10);
	close(d2);
	dup2(fd, 20);
	dup3(fd, 21, O_CLOEXEC);
	close(dup(fd));
	close(20);
	close(21);
	close(fd);
	stat("d/f", &st);
	lstat("d/f", &st);
	stat("/dev/null", &st);
	access("d/f", R_OK | W_OK);
	access("d/nope", F_OK);
	faccessat(AT_FDCWD, "d", X_OK, 0);
	chmod("d/f", 0600);
	utimensat(AT_FDCWD, "d/f", NULL, 0);
	struct timespec ts[2] = { { 0, UTIME_NOW }, { 0, UTIME_OMIT } };
	utimensat(AT_FDCWD, "d/f", ts, AT_SYMLINK_NOFOLLOW);
	symlink("f", "d/l");
	readlink("d/l", buf, sizeof(buf));
	rename("d/f", "d/g");
	renameat2(AT_FDCWD, "d/g", AT_FDCWD, "d/h", RENAME_NOREPLACE);
	link("d/h", "d/i");
	unlink("d/i");
	getcwd(buf, sizeof(buf));
	DIR *dir = opendir("d");
	while (readdir(dir) != NULL)
		;
	closedir(dir);
	unlinkat(AT_FDCWD, "d/l", 0);
	unlink("d/h");
	rmdir("d");
	rmdir("d");
	truncate("nope", 0);
	umask(077);
	umask(022);
	int p[2];
	pipe2(p, O_CLOEXEC | O_NONBLOCK);
	read(p[0], buf, 1);
	close(p[0]);
	close(p[1]);
	int m = memfd_create("mem", MFD_CLOEXEC);
	close(m);
}

static void memory(void)
{
	void *p = mmap(NULL, 16384, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	mprotect(p, 4096, PROT_NONE);
	madvise(p, 16384, MADV_DONTNEED);
	madvise(p, 16384, MADV_WILLNEED);
	p = mremap(p, 16384, 32768, MREMAP_MAYMOVE);
	munmap(p, 32768);
	mmap(NULL, 4096, PROT_READ, MAP_SHARED | MAP_ANONYMOUS | MAP_POPULATE, -1, 0);
	sbrk(0);
}

static void process(void)
{
	struct rlimit rl;
	struct utsname u;
	struct timespec t = { 0, 1000 };
	int status;
	char rnd[8];

	getrlimit(RLIMIT_NOFILE, &rl);
	prlimit(0, RLIMIT_CORE, NULL, &rl);
	uname(&u);
	nanosleep(&t, NULL);
	clock_nanosleep(CLOCK_MONOTONIC, 0, &t, NULL);
	syscall(SYS_clock_gettime, CLOCK_MONOTONIC, &t);
	syscall(SYS_clock_getres, CLOCK_REALTIME, &t);
	getrandom(rnd, sizeof(rnd), GRND_NONBLOCK);
	getuid();
	geteuid();
	getgid();
	getegid();
	getppid();
	sched_yield();
	pid_t pid = fork();
	if (pid == 0)
		_exit(7);
	waitpid(pid, &status, 0);
	waitpid(-1, &status, WNOHANG);
	pthread_t th;
	pthread_create(&th, NULL, thread_main, NULL);
	pthread_join(th, NULL);
}

static void sockets(void)
{
	struct sockaddr_in in = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	struct sockaddr_in6 in6 = { .sin6_family = AF_INET6, .sin6_port = htons(9), .sin6_addr = IN6ADDR_LOOPBACK_INIT };
	struct sockaddr_un un = { .sun_family = AF_UNIX, .sun_path = "/nonexistent/socket" };
	socklen_t len = sizeof(in);
	int one = 1, v;
	char buf[64];

	int s = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	setsockopt(s, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	bind(s, (struct sockaddr *)&in, sizeof(in));
	listen(s, 4);
	getsockname(s, (struct sockaddr *)&in, &len);
	len = sizeof(v);
	getsockopt(s, SOL_SOCKET, SO_TYPE, &v, &len);
	int c = socket(AF_INET, SOCK_STREAM, IPPROTO_TCP);
	setsockopt(c, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	connect(c, (struct sockaddr *)&in, sizeof(in));
	int e = epoll_create1(EPOLL_CLOEXEC);
	struct epoll_event ev = { .events = EPOLLIN, .data.u64 = 5 }, out[4];
	epoll_ctl(e, EPOLL_CTL_ADD, s, &ev);
	epoll_wait(e, out, 4, 1000);
	struct sockaddr_in peer;
	len = sizeof(peer) + 100;
	int a = accept4(s, (struct sockaddr *)&peer, &len, SOCK_CLOEXEC);
	len = sizeof(peer);
	getpeername(c, (struct sockaddr *)&peer, &len);
	sendto(c, "ping", 4, MSG_NOSIGNAL, NULL, 0);
	struct pollfd pf = { .fd = a, .events = POLLIN };
	poll(&pf, 1, 1000);
	recvfrom(a, buf, sizeof(buf), 0, NULL, NULL);
	poll(&pf, 1, 0);
	/* select's sets: as given, then the ready ones and the time left */
	fd_set rd, wr;
	FD_ZERO(&rd);
	FD_ZERO(&wr);
	FD_SET(a, &rd);
	FD_SET(c, &rd);
	FD_SET(c, &wr);
	struct timeval tv = { 5, 0 };
	syscall(SYS_select, (a > c ? a : c) + 1, &rd, &wr, NULL, &tv);
	FD_ZERO(&rd);
	FD_SET(c, &rd);
	struct timespec wait = { 0, 1000 };
	sigset_t usr1;
	sigemptyset(&usr1);
	sigaddset(&usr1, SIGUSR1);
	pselect(c + 1, &rd, NULL, NULL, &wait, &usr1);
	pf.fd = c;
	pf.events = POLLOUT;
	ppoll(&pf, 1, &wait, &usr1);
	shutdown(a, SHUT_WR);
	close(a);
	close(c);
	close(e);
	close(s);
	int s6 = socket(AF_INET6, SOCK_STREAM, 0);
	connect(s6, (struct sockaddr *)&in6, sizeof(in6));
	close(s6);
	int u = socket(AF_UNIX, SOCK_STREAM, 0);
	connect(u, (struct sockaddr *)&un, sizeof(un));
	close(u);
	int sv[2];
	socketpair(AF_UNIX, SOCK_DGRAM, 0, sv);
	close(sv[0]);
	close(sv[1]);
}

static void signals(void)
{
	struct sigaction sa = { .sa_handler = on_usr1, .sa_flags = SA_RESTART }, old;
	sigset_t set;

	sigemptyset(&sa.sa_mask);
	sigaddset(&sa.sa_mask, SIGTERM);
	sigaction(SIGUSR1, &sa, &old);
	sigaction(SIGUSR1, NULL, &old);
	kill(getpid(), SIGUSR1);
	sa.sa_sigaction = on_info;
	sa.sa_flags = SA_SIGINFO;
	sigaction(SIGUSR2, &sa, NULL);
	raise(SIGUSR2);
	sigemptyset(&set);
	sigaddset(&set, SIGCHLD);
	sigaddset(&set, SIGRTMIN + 2);
	sigprocmask(SIG_BLOCK, &set, NULL);
	sigset_t was;
	sigprocmask(SIG_UNBLOCK, &set, &was);
	sigaction(SIGINT, NULL, &old);
	signal(SIGPIPE, SIG_IGN);
	stack_t ss = { .ss_sp = malloc(65536), .ss_size = 65536 }, oss;
	sigaltstack(&ss, &oss);
	sigaltstack(NULL, &oss);
}

/* skip -- past the faulting instruction: ud2 (2 bytes), idivl %ecx (2) */
static void skip(int sig, siginfo_t *si, void *uc)
{
	(void)sig;
	(void)si;
	((ucontext_t *)uc)->uc_mcontext.gregs[REG_RIP] += 2;
}

/* faults -- handled and returned from: the signal lines name their codes
 * (ILL_ILLOPN, FPE_INTDIV) */
static void faults(void)
{
	struct sigaction sa = { .sa_sigaction = skip, .sa_flags = SA_SIGINFO };
	volatile int zero = 0;

	sigemptyset(&sa.sa_mask);
	sigaction(SIGILL, &sa, NULL);
	sigaction(SIGFPE, &sa, NULL);
	__asm__ volatile("ud2");
	__asm__ volatile("movl %0, %%ecx\n\tmovl $1, %%eax\n\tcltd\n\tidivl %%ecx" ::"r"(zero) : "eax", "ecx", "edx");
}

int main(void)
{
	files();
	memory();
	process();
	sockets();
	signals();
	faults();
	return 3;
}
