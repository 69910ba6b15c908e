/* audit -- a log of what security reviews ask about, one JSON record per
 * event, with who did it:
 *
 *   {"type": "exec", "time": 1796000000.123456, "pid": 42, "ppid": 41, "uid": 0,
 *    "euid": 0, "call": "execve", "path": "/bin/ls", "argv": ["ls", "-l"]}
 *
 * Events: process starts (execve, execveat, with the full argv), credential
 * changes (set*uid, set*gid, setgroups, capset), connects and binds (the
 * address decoded), files opened for writing, unlinks and renames, mounts,
 * ptrace, and module loads. Each record is one trace_write: appended whole
 * to the -o file (opened O_APPEND), never cut by another process's. The
 * runtime keeps the program from closing or replacing that descriptor;
 * writing into it, copying it or changing its flags fails here with EBADF
 * (ownfd.h).
 *
 * The interest set is exactly those calls, the write family, and the
 * ends of threads and processes: the others never reach the hook. The decoders are the tracer's (hooks/tracer/). Options: none. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include <zpoline/hook.h>

#include "ownfd.h"
#include "thread.h"
#include "tracer/decode.h"

static const struct zpoline_init *rt;
static uint64_t interest[ZPOLINE_INTEREST_WORDS];
static int *write_error;        /* in the run's shared memory: said once per run */
static pid_t root;
static const struct tr_fmt json = { .strmax = 4096, .json = true };

enum kind { K_NONE, K_EXEC, K_CREDS, K_NET, K_WRITE, K_REMOVE, K_RENAME, K_MOUNT, K_PTRACE,
	    K_MODULE };

static const struct { long nr; enum kind kind; } events[] = {
	{ SYS_execve, K_EXEC }, { SYS_execveat, K_EXEC },
	{ SYS_setuid, K_CREDS }, { SYS_setgid, K_CREDS }, { SYS_setreuid, K_CREDS },
	{ SYS_setregid, K_CREDS }, { SYS_setresuid, K_CREDS }, { SYS_setresgid, K_CREDS },
	{ SYS_setfsuid, K_CREDS }, { SYS_setfsgid, K_CREDS }, { SYS_setgroups, K_CREDS },
	{ SYS_capset, K_CREDS },
	{ SYS_connect, K_NET }, { SYS_bind, K_NET },
	{ SYS_open, K_WRITE }, { SYS_openat, K_WRITE }, { SYS_creat, K_WRITE },
	{ SYS_unlink, K_REMOVE }, { SYS_unlinkat, K_REMOVE }, { SYS_rmdir, K_REMOVE },
	{ SYS_rename, K_RENAME }, { SYS_renameat, K_RENAME }, { SYS_renameat2, K_RENAME },
	{ SYS_mount, K_MOUNT }, { SYS_umount2, K_MOUNT },
	{ SYS_ptrace, K_PTRACE },
	{ SYS_init_module, K_MODULE }, { SYS_finit_module, K_MODULE }, { SYS_delete_module, K_MODULE },
};

static enum kind kind_of(long nr)
{
	for (size_t i = 0; i < sizeof(events) / sizeof(events[0]); i++)
		if (events[i].nr == nr)
			return events[i].kind;
	return K_NONE;
}

static const char *const kind_names[] = {
	[K_EXEC] = "exec", [K_CREDS] = "creds", [K_NET] = "net", [K_WRITE] = "open_write",
	[K_REMOVE] = "remove", [K_RENAME] = "rename", [K_MOUNT] = "mount", [K_PTRACE] = "ptrace",
	[K_MODULE] = "module",
};

/* writes -- an open that may change a file */
static bool writes(long nr, const long *a)
{
	long flags = nr == SYS_openat ? a[2] : nr == SYS_open ? a[1] : O_WRONLY | O_CREAT;

	return (flags & O_ACCMODE) != O_RDONLY || (flags & (O_CREAT | O_TRUNC));
}

/* this thread's, mapped at its first record and unmapped at its SYS_exit
 * (thread.h: `__thread` data would be allocated with the program's malloc) */
struct audit_thread {
	char text[16384];
	struct tr_thread dec;   /* the decoders' */
};
static __thread struct audit_thread *my_thread THREAD_STATE_TLS;

static struct audit_thread *audit_thread(void)
{
	struct audit_thread *t = my_thread;

	if (__builtin_expect(t == NULL, 0))
		t = thread_state_new((void **)&my_thread, sizeof(*t), "audit");
	return t;
}

struct tr_thread *tr_thread(void)
{
	return &audit_thread()->dec;
}

static void put_path(struct tr_buf *b, const char *key, long addr)
{
	tr_put(b, ", \"%s\": ", key);
	tr_print_str(b, &json, addr, 4096, true);
}

