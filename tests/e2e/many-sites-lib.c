/* many-sites-lib -- a library with 4096 inline syscalls (getppid), loaded
 * with dlopen after start-up: more sites than the call-site set of a small
 * program has room for, so it must grow while the program runs.
 * lib_getppid makes every one and returns a failure only if every call
 * failed (each was hooked), the parent's pid if any reached the kernel. */
__attribute__((visibility("default"))) long lib_getppid(void);

#define F(n)                                                                              \
	__attribute__((noinline)) static long f##n(void)                                    \
	{                                                                                 \
		long r;                                                                   \
		__asm__ volatile("syscall" : "=a"(r) : "0"(110L) : "rcx", "r11", "memory"); \
		return r;                                                                 \
	}
#define R16(p)                                                                            \
	F(p##0) F(p##1) F(p##2) F(p##3) F(p##4) F(p##5) F(p##6) F(p##7) F(p##8) F(p##9)   \
	F(p##a) F(p##b) F(p##c) F(p##d) F(p##e) F(p##f)
#define R256(p)                                                                           \
	R16(p##0) R16(p##1) R16(p##2) R16(p##3) R16(p##4) R16(p##5) R16(p##6) R16(p##7)   \
	R16(p##8) R16(p##9) R16(p##a) R16(p##b) R16(p##c) R16(p##d) R16(p##e) R16(p##f)
R256(_0) R256(_1) R256(_2) R256(_3) R256(_4) R256(_5) R256(_6) R256(_7)
R256(_8) R256(_9) R256(_a) R256(_b) R256(_c) R256(_d) R256(_e) R256(_f)

#define P(n) f##n,
#define P16(p)                                                                            \
	P(p##0) P(p##1) P(p##2) P(p##3) P(p##4) P(p##5) P(p##6) P(p##7) P(p##8) P(p##9)   \
	P(p##a) P(p##b) P(p##c) P(p##d) P(p##e) P(p##f)
#define P256(p)                                                                           \
	P16(p##0) P16(p##1) P16(p##2) P16(p##3) P16(p##4) P16(p##5) P16(p##6) P16(p##7)   \
	P16(p##8) P16(p##9) P16(p##a) P16(p##b) P16(p##c) P16(p##d) P16(p##e) P16(p##f)
static long (*const all[])(void) = {
	P256(_0) P256(_1) P256(_2) P256(_3) P256(_4) P256(_5) P256(_6) P256(_7)
	P256(_8) P256(_9) P256(_a) P256(_b) P256(_c) P256(_d) P256(_e) P256(_f)
};

long lib_getppid(void)
{
	long made = -1;

	for (unsigned i = 0; i < sizeof(all) / sizeof(all[0]); i++) {
		long r = all[i]();
		if (r >= 0)
			made = r;
	}
	return made;
}
