/* linkmap -- prints getppid() and every object in every link namespace (its
 * number first),
 * as a debugger reads them: the loader's rendezvous structure, found
 * through the program's DT_DEBUG (the program's own _r_debug would be a
 * copy), and from glibc 2.35 its r_next chain through the other
 * namespaces; one a line */
#include <link.h>
#include <stdio.h>
#include <unistd.h>

int main(void)
{
	const struct r_debug *first = NULL;

	printf("ppid %d\n", (int)getppid());
	for (const ElfW(Dyn) *d = _DYNAMIC; d->d_tag != DT_NULL; d++)
		if (d->d_tag == DT_DEBUG)
			first = (const struct r_debug *)d->d_un.d_ptr;
	if (first == NULL) {
		printf("no DT_DEBUG\n");
		return 1;
	}
	printf("r_version %d\n", first->r_version);
	int ns = 0;
	for (const struct r_debug *d = first; d != NULL; ns++,
	     d = d->r_version >= 2 ? (const struct r_debug *)((const struct r_debug_extended *)d)->r_next : NULL)
		for (const struct link_map *m = d->r_map; m != NULL; m = m->l_next)
			printf("namespace %d object %s\n", ns, m->l_name);
	return 0;
}
