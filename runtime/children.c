/* children.c -- what the runtime does for the processes the program starts.
 *
 * A program that calls execve with an environment of its own (env -i, a
 * sandbox's launcher) would start the new image without the runtime. The
 * runtime sees that execve: it puts its variables back, in a new
 * environment built in a mapping of its own (the caller may be a vfork
 * child, where malloc is not safe, on a small stack). The program's own
 * environ never shows them (zp_env_hide). With ZPOLINE_FOLLOW=0 (zpoline run --no-follow),
 * children made by fork or clone are not followed, like strace without
 * -f: their calls skip the hooks and their execve drops the runtime. */
#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <link.h>
#include <linux/sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/statvfs.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "contract.h"
#include "page0.h"
#include "runtime.h"
#include "umalloc.h"

bool zp_follow = true;

static const char *const env_names[] = { ZP_ENV_ALL };
#define ZP_VARS (sizeof(env_names) / sizeof(env_names[0]))
/* NAME=value, packed one after another in one block of the heap (pages
 * start-up touches anyway): static buffers big enough for any value would
 * spread the runtime's small variables over pages, each a page fault */
#define SAVED_MAX 4200
static char *saved_vars[ZP_VARS];
static size_t saved_room[ZP_VARS];
static int nsaved;
static char *runtime_path;      /* NULL: children do not get the runtime */
static bool unfollowed;         /* this process is a child we do not follow */
static long my_pid;             /* a vfork child shares our memory, not our pid */

/* the descriptors the runtime made, by variable name */
static struct {
	const char *name;
	char value[16];
} own[2];

void zp_children_own_fd(const char *name, int fd)
{
	for (size_t i = 0; i < sizeof(own) / sizeof(own[0]); i++)
		if (own[i].name == NULL || strcmp(own[i].name, name) == 0) {
			own[i].name = name;
			snprintf(own[i].value, sizeof(own[i].value), "%d", fd);
			return;
		}
}

/* the dynamic loader's file: run as a program, it honours LD_PRELOAD */
static dev_t interp_dev;
static ino_t interp_ino;
/* system_preload -- is the runtime (self) in /etc/ld.so.preload, which
 * the loader honours in secure execution too (set-user-ID programs start
 * hooked)? Read when a set-user-ID program is about to be executed, not at
 * every start (a path walk that finds nothing, 5 us here); the file the
 * child's loader reads then is that one too. As exec_refusal: raw calls
 * (libc's would set the errno of a vfork child's parent) and a small stack
 * (posix_spawn's): the file read into a mapping of its own. */
