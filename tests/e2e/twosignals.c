/* twosignals -- two signals at once, around calls the hooks see: each
 * round arms a timer of 1 to 11 microseconds and sends itself SIGUSR1, so
 * that SIGALRM comes while SIGUSR1 is held back, as a call returns, in the
 * stub or in the runtime's handling of the first; then it sleeps until
 * both handlers have run. Natively every round sees both. A signal lost,
 * or left blocked by a handler's return with the other held back, stops
 * the rounds: it prints what it found and exits 1.
 *
 * usage: twosignals ROUNDS */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

static volatile sig_atomic_t usr1, alrm;

static void on_signal(int sig)
{
	if (sig == SIGUSR1)
		usr1++;
	else
		alrm++;
}

int main(int argc, char **argv)
{
	int rounds = argc > 1 ? atoi(argv[1]) : 1000;
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigaction(SIGUSR1, &sa, NULL);
	sigaction(SIGALRM, &sa, NULL);
	srand(1);
	for (int i = 0; i < rounds; i++) {
		struct itimerval it = { { 0, 0 }, { 0, 1 + rand() % 11 } };
		setitimer(ITIMER_REAL, &it, NULL);
		kill(getpid(), SIGUSR1);
		/* two seconds at most */
		for (int tries = 0; (usr1 <= i || alrm <= i) && tries < 20000; tries++) {
			struct timespec ts = { 0, 100000 };
			nanosleep(&ts, NULL);
		}
		if (usr1 <= i || alrm <= i) {
			sigset_t m;
			sigprocmask(SIG_BLOCK, NULL, &m);
			printf("round %d: SIGUSR1 %d, SIGALRM %d handled; blocked: SIGUSR1 %d, SIGALRM %d\n", i,
			       (int)usr1, (int)alrm, sigismember(&m, SIGUSR1), sigismember(&m, SIGALRM));
			return 1;
		}
	}
	printf("%d rounds, each signal handled %d times\n", rounds, (int)usr1);
	return usr1 == rounds && alrm == rounds ? 0 : 1;
}
