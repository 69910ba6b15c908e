/* own-malloc-lib -- a library with TLS of its own, dlopen'd by
 * own-malloc: each thread that touches it gets a block the dynamic loader
 * allocates (and frees at the thread's exit) with the program's malloc */
__attribute__((visibility("default"))) int own_tls_touch(int v);

static __thread int block[4096];

int own_tls_touch(int v)
{
	block[v & 4095] += v;
	return block[v & 4095];
}
