#!/usr/bin/env bash
# run.sh BIN: start the filter API on 127.0.0.1:8080 for local use.
# When DATABASE_URL is unset and PostgreSQL binaries are on the machine, a local PostgreSQL
# lives in .local/pg (kept between runs, run as the postgres user when we are root, because
# initdb refuses root) and the service logs into it. Ctrl-C stops both.
set -euo pipefail
bin=${1:?usage: run.sh BIN}
root=$(cd "$(dirname "$0")/.." && pwd)
local_dir="$root/.local"
addr=${CIAGENT_ADDR:-127.0.0.1:8080}
pg_port=${CIAGENT_LOCAL_PG_PORT:-54329}

as_pg() { if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi; }
pg_bindir() {
	local b
	for b in "$(command -v initdb 2>/dev/null || true)" /usr/lib/postgresql/*/bin/initdb; do
		[ -x "$b" ] && { dirname "$(readlink -f "$b")"; return 0; }
	done
	return 1
}

started_pg=""
cleanup() {
	if [ -n "$started_pg" ]; then
		echo "run: stopping the local PostgreSQL" >&2
		as_pg "$PGBIN/pg_ctl" -D "$local_dir/pg" -m fast stop >/dev/null 2>&1 || true
	fi
}
trap cleanup EXIT

if [ -z "${DATABASE_URL:-}" ]; then
	if PGBIN=$(pg_bindir); then
		mkdir -p "$local_dir/pg" "$local_dir/pg-sock" "$local_dir/spool"
		[ "$(id -u)" = 0 ] && chown postgres "$local_dir/pg" "$local_dir/pg-sock" && chmod 755 "$local_dir"
		if [ ! -f "$local_dir/pg/PG_VERSION" ]; then
			echo "run: creating a local PostgreSQL in .local/pg" >&2
			as_pg "$PGBIN/initdb" -D "$local_dir/pg" -U postgres --auth=trust -E UTF8 >/dev/null
		fi
		if ! as_pg "$PGBIN/pg_ctl" -D "$local_dir/pg" status >/dev/null 2>&1; then
			as_pg "$PGBIN/pg_ctl" -D "$local_dir/pg" -l "$local_dir/pg-sock/postgres.log" -w \
				-o "-p $pg_port -k $local_dir/pg-sock -c listen_addresses=127.0.0.1" start >/dev/null
			started_pg=1
		fi
		as_pg "$PGBIN/psql" -h 127.0.0.1 -p "$pg_port" -U postgres -qtAc "select 1 from pg_database where datname='ciagent'" | grep -q 1 ||
			as_pg "$PGBIN/psql" -h 127.0.0.1 -p "$pg_port" -U postgres -qc "create database ciagent" >/dev/null
		export DATABASE_URL="postgres://postgres@127.0.0.1:$pg_port/ciagent?sslmode=disable"
		echo "run: local PostgreSQL at $DATABASE_URL" >&2
	else
		echo "run: DATABASE_URL is unset and no PostgreSQL binaries were found: answers are kept in the spool only" >&2
	fi
fi
export CIAGENT_SPOOL_DIR=${CIAGENT_SPOOL_DIR:-$local_dir/spool}
mkdir -p "$CIAGENT_SPOOL_DIR"

cat >&2 <<MSG

ci-agent filter API on http://$addr  (Ctrl-C to stop)
Try:
  curl -s --data-binary @app/internal/cifailure/testdata/causes/go.undefined-identifier/match.log \\
       -H 'Content-Type: text/plain' http://$addr/v1/ci/explain | head -40
  curl -s http://$addr/openapi.yaml | head

MSG
"$bin" serve --addr "$addr"
