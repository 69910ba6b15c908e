/* late.c -- code that appears after start-up: libraries loaded later
 * (dlopen), rewritten as they are mapped, and the lazy rewrite of a site
 * the safety net caught. */
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <link.h>
#include <limits.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "page0.h"
#include "runtime.h"
#include "umalloc.h"

/* Libraries loaded after start-up (dlopen, and what they pull in).
 *
 * The dynamic loader maps a library's code with mmap(PROT_EXEC) before it
 * relocates it and runs its constructors, and that mmap is a hooked call:
 * zp_next() hands the new mapping here right after the kernel made it. No
 * thread can be running that code yet, so it is rewritten as at start-up,
 * with one difference: the site table is shared with running threads, so
 * entries are only ever added, and a site that finds no room becomes a
 * trap. */

static pthread_mutex_t late_lock = PTHREAD_MUTEX_INITIALIZER;
/* where the cache is, as start-up found it (patch.c): the variables that
 * say so (ZPOLINE_CACHE, ZPOLINE_CACHE_DIR, ZPOLINE_IMAGES) leave environ */
static const char *late_cache_dir;
static bool late_images_off;
static const char *late_exclude;
static bool late_traps_only;

/* late_slotout -- a late library's slot-output site becomes a call outside
 * the call-site set, as at start-up (patch.c), with the fixup it returns
 * through in that set: false when there is no room (it stays a trap) */
static bool late_slotout(uintptr_t ret)
{
	uintptr_t fixup = (uintptr_t)zp_slotout_fixup;

	if (!zp_sites_is_call(fixup) && zp_sites_add_call(fixup) < 0)
		return false;
	return zp_sites_add_slotout(ret) == 0;
}
static bool late_ready;
static enum zp_mode late_mode;

/* leave_page0 -- a runtime that needs loads near address 0 to fault (a
 * JVM's null checks) was loaded after start-up: unmap the trampoline. Every
 * rewritten call then faults at its own number, and signal.c finishes it,
 * as in trap mode: slower, but the null checks work. */
static void leave_page0(const char *path)
{
	if (__atomic_exchange_n(&late_traps_only, true, __ATOMIC_ACQ_REL))
		return;
	zp_raw_syscall(SYS_munmap, 0, ZP_PAGE_SIZE, 0, 0, 0, 0);
	zp_raw_syscall(SYS_munmap, ZP_LITERAL_PAGE, ZP_PAGE_SIZE, 0, 0, 0, 0);
	zp_msg("%s needs page 0 unmapped: calls now finish in a fault handler, microseconds each", path);
}

/* zp_late_enable -- from now on, rewrite what is mapped executable */
void zp_late_enable(const char *exclude, enum zp_mode mode)
{
	zp_best_effort();       /* read now, in every mode: environ loses it */
	const char *images = getenv(ZP_ENV_IMAGES);
	late_images_off = images != NULL && strcmp(images, "0") == 0;
	late_cache_dir = zp_patch_cache_dir();
	late_exclude = exclude;
	late_mode = mode;
	late_traps_only = mode != ZP_MODE_FAST;
	__atomic_store_n(&late_ready, true, __ATOMIC_RELEASE);
}

/* segment_vaddr -- the page-aligned p_vaddr at which the file offset off
 * (page-aligned) is loaded, from the PT_LOAD holding it: the start of a
 * segment as the loader maps it, or a page inside one (libffi maps its
 * trampoline page alone); from the file's program headers, no libelf, so
 * that no program carries it in its link map */
static int segment_vaddr(int fd, uint64_t off, uint64_t *vaddr)
{
	ElfW(Ehdr) eh;
	ElfW(Phdr) ph[128];

	if (pread(fd, &eh, sizeof(eh), 0) != (ssize_t)sizeof(eh) || memcmp(eh.e_ident, ELFMAG, SELFMAG) != 0 ||
	    eh.e_ident[EI_CLASS] != ELFCLASS64 || eh.e_phentsize != sizeof(ph[0]) || eh.e_phnum == 0 ||
	    eh.e_phnum > sizeof(ph) / sizeof(ph[0]))
		return -ENOEXEC;
	size_t len = eh.e_phnum * sizeof(ph[0]);
	if (pread(fd, ph, len, (off_t)eh.e_phoff) != (ssize_t)len)
		return -ENOEXEC;
	for (size_t i = 0; i < eh.e_phnum; i++)
		if (ph[i].p_type == PT_LOAD && ZP_PAGE_DOWN(ph[i].p_offset) == off) {
			*vaddr = ZP_PAGE_DOWN(ph[i].p_vaddr);
			return 0;
		}
	for (size_t i = 0; i < eh.e_phnum; i++)
		if (ph[i].p_type == PT_LOAD && ZP_PAGE_DOWN(ph[i].p_offset) < off &&
		    off - ZP_PAGE_DOWN(ph[i].p_offset) < ph[i].p_filesz &&
		    (ph[i].p_vaddr - ph[i].p_offset) % ZP_PAGE_SIZE == 0) {
			*vaddr = ph[i].p_vaddr - ph[i].p_offset + off;
			return 0;
		}
	return -ENOENT;
}

