#!/usr/bin/env python3
"""The cache of scan results and patched pages: small, checked, bounded,
visible. Each check prints ok or FAIL; exit 1 if any failed.

usage: cache.py ZPOLINE PPID [NAME]

NAME runs only the checks whose name contains it."""
import json
import os
import shutil
import stat
import subprocess
import sys
import tempfile
import time

Z, PPID = os.path.abspath(sys.argv[1]), os.path.abspath(sys.argv[2])
ONLY = sys.argv[3] if len(sys.argv) > 3 else ""
failed = passed = 0


def env(**kw):
    """the environment without ZPOLINE_ variables, with kw (None: unset)"""
    e = dict(os.environ)
    for k in [k for k in e if k.startswith("ZPOLINE_")]:
        del e[k]
    e.update(kw)
    return {k: v for k, v in e.items() if v is not None}


def run(args, **kw):
    kw.setdefault("capture_output", True)
    kw.setdefault("text", True)
    kw.setdefault("timeout", 300)
    return subprocess.run(args, **kw)


def result(name, ok, why=""):
    global failed, passed
    if ok:
        passed += 1
        print("ok   " + name)
    else:
        failed += 1
        print("FAIL %s: %s" % (name, why))


def hooked(cache, prog, **kw):
    """run prog under the deny hook (getppid fails), in cache; the libc
    text mappings of the process and its output"""
    p = run([Z, "run", "--hook", "deny", "--hook-opt", "getppid=EPERM", "--", "sh", "-c",
             "grep ' r-xp .*/libc.so.6$' /proc/$$/maps; %s" % prog],
            env=env(ZPOLINE_CACHE_DIR=cache, **kw))
    lines = p.stdout.splitlines()
    return ([l.split()[-1] for l in lines if "r-xp" in l],
            " ".join(l for l in lines if not l.startswith(("7", "5")) or "r-xp" not in l), p)


def images(cache, name="libc.so.6"):
    root = os.path.join(cache, "v2", "images")
    return sorted(os.path.join(r, f) for r, _, fs in os.walk(root) for f in fs if f == name)


def tree_size(d):
    return sum(os.lstat(os.path.join(r, f)).st_blocks * 512 for r, _, fs in os.walk(d) for f in fs)


def libc_exec_bytes():
    """bytes of libc's executable segment, as the loader maps it"""
    with open("/proc/self/maps") as f:
        for l in f:
            if " r-xp " in l and l.rstrip().endswith("/libc.so.6"):
                a, b = (int(x, 16) for x in l.split()[0].split("-"))
                return b - a
    return 0


def check(name):
    return ONLY in name


