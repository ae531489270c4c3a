#!/bin/sh
# Run every fuzz target in turn, one at a time at the lowest priority (the machine is shared), each bounded by a
# run count and a wall-clock limit. Logs, corpora and crashes go to $OUT (default /dev/shm/numaprobe-fuzz).
#   nohup sh bench/fuzz/run_all.sh [targets...] &      then: grep -h "Done\|ERROR" $OUT/logs/*.log
set -u
HERE=$(cd "$(dirname "$0")" && pwd)
OUT=${OUT:-/dev/shm/numaprobe-fuzz}
PY=${PY:-/dev/shm/fuzzenv/bin/python}
RUNS=${RUNS:-1000000}
SECS=${SECS:-900}
TAG=${TAG:-}  # log name suffix for a continuation run (the corpus carries over)
TARGETS=${*:-"cpumask meminfo cpuinfo procfs acpidump_text acpi_decode tarroot sysfs_tree"}
mkdir -p "$OUT/logs" "$OUT/crashes"
[ -d "$OUT/seeds" ] || /usr/bin/python3 "$HERE/make_seeds.py" "$OUT/seeds"
for t in $TARGETS; do
    mkdir -p "$OUT/corpus/$t"
    echo "== $t start $(date -u +%H:%M:%S)" >> "$OUT/logs/summary.txt"
    nice -n 19 "$PY" "$HERE/fuzz.py" "$t" "$OUT/corpus/$t" "$OUT/seeds/$t" -runs="$RUNS" -max_total_time="$SECS" \
        -max_len=65536 -timeout=10 -rss_limit_mb=1024 -print_final_stats=1 \
        -artifact_prefix="$OUT/crashes/$t-" > "$OUT/logs/$t$TAG.log" 2>&1
    echo "== $t$TAG rc=$? $(grep -h '^Done' "$OUT/logs/$t$TAG.log") $(date -u +%H:%M:%S)" >> "$OUT/logs/summary.txt"
done
