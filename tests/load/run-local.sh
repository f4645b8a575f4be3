#!/usr/bin/env bash
# run-local.sh DURATION: the load scenario on loopback, as `make load` runs it.
# Builds ciagent and loadgen, starts `ciagent serve` on 127.0.0.1 against the PostgreSQL and
# Redis of scripts/testenv.sh (throwaway unless DATABASE_URL/REDIS_URL are set), offers the
# seed's load for DURATION, then compares rows logged in PostgreSQL with requests answered.
# Extra loadgen flags: LOADGEN_FLAGS="-rate 500".
set -euo pipefail
duration=${1:-60s}
root=$(cd "$(dirname "$0")/../.." && pwd)
cd "$root"

if [ -z "${IN_TESTENV:-}" ]; then
	mkdir -p bin
	(cd app && GOWORK=off go build -trimpath -o ../bin/ciagent ./cmd/ciagent && GOWORK=off go build -trimpath -o ../bin/loadgen ./cmd/loadgen)
	exec env IN_TESTENV=1 scripts/testenv.sh "$0" "$duration"
fi

tmp=$(mktemp -d /tmp/ciagent-load.XXXXXX)
server_pid=""
# shellcheck disable=SC2317 # called by the EXIT trap
cleanup() {
	if [ -n "$server_pid" ]; then
		kill -TERM "$server_pid" 2>/dev/null || true
		wait "$server_pid" 2>/dev/null || true
	fi
	rm -rf "$tmp"
}
trap cleanup EXIT

port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
# Loopback only: the server runs without API keys, which it accepts only on loopback.
CIAGENT_SPOOL_DIR="$tmp/spool" CIAGENT_LOG_LEVEL=warn \
	bin/ciagent serve --addr "127.0.0.1:$port" 2>"$tmp/server.log" &
server_pid=$!
echo "load: ciagent serve pid $server_pid on 127.0.0.1:$port, PostgreSQL ${DATABASE_URL%%\?*}" >&2

status=0
# LOADGEN_FLAGS is split into words on purpose.
# shellcheck disable=SC2086
(cd app && ../bin/loadgen -url "http://127.0.0.1:$port" -duration "$duration" ${LOADGEN_FLAGS:-}) || status=$?
if ! kill -0 "$server_pid" 2>/dev/null; then
	echo "load: the server exited during the run; its log:" >&2
	tail -20 "$tmp/server.log" >&2
	status=1
fi
errors=$(grep -c '"level":"ERROR"' "$tmp/server.log" || true)
echo "load: server logged $errors error lines" >&2
[ "$errors" = 0 ] || grep '"level":"ERROR"' "$tmp/server.log" | head -5 >&2
exit "$status"
