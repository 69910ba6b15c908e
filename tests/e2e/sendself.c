/* sendself -- the order in which queued signals reach a handler: SIG
 * blocked, M instances queued to the process and N to this thread, SIG
 * unblocked (the kernel's order, natively), then the same made by the
 * sendself hook while it runs, if it is there (getppid(0x5e1f, ...)).
 * Prints each order as the values the handler saw.
 *
 * usage: sendself SIG-OFFSET N M   (SIG is SIGRTMIN + SIG-OFFSET, or
 * SIGUSR1 for -1) */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

static volatile char seen[256];
static volatile size_t nseen;

static void on_sig(int sig, siginfo_t *si, void *uc)
{
	(void)sig;
	(void)uc;
	if (nseen + 4 < sizeof(seen)) {
		int v = si->si_value.sival_int;
		seen[nseen++] = ' ';
		if (v >= 10)
			seen[nseen++] = (char)('0' + v / 10 % 10);
		seen[nseen++] = (char)('0' + v % 10);
	}
}

static void send(int sig, int value, int to_thread)
{
	siginfo_t si;

	memset(&si, 0, sizeof(si));
	si.si_signo = sig;
	si.si_code = SI_QUEUE;
	si.si_pid = getpid();
	si.si_uid = getuid();
	si.si_value.sival_int = value;
	if (to_thread)
		syscall(SYS_rt_tgsigqueueinfo, getpid(), syscall(SYS_gettid), sig, &si);
	else
		syscall(SYS_rt_sigqueueinfo, getpid(), sig, &si);
}

int main(int argc, char **argv)
{
	if (argc != 4) {
		fprintf(stderr, "usage: sendself SIG-OFFSET N M\n");
		return 2;
	}
	int off = atoi(argv[1]), n = atoi(argv[2]), m = atoi(argv[3]);
	int sig = off < 0 ? SIGUSR1 : SIGRTMIN + off, value = 1;
	struct sigaction sa;
	sigset_t set, old;

	setvbuf(stdout, NULL, _IONBF, 0);
	memset(&sa, 0, sizeof(sa));
	sa.sa_sigaction = on_sig;
	sa.sa_flags = SA_SIGINFO;
	sigaction(sig, &sa, NULL);

	sigemptyset(&set);
	sigaddset(&set, sig);
	sigprocmask(SIG_BLOCK, &set, &old);
	for (int i = 0; i < m; i++)
		send(sig, value++, 0);
	for (int i = 0; i < n; i++)
		send(sig, value++, 1);
	sigprocmask(SIG_SETMASK, &old, NULL);
	printf("program:%.*s\n", (int)nseen, (const char *)seen);

	nseen = 0;
	syscall(SYS_getppid, 0x5e1f, sig, n, m);
	printf("hook:%.*s\n", (int)nseen, (const char *)seen);
	return 0;
}
