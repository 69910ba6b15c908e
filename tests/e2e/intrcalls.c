/* intrcalls -- waits a signal's handler cuts short, one of each: poll
 * without and with a timeout, epoll_wait, epoll_pwait, futex waits without
 * and with a timeout, pause, nanosleep, clock_nanosleep (relative and
 * absolute), ppoll, rt_sigtimedwait, read. A SIGALRM handler without
 * SA_RESTART ends each after 20 ms. strace shows each with the code the
 * kernel had (ERESTARTSYS, ERESTARTNOHAND, ERESTART_RESTARTBLOCK, or EINTR
 * itself for the waits that return it); the tracer must show the same
 * (callsite.py).
 *
 * usage: intrcalls */
#include <linux/futex.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/syscall.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

static void on_alarm(int sig)
{
	(void)sig;
}

static void arm(void)
{
	struct itimerval once = { { 0, 0 }, { 0, 20000 } };

	setitimer(ITIMER_REAL, &once, NULL);
}

int main(void)
{
	struct sigaction sa;
	struct timespec second = { 1, 0 };
	uint64_t usr2 = 1ull << (SIGUSR2 - 1);
	uint32_t word = 0;
	int p[2];
	char c;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_alarm;
	sigaction(SIGALRM, &sa, NULL);
	if (pipe(p) != 0)
		return 2;
	struct pollfd pf = { p[0], POLLIN, 0 };
	int ep = epoll_create1(0);
	struct epoll_event ev = { EPOLLIN, { 0 } };
	epoll_ctl(ep, EPOLL_CTL_ADD, p[0], &ev);
	arm();
	syscall(SYS_poll, &pf, 1, -1);
	arm();
	syscall(SYS_poll, &pf, 1, 1000);
	arm();
	syscall(SYS_epoll_wait, ep, &ev, 1, -1);
	arm();
	syscall(SYS_epoll_pwait, ep, &ev, 1, -1, NULL, 8);
	arm();
	syscall(SYS_futex, &word, FUTEX_WAIT, 0, NULL, NULL, 0);
	arm();
	syscall(SYS_futex, &word, FUTEX_WAIT, 0, &second, NULL, 0);
	arm();
	syscall(SYS_pause);
	arm();
	syscall(SYS_nanosleep, &second, NULL);
	arm();
	syscall(SYS_clock_nanosleep, CLOCK_MONOTONIC, 0, &second, NULL);
	struct timespec then;
	clock_gettime(CLOCK_MONOTONIC, &then);
	then.tv_sec++;
	arm();
	syscall(SYS_clock_nanosleep, CLOCK_MONOTONIC, TIMER_ABSTIME, &then, NULL);
	arm();
	syscall(SYS_ppoll, &pf, 1, NULL, NULL, 8);
	arm();
	syscall(SYS_rt_sigtimedwait, &usr2, NULL, NULL, 8);
	arm();
	syscall(SYS_read, p[0], &c, 1);
	return 0;
}