/* zp_late_mapped -- a file was just mapped executable: rewrite its sites */
void zp_late_mapped(uintptr_t addr, size_t len, int fd, uint64_t off, int prot)
{
	char fdpath[64], path[PATH_MAX], procfd[64], why[160];
	struct zp_cache_key key;
	struct zp_scan scan = { 0 };
	struct stat st;
	int cachefd = -1;

	if (!__atomic_load_n(&late_ready, __ATOMIC_ACQUIRE) || zp_scanner_mapping())
		return;
	snprintf(fdpath, sizeof(fdpath), "/proc/self/fd/%d", fd);
	ssize_t n = readlink(fdpath, path, sizeof(path) - 1);
	if (n <= 0 || fstat(fd, &st) != 0) {
		snprintf(path, sizeof(path), "descriptor %d mapped executable", fd);
		zp_unrewritten(path, "cannot name its file (is /proc mounted?)");
		return;
	}
	path[n] = '\0';
	/* the helper scans the file mapped: by its path while that names it
	 * (the helper checks again), or by this process's descriptor when
	 * the path names another file by now, or none (a memfd); that needs
	 * a dumpable process, which a set-user-ID one is not */
	struct stat named;
	const char *scanpath = path;
	if (stat(path, &named) != 0 || named.st_dev != st.st_dev || named.st_ino != st.st_ino) {
		snprintf(procfd, sizeof(procfd), "/proc/%d/fd/%d", (int)getpid(), fd);
		scanpath = procfd;
	}
	if (late_exclude != NULL && zp_path_matches(late_exclude, path)) {
		zp_excluded_add(addr, addr + len);
		return;
	}
	if (late_mode == ZP_MODE_SUD)
		return;         /* nothing is rewritten: dispatch catches it */
	if (!late_traps_only && !zp_page0_xonly && zp_path_matches(ZP_NULL_PAGE_RUNTIMES, path))
		leave_page0(path);
	pthread_mutex_lock(&late_lock);
	/* the load bias: the PT_LOAD this mapping's file offset belongs to */
	uint64_t vaddr;
	if (segment_vaddr(fd, off, &vaddr) < 0) {
		/* not an object: code the program brings at run time, as a
		 * JIT writes it (a data file mapped executable, .NET's double
		 * mapping of its code); --catch-late or sud mode hook it,
		 * fast mode alone does not, as for anonymous code */
		goto out;
	}
	uintptr_t bias = addr - (uintptr_t)vaddr;

	memset(&key, 0, sizeof(key));
	key.scan_version = ZP_SCAN_VERSION;
	zp_key_scanner(&key, &zp_objs.self_key);
	zp_key_file(&key, &st);
	snprintf(key.tag, sizeof(key.tag), "late");
	cachefd = late_cache_dir != NULL ? zp_cache_open_path(late_cache_dir) : -ENOENT;
	const char *cachedir = cachefd >= 0 ? late_cache_dir : NULL;
	if (cachefd < 0 || zp_cache_load(cachefd, &key, &scan) < 0) {
		/* the helper scans the file's bytes: the mapping may not cover
		 * every section */
		struct zp_scan_job job = { .key = &key, .path = scanpath, .miss = true };
		char fail[PATH_MAX + 128];
		int r = zp_scan_missing(cachedir, &job, 1, fail, sizeof(fail));
		scan = job.scan;
		/* fail closed, as at start-up: the library's code has not run
		 * (with the safety net armed, its calls reach the hooks) */
		if (r < 0 && !zp_sud_on && !zp_best_effort())
			zp_fatal(125, "%s; or give --best-effort (ZPOLINE_BEST_EFFORT=1) to run %s unhooked", fail,
				 path);
		if (!job.got) {
			zp_unrewritten(path, r < 0 ? fail : "the scanner could not read it (unreadable, not an "
				      "ELF file, or changed since it was mapped), or store what it "
				      "found (a full disk, a file size limit)");
			goto out;
		}
	}
	/* the sites of this mapping, in the call-site table (or the trap
	 * list) before any of them can run; then rewritten by mapping the
	 * file's patched image over it, or one by one */
	struct zp_patch *patches = calloc(scan.nsites ? scan.nsites : 1, sizeof(*patches));
	size_t npatches = 0, moved = 0, left = 0, int80 = 0;
	if (patches == NULL) {
		zp_unrewritten(path, "out of memory");
		goto out;
	}
	for (size_t i = 0; i < scan.nsites; i++) {
		uintptr_t a = (uintptr_t)scan.sites[i].addr + bias;
		if (a < addr || a + 2 > addr + len)
			continue;       /* in another segment of the file */
		if (scan.sites[i].flags & ZP_SITE_INT80) {
			int80++;
			continue;
		}
		uint8_t *p = (uint8_t *)a;
		if (p[0] != 0x0f || (p[1] != 0x05 && p[1] != 0x34)) {
			moved++;
			continue;
		}
		uint32_t fl = scan.sites[i].flags;
		bool trap = late_traps_only ? true
			    : fl & ZP_SITE_SLOTOUT ? !late_slotout(a + 2)
						   : (fl & ZP_SITE_REDZONE) || zp_sites_add_call(a + 2) < 0;
		if (trap && !zp_sites_add_late_trap(a)) {
			left++;         /* no room: left alone */
			continue;
		}
		patches[npatches++] = zp_site_patch(a - addr + off, trap);
	}
	struct statvfs sv;
	if (npatches > 0 && cachefd >= 0 && !late_images_off && fstatvfs(cachefd, &sv) == 0 &&
	    !(sv.f_flag & ST_NOEXEC) &&
	    zp_image_map(cachefd, -1, -1, &key, path, patches, npatches, addr, len, off, prot)) {
		for (size_t i = 0; i < npatches; i++)
			__atomic_add_fetch(patches[i].bytes[0] == 0x0f ? &zp_late.trapped : &zp_late.called, 1,
					   __ATOMIC_RELAXED);
		npatches = 0;
	}
	/* in place: the new mapping is no thread's code yet, but a program
	 * may map over code it runs; with other threads, the live protocol */
	struct zp_live *live = npatches > 0 && zp_other_threads() ? calloc(npatches, sizeof(*live)) : NULL;
	for (size_t i = 0; live != NULL && i < npatches; i++)
		live[i] = (struct zp_live){ addr + (uintptr_t)(patches[i].off - off),
					    { patches[i].bytes[0], patches[i].bytes[1] }, false, 0 };
	if (live != NULL) {
		zp_live_patch(live, npatches);
		for (size_t i = 0; i < npatches; i++)
			if (live[i].done)
				__atomic_add_fetch(live[i].bytes[0] == 0x0f ? &zp_late.trapped : &zp_late.called, 1,
						   __ATOMIC_RELAXED);
			else
				left++;
		npatches = 0;
		free(live);
	}
	for (size_t i = 0; i < npatches; i++) {
		uintptr_t a = addr + (uintptr_t)(patches[i].off - off);
		uint8_t *p = (uint8_t *)a;
		uintptr_t page = ZP_PAGE_DOWN(a), end = ZP_PAGE_UP(a + 2);
		if (zp_raw_mprotect(page, end - page, PROT_READ | PROT_WRITE) == 0) {
			p[0] = patches[i].bytes[0];
			p[1] = patches[i].bytes[1];
			zp_raw_mprotect(page, end - page, prot);
			__atomic_add_fetch(p[0] == 0x0f ? &zp_late.trapped : &zp_late.called, 1, __ATOMIC_RELAXED);
		} else {
			left++;
		}
	}
	free(patches);
	if (int80 > 0)
		zp_unhooked(path, ZP_INT80_WHY);
	if (moved > 0) {
		snprintf(why, sizeof(why), "%zu of its scanned system calls are not in its code in memory", moved);
		zp_unrewritten(path, why);
	}
	if (left > 0) {
		snprintf(why, sizeof(why), "%zu of its system calls could not be rewritten", left);
		zp_unrewritten(path, why);
	}
	__atomic_add_fetch(&zp_late.objects, 1, __ATOMIC_RELAXED);
out:
	zp_cache_keep_bound(cachefd);
	if (cachefd >= 0)
		close(cachefd);
	zp_scan_free(&scan);
	pthread_mutex_unlock(&late_lock);
}

