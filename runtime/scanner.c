/* scanner.c -- what the cache lacks is scanned and stored there: by the
 * scanner module, loaded into this process in a link namespace of its own
 * and unloaded after, or by the helper process zpoline-scan; this file
 * then loads what they stored, and keeps the cache within its bound once
 * it grew.
 *
 * The module is the default at start-up: it costs no fork and no exec
 * (1 to 2 ms less per start that misses, here), runs where a sandbox
 * refuses to execute the helper (Landlock, seccomp), and its file
 * accesses are the program's own. Its libc, libelf, libdw and
 * Zydis are copies in their own namespace: never in the program's link
 * map, never its allocator, and the runtime's raw start-up state is not
 * disturbed (nothing there is rewritten yet). The helper remains:
 *  - where the module cannot be loaded (no namespace or static TLS left:
 *    glibc has room for 16 namespaces, and each hook takes one);
 *  - alone for a library mapped after start-up (see zp_scan_missing);
 *  - for `zpoline stats --static`, and to keep a crash of libelf on a
 *    hostile file in a process of its own (a program the module scans is
 *    one the loader mapped to run anyway: it dies instead of exiting 125,
 *    and either way it does not run unhooked). */
#include <dirent.h>
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "runtime.h"
#include "scan-module.h"
#include "umalloc.h"

/* zp_runtime_dir -- the directory of libzpoline.so, where its helpers are */
const char *zp_runtime_dir(void)
{
	static char dir[PATH_MAX];
	Dl_info self;

	/* a relative LD_PRELOAD is relative to the directory the program
	 * started in, which it has not left yet at start-up */
	if (dir[0] == '\0' && dladdr((void *)zp_runtime_dir, &self) != 0 && self.dli_fname != NULL &&
	    strchr(self.dli_fname, '/') != NULL &&
	    (self.dli_fname[0] == '/' ? snprintf(dir, sizeof(dir), "%s", self.dli_fname) > 0
				      : realpath(self.dli_fname, dir) != NULL))
		*strrchr(dir, '/') = '\0';
	return dir;
}

/* zp_best_effort -- did the user accept that code nothing could scan runs
 * unhooked (ZPOLINE_BEST_EFFORT=1, --best-effort)? Not from a less
 * privileged user's environment (AT_SECURE). Read once, at start-up,
 * before the runtime's variables leave environ. */
bool zp_best_effort(void)
{
	static int v = -1;

	if (v < 0) {
		const char *s = secure_getenv(ZP_ENV_BEST_EFFORT);
		v = s != NULL && strcmp(s, "1") == 0;
	}
	return v;
}

/* zp_unhooked -- the code of the object path would run with its system
 * calls not hooked, for the reason why: fail closed (status 125, before
 * that code runs) unless the user accepted best effort; then say it once.
 * A sandbox that runs code unhooked while exiting 0 is worse than none. */
void zp_unhooked(const char *path, const char *why)
{
	if (!zp_best_effort())
		zp_fatal(125, "%s: %s, so its system calls would not be hooked; give --best-effort "
			 "(ZPOLINE_BEST_EFFORT=1) to run it unhooked", path, why);
	zp_msg("%s: %s; its system calls are not hooked (best effort)", path, why);
}

/* zp_unrewritten -- code of this process whose calls were not rewritten
 * (an object that could not be scanned or written): with the net armed,
 * its calls reach the hooks through it, slower; else fail closed
 * (zp_unhooked). Not for int $0x80, which the net hands over as other
 * numbers, nor for a program about to be executed, which starts unarmed. */
void zp_unrewritten(const char *path, const char *why)
{
	if (!__atomic_load_n(&zp_sud_on, __ATOMIC_RELAXED))
		zp_unhooked(path, why);
}

/* zp_check_rewritten -- after the rewrite at start-up: an object some of
 * whose sites stayed as they were (a page that could not be written, or
 * bytes that are no system call any more: the file scanned is not the one
 * mapped) runs those calls unhooked */
