/* noentry -- a shared object that is not a hook: no entry point */
int not_a_hook(void);

int not_a_hook(void)
{
	return 1;
}
