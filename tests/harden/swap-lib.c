/* swap-lib -- a library whose constructor (which runs before the
 * runtime's: the program needs it) renames $SWAP_FROM over its own file,
 * as a package upgrade may between the loader's mapping and the runtime's
 * scan: its name then names another object. Its leak (leak-lib.c) stays
 * the code in memory. */
#include <dlfcn.h>
#include <stdio.h>
#include <stdlib.h>

__attribute__((constructor)) static void swap_self(void)
{
	const char *from = getenv("SWAP_FROM");
	Dl_info self;

	if (from != NULL && dladdr((void *)swap_self, &self) != 0 && self.dli_fname != NULL &&
	    rename(from, self.dli_fname) != 0)
		perror("swap-lib: rename");
}
