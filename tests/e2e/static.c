/* static -- linked statically: LD_PRELOAD cannot reach it */
int main(void)
{
	return 0;
}
