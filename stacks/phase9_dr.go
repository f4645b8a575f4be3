package stacks

import (
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/ci-agent/ci-agent/components"
)

// phase9DR: replicas, backups and failover in the secondary regions, each reached through its
// own explicit aws.Provider.
func phase9DR(ctx *pulumi.Context, p *Platform, parent pulumi.ResourceOption) error {
	cfg := p.Config
	var replicas []components.ReplicaRegion
	for i, region := range cfg.SecondaryRegions {
		provider, err := p.regionProvider(ctx, "aws-"+region, region, 9, parent)
		if err != nil {
			return err
		}
		replicas = append(replicas, components.ReplicaRegion{Region: region, Provider: provider, VpcCidr: cfg.SecondaryVpcCidrs[i]})
	}
	dr, err := components.NewDisasterRecovery(ctx, "dr", &components.DisasterRecoveryArgs{
		Source: p.Database, PrimaryVpcID: p.Network.VpcID, PrimaryRegion: cfg.Region, AccountID: p.AccountID,
		Replicas: replicas, BackupRetentionDays: cfg.BackupRetentionDays, VaultLock: cfg.BackupVaultLock,
	}, parent)
	if err != nil {
		return err
	}
	p.DR = dr
	ctx.Export("databaseFailoverName", pulumi.String(dr.FailoverName))
	return nil
}
