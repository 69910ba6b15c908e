/* umalloc.h -- the runtime's own allocator (umalloc.c) and its own
 * versions of the libc calls that allocate inside (ulibc.c)
 *
 * libzpoline.so is linked with -Wl,--wrap for malloc, calloc, realloc,
 * free, strdup, strndup, asprintf, qsort, opendir, fdopendir, readdir64,
 * closedir, dirfd, strerror and strsignal (runtime/meson.build): a call to
 * one of them in the runtime's objects and in the src/ objects linked into
 * it goes to __wrap_NAME here, never to the program's libc, while the tool
 * and the tests link the same src/ objects against libc. */
#ifndef ZP_UMALLOC_H
#define ZP_UMALLOC_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>

#define ZP_UMALLOC_HIDDEN __attribute__((visibility("hidden")))

void *__wrap_malloc(size_t n) ZP_UMALLOC_HIDDEN;
void *__wrap_calloc(size_t n, size_t size) ZP_UMALLOC_HIDDEN;
void *__wrap_realloc(void *p, size_t n) ZP_UMALLOC_HIDDEN;
void __wrap_free(void *p) ZP_UMALLOC_HIDDEN;
char *__wrap_strdup(const char *s) ZP_UMALLOC_HIDDEN;
char *__wrap_strndup(const char *s, size_t n) ZP_UMALLOC_HIDDEN;

/* zp_umalloc_forked -- in a child made by fork: a thread of the parent
 * that held the allocator's lock does not exist here */
void zp_umalloc_forked(void) ZP_UMALLOC_HIDDEN;

/* zp_umalloc_loader -- a block for the dynamic loader (rtldalloc.c),
 * zeroed if asked; NULL if there is none (or no room to note a large
 * one). zp_umalloc_mine -- is p a block of this allocator's, one the
 * loader may free or realloc (any from an arena, the large ones given by
 * zp_umalloc_loader)? Without the lock: the loader frees on thread exit,
 * and the answer for the program's blocks is always no. zp_umalloc_room
 * -- the bytes block p holds. */
void *zp_umalloc_loader(size_t n, bool zero) ZP_UMALLOC_HIDDEN;
bool zp_umalloc_mine(const void *p) ZP_UMALLOC_HIDDEN;
size_t zp_umalloc_room(const void *p) ZP_UMALLOC_HIDDEN;

/* rtldalloc.c: zp_rtld_alloc_begin -- what the dynamic loader allocates
 * from here to zp_rtld_alloc_end comes from umalloc, not the program's
 * malloc (the first call points the loader's malloc family here) */
void zp_rtld_alloc_begin(void) ZP_UMALLOC_HIDDEN;
void zp_rtld_alloc_end(void) ZP_UMALLOC_HIDDEN;
/* zp_rtld_alloc_tls -- between the two: this thread's TLS blocks of the
 * objects of handle's namespace that have them in dynamic TLS (a hook's
 * __thread variables), which the loader would otherwise allocate at their
 * first use, with the program's malloc */
void zp_rtld_alloc_tls(void *handle) ZP_UMALLOC_HIDDEN;

#endif
