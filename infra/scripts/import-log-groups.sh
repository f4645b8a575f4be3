#!/usr/bin/env bash
# import-log-groups.sh STACK: before `pulumi up` of STACK, import the log groups AWS may have
# created by itself before the program declared them (1325224, d3d7f9b: RDS's exports, the
# rotation Lambda's, the RDS Proxy's and, on the owner stack, RDSOSMetrics), so the up does not
# fail with ResourceAlreadyExistsException. Idempotent: a group is imported only when it exists
# in AWS and its URN is not in the stack's state yet; a stack without the Database component in
# its state (phase 6 never ran) is left alone, since the import needs that parent. Imports are
# protected (pulumi import's default); the up that follows lifts it. release.yml's infra and
# infra-prod run it; docs/infra.md ("logs") describes the manual equivalent.
# Needs pulumi (logged in), aws (credentials, region), jq; run from the project's directory.
set -euo pipefail
stack=${1:?usage: import-log-groups.sh STACK}
prefix="urn:pulumi:$stack::ci-agent::ciagent:stack:Phase\$ciagent:data:Database"
parent="$prefix::db"

state=$(pulumi stack export --stack "$stack" </dev/null)
urns=$(jq -r '.deployment.resources // [] | .[].urn' <<<"$state")
if ! grep -qxF "$parent" <<<"$urns"; then
	echo "import-log-groups: $stack has no Database component in its state (phase 6 not deployed yet): nothing to import"
	exit 0
fi

# The owner creates RDSOSMetrics; the others read it (ci-agent:rdsOsMetricsOwner, default true).
owner=true
if value=$(pulumi config get ci-agent:rdsOsMetricsOwner --stack "$stack" </dev/null 2>/dev/null); then
	owner=$value
fi

# logical name, then the group's name in AWS
groups=(
	"db-postgresql-logs /aws/rds/instance/ci-agent-$stack/postgresql"
	"db-upgrade-logs /aws/rds/instance/ci-agent-$stack/upgrade"
	"db-rotator-logs /aws/lambda/ci-agent-$stack-secret-rotation"
	"db-proxy-logs /aws/rds/proxy/ci-agent-$stack-proxy"
)
if [ "$owner" = true ]; then
	groups+=("db-os-metrics-logs RDSOSMetrics")
fi

imported=0
for g in "${groups[@]}"; do
	read -r logical group <<<"$g"
	if grep -qxF "$prefix\$aws:cloudwatch/logGroup:LogGroup::$logical" <<<"$urns"; then
		continue # in the state already (created, imported or, for a reader, read)
	fi
	found=$(aws logs describe-log-groups --log-group-name-prefix "$group" \
		--query "logGroups[?logGroupName=='$group'].logGroupName" --output text </dev/null)
	if [ "$found" != "$group" ]; then
		continue # not made yet: the up creates it
	fi
	echo "import-log-groups: $stack: importing $group as $logical (AWS made it before the program declared it)"
	pulumi import aws:cloudwatch/logGroup:LogGroup "$logical" "$group" --parent "db=$parent" \
		--stack "$stack" --generate-code=false --yes </dev/null
	imported=$((imported + 1))
done
echo "import-log-groups: $stack: $imported imported"
