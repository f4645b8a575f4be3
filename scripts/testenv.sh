#!/usr/bin/env bash
# testenv.sh CMD...: run CMD with DATABASE_URL and REDIS_URL pointing at real servers.
# Uses the caller's DATABASE_URL / REDIS_URL when set; otherwise starts throwaway
# PostgreSQL (as the postgres user when run as root, since initdb refuses root) and
# Redis on free loopback ports, and removes them when CMD exits.
set -euo pipefail

log() { echo "testenv: $*" >&2; }

free_port() {
	python3 - <<'PY' 2>/dev/null || echo $((20000 + RANDOM % 20000))
import socket
s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()
PY
}

pg_bin() {
	local b
	for b in "$(command -v initdb 2>/dev/null || true)" /usr/lib/postgresql/*/bin/initdb; do
		[ -x "$b" ] && { dirname "$(readlink -f "$b")"; return 0; }
	done
	return 1
}

as_pg() {
	if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}

tmp=""
pg_pid="" redis_pid=""
# cleanup runs on EXIT and must end with status 0: under set -e a failing last command here
# (it was `[ -n "$tmp" ] && …` with the caller's own servers) turned CMD's success into exit 1.
cleanup() {
	if [ -n "$pg_pid" ]; then as_pg "$PGBIN/pg_ctl" -D "$tmp/pg" -m immediate stop >/dev/null 2>&1 || true; fi
	if [ -n "$redis_pid" ]; then kill "$redis_pid" 2>/dev/null || true; fi
	if [ -n "$tmp" ]; then rm -rf "$tmp"; fi
}
trap cleanup EXIT

if [ -z "${DATABASE_URL:-}" ]; then
	PGBIN=$(pg_bin) || { log "DATABASE_URL is unset and no PostgreSQL binaries (initdb) were found"; exit 1; }
	tmp=$(mktemp -d /tmp/ciagent-testenv.XXXXXX)
	chmod 755 "$tmp"
	mkdir -p "$tmp/pg" "$tmp/sock"
	[ "$(id -u)" = 0 ] && chown postgres "$tmp/pg" "$tmp/sock"
	port=$(free_port)
	as_pg "$PGBIN/initdb" -D "$tmp/pg" -U postgres --auth=trust -E UTF8 >/dev/null
	as_pg "$PGBIN/pg_ctl" -D "$tmp/pg" -l "$tmp/sock/pg.log" -w \
		-o "-p $port -k $tmp/sock -c listen_addresses=127.0.0.1 -c fsync=off -c max_connections=200" start >/dev/null
	pg_pid=1
	export DATABASE_URL="postgres://postgres@127.0.0.1:$port/postgres?sslmode=disable"
	log "started PostgreSQL on 127.0.0.1:$port"
fi

if [ -z "${REDIS_URL:-}" ]; then
	if command -v redis-server >/dev/null; then
		[ -n "$tmp" ] || tmp=$(mktemp -d /tmp/ciagent-testenv.XXXXXX)
		rport=$(free_port)
		redis-server --port "$rport" --bind 127.0.0.1 --save "" --appendonly no --dir "$tmp" >/dev/null &
		redis_pid=$!
		for _ in $(seq 50); do redis-cli -p "$rport" ping >/dev/null 2>&1 && break; sleep 0.1; done
		export REDIS_URL="redis://127.0.0.1:$rport/0"
		log "started Redis on 127.0.0.1:$rport"
	else
		log "REDIS_URL is unset and redis-server is not installed"; exit 1
	fi
fi

"$@"
