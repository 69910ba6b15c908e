/* cache-race -- an entry stored again while others read it: two
 * processes store the same entry over and over (as two runs of one
 * program scanning the same library on a cold cache do) while this one
 * loads it; once stored, a load must never find it missing (a run that
 * has just stored it looks it up, and a miss then refuses the library).
 * Prints the loads and the misses; exit status 1 on any miss. */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "zp.h"

#define LOADS 20000

int main(void)
{
	char dir[] = "/tmp/zp-cache-race-XXXXXX";
	struct zp_cache_key key;
	struct zp_site site = { 0 };
	struct zp_scan s = { .sites = &site, .nsites = 1, .cap = 1 };
	pid_t w[2];
	long misses = 0;

	if (mkdtemp(dir) == NULL)
		return 2;
	int fd = zp_cache_open_path(dir);
	if (fd < 0)
		return 2;
	memset(&key, 0, sizeof(key));
	key.build_id_len = 4;
	memcpy(key.build_id, "race", 4);
	key.scan_version = ZP_SCAN_VERSION;
	key.ino = 1;
	snprintf(key.tag, sizeof(key.tag), "race");
	if (zp_cache_store(fd, &key, "/race", &s) != 0)
		return 2;
	for (int i = 0; i < 2; i++) {
		w[i] = fork();
		if (w[i] == 0) {
			for (;;)
				zp_cache_store(fd, &key, "/race", &s);
		}
	}
	for (int i = 0; i < LOADS; i++) {
		struct zp_scan got = { 0 };
		if (zp_cache_load(fd, &key, &got) != 0)
			misses++;
		free(got.sites);
	}
	for (int i = 0; i < 2; i++) {
		kill(w[i], SIGKILL);
		waitpid(w[i], NULL, 0);
	}
	char cmd[64];
	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	if (system(cmd) != 0)
		return 2;
	printf("%d loads while two processes stored the entry again: %ld found it missing\n", LOADS, misses);
	return misses != 0;
}
