/* procenv.c -- /proc/PID/environ without the runtime's variables.
 *
 * zp_env_hide takes them out of the program's environ, but the kernel
 * shows another view: /proc/PID/environ (ps e, tools that inspect other
 * processes) reads the process's memory from mm->env_start to
 * mm->env_end, the strings exec laid out after the argument strings, in
 * the order of the environment it was given. `zpoline run` and the
 * runtime's execve put the runtime's variables last, so moving env_end
 * back to the end of the program's last variable leaves them out; their
 * bytes stay where they are, just past it (getenv still finds them).
 *
 * PR_SET_MM_MAP (no privilege needed while exe_fd is -1) sets every field
 * of the map at once: each other one must be passed as it is. Reading
 * them from /proc/self/stat costs tens of microseconds, most of a start,
 * so they are worked out as the kernel set them (fs/binfmt_elf.c
 * load_elf_binary and create_elf_tables):
 *
 *   start_stack           the address of argc: below argv on the stack
 *   arg_start             argv[0]; the argument strings lie one after
 *   arg_end = env_start   another up to the environment's
 *   env_end               AT_EXECFN, the program's path, copied first
 *                         and so just above the environment's strings
 *   start_code, end_code  the lowest p_vaddr, the highest p_vaddr +
 *                         p_filesz of the executable PT_LOADs, biased
 *   start_data, end_data  the same over every PT_LOAD (the highest
 *                         p_vaddr, the highest p_vaddr + p_filesz)
 *   brk                   brk(0)
 *   start_brk             the same while nothing has grown the heap:
 *                         start_brk is page aligned, at or above the
 *                         page-aligned end of the last segment, and the
 *                         heap's pages are mapped from it to brk
 *
 * This runs first in the constructor, before the runtime allocates and
 * before any code but the loader's and IFUNC resolvers has run: one
 * thread, whose argv, auxv and brk are still the kernel's. A field that
 * cannot be known so (the loader run as a program, `ld.so ./prog`, which
 * moves argv and grows the heap; a heap already grown) comes from
 * /proc/self/stat instead. Only the run of the runtime's variables that
 * ends the environment is cut; ones among the program's (an environment
 * made by hand) are first moved after them where that is safe (gather).
 * LD_PRELOAD naming the runtime and another library is written without
 * the runtime in its place where that is safe (gather too). Nothing
 * changes when the kernel refuses (no CONFIG_CHECKPOINT_RESTORE, a
 * seccomp filter): gather tries the map as it is before it moves
 * anything.
 */
#include <dlfcn.h>
#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <link.h>
#include <linux/prctl.h>
#include <string.h>
#include <sys/auxv.h>
#include <sys/prctl.h>
#include <sys/syscall.h>

#include "runtime.h"

#define PAGE 4096ul

/* derive_image -- start_code, end_code, start_data and end_data as
 * load_elf_binary computed them from the executable's PT_LOADs */
static bool derive_image(struct prctl_mm_map *m)
{
	const ElfW(Phdr) *ph;
	size_t n;
	uintptr_t bias;
	uint64_t scode = ~0ull, ecode = 0, sdata = 0, edata = 0;

	if (!zp_program_phdrs(&ph, &n, &bias))
		return false;
	for (size_t i = 0; i < n; i++) {
		if (ph[i].p_type != PT_LOAD)
			continue;
		uint64_t start = ph[i].p_vaddr, end = ph[i].p_vaddr + ph[i].p_filesz;
		if ((ph[i].p_flags & PF_X) && start < scode)
			scode = start;
		if ((ph[i].p_flags & PF_X) && end > ecode)
			ecode = end;
		if (start > sdata)
			sdata = start;
		if (end > edata)
			edata = end;
	}
	if (scode == ~0ull)
		return false;
	m->start_code = scode + bias;
	m->end_code = ecode + bias;
	m->start_data = sdata + bias;
	m->end_data = edata + bias;
	return true;
}

/* image_brk -- the page-aligned end of the executable's last segment,
 * where exec put the break before randomising it upwards (0: unknown) */
