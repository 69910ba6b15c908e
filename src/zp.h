/* zp.h -- the static library shared by the tool, the runtime and the tests.
 *
 * Nothing here has global state, a constructor or calls exit(): functions
 * return 0 or a negative errno. Addresses are link-time (file) virtual
 * addresses unless a comment says otherwise. */
#ifndef ZP_H
#define ZP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

/* the x86-64 page, for addresses and file offsets alike */
#define ZP_PAGE_SIZE 4096
#define ZP_PAGE_DOWN(a) ((a) & ~(uint64_t)(ZP_PAGE_SIZE - 1))
#define ZP_PAGE_UP(a) ZP_PAGE_DOWN((a) + ZP_PAGE_SIZE - 1)

/* ---- disasm.c: the only file that sees Zydis ---- */

struct zp_disasm {
	_Alignas(8) unsigned char opaque[48];
};

struct zp_insn {
	uint8_t length;
	bool is_syscall;        /* 0f 05 */
	bool is_sysenter;       /* 0f 34 */
	bool is_int80;          /* cd 80 */
	bool is_call;           /* any call: the function is not a leaf */
	bool below_sp;          /* explicit memory operand at a negative offset from rsp */
	bool sp_slot;           /* ... that may reach the 8 bytes just below rsp, where
				 * `call` pushes (lea: the object's size is unknown) */
	bool rz_addr;           /* takes an address below rsp (lea, or an index) */
	int32_t fp_disp;        /* most negative displacement from rbp, or 0 */
	uint32_t grows;         /* bytes the instruction moves rsp down by: push 8,
				 * sub $n,%rsp n, lea -n(%rsp),%rsp n; realignment 64 */
	bool is_push;
	bool sets_fp;           /* mov %rsp,%rbp: a frame pointer from here on */
};

void zp_disasm_init(struct zp_disasm *d);
/* zp_decode -- decode one instruction; -EILSEQ when the bytes are not one */
int zp_decode(const struct zp_disasm *d, const uint8_t *buf, size_t len, struct zp_insn *out);
/* zp_redzone_dead_after -- buf holds the code right after a syscall site
 * (as much as is readable): true when rewriting the site to `call`, which
 * writes the 8 bytes below rsp, cannot change what that code computes */
bool zp_redzone_dead_after(const struct zp_disasm *d, const uint8_t *buf, size_t len);
/* zp_redzone_from -- the same question for the site whose next
 * instruction is at buf + at, buf holding its whole function (jumps back
 * into the code before the site are followed too): ZP_RZ_DEAD, ZP_RZ_LIVE
 * (a path reads the slot, or takes an address below rsp, before anything
 * overwrites it), or ZP_RZ_UNKNOWN (a path leaves the function, goes
 * where it cannot be followed, or the function is over ZP_RZ_FUNC_MAX
 * bytes). rz_pointers: the function takes addresses below rsp, so memory
 * reached through any register but rsp and rip counts as unknown. */
#define ZP_RZ_FUNC_MAX 65536
enum { ZP_RZ_DEAD, ZP_RZ_LIVE, ZP_RZ_UNKNOWN, ZP_RZ_KILLED, ZP_RZ_OUTPUT };
int zp_redzone_from(const struct zp_disasm *d, const uint8_t *buf, size_t len, size_t at, uint32_t ptr_regs);
/* zp_redzone_entry -- the other side of the sites at buf + sites[k], buf
 * holding their whole function from its entry; out[k] for each: every path
 * from the entry
 * is followed with what each general-purpose register may hold as far as
 * addresses into the stack go. args: ZP_RZ_LIVE if an argument register
 * may point below rsp at the site with the kernel's access reaching the
 * slot (its size known for a few calls only), where the kernel would
 * read or write the return address `call` pushed; ZP_RZ_OUTPUT if every
 * such argument is one the kernel only writes through, all of the slot
 * whenever the call succeeds (no path a read or a partial write); slot: ZP_RZ_LIVE if
 * something since the entry may have stored into the slot and no call at
 * or above the site's rsp destroyed it since (else nothing is there to
 * keep); ptr_regs: the registers (bit n: rax 0 .. r15 15) that may hold an
 * address below rsp anywhere, for zp_redzone_from. Returns ZP_RZ_DEAD, or
 * ZP_RZ_UNKNOWN (then args and slot are too, and ptr_regs all but rsp) when
 * a path cannot be followed; a site no followed path reaches is unknown too. */