/* record -- one event; ret is the result, or 1 for an exec not yet made */
static void record(enum kind k, long nr, const long *a, long ret, bool done)
{
	char *text = audit_thread()->text;
	struct tr_buf b = { text, 0, sizeof(audit_thread()->text) };
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	tr_put(&b, "{\"type\": \"%s\", \"time\": %ld.%06ld, \"pid\": %d, \"ppid\": %d, \"uid\": %u, "
	       "\"euid\": %u, \"call\": \"%s\"", kind_names[k], (long)ts.tv_sec, ts.tv_nsec / 1000,
	       (int)getpid(), (int)getppid(), (unsigned)getuid(), (unsigned)geteuid(),
	       rt->syscall_name(nr));
	switch (k) {
	case K_EXEC: {
		int p = nr == SYS_execveat ? 1 : 0;
		put_path(&b, "path", a[p]);
		tr_puts(&b, ", \"argv\": [");
		for (int i = 0;; i++) {
			uintptr_t s;
			if (tr_peek(&s, (uintptr_t)a[p + 1] + 8u * (unsigned)i, sizeof(s)) != sizeof(s) || s == 0)
				break;
			tr_puts(&b, i ? ", " : "");
			tr_print_str(&b, &json, (long)s, 4096, false);
		}
		tr_putc(&b, ']');
		break;
	}
	case K_CREDS:
		tr_puts(&b, ", \"args\": [");
		for (int i = 0; i < 3; i++) {
			tr_puts(&b, i ? ", " : "");
			tr_putd(&b, (int)a[i]);
		}
		tr_putc(&b, ']');
		break;
	case K_NET: {
		unsigned char sa[128];
		long len = a[2] > (long)sizeof(sa) ? (long)sizeof(sa) : a[2];
		tr_put(&b, ", \"fd\": %d, \"address\": ", (int)a[0]);
		if (len > 0 && tr_peek(sa, (uintptr_t)a[1], (size_t)len) == len)
			tr_print_sockaddr(&b, &json, sa, (unsigned)len);
		else
			tr_puts(&b, "null");
		break;
	}
	case K_WRITE: {
		int p = nr == SYS_openat ? 1 : 0;
		struct tr_fmt text_flags = { .strmax = 32 };
		char fl[256];
		struct tr_buf f = { fl, 0, sizeof(fl) };
		put_path(&b, "path", a[p]);
		if (nr == SYS_creat)
			tr_puts(&f, "O_WRONLY|O_CREAT|O_TRUNC");
		else
			tr_print_open_flags(&f, &text_flags, a[p + 1]);
		tr_put(&b, ", \"flags\": \"%s\"", fl);
		break;
	}
	case K_REMOVE:
		put_path(&b, "path", nr == SYS_unlinkat ? a[1] : a[0]);
		break;
	case K_RENAME:
		put_path(&b, "from", nr == SYS_rename ? a[0] : a[1]);
		put_path(&b, "to", nr == SYS_rename ? a[1] : a[3]);
		break;
	case K_MOUNT:
		if (nr == SYS_mount) {
			put_path(&b, "source", a[0]);
			put_path(&b, "target", a[1]);
			tr_puts(&b, ", \"fstype\": ");
			tr_print_str(&b, &json, a[2], 64, false);
		} else {
			put_path(&b, "target", a[0]);
		}
		break;
	case K_PTRACE:
		tr_put(&b, ", \"request\": %ld, \"target\": %d", a[0], (int)a[1]);
		break;
	case K_MODULE:
		if (nr == SYS_finit_module)
			tr_put(&b, ", \"fd\": %d", (int)a[0]);
		else if (nr == SYS_delete_module)
			put_path(&b, "name", a[0]);
		break;
	case K_NONE:
		break;
	}
	if (!done) {
		tr_puts(&b, ", \"ret\": null");
	} else if (ret < 0 && ret >= -4095) {
		const char *en = strerrorname_np((int)-ret);
		tr_put(&b, ", \"ret\": -1, \"errno\": \"%s\"", en ? en : "?");
	} else {
		tr_put(&b, ", \"ret\": %ld", ret);
	}
	tr_puts(&b, "}\n");
	long w = rt->trace_write(b.p, b.len);
	if (w < 0 || (size_t)w < b.len)
		ownfd_write_failed(write_error, ownfd_trace, w < 0 ? -w : ENOSPC, "audit");
}

static int audit_enter(struct zpoline_call *call, uint64_t *slot)
{
	enum kind k = kind_of(call->nr);
	long denied = ownfd_check(call);

	*slot = 0;
	if (call->nr == SYS_exit) {
		thread_state_end((void **)&my_thread);
		return ZPOLINE_CALL;
	}
	if (call->nr == SYS_exit_group)
		ownfd_exit_status(write_error, call, root);
	if (denied) {
		call->ret = denied;
		return ZPOLINE_DONE;
	}
	if (k == K_EXEC) {
		/* a successful exec does not come back: the record goes now */
		record(k, call->nr, call->args, 0, false);
		*slot = 1;
	}
	return ZPOLINE_CALL;
}

static void audit_exit(struct zpoline_call *call, uint64_t *slot)
{
	enum kind k = kind_of(call->nr);

	ownfd_moved(call);
	ownfd_opened(call);
	if (k == K_NONE || (k == K_WRITE && !writes(call->nr, call->args)))
		return;
	if (k == K_EXEC) {
		/* it came back: it failed */
		if (*slot)
			record(k, call->nr, call->args, call->ret, true);
		return;
	}
	record(k, call->nr, call->args, call->ret, true);
}

static int audit_init(const struct zpoline_init *in)
{
	rt = in;
	if (in->options[0] != '\0') {
		char msg[300];
		int n = snprintf(msg, sizeof(msg), "zpoline: audit: unknown option '%s' (it takes none)\n",
				 in->options);
		in->trace_write(msg, (unsigned long)n);
		return -EINVAL;
	}
	for (size_t i = 0; i < sizeof(events) / sizeof(events[0]); i++)
		ZPOLINE_WANT(interest, events[i].nr);
	ownfd_init(interest);
	ZPOLINE_WANT(interest, SYS_exit_group);
	ZPOLINE_WANT(interest, SYS_exit);
	static int private_error;
	const char *r = getenv("ZPOLINE_ROOT_PID");
	write_error = in->shared != NULL && in->shared_size >= sizeof(int) ? in->shared : &private_error;
	root = r != NULL ? (pid_t)atoi(r) : getpid();
	return 0;
}

ZPOLINE_HOOK_DEFINE(.flags = ZPOLINE_HOOK_NO_X87, .name = "audit", .init = audit_init,
		    .enter = audit_enter, .exit = audit_exit, .interest = interest);
