/* maps.c -- parse /proc/<pid>/maps */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "zp.h"

/* slurp -- the whole of fd; the caller frees */
static int slurp(int fd, char **out, size_t *len)
{
	size_t cap = 16384, n = 0;
	char *buf = malloc(cap + 1);

	if (buf == NULL)
		return -ENOMEM;
	for (;;) {
		if (n == cap) {
			char *p = realloc(buf, 2 * cap + 1);
			if (p == NULL) {
				free(buf);
				return -ENOMEM;
			}
			buf = p;
			cap *= 2;
		}
		ssize_t r = read(fd, buf + n, cap - n);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			int err = -errno;
			free(buf);
			return err;
		}
		if (r == 0)
			break;
		n += (size_t)r;
	}
	buf[n] = '\0';
	*out = buf;
	*len = n;
	return 0;
}

static bool parse_line(const char *line, struct zp_map *m)
{
	char perms[5];
	uint64_t start, end, off;
	unsigned long inode;
	unsigned major, minor;
	int pathpos = 0;

	if (sscanf(line, "%" SCNx64 "-%" SCNx64 " %4s %" SCNx64 " %x:%x %lu %n", &start, &end,
		   perms, &off, &major, &minor, &inode, &pathpos) < 7)
		return false;
	memset(m, 0, sizeof(*m));
	m->dev = makedev(major, minor);
	m->ino = inode;
	m->start = start;
	m->end = end;
	m->offset = off;
	m->prot = (perms[0] == 'r' ? PROT_READ : 0) | (perms[1] == 'w' ? PROT_WRITE : 0) |
		  (perms[2] == 'x' ? PROT_EXEC : 0);
	m->shared = perms[3] == 's';
	if (pathpos > 0) {
		size_t len = strcspn(line + pathpos, "\n");
		if (len >= sizeof(m->path))
			len = sizeof(m->path) - 1;
		memcpy(m->path, line + pathpos, len);
	}
	return true;
}

int zp_maps_read(int fd, struct zp_map **out, size_t *n)
{
	char *buf = NULL, *line;
	size_t len = 0, count = 0, lines = 0;
	struct zp_map *maps;
	int r;

	r = slurp(fd, &buf, &len);
	if (r < 0)
		return r;
	for (size_t i = 0; i < len; i++)
		lines += buf[i] == '\n';
	maps = calloc(lines + 1, sizeof(*maps));
	if (maps == NULL) {
		free(buf);
		return -ENOMEM;
	}
	for (line = buf; *line != '\0';) {
		if (parse_line(line, &maps[count]))
			count++;
		char *nl = strchr(line, '\n');
		if (nl == NULL)
			break;
		line = nl + 1;
	}
	free(buf);
	*out = maps;
	*n = count;
	return 0;
}

const struct zp_map *zp_maps_find(const struct zp_map *m, size_t n, uintptr_t addr)
{
	size_t lo = 0, hi = n;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (addr < m[mid].start)
			hi = mid;
		else if (addr >= m[mid].end)
			lo = mid + 1;
		else
			return &m[mid];
	}
	return NULL;
}