struct zp_rz_entry {
	int args, slot;
	uint32_t ptr_regs;
};
int zp_redzone_entry(const struct zp_disasm *d, const uint8_t *buf, size_t len, const size_t *sites,
		     size_t nsites, struct zp_rz_entry *out);
/* zp_disasm_version -- "4.0.0.0" */
const char *zp_disasm_version(char *buf, size_t len);

/* ---- elf.c: executable sections and function bounds via libelf/libdw ---- */

struct zp_elf;

struct zp_section {
	char name[32];
	uint64_t addr;          /* sh_addr */
	uint64_t size;
	uint64_t offset;        /* sh_offset, for reading the bytes from the file */
	const uint8_t *data;    /* the bytes as libelf holds them (file or image) */
};

struct zp_func {
	uint64_t start, end;
	bool entry;             /* start is where the function is entered (a
				 * symbol, or an FDE whose CFA there is rsp + 8),
				 * not a part split off one */
};

/* zp_elf_open_file -- open an ELF file; -ENOEXEC when it is not ELF */
int zp_elf_open_file(const char *path, struct zp_elf **out);
/* zp_elf_open_mem -- an ELF image already in memory (the vDSO) */
int zp_elf_open_mem(const void *image, size_t size, struct zp_elf **out);
/* zp_elf_open_vdso -- this process's vDSO (the kernel's, the same in
 * every process), its size from its segments */
int zp_elf_open_vdso(struct zp_elf **out);
void zp_elf_close(struct zp_elf *e);
/* zp_elf_describe -- checks e_machine / e_type: 0, or -ENOEXEC with *why set */
int zp_elf_check(struct zp_elf *e, bool want_shared, const char **why);
/* zp_elf_exec_sections -- SHF_EXECINSTR sections, or executable PT_LOAD
 * segments when the file has no section headers */
int zp_elf_exec_sections(struct zp_elf *e, struct zp_section **out, size_t *n);
/* zp_elf_func_containing -- bounds of the function holding addr, from the
 * symbol tables or the unwind tables (.eh_frame); -ENOENT when unknown */
int zp_elf_func_containing(struct zp_elf *e, uint64_t addr, struct zp_func *out);
/* zp_elf_has_funcs -- does the object bound any function (symbols, FDEs)? */
bool zp_elf_has_funcs(struct zp_elf *e);
/* zp_elf_dynsym -- look a defined symbol up in .dynsym: value and size */
int zp_elf_dynsym(struct zp_elf *e, const char *name, uint64_t *value, uint64_t *size);
/* zp_elf_read -- bytes at a link-time address, from the file's PT_LOAD data */
int zp_elf_read(struct zp_elf *e, uint64_t addr, void *buf, size_t len);
/* zp_elf_segment_vaddr -- p_vaddr (page-aligned) of the PT_LOAD whose
 * page-aligned file offset is off: where a mapping of that offset belongs */
int zp_elf_segment_vaddr(struct zp_elf *e, uint64_t off, uint64_t *vaddr);
/* zp_elf_interp -- PT_INTERP, NULL for a static program */
const char *zp_elf_interp(struct zp_elf *e);
const char *zp_libelf_version(void);

/* ---- scan.c: find syscall sites ---- */

enum zp_site_flags {
	ZP_SITE_SYSENTER = 1 << 0,  /* 0f 34, else 0f 05 */
	ZP_SITE_REDZONE = 1 << 1,   /* the red zone may be live here */
	ZP_SITE_NOFUNC = 1 << 2,    /* no function bounds known: treated as red zone live */
	ZP_SITE_INT80 = 1 << 3,     /* cd 80, int $0x80: the 32-bit gate, which no 2-byte
				     * rewrite can hook (its numbers are not the hooks') */
	ZP_SITE_SLOTOUT = 1 << 4,   /* with ZP_SITE_REDZONE: the slot is only the kernel's
				     * output (it writes all of it on success and reads
				     * none), and its old content is not needed: the site
				     * may be called if the stub steps below the red zone
				     * before it pushes (runtime/stub.S, zp_bad_call) */
};