static bool system_preload(const char *self)
{
	const size_t room = 4096;
	char *save = NULL;
	struct stat a, b;
	bool found = false;

	if (self == NULL || zp_raw_syscall(SYS_newfstatat, AT_FDCWD, (long)self, (long)&a, 0, 0, 0) != 0)
		return false;
	long fd = zp_raw_syscall(SYS_openat, AT_FDCWD, (long)"/etc/ld.so.preload", O_RDONLY | O_CLOEXEC, 0, 0, 0);
	if (fd < 0)
		return false;
	char *buf = (char *)zp_raw_syscall(SYS_mmap, 0, (long)room, PROT_READ | PROT_WRITE,
					   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	long n = (unsigned long)buf > -4096ul ? -1 : zp_raw_syscall(SYS_read, fd, (long)buf, (long)room - 1, 0, 0, 0);
	zp_raw_syscall(SYS_close, fd, 0, 0, 0, 0, 0);
	if (n > 0) {
		buf[n] = '\0';
		for (char *t = strtok_r(buf, " \t\n:", &save); t != NULL && !found; t = strtok_r(NULL, " \t\n:", &save))
			found = zp_raw_syscall(SYS_newfstatat, AT_FDCWD, (long)t, (long)&b, 0, 0, 0) == 0 &&
				a.st_dev == b.st_dev && a.st_ino == b.st_ino;
	}
	if ((unsigned long)buf <= -4096ul)
		zp_raw_syscall(SYS_munmap, (long)buf, (long)room, 0, 0, 0, 0);
	return found;
}

/* interp_path -- the file this program's PT_INTERP names, as mapped */
static const char *interp_path(void)
{
	const ElfW(Phdr) *ph;
	size_t n;
	uintptr_t bias;

	zp_program_phdrs(&ph, &n, &bias);
	for (size_t i = 0; i < n; i++)
		if (ph[i].p_type == PT_INTERP)
			return (const char *)(bias + ph[i].p_vaddr);
	return NULL;
}

static bool interp_known;

/* zp_children_note_file -- a loaded object's file, as keying it found
 * it: the loader names itself by PT_INTERP's path, which is what
 * note_interp would stat again */
void zp_children_note_file(const char *path, const struct stat *st)
{
	const char *interp = interp_known ? NULL : interp_path();

	if (interp != NULL && strcmp(path, interp) == 0) {
		interp_dev = st->st_dev;
		interp_ino = st->st_ino;
		interp_known = true;
	}
}

/* note_interp -- which file this program's PT_INTERP names, unless
 * keying the loaded objects already said */
static void note_interp(void)
{
	const char *interp = interp_known ? NULL : interp_path();
	struct stat st;

	if (interp != NULL && stat(interp, &st) == 0) {
		interp_dev = st.st_dev;
		interp_ino = st.st_ino;
		interp_known = true;
	}
}

/* saved_value -- what children get for the variable name */
static const char *saved_value(const char *name)
{
	for (size_t i = 0; i < sizeof(own) / sizeof(own[0]); i++)
		if (own[i].name != NULL && strcmp(own[i].name, name) == 0)
			return own[i].value;
	return getenv(name);
}

void zp_children_init(const char *self_path)
{
	const char *const *names = env_names;
	const char *f = getenv(ZP_ENV_FOLLOW);

	size_t plen = strlen(self_path), total = plen + 1, used;

	zp_follow = f == NULL || strcmp(f, "0") != 0;
	my_pid = zp_raw_syscall(SYS_getpid, 0, 0, 0, 0, 0, 0);
	note_interp();
	/* room for any descriptor number (zp_children_set_fd) */
#define ROOM(ln, lv) ((ln) + 1 + ((lv) > 11 ? (lv) : 11) + 1)
	for (size_t i = 0; i < ZP_VARS; i++) {
		const char *v = saved_value(names[i]);
		if (v != NULL && strlen(names[i]) + strlen(v) + 2 <= SAVED_MAX)
			total += ROOM(strlen(names[i]), strlen(v));
	}
	char *store = malloc(total);
	if (store == NULL)
		zp_fatal(125, "cannot keep the runtime's variables for the program's children");
	runtime_path = memcpy(store, self_path, plen + 1);
	used = plen + 1;
	for (size_t i = 0; i < ZP_VARS; i++) {
		const char *v = saved_value(names[i]);
		size_t ln = strlen(names[i]), lv = v ? strlen(v) : 0;
		size_t room = ROOM(ln, lv);
		if (v == NULL || ln + lv + 2 > SAVED_MAX)
			continue;
		char *e = store + used;
		memcpy(e, names[i], ln);
		e[ln] = '=';
		memcpy(e + ln + 1, v, lv + 1);
		saved_vars[nsaved] = e;
		saved_room[nsaved] = room;
		used += room;
		nsaved++;
	}
#undef ROOM
}

static bool has_prefix(const char *s, const char *name, size_t len)
{
	return strncmp(s, name, len) == 0 && s[len] == '=';
}

/* set_saved_fd -- NAME=fd in what execve passes on */
void zp_children_set_fd(const char *name, int fd)
{
	size_t len = strlen(name);

	for (int v = 0; v < nsaved; v++)
		if (has_prefix(saved_vars[v], name, len))
			snprintf(saved_vars[v] + len + 1, saved_room[v] - len - 1, "%d", fd);
}

/* names_runtime -- LD_PRELOAD's value (list) names the runtime at self
 * (n bytes) */
static bool names_runtime(const char *list, const char *self, size_t n)
{
	for (const char *p = list; *p != '\0';) {
		size_t len = strcspn(p, ": ");
		if (len == n && strncmp(p, self, n) == 0)
			return true;
		p += len + (p[len] != '\0');
	}
	return false;
}

/* names_other -- does LD_PRELOAD's value (list) name anything but the
 * runtime at self? */
static bool names_other(const char *list, const char *self, size_t n)
{
	for (const char *p = list; *p != '\0';) {
		size_t len = strcspn(p, ": ");
		if (len > 0 && !(len == n && strncmp(p, self, n) == 0))
			return true;
		p += len + (p[len] != '\0');
	}
	return false;
}

/* preload_has_runtime -- LD_PRELOAD=... names our runtime */
static bool preload_has_runtime(const char *entry)
{
	return runtime_path != NULL && names_runtime(entry + 11, runtime_path, strlen(runtime_path));
}

/* preload_keeps_other -- does LD_PRELOAD=... name anything but the
 * runtime? */
static bool preload_keeps_other(const char *entry)
{
	return names_other(entry + 11, runtime_path, strlen(runtime_path));
}

/* zp_env_ours -- what zp_env_hide does with the variable e, for the
 * runtime at self: 1, takes it out (a runtime's variable, or LD_PRELOAD
 * naming the runtime alone); -1, rewrites it (LD_PRELOAD naming the
 * runtime and more); 0, leaves it */
int zp_env_ours(const char *e, const char *self)
{
	/* the first byte first: most of an environment is not ours, and one
	 * byte tells (every name of ours begins ZPOLINE_, LD_PRELOAD L) */
	static bool first[256], known;
	if (!known) {
		for (size_t v = 0; v < ZP_VARS; v++)
			first[(unsigned char)env_names[v][0]] = true;
		first['L'] = known = true;
	}
	if (!first[(unsigned char)e[0]])
		return 0;
	for (size_t v = 0; v < ZP_VARS; v++)
		if (e[0] == env_names[v][0] && has_prefix(e, env_names[v], strlen(env_names[v])))
			return 1;
	if (!has_prefix(e, "LD_PRELOAD", 10) || !names_runtime(e + 11, self, strlen(self)))
		return 0;
	return names_other(e + 11, self, strlen(self)) ? -1 : 1;
}

size_t zp_preload_without(char *dst, const char *e, const char *self)
{
	size_t len = 11, n = strlen(self);
	const char *p = e + 11;

	memmove(dst, "LD_PRELOAD=", len);
	/* the launcher's "RUNTIME:the user's value": that value, as it was,
	 * unless it names the runtime again */
	if (strncmp(p, self, n) == 0 && p[n] == ':' && !names_runtime(p + n + 1, self, n)) {
		size_t rest = strlen(p + n + 1);
		memmove(dst + len, p + n + 1, rest + 1);
		return len + rest;
	}
	/* else each other entry, after the separators that came before it
	 * (none before the first): never past what is read */
	bool first = true;
	while (*p != '\0') {
		const char *sep = p;
		p += strspn(p, ": ");
		size_t l = strcspn(p, ": ");
		if (l > 0 && !(l == n && strncmp(p, self, l) == 0)) {
			if (!first) {
				memmove(dst + len, sep, (size_t)(p - sep));
				len += (size_t)(p - sep);
			}
			memmove(dst + len, p, l);
			len += l;
			first = false;
		}
		p += l;
	}
	dst[len] = '\0';
	return len;
}

/* zp_env_hide -- the program's environ without the runtime's variables,
 * and LD_PRELOAD without the runtime (none at all if that was all of it),
 * as natively: execve puts them back for the images it starts. The array
 * is edited in place, as unsetenv() does (libc sets environ to it again
 * after this runs: see main.c); the strings are the originals. */
void zp_env_hide(void)
{
	extern char **environ;
	size_t k = 0, plen = 0;
	char *room = NULL;

	if (environ == NULL || runtime_path == NULL)
		return;
	/* room only for an entry that keeps something once ours is out: the
	 * usual LD_PRELOAD (the runtime alone) is dropped, and a mapping for
	 * it would be one more system call and a fresh page a start */
	for (size_t i = 0; environ[i] != NULL; i++)
		if (zp_env_ours(environ[i], runtime_path) < 0)
			plen += strlen(environ[i]) + 1;
	if (plen != 0) {
		/* the raw call: the hooks are running, and this is not the
		 * program's; room for the LD_PRELOAD entries rewritten */
		room = (char *)zp_raw_syscall(SYS_mmap, 0, (long)plen, PROT_READ | PROT_WRITE,
					      MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		if ((unsigned long)room > -4096ul)
			return;
	}
	for (size_t i = 0; environ[i] != NULL; i++) {
		char *e = environ[i];
		int ours = zp_env_ours(e, runtime_path);
		if (ours > 0)
			continue;
		if (ours < 0) {
			char *preload = room;
			room += zp_preload_without(preload, e, runtime_path) + 1;
			e = preload;
		}
		environ[k++] = e;
	}
	environ[k] = NULL;
}

/* check_preloads -- an image started with other LD_PRELOAD entries, or
 * LD_AUDIT modules, runs their code (constructors, IFUNC resolvers) before
 * the runtime's constructor, unhooked: refused unless best effort was
 * accepted, as `zpoline run` refuses them for the program itself */
static void check_preloads(char **envp, size_t n)
{
	static char entry[256];

	if (zp_best_effort())
		return;
	for (size_t i = 0; i < n; i++) {
		const char *e = envp[i];
		/* the value from the '=' (e + 9 read as past "LD_AUDIT" to gcc
		 * 12, which took e for the literal strncmp compared it with) */
		const char *audit = has_prefix(e, "LD_AUDIT", 8) ? strchr(e, '=') + 1 : NULL;
		if (audit != NULL && audit[strspn(audit, " :")] != '\0')
			zp_unhooked(e, "an executed program would load this audit module before the runtime");
		if (!has_prefix(e, "LD_PRELOAD", 10))
			continue;
		for (const char *p = e + 11; *p != '\0';) {
			size_t l = strcspn(p, ": ");
			if (l > 0 && !(l == strlen(runtime_path) && strncmp(p, runtime_path, l) == 0)) {
				snprintf(entry, sizeof(entry), "%.*s", (int)l, p);
				zp_unhooked(entry, "LD_PRELOAD names it for an executed program, whose loader "
					    "runs its code before the runtime's");
			}
			p += l + (p[l] != '\0');
		}
	}
}

/* has_interp -- among the n program headers of size each at off in the
 * ELF file at fd (32- or 64-bit: p_type leads both), a PT_INTERP: 1, 0
 * for none, -1 where one cannot be read */
static int has_interp(long fd, uint64_t off, unsigned n, size_t each)
{
	union {
		Elf32_Phdr p32;
		Elf64_Phdr p64;
	} ph;

	_Static_assert(offsetof(Elf32_Phdr, p_type) == 0 && offsetof(Elf64_Phdr, p_type) == 0, "p_type");
	for (unsigned i = 0; i < n && i < 512; i++) {
		if (each > sizeof(ph) ||
		    zp_raw_syscall(SYS_pread64, fd, (long)&ph, (long)each, (long)(off + i * each), 0, 0) != (long)each)
			return -1;
		if (ph.p64.p_type == PT_INTERP)
			return 1;
	}
	return 0;
}

/* foreign_loader -- the ELF file at fd, whose header h holds, is a 32-bit
 * dynamic loader (i386's ld-linux.so.2, x32's): a shared object with no
 * PT_INTERP of its own */
static bool foreign_loader(long fd, const void *h)
{
	const Elf32_Ehdr *eh = h;

	return eh->e_ident[EI_CLASS] == ELFCLASS32 && eh->e_type == ET_DYN && eh->e_phentsize == sizeof(Elf32_Phdr) &&
	       eh->e_phnum > 0 && has_interp(fd, eh->e_phoff, eh->e_phnum, sizeof(Elf32_Phdr)) == 0;
}

/* exec_refusal -- why the image an execve would start cannot load the
 * runtime (then it runs unhooked), or NULL: a program the loader runs in
 * secure mode (set-user-ID or set-group-ID for another user, file
 * capabilities), which ignores LD_PRELOAD; one that is statically linked
 * or not x86-64, which has no loader to honour it. A script's interpreter
 * is checked instead. Raw calls and a small stack: this may be a vfork
 * child. A file that cannot be read is the kernel's to refuse, or the new
 * image's runtime's (it fails closed when nothing can scan it). Between
 * this check and the kernel's exec, the program could swap the file. */
static const char *exec_refusal(long dirfd, const char *path, long flags, int depth, bool *loader)
{
	union {
		ElfW(Ehdr) eh;
		char line[256];
	} h;
	struct stat st;
	struct statfs sf;
	const char *why = NULL;
	bool owned = !(path[0] == '\0' && (flags & AT_EMPTY_PATH));
	long fd = owned ? zp_raw_syscall(SYS_openat, dirfd, (long)path,
				       O_RDONLY | O_NONBLOCK | O_CLOEXEC |
				       (flags & AT_SYMLINK_NOFOLLOW ? O_NOFOLLOW : 0), 0, 0, 0)
		      : dirfd;

	if (fd < 0 || zp_raw_syscall(SYS_fstat, fd, (long)&st, 0, 0, 0, 0) != 0 || !S_ISREG(st.st_mode))
		goto out;
	long uid = zp_raw_syscall(SYS_getuid, 0, 0, 0, 0, 0, 0), gid = zp_raw_syscall(SYS_getgid, 0, 0, 0, 0, 0, 0);
	bool nosuid = zp_raw_syscall(SYS_fstatfs, fd, (long)&sf, 0, 0, 0, 0) == 0 && (sf.f_flags & ST_NOSUID);
	if (!nosuid && (((st.st_mode & S_ISUID) && (long)st.st_uid != uid) ||
			((st.st_mode & S_ISGID) && (st.st_mode & S_IXGRP) && (long)st.st_gid != gid)) &&
	    !system_preload(runtime_path)) {
		why = "is set-user-ID or set-group-ID: the dynamic loader ignores LD_PRELOAD for it";
		goto out;
	}
	if (!nosuid && uid != 0 &&
	    zp_raw_syscall(SYS_fgetxattr, fd, (long)"security.capability", 0, 0, 0, 0) > 0 &&
	    !system_preload(runtime_path)) {
		why = "has file capabilities: the dynamic loader ignores LD_PRELOAD for it";
		goto out;
	}
	long n = zp_raw_syscall(SYS_pread64, fd, (long)&h, sizeof(h) - 1, 0, 0, 0);
	if (n > 2 && h.line[0] == '#' && h.line[1] == '!') {
		/* a script: what runs is its interpreter */
		h.line[n] = '\0';
		char *interp = h.line + 2 + strspn(h.line + 2, " \t");
		interp[strcspn(interp, " \t\n")] = '\0';
		if (depth == 0 && interp[0] != '\0')
			why = exec_refusal(AT_FDCWD, interp, 0, 1, NULL);
		goto out;
	}
	if (n < (long)sizeof(h.eh) || memcmp(h.eh.e_ident, ELFMAG, SELFMAG) != 0)
		goto out;       /* not an ELF file: the kernel's to refuse */
	if (h.eh.e_ident[EI_CLASS] != ELFCLASS64 || h.eh.e_machine != EM_X86_64) {
		why = "is not an x86-64 program: the runtime cannot be loaded into it";
		if (loader != NULL)
			*loader = foreign_loader(fd, &h);
		goto out;
	}
	if (st.st_dev == interp_dev && st.st_ino == interp_ino)
		goto out;       /* the loader run as a program loads the runtime */
	if (has_interp(fd, h.eh.e_phoff, h.eh.e_phnum, sizeof(ElfW(Phdr))) != 1)
		why = "is statically linked: LD_PRELOAD cannot load the runtime into it";
out:
	if (owned && fd >= 0)
		zp_raw_syscall(SYS_close, fd, 0, 0, 0, 0, 0);
	return why;
}

static bool loader_query(uintptr_t argv);

/* check_exec -- refuse (zp_unhooked) an execve whose image would run
 * unhooked. Not a 32-bit dynamic loader asked a question (ldd asks each
 * loader it knows for its version, then whether it handles the file:
 * the loader's code alone runs, and reads the file), unless a hook
 * enforces a policy. */
static void check_exec(long nr, long a1, long a2, long a3, long a5)
{
	static char name[4200];
	const char *path = (const char *)(nr == SYS_execve ? a1 : a2);
	long dirfd = nr == SYS_execve ? AT_FDCWD : a1, flags = nr == SYS_execve ? 0 : a5;
	bool loader = false;

	if (path == NULL || zp_page0_low((uintptr_t)path))
		return;
	const char *why = exec_refusal(dirfd, path, flags, 0, &loader);
	if (why == NULL)
		return;
	if (loader && !zp_hooks_enforce() && loader_query((uintptr_t)(nr == SYS_execve ? a2 : a3)))
		return;
	if (path[0] == '\0')
		snprintf(name, sizeof(name), "the program of descriptor %ld", dirfd);
	else
		snprintf(name, sizeof(name), "%s", path);
	zp_unhooked(name, why);
}

/* The environment an execve passes is built in a mapping of its own: the
 * caller may be a vfork child (no malloc) on a small stack (posix_spawn's).
 * When the exec succeeds in a vfork child, the mapping stays in its
 * parent's memory, which then unmaps it (zp_exec_map_release). */
static char **exec_map(struct zp_thread *t, size_t len)
{
	void *p = (void *)zp_raw_syscall(SYS_mmap, 0, (long)len, PROT_READ | PROT_WRITE,
					 MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if ((unsigned long)p > -4096ul)
		return NULL;
	t->exec_map = p;
	t->exec_map_len = len;
	return p;
}

void zp_exec_map_release(struct zp_thread *t)
{
	if (t->exec_map == NULL)
		return;
	zp_raw_syscall(SYS_munmap, (long)t->exec_map, (long)t->exec_map_len, 0, 0, 0, 0);
	t->exec_map = NULL;
}

/* Beyond these, an exec fails whatever the memory holds: a string longer
 * than MAX_ARG_STRLEN (32 pages; a path, PATH_MAX) is E2BIG
 * (ENAMETOOLONG), and more pointers than the stack's 6 MiB limit for them
 * hold, E2BIG */
#define EXEC_STR_MAX (1ul << 18)
#define EXEC_VEC_MAX (1ul << 20)

/* in_trampoline -- p lies in the trampoline's pages (page 0, the literal
 * page), natively a hole; the pages between them are the program's */
static bool in_trampoline(uintptr_t p)
{
	return zp_page0_mapped && (p < ZP_PAGE_SIZE || (p >= ZP_LITERAL_PAGE && p < ZP_LITERAL_PAGE + ZP_PAGE_SIZE));
}

/* readable_word -- the program's 8 bytes at p, if they can be read and lie
 * outside the trampoline's pages */
static bool readable_word(uintptr_t p, uint64_t *w)
{
	return !in_trampoline(p) && !in_trampoline(p + 7) && zp_probe_copy(w, (const void *)p, 1) == 0;
}

/* readable_str -- the program's string at s can be read up to its NUL:
 * aligned words, each inside the pages the string's bytes lie in */
static bool readable_str(const char *s)
{
	uintptr_t w = (uintptr_t)s & ~(uintptr_t)7;
	unsigned skip = (unsigned)((uintptr_t)s & 7);

	for (size_t n = 0; n < EXEC_STR_MAX; n += 8, w += 8, skip = 0) {
		uint64_t v;
		if (!readable_word(w, &v))
			return false;
		for (unsigned b = skip; b < 8; b++)
			if (((v >> (8 * b)) & 0xff) == 0)
				return true;
	}
	return false;
}

/* loader_query -- the argument vector at argv asks a dynamic loader a
 * question and names no program to run: --verify, --version, --help,
 * --list-tunables or --list-diagnostics first */
static bool loader_query(uintptr_t argv)
{
	static const char *const queries[] = { "--verify", "--version", "--help", "--list-tunables",
					       "--list-diagnostics" };
	uint64_t first;

	if (argv == 0 || !readable_word(argv + 8, &first) || first == 0 || !readable_str((const char *)first))
		return false;
	for (size_t i = 0; i < sizeof(queries) / sizeof(queries[0]); i++)
		if (strcmp((const char *)first, queries[i]) == 0)
			return true;
	return false;
}

/* readable_vec -- the program's NULL-terminated array v (NULL: none) can
 * be read, and its strings too when strings */
static bool readable_vec(char *const *v, bool strings)
{
	if (v == NULL)
		return true;
	for (size_t i = 0; i < EXEC_VEC_MAX; i++) {
		uint64_t p;
		if (!readable_word((uintptr_t)(v + i), &p))
			return false;
		if (p == 0)
			return true;
		if (strings && !readable_str((const char *)(uintptr_t)p))
			return false;
	}
	return false;
}

/* zp_exec_with_env -- the environment the new image gets: the program's, with
 * the runtime's variables put back (or, for an unfollowed child, taken
 * out) */
long zp_exec_with_env(long nr, long a1, long a2, long a3, long a4, long a5, long a6)
{
	struct zp_thread *t = &zp_tls;
	char **envp = (char **)(nr == SYS_execve ? a3 : a4);
	char **argv = (char **)(nr == SYS_execve ? a2 : a3);
	size_t n = 0, oldlen = 0;

	/* a path, arrays or strings the program cannot read (in the
	 * trampoline's pages, unmapped or unreadable, or longer than any exec
	 * takes): the kernel must fail on them as natively
	 * (EFAULT, or ENOENT first), and this code must not read them */
	const char *path = (const char *)(nr == SYS_execve ? a1 : a2);
	bool bad = !readable_vec(argv, zp_page0_mapped) || !readable_vec(envp, true) ||
		   (path != NULL && !readable_str(path));
	if (bad && zp_page0_mapped) {
		const long a[6] = { a1, a2, a3, a4, a5, a6 };
		return zp_page0_call(nr, a);
	}
	if (bad)
		return zp_kernel_call(nr, a1, a2, a3, a4, a5, a6);
	while (envp != NULL && envp[n] != NULL)
		n++;
	if (runtime_path == NULL)
		return zp_kernel_call(nr, a1, a2, a3, a4, a5, a6);
	/* the loader asked to list a program's libraries (ldd): it runs none
	 * of their code, ours included, and exits; with the runtime added it
	 * would list it too. Such an image gets the program's environment
	 * as it is (checked as any other: a program the loader does not run
	 * still is refused) */
	bool listing = false;
	for (size_t i = 0; i < n; i++)
		listing |= strncmp(envp[i], "LD_TRACE_LOADED_OBJECTS=", 24) == 0;
	int npreload = 0;
	for (size_t i = 0; i < n; i++)
		if (has_prefix(envp[i], "LD_PRELOAD", 10)) {
			oldlen += strlen(envp[i]);
			npreload++;
		}
	/* the array, then the new LD_PRELOAD entries, one after another (an
	 * environment may hold several: the loader takes the last, getenv
	 * the first), or the one added where there was none */
	size_t plen = (size_t)(npreload + 1) * (strlen(runtime_path) + 16) + oldlen;
	char **out = exec_map(t, (n + ZP_VARS + 2) * sizeof(char *) + plen);
	if (out == NULL)
		return -ENOMEM;
	char *preload = (char *)(out + n + ZP_VARS + 2);
	size_t k = 0;
	bool keep = zp_follow ||
		    (!unfollowed && zp_raw_syscall(SYS_getpid, 0, 0, 0, 0, 0, 0) == my_pid);
	bool preload_done = false;
	char *tail = NULL;

	if (keep) {
		check_preloads(envp, n);
		check_exec(nr, a1, a2, a3, a5);
	}
	if (listing) {
		zp_exec_map_release(t);
		return zp_kernel_call(nr, a1, a2, a3, a4, a5, a6);
	}

	for (size_t i = 0; i < n; i++) {
		const char *e = envp[i];
		if (has_prefix(e, "LD_PRELOAD", 10)) {
			char *entry = (char *)e;
			if (keep && !preload_has_runtime(e)) {
				int len = snprintf(preload, plen, "LD_PRELOAD=%s%s%s", runtime_path,
						   e[11] ? ":" : "", e + 11);
				entry = preload;
				preload += len + 1;
				plen -= (size_t)len + 1;
			}
			/* the entry naming the runtime alone goes last, after
			 * the runtime's variables: the new image's runtime then
			 * ends what /proc/PID/environ shows before all of them
			 * (procenv.c); one of several keeps its place, which
			 * decides which one the loader takes */
			if (keep && npreload == 1 && !preload_keeps_other(entry))
				tail = entry;
			else if (keep || !preload_has_runtime(e))
				out[k++] = entry;
			/* an unfollowed child drops the entry with the runtime */
			preload_done = true;
			continue;
		}
		/* a followed child gets the runtime's variables as this
		 * process started with them, whatever the program set: a
		 * program that sets ZPOLINE_EXCLUDE=*, another ZPOLINE_HOOK or
		 * ZPOLINE_BEST_EFFORT=1 for its children (or starts a `zpoline
		 * run` of its own) must not unhook them */
		bool ours = false;
		for (size_t v = 0; keep && v < ZP_VARS; v++)
			ours |= has_prefix(e, env_names[v], strlen(env_names[v]));
		for (int v = 0; !keep && v < nsaved; v++)
			ours |= has_prefix(e, saved_vars[v], strcspn(saved_vars[v], "="));
		if (!ours)
			out[k++] = (char *)e;
	}
	if (keep) {
		for (int v = 0; v < nsaved; v++)
			out[k++] = saved_vars[v];
		if (tail != NULL)
			out[k++] = tail;
		if (!preload_done) {
			snprintf(preload, plen, "LD_PRELOAD=%s", runtime_path);
			out[k++] = preload;
		}
	}
	out[k] = NULL;
	long r = nr == SYS_execve ? zp_kernel_call(nr, a1, a2, (long)out, a4, a5, a6)
				  : zp_kernel_call(nr, a1, a2, a3, (long)out, a5, a6);
	/* it failed: the mapping is still ours */
	zp_exec_map_release(t);
	return r;
}

/* zp_child_started -- in a child made by fork or clone (not a thread) */
void zp_child_started(void)
{
	/* Syscall User Dispatch is not inherited by fork */
	zp_sud_arm_thread();
	my_pid = zp_raw_syscall(SYS_getpid, 0, 0, 0, 0, 0, 0);
	zp_page0_forked();
	zp_umalloc_forked();
	if (!zp_follow) {
		unfollowed = true;
		zp_hooks_detach();
	}
}

/* zp_clone_child -- stub.S, in the child of a clone with a stack of its
 * own, before it returns to the site */
void zp_clone_child(uint64_t flags)
{
	struct zp_thread *t = &zp_tls;

	zp_signal_cloned(flags);
	if (!(flags & CLONE_VM)) {
		/* a process of its own (fork-like, as container runtimes
		 * clone): its copy of our state says it is inside a hook */
		t->guard = 0;
		t->frame = NULL;
		t->xarea = NULL;
		zp_child_started();
		return;
	}
	/* posix_spawn's child shares our memory, thread state included,
	 * while we wait for it to exec: its calls are the program's, not
	 * the hooks' under --no-follow (our clone restores the guard) */
	if ((flags & CLONE_VFORK) && !(flags & CLONE_SETTLS)) {
		t->guard = zp_follow ? 0 : ZP_GUARD_UNFOLLOWED;
		if (!zp_follow)
			return;
	}
	/* a thread under --no-follow is not followed either, as strace
	 * without -f traces the first thread alone: no hooks, the runtime's
	 * handling (its zp_tls, which started zeroed; a child on our own
	 * thread state, with no TLS of its own, cannot be told apart). Not
	 * under a hook that enforces a policy: a thread shares the memory
	 * the policy guards, and would be a way around it */
	if (!zp_follow && (flags & CLONE_SETTLS) && !zp_hooks_enforce()) {
		t->guard = ZP_GUARD_UNFOLLOWED;
		t->unfollowed = true;
		/* in sud mode, or with the net, its calls still reach the
		 * runtime (Syscall User Dispatch is not inherited): one that
		 * closed the runtime's descriptors went to the kernel */
		zp_sud_arm_thread();
		return;
	}
	/* a thread of its own: the hooks' libc's per-thread state */
	if (flags & CLONE_SETTLS)
		zp_hooks_thread();
	zp_sud_arm_thread();
}

/* zp_in_vfork_child -- a vfork child: it shares our memory, not our pid */
bool zp_in_vfork_child(void)
{
	return my_pid != 0 && zp_raw_syscall(SYS_getpid, 0, 0, 0, 0, 0, 0) != my_pid;
}
