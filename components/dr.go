package components

import (
	"fmt"
	"strings"

	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws"
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/backup"
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/cloudwatch"
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/ec2"
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/rds"
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/route53"
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
	// PrimaryVpcID is associated with the private zone holding the failover record. Required.
	PrimaryVpcID pulumi.StringInput
	// PrimaryRegion hosts the health check's alarm. Required.
	PrimaryRegion string
	// AccountID for key policies of the replica networks. Required.
	AccountID string
	// Replicas are the secondary regions, each getting a read replica encrypted with a key of
	// its own region. The first also receives the replicated automated backups and the AWS
	// Backup copies. Required, at least one.
	Replicas []ReplicaRegion
	// ReplicaInstanceClass of the replicas. Default: the source's class.
	ReplicaInstanceClass string
	// BackupRetentionDays of AWS Backup recovery points and their copies. Default 35.
	BackupRetentionDays int
	// VaultLock puts both vaults under a compliance-mode lock (prod): no one, root included,
	// can delete recovery points early. Default false.
	VaultLock bool
	// PrivateZone is the internal DNS zone of the failover record. Default "ci-agent.internal".
	PrivateZone string
}

// DisasterRecovery is the cross-region side of the database: read replicas with regional
// keys, replicated automated backups, an AWS Backup plan with cross-region copy (and vault
// lock), a health-checked failover record and a monthly restore test.
type DisasterRecovery struct {
	pulumi.ResourceState

	ReplicaArns     map[string]pulumi.StringOutput
	ReplicaKeyArns  map[string]pulumi.StringOutput
	FailoverName    string
	PrimaryVaultArn pulumi.StringOutput
}

// NewDisasterRecovery creates the DR resources.
func NewDisasterRecovery(ctx *pulumi.Context, name string, args *DisasterRecoveryArgs, opts ...pulumi.ResourceOption) (*DisasterRecovery, error) {
	if args == nil {
		return nil, errNilArgs
	}
	if args.Source == nil || args.Source.ParameterFamily == "" || args.PrimaryVpcID == nil || args.PrimaryRegion == "" || args.AccountID == "" || len(args.Replicas) == 0 {
		return nil, fmt.Errorf("disaster recovery %s: Source, PrimaryVpcID, PrimaryRegion, AccountID and Replicas are required", name)
	}
	for _, r := range args.Replicas {
		if r.Region == "" || r.Provider == nil || r.VpcCidr == "" {
			return nil, fmt.Errorf("disaster recovery %s: replica %q needs Region, Provider and VpcCidr", name, r.Region)
		}
	}
	setDefaultInt(&args.BackupRetentionDays, 35)
	setDefault(&args.PrivateZone, "ci-agent.internal")

	c := &DisasterRecovery{ReplicaArns: map[string]pulumi.StringOutput{}, ReplicaKeyArns: map[string]pulumi.StringOutput{}}
	if err := ctx.RegisterComponentResource("ciagent:data:DisasterRecovery", name, c, opts...); err != nil {
		return nil, err
	}
	child := pulumi.Parent(c)

	var firstReplica *rds.Instance
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
		sg, err := ec2.NewSecurityGroup(ctx, prefix+"-sg", &ec2.SecurityGroupArgs{
			VpcId:       network.VpcID,
			Description: pulumi.String("PostgreSQL from the region's private subnets (a recovery cluster's nodes)"),
			Ingress: ec2.SecurityGroupIngressArray{ec2.SecurityGroupIngressArgs{
				Protocol: pulumi.String("tcp"), FromPort: pulumi.Int(5432), ToPort: pulumi.Int(5432),
				CidrBlocks: pulumi.ToStringArray(network.PrivateCidrs),
			}},
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
		if i == 0 {
			firstReplica = replica
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
	if err := c.failover(ctx, name, args, firstReplica, child); err != nil {
		return nil, err
	}

	outputs := pulumi.Map{}
	for region, arn := range c.ReplicaArns {
		outputs[region] = arn
	}
	if err := ctx.RegisterResourceOutputs(c, pulumi.Map{"replicaArns": outputs, "failoverName": pulumi.String(c.FailoverName)}); err != nil {
		return nil, err
	}
	return c, nil
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

// failover publishes the database under one private name: PRIMARY is the proxy while the
// primary is healthy, SECONDARY the first replica (promoted by the runbook) otherwise.
func (c *DisasterRecovery) failover(ctx *pulumi.Context, name string, args *DisasterRecoveryArgs, replica *rds.Instance, child pulumi.ResourceOrInvokeOption) error {
	zone, err := route53.NewZone(ctx, name+"-zone", &route53.ZoneArgs{
		Name:    pulumi.String(args.PrivateZone),
		Comment: pulumi.String("internal names of ci-agent, failover-aware"),
		Vpcs:    route53.ZoneVpcArray{route53.ZoneVpcArgs{VpcId: args.PrimaryVpcID, VpcRegion: pulumi.String(args.PrimaryRegion)}},
	}, child)
	if err != nil {
		return err
	}
	// Private endpoints cannot be probed by Route 53, so health follows a CloudWatch alarm:
	// the primary stops reporting metrics (missing data breaches) when it is down.
	alarm, err := cloudwatch.NewMetricAlarm(ctx, name+"-primary-down", &cloudwatch.MetricAlarmArgs{
		AlarmDescription:   pulumi.String("primary database unavailable: DNS fails over to the DR replica"),
		Namespace:          pulumi.String("AWS/RDS"),
		MetricName:         pulumi.String("DatabaseConnections"),
		Dimensions:         pulumi.StringMap{"DBInstanceIdentifier": pulumi.String(args.Source.Identifier)},
		Statistic:          pulumi.String("SampleCount"),
		Period:             pulumi.Int(60),
		EvaluationPeriods:  pulumi.Int(3),
		Threshold:          pulumi.Float64(1),
		ComparisonOperator: pulumi.String("LessThanThreshold"),
		TreatMissingData:   pulumi.String("breaching"),
	}, child)
	if err != nil {
		return err
	}
	check, err := route53.NewHealthCheck(ctx, name+"-primary-health", &route53.HealthCheckArgs{
		Type:                         pulumi.String("CLOUDWATCH_METRIC"),
		CloudwatchAlarmName:          alarm.Name,
		CloudwatchAlarmRegion:        pulumi.String(args.PrimaryRegion),
		InsufficientDataHealthStatus: pulumi.String("Unhealthy"),
	}, child)
	if err != nil {
		return err
	}
	c.FailoverName = "postgres." + args.PrivateZone
	for _, rec := range []struct {
		id, role string
		target   pulumi.StringInput
		check    pulumi.StringPtrInput
	}{
		{"primary", "PRIMARY", args.Source.ProxyEndpoint, check.ID()},
		{"secondary", "SECONDARY", replica.Address, nil},
	} {
		if _, err := route53.NewRecord(ctx, name+"-failover-"+rec.id, &route53.RecordArgs{
			ZoneId: zone.ZoneId, Name: pulumi.String(c.FailoverName), Type: pulumi.String("CNAME"),
			Ttl: pulumi.Int(60), Records: pulumi.StringArray{rec.target},
			SetIdentifier:           pulumi.String(rec.id),
			FailoverRoutingPolicies: route53.RecordFailoverRoutingPolicyArray{route53.RecordFailoverRoutingPolicyArgs{Type: pulumi.String(rec.role)}},
			HealthCheckId:           rec.check,
		}, child); err != nil {
			return err
		}
	}
	return nil
}