struct zp_site {
	uint64_t addr;          /* link-time address of the 0f xx */
	uint32_t flags;
};

struct zp_scan {
	struct zp_site *sites;
	size_t nsites, cap;
	uint64_t bytes_scanned;     /* executable section bytes looked at */
	uint64_t bytes_decoded;     /* bytes run through the decoder */
	unsigned lookalikes;        /* 0f 05 / 0f 34 byte pairs that are not instructions */
	uint64_t ns;                /* how long the scan took (kept in the cache) */
};

/* zp_scan_object -- every syscall/sysenter instruction in e's executable
 * sections, read from the file (libelf). Site addresses are link-time
 * addresses. Appends to *s. */
int zp_scan_object(struct zp_elf *e, struct zp_scan *s);
void zp_scan_free(struct zp_scan *s);

/* ---- cache.c: site lists on disk, so a known object is not scanned again ---- */

/* What identifies an object's code: its build-id, and for a file its
 * identity and last change (an entry is valid only while the file is
 * unchanged); and what scanned it: ZP_SCAN_VERSION (bump it when the
 * scanner's results change) and the runtime's own build-id. */
#define ZP_SCAN_VERSION 5

struct zp_cache_key {
	uint8_t build_id[32];
	uint32_t build_id_len;
	uint32_t scan_version;
	uint8_t scanner_id[20];         /* the runtime's own build-id: new code, new entries */
	uint32_t scanner_id_len, pad;
	uint64_t dev, ino, size;
	int64_t mtime_ns, ctime_ns;
	char tag[64];           /* for an object with no file: the kernel release */
};

struct stat;
/* zp_cache_key_matches -- is st (a stat of the file) the file key names,
 * unchanged? */
bool zp_cache_key_matches(const struct stat *st, const struct zp_cache_key *key);
/* zp_file_has_build_id -- does the file at path carry the build-id the key
 * took from the object in memory (or does the key have none)? */
bool zp_file_has_build_id(const char *path, const struct zp_cache_key *key);
/* zp_vdso_tag -- the key tag of this kernel's vDSO ("vdso RELEASE") */
int zp_vdso_tag(char *buf, size_t len);
/* zp_bytes_id -- what names an object by its bytes where it has no
 * build-id (a vDSO built without one): their FNV-1a hash */
uint64_t zp_bytes_id(const void *p, size_t n);

/* The cache's on-disk format: a directory of its own under the root, so
 * builds of another format never read these files, nor these builds theirs */
#define ZP_CACHE_FORMAT "v2"
/* the size bound (ZPOLINE_CACHE_MAX overrides it): least recently used
 * entries go first */
#define ZP_CACHE_MAX_DEFAULT (64ull << 20)

/* zp_cache_root -- the cache's root: $ZPOLINE_CACHE_DIR,
 * $XDG_CACHE_HOME/zpoline or $HOME/.cache/zpoline, into buf; *base is the
 * part that must exist, *rest what may be made under it (the same
 * characters as buf's tail). -ENOENT when the
 * cache is off (ZPOLINE_CACHE=0) or there is no such variable. */
int zp_cache_root(char *buf, size_t len, const char **base, const char **rest);
/* zp_cache_open -- a descriptor of ROOT/v2 (its path into buf), reached
 * from / one checked directory at a time (owner root or this user,
 * writable by no one else; sticky ones allowed above the cache), making
 * the missing components under the existing base if create: -errno else */
int zp_cache_open(char *buf, size_t len, bool create);
/* zp_cache_open_path -- the same for a cache directory given by path,
 * which must exist */
int zp_cache_open_path(const char *dir);
/* zp_cache_load -- fill *s from the entry for key: 0, or -ENOENT / -EINVAL
 * (no entry, or one that does not match or is not ours alone) */