d = tempfile.mkdtemp()
try:
    # 1. an image holds only the pages with sites, mapped over the
    # original: the libc mapping is the file's own between them
    if check("pages"):
        c = os.path.join(d, "pages")
        texts, out, p = hooked(c, PPID)
        imgs = images(c)
        size = os.path.getsize(imgs[0]) if imgs else 0
        from_image = [t for t in texts if "/images/" in t]
        from_file = [t for t in texts if "/images/" not in t]
        result("pages: libc's image holds only the pages from its first site to its last (%d KiB of a "
               "%d KiB segment)" % (size // 1024, libc_exec_bytes() // 1024),
               p.returncode == 0 and "ppid -1" in out and imgs and 0 < size < libc_exec_bytes()
               and from_image and from_file,
               "%r size=%d texts=%r %s" % (out, size, texts[:4], p.stderr[-300:]))

    # 2. an image is checked against the original before it is used: one
    # changed, truncated, stripped of its stamp or replaced by a symlink is
    # made again, and the program runs as natively
    if check("checked"):
        c = os.path.join(d, "checked")
        hooked(c, PPID)
        img = images(c)[0]
        good = open(img, "rb").read()
        victim = os.path.join(d, "victim")
        for how in ["bytes", "truncated", "stamp", "symlink", "others"]:
            if how == "bytes":
                with open(img, "r+b") as f:
                    f.seek(len(good) - 4096 + 100)
                    f.write(b"\xcc" * 16)
            elif how == "truncated":
                os.truncate(img, 5000)
            elif how == "stamp":
                # its stamp (the modification time) replaced by an
                # ordinary time, an hour ago
                with open(img, "r+b") as f:
                    f.seek(len(good) - 4096 + 200)
                    f.write(b"\x90" * 16)
                os.utime(img, (time.time() - 3600, time.time() - 3600))
            elif how == "symlink":
                with open(victim, "wb") as f:
                    f.write(b"precious")
                os.unlink(img)
                os.symlink(victim, img)
            elif how == "others":
                os.chmod(img, 0o666)
            texts, out, p = hooked(c, PPID)
            now = open(img, "rb").read() if not os.path.islink(img) else b""
            ok = (p.returncode == 0 and "ppid -1" in out and now == good
                  and any("/images/" in t for t in texts) and not os.stat(img).st_mode & 0o022)
            if how == "symlink":
                ok = ok and open(victim, "rb").read() == b"precious"
            result("checked: an image %s is made again before use" % {
                "bytes": "with 16 bytes changed", "truncated": "truncated",
                "stamp": "changed, with no stamp", "symlink": "replaced by a symlink",
                "others": "others can write"}[how], ok,
                "%r %r %s" % (out, texts[:2], p.stderr[-300:]))

    # 3. the directory chain: a cache directory that is a symlink, or that
    # others can write, is not used; nothing is followed out of it
    if check("directory"):
        target = os.path.join(d, "elsewhere")
        os.mkdir(target)
        link = os.path.join(d, "link-cache")
        os.symlink(target, link)
        _, out, p = hooked(link, PPID)
        result("directory: a cache directory that is a symlink is not used",
               p.returncode == 0 and "ppid -1" in out and os.listdir(target) == [],
               "%r %r" % (out, os.listdir(target)))
        c = os.path.join(d, "v2-link")
        os.mkdir(c)
        os.symlink(target, os.path.join(c, "v2"))
        _, out, p = hooked(c, PPID)
        result("directory: a v2 that is a symlink is not followed",
               p.returncode == 0 and "ppid -1" in out and os.listdir(target) == [],
               "%r %r" % (out, os.listdir(target)))
        c = os.path.join(d, "open-cache")
        os.makedirs(os.path.join(c, "v2"))
        os.chmod(os.path.join(c, "v2"), 0o777)
        _, out, p = hooked(c, PPID)
        result("directory: a cache directory others can write is not used",
               p.returncode == 0 and "ppid -1" in out and os.listdir(os.path.join(c, "v2")) == [],
               "%r %r" % (out, os.listdir(os.path.join(c, "v2"))))
        # a directory above it that others may rename in (writable by
        # others and not sticky, or another user's): they can put another
        # of this user's directories in its place, holding what they had
        # this user write there (an archive unpacked, a checkout), site
        # lists that leave calls out among it
        above = [("others can write", 0o777, None)]
        if os.geteuid() == 0:
            above.append(("another user owns", 0o755, 65534))
        for what, mode, owner in above:
            up = os.path.join(d, "above-" + str(mode))
            c = os.path.join(up, "cache")
            os.makedirs(os.path.join(c, "v2"))
            os.chmod(os.path.join(c, "v2"), 0o700)
            os.chmod(c, 0o700)
            os.chmod(up, mode)
            if owner is not None:
                os.chown(up, owner, owner)
            _, out, p = hooked(c, PPID)
            result("directory: a cache below a directory %s is not used" % what,
                   p.returncode == 0 and "ppid -1" in out and os.listdir(os.path.join(c, "v2")) == [],
                   "%r %r" % (out, os.listdir(os.path.join(c, "v2"))))
        # an entry someone else owns is not read
        c = os.path.join(d, "owned")
        first = run([Z, "stats", "--json", "--no-run", "--", PPID], env=env(ZPOLINE_CACHE_DIR=c))
        for n in os.listdir(os.path.join(c, "v2")):
            if n.endswith((".sites", ".prog")):
                os.chown(os.path.join(c, "v2", n), 65534, 65534)
        second = run([Z, "stats", "--json", "--no-run", "--", PPID], env=env(ZPOLINE_CACHE_DIR=c))
        cached = [o["cached"] for o in json.loads(second.stderr)["objects"]]
        result("directory: an entry another user owns is not read", cached and not any(cached),
               second.stderr[-300:])

    # 4. HOME that does not exist: nothing is made; the program runs
    if check("home"):
        home = os.path.join(d, "nonexistent", "x")
        # (XDG_CACHE_HOME, where set, would name the cache instead)
        p = run([Z, "run", "--hook", "null", "--", PPID], env=env(HOME=home, XDG_CACHE_HOME=None))
        result("home: HOME=%s makes nothing" % home,
               p.returncode == 0 and not os.path.exists(os.path.join(d, "nonexistent")),
               p.stderr[-300:])
        home = os.path.join(d, "home")
        os.mkdir(home)
        p = run([Z, "run", "--hook", "null", "--", PPID], env=env(HOME=home, XDG_CACHE_HOME=None))
        v2 = os.path.join(home, ".cache", "zpoline", "v2")
        result("home: an existing HOME gets .cache/zpoline/v2, private",
               p.returncode == 0 and os.path.isdir(v2) and stat.S_IMODE(os.stat(v2).st_mode) == 0o700,
               p.stderr[-300:])

    # 5. leftovers of killed runs are removed on the next miss; fresh
    # ones (a run in progress) are not
    if check("leftovers"):
        c = os.path.join(d, "left")
        hooked(c, PPID)
        v2 = os.path.join(c, "v2")
        sub = os.path.dirname(images(c)[0])
        old = [os.path.join(v2, ".1.0.1.tmp"), os.path.join(sub, ".1.0.2.tmp")]
        new = os.path.join(v2, ".2.0.3.tmp")
        for f in old + [new]:
            with open(f, "wb") as fh:
                fh.write(b"x" * 4096)
        for f in old:
            os.utime(f, (time.time() - 7200, time.time() - 7200))
        tmpdir = os.path.join(d, "tmpdir")
        os.mkdir(tmpdir)
        stale = os.path.join(tmpdir, "zpoline-abcdef")
        os.mkdir(stale)
        open(os.path.join(stale, "x.sites"), "w").close()
        os.utime(stale, (time.time() - 7200, time.time() - 7200))
        shutil.copy(PPID, os.path.join(d, "ppid-copy"))     # a miss
        run([Z, "run", "--hook", "null", "--", os.path.join(d, "ppid-copy")], env=env(ZPOLINE_CACHE_DIR=c))
        run([Z, "run", "--hook", "null", "--", PPID], env=env(ZPOLINE_CACHE="0", TMPDIR=tmpdir))
        result("leftovers: abandoned temporary files and scan directories are removed",
               not any(os.path.exists(f) for f in old) and os.path.exists(new) and not os.path.exists(stale)
               and os.listdir(tmpdir) == [],
               "%r %r" % ([os.path.exists(f) for f in old + [new]], os.listdir(tmpdir)))

    # 6. the size bound: least recently used items go first
    if check("bound"):
        c = os.path.join(d, "bound")
        for prog in ["/bin/true", "python3 -c pass", "ls /", PPID]:
            run([Z, "run", "--hook", "null", "--"] + prog.split(), env=env(ZPOLINE_CACHE_DIR=c))
        full = tree_size(os.path.join(c, "v2"))
        bound = full - 8192      # room for less than what the next run adds
        shutil.copy(PPID, os.path.join(d, "ppid-bound"))
        p = run([Z, "run", "--hook", "null", "--", os.path.join(d, "ppid-bound")],
                env=env(ZPOLINE_CACHE_DIR=c, ZPOLINE_CACHE_MAX=str(bound)))
        listing = run([Z, "cache"], env=env(ZPOLINE_CACHE_DIR=c)).stdout
        result("bound: ZPOLINE_CACHE_MAX=%d keeps the cache under it (was %d)" % (bound, full),
               p.returncode == 0 and tree_size(os.path.join(c, "v2")) <= bound and "ppid-bound" in listing,
               "%d %s" % (tree_size(os.path.join(c, "v2")), listing[-500:]))

    # 7. zpoline cache: where, how big, what; --prune, --clear; check
    if check("command"):
        c = os.path.join(d, "cmd")
        copy = os.path.join(d, "ppid-gone")
        shutil.copy(PPID, copy)
        run([Z, "run", "--hook", "null", "--", copy], env=env(ZPOLINE_CACHE_DIR=c))
        run([Z, "run", "--hook", "null", "--", PPID], env=env(ZPOLINE_CACHE_DIR=c))
        # started by a relative name: listed by an absolute one, so a
        # --prune from another directory keeps it
        rel = os.path.join(d, "ppid-rel")
        shutil.copy(PPID, rel)
        run([Z, "run", "--hook", "null", "--", "./ppid-rel"], env=env(ZPOLINE_CACHE_DIR=c), cwd=d)
        os.unlink(copy)
        p = run([Z, "cache"], env=env(ZPOLINE_CACHE_DIR=c))
        lines = p.stdout.splitlines()
        result("command: zpoline cache shows the place, the size and each entry with its state",
               p.returncode == 0 and lines[0] == "cache: %s/v2" % c and lines[1].startswith("size:")
               and any(l.endswith(copy) and " gone " in l for l in lines)
               and any(l.endswith("/libc.so.6") and " ok " in l and l.startswith("image") for l in lines),
               p.stdout[-600:] + p.stderr)
        p = run([Z, "cache", "--prune"], env=env(ZPOLINE_CACHE_DIR=c))
        after = run([Z, "cache"], env=env(ZPOLINE_CACHE_DIR=c)).stdout
        result("command: --prune removes what belongs to objects that are gone",
               p.returncode == 0 and copy not in after and "libc.so.6" in after, after[-600:])
        result("command: a program started as ./NAME is listed and kept by its absolute name",
               any(l.endswith(" " + rel) and l.startswith("sites") for l in after.splitlines()), after[-600:])
        p = run([Z, "check"], env=env(ZPOLINE_CACHE_DIR=c))
        result("command: zpoline check reports the cache's size",
               any(l.split()[1:2] == ["cache"] and " MiB in " in l for l in p.stdout.splitlines()), p.stdout)
        p = run([Z, "cache", "--clear"], env=env(ZPOLINE_CACHE_DIR=c))
        after = run([Z, "cache"], env=env(ZPOLINE_CACHE_DIR=c)).stdout
        result("command: --clear empties it", p.returncode == 0 and " in 0 items" in after, after)
        p = run([Z, "cache", "--clear", "--prune"], env=env(ZPOLINE_CACHE_DIR=c))
        result("command: --clear with --prune is a usage error (2, one line)",
               p.returncode == 2 and "give one of them" in p.stderr, p.stderr)
        os.chmod(os.path.join(c, "v2"), 0o777)
        p = run([Z, "cache"], env=env(ZPOLINE_CACHE_DIR=c))
        result("command: a cache others can write is refused (125, what to do)",
               p.returncode == 125 and "ZPOLINE_CACHE_DIR" in p.stderr and len(p.stderr.splitlines()) == 1,
               p.stderr)

    # 7b. what an older zpoline left: entries another build of the runtime
    # made (its build-id is in every key), and the first format's files in
    # the cache's root; --prune removes those, and only those
    if check("other"):
        # the default cache (in HOME): the first format's files are
        # removed from that root only
        home = os.path.join(d, "other-home")
        os.mkdir(home)
        c = os.path.join(home, ".cache", "zpoline")
        here = dict(HOME=home, XDG_CACHE_HOME=None)
        rt = os.path.join(d, "other-runtime")
        os.mkdir(rt)
        built = os.path.join(os.path.dirname(Z), "..", "runtime")
        for f in ("libzpoline.so", "zpoline-decode.so", "zpoline-scan"):
            shutil.copy(os.path.join(built, f), rt)
        lib = os.path.join(rt, "libzpoline.so")
        bid = run(["readelf", "-n", lib]).stdout.split("Build ID:")[1].split()[0]
        with open(lib, "rb") as f:
            b = bytearray(f.read())
        at = b.find(bytes.fromhex(bid))
        b[at] ^= 0xff
        with open(lib, "wb") as f:
            f.write(b)
        null = os.path.join(built, "..", "hooks", "null.so")
        p1 = run([PPID], env=env(LD_PRELOAD=lib, ZPOLINE_HOOK=null, **here))
        p2 = run([Z, "run", "--hook", "null", "--", PPID], env=env(**here))
        lines = run([Z, "cache"], env=env(**here)).stdout.splitlines()
        mine = [l for l in lines if l.endswith(PPID) and l.startswith("sites")]
        result("other: entries another build of the runtime made show as 'other', this one's as 'ok'",
               p1.returncode == 0 and p2.returncode == 0 and sorted(l.split()[5] for l in mine) == ["ok", "other"],
               "\n".join(lines[-20:]) + p1.stderr + p2.stderr)
        # the first format: HASH.sites beginning 1CETISPZ, images/HASH/NAME
        # holding an ELF file; beside them look-alikes that are not ours
        old_sites = os.path.join(c, "0123456789abcdef.sites")
        with open(old_sites, "wb") as f:
            f.write(b"1CETISPZ" + bytes(4088))
        os.makedirs(os.path.join(c, "images", "0123456789abcdef"))
        old_image = os.path.join(c, "images", "0123456789abcdef", "ppid")
        shutil.copy(PPID, old_image)
        keep = [os.path.join(c, "fedcba9876543210.sites"), os.path.join(c, "notes.sites"),
                os.path.join(c, "images", "1111111111111111", "notes.txt"), os.path.join(c, "mine.txt")]
        os.makedirs(os.path.join(c, "images", "1111111111111111"))
        for k in keep:
            with open(k, "w") as f:
                f.write("not zpoline's\n")
        out = run([Z, "cache"], env=env(**here)).stdout
        want = os.path.getsize(old_sites) + os.path.getsize(old_image)
        result("other: the first format's files are listed as such, with their size",
               "older format: %.1f KiB in 2 items" % (want / 1024) in out, out[:600])
        p = run([Z, "cache", "--prune"], env=env(**here))
        lines = run([Z, "cache"], env=env(**here)).stdout.splitlines()
        states = {l.split()[5] for l in lines[4:] if len(l.split()) > 5}
        result("other: --prune removes them and the first format's files, and keeps this runtime's "
               "entries and files that are not zpoline's",
               p.returncode == 0 and states == {"ok"} and any(l.endswith(PPID) for l in lines)
               and not os.path.exists(old_sites) and not os.path.exists(os.path.dirname(old_image))
               and all(os.path.exists(k) for k in keep) and not any("older format" in l for l in lines),
               p.stdout + "\n".join(lines[:20]))
        # a directory ZPOLINE_CACHE_DIR names may hold anyone's files in
        # such places: they stay
        shared = os.path.join(d, "other-shared")
        os.makedirs(os.path.join(shared, "images", "0123456789abcdef"))
        theirs = [os.path.join(shared, "images", "0123456789abcdef", "mytool"),
                  os.path.join(shared, "0123456789abcdef.sites")]
        shutil.copy(PPID, theirs[0])
        with open(theirs[1], "wb") as f:
            f.write(b"1CETISPZ" + bytes(4088))
        run([Z, "run", "--hook", "null", "--", PPID], env=env(ZPOLINE_CACHE_DIR=shared))
        p = run([Z, "cache", "--prune"], env=env(ZPOLINE_CACHE_DIR=shared))
        result("other: under ZPOLINE_CACHE_DIR, --prune leaves files in the first format's places alone",
               p.returncode == 0 and all(os.path.exists(t) for t in theirs), p.stdout + p.stderr)

    # 8. each object's scan time is its own, on a cold cache too
    if check("time"):
        c = os.path.join(d, "time")
        p = run([Z, "stats", "--json", "--no-run", "--", "python3", "-c", "pass"], env=env(ZPOLINE_CACHE_DIR=c))
        objs = json.loads(p.stderr)["objects"]
        ms = [o["ms"] for o in objs if not o["cached"]]
        result("time: on a cold cache each object's TIME is measured, not a share of the total",
               len(ms) >= 3 and len(set(ms)) == len(ms), repr(ms))

    # 9. the figure: rustc, node, python3 and gcc together < 5 MB
    if check("size"):
        c = os.path.join(d, "size")
        progs = []
        src = os.path.join(d, "m.rs")
        with open(src, "w") as f:
            f.write("fn main() {}\n")
        csrc = os.path.join(d, "m.c")
        with open(csrc, "w") as f:
            f.write("int main(void) { return 0; }\n")
        if shutil.which("rustc"):
            progs.append(["rustc", "-o", os.path.join(d, "m-rs"), src])
        if shutil.which("node"):
            progs.append(["node", "-e", "1"])
        progs.append(["python3", "-c", "import json"])
        if shutil.which("gcc"):
            progs.append(["gcc", "-o", os.path.join(d, "m-c"), csrc])
        bad = []
        for prog in progs:
            p = run([Z, "run", "--hook", "null", "--"] + prog, env=env(ZPOLINE_CACHE_DIR=c))
            if p.returncode != 0:
                bad.append((prog[0], p.stderr[-200:]))
        size = tree_size(c)
        result("size: the cache after %s is %.2f MB (< 5 MB)" % (", ".join(p[0] for p in progs), size / 1e6),
               size < 5e6 and not bad, repr(bad))
    # 11. a warm start reads the program's entry: one file for every
    # object it starts with, used only while each is the one it names
    if check("program"):
        c = os.path.join(d, "program")
        v2 = os.path.join(c, "v2")
        copy = os.path.join(d, "ppid-program")
        shutil.copy(PPID, copy)

        def stats():
            p = run([Z, "stats", "--json", "--no-run", "--", copy], env=env(ZPOLINE_CACHE_DIR=c))
            try:
                return {o["path"]: o["cached"] for o in json.loads(p.stderr)["objects"]}, p
            except ValueError:
                return {}, p

        def named(end):
            return sorted(n for n in os.listdir(v2) if n.endswith(end))

        stats()
        progs = named(".prog")
        for n in named(".sites"):
            os.unlink(os.path.join(v2, n))
        cached, p = stats()
        result("program: one entry for the program, and a warm start needs no other",
               len(progs) == 1 and len(cached) >= 3 and all(cached.values()) and named(".sites") == [],
               "%r %r %s" % (progs, cached, p.stderr[-300:]))
        listing = run([Z, "cache"], env=env(ZPOLINE_CACHE_DIR=c)).stdout
        result("program: zpoline cache lists it as a program, with its objects",
               any(l.startswith("program") and " ok " in l and copy + " and " in l for l in listing.splitlines()),
               listing[-600:])
        with open(copy, "ab") as f:
            f.write(b"\0")
        cached, p = stats()
        result("program: an object changed since is not taken from the program's entry",
               cached.get(copy) is False and len(named(".prog")) == 2, "%r %s" % (cached, p.stderr[-300:]))
        run([Z, "cache", "--prune"], env=env(ZPOLINE_CACHE_DIR=c))
        left = named(".prog")
        result("program: --prune removes the entry whose object changed, and keeps the current one",
               len(left) == 1 and left != progs, "%r %r" % (progs, left))
        for n in left:
            os.truncate(os.path.join(v2, n), 300)
        cached, p = stats()
        result("program: a truncated entry is not used; the objects' own entries are",
               p.returncode == 0 and len(cached) >= 3 and all(cached.values()), "%r %s" % (cached, p.stderr[-300:]))

    # 12. zpoline run fills a cold cache before the program starts: no
    # helper process is started, and the program itself loads no scanner;
    # each of its objects is then from the cache (-v marks them *)
    if check("prescan"):
        c = os.path.join(d, "prescan")
        copy = os.path.join(d, "ppid-prescan")
        shutil.copy(PPID, copy)     # a file no cache knows
        trace = os.path.join(d, "prescan.strace")
        cmd = [Z, "run", "-v", "--hook", "deny", "--hook-opt", "getppid=EPERM", "--", copy]
        if shutil.which("strace"):
            p = run(["strace", "-f", "-o", trace, "-e", "trace=execve,openat"] + cmd, env=env(ZPOLINE_CACHE_DIR=c))
            with open(trace) as f:
                lines = f.read().splitlines()
            execs = [l for l in lines if " execve(" in l]
            started = next((i for i, l in enumerate(lines) if "execve(\"%s\"" % copy in l), len(lines))
            scanner = [l for l in lines[started:] if "zpoline-decode.so" in l or "zpoline-scan" in l]
            result("prescan: a cold run starts no helper process (one execve: the program's)",
                   p.returncode == 0 and "ppid -1" in p.stdout and len(execs) == 2 and
                   not any("zpoline-scan" in l for l in execs), "%r %s" % (execs, p.stderr[-300:]))
            result("prescan: the program loads no scanner: the launcher scanned before it started",
                   started < len(lines) and not scanner, repr(scanner[:3]))
            resolved = any("libc.so.6" in l and "O_NONBLOCK" in l for l in lines[:started])
            # warm: the launcher stats the objects, it reads none of them
            run(["strace", "-f", "-o", trace, "-e", "trace=execve,openat,open"] + cmd, env=env(ZPOLINE_CACHE_DIR=c))
            with open(trace) as f:
                lines = f.read().splitlines()
            started = next((i for i, l in enumerate(lines) if "execve(\"%s\"" % copy in l), len(lines))
            # (the resolver opens with O_NONBLOCK; the loader, loading
            # zpoline's own libc, without)
            opened = [l for l in lines[:started] if "libc.so.6" in l and "O_NONBLOCK" in l]
            result("prescan: on a warm cache the launcher reads no library (a stat of each object)",
                   started < len(lines) and not opened and resolved, repr(opened[:3]))

        def all_cached(c):
            p = run(cmd, env=env(ZPOLINE_CACHE_DIR=c))
            rows = [l for l in p.stderr.splitlines() if l.startswith(("/", "["))]
            return p.returncode == 0 and len(rows) >= 3 and all(l.split()[7].endswith("*") for l in rows), p
        c2 = os.path.join(d, "prescan-v")
        ok, p = all_cached(c2)
        result("prescan: on the first run every object the program starts with is from the cache", ok,
               p.stderr[-600:])
        all_cached(c2)
        with open(copy, "ab") as f:
            f.write(b"\0")
        ok, p = all_cached(c2)
        result("prescan: a program changed since the last run is scanned again before it starts", ok,
               p.stderr[-600:])

    # 10. a cold scan that takes long prints one progress line, on a
    # terminal only; a short one prints nothing
    if check("progress") and shutil.which("script"):
        big = None
        for root in [os.path.expanduser("~/.rustup/toolchains")]:
            for r, _, fs in os.walk(root) if os.path.isdir(root) else []:
                big = big or next((os.path.join(r, f) for f in fs if f.startswith("librustc_driver")), None)
        big = big or shutil.which("node")
        if big:
            copy = os.path.join(d, os.path.basename(big))
            shutil.copy(big, copy)     # a file no cache knows
            prog = "python3 -c 'import ctypes; ctypes.CDLL(\"%s\")'" % copy if big.endswith(".so") else copy + " -e 1"
            def tty_run(cmd, c):
                return run(["script", "-qec", cmd, "/dev/null"],
                           env=env(ZPOLINE_CACHE_DIR=os.path.join(d, c))).stdout
            out = tty_run("%s run --hook null -- %s" % (Z, prog), "prog-tty")
            name = os.path.basename(big)
            result("progress: a long cold scan names the object, its size and the share done, on a terminal",
                   "zpoline: scanning %s (" % name in out and "MB), " in out and "%" in out, repr(out[-300:]))
            p = run(["sh", "-c", "%s run --hook null -- %s" % (Z, prog)],
                    env=env(ZPOLINE_CACHE_DIR=os.path.join(d, "prog-file")))
            result("progress: nothing when stderr is not a terminal", "scanning" not in p.stderr, p.stderr[-300:])
            shutil.copy(PPID, os.path.join(d, "ppid-short"))
            out = tty_run("%s run --hook null -- %s" % (Z, os.path.join(d, "ppid-short")), "prog-short")
            result("progress: nothing for a short scan", "scanning" not in out, repr(out[-300:]))
    # 13. a library loaded after start-up (Python's ctypes: _ctypes and
    # libffi) goes to the cache start-up used: the runtime's variables
    # have left environ by then, and such scans went to ~/.cache, and
    # ZPOLINE_CACHE=0 was ignored
    if check("late"):
        home = os.path.join(d, "late-home")
        os.mkdir(home)
        c = os.path.join(d, "late-cache")
        prog = [sys.executable, "-c", "import ctypes; print(ctypes.CDLL(None).getppid())"]
        p = run([Z, "run", "--hook", "deny", "--hook-opt", "getppid=EPERM", "--"] + prog,
                env=env(ZPOLINE_CACHE_DIR=c, HOME=home, XDG_CACHE_HOME=""))
        listing = run([Z, "cache"], env=env(ZPOLINE_CACHE_DIR=c)).stdout
        result("late: a library loaded after start-up goes to ZPOLINE_CACHE_DIR",
               p.returncode == 0 and p.stdout.strip() == "-1" and "_ctypes" in listing and
               not os.path.exists(os.path.join(home, ".cache")),
               "%r %r %s" % (p.stdout, os.listdir(home), p.stderr[-300:]))
        p = run([Z, "run", "--hook", "deny", "--hook-opt", "getppid=EPERM", "--"] + prog,
                env=env(ZPOLINE_CACHE="0", HOME=home, XDG_CACHE_HOME=""))
        result("late: ZPOLINE_CACHE=0 holds for a library loaded after start-up",
               p.returncode == 0 and p.stdout.strip() == "-1" and not os.path.exists(os.path.join(home, ".cache")),
               "%r %r %s" % (p.stdout, os.listdir(home), p.stderr[-300:]))
finally:
    shutil.rmtree(d, ignore_errors=True)

print("%d passed, %d failed" % (passed, failed))
sys.exit(1 if failed else 0)
