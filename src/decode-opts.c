/* decode-opts.c -- parse the tracer's settings (see decode-opts.h).
 *
 * The system call classes are lists of names, as strace keeps them: a
 * name the installed kernel headers do not know is skipped. */
#include <errno.h>
#include <regex.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "decode-opts.h"
#include "zp.h"

struct class {
	const char *name;
	const char *members;
};

static const struct class classes[] = {
	{ "%file", "open openat openat2 creat stat lstat newfstatat statx access faccessat "
		   "faccessat2 execve execveat chdir mkdir mkdirat rmdir unlink unlinkat rename "
		   "renameat renameat2 link linkat symlink symlinkat readlink readlinkat chmod "
		   "fchmodat chown lchown fchownat truncate utime utimes utimensat futimesat mknod "
		   "mknodat statfs getxattr lgetxattr setxattr lsetxattr listxattr llistxattr "
		   "removexattr lremovexattr chroot mount umount2 pivot_root swapon swapoff acct "
		   "quotactl uselib inotify_add_watch fanotify_mark name_to_handle_at open_tree "
		   "move_mount mount_setattr fspick fsconfig" },
	{ "%process", "clone clone3 fork vfork execve execveat exit exit_group wait4 waitid kill "
		      "tkill tgkill rt_sigqueueinfo rt_tgsigqueueinfo pidfd_send_signal arch_prctl "
		      "unshare" },
	{ "%network", "socket socketpair bind connect listen accept accept4 getsockname "
		      "getpeername sendto recvfrom sendmsg recvmsg sendmmsg recvmmsg shutdown "
		      "setsockopt getsockopt" },
	{ "%signal", "rt_sigaction rt_sigprocmask rt_sigreturn rt_sigsuspend rt_sigpending "
		     "rt_sigtimedwait rt_sigqueueinfo rt_tgsigqueueinfo sigaltstack kill tkill tgkill "
		     "pause signalfd signalfd4 pidfd_send_signal" },
	{ "%memory", "brk mmap munmap mprotect mremap madvise mlock mlock2 munlock mlockall "
		     "munlockall msync mincore remap_file_pages mbind set_mempolicy get_mempolicy "
		     "migrate_pages move_pages pkey_mprotect process_madvise shmat shmdt" },
	{ "%ipc", "msgget msgsnd msgrcv msgctl semget semop semctl semtimedop shmget shmat shmctl "
		  "shmdt" },
	{ "%creds", "getuid geteuid getgid getegid setuid setgid setreuid setregid setresuid "
		    "setresgid getresuid getresgid setfsuid setfsgid getgroups setgroups capget capset "
		    "prctl" },
	{ "%desc", "read write open close fstat poll lseek mmap ioctl pread64 pwrite64 readv writev "
		   "pipe select dup dup2 sendfile fcntl flock fsync fdatasync ftruncate getdents "
		   "getdents64 fchdir fchmod fchown fstatfs readahead fsetxattr fgetxattr flistxattr "
		   "fremovexattr epoll_create epoll_ctl epoll_wait epoll_pwait epoll_pwait2 "
		   "epoll_create1 fadvise64 openat mkdirat mknodat fchownat futimesat newfstatat "
		   "unlinkat renameat linkat symlinkat readlinkat fchmodat faccessat faccessat2 "
		   "pselect6 ppoll splice tee sync_file_range vmsplice utimensat signalfd signalfd4 "
		   "timerfd_create timerfd_settime timerfd_gettime eventfd eventfd2 fallocate dup3 "
		   "pipe2 inotify_init inotify_init1 inotify_add_watch inotify_rm_watch "
		   "fanotify_init fanotify_mark preadv pwritev preadv2 pwritev2 name_to_handle_at "
		   "open_by_handle_at syncfs setns finit_module memfd_create copy_file_range statx "
		   "execveat pidfd_open pidfd_getfd close_range openat2 process_madvise "
		   "renameat2 io_uring_setup io_uring_enter io_uring_register open_tree move_mount "
		   "fsopen fsconfig fsmount fspick epoll_pwait2 mount_setattr" },
	{ "%clock", "clock_gettime clock_settime clock_getres clock_nanosleep clock_adjtime "
		    "adjtimex gettimeofday settimeofday time" },
	{ "%stat", "stat" },
	{ "%lstat", "lstat" },
	{ "%fstat", "fstat newfstatat" },
	{ "%%stat", "stat lstat fstat newfstatat statx" },
	{ "%statfs", "statfs" },
	{ "%fstatfs", "fstatfs" },
	{ "%%statfs", "statfs fstatfs" },
	{ "%pure", "getpid getppid gettid getuid geteuid getgid getegid getpgrp" },
};

