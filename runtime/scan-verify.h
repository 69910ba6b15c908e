/* scan-verify.h -- zpoline-scan's verify command (scan-verify.c) */
#ifndef ZP_SCAN_VERIFY_H
#define ZP_SCAN_VERIFY_H

/* zp_verify_cache -- compare every site list in the cache directory dir
 * with a new scan of its object, removing those that differ: the exit
 * status, 0 when none differed, 1 when some did, 125 on error */
int zp_verify_cache(const char *dir);

#endif
