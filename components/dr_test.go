package components_test

import (
	"fmt"
	"strings"
	"testing"

	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/ci-agent/ci-agent/components"
	"github.com/ci-agent/ci-agent/internal/plan"
)

// The primary network the DR tests peer with: VPC vpc-1 (10.0.0.0/16), pods in the three
// private /20s, one private route table per AZ.
var (
	primaryClientCidrs = []string{"10.0.64.0/20", "10.0.80.0/20", "10.0.96.0/20"}
	primaryRouteTables = []string{"rtb-primary-a", "rtb-primary-b", "rtb-primary-c"}
)

func drProgram(lock bool, cidrs ...string) pulumi.RunFunc {
	return func(ctx *pulumi.Context) error {
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
			replicas = append(replicas, components.ReplicaRegion{Region: region, Provider: p, VpcCidr: cidrs[i]})
		}
		var routeTables []pulumi.StringInput
		for _, id := range primaryRouteTables {
			routeTables = append(routeTables, pulumi.String(id))
		}
		_, err = components.NewDisasterRecovery(ctx, "dr", &components.DisasterRecoveryArgs{
			Source: db, PrimaryVpcID: pulumi.String("vpc-1"), PrimaryRegion: "us-east-1", AccountID: account,
			PrimaryVpcCidr: "10.0.0.0/16", PrimaryClientCidrs: primaryClientCidrs, PrimaryRouteTableIDs: routeTables,
			Replicas: replicas, VaultLock: lock,
		})
		return err
	}
}

func runDR(t *testing.T, lock bool) *plan.Mocks {
	return run(t, drProgram(lock, "10.1.0.0/16", "10.2.0.0/16"))
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

	// No failover record (decision infra-0007): nothing resolved it, and DNS that flips to a
	// replica before a person promotes it is the split brain the runbook avoids.
	for _, typ := range []string{"aws:route53/zone:Zone", "aws:route53/record:Record", "aws:route53/healthCheck:HealthCheck", "aws:cloudwatch/metricAlarm:MetricAlarm"} {
		eq(t, typ+" count", count(m, typ), 0)
	}
}

// TestDisasterRecoveryPeering: the primary's cluster can reach a promoted replica. Each DR VPC
// is peered with the primary VPC (requested in the primary region, accepted in the replica's),
// routed both ways, and the replica's security group admits the primary's private subnets.
func TestDisasterRecoveryPeering(t *testing.T) {
	m := runDR(t, false)
	eq(t, "peering connections", count(m, "aws:ec2/vpcPeeringConnection:VpcPeeringConnection"), 2)
	eq(t, "peering accepters", count(m, "aws:ec2/vpcPeeringConnectionAccepter:VpcPeeringConnectionAccepter"), 2)
	for region, cidr := range map[string]string{"eu-west-1": "10.1.0.0/16", "ap-southeast-1": "10.2.0.0/16"} {
		vpc := one(t, m, "aws:ec2/vpc:Vpc", "dr-"+region+"-net-vpc")
		eq(t, region+" VPC region", vpc.Region, region)
		eq(t, region+" VPC cidr", vpc.Input("cidrBlock"), cidr)

		request := one(t, m, "aws:ec2/vpcPeeringConnection:VpcPeeringConnection", "dr-"+region+"-peering")
		eq(t, region+" peering requested in", request.Region, "us-east-1")
		eq(t, region+" peering requester VPC", request.Input("vpcId"), "vpc-1")
		eq(t, region+" peering peer VPC", request.Input("peerVpcId"), vpc.ID)
		eq(t, region+" peering peer region", request.Input("peerRegion"), region)
		eq(t, region+" peering peer owner", request.Input("peerOwnerId"), account)
		// An inter-region request cannot auto-accept; AWS would reject the flag.
		eq(t, region+" peering request autoAccept", request.Input("autoAccept"), nil)

		accept := one(t, m, "aws:ec2/vpcPeeringConnectionAccepter:VpcPeeringConnectionAccepter", "dr-"+region+"-peering-accept")
		eq(t, region+" accepter region", accept.Region, region)
		eq(t, region+" accepter connection", accept.Input("vpcPeeringConnectionId"), request.ID)
		eq(t, region+" accepter autoAccept", accept.Input("autoAccept"), true)

		route := func(name, wantRegion, wantTable, wantCidr string) {
			t.Helper()
			r := one(t, m, "aws:ec2/route:Route", name)
			eq(t, name+" region", r.Region, wantRegion)
			eq(t, name+" route table", r.Input("routeTableId"), wantTable)
			eq(t, name+" destination", r.Input("destinationCidrBlock"), wantCidr)
			eq(t, name+" peering", r.Input("vpcPeeringConnectionId"), request.ID)
			if !r.DependsOn(accept) {
				t.Errorf("%s does not wait for the peering's acceptance: %v", name, r.Dependencies)
			}
		}
		// The primary's private subnets (the cluster's pods) → the DR VPC.
		for i, rt := range primaryRouteTables {
			route(fmt.Sprintf("dr-%s-peering-primary-%d", region, i), "us-east-1", rt, cidr)
		}
		// The DR VPC's database subnets (the replica's answers) and private subnets → the primary VPC.
		route("dr-"+region+"-peering-database", region, one(t, m, "aws:ec2/routeTable:RouteTable", "dr-"+region+"-net-database-rt").ID, "10.0.0.0/16")
		for i := 0; i < 3; i++ {
			route(fmt.Sprintf("dr-%s-peering-private-%d", region, i), region,
				one(t, m, "aws:ec2/routeTable:RouteTable", fmt.Sprintf("dr-%s-net-private-rt-%d", region, i)).ID, "10.0.0.0/16")
		}

		sg := one(t, m, "aws:ec2/securityGroup:SecurityGroup", "dr-"+region+"-sg")
		eq(t, region+" replica security group", one(t, m, "aws:rds/instance:Instance", "dr-"+region+"-replica").Input("vpcSecurityGroupIds"), []any{sg.ID})
		found := false
		for _, rule := range sg.Input("ingress").([]any) {
			rule := rule.(map[string]any)
			if equal(rule["cidrBlocks"], primaryClientCidrs) {
				found = true
				eq(t, region+" primary ingress port", []any{rule["fromPort"], rule["toPort"], rule["protocol"]}, []any{5432, 5432, "tcp"})
			}
		}
		if !found {
			t.Errorf("%s replica security group ingress = %v; want 5432 from the primary's private subnets %v", region, sg.Input("ingress"), primaryClientCidrs)
		}
	}
}

// TestDisasterRecoveryRejectsOverlappingCidrs: peered VPCs need disjoint ranges.
func TestDisasterRecoveryRejectsOverlappingCidrs(t *testing.T) {
	for _, tc := range []struct {
		name  string
		cidrs []string
		want  string
	}{
		{"replica overlaps the primary", []string{"10.0.128.0/17", "10.2.0.0/16"}, "the eu-west-1 VPC 10.0.128.0/17 overlaps the primary VPC (us-east-1) 10.0.0.0/16"},
		{"replicas overlap each other", []string{"10.1.0.0/16", "10.1.0.0/20"}, "overlaps"},
		{"not a CIDR", []string{"10.1.0.0/16", "10.2.0.0"}, "is not a CIDR"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := runErr(drProgram(false, tc.cidrs...))
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("error = %v; want one containing %q", err, tc.want)
			}
		})
	}
}

func TestDisasterRecoveryWithoutVaultLock(t *testing.T) {
	m := runDR(t, false)
	eq(t, "vault locks", count(m, "aws:backup/vaultLockConfiguration:VaultLockConfiguration"), 0)
}
