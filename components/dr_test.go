package components_test

import (
	"strings"
	"testing"

	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/ci-agent/ci-agent/components"
	"github.com/ci-agent/ci-agent/internal/plan"
)

func runDR(t *testing.T, lock bool) *plan.Mocks {
	return run(t, func(ctx *pulumi.Context) error {
		db, err := components.NewDatabase(ctx, "db", databaseArgs(true))
		if err != nil {
			return err
		}
		var replicas []components.ReplicaRegion
		for i, region := range []string{"eu-west-1", "ap-southeast-1"} {
			p, err := aws.NewProvider(ctx, "aws-"+region, &aws.ProviderArgs{Region: pulumi.String(region)})
			if err != nil {
				return err
			}
			replicas = append(replicas, components.ReplicaRegion{Region: region, Provider: p, VpcCidr: []string{"10.1.0.0/16", "10.2.0.0/16"}[i]})
		}
		_, err = components.NewDisasterRecovery(ctx, "dr", &components.DisasterRecoveryArgs{
			Source: db, PrimaryVpcID: pulumi.String("vpc-1"), PrimaryRegion: "us-east-1", AccountID: account,
			Replicas: replicas, VaultLock: lock,
		})
		return err
	})
}

func TestDisasterRecovery(t *testing.T) {
	m := runDR(t, true)
	source := one(t, m, "aws:rds/instance:Instance", "db")
	keysByArn := map[any]*plan.Resource{}
	for _, k := range m.ByType("aws:kms/key:Key") {
		keysByArn[k.Output("arn")] = k
	}

	for _, region := range []string{"eu-west-1", "ap-southeast-1"} {
		replica := one(t, m, "aws:rds/instance:Instance", "dr-"+region+"-replica")
		eq(t, region+" replica region", replica.Region, region)
		eq(t, region+" replicateSourceDb", replica.Input("replicateSourceDb"), source.Output("arn"))
		eq(t, region+" storageEncrypted", replica.Input("storageEncrypted"), true)
		key := keysByArn[replica.Input("kmsKeyId")]
		if key == nil {
			t.Fatalf("%s replica kmsKeyId %v is not a key of this program", region, replica.Input("kmsKeyId"))
		}
		eq(t, region+" replica key's region", key.Region, region)
		eq(t, region+" publiclyAccessible", replica.Input("publiclyAccessible"), false)
		eq(t, region+" replica subnet group region", one(t, m, "aws:rds/subnetGroup:SubnetGroup", "dr-"+region+"-subnets").Region, region)

		// A promoted replica refuses plaintext like the primary: the primary's parameters in a
		// group of the replica's region (a cross-region replica would get the engine's default).
		params := one(t, m, "aws:rds/parameterGroup:ParameterGroup", "dr-"+region+"-params")
		eq(t, region+" parameter group region", params.Region, region)
		eq(t, region+" parameter group family", params.Input("family"), "postgres15")
		eq(t, region+" parameter group parameters", params.Input("parameters"),
			one(t, m, "aws:rds/parameterGroup:ParameterGroup", "db-params").Input("parameters"))
		if !contains(params.Input("parameters"), `{"name":"rds.force_ssl","value":"1"}`) {
			t.Errorf("%s parameters = %v; want rds.force_ssl=1", region, params.Input("parameters"))
		}
		eq(t, region+" replica parameter group", replica.Input("parameterGroupName"), params.Output("name"))
		// The password is the source's; a replica sets none and has no RDS-managed one.
		for _, k := range []string{"password", "manageMasterUserPassword", "username"} {
			eq(t, region+" replica "+k, replica.Input(k), nil)
		}
	}
	// The DR networks are NAT-less: replicas never need the internet.
	for _, nat := range m.ByType("aws:ec2/natGateway:NatGateway") {
		t.Errorf("unexpected NAT gateway %s in %s", nat.Name, nat.Region)
	}

	repl := one(t, m, "aws:rds/instanceAutomatedBackupsReplication:InstanceAutomatedBackupsReplication", "dr-eu-west-1-backups")
	eq(t, "backup replication region", repl.Region, "eu-west-1")
	eq(t, "backup replication source", repl.Input("sourceDbInstanceArn"), source.Output("arn"))
	eq(t, "backup replication key region", keysByArn[repl.Input("kmsKeyId")].Region, "eu-west-1")

	plan := one(t, m, "aws:backup/plan:Plan", "dr-plan")
	copyVault := one(t, m, "aws:backup/vault:Vault", "dr-eu-west-1-vault")
	eq(t, "copy vault region", copyVault.Region, "eu-west-1")
	eq(t, "copy destination", get(plan.Input("rules"), 0, "copyActions", 0, "destinationVaultArn"), copyVault.Output("arn"))
	eq(t, "continuous backup rule", get(plan.Input("rules"), 1, "enableContinuousBackup"), true)
	eq(t, "backup selection", one(t, m, "aws:backup/selection:Selection", "dr-selection").Input("resources"), []any{source.Output("arn")})
	eq(t, "vault locks (primary + copy)", count(m, "aws:backup/vaultLockConfiguration:VaultLockConfiguration"), 2)

	drill := one(t, m, "aws:backup/restoreTestingPlan:RestoreTestingPlan", "dr-restore-drill")
	eq(t, "restore drill schedule (monthly)", drill.Input("scheduleExpression"), "cron(0 6 1 * ? *)")
	eq(t, "restore drill picks the latest", get(drill.Input("recoveryPointSelection"), "algorithm"), "LATEST_WITHIN_WINDOW")
	eq(t, "restore drill resource", one(t, m, "aws:backup/restoreTestingSelection:RestoreTestingSelection", "dr-restore-drill-db").Input("protectedResourceArns"),
		[]any{source.Output("arn")})

	check := one(t, m, "aws:route53/healthCheck:HealthCheck", "dr-primary-health")
	eq(t, "health check type", check.Input("type"), "CLOUDWATCH_METRIC")
	primary := one(t, m, "aws:route53/record:Record", "dr-failover-primary")
	secondary := one(t, m, "aws:route53/record:Record", "dr-failover-secondary")
	eq(t, "primary failover type", get(primary.Input("failoverRoutingPolicies"), 0, "type"), "PRIMARY")
	eq(t, "primary health check", primary.Input("healthCheckId"), check.ID)
	eq(t, "secondary failover type", get(secondary.Input("failoverRoutingPolicies"), 0, "type"), "SECONDARY")
	eq(t, "secondary target", secondary.Input("records"),
		[]any{one(t, m, "aws:rds/instance:Instance", "dr-eu-west-1-replica").Output("address")})
	if !strings.HasPrefix(primary.Input("name").(string), "postgres.") {
		t.Errorf("failover name = %v; want postgres.<zone>", primary.Input("name"))
	}
}

func TestDisasterRecoveryWithoutVaultLock(t *testing.T) {
	m := runDR(t, false)
	eq(t, "vault locks", count(m, "aws:backup/vaultLockConfiguration:VaultLockConfiguration"), 0)
}