static uint64_t image_brk(void)
{
	const ElfW(Phdr) *ph;
	size_t n;
	uintptr_t bias;
	uint64_t end = 0;
	bool known = zp_program_phdrs(&ph, &n, &bias);

	for (size_t i = 0; i < n; i++)
		if (ph[i].p_type == PT_LOAD && ph[i].p_vaddr + ph[i].p_memsz > end)
			end = ph[i].p_vaddr + ph[i].p_memsz;
	return known && end != 0 ? (end + bias + PAGE - 1) & ~(PAGE - 1) : 0;
}

/* derive_brk -- start_brk and brk, if the heap is certainly as exec left
 * it (start_brk == brk) */
static bool derive_brk(struct prctl_mm_map *m)
{
	unsigned char vec;
	long brk = zp_raw_syscall(SYS_brk, 0, 0, 0, 0, 0, 0);

	/* grown by less than a page, or not at all known */
	if (brk <= (long)PAGE || (brk & (PAGE - 1)) != 0)
		return false;
	/* grown: the heap's pages are mapped from start_brk to brk; not
	 * grown, the page below brk is the gap randomisation left, or the
	 * last segment's when exec did not randomise */
	long r = zp_raw_syscall(SYS_mincore, brk - (long)PAGE, PAGE, (long)&vec, 0, 0, 0);
	if (r != -ENOMEM && (uint64_t)brk != image_brk())
		return false;
	m->start_brk = m->brk = (uint64_t)brk;
	return true;
}

/* derive_strings -- start_stack and the argument and environment strings'
 * bounds, from the initial stack: the arguments' strings one after
 * another from argv[0], the environment's up to AT_EXECFN */
static bool derive_strings(struct prctl_mm_map *m, int argc, char **argv)
{
	const char *execfn = (const char *)getauxval(AT_EXECFN);

	if (argc < 1 || argv == NULL || execfn == NULL)
		return false;
	const char *p = argv[0];
	for (int i = 0; i < argc; i++) {
		if (argv[i] != p)
			return false;
		p += strlen(p) + 1;
	}
	if (p > execfn)
		return false;
	m->start_stack = (uintptr_t)(argv - 1);
	m->arg_start = (uintptr_t)argv[0];
	m->arg_end = m->env_start = (uintptr_t)p;
	m->env_end = (uintptr_t)execfn;
	return true;
}

/* field -- the number after the nth space of s (0 if none) */
static uint64_t field(const char *s, int nth)
{
	for (; nth > 0 && *s != '\0'; s++)
		nth -= *s == ' ';
	uint64_t v = 0;
	for (; *s >= '0' && *s <= '9'; s++)
		v = v * 10 + (uint64_t)(*s - '0');
	return v;
}

/* read_stat -- every field from /proc/self/stat (26-28, 45-51), and brk */
static bool read_stat(struct prctl_mm_map *m)
{
	char buf[1024];
	long fd = zp_raw_syscall(SYS_openat, AT_FDCWD, (long)"/proc/self/stat", O_RDONLY | O_CLOEXEC, 0, 0, 0);
	long n = fd >= 0 ? zp_raw_syscall(SYS_read, fd, (long)buf, sizeof(buf) - 1, 0, 0, 0) : -1;

	if (fd >= 0)
		zp_raw_syscall(SYS_close, fd, 0, 0, 0, 0, 0);
	if (n <= 0)
		return false;
	buf[n] = '\0';
	/* after the command's name, which may hold spaces: field 3 on */
	const char *s = strrchr(buf, ')');
	if (s == NULL)
		return false;
	s++;
	m->start_code = field(s, 26 - 2);
	m->end_code = field(s, 27 - 2);
	m->start_stack = field(s, 28 - 2);
	m->start_data = field(s, 45 - 2);
	m->end_data = field(s, 46 - 2);
	m->start_brk = field(s, 47 - 2);
	m->arg_start = field(s, 48 - 2);
	m->arg_end = field(s, 49 - 2);
	m->env_start = field(s, 50 - 2);
	m->env_end = field(s, 51 - 2);
	m->brk = (uint64_t)zp_raw_syscall(SYS_brk, 0, 0, 0, 0, 0, 0);
	/* the kernel shows 0 for what it will not tell */
	return m->start_code != 0 && m->start_stack != 0 && m->arg_start != 0 && m->env_end != 0 &&
	       m->start_brk != 0;
}

