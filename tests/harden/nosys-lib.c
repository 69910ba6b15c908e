/* nosys-lib -- a library with no system call instruction of its own */
__attribute__((visibility("default"))) int nosys(int x);
int nosys(int x)
{
	return x + 42;
}
