#!/bin/sh
# sdk.sh BUILDDIR HOOK_SOURCE PROG -- install into a staging directory, build
# a hook out of tree exactly as zpoline-hook(7) says (cc + pkg-config), and
# run it with the installed zpoline.
set -eu
build=$1 src=$2 prog=$3
stage=$(mktemp -d)
trap 'rm -rf "$stage"' EXIT

meson install -C "$build" --destdir "$stage" --no-rebuild --quiet >/dev/null
pc=$(find "$stage" -name zpoline.pc)
[ -n "$pc" ] || { echo "zpoline.pc was not installed"; exit 1; }
export PKG_CONFIG_PATH=$(dirname "$pc") PKG_CONFIG_SYSROOT_DIR=$stage
cc -shared -fPIC -Wall -Wextra -Werror $(pkg-config --cflags zpoline) "$src" -o "$stage/my_hook.so"
zpoline=$(find "$stage" -path '*/bin/zpoline')
"$zpoline" check --hook "$stage/my_hook.so" >/dev/null
out=$("$zpoline" run --hook "$stage/my_hook.so" -- "$prog" 2>&1)
echo "$out"
echo "$out" | grep -q '^ppid ' || { echo "the program did not run"; exit 1; }
echo "$out" | grep -q '^sdk-hook: [1-9][0-9]* calls$' || { echo "the hook did not report"; exit 1; }
echo "1 passed, 0 failed"