/* cut -- where the environment's strings in [start, end) should end for
 * the runtime at self: before the run of the runtime's variables that
 * ends them (0: none ends them). Read from the end: only that run, not
 * the whole environment, however large. */
static uint64_t cut(uint64_t start, uint64_t end, const char *self)
{
	const char *s = (const char *)start, *e = (const char *)end;
	uint64_t at = 0;

	if (e <= s || e[-1] != '\0')
		return 0;
	while (e > s) {
		/* the last string left: from after the NUL before it */
		const char *b = e - 1;
		while (b > s && b[-1] != '\0')
			b--;
		if (zp_env_ours(b, self) <= 0)
			break;
		at = (uint64_t)b;
		e = b;
	}
	return at;
}

/* The runtime's variables among the program's (an environment made by
 * hand: bash puts those of `VAR=value prog` first) would stay in view, as
 * only a run of them that ends the environment can be cut. So the strings
 * are moved first, the program's down in their order and ours after them,
 * and environ's entries follow their strings. That is safe only while
 * nothing else holds a pointer to a string that moves: nothing but the
 * loader, libc's start and IFUNC resolvers has run (this is the first
 * initialiser), and the loader keeps such pointers only to the values of
 * LD_PROFILE, LD_PROFILE_OUTPUT, LD_ORIGIN_PATH and LD_TRACE_PRELINKING
 * (LD_LIBRARY_PATH's it copies), glibc to GLIBC_TUNABLES' (whose entry in
 * environ is a copy). So nothing moves where a string to move is one of
 * those, or is
 * not the string of exactly one entry of environ, or where code of
 * another's ran before (DT_PREINIT_ARRAY functions, an LD_AUDIT module,
 * the constructor of a library linked -z initfirst: the loader runs the
 * last such object it loaded first, and the program's libraries load
 * after the preloaded runtime). */
#define MOVED_OURS_MAX 8192     /* bytes of our variables moved at most */
#define MOVED_OURS_N 64         /* and how many */

/* env_index -- the entry of environ that is the string s: looked for at
 * *at first (the entries are in the strings' order), then everywhere; -1
 * if none, -2 if more than one */
static long env_index(char **env, const char *s, size_t *at)
{
	long found = -1;

	if (env[*at] != NULL && env[*at] == s)
		return (long)(*at)++;
	for (size_t i = 0; env[i] != NULL; i++) {
		if (env[i] != s)
			continue;
		if (found >= 0)
			return -2;
		found = (long)i;
	}
	if (found >= 0)
		*at = (size_t)found + 1;
	return found;
}

/* other_initfirst -- is an object loaded but the runtime (self) linked
 * -z initfirst? Its constructor may have run before ours. */
static bool other_initfirst(const struct link_map *self)
{
	const struct link_map *l = self;

	while (l->l_prev != NULL)
		l = l->l_prev;
	for (; l != NULL; l = l->l_next) {
		if (l == self || l->l_ld == NULL)
			continue;
		for (const ElfW(Dyn) *d = l->l_ld; d->d_tag != DT_NULL; d++)
			if (d->d_tag == DT_FLAGS_1 && (d->d_un.d_val & DF_1_INITFIRST) != 0)
				return true;
	}
	return false;
}

static bool has(const char *s, const char *prefix)
{
	return strncmp(s, prefix, strlen(prefix)) == 0;
}

/* gather -- move the runtime's variables in [start, end) after the
 * program's (see above), when one of the program's follows one of ours,
 * and write LD_PRELOAD naming the runtime and more without the runtime;
 * where the strings end now (end if nothing changed) */