int zp_cache_load(int dirfd, const struct zp_cache_key *key, struct zp_scan *s);
/* zp_cache_store -- write the entry (path: the object's, for listings)
 * atomically, so runs at the same time see a whole entry or none */
int zp_cache_store(int dirfd, const struct zp_cache_key *key, const char *path, const struct zp_scan *s);
/* zp_cache_load_program -- the sites of n objects at once, from the entry
 * for exactly these keys in this order (every key compared in full): 0,
 * or -ENOENT / -EINVAL as zp_cache_load. Each s[i].sites points into
 * *block, which the caller frees once done with them (not zp_scan_free). */
int zp_cache_load_program(int dirfd, const struct zp_cache_key *const *keys, size_t n, struct zp_scan *s,
			  void **block);
/* zp_cache_store_program -- write that entry (paths: the objects', the
 * program's first, for listings) */
int zp_cache_store_program(int dirfd, const struct zp_cache_key *const *keys, const char *const *paths,
			   const struct zp_scan *const *s, size_t n);
/* zp_cache_has, zp_cache_has_program -- is there an entry for key, or
 * the program entry for these keys? One stat, nothing read or checked
 * (zpoline run's pre-scan: a load checks it) */
bool zp_cache_has(int dirfd, const struct zp_cache_key *key);
bool zp_cache_has_program(int dirfd, const struct zp_cache_key *const *keys, size_t n);
/* zp_cache_program_name -- the name of the program entry for these keys */
void zp_cache_program_name(char *buf, size_t len, const struct zp_cache_key *const *keys, size_t n);
/* zp_cache_program_objects -- the objects of the program entry name, each
 * as an item with its path and key (*out to free) */
struct zp_cache_item;
int zp_cache_program_objects(int dirfd, const char *name, struct zp_cache_item **out, size_t *n);

/* zp_image_open -- the patched image of file: the pages that hold the
 * patches (two bytes at a file offset), each patch applied, from the
 * cache, made there if missing, checked against the file before its first
 * use and made again if it fails. Every patched place must hold 0f 05 or
 * 0f 34 in the file and the file must match key, else -EILSEQ / -ESTALE.
 * Sorts p. On success im->fd is the image and im->runs say which ranges
 * of the file (file_off, len) are at which offset of it (image_off). */
struct zp_patch {
	uint64_t off;
	uint8_t bytes[2];
	uint8_t pad[6];
};
struct zp_image_run {
	uint64_t file_off, image_off, len;
};
struct zp_image {
	int fd;
	struct zp_image_run *runs;
	size_t nruns;
	bool made;              /* it was not in the cache: the cache grew */
};
int zp_image_open(int dirfd, int imgfd, const struct zp_cache_key *key, const char *file, struct zp_patch *p,
		  size_t n, struct zp_image *im);
/* zp_image_dir -- the images directory of the cache dirfd, checked (made
 * if create): to pass as zp_image_open's imgfd when opening several
 * images, or -1 to have each call open it */
int zp_image_dir(int dirfd, bool create);
void zp_image_close(struct zp_image *im);

/* What is in the cache: one item per site list or image */
struct zp_cache_item {
	char name[300];         /* relative to the cache directory */
	char path[256];         /* the object's, as recorded */
	struct zp_cache_key key;
	bool valid;             /* its header could be read */
	bool image;
	bool program;           /* a program's entry: nobjects objects' sites */
	uint64_t nobjects;
	uint64_t nsites;
	uint64_t bytes;         /* on disk */
	int64_t used_ns, made_ns;
};
/* zp_cache_list -- every item, least recently used first (access time, at
 * the file system's granularity); if clean, temporary files abandoned by
 * killed writers are removed on the way */
int zp_cache_list(int dirfd, bool clean, struct zp_cache_item **out, size_t *n);
int zp_cache_remove(int dirfd, const struct zp_cache_item *it);
/* zp_cache_object_state -- is the object of an object's item (not a
 * program's) the one its key names: 0; -ESTALE if changed, -ENOENT if
 * gone (or another kernel's vDSO), another -errno if that cannot be told */
