/* dup2high -- the program takes the top 71 descriptor numbers with dup2
 * (1023 down to 953, where the launcher keeps its own descriptors, which
 * the runtime then moves away) and checks that every one of them works;
 * prints how many do not */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

int main(void)
{
	struct rlimit rl = { 1024, 1024 };
	int bad = 0;

	if (setrlimit(RLIMIT_NOFILE, &rl) != 0)
		perror("setrlimit");
	for (int fd = 1023; fd >= 953; fd--)
		if (dup2(1, fd) != fd)
			printf("dup2 %d: %s\n", fd, strerror(errno));
	for (int fd = 1023; fd >= 953; fd--) {
		if (write(fd, "", 0) != 0 || fcntl(fd, F_GETFD) < 0) {
			printf("fd %d: %s\n", fd, strerror(errno));
			bad++;
		}
	}
	printf("%d of 71 descriptors unusable\n", bad);
	/* and a call the trace (and the audit) shows after the moves */
	return open("dup2high-out", O_WRONLY | O_CREAT | O_TRUNC, 0644) < 0;
}
