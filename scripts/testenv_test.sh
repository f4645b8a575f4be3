#!/usr/bin/env bash
# testenv_test.sh: testenv.sh must exit with its command's status, also when it uses the
# caller's servers (DATABASE_URL and REDIS_URL set) and so starts none of its own.
set -uo pipefail
cd "$(dirname "$0")"
fail=0
check() { # want-status cmd...
	local want=$1; shift
	DATABASE_URL=postgres://unused REDIS_URL=redis://unused ./testenv.sh "$@"
	local got=$?
	if [ "$got" != "$want" ]; then
		echo "testenv_test: testenv.sh $* exited $got, want $want" >&2
		fail=1
	fi
}
check 0 true
check 1 false
check 3 bash -c 'exit 3'
exit "$fail"