static void set_err(char *err, unsigned long len, const char *fmt, const char *what)
{
	if (err != NULL && len > 0)
		snprintf(err, len, fmt, what);
}

static void add_names(uint64_t *bits, const char *list)
{
	char name[64];

	while (*list != '\0') {
		size_t n = strcspn(list, " ");
		if (n > 0 && n < sizeof(name)) {
			memcpy(name, list, n);
			name[n] = '\0';
			long nr = zp_syscall_number(name);
			if (nr >= 0 && nr < ZP_TRACE_WORDS * 64)
				bits[nr / 64] |= 1ull << (nr % 64);
		}
		list += n;
		list += strspn(list, " ");
	}
}

/* add_one -- one element of a set into bits; -EINVAL when unknown */
static int add_one(uint64_t *bits, const char *e, char *err, unsigned long errlen)
{
	if (strcmp(e, "all") == 0) {
		for (long nr = 0; nr < (long)zp_syscall_count && nr < ZP_TRACE_WORDS * 64; nr++)
			if (zp_syscall_name(nr) != NULL)
				bits[nr / 64] |= 1ull << (nr % 64);
		return 0;
	}
	if (strcmp(e, "none") == 0)
		return 0;
	if (e[0] == '%') {
		for (size_t i = 0; i < sizeof(classes) / sizeof(classes[0]); i++) {
			/* strace also takes the old names, without the % */
			if (strcmp(classes[i].name, e) == 0) {
				add_names(bits, classes[i].members);
				return 0;
			}
		}
		set_err(err, errlen, "unknown system call class '%s' (try %%file, %%process, "
			"%%network, %%signal, %%memory, %%desc, %%ipc, %%creds)", e);
		return -EINVAL;
	}
	if (e[0] == '/') {
		regex_t re;
		if (regcomp(&re, e + 1, REG_EXTENDED | REG_NOSUB) != 0) {
			set_err(err, errlen, "bad regular expression '%s'", e + 1);
			return -EINVAL;
		}
		for (long nr = 0; nr < (long)zp_syscall_count && nr < ZP_TRACE_WORDS * 64; nr++) {
			const char *n = zp_syscall_name(nr);
			if (n != NULL && regexec(&re, n, 0, NULL, 0) == 0)
				bits[nr / 64] |= 1ull << (nr % 64);
		}
		regfree(&re);
		return 0;
	}
	long nr = zp_syscall_number(e);
	if (nr < 0) {
		char *end;
		nr = strtol(e, &end, 10);
		if (*e == '\0' || *end != '\0' || nr < 0)
			nr = -1;
	}
	if (nr < 0 || nr >= ZP_TRACE_WORDS * 64) {
		set_err(err, errlen, "unknown system call '%s'", e);
		return -EINVAL;
	}
	bits[nr / 64] |= 1ull << (nr % 64);
	return 0;
}

int zp_trace_parse_set(const char *set, uint64_t *bits, char *err, unsigned long errlen)
{
	bool negate = false;
	char buf[1024];
	uint64_t acc[ZP_TRACE_WORDS] = { 0 };

	if (*set == '!') {
		negate = true;
		set++;
	}
	if (strlen(set) >= sizeof(buf)) {
		set_err(err, errlen, "system call set too long: %s", "");
		return -EINVAL;
	}
	strcpy(buf, set);
	if (buf[0] == '\0') {
		set_err(err, errlen, "empty system call set%s; give names, %%classes or /regex", "");
		return -EINVAL;
	}
	for (char *save = NULL, *e = strtok_r(buf, ",", &save); e != NULL; e = strtok_r(NULL, ",", &save)) {
		/* a leading ? means: no error if unknown */
		bool quiet = e[0] == '?';
		int r = add_one(acc, quiet ? e + 1 : e, err, errlen);
		if (r < 0 && !quiet)
			return r;
	}
	for (int i = 0; i < ZP_TRACE_WORDS; i++)
		bits[i] = negate ? ~acc[i] : acc[i];
	return 0;
}

