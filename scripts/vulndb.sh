#!/usr/bin/env bash
# vulndb.sh VERSION OUT: the Go vulnerability database, offline, for `govulncheck -db file://OUT`.
# golang.org/x/vulndb is served as a Go module; its data/osv/*.json are the published OSV
# entries (CC-BY-4.0, the Go authors). x/vulndb's own cmd/indexdb writes the v1 layout that
# govulncheck reads (index/db.json, index/modules.json, ID/GO-*.json). The module pins the
# snapshot: the database is as of VERSION's date, not today's.
set -euo pipefail
version=$1 out=$2
bin=$(cd "$(dirname "$0")/.." && pwd)/bin
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
# Outside any go.mod, so the download touches neither module's go.mod or go.sum.
dir=$(cd "$tmp" && GOWORK=off GOFLAGS=-mod=mod go mod download -json "golang.org/x/vulndb@$version" \
  | sed -n 's/^[[:space:]]*"Dir": "\(.*\)",$/\1/p')
test -d "$dir/data/osv" || { echo "vulndb.sh: golang.org/x/vulndb@$version has no data/osv" >&2; exit 1; }
test -x "$bin/indexdb" || GOBIN="$bin" GOWORK=off nice go install "golang.org/x/vulndb/cmd/indexdb@$version"
echo "building the offline vulnerability database from $(ls "$dir/data/osv" | wc -l) OSV entries (x/vulndb $version)"
"$bin/indexdb" -vulns "$dir/data/osv" -out "$tmp/db"
rm -rf "$out" && mkdir -p "$(dirname "$out")" && mv "$tmp/db" "$out"
