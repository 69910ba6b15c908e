/* execfd -- which descriptors a program has while its execve runs and
 * after it fails, with descriptor 0 closed (the lowest free number). The
 * kernel reads the environment's string from a page userfaultfd holds
 * missing: a thread of the program, woken by the fault, looks at
 * descriptor 0 in the middle of the execve, then lets it go on. The file
 * is empty and executable: the execve fails with ENOEXEC after the
 * strings are read. Prints what it saw; "skip: ..." where userfaultfd is
 * not allowed. */
#include <errno.h>
#include <fcntl.h>
#include <linux/userfaultfd.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>

static int uffd;
static char seen[64];

static void *resolve(void *page)
{
	struct uffd_msg msg;
	struct pollfd p = { uffd, POLLIN, 0 };

	if (poll(&p, 1, 10000) != 1 || read(uffd, &msg, sizeof(msg)) != sizeof(msg) ||
	    msg.event != UFFD_EVENT_PAGEFAULT) {
		snprintf(seen, sizeof(seen), "no fault");
		return NULL;
	}
	snprintf(seen, sizeof(seen), "descriptor 0 %s", fcntl(0, F_GETFD) < 0 ? "closed" : "open");
	struct uffdio_zeropage z = { .range = { (unsigned long)page, (unsigned long)getpagesize() } };
	ioctl(uffd, UFFDIO_ZEROPAGE, &z);
	return NULL;
}

int main(int argc, char **argv)
{
	long psz = getpagesize();
	pthread_t th;

	if (argc != 2)
		return 2;
	uffd = (int)syscall(SYS_userfaultfd, O_CLOEXEC);
	struct uffdio_api api = { .api = UFFD_API };
	if (uffd < 0 || ioctl(uffd, UFFDIO_API, &api) != 0) {
		printf("skip: no userfaultfd (%s)\n", strerror(errno));
		return 0;
	}
	char *page = mmap(NULL, (size_t)psz, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	struct uffdio_register reg = { .range = { (unsigned long)page, (unsigned long)psz },
				       .mode = UFFDIO_REGISTER_MODE_MISSING };
	if (page == MAP_FAILED || ioctl(uffd, UFFDIO_REGISTER, &reg) != 0) {
		printf("skip: cannot register (%s)\n", strerror(errno));
		return 0;
	}
	int fd = open(argv[1], O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0755);
	if (fd < 0 || close(fd) != 0)
		return 1;
	pthread_create(&th, NULL, resolve, page);
	close(0);
	char *args[] = { argv[1], NULL }, *env[] = { page, NULL };
	long r = syscall(SYS_execve, argv[1], args, env);
	int e = errno;
	pthread_join(th, NULL);
	printf("during execve: %s\n", seen);
	printf("execve: %ld (%s); after it descriptor 0 %s\n", r, strerror(e),
	       fcntl(0, F_GETFD) < 0 ? "closed" : "open");
	return 0;
}