/* parse_time -- strace's delay: microseconds, or with s/ms/us/ns */
static int parse_time(const char *s, long *us)
{
	char *end;
	double v = strtod(s, &end);

	if (end == s || v < 0)
		return -EINVAL;
	if (*end == '\0' || strcmp(end, "us") == 0)
		*us = (long)v;
	else if (strcmp(end, "s") == 0)
		*us = (long)(v * 1e6);
	else if (strcmp(end, "ms") == 0)
		*us = (long)(v * 1e3);
	else if (strcmp(end, "ns") == 0)
		*us = (long)(v / 1e3);
	else
		return -EINVAL;
	return 0;
}

/* parse_signal -- a signal as strace takes it: a number, or a name with
 * or without SIG in any case (RTMIN, RT_N for the real-time ones) */
static int parse_signal(const char *s)
{
	char *end;
	long n = strtol(s, &end, 10);

	if (*s != '\0' && *end == '\0')
		return n > 0 && n <= 64 ? (int)n : -1;
	if (strncasecmp(s, "SIG", 3) == 0)
		s += 3;
	for (int i = 1; i < 32; i++) {
		const char *abbrev = sigabbrev_np(i);
		if (abbrev != NULL && strcasecmp(s, abbrev) == 0)
			return i;
	}
	/* strace's names for the real-time signals: RTMIN is 32, RT_N 32 + N */
	if (strcasecmp(s, "RTMIN") == 0)
		return 32;
	if (strncasecmp(s, "RT_", 3) == 0) {
		n = strtol(s + 3, &end, 10);
		if (s[3] != '\0' && *end == '\0' && n > 0 && n <= 32)
			return 32 + (int)n;
	}
	return -1;
}

int zp_trace_parse_sigset(const char *set, uint64_t *bits, char *err, unsigned long errlen)
{
	bool negate = *set == '!';
	uint64_t acc = 0;
	char buf[1024];

	set += negate;
	if (*set == '\0' || strlen(set) >= sizeof(buf)) {
		set_err(err, errlen, "signal=%s: give signal names or numbers, all or none", set);
		return -EINVAL;
	}
	strcpy(buf, set);
	for (char *save = NULL, *e = strtok_r(buf, ",", &save); e != NULL; e = strtok_r(NULL, ",", &save)) {
		if (strcmp(e, "all") == 0) {
			acc = ~0ull;
			continue;
		}
		if (strcmp(e, "none") == 0)
			continue;
		int sig = parse_signal(e);
		if (sig < 0) {
			set_err(err, errlen, "signal: unknown signal '%s' (a name such as SIGCHLD or CHLD, or a number)", e);
			return -EINVAL;
		}
		acc |= 1ull << (sig - 1);
	}
	*bits = negate ? ~acc : acc;
	return 0;
}

static int parse_errno(const char *s)
{
	char *end;
	long n = strtol(s, &end, 10);

	if (*s != '\0' && *end == '\0')
		return n > 0 && n < 4096 ? (int)n : -1;
	for (int e = 1; e < 4096; e++) {
		const char *name = strerrorname_np(e);
		if (name != NULL && strcmp(name, s) == 0)
			return e;
	}
	return -1;
}

