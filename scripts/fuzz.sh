#!/usr/bin/env bash
# fuzz.sh [TIME]: run every `func Fuzz*` of the app module for TIME each (default 30s).
# New crashers land in the package's testdata/fuzz/ and then run as ordinary tests.
set -euo pipefail
fuzztime=${1:-30s}
cd "$(dirname "$0")/../app"
grep -rl --include='*_test.go' '^func Fuzz' . | sort | while read -r file; do
	pkg=./$(dirname "${file#./}")
	for target in $(grep -oE '^func Fuzz[A-Za-z0-9_]+' "$file" | cut -d' ' -f2); do
		echo "fuzz: $pkg $target for $fuzztime"
		if ! out=$(GOWORK=off go test -run '^$' -fuzz "^${target}\$" -fuzztime "$fuzztime" "$pkg" 2>&1); then
			echo "$out" | tail -30
			echo "fuzz: $pkg $target failed" >&2
			exit 1
		fi
		echo "$out" | tail -1
	done
done
