#!/usr/bin/env bash
# test.sh HELM ACTIONLINT: `make test-deploy`. Lints the chart with each environment's values,
# renders it, checks the properties the platform relies on in the rendered manifests, and runs
# actionlint over .github/workflows.
set -euo pipefail
helm=${1:?usage: test.sh HELM ACTIONLINT}
actionlint=${2:?usage: test.sh HELM ACTIONLINT}
root=$(cd "$(dirname "$0")/.." && pwd)
chart="$root/deploy/chart/ci-agent"
# The EKS version of the stacks (ci-agent:kubernetesVersion); helm would otherwise assume an old one.
kube=(--kube-version 1.33.0)
out=$(mktemp -d /tmp/ciagent-chart.XXXXXX)
trap 'rm -rf "$out"' EXIT
fails=0 checks=0

# expect NAME FILE PATTERN: the rendered FILE must contain a line matching PATTERN (grep -E).
expect() {
	checks=$((checks + 1))
	if ! grep -Eq -- "$3" "$2"; then
		echo "FAIL $1: $(basename "$2") has no line matching /$3/" >&2
		fails=$((fails + 1))
	fi
}
refute() {
	checks=$((checks + 1))
	if grep -Eq -- "$3" "$2"; then
		echo "FAIL $1: $(basename "$2") has a line matching /$3/" >&2
		fails=$((fails + 1))
	fi
}
# same NAME GOT WANT: GOT must be WANT.
same() {
	checks=$((checks + 1))
	if [ "$2" != "$3" ]; then
		echo "FAIL $1: got '$2', want '$3'" >&2
		fails=$((fails + 1))
	fi
}
# policy_cidrs FILE ingress|egress: the ipBlock CIDRs of the rendered NetworkPolicy's ingress or
# egress rules, space-separated, in order.
policy_cidrs() {
	awk -v want="$2:" '/^---/ {np = 0; sec = ""} /^kind: NetworkPolicy$/ {np = 1}
		np && /^  (ingress|egress):$/ {sec = $1} np && sec == want && $1 == "cidr:" {print $2}' "$1" | paste -sd' ' -
}

for env in dev prod; do
	"$helm" lint --strict "${kube[@]}" "$chart" -f "$chart/values-$env.yaml"
	# Argo CD releases the chart under the Application's name, ci-agent-<env> (components/gitops.go).
	"$helm" template "ci-agent-$env" "$chart" "${kube[@]}" --namespace ci-agent -f "$chart/values-$env.yaml" >"$out/$env.yaml"
	f="$out/$env.yaml"
	expect "$env objects named after the release" "$f" "^  name: ci-agent-$env\$"
	expect "$env service account of the IRSA trust" "$f" "^ +serviceAccountName: ci-agent-$env\$"
	expect "$env non-root" "$f" '^ +runAsNonRoot: true'
	expect "$env read-only root" "$f" '^ +readOnlyRootFilesystem: true'
	expect "$env drops capabilities" "$f" '^ +drop:'
	expect "$env liveness on /healthz" "$f" '^ +path: /healthz'
	expect "$env readiness on /readyz" "$f" '^ +path: /readyz'
	expect "$env preStop sleep" "$f" '^ +sleep:'
	expect "$env memory limit" "$f" '^ +memory: [0-9]+Mi'
	expect "$env HPA min 3" "$f" '^  minReplicas: 3$'
	expect "$env HPA max 10" "$f" '^  maxReplicas: 10$'
	expect "$env HPA CPU 70" "$f" 'averageUtilization: 70$'
	expect "$env HPA memory 80" "$f" 'averageUtilization: 80$'
	expect "$env HPA requests/s" "$f" 'name: ciagent_http_requests_per_second'
	expect "$env HPA 1000 req/s" "$f" 'averageValue: "1000"'
	expect "$env PDB" "$f" '^kind: PodDisruptionBudget'
	expect "$env NetworkPolicy" "$f" '^kind: NetworkPolicy'
	# Without the Application's parameters: prod's primary VPC, in and out.
	same "$env NetworkPolicy ingress ranges" "$(policy_cidrs "$f" ingress)" "10.0.0.0/16"
	same "$env NetworkPolicy egress ranges" "$(policy_cidrs "$f" egress)" "10.0.0.0/16"
	expect "$env ServiceMonitor" "$f" '^kind: ServiceMonitor'
	expect "$env Ingress TLS" "$f" '^  tls:'
	expect "$env ALB ingress class" "$f" '^  ingressClassName: alb$'
	expect "$env ALB to pod IPs" "$f" 'alb.ingress.kubernetes.io/target-type: ip'
	expect "$env DATABASE_URL from a Secret" "$f" 'name: DATABASE_URL'
	# The rotated password reaches new connections through a mounted passfile, never the URL.
	expect "$env DATABASE_URL names the passfile" "$f" 'DATABASE_URL: "postgres://\{\{ \.username \| urlquery \}\}@[^":]+:[0-9]+/[^"]*passfile=/etc/ciagent/database/pgpass"'
	refute "$env no password in DATABASE_URL" "$f" 'DATABASE_URL: .*\.password'
	expect "$env passfile line" "$f" 'pgpass: "\*:\*:\*:.*\.password'
	expect "$env passfile mounted as a directory" "$f" 'mountPath: /etc/ciagent/database$'
	expect "$env database secret refreshed every 5m" "$f" 'refreshInterval: 5m$'
	expect "$env ExternalSecret" "$f" '^kind: ExternalSecret'
	expect "$env IRSA" "$f" 'eks.amazonaws.com/role-arn'
	expect "$env API keys" "$f" 'CIAGENT_API_KEYS_FILE'
	refute "$env auth on" "$f" 'insecure-no-auth'
	expect "$env spool volume" "$f" 'mountPath: /var/spool/ciagent'
	expect "$env image tag pinned" "$f" 'image: "[^"]+:[A-Za-z0-9._-]+"'
	refute "$env no latest tag" "$f" 'image: "[^"]+:latest"'
