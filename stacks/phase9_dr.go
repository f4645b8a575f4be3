package stacks

import (
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/ci-agent/ci-agent/components"
)

// phase9DR: replicas, backups and the VPC peering with the primary network in the secondary
// regions, each reached through its own explicit aws.Provider.
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
	var routeTables []pulumi.StringInput
	for _, id := range p.Network.PrivateRouteTableIDs {
		routeTables = append(routeTables, id)
	}
	dr, err := components.NewDisasterRecovery(ctx, "dr", &components.DisasterRecoveryArgs{
		Source: p.Database, PrimaryVpcID: p.Network.VpcID, PrimaryRegion: cfg.Region, AccountID: p.AccountID,
		PrimaryVpcCidr: p.Network.CidrBlock, PrimaryClientCidrs: p.Network.PrivateCidrs, PrimaryRouteTableIDs: routeTables,
		Replicas: replicas, BackupRetentionDays: cfg.BackupRetentionDays, VaultLock: cfg.BackupVaultLock,
	}, parent)
	if err != nil {
		return err
	}
	p.DR = dr
	addresses := pulumi.StringMap{}
	for region, address := range dr.ReplicaAddresses {
		addresses[region] = address
	}
	// What `ci-agent:databaseHostOverride` takes once a replica is promoted (region-failover.md).
	ctx.Export("drReplicaAddresses", addresses)
	return nil
}
