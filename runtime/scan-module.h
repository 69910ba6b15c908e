/* scan-module.h -- the scanner's store step, shared by the module the
 * runtime loads into a link namespace of its own (scan-module.c) and by
 * the helper program (scan-helper.c) */
#ifndef ZP_SCAN_MODULE_H
#define ZP_SCAN_MODULE_H

#include "zp.h"

/* zp_store_one -- scan the file path (or "[vdso]": this process's vDSO)
 * and store its sites in the cache directory dirfd under key, if the file
 * still matches key before and after the scan: true when stored */
bool zp_store_one(int dirfd, const struct zp_cache_key *key, const char *path);

/* zpoline_scan_store -- the module's entry, found with dlsym: scan the n
 * files and store each under its key in the cache directory dir. The
 * number stored, or -errno when dir cannot be used. With progress, a
 * scan that has taken a while names the object it scans on stderr (a
 * terminal), in place, and clears that line at the end. */
typedef int zp_scan_store_fn(const char *dir, const struct zp_cache_key *keys, const char *const *paths,
			     size_t n, bool progress);
#define ZP_SCAN_STORE_SYM "zpoline_scan_store"

#endif
