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
	}, p.onCluster(parent)...)
	if err != nil {
		return err
	}
	p.Edge = edge
	ctx.Export("nameServers", edge.NameServers)
	return nil
}
