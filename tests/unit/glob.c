/* glob -- zp_path_matches (--exclude, the JVM names): a name with no
 * wildcard matches the whole path or the base name exactly, as fnmatch
 * does; patterns with wildcards as fnmatch says */
#include <stdio.h>

#include "zp.h"

int main(void)
{
	static const struct {
		const char *list, *path;
		bool match;
	} cases[] = {
		{ "libjvm.so:libjli.so:libcoreclr.so", "/usr/lib/jvm/lib/server/libjvm.so", true },
		{ "libjvm.so:libjli.so:libcoreclr.so", "/usr/lib/jvm/lib/libjli.so", true },
		{ "libjvm.so:libjli.so:libcoreclr.so", "/usr/lib/x86_64-linux-gnu/libc.so.6", false },
		{ "libjvm.so", "/usr/lib/jvm/lib/server/libjvm.so.1", false },
		{ "libjvm", "/usr/lib/jvm/lib/server/libjvm.so", false },
		{ "jvm.so", "/usr/lib/libjvm.so", false },
		{ "/usr/lib/x86_64-linux-gnu/libc.so.6", "/usr/lib/x86_64-linux-gnu/libc.so.6", true },
		{ "/usr/lib/x86_64-linux-gnu/libc.so", "/usr/lib/x86_64-linux-gnu/libc.so.6", false },
		{ "libc.so.*", "/usr/lib/x86_64-linux-gnu/libc.so.6", true },
		{ "lib?.so.6", "/lib/libc.so.6", true },
		{ "lib[cm].so.6", "/lib/libm.so.6", true },
		{ "lib[cm].so.6", "/lib/libz.so.6", false },
		{ "lib\\*.so", "/lib/lib*.so", true },
		{ "lib\\*.so", "/lib/libc.so", false },
		{ "", "/lib/libc.so.6", false },
		{ "::libc.so.6:", "/lib/libc.so.6", true },
		{ "/usr/*", "/usr/bin/python3", true },
	};
	int fails = 0;

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		bool got = zp_path_matches(cases[i].list, cases[i].path);
		if (got != cases[i].match) {
			printf("FAIL %s against %s: %s\n", cases[i].list, cases[i].path, got ? "matches" : "no match");
			fails++;
		}
	}
	if (fails == 0)
		printf("ok   %zu patterns\n", sizeof(cases) / sizeof(cases[0]));
	return fails != 0;
}
