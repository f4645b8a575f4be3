package stacks

import (
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/ci-agent/ci-agent/components"
)

// phase2Edge: the hosted zone, certificates, external-dns, cert-manager and the ingress controller.
func phase2Edge(ctx *pulumi.Context, p *Platform, parent pulumi.ResourceOption) error {
	cfg := p.Config
	edge, err := components.NewEdge(ctx, "edge", &components.EdgeArgs{
		Domain: cfg.Platform.Domain, ClusterName: p.Cluster.Name, Region: cfg.Region, VpcID: p.Network.VpcID,
		OidcProviderArn: p.Cluster.OidcProviderArn, OidcIssuer: p.Cluster.OidcIssuer,
		AcmeEmail: cfg.Platform.AcmeEmail, Production: cfg.Production(),
		ExistingZoneID: cfg.Zone.ExistingZoneID, DelegationSetID: cfg.Zone.DelegationSetID,
		DelegatedSubdomains: cfg.Zone.DelegatedSubdomains,
	}, p.onCluster(parent)...)
	if err != nil {
		return err
	}
	p.Edge = edge
	// The DNS bootstrap (docs/infra.md): the registrar takes prod's nameServers, each delegated
	// subdomain's stack its entry of subdomainDelegationSetIds, the recovery stack zoneId.
	ctx.Export("nameServers", edge.NameServers)
	ctx.Export("zoneId", edge.ZoneID)
	if cfg.Zone.ExistingZoneID == "" {
		ctx.Export("delegationSetId", edge.DelegationSetID)
	}
	if len(cfg.Zone.DelegatedSubdomains) > 0 {
		ctx.Export("subdomainDelegationSetIds", edge.SubdomainDelegationSetIDs)
	}
	return nil
}
