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

static volatile int started;

static void *raiser(void *arg)
{
	(void)arg;
	while (!stop) {
		raise(SIGUSR1);
		started = 1;
	}
	return NULL;
}

int main(void)
{
	pthread_t t;

	signal(SIGUSR1, on_usr1);
	pthread_create(&t, NULL, raiser, NULL);
	while (!started)
		;
	for (int i = 0; i < SWITCHES; i++) {
		signal(SIGUSR1, on_usr1);
		signal(SIGUSR1, SIG_IGN);
	}
	stop = 1;
	pthread_join(t, NULL);
	/* whether the handler ran depends on timing: only the end is printed */
	printf("%d switches, the process lived\n", SWITCHES);
	return 0;
}