static uint64_t gather(uint64_t start, uint64_t end, const struct link_map *map,
		       const struct prctl_mm_map *as_is)
{
	const char *self = map->l_name;
	extern char **environ;
	char *s = (char *)start, *e = (char *)end, *first = NULL;
	size_t at = 0, at_ours = 0, nours = 0, used = 0;
	bool moves = false;

	if (environ == NULL || e <= s || e[-1] != '\0')
		return end;
	for (char *p = s; p < e; p += strlen(p) + 1) {
		int kind = zp_env_ours(p, self);
		if (kind > 0) {
			if (first == NULL)
				first = p;
			used += strlen(p) + 1;
			if (++nours > MOVED_OURS_N || used > MOVED_OURS_MAX || env_index(environ, p, &at_ours) == -2)
				return end;
			continue;
		}
		/* the program's, or LD_PRELOAD to write shorter (which moves
		 * what follows it) */
		if (kind < 0 && first == NULL)
			first = p;
		if (first != NULL) {
			if (has(p, "LD_PROFILE") || has(p, "LD_ORIGIN_PATH=") || has(p, "LD_TRACE_PRELINKING=") ||
			    has(p, "GLIBC_TUNABLES=") || env_index(environ, p, &at) < 0)
				return end;
			moves = true;
		}
	}
	if (!moves || zp_program_has_preinit() || other_initfirst(map))
		return end;
	for (size_t i = 0; environ[i] != NULL; i++)
		if (has(environ[i], "LD_AUDIT="))
			return end;
	/* the map set as it is first: where the kernel refuses it, the
	 * strings stay as they are (written shorter, LD_PRELOAD would leave
	 * NULs in view, and the moves would change the order in view) */
	if (zp_raw_syscall(SYS_prctl, PR_SET_MM, PR_SET_MM_MAP, (long)as_is, sizeof(*as_is), 0, 0) != 0)
		return end;

	char ours[MOVED_OURS_MAX];
	long ours_entry[MOVED_OURS_N];
	size_t ours_off[MOVED_OURS_N];
	char *dst = first;

	at = at_ours = nours = used = 0;
	/* dst stays at or below p, and what is written at dst is no longer
	 * than what was read at p: it never reaches a string not yet read,
	 * and ours are copied out before they are written over */
	for (char *p = first; p < e;) {
		size_t len = strlen(p) + 1;
		char *next = p + len;
		int kind = zp_env_ours(p, self);
		if (kind > 0) {
			ours_entry[nours] = env_index(environ, p, &at_ours);
			ours_off[nours++] = used;
			memcpy(ours + used, p, len);
			used += len;
		} else {
			long i = env_index(environ, p, &at);
			if (kind < 0)
				len = zp_preload_without(dst, p, self) + 1;
			else
				memmove(dst, p, len);
			environ[i] = dst;
			dst += len;
		}
		p = next;
	}
	memcpy(dst, ours, used);
	for (size_t k = 0; k < nours; k++)
		if (ours_entry[k] >= 0)
			environ[ours_entry[k]] = dst + ours_off[k];
	/* what LD_PRELOAD gave up, past the end now */
	memset(dst + used, 0, (size_t)(e - (dst + used)));
	return (uint64_t)(dst + used);
}

/* zp_procenv_hide -- end /proc/PID/environ before the runtime's
 * variables, moved to end the environment if need be */
void zp_procenv_hide(int argc, char **argv)
{
	struct prctl_mm_map m = { .exe_fd = (uint32_t)-1 };
	struct dl_find_object self;

	/* the path the loader has for this library, as zp_env_hide will
	 * compare LD_PRELOAD's entries with */
	if (_dl_find_object((void *)zp_procenv_hide, &self) != 0 || self.dlfo_link_map == NULL ||
	    self.dlfo_link_map->l_name == NULL || self.dlfo_link_map->l_name[0] != '/')
		return;
	/* the loader run as a program (AT_BASE 0): the kernel's fields
	 * describe it, not what argv and AT_PHDR now show */
	bool derived = getauxval(AT_BASE) != 0 && derive_strings(&m, argc, argv);
	if (!derived && !read_stat(&m))
		return;
	const char *path = self.dlfo_link_map->l_name;
	uint64_t was = m.env_end;
	/* every field as it is before anything moves (gather sets the map
	 * so first, to know the kernel takes it) */
	if (derived && !(derive_image(&m) && derive_brk(&m)) && (!read_stat(&m) || m.env_end != was))
		return;
	uint64_t now = gather(m.env_start, m.env_end, self.dlfo_link_map, &m);
	uint64_t end = cut(m.env_start, now, path);
	/* the rest only when there is something to cut, or LD_PRELOAD was
	 * written shorter */
	if (end == 0 && now == was)
		return;
	m.env_end = end != 0 ? end : now;
	zp_raw_syscall(SYS_prctl, PR_SET_MM, PR_SET_MM_MAP, (long)&m, sizeof(m), 0, 0);
}