done

# dev: a plain Deployment; prod: the canary.
expect "dev Deployment" "$out/dev.yaml" '^kind: Deployment'
refute "dev no Rollout" "$out/dev.yaml" '^kind: Rollout'
expect "prod Rollout" "$out/prod.yaml" '^kind: Rollout'
refute "prod no Deployment" "$out/prod.yaml" '^kind: Deployment'
expect "prod canary 10%" "$out/prod.yaml" 'setWeight: 10$'
expect "prod canary 50%" "$out/prod.yaml" 'setWeight: 50$'
expect "prod canary 100%" "$out/prod.yaml" 'setWeight: 100$'
expect "prod AnalysisTemplate" "$out/prod.yaml" '^kind: AnalysisTemplate'
expect "prod analysis error rate" "$out/prod.yaml" 'code=~"5\.\."'
expect "prod analysis p99" "$out/prod.yaml" 'histogram_quantile\(0\.99'
expect "prod HPA targets the Rollout" "$out/prod.yaml" '^    kind: Rollout'
expect "prod Redis" "$out/prod.yaml" 'name: REDIS_URL'

# The NetworkPolicy's ranges as the Application passes them (stacks/phase4_gitops.go): a stack in
# another VPC, and prod's DR VPCs for egress. A --set of a list index replaces the whole list.
"$helm" template ci-agent-prod "$chart" "${kube[@]}" --namespace ci-agent -f "$chart/values-prod.yaml" \
	--set 'networkPolicy.ingressCidrs[0]=10.3.0.0/16' --set 'networkPolicy.egressCidrs[0]=10.3.0.0/16' \
	--set 'networkPolicy.egressCidrs[1]=10.1.0.0/16' --set 'networkPolicy.egressCidrs[2]=10.2.0.0/16' >"$out/ranges.yaml"
same "NetworkPolicy ingress ranges from the Application" "$(policy_cidrs "$out/ranges.yaml" ingress)" "10.3.0.0/16"
same "NetworkPolicy egress ranges from the Application" "$(policy_cidrs "$out/ranges.yaml" egress)" "10.3.0.0/16 10.1.0.0/16 10.2.0.0/16"
expect "NetworkPolicy still admits Prometheus" "$out/ranges.yaml" 'kubernetes.io/metadata.name: monitoring'

# Without secrets configured the chart must say so loudly (insecure mode) rather than fail open silently.
"$helm" template ci-agent "$chart" "${kube[@]}" --set ingress.host=x.example --set database.secretArn= --set apiKeys.secretArn= >"$out/bare.yaml"
expect "bare insecure flag" "$out/bare.yaml" 'insecure-no-auth'
refute "bare no DATABASE_URL" "$out/bare.yaml" 'name: DATABASE_URL'
# A missing ingress host is an error, not an Ingress for every host.
checks=$((checks + 1))
if "$helm" template ci-agent "$chart" "${kube[@]}" >/dev/null 2>&1; then
	echo "FAIL chart renders without ingress.host" >&2
	fails=$((fails + 1))
fi

# set-image.sh (the GitOps step of release/rollback) on a copy: only image.repository/tag change.
mkdir -p "$out/copy/chart/ci-agent"
cp "$root/deploy/set-image.sh" "$out/copy/"
cp "$chart/values-prod.yaml" "$out/copy/chart/ci-agent/"
"$out/copy/set-image.sh" prod 123456789012.dkr.ecr.us-east-1.amazonaws.com/ci-agent 0123abcd >/dev/null
expect "set-image tag" "$out/copy/chart/ci-agent/values-prod.yaml" '^  tag: "0123abcd"$'
expect "set-image repository" "$out/copy/chart/ci-agent/values-prod.yaml" '^  repository: 123456789012\.dkr\.ecr\.us-east-1\.amazonaws\.com/ci-agent$'
checks=$((checks + 1))
if [ "$(diff "$chart/values-prod.yaml" "$out/copy/chart/ci-agent/values-prod.yaml" | grep -c '^>')" != 2 ]; then
	echo "FAIL set-image changed more than the two image lines" >&2
	fails=$((fails + 1))
fi
checks=$((checks + 1))
if "$out/copy/set-image.sh" prod repo 'bad"tag' >/dev/null 2>&1; then
	echo "FAIL set-image accepted a tag with a quote" >&2
	fails=$((fails + 1))
fi

# The k6 scenario cannot run here (no k6), but its syntax can be checked when node is present.
if command -v node >/dev/null; then
	cp "$root/tests/load/scenario.js" "$out/scenario.mjs"
	node --check "$out/scenario.mjs"
fi

(cd "$root" && "$actionlint")
echo "test-deploy: chart lint+template for dev and prod, $checks rendered-manifest checks, $fails failed; actionlint clean"
[ "$fails" = 0 ]
