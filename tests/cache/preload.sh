#!/bin/sh
# The scanner helper is never hooked, even when libzpoline.so is in
# /etc/ld.so.preload (a system-wide deployment): hooked, it would miss in
# the cache for its own objects and start itself again without end.
# Runs in a mount namespace where /etc is an overlay holding that file;
# skipped (77) where that cannot be made.
#
# usage: preload.sh RUNTIME NULL_HOOK
set -u
RT=$(realpath "$1") HOOK=$(realpath "$2")
if [ "${ZP_IN_NS:-}" != 1 ]; then
	T=$(mktemp -d) || exit 99
	trap 'rm -rf "$T"' EXIT
	ZP_IN_NS=1 T=$T unshare -m sh "$0" "$@"
	exit $?
fi
mkdir -p "$T/up" "$T/work" "$T/tmp" || exit 99
mount -t overlay overlay -o "lowerdir=/etc,upperdir=$T/up,workdir=$T/work" /etc 2>/dev/null || {
	echo "skip: cannot mount an overlay on /etc"; exit 77; }
echo "$RT" > /etc/ld.so.preload || exit 99
fail=0

# a cold cache: the helper runs (once) and the program finishes
out=$(TMPDIR="$T/tmp" ZPOLINE_HOOK=$HOOK ZPOLINE_CACHE_DIR="$T/cache" timeout 60 python3 -c 'print("ran")' 2>"$T/err")
if [ "$out" != ran ] || [ -s "$T/err" ]; then
	echo "FAIL preload: python3 under a system-wide preload: out=$out err=$(head -c 300 "$T/err")"; fail=1
else
	echo "ok   preload: python3 ran hooked, its cache miss scanned once"
fi
if grep -l zpoline-scan "$T"/cache/v2/*.sites "$T"/cache/v2/*.prog >/dev/null 2>&1 || [ -n "$(ls "$T/tmp")" ]; then
	echo "FAIL preload: the helper was hooked (its own entries or scan directories exist)"; fail=1
fi

# the helper itself, run with the runtime preloaded and asked for a report:
# it must print only its own line (run directly: a timeout or env between
# would be hooked, and report, themselves)
err=$(ZPOLINE_STATS=table ZPOLINE_HOOK=$HOOK "$(dirname "$RT")/zpoline-scan" versions 2>&1 >/dev/null)
if [ -n "$err" ]; then
	echo "FAIL preload: zpoline-scan was hooked: $(echo "$err" | head -3)"; fail=1
else
	echo "ok   preload: zpoline-scan is not hooked"
fi
exit $fail
