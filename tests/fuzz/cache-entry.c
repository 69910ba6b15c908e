/* cache-entry.c -- fuzz target: the cache's site-list reader.
 *
 * src/cache.c has no pure parsing function: zp_cache_load reads an entry
 * file named after its key from a cache directory. So this target keeps
 * one directory, learns an entry's name and header from zp_cache_store,
 * and writes each input as that entry's contents after the magic and the
 * key (which a fuzzer would never guess), then loads it. */
#include <dirent.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fuzz.h"
#include "zp.h"

static char dir[64], entry[512];
static int cache_fd = -1;
static struct zp_cache_key key;
static uint8_t head[8 + sizeof(struct zp_cache_key)];

static void cleanup(void)
{
	struct dirent *d;
	DIR *dp = opendir(dir);

	/* the entry, and whatever else zp_cache_store left */
	while (dp != NULL && (d = readdir(dp)) != NULL) {
		if (strcmp(d->d_name, ".") != 0 && strcmp(d->d_name, "..") != 0)
			unlinkat(cache_fd, d->d_name, 0);
	}
	if (dp != NULL)
		closedir(dp);
	rmdir(dir);
}

/* setup -- a directory with one real entry, to learn its name and header */
static void setup(void)
{
	struct zp_scan s = { 0 };
	struct dirent *d;

	/* tmpfs where there is one: each input is a file written and read */
	snprintf(dir, sizeof(dir), "%s/zp-fuzz-cache-XXXXXX",
		 access("/dev/shm", W_OK) == 0 ? "/dev/shm" : "/tmp");
	if (mkdtemp(dir) == NULL)
		abort();
	memset(&key, 0, sizeof(key));
	memcpy(key.build_id, "fuzz", 4);
	key.build_id_len = 4;
	key.scan_version = ZP_SCAN_VERSION;
	cache_fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (cache_fd < 0 || zp_cache_store(cache_fd, &key, "/fuzz", &s) != 0)
		abort();
	DIR *dp = opendir(dir);
	while (dp != NULL && (d = readdir(dp)) != NULL) {
		size_t len = strlen(d->d_name);
		if (len > 6 && strcmp(d->d_name + len - 6, ".sites") == 0)
			snprintf(entry, sizeof(entry), "%s/%s", dir, d->d_name);
	}
	if (dp != NULL)
		closedir(dp);
	int fd = open(entry, O_RDONLY);
	if (fd < 0 || read(fd, head, sizeof(head)) != (ssize_t)sizeof(head))
		abort();
	close(fd);
	atexit(cleanup);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct zp_scan s = { 0 };

	if (entry[0] == '\0')
		setup();
	int fd = open(entry, O_WRONLY | O_TRUNC);
	if (fd < 0 || write(fd, head, sizeof(head)) != (ssize_t)sizeof(head) ||
	    write(fd, data, size) != (ssize_t)size)
		abort();
	close(fd);
	if (zp_cache_load(cache_fd, &key, &s) == 0 && s.nsites > 0 && s.sites == NULL)
		abort();
	zp_scan_free(&s);
	return 0;
}
