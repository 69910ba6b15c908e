/* sendself.h -- what sendself and its test hook share: a signal queued
 * with a value, as sigqueue(3) would, to a process or one thread of it */
#ifndef SENDSELF_H
#define SENDSELF_H

#include <signal.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

/* queue_value -- sig with value to thread tid of pid (tid 0: the
 * process); the system call's result */
static inline long queue_value(pid_t pid, pid_t tid, int sig, int value)
{
	siginfo_t si;

	memset(&si, 0, sizeof(si));
	si.si_signo = sig;
	si.si_code = SI_QUEUE;
	si.si_pid = getpid();
	si.si_uid = getuid();
	si.si_value.sival_int = value;
	if (tid != 0)
		return syscall(SYS_rt_tgsigqueueinfo, pid, tid, sig, &si);
	return syscall(SYS_rt_sigqueueinfo, pid, sig, &si);
}

/* send -- sig with value to this thread, or to this process */
static inline void send(int sig, int value, int to_thread)
{
	queue_value(getpid(), to_thread ? (pid_t)syscall(SYS_gettid) : 0, sig, value);
}

#endif
