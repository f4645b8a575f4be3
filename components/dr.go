package components

import (
	"fmt"
	"net/netip"
	"sort"
	"strings"

	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws"
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/backup"
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/ec2"
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/rds"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
)

// ReplicaRegion is one secondary region of the disaster-recovery design.
type ReplicaRegion struct {
	// Region name, e.g. eu-west-1. Required.
	Region string
	// Provider is an aws.Provider for Region; every resource of the region uses it. Required.
	Provider *aws.Provider
	// VpcCidr of the small, NAT-less network the replica lives in. Required, must not overlap.
	VpcCidr string
}

// DisasterRecoveryArgs configures cross-region recovery of the database.
type DisasterRecoveryArgs struct {
	// Source is the primary database. Required.
	Source *Database
	// PrimaryVpcID requests the VPC peering with each replica's network. Required.
	PrimaryVpcID pulumi.StringInput
	// PrimaryVpcCidr is the primary VPC's range: the replica networks route it over the
	// peering. Required, must not overlap any replica's VpcCidr.
	PrimaryVpcCidr string
	// PrimaryClientCidrs may connect to the replicas on 5432 over the peering: the primary's
	// private subnets (the cluster's nodes and pods). Required.
	PrimaryClientCidrs []string
	// PrimaryRouteTableIDs get a route to each replica network over its peering: the
	// primary's private route tables. Required.
	PrimaryRouteTableIDs []pulumi.StringInput
	// PrimaryRegion is the region of the default provider (the requester side). Required.
	PrimaryRegion string
	// AccountID for key policies of the replica networks and the peering's accepter. Required.
	AccountID string
	// Replicas are the secondary regions, each getting a read replica encrypted with a key of
	// its own region, in a VPC peered with the primary's. The first also receives the
	// replicated automated backups and the AWS Backup copies. Required, at least one.
	Replicas []ReplicaRegion
	// ReplicaInstanceClass of the replicas. Default: the source's class.
	ReplicaInstanceClass string
	// BackupRetentionDays of AWS Backup recovery points and their copies. Default 35.
	BackupRetentionDays int
	// VaultLock puts both vaults under a compliance-mode lock (prod): no one, root included,
	// can delete recovery points early. Default false.
	VaultLock bool
}

// DisasterRecovery is the cross-region side of the database: read replicas with regional
// keys in networks peered with the primary's (so the primary's cluster can use a promoted
// replica), replicated automated backups, an AWS Backup plan with cross-region copy (and vault
// lock) and a monthly restore test.
type DisasterRecovery struct {
	pulumi.ResourceState

	ReplicaArns      map[string]pulumi.StringOutput
	ReplicaAddresses map[string]pulumi.StringOutput
	ReplicaKeyArns   map[string]pulumi.StringOutput
	// PeeringIDs are the accepted VPC peering connections, by replica region.
	PeeringIDs      map[string]pulumi.StringOutput
	PrimaryVaultArn pulumi.StringOutput
}

// DisjointCidrs returns an error naming the first two ranges that overlap (or one that does
// not parse). Peered VPCs need disjoint ranges: AWS refuses to peer overlapping ones.
func DisjointCidrs(named map[string]string) error {
	names := make([]string, 0, len(named))
	for n := range named {
		names = append(names, n)
	}
	sort.Strings(names)
	prefixes := make([]netip.Prefix, len(names))
	for i, n := range names {
		p, err := netip.ParsePrefix(named[n])
		if err != nil {
			return fmt.Errorf("%s %q is not a CIDR: %w", n, named[n], err)
		}
		prefixes[i] = p.Masked()
	}
	for i := range names {
		for j := i + 1; j < len(names); j++ {
			if prefixes[i].Overlaps(prefixes[j]) {
				return fmt.Errorf("%s %s overlaps %s %s: peered VPCs need disjoint ranges", names[i], named[names[i]], names[j], named[names[j]])
			}
		}
	}
	return nil
}

