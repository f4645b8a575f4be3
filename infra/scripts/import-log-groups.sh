#!/usr/bin/env bash
# import-log-groups.sh STACK: before `pulumi up` of STACK, import the log groups AWS may have
# created by itself before the program declared them (1325224, d3d7f9b: RDS's exports, the
# rotation Lambda's, the RDS Proxy's and, on the owner stack, RDSOSMetrics), so the up does not
# fail with ResourceAlreadyExistsException. Idempotent: a group is imported only when it exists
# in AWS and its URN is not in the stack's state yet. Nothing is imported when the stack's
# config leaves phase 6 out (the up would have to delete a protected import: it fails), or when
# its state has no Database component (phase 6 never ran: the import needs that parent).
# Imports are protected (pulumi import's default); the up that follows lifts it. release.yml's
# infra and infra-prod run it; docs/infra.md ("logs") describes the manual equivalent.
#
# import-log-groups.sh --list STACK prints, one a line, "URN NAME" of every group the program
# declares (creates) under the Database component for STACK's config, and nothing else:
# infra/importlogs_test.go compares it with what the program registers under the mocks.
#
# The config is read once (`pulumi config --json`) and as stacks/config.go reads it: a key not
# set is the program's default, a bool is read as Go's strconv.ParseBool; any other failure
# fails the step (an unreadable config is never "not set").
# Needs pulumi (logged in), aws (credentials, region), jq; run from the project's directory.
set -euo pipefail
list=false
if [ "${1:-}" = --list ]; then
	list=true
	shift
fi
stack=${1:?usage: import-log-groups.sh [--list] STACK}
project=ci-agent # Pulumi.yaml's name

fail() {
	echo "import-log-groups: $stack: $*" >&2
	exit 1
}

config=$(pulumi config --json --stack "$stack" </dev/null) || fail "cannot read the stack's config (pulumi config --json)"
jq -e 'type == "object"' >/dev/null <<<"$config" || fail "pulumi config --json printed no object"
# value KEY: the key's value as the program reads it (objectValue for a list), or nothing when not set.
value() {
	jq -r --arg k "$project:$1" 'if has($k) then (.[$k] | if has("objectValue") and (.objectValue | type) != "string" then .objectValue | tojson else .value | tostring end) else empty end' <<<"$config"
}
# boolean KEY DEFAULT: strconv.ParseBool's reading, DEFAULT when not set, a failure otherwise.
boolean() {
	local v
	v=$(value "$1")
	case $v in
	'') echo "$2" ;;
	1 | t | T | TRUE | true | True) echo true ;;
	0 | f | F | FALSE | false | False) echo false ;;
	*) fail "$project:$1 is '$v', not a bool (the program fails on it too)" ;;
	esac
}

# The program's defaults (stacks/config.go, LoadConfig): phases [1, 6, 9]; rdsOsMetricsOwner true.
phases=$(value phases)
phases=${phases:-[1,6,9]}
phase6=$(jq -e 'if type == "array" and all(.[]; type == "number") then any(.[]; . == 6) else error("not a list of numbers") end' <<<"$phases" 2>/dev/null) ||
	[ "${phase6:-}" = false ] || fail "$project:phases is '$phases', not a list of numbers"
owner=$(boolean rdsOsMetricsOwner true)
env=$(value environment)
[ -n "$env" ] || fail "$project:environment is not set (the program requires it)"
identifier="$project-$env" # phase6_database.go: cfg.Project + "-" + cfg.Environment

prefix="urn:pulumi:$stack::$project::ciagent:stack:Phase\$ciagent:data:Database"
parent="$prefix::db"

# logical name, then the group's name in AWS: components/database.go's log groups for LogExports,
# RotationFunctionName, ProxyName and OSMetricsLogGroup (the test checks them against the program).
groups=()
if [ "$phase6" = true ]; then
	groups=(
		"db-postgresql-logs /aws/rds/instance/$identifier/postgresql"
		"db-upgrade-logs /aws/rds/instance/$identifier/upgrade"
		"db-rotator-logs /aws/lambda/$identifier-secret-rotation"
		"db-proxy-logs /aws/rds/proxy/$identifier-proxy"
	)
	if [ "$owner" = true ]; then
		groups+=("db-os-metrics-logs RDSOSMetrics")
	fi
fi

if [ "$list" = true ]; then
	for g in ${groups[@]+"${groups[@]}"}; do
		read -r logical group <<<"$g"
		echo "$prefix\$aws:cloudwatch/logGroup:LogGroup::$logical $group"
	done
	exit 0
fi

if [ "$phase6" != true ]; then
	echo "import-log-groups: $stack: $project:phases leaves phase 6 out: nothing to import"
	exit 0
fi

state=$(pulumi stack export --stack "$stack" </dev/null)
urns=$(jq -r '.deployment.resources // [] | .[].urn' <<<"$state")
if ! grep -qxF "$parent" <<<"$urns"; then
	echo "import-log-groups: $stack has no Database component in its state (phase 6 not deployed yet): nothing to import"
	exit 0
fi

imported=0
for g in "${groups[@]}"; do
	read -r logical group <<<"$g"
	if grep -qxF "$prefix\$aws:cloudwatch/logGroup:LogGroup::$logical" <<<"$urns"; then
		continue # in the state already (created, imported or, for a reader, read)
	fi
	# JSON output holds every page (a text --query is applied to each page on its own); the
	# name is matched exactly, as the prefix matches longer names too.
	found=$(aws logs describe-log-groups --log-group-name-prefix "$group" --output json </dev/null |
		jq -r --arg g "$group" '[.logGroups[]? | select(.logGroupName == $g)] | length')
	if [ "$found" = 0 ]; then
		continue # not made yet: the up creates it
	fi
	echo "import-log-groups: $stack: importing $group as $logical (AWS made it before the program declared it)"
	pulumi import aws:cloudwatch/logGroup:LogGroup "$logical" "$group" --parent "db=$parent" \
		--stack "$stack" --generate-code=false --yes </dev/null
	imported=$((imported + 1))
done
echo "import-log-groups: $stack: $imported imported"