int zp_trace_parse_inject(const char *spec, bool fault, struct zp_inject *in, char *err,
			  unsigned long errlen)
{
	char buf[1024];
	char *save = NULL, *tok;
	bool action = false;

	memset(in, 0, sizeof(*in));
	in->first = 1;
	in->last = (unsigned long)-1;
	in->step = 1;
	if (strlen(spec) >= sizeof(buf)) {
		set_err(err, errlen, "injection too long: %s", spec);
		return -EINVAL;
	}
	strcpy(buf, spec);
	tok = strtok_r(buf, ":", &save);
	if (tok == NULL || zp_trace_parse_set(tok, in->set, err, errlen) < 0) {
		if (tok == NULL)
			set_err(err, errlen, "injection '%s' names no system calls", spec);
		return -EINVAL;
	}
	while ((tok = strtok_r(NULL, ":", &save)) != NULL) {
		char *eq = strchr(tok, '=');
		if (eq == NULL) {
			set_err(err, errlen, "injection: '%s' is not KEY=VALUE", tok);
			return -EINVAL;
		}
		*eq++ = '\0';
		if (strcmp(tok, "error") == 0) {
			in->error = parse_errno(eq);
			if (in->error < 0) {
				set_err(err, errlen, "injection: unknown error '%s' (an errno name like ENOENT, or a number)", eq);
				return -EINVAL;
			}
			action = true;
		} else if (strcmp(tok, "retval") == 0) {
			char *end;
			in->retval = strtol(eq, &end, 0);
			if (*eq == '\0' || *end != '\0') {
				set_err(err, errlen, "injection: retval '%s' is not a number", eq);
				return -EINVAL;
			}
			in->has_retval = true;
			action = true;
		} else if (strcmp(tok, "signal") == 0) {
			in->signal = parse_signal(eq);
			if (in->signal < 0) {
				set_err(err, errlen, "injection: unknown signal '%s'", eq);
				return -EINVAL;
			}
			action = true;
		} else if (strcmp(tok, "delay_enter") == 0 || strcmp(tok, "delay_exit") == 0) {
			if (parse_time(eq, tok[6] == 'e' && tok[7] == 'n' ? &in->delay_enter_us :
							   &in->delay_exit_us) < 0) {
				set_err(err, errlen, "injection: bad delay '%s' (microseconds, or with s, ms, us, ns)", eq);
				return -EINVAL;
			}
			action = true;
		} else if (strcmp(tok, "when") == 0) {
			char *end;
			in->first = strtoul(eq, &end, 10);
			if (end == eq || in->first == 0) {
				set_err(err, errlen, "injection: when=%s: expected FIRST[..LAST][+[STEP]], counted from 1", eq);
				return -EINVAL;
			}
			in->last = in->first;
			if (strncmp(end, "..", 2) == 0) {
				char *e2;
				in->last = strtoul(end + 2, &e2, 10);
				if (e2 == end + 2 || in->last < in->first) {
					set_err(err, errlen, "injection: when=%s: LAST must be a number >= FIRST", eq);
					return -EINVAL;
				}
				end = e2;
			}
			if (*end == '+') {
				in->last = strncmp(eq + strcspn(eq, "."), "..", 2) == 0 ? in->last : (unsigned long)-1;
				if (end[1] == '\0') {
					in->step = 1;
				} else {
					char *e3;
					in->step = strtoul(end + 1, &e3, 10);
					if (*e3 != '\0' || in->step == 0) {
						set_err(err, errlen, "injection: when=%s: STEP must be a positive number", eq);
						return -EINVAL;
					}
				}
			} else if (*end != '\0') {
				set_err(err, errlen, "injection: when=%s: expected FIRST[..LAST][+[STEP]]", eq);
				return -EINVAL;
			}
		} else {
			set_err(err, errlen, "injection: unknown key '%s' (error, retval, signal, delay_enter, delay_exit, when)", tok);
			return -EINVAL;
		}
	}
	if (in->error && in->has_retval) {
		set_err(err, errlen, "injection '%s': give error= or retval=, not both", spec);
		return -EINVAL;
	}
	if (fault && !in->has_retval && in->error == 0)
		in->error = ENOSYS;
	if (!fault && !action) {
		set_err(err, errlen, "injection '%s' does nothing: add error=, retval=, signal=, delay_enter= or delay_exit=", spec);
		return -EINVAL;
	}
	return 0;
}