// NewDisasterRecovery creates the DR resources.
func NewDisasterRecovery(ctx *pulumi.Context, name string, args *DisasterRecoveryArgs, opts ...pulumi.ResourceOption) (*DisasterRecovery, error) {
	if args == nil {
		return nil, errNilArgs
	}
	if args.Source == nil || args.Source.ParameterFamily == "" || args.PrimaryVpcID == nil || args.PrimaryRegion == "" || args.AccountID == "" || len(args.Replicas) == 0 {
		return nil, fmt.Errorf("disaster recovery %s: Source, PrimaryVpcID, PrimaryRegion, AccountID and Replicas are required", name)
	}
	if args.PrimaryVpcCidr == "" || len(args.PrimaryClientCidrs) == 0 || len(args.PrimaryRouteTableIDs) == 0 {
		return nil, fmt.Errorf("disaster recovery %s: PrimaryVpcCidr, PrimaryClientCidrs and PrimaryRouteTableIDs are required (the peering to the replicas)", name)
	}
	cidrs := map[string]string{"the primary VPC (" + args.PrimaryRegion + ")": args.PrimaryVpcCidr}
	for _, r := range args.Replicas {
		if r.Region == "" || r.Provider == nil || r.VpcCidr == "" {
			return nil, fmt.Errorf("disaster recovery %s: replica %q needs Region, Provider and VpcCidr", name, r.Region)
		}
		if r.Region == args.PrimaryRegion {
			return nil, fmt.Errorf("disaster recovery %s: replica region %s is the primary region", name, r.Region)
		}
		if _, dup := cidrs["the "+r.Region+" VPC"]; dup {
			return nil, fmt.Errorf("disaster recovery %s: replica region %s is listed twice", name, r.Region)
		}
		cidrs["the "+r.Region+" VPC"] = r.VpcCidr
	}
	if err := DisjointCidrs(cidrs); err != nil {
		return nil, fmt.Errorf("disaster recovery %s: %w", name, err)
	}
	setDefaultInt(&args.BackupRetentionDays, 35)

	c := &DisasterRecovery{
		ReplicaArns: map[string]pulumi.StringOutput{}, ReplicaAddresses: map[string]pulumi.StringOutput{},
		ReplicaKeyArns: map[string]pulumi.StringOutput{}, PeeringIDs: map[string]pulumi.StringOutput{},
	}
	if err := ctx.RegisterComponentResource("ciagent:data:DisasterRecovery", name, c, opts...); err != nil {
		return nil, err
	}
	child := pulumi.Parent(c)

	for i, rr := range args.Replicas {
		in := pulumi.Provider(rr.Provider)
		prefix := name + "-" + rr.Region
		network, err := NewNetwork(ctx, prefix+"-net", &NetworkArgs{
			CidrBlock: rr.VpcCidr, Region: rr.Region, AccountID: args.AccountID, NatGateways: 0,
		}, child, in)
		if err != nil {
			return nil, err
		}
		key, err := newKey(ctx, prefix+"-kms", "RDS replica and backups of "+args.Source.Identifier+" in "+rr.Region, nil, child, in)
		if err != nil {
			return nil, err
		}
		c.ReplicaKeyArns[rr.Region] = key.Arn
		subnets, err := rds.NewSubnetGroup(ctx, prefix+"-subnets", &rds.SubnetGroupArgs{SubnetIds: network.DatabaseSubnetIDs}, child, in)
		if err != nil {
			return nil, err
		}
		pcx, err := c.peering(ctx, prefix, args, rr, network, child)
		if err != nil {
			return nil, err
		}
		c.PeeringIDs[rr.Region] = pcx
		sg, err := ec2.NewSecurityGroup(ctx, prefix+"-sg", &ec2.SecurityGroupArgs{
			VpcId:       network.VpcID,
			Description: pulumi.String("PostgreSQL from the region's private subnets (a recovery cluster's nodes)"),
			Ingress: ec2.SecurityGroupIngressArray{
				ec2.SecurityGroupIngressArgs{
					Protocol: pulumi.String("tcp"), FromPort: pulumi.Int(5432), ToPort: pulumi.Int(5432),
					CidrBlocks: pulumi.ToStringArray(network.PrivateCidrs),
				},
				// The primary region's cluster, once the runbook points the app at a promoted
				// replica (databaseHostOverride): its pods have addresses of the private subnets.
				ec2.SecurityGroupIngressArgs{
					Protocol: pulumi.String("tcp"), FromPort: pulumi.Int(5432), ToPort: pulumi.Int(5432),
					CidrBlocks:  pulumi.ToStringArray(args.PrimaryClientCidrs),
					Description: pulumi.String("the " + args.PrimaryRegion + " cluster over the VPC peering"),
				},
			},
		}, child, in)
		if err != nil {
			return nil, err
		}
		// The primary's parameters (rds.force_ssl=1 above all) in the region's own group: a
		// cross-region replica otherwise gets the engine's default group, and once promoted it
		// would accept plaintext connections.
		params, err := rds.NewParameterGroup(ctx, prefix+"-params", &rds.ParameterGroupArgs{
			Family:     pulumi.String(args.Source.ParameterFamily),
			Parameters: args.Source.Parameters,
		}, child, in)
		if err != nil {
			return nil, err
		}
		class := args.ReplicaInstanceClass
		// No password here: a replica has the source's users, and its master password follows
		// the source's (the source's secret stays valid after a promotion until it is rotated).
		replicaArgs := &rds.InstanceArgs{
			Identifier: pulumi.String(args.Source.Identifier + "-" + rr.Region),
			// Cross-region replicas name their source by ARN and need a key of their own region.
			ReplicateSourceDb:           args.Source.Arn,
			StorageEncrypted:            pulumi.Bool(true),
			KmsKeyId:                    key.Arn,
			DbSubnetGroupName:           subnets.Name,
			ParameterGroupName:          params.Name,
			VpcSecurityGroupIds:         pulumi.StringArray{sg.ID()},
			PubliclyAccessible:          pulumi.Bool(false),
			StorageType:                 pulumi.String("gp3"),
			CopyTagsToSnapshot:          pulumi.Bool(true),
			SkipFinalSnapshot:           pulumi.Bool(true),
			BackupRetentionPeriod:       pulumi.Int(7), // so a promoted replica has backups from minute one
			PerformanceInsightsEnabled:  pulumi.Bool(true),
			PerformanceInsightsKmsKeyId: key.Arn,
			AutoMinorVersionUpgrade:     pulumi.Bool(true),
		}
		if class != "" {
			replicaArgs.InstanceClass = pulumi.String(class)
		} else {
			replicaArgs.InstanceClass = args.Source.Instance.InstanceClass
		}
		replica, err := rds.NewInstance(ctx, prefix+"-replica", replicaArgs, child, in)
		if err != nil {
			return nil, err
		}
		c.ReplicaArns[rr.Region] = replica.Arn
		c.ReplicaAddresses[rr.Region] = replica.Address
		if i == 0 {
			// Transaction logs and snapshots of the primary, copied continuously: point-in-time
			// restore in the DR region even if the replica were corrupted too.
			if _, err := rds.NewInstanceAutomatedBackupsReplication(ctx, prefix+"-backups", &rds.InstanceAutomatedBackupsReplicationArgs{
				SourceDbInstanceArn: args.Source.Arn, KmsKeyId: key.Arn, RetentionPeriod: pulumi.Int(7),
			}, child, in); err != nil {
				return nil, err
			}
		}
	}

	if err := c.backups(ctx, name, args, child); err != nil {
		return nil, err
	}

	arns, addresses, peerings := pulumi.Map{}, pulumi.Map{}, pulumi.Map{}
	for region, arn := range c.ReplicaArns {
		arns[region], addresses[region], peerings[region] = arn, c.ReplicaAddresses[region], c.PeeringIDs[region]
	}
	if err := ctx.RegisterResourceOutputs(c, pulumi.Map{"replicaArns": arns, "replicaAddresses": addresses, "peeringIds": peerings}); err != nil {
		return nil, err
	}
	return c, nil
}