void zp_check_rewritten(void)
{
	char why[128];

	for (size_t i = 0; zp_stats != NULL && i < zp_nstats; i++) {
		const struct zp_objstat *st = &zp_stats[i];
		if (st->noprot > 0) {
			snprintf(why, sizeof(why), "%u of its system calls could not be rewritten (its pages "
				 "could not be written)", st->noprot);
			zp_unrewritten(st->path, why);
		}
		if (st->changed > 0) {
			snprintf(why, sizeof(why), "%u of its scanned system calls are not in its code in memory "
				 "(the file changed after it was mapped)", st->changed);
			zp_unrewritten(st->path, why);
		}
	}
}

/* run_scanner -- `zpoline-scan store DIR KEY PATH...`: a child process
 * scans what the cache lacks, so this one never loads the decoder. It is
 * a grandchild, started with raw calls and an empty environment (not
 * hooked itself): a child that execs notifies its parent with SIGCHLD
 * whatever exit signal it was given, and the program's handler and wait()
 * must not see it. The intermediate child exits at once, with no signal;
 * the helper holds the write end of a pipe, so end of file says it is
 * done, and a byte, the execve's errno, says it could not even start.
 * Both are CLONE_UNTRACED: a debugger or strace -f following the program
 * is not made to attach to them (gdb took the first for a thread of the
 * program, and its execve for the program's own). */
static int run_scanner(const char *dir, const struct zp_scan_job *jobs, size_t njobs, size_t n)
{
	const size_t hexlen = 2 * sizeof(struct zp_cache_key) + 1;
	char helper[4200];
	char **argv = calloc(2 * n + 4, sizeof(*argv));
	char *hex = malloc(n * hexlen);
	size_t i = 0;
	char *envp[] = { NULL };
	int pipefd[2], r = -ENOMEM;

	snprintf(helper, sizeof(helper), "%s/zpoline-scan", zp_runtime_dir());
	if (argv == NULL || hex == NULL)
		goto out;
	argv[0] = helper;
	argv[1] = "store";
	argv[2] = (char *)dir;
	for (size_t j = 0; j < njobs; j++) {
		const unsigned char *b = (const unsigned char *)jobs[j].key;
		char *h = hex + i * hexlen;
		if (!jobs[j].miss)
			continue;
		for (size_t k = 0; k < sizeof(struct zp_cache_key); k++)
			snprintf(h + 2 * k, 3, "%02x", b[k]);
		argv[3 + 2 * i] = h;
		argv[4 + 2 * i] = (char *)jobs[j].path;
		i++;
	}
	if ((r = (int)zp_raw_syscall(SYS_pipe2, (long)pipefd, O_CLOEXEC, 0, 0, 0, 0)) < 0)
		goto out;
	long pid = zp_raw_syscall(SYS_clone, CLONE_UNTRACED, 0, 0, 0, 0, 0);
	if (pid == 0) {
		if (zp_raw_syscall(SYS_clone, CLONE_UNTRACED, 0, 0, 0, 0, 0) == 0) {
			zp_raw_syscall(SYS_fcntl, pipefd[1], F_SETFD, 0, 0, 0, 0);
			long e = zp_raw_syscall(SYS_execve, (long)helper, (long)argv, (long)envp, 0, 0, 0);
			unsigned char b = e < 0 && e > -256 ? (unsigned char)-e : EIO;
			zp_raw_syscall(SYS_write, pipefd[1], (long)&b, 1, 0, 0, 0);
		}
		zp_raw_syscall(SYS_exit, 0, 0, 0, 0, 0, 0);
	}
	zp_raw_syscall(SYS_close, pipefd[1], 0, 0, 0, 0, 0);
	long got = 0;
	unsigned char c;
	if (pid > 0) {
		while (zp_raw_syscall(SYS_wait4, pid, 0, __WALL, 0, 0, 0) == -EINTR)
			;
		do
			got = zp_raw_syscall(SYS_read, pipefd[0], (long)&c, 1, 0, 0, 0);
		while (got == -EINTR);
	}
	zp_raw_syscall(SYS_close, pipefd[0], 0, 0, 0, 0, 0);
	r = pid < 0 ? (int)pid : got == 1 ? -(int)c : 0;
out:
	free(argv);
	free(hex);
	return r;
}

/* The thread running the module, while it runs: the libraries the module
 * brings are mapped through the loader, a rewritten object, and are not
 * the program's (late.c leaves them alone). */
static pthread_t module_owner;
static bool module_busy;

