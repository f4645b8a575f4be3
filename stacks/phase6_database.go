package stacks

import (
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/ci-agent/ci-agent/components"
)

// phase6Database: RDS PostgreSQL behind RDS Proxy, reachable only from the cluster's nodes.
func phase6Database(ctx *pulumi.Context, p *Platform, parent pulumi.ResourceOption) error {
	cfg := p.Config
	db, err := components.NewDatabase(ctx, "db", &components.DatabaseArgs{
		Identifier: cfg.Project + "-" + cfg.Environment,
		Region:     cfg.Region,
		VpcID:      p.Network.VpcID, SubnetIDs: p.Network.DatabaseSubnetIDs, ProxySubnetIDs: p.Network.PrivateSubnetIDs,
		// The rotation Lambda reaches Secrets Manager through the private subnets' NAT.
		RotationSubnetIDs:      p.Network.PrivateSubnetIDs,
		ClientSecurityGroupIDs: pulumi.StringArray{p.Cluster.ClusterSecurityGroupID},
		VpcCidr:                cfg.VpcCidr,
		InstanceClass:          cfg.DbInstanceClass,
		AllocatedStorage:       cfg.DbAllocatedStorage, MaxAllocatedStorage: cfg.DbMaxAllocatedStorage,
		MultiAz:              cfg.DbMultiAz,
		BackupRetentionDays:  cfg.DbBackupRetentionDays,
		Production:           cfg.Production(),
		PasswordRotationDays: cfg.DbPasswordRotationDays,
		// The stack's log key (the network's): its exports' and rotation Lambda's log groups.
		LogKeyArn: p.Network.LogsKeyArn,
		// RDSOSMetrics is one group per account and region: one stack creates it, the others
		// read it (dev shares prod's account and region).
		OwnsOSMetricsLogGroup: cfg.RDSOSMetricsOwner,
	}, parent)
	if err != nil {
		return err
	}
	p.Database = db
	ctx.Export("databaseProxyEndpoint", db.ProxyEndpoint)
	ctx.Export("databaseSecretArn", db.SecretArn)
	return nil
}
