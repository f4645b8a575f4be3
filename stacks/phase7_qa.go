package stacks

import (
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/ci-agent/ci-agent/components"
)

// phase7QA: load, chaos and security QA. The load tests and scans run from outside the cluster
// (make load, make lint); what the cluster needs is Chaos Mesh for the game days
// (docs/runbooks/chaos-game-day.md), installed only with ci-agent:chaosMesh: on in dev, on in
// prod for the length of a game day (infra-0009). Phase 4 (or 10) annotates the app namespace
// for its namespace filter.
func phase7QA(ctx *pulumi.Context, p *Platform, parent pulumi.ResourceOption) error {
	cfg := p.Config
	if !cfg.Platform.ChaosMesh {
		return nil
	}
	// A leader and a standby on another node, so that an experiment is still recovered when a
	// node goes; one on a one-node cluster.
	return components.NewChaosMesh(ctx, "chaos-mesh", max(1, min(2, cfg.NodeMin)), p.onCluster(parent)...)
}
