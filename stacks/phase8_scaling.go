package stacks

import (
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/ci-agent/ci-agent/components"
)

// phase8Scaling: the cluster-autoscaler, metrics-server, the Redis answer cache and CloudFront
// in front of the ingress. The app's HPA is in its chart; its custom metric comes from
// prometheus-adapter (phase 3).
func phase8Scaling(ctx *pulumi.Context, p *Platform, parent pulumi.ResourceOption) error {
	cfg := p.Config
	if err := components.NewClusterAutoscaler(ctx, "cluster-autoscaler", p.Cluster.Name, cfg.Region, cfg.KubernetesVersion,
		p.Cluster.AutoscalerRoleArn, p.onCluster(parent)...); err != nil {
		return err
	}
	if err := components.NewMetricsServer(ctx, "metrics-server", p.onCluster(parent)...); err != nil {
		return err
	}
	cache, err := components.NewCache(ctx, "cache", &components.CacheArgs{
		VpcID: p.Network.VpcID, SubnetIDs: p.Network.DatabaseSubnetIDs,
		ClientSecurityGroupIDs: pulumi.StringArray{p.Cluster.ClusterSecurityGroupID},
		NodeType:               cfg.Platform.RedisNodeType, Nodes: cfg.Platform.RedisReplicas,
	}, parent)
	if err != nil {
		return err
	}
	p.Cache = cache
	ctx.Export("redisUrlSecretArn", cache.URLSecretArn)

	// CloudFront's certificate lives in us-east-1, and api.<domain> can be the alias of one
	// distribution only: a stack that must not depend on us-east-1 (the recovery stack) leaves
	// both to prod's distribution, which keeps serving api.<domain> from origin.<domain>, the
	// record external-dns writes for this stack's ingress (phase 4).
	if cfg.SkipUsEast1 {
		return nil
	}
	usEast1, err := p.regionProvider(ctx, "aws-us-east-1-cloudfront", "us-east-1", 8, parent)
	if err != nil {
		return err
	}
	cdn, err := components.NewCDN(ctx, "cdn", &components.CDNArgs{
		Domain: cfg.Platform.Domain, ZoneID: p.Edge.ZoneID, UsEast1: usEast1,
	}, parent)
	if err != nil {
		return err
	}
	p.CDN = cdn
	ctx.Export("apiUrl", pulumi.String("https://"+cdn.APIHost))
	return nil
}
