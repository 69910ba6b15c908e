/* slotout -- system calls whose struct the kernel writes where a rewritten
 * call pushes its return address (slotout-asm.S), and libc's
 * __longjmp_chk, which makes sigaltstack so, reached by a fortified
 * longjmp from a signal handler on an alternate stack that lies above the
 * stack it jumps to. Prints one line per case; run under strace, the
 * hooked run shows no SIGILL (tests/meson.build). Built with
 * _FORTIFY_SOURCE, so longjmp is __longjmp_chk. */
#include <fcntl.h>
#include <pthread.h>
#include <setjmp.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

long so_getown_ex(int fd, int *type);
long so_altstack_old(stack_t *old);

#define ALT_SIZE (64 * 1024)

static char *alt;               /* on main's stack, above the thread's */
static sigjmp_buf back;
static volatile sig_atomic_t onstack;

static void on_usr1(int sig)
{
	stack_t old;
	(void)sig;
	onstack = so_altstack_old(&old) == 0 && (old.ss_flags & SS_ONSTACK) && old.ss_sp == alt &&
		  old.ss_size == ALT_SIZE;
	siglongjmp(back, 1);
}

/* jumper -- on a thread's stack (mapped below main's), with main's buffer
 * as the alternate stack: the handler's longjmp goes down to a frame
 * below its stack, which __longjmp_chk checks with sigaltstack */
static void *jumper(void *arg)
{
	stack_t ss = { .ss_sp = alt, .ss_size = ALT_SIZE };
	struct sigaction sa;
	int *jumped = arg;

	if (sigaltstack(&ss, NULL) != 0)
		return NULL;
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_usr1;
	sa.sa_flags = SA_ONSTACK;
	sigaction(SIGUSR1, &sa, NULL);
	if (sigsetjmp(back, 1) == 0) {
		pthread_kill(pthread_self(), SIGUSR1);
		return NULL;
	}
	*jumped = 1;
	ss.ss_flags = SS_DISABLE;
	sigaltstack(&ss, NULL);
	return NULL;
}

int main(void)
{
	char buf[ALT_SIZE];
	struct f_owner_ex own = { F_OWNER_PID, getpid() };
	stack_t old, ss;
	int sv[2], type = -1, jumped = 0;
	pthread_t t;

	if (socketpair(AF_UNIX, SOCK_STREAM, 0, sv) != 0 || fcntl(sv[0], F_SETOWN_EX, &own) != 0)
		return 1;
	long pid = so_getown_ex(sv[0], &type);
	printf("F_GETOWN_EX: type %s, owner is self: %s\n", type == F_OWNER_PID ? "F_OWNER_PID" : "other",
	       pid == getpid() ? "yes" : "no");
	printf("F_GETOWN_EX on a closed descriptor: %ld\n", so_getown_ex(-1, &type));

	long r = so_altstack_old(&old);
	printf("sigaltstack, none: %ld, disabled: %s\n", r, old.ss_flags & SS_DISABLE ? "yes" : "no");
	alt = buf;
	ss = (stack_t){ .ss_sp = alt, .ss_size = ALT_SIZE };
	sigaltstack(&ss, NULL);
	r = so_altstack_old(&old);
	printf("sigaltstack, set: %ld, the one set: %s\n", r,
	       old.ss_sp == alt && old.ss_size == ALT_SIZE && old.ss_flags == 0 ? "yes" : "no");
	ss.ss_flags = SS_DISABLE;
	sigaltstack(&ss, NULL);

	if (pthread_create(&t, NULL, jumper, &jumped) != 0 || pthread_join(t, NULL) != 0)
		return 1;
	printf("handler on the alternate stack: %s, longjmp out of it: %s\n", onstack ? "yes" : "no",
	       jumped ? "yes" : "no");
	fflush(stdout);
	return 0;
}
