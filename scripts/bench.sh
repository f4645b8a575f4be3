#!/usr/bin/env bash
# bench.sh: the CI-log classifier on a >=100 MB log made of real failure logs, side by side with
# ripgrep counting the same prefilter literals. Prints the figures docs/benchmarks.md records.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
work=${BENCH_DIR:-$(mktemp -d /tmp/ciagent-bench.XXXXXX)}
log="$work/big.log"
target=$((100 * 1024 * 1024))

make -s build
if ! command -v rg >/dev/null; then
	if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
		echo "bench: installing ripgrep from Debian" >&2
		apt-get install -y -qq ripgrep >/dev/null
	else
		echo "bench: ripgrep (rg) is missing: apt-get install ripgrep" >&2; exit 1
	fi
fi

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
echo "log: $log ($((size / 1024 / 1024)) MiB, $(wc -l < "$log") lines), $(wc -l < "$work/literals.txt") literals"
echo "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs)"
cat "$log" > /dev/null # warm the page cache for both tools

echo
echo "== Go benchmark (in-memory, one core) =="
(cd app && CIAGENT_BENCH_LOG="$log" GOWORK=off go test -run '^$' -bench 'BenchmarkExplainLargeLog' -benchtime 5x -count 5 -cpu 1 ./internal/cifailure/) | grep -E 'Benchmark|ok'

echo
echo "== Side by side (wall time, median of 7 runs, file in page cache) =="
median() { sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
timeit() { local s e; s=$(date +%s.%N); "$@" > /dev/null; e=$(date +%s.%N); echo "$e - $s" | bc; }
ours=$(for _ in 1 2 3 4 5 6 7; do timeit bin/ciagent explain --format json "$log"; done | median)
rgt=$(for _ in 1 2 3 4 5 6 7; do timeit rg -c -i -F -j1 -f "$work/literals.txt" "$log"; done | median)
printf 'ciagent explain          %6.3f s  %7.1f MB/s\n' "$ours" "$(echo "$size / 1048576 / $ours" | bc -l)"
printf 'rg -c -i -F -f literals  %6.3f s  %7.1f MB/s\n' "$rgt" "$(echo "$size / 1048576 / $rgt" | bc -l)"
printf 'ratio ciagent / rg       %6.2fx  (target <= 2x)\n' "$(echo "$ours / $rgt" | bc -l)"
