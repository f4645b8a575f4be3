#!/usr/bin/env bash
# set-image.sh ENV REPOSITORY TAG: point deploy/chart/ci-agent/values-ENV.yaml at an image.
# The GitOps step of release.yml and rollback.yml (and the rollback runbook): ArgoCD deploys
# whatever this file names once it is on main.
set -euo pipefail
env=${1:?usage: set-image.sh dev|prod REPOSITORY TAG}
repo=${2:?usage: set-image.sh dev|prod REPOSITORY TAG}
tag=${3:?usage: set-image.sh dev|prod REPOSITORY TAG}
case "$env" in dev | prod) ;; *) echo "set-image: environment must be dev or prod, got $env" >&2; exit 1 ;; esac
# Tags are commit SHAs or versions: refuse anything that could break the YAML.
[[ "$tag" =~ ^[A-Za-z0-9._-]{1,128}$ ]] || { echo "set-image: bad tag $tag" >&2; exit 1; }
[[ "$repo" =~ ^[A-Za-z0-9./_-]{1,255}$ ]] || { echo "set-image: bad repository $repo" >&2; exit 1; }
file="$(cd "$(dirname "$0")" && pwd)/chart/ci-agent/values-$env.yaml"
# Only the two indented keys under image: change, so comments and the rest stay as written.
sed -i -E \
	-e "/^image:/,/^[^ ]/ s|^(  repository:).*|\1 $repo|" \
	-e "/^image:/,/^[^ ]/ s|^(  tag:).*|\1 \"$tag\"|" \
	"$file"
grep -A2 '^image:' "$file"