/* zp_scanner_mapping -- is this thread loading or running the module? */
bool zp_scanner_mapping(void)
{
	return __atomic_load_n(&module_busy, __ATOMIC_ACQUIRE) &&
	       pthread_equal(__atomic_load_n(&module_owner, __ATOMIC_RELAXED), pthread_self());
}

/* run_module -- the scanner module, loaded into a new link namespace,
 * stores the jobs the cache lacks (n of them) in dir, and is unloaded.
 * -ENOEXEC when it could not be loaded (why: dlerror's words). */
static int run_module(const char *dir, const struct zp_scan_job *jobs, size_t njobs, size_t n, char *why,
		      size_t len)
{
	struct zp_cache_key *keys = calloc(n, sizeof(*keys));
	const char **paths = calloc(n, sizeof(*paths));
	char path[PATH_MAX + 32];
	int r = -ENOMEM;
	void *h = NULL;

	if (keys == NULL || paths == NULL)
		goto out;
	for (size_t j = 0, i = 0; j < njobs; j++) {
		if (!jobs[j].miss)
			continue;
		keys[i] = *jobs[j].key;
		paths[i++] = jobs[j].path;
	}
	snprintf(path, sizeof(path), "%s/zpoline-decode.so", zp_runtime_dir());
	__atomic_store_n(&module_owner, pthread_self(), __ATOMIC_RELAXED);
	__atomic_store_n(&module_busy, true, __ATOMIC_RELEASE);
	/* what the loader allocates for the module: from umalloc */
	zp_rtld_alloc_begin();
	h = dlmopen(LM_ID_NEWLM, path, RTLD_NOW | RTLD_LOCAL);
	zp_scan_store_fn *store = h != NULL ? (zp_scan_store_fn *)dlsym(h, ZP_SCAN_STORE_SYM) : NULL;
	if (store == NULL) {
		const char *e = dlerror();
		snprintf(why, len, "%s", e != NULL ? e : "no " ZP_SCAN_STORE_SYM " in it");
		r = -ENOEXEC;
	} else {
		r = store(dir, keys, paths, n, true);
	}
	if (h != NULL)
		dlclose(h);
	zp_rtld_alloc_end();
	__atomic_store_n(&module_busy, false, __ATOMIC_RELEASE);
out:
	free(keys);
	free(paths);
	return r < 0 ? r : 0;
}

/* sweep_private_dirs -- private scan directories (below) that a killed
 * run left in dir: ours, and older than an hour */
