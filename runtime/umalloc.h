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

#endif