// peering connects the primary VPC with a replica's network: an inter-region peering
// requested from the primary region (the default provider) and accepted in the replica's
// region, and routes both ways: the primary's private subnets to the replica network, the
// replica network's private and database subnets back to the primary VPC. Peering is what
// lets the primary's cluster use a promoted replica while the primary region stands. It
// returns the connection's id as the accepter reports it, so that routes wait for acceptance.
func (c *DisasterRecovery) peering(ctx *pulumi.Context, prefix string, args *DisasterRecoveryArgs, rr ReplicaRegion,
	network *Network, child pulumi.ResourceOrInvokeOption) (pulumi.StringOutput, error) {
	in := pulumi.Provider(rr.Provider)
	label := pulumi.String(args.PrimaryRegion + " to " + rr.Region + " (" + args.Source.Identifier + " DR)")
	// An inter-region request cannot auto-accept; the accepter in the peer region does.
	request, err := ec2.NewVpcPeeringConnection(ctx, prefix+"-peering", &ec2.VpcPeeringConnectionArgs{
		VpcId: args.PrimaryVpcID, PeerVpcId: network.VpcID,
		PeerRegion: pulumi.String(rr.Region), PeerOwnerId: pulumi.String(args.AccountID),
		Tags: pulumi.StringMap{"Name": label, "Side": pulumi.String("requester")},
	}, child)
	if err != nil {
		return pulumi.StringOutput{}, err
	}
	accept, err := ec2.NewVpcPeeringConnectionAccepter(ctx, prefix+"-peering-accept", &ec2.VpcPeeringConnectionAccepterArgs{
		VpcPeeringConnectionId: request.ID(), AutoAccept: pulumi.Bool(true),
		Tags: pulumi.StringMap{"Name": label, "Side": pulumi.String("accepter")},
	}, child, in)
	if err != nil {
		return pulumi.StringOutput{}, err
	}
	pcx := accept.VpcPeeringConnectionId
	for i, rt := range args.PrimaryRouteTableIDs {
		if _, err := ec2.NewRoute(ctx, fmt.Sprintf("%s-peering-primary-%d", prefix, i), &ec2.RouteArgs{
			RouteTableId: rt, DestinationCidrBlock: pulumi.String(rr.VpcCidr), VpcPeeringConnectionId: pcx,
		}, child); err != nil {
			return pulumi.StringOutput{}, err
		}
	}
	back := map[string]pulumi.StringInput{"database": network.DatabaseRouteTableID}
	for i, rt := range network.PrivateRouteTableIDs {
		back[fmt.Sprintf("private-%d", i)] = rt
	}
	for _, k := range sortedKeys(back) {
		if _, err := ec2.NewRoute(ctx, prefix+"-peering-"+k, &ec2.RouteArgs{
			RouteTableId: back[k], DestinationCidrBlock: pulumi.String(args.PrimaryVpcCidr), VpcPeeringConnectionId: pcx,
		}, child, in); err != nil {
			return pulumi.StringOutput{}, err
		}
	}
	return pcx, nil
}

