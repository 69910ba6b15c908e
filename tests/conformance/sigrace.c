/* sigrace -- one thread raises SIGUSR1 without pause while another
 * switches its action between a handler and SIG_IGN (CPython's
 * test_stress_modifying_handlers): whichever action a signal meets, the
 * process must neither die nor run anything but the handler. */
#include <pthread.h>
#include <signal.h>
#include <stdio.h>

#define SWITCHES 50000

static volatile int stop;
static volatile long handled;

static void on_usr1(int sig)
{
	(void)sig;
	handled++;
}

static void *raiser(void *arg)
{
	(void)arg;
	while (!stop)
		raise(SIGUSR1);
	return NULL;
}

int main(void)
{
	pthread_t t;

	signal(SIGUSR1, on_usr1);
	pthread_create(&t, NULL, raiser, NULL);
	for (int i = 0; i < SWITCHES; i++) {
		signal(SIGUSR1, on_usr1);
		signal(SIGUSR1, SIG_IGN);
	}
	stop = 1;
	pthread_join(t, NULL);
	printf("%d switches, the handler ran: %s\n", SWITCHES, handled > 0 ? "yes" : "no");
	return 0;
}
