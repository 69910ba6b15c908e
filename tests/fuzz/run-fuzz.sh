#!/bin/sh
# run-fuzz.sh TARGET SEEDS WORKDIR SECONDS -- run a libFuzzer target for a
# bounded time (ZP_FUZZ_SECONDS, if set, instead of SECONDS): new inputs and
# crash files go to WORKDIR, never into the seed corpus of the source tree,
# and a later run starts from what earlier ones found. Exits non-zero on a
# crash, a leak or a timeout (libFuzzer's own status).
set -eu
target=$1 seeds=$2 work=$3 seconds=${ZP_FUZZ_SECONDS:-$4}
mkdir -p "$work/corpus" "$work/crashes"
exec "$target" -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 -max_len=65536 \
	-print_final_stats=1 -artifact_prefix="$work/crashes/" "$work/corpus" "$seeds"