/* The lazypoline step. A call the safety net caught came from a site the
 * runtime never rewrote (code written at run time, mostly); after the hooks
 * have seen it, the site is rewritten so that its next call takes the fast
 * path -- if the code after it provably leaves the red zone alone
 * (zp_redzone_dead_after; otherwise it stays caught, slower but right).
 *
 * The code is live: other threads may be running it. The two bytes change
 * one at a time, each store made visible to every core's instruction fetch
 * (membarrier's SYNC_CORE) before the next, so no core can fetch a mix:
 *   0f 05 (syscall) -> 0f d0 (undefined: #UD) -> ff d0 (call *%rax)
 * A thread that meets the middle state gets SIGILL, and signal.c performs
 * its system call as a syscall. The site enters the call-site table first. */
static bool lazy_on;
static uint8_t lazy_busy;
static bool (*redzone_dead_after)(const uint8_t *buf, size_t len);
/* The rewrite runs on a stack of its own, the one thread holding lazy_busy
 * at a time: the decoder's frames are deep, and the call it looks at may
 * come from a handler on a small alternate stack (8 KiB, SIGSTKSZ, which
 * already holds the handler's signal frame and the SIGSYS one). Its pages
 * are touched only as far as the decoder goes; one below it, inaccessible,
 * ends it. */