int zp_cache_object_state(const struct zp_cache_item *it);
/* zp_cache_max -- $ZPOLINE_CACHE_MAX (bytes, K, M or G) or the default */
uint64_t zp_cache_max(void);
/* zp_cache_trim -- remove abandoned temporary files, then the least
 * recently used items until the cache holds at most max bytes */
int zp_cache_trim(int dirfd, uint64_t max);

/* ---- maps.c: /proc/self/maps ---- */

struct zp_map {
	uintptr_t start, end;
	int prot;               /* PROT_* */
	bool shared;
	uint64_t offset;
	uint64_t dev, ino;      /* the file's, as stat(2) gives them */
	char path[256];
};

/* zp_maps_read -- parse a maps file (fd already open at offset 0) */
int zp_maps_read(int fd, struct zp_map **out, size_t *n);
/* zp_maps_find -- the entry holding addr, or NULL */
const struct zp_map *zp_maps_find(const struct zp_map *m, size_t n, uintptr_t addr);

/* ---- sysnames.c (generated from <asm/unistd_64.h>) ---- */

extern const unsigned zp_syscall_count;     /* highest number + 1 */
/* zp_syscall_name -- NULL for a number with no name */
const char *zp_syscall_name(long nr);
long zp_syscall_number(const char *name);

/* ---- hookinfo.c: what a hook library file declares, read without loading it ---- */

struct zp_hookinfo {
	bool native;            /* exports zpoline_hook */
	bool legacy;            /* exports __hook_init (the original zpoline) */
	uint32_t abi_version;
	uint32_t flags;
};

/* zp_hookinfo_read -- -ENOENT (no file), -ENOEXEC (not an x86-64 shared
 * object; *why says which), -ESRCH (no entry point) */
int zp_hookinfo_read(const char *path, struct zp_hookinfo *hi, const char **why);

/* ---- report.c: the rewrite statistics, as a table or JSON ---- */

struct zp_objstat {
	char path[256];
	uint64_t bytes;             /* executable section bytes scanned */
	uint64_t decoded;           /* bytes run through the decoder */
	unsigned syscall, sysenter; /* sites found */
	unsigned called;            /* rewritten to call *%rax */
	unsigned trapped;           /* rewritten to ud2 (red zone live, or trap mode) */
	unsigned excluded;          /* left alone: the object is excluded */
	unsigned noprot;            /* left alone: the page could not be written */
	unsigned changed;           /* left alone: the bytes were not a syscall any more */
	uint64_t ns;                /* time spent on the object */
	bool cached;                /* the sites came from the cache */
};

/* zp_json_string -- s as a JSON string, quoted and escaped (also the
 * tool's JSON) */
void zp_json_string(FILE *f, const char *s);
/* zp_report -- the report as text, malloc'd: an aligned table, or one JSON
 * object; `what` says where the numbers come from ("live", "static"),
 * startup_ns < 0 when not measured */
char *zp_report(const struct zp_objstat *v, size_t n, bool json, const char *what,
		const char *mode, int64_t startup_ns);
/* zp_objstat_from_scan -- what the runtime would do with a scan's sites in
 * fast mode */
void zp_objstat_from_scan(struct zp_objstat *st, const struct zp_scan *s);

/* ---- util.c ---- */
uint64_t zp_now_ns(void);
/* zp_pkeys -- does this kernel and CPU give execute-only pages
 * (protection keys: a key allocated and freed again)? */
bool zp_pkeys(void);
/* runtimes whose null checks are loads near address 0 that must fault:
 * the runtime runs them in sud mode where page 0 cannot be execute only,
 * and the launcher then pre-scans nothing for them */
#define ZP_NULL_PAGE_RUNTIMES "libjvm.so:libjli.so:libcoreclr.so"
/* zp_high_fd -- a copy of fd numbered out of the program's way (just below
 * RLIMIT_NOFILE, or from 100), inheritable; -errno on failure */
int zp_high_fd(int fd);

/* ---- glob.c ---- */
/* zp_path_matches -- the path, or its basename, matches one of the
 * colon-separated shell globs in list */
bool zp_path_matches(const char *list, const char *path);

#endif
