#!/usr/bin/env python3
"""Real programs, run natively and under `zpoline run` with each hook; the
output and exit status must match. Programs that are not installed are
skipped (and counted as such).

usage: real.py ZPOLINE HOOK [MODE]

MODE: auto (the default), fast, trap, sud, or catch (auto with --catch-late)."""
import os
import shutil
import subprocess
import sys
import tempfile

Z, HOOK = os.path.abspath(sys.argv[1]), sys.argv[2]
MODE = sys.argv[3] if len(sys.argv) > 3 else "auto"
MODE_ARGS = "--catch-late" if MODE == "catch" else "--mode " + MODE

JAVA = r"""
import java.util.concurrent.*;
public class W {
  public static void main(String[] a) throws Exception {
    ExecutorService e = Executors.newFixedThreadPool(4);
    Future<Integer> f = e.submit(() -> 6 * 7);
    System.out.println(f.get());
    e.shutdown();
    Process p = new ProcessBuilder("echo", "proc").start();
    System.out.println(new String(p.getInputStream().readAllBytes()).trim() + " " + p.waitFor());
    String s = null;
    try { s.length(); } catch (NullPointerException x) { System.out.println("NPE caught"); }
  }
}
"""

# (programs that must be installed, shell command)
CASES = [
    (["sh"], "for i in 3 1 2; do echo $i; done | sort | tr '\\n' ' '; (exit 7)"),
    (["bash"], "bash -c 'set -e; x=$(echo sub); echo \"$x\"; sleep 0.05 & wait; ls / | wc -l >/dev/null'"),
    (["cc"], "printf 'int main(void){return 3;}' > t.c && cc -O2 -o t t.c && ./t; echo rc=$?"),
    (["python3"], "python3 -c 'import threading,subprocess;"
                  "t=threading.Thread(target=print,args=(1,));t.start();t.join();"
                  "print(subprocess.run([\"echo\",\"sub\"],capture_output=True).stdout)'"),
    (["python3"], "python3 -c 'import multiprocessing as m; print(m.Pool(2).map(abs,[-1,-2,3]))'"),
    (["python3"], "python3 -c 'import json,ssl,hashlib,decimal,ctypes,socket,asyncio,zlib,sqlite3;"
                  "print(hashlib.sha256(b\"x\").hexdigest()[:8], zlib.crc32(b\"x\"))'"),
    (["perl"], "perl -e 'if(my $p=fork){waitpid($p,0);print \"child \", $?>>8, \"\\n\"}else{exit 3}'"),
    (["tar", "xz"], "echo data > f && tar cJf f.txz f && tar xJOf f.txz"),
    (["git"], "git init -q r && cd r && echo a > f && git add f && "
              "git -c user.email=a@b -c user.name=n commit -qm init && git log --format=%s && git status --short"),
    (["sqlite3"], "sqlite3 db 'create table t(x); insert into t values(1),(2); select sum(x) from t;'"),
    (["node"], "node -e 'const {Worker}=require(\"worker_threads\");"
               "new Worker(\"require(\\\"worker_threads\\\").parentPort.postMessage(41)\",{eval:true})"
               ".on(\"message\",m=>console.log(m+1));"
               "console.log(require(\"child_process\").execSync(\"echo n\").toString().trim())'"),
    (["java"], "java W.java"),
    # a JVM loaded with dlopen after start-up: its null checks need page 0
    # unmapped, so the runtime switches to trap mode then
    (["cc", "java", "JDK"], 'cc -O2 -I"$JDK/include" -I"$JDK/include/linux" "$JNIHOST" -o jnihost -ldl'
                            ' && ./jnihost "$JDK/lib/server/libjvm.so"'),
]


def run(cmd, cwd, env):
    p = subprocess.run(["sh", "-c", cmd], cwd=cwd, env=env, stdout=subprocess.PIPE,
                       stderr=subprocess.PIPE, timeout=300)
    return p.returncode, p.stdout


def main():
    env = {k: v for k, v in os.environ.items() if not k.startswith("ZPOLINE_") and k != "LD_PRELOAD"}
    java = shutil.which("java")
    jdk = os.path.dirname(os.path.dirname(os.path.realpath(java))) if java else ""
    if jdk and os.path.exists(os.path.join(jdk, "include", "jni.h")):
        env["JDK"] = jdk
    env["JNIHOST"] = os.path.join(os.path.dirname(os.path.abspath(__file__)), "jnihost.c")
    passed = failed = skipped = 0
    for needs, cmd in CASES:
        missing = [n for n in needs if (n not in env if n.isupper() else shutil.which(n) is None)]
        if missing:
            skipped += 1
            print("skip %s: %s not installed" % (cmd[:50], ", ".join(missing)))
            continue
        results = []
        for hooked in (False, True):
            with tempfile.TemporaryDirectory() as d:
                with open(os.path.join(d, "W.java"), "w") as f:
                    f.write(JAVA)
                c = cmd if not hooked else "%s run %s --hook %s -o %s/trace -- sh -c %s" % (
                    Z, MODE_ARGS, HOOK, d, shlex_quote(cmd))
                results.append(run(c, d, env))
        if results[0] == results[1]:
            passed += 1
            print("ok   %s" % cmd[:70])
        else:
            failed += 1
            print("FAIL %s\n  native %d: %r\n  hooked %d: %r" % (
                cmd, results[0][0], results[0][1][-300:], results[1][0], results[1][1][-300:]))
    print("%d passed, %d failed, %d skipped" % (passed, failed, skipped))
    return 1 if failed else (77 if passed == 0 else 0)


def shlex_quote(s):
    return "'" + s.replace("'", "'\\''") + "'"


if __name__ == "__main__":
    sys.exit(main())