// backups sets up AWS Backup: daily snapshots copied to the first DR region, continuous
// backup (PITR) in the primary, vault locks in prod, and the monthly restore test.
func (c *DisasterRecovery) backups(ctx *pulumi.Context, name string, args *DisasterRecoveryArgs, child pulumi.ResourceOrInvokeOption) error {
	copyRegion := args.Replicas[0]
	in := pulumi.Provider(copyRegion.Provider)
	primaryKey, err := newKey(ctx, name+"-vault-kms", "AWS Backup vault of "+args.Source.Identifier, nil, child)
	if err != nil {
		return err
	}
	primaryVault, err := backup.NewVault(ctx, name+"-vault", &backup.VaultArgs{KmsKeyArn: primaryKey.Arn}, child)
	if err != nil {
		return err
	}
	c.PrimaryVaultArn = primaryVault.Arn
	copyKey, err := newKey(ctx, name+"-"+copyRegion.Region+"-vault-kms", "AWS Backup copies in "+copyRegion.Region, nil, child, in)
	if err != nil {
		return err
	}
	copyVault, err := backup.NewVault(ctx, name+"-"+copyRegion.Region+"-vault", &backup.VaultArgs{KmsKeyArn: copyKey.Arn}, child, in)
	if err != nil {
		return err
	}
	if args.VaultLock {
		for _, v := range []struct {
			name  string
			vault *backup.Vault
			opt   pulumi.ResourceOption
		}{{name + "-vault-lock", primaryVault, child}, {name + "-" + copyRegion.Region + "-vault-lock", copyVault, in}} {
			// Compliance mode after the 3-day grace period: recovery points cannot be deleted
			// before MinRetentionDays by anyone, which is the point against ransomware.
			if _, err := backup.NewVaultLockConfiguration(ctx, v.name, &backup.VaultLockConfigurationArgs{
				BackupVaultName: v.vault.Name, MinRetentionDays: pulumi.Int(7),
				MaxRetentionDays: pulumi.Int(365), ChangeableForDays: pulumi.Int(3),
			}, child, v.opt); err != nil {
				return err
			}
		}
	}

	plan, err := backup.NewPlan(ctx, name+"-plan", &backup.PlanArgs{
		Rules: backup.PlanRuleArray{
			backup.PlanRuleArgs{
				RuleName: pulumi.String("daily-with-dr-copy"), TargetVaultName: primaryVault.Name,
				Schedule:  pulumi.String("cron(0 5 * * ? *)"),
				Lifecycle: backup.PlanRuleLifecycleArgs{DeleteAfter: pulumi.Int(args.BackupRetentionDays)},
				CopyActions: backup.PlanRuleCopyActionArray{backup.PlanRuleCopyActionArgs{
					DestinationVaultArn: copyVault.Arn,
					Lifecycle:           backup.PlanRuleCopyActionLifecycleArgs{DeleteAfter: pulumi.Int(args.BackupRetentionDays)},
				}},
			},
			backup.PlanRuleArgs{
				RuleName: pulumi.String("continuous-pitr"), TargetVaultName: primaryVault.Name,
				Schedule:               pulumi.String("cron(0 * * * ? *)"),
				EnableContinuousBackup: pulumi.Bool(true),
				Lifecycle:              backup.PlanRuleLifecycleArgs{DeleteAfter: pulumi.Int(args.BackupRetentionDays)},
			},
		},
	}, child)
	if err != nil {
		return err
	}
	role, err := serviceRole(ctx, name+"-backup-role", "backup.amazonaws.com", []string{
		"arn:aws:iam::aws:policy/service-role/AWSBackupServiceRolePolicyForBackup",
		"arn:aws:iam::aws:policy/service-role/AWSBackupServiceRolePolicyForRestores",
	}, child)
	if err != nil {
		return err
	}
	if _, err := backup.NewSelection(ctx, name+"-selection", &backup.SelectionArgs{
		PlanId: plan.ID(), IamRoleArn: role.Arn, Resources: pulumi.StringArray{args.Source.Arn},
	}, child); err != nil {
		return err
	}

	// The monthly restore drill: AWS Backup restores the latest recovery point into a
	// throwaway instance, keeps it for the validation window (the drill's checks run against
	// it, the job's status is the pass/fail), then deletes it on its own.
	restoreName := strings.ReplaceAll(name, "-", "_") + "_monthly_restore"
	testPlan, err := backup.NewRestoreTestingPlan(ctx, name+"-restore-drill", &backup.RestoreTestingPlanArgs{
		Name:               pulumi.String(restoreName),
		ScheduleExpression: pulumi.String("cron(0 6 1 * ? *)"),
		StartWindowHours:   pulumi.Int(24),
		RecoveryPointSelection: backup.RestoreTestingPlanRecoveryPointSelectionArgs{
			Algorithm:           pulumi.String("LATEST_WITHIN_WINDOW"),
			IncludeVaults:       pulumi.StringArray{primaryVault.Arn},
			RecoveryPointTypes:  pulumi.ToStringArray([]string{"SNAPSHOT"}),
			SelectionWindowDays: pulumi.Int(7),
		},
	}, child)
	if err != nil {
		return err
	}
	_, err = backup.NewRestoreTestingSelection(ctx, name+"-restore-drill-db", &backup.RestoreTestingSelectionArgs{
		Name:                   pulumi.String(strings.ReplaceAll(name, "-", "_") + "_database"),
		RestoreTestingPlanName: testPlan.Name,
		ProtectedResourceType:  pulumi.String("RDS"),
		ProtectedResourceArns:  pulumi.StringArray{args.Source.Arn},
		IamRoleArn:             role.Arn,
		ValidationWindowHours:  pulumi.Int(4),
		RestoreMetadataOverrides: pulumi.StringMap{
			"dbsubnetgroupname":   args.Source.SubnetGroupName,
			"vpcsecuritygroupids": pulumi.Sprintf(`["%s"]`, args.Source.SecurityGroupID),
		},
	}, child)
	return err
}
