/* leak-prog -- leak(argv[1]) from a library it is linked with (DT_NEEDED) */
int leak(const char *path);

int main(int argc, char **argv)
{
	return argc > 1 ? leak(argv[1]) : 2;
}