#define LAZY_STACK (64 * 1024)
static char *lazy_stack;

/* zp_lazy_enable -- load the decoder the lazy rewrite needs */
void zp_lazy_enable(void)
{
	char path[4200];

	/* without a way to serialise other cores, sites stay caught */
	if (!zp_sync_cores_register())
		return;
	/* the decoder, loaded now (not from a signal handler) and after the
	 * objects to rewrite were listed, so it is not one of them; in a link
	 * namespace of its own, as the scanner module is loaded on a cache
	 * miss: its libelf, libdw, Zydis and libc stay out of the program's
	 * link map, and what it calls from the SIGSYS handler is its own libc
	 * copy's, never a function the program may be interrupted in */
	snprintf(path, sizeof(path), "%s/zpoline-decode.so", zp_runtime_dir());
	zp_rtld_alloc_begin();
	void *h = dlmopen(LM_ID_NEWLM, path, RTLD_NOW | RTLD_LOCAL);
	zp_rtld_alloc_end();
	if (h == NULL) {
		zp_msg("cannot load %s: sites the safety net catches stay caught", path);
		return;
	}
	*(void **)&redzone_dead_after = dlsym(h, "zpoline_redzone_dead_after");
	/* the raw call: the hooks are on, and the mapping is the runtime's */
	long m = zp_raw_syscall(SYS_mmap, 0, ZP_PAGE_SIZE + LAZY_STACK, PROT_READ | PROT_WRITE,
				MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (m < 0 && m > -4096) {
		zp_msg("cannot map a stack for the safety net's rewrite: sites it catches stay caught");
		return;
	}
	zp_raw_syscall(SYS_mprotect, m, ZP_PAGE_SIZE, PROT_NONE, 0, 0, 0);
	lazy_stack = (char *)m + ZP_PAGE_SIZE;
	lazy_on = redzone_dead_after != NULL;
}

/* lazy_rewrite -- zp_lazy_rewrite's work, on lazy_stack, with lazy_busy
 * held; *sitep is the site */
static void lazy_rewrite(void *sitep)
{
	uintptr_t site = *(uintptr_t *)sitep;
	uint8_t code[2 + 512];

	size_t n = zp_read_user(code, site, sizeof(code));
	if (n < 3 || code[0] != 0x0f || code[1] != 0x05 || !redzone_dead_after(code + 2, n - 2))
		return;
	int fd = (int)zp_raw_syscall(SYS_open, (long)"/proc/self/mem", O_RDWR | O_CLOEXEC, 0, 0, 0, 0);
	if (fd >= 0 && zp_read_user(code, site, 2) == 2 && code[0] == 0x0f && code[1] == 0x05 &&
	    zp_sites_add_call(site + 2) == 0) {
		static const uint8_t undef = 0xd0, call = 0xff, sys = 0x05;
		if (zp_raw_syscall(SYS_pwrite64, fd, (long)&undef, 1, (long)(site + 1), 0, 0) == 1) {
			zp_sync_cores();
			if (zp_raw_syscall(SYS_pwrite64, fd, (long)&call, 1, (long)site, 0, 0) == 1)
				__atomic_add_fetch(&zp_late.lazy, 1, __ATOMIC_RELAXED);
			else
				zp_raw_syscall(SYS_pwrite64, fd, (long)&sys, 1, (long)(site + 1), 0, 0);
			zp_sync_cores();
		}
	}
	if (fd >= 0)
		zp_raw_syscall(SYS_close, fd, 0, 0, 0, 0, 0);
}

/* zp_lazy_rewrite -- rewrite a caught site to the fast path, if safe */
void zp_lazy_rewrite(uintptr_t site)
{
	/* (the handler has left calls from excluded objects out) */
	if (!lazy_on || __atomic_load_n(&late_traps_only, __ATOMIC_ACQUIRE))
		return;
	/* another thread (or a signal handler that interrupted this one) is
	 * rewriting, on the one stack: leave this site for its next call */
	if (__atomic_exchange_n(&lazy_busy, 1, __ATOMIC_ACQUIRE))
		return;
	zp_call_on(lazy_rewrite, &site, lazy_stack + LAZY_STACK);
	__atomic_store_n(&lazy_busy, 0, __ATOMIC_RELEASE);
}
