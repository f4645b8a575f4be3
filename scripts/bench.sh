#!/usr/bin/env bash
# bench.sh: the CI-log classifier on a >=100 MB log made of real failure logs, side by side with
# ripgrep counting the same prefilter literals. Prints the figures docs/benchmarks.md records.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
if ! command -v rg >/dev/null; then
	echo "bench: ripgrep (rg) is missing; the comparison needs it (Debian: apt-get install ripgrep)" >&2; exit 1
fi
# BENCH_DIR keeps the >=100 MB corpus for the next run; a temporary one goes on exit.
if [ -n "${BENCH_DIR:-}" ]; then
	work=$BENCH_DIR
else
	work=$(mktemp -d /tmp/ciagent-bench.XXXXXX)
	trap 'rm -rf "$work"' EXIT
fi
log="$work/big.log"
target=$((100 * 1024 * 1024))

make -s build

# The corpus: the public LogChunks logs when ../shared/data is present (real Travis CI logs),
# else the knowledge base's own fixtures; repeated until the file passes 100 MB.
if [ ! -s "$log" ] || [ "$(stat -c %s "$log")" -lt "$target" ]; then
	: > "$log"
	src=$(ls -d ../shared/data/ci-logs/logchunks/logs 2>/dev/null || true)
	while [ "$(stat -c %s "$log")" -lt "$target" ]; do
		if [ -n "$src" ]; then
			find "$src" -name '*.log.gz' -print0 | sort -z | xargs -0 zcat >> "$log"
		else
			find app/internal/cifailure/testdata/causes -name 'match*.log' -print0 | sort -z | xargs -0 cat >> "$log"
		fi
	done
	echo "bench: corpus from ${src:-the knowledge-base fixtures}" >&2
fi
size=$(stat -c %s "$log")
bin/ciagent kb literals > "$work/literals.txt"
# An empty line would be an empty pattern: ripgrep would match every line and do no search.
if grep -qx '' "$work/literals.txt"; then
	echo "bench: ciagent kb literals printed an empty literal; the comparison would be void" >&2; exit 1
fi
echo "log: $log ($((size / 1024 / 1024)) MiB, $(wc -l < "$log") lines), $(wc -l < "$work/literals.txt") literals"
echo "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs)"
cat "$log" > /dev/null # warm the page cache for both tools

echo
echo "== Go benchmark (in-memory, one core) =="
(cd app && CIAGENT_BENCH_LOG="$log" GOWORK=off go test -run '^$' -bench 'BenchmarkExplainLargeLog' -benchtime 5x -count 5 -cpu 1 ./internal/cifailure/) | grep -E 'Benchmark|ok'

echo
echo "== Side by side (median of 9 interleaved runs, file in page cache) =="
# Wall time is what a user waits for; CPU time (user+sys) is what the two tools do, and it
# moves less than wall time when the machine is shared. Runs alternate so that both tools see
# the same background load.
TIMEFORMAT='%R %U %S'
median() { sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
: > "$work/ours.txt"; : > "$work/rg.txt"
for _ in 1 2 3 4 5 6 7 8 9; do
	{ time bin/ciagent explain --format json "$log" > /dev/null; } 2>> "$work/ours.txt"
	{ time rg -c -i -F -j1 -f "$work/literals.txt" "$log" > /dev/null; } 2>> "$work/rg.txt"
done
ours_wall=$(awk '{print $1}' "$work/ours.txt" | median); ours_cpu=$(awk '{print $2 + $3}' "$work/ours.txt" | median)
rg_wall=$(awk '{print $1}' "$work/rg.txt" | median); rg_cpu=$(awk '{print $2 + $3}' "$work/rg.txt" | median)
mb=$(echo "$size / 1048576" | bc -l)
printf '%-34s %8s %8s %10s\n' "" "wall s" "CPU s" "MB/s wall"
printf '%-34s %8.3f %8.3f %10.1f\n' "ciagent explain --format json" "$ours_wall" "$ours_cpu" "$(echo "$mb / $ours_wall" | bc -l)"
printf '%-34s %8.3f %8.3f %10.1f\n' "rg -c -i -F -j1 -f literals" "$rg_wall" "$rg_cpu" "$(echo "$mb / $rg_wall" | bc -l)"
printf '%-34s %7.2fx %7.2fx   (target <= 2x)\n' "ratio ciagent / rg" "$(echo "$ours_wall / $rg_wall" | bc -l)" "$(echo "$ours_cpu / $rg_cpu" | bc -l)"
echo "load average: $(cut -d' ' -f1-3 /proc/loadavg)"