static void sweep_private_dirs(const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *de;
	struct stat st;

	while (d != NULL && (de = readdir(d)) != NULL) {
		if (strncmp(de->d_name, "zpoline-", 8) != 0 || strlen(de->d_name) != 14 ||
		    fstatat(dirfd(d), de->d_name, &st, AT_SYMLINK_NOFOLLOW) != 0 || !S_ISDIR(st.st_mode) ||
		    st.st_uid != geteuid() || time(NULL) - st.st_mtime < 3600)
			continue;
		int sub = openat(dirfd(d), de->d_name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		DIR *sd = sub >= 0 ? fdopendir(sub) : NULL;
		struct dirent *se;
		while (sd != NULL && (se = readdir(sd)) != NULL)
			if (se->d_name[0] != '.' || (strcmp(se->d_name, ".") != 0 && strcmp(se->d_name, "..") != 0))
				unlinkat(dirfd(sd), se->d_name, 0);
		if (sd != NULL)
			closedir(sd);
		else if (sub >= 0)
			close(sub);
		unlinkat(dirfd(d), de->d_name, AT_REMOVEDIR);
	}
	if (d != NULL)
		closedir(d);
}

/* scan_dir -- where the helper stores entries: the cache, or with the
 * cache off a private directory (scan_dir_done empties it) */
static const char *scan_dir(const char *cachedir, char *tmp, size_t len)
{
	const char *t = secure_getenv("TMPDIR");
	const char *parent = t != NULL && t[0] == '/' ? t : "/tmp";

	if (cachedir != NULL)
		return cachedir;
	sweep_private_dirs(parent);
	snprintf(tmp, len, "%s/zpoline-XXXXXX", parent);
	return mkdtemp(tmp);
}

/* scan_dir_done -- empty and remove a private scan directory */
static void scan_dir_done(const char *cachedir, const char *dir)
{
	if (dir == NULL || dir == cachedir)
		return;
	DIR *d = opendir(dir);
	struct dirent *de;
	while (d != NULL && (de = readdir(d)) != NULL)
		if (strcmp(de->d_name, ".") != 0 && strcmp(de->d_name, "..") != 0)
			unlinkat(dirfd(d), de->d_name, 0);
	if (d != NULL)
		closedir(d);
	rmdir(dir);
}

/* The cache grew (an entry or an image was made): zp_cache_keep_bound
 * then keeps it within its bound (ZPOLINE_CACHE_MAX; the helper, which
 * runs with no environment, does not know it), at the end of start-up or
 * of a late library. Once a process: it walks the whole cache, and a
 * program loading libraries one by one would walk it for each. */
static bool cache_grew;

/* zp_cache_grew -- an entry or an image was added to the cache */
void zp_cache_grew(void)
{
	__atomic_store_n(&cache_grew, true, __ATOMIC_RELEASE);
}

/* zp_cache_keep_bound -- trim the cache, if it grew, once a process */
void zp_cache_keep_bound(int cachefd)
{
	static bool done;

	if (cachefd >= 0 && __atomic_load_n(&cache_grew, __ATOMIC_ACQUIRE) &&
	    !__atomic_exchange_n(&done, true, __ATOMIC_ACQ_REL))
		zp_cache_trim(cachefd, zp_cache_max());
}

/* zp_scan_missing -- the module (or the helper) scans the jobs the cache
 * lacks (miss set); what it stored is loaded into their scan, got saying
 * whether it was. Negative when nothing could be scanned at all, with why
 * (len bytes) saying what failed and what to do, in a few words. Called
 * with the guard up, the scan is for a library mapped after start-up
 * (late.c): the helper alone then. The module's dlmopen would take the
 * loader's lock under late.c's, while a thread inside dlopen holds the
 * loader's and waits for late.c's (a deadlock), and a namespace made and
 * closed inside another thread's dlopen trips the loader's own checks;
 * where the helper cannot run, the safety net hooks such a library, or
 * it is refused. */
int zp_scan_missing(const char *cachedir, struct zp_scan_job *jobs, size_t njobs, char *why, size_t len)
{
	char tmpbuf[PATH_MAX], modwhy[512] = "";
	const char *dir;
	bool late = zp_tls.guard != 0;
	size_t n = 0;
	int r, fd;

	for (size_t k = 0; k < njobs; k++)
		n += jobs[k].miss;
	if (n == 0)
		return 0;
	dir = scan_dir(cachedir, tmpbuf, sizeof(tmpbuf));
	if (dir == NULL) {
		r = -errno;
		snprintf(why, len, "cannot make a scan directory in %.*s (%s): set TMPDIR to a writable "
			 "directory", (int)(strrchr(tmpbuf, '/') - tmpbuf), tmpbuf, strerror(-r));
	} else {
		/* 1: not tried */
		int module = late ? 1 : run_module(dir, jobs, njobs, n, modwhy, sizeof(modwhy));
		int helper = module != 0 ? run_scanner(dir, jobs, njobs, n) : 1;
		r = helper == 0 || module == 0 ? 0 : helper;
		if (r < 0 && late)
			snprintf(why, len, "cannot run %s/zpoline-scan (%s): %s", zp_runtime_dir(), strerror(-r),
				 r == -ENOENT ? "reinstall zpoline" : "it must be allowed to run");
		else if (r < 0)
			snprintf(why, len, "cannot load the scanner (%s) nor run %s/zpoline-scan (%s): %s",
				 modwhy[0] ? modwhy : strerror(-module), zp_runtime_dir(), strerror(-r),
				 r == -ENOENT ? "reinstall zpoline" : "it must be allowed to run");
	}
	fd = dir != NULL ? zp_cache_open_path(dir) : -1;
	for (size_t k = 0; k < njobs; k++)
		if (jobs[k].miss)
			jobs[k].got = fd >= 0 && zp_cache_load(fd, jobs[k].key, &jobs[k].scan) == 0;
	if (dir == cachedir)
		zp_cache_grew();
	if (fd >= 0)
		close(fd);
	scan_dir_done(cachedir, dir);
	return r;
}
