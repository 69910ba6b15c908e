/* wx -- once the program runs, no mapping is both writable and
 * executable, and page 0 is not writable. */
#include <stdio.h>
#include <string.h>

int main(void)
{
	FILE *f = fopen("/proc/self/maps", "r");
	char line[512];
	int wx = 0, low_w = 0;

	if (f == NULL)
		return 1;
	while (fgets(line, sizeof(line), f) != NULL) {
		unsigned long start;
		char perms[5];
		if (sscanf(line, "%lx-%*x %4s", &start, perms) != 2)
			continue;
		wx += perms[1] == 'w' && perms[2] == 'x';
		low_w += start == 0 && perms[1] == 'w';
	}
	fclose(f);
	printf("writable+executable mappings: %d\n", wx);
	printf("writable page 0: %d\n", low_w);
	return 0;
}
