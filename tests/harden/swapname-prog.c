/* swapname-prog -- leak-prog, linked with libswapname.so (swapname.c) */
int leak(const char *path);
void swapname_linked(void);

int main(int argc, char **argv)
{
	swapname_linked();
	return argc > 1 ? leak(argv[1]) : 2;
}
