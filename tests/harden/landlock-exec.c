/* landlock-exec -- run PROG in a Landlock sandbox where files may be
 * executed only beneath the DIRs given (every other access is left
 * alone): `landlock-exec DIR... -- PROG [ARG...]`. Exits 77 where the
 * kernel has no Landlock, so the test that uses it can skip. */
#include <fcntl.h>
#include <linux/landlock.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

int main(int argc, char **argv)
{
	struct landlock_ruleset_attr attr = { .handled_access_fs = LANDLOCK_ACCESS_FS_EXECUTE };
	int i, ruleset = (int)syscall(SYS_landlock_create_ruleset, &attr, sizeof(attr), 0);

	if (ruleset < 0) {
		perror("landlock-exec: landlock_create_ruleset");
		return 77;
	}
	for (i = 1; i < argc && strcmp(argv[i], "--") != 0; i++) {
		struct landlock_path_beneath_attr pb = { .allowed_access = LANDLOCK_ACCESS_FS_EXECUTE };
		pb.parent_fd = open(argv[i], O_PATH | O_CLOEXEC);
		if (pb.parent_fd < 0 ||
		    syscall(SYS_landlock_add_rule, ruleset, LANDLOCK_RULE_PATH_BENEATH, &pb, 0) != 0) {
			perror(argv[i]);
			return 77;
		}
		close(pb.parent_fd);
	}
	if (i + 1 >= argc) {
		fprintf(stderr, "usage: landlock-exec DIR... -- PROG [ARG...]\n");
		return 2;
	}
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0 || syscall(SYS_landlock_restrict_self, ruleset, 0) != 0) {
		perror("landlock-exec: landlock_restrict_self");
		return 77;
	}
	execv(argv[i + 1], argv + i + 1);
	perror(argv[i + 1]);
	return 127;
}