int zp_trace_parse(const char *s, struct zp_trace_opts *o, char *err, unsigned long errlen)
{
	char word[1100];

	memset(o, 0, sizeof(*o));
	o->strmax = 32;
	o->status = ZP_STATUS_ALL;
	o->signals = true;
	o->sigs = ~0ull;
	while (s != NULL && *s != '\0') {
		s += strspn(s, " ");
		size_t n = strcspn(s, " ");
		if (n == 0)
			break;
		if (n >= sizeof(word)) {
			set_err(err, errlen, "tracer option too long: %.40s...", s);
			return -EINVAL;
		}
		memcpy(word, s, n);
		word[n] = '\0';
		s += n;
		char *val = strchr(word, '=');
		if (val != NULL)
			*val++ = '\0';
		if (strcmp(word, "s") == 0 && val != NULL) {
			char *end;
			long v = strtol(val, &end, 10);
			if (*val == '\0' || *end != '\0' || v < 0 || v > 4096) {
				set_err(err, errlen, "s=%s: the string limit is a number from 0 to 4096", val);
				return -EINVAL;
			}
			o->strmax = (int)v;
		} else if (strcmp(word, "v") == 0 && val == NULL) {
			o->verbose = true;
		} else if (strcmp(word, "X") == 0 && val != NULL) {
			if (strcmp(val, "abbrev") == 0)
				o->xstyle = 0;
			else if (strcmp(val, "raw") == 0)
				o->xstyle = 1;
			else if (strcmp(val, "verbose") == 0)
				o->xstyle = 2;
			else {
				set_err(err, errlen, "X=%s: expected raw, abbrev or verbose", val);
				return -EINVAL;
			}
		} else if ((strcmp(word, "t") == 0 || strcmp(word, "tt") == 0 || strcmp(word, "ttt") == 0) && val == NULL) {
			o->tstamp = (int)strlen(word);
		} else if (strcmp(word, "r") == 0 && val == NULL) {
			o->relative = true;
		} else if (strcmp(word, "T") == 0 && val == NULL) {
			o->timing = true;
		} else if (strcmp(word, "y") == 0 && val == NULL) {
			o->fdpaths = true;
		} else if (strcmp(word, "z") == 0 && val == NULL) {
			o->status = ZP_STATUS_SUCCESSFUL;
		} else if (strcmp(word, "Z") == 0 && val == NULL) {
			o->status = ZP_STATUS_FAILED;
		} else if (strcmp(word, "json") == 0 && val == NULL) {
			o->json = true;
		} else if (strcmp(word, "lines") == 0 && val == NULL) {
			o->lines = true;
		} else if (strcmp(word, "align") == 0 && val == NULL) {
			o->align = true;
		} else if (strcmp(word, "nofollow") == 0 && val == NULL) {
			o->nofollow = true;
		} else if (strcmp(word, "trace") == 0 && val != NULL) {
			if (zp_trace_parse_set(val, o->trace, err, errlen) < 0)
				return -EINVAL;
			o->narrowed = true;
		} else if (strcmp(word, "signal") == 0 && val != NULL) {
			if (zp_trace_parse_sigset(val, &o->sigs, err, errlen) < 0)
				return -EINVAL;
			o->signals = o->sigs != 0;
		} else if (strcmp(word, "status") == 0 && val != NULL) {
			static const char *const names[] = { "successful", "failed", "unfinished",
							     "unavailable", "detached" };
			bool neg = *val == '!';
			unsigned m = 0;
			char *save = NULL;
			for (char *e = strtok_r(val + neg, ",", &save); e; e = strtok_r(NULL, ",", &save)) {
				unsigned bit = 0;
				if (strcmp(e, "all") == 0)
					bit = ZP_STATUS_ALL;
				if (strcmp(e, "none") == 0)
					bit = 0;
				else
					for (unsigned k = 0; k < 5; k++)
						if (strcmp(e, names[k]) == 0)
							bit = 1u << k;
				if (bit == 0 && strcmp(e, "none") != 0) {
					set_err(err, errlen, "status: unknown '%s' (successful, failed, unfinished, unavailable, detached)", e);
					return -EINVAL;
				}
				m |= bit;
			}
			o->status = neg ? ZP_STATUS_ALL & ~m : m;
		} else if ((strcmp(word, "inject") == 0 || strcmp(word, "fault") == 0) && val != NULL) {
			if (o->ninject == ZP_TRACE_MAX_INJECT) {
				set_err(err, errlen, "at most 16 injections%s", "");
				return -EINVAL;
			}
			if (zp_trace_parse_inject(val, word[0] == 'f', &o->inject[o->ninject], err, errlen) < 0)
				return -EINVAL;
			o->ninject++;
		} else if (strcmp(word, "ff") == 0 && val != NULL && *val != '\0') {
			if (strlen(val) >= sizeof(o->ff)) {
				set_err(err, errlen, "ff=%s: path too long", val);
				return -EINVAL;
			}
			strcpy(o->ff, val);
		} else {
			set_err(err, errlen, "unknown tracer option '%s' (see zpoline(1), TRACE OPTIONS)", word);
			return -EINVAL;
		}
	}
	return 0;
}
