package stacks_test

import (
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
	"gopkg.in/yaml.v3"

	"github.com/ci-agent/ci-agent/components"
	"github.com/ci-agent/ci-agent/internal/plan"
	"github.com/ci-agent/ci-agent/stacks"
)

// runStack runs the real program with the committed Pulumi.<stack>.yaml. These tests set the
// process-wide PULUMI_CONFIG (through plan.Run), so none of them may call t.Parallel.
func runStack(t *testing.T, stack string) *plan.Mocks {
	t.Helper()
	cfg, err := plan.LoadStackConfig("..", stack)
	if err != nil {
		t.Fatal(err)
	}
	m, err := plan.Run(stack, cfg, stacks.Program)
	if err != nil {
		t.Fatalf("stack %s: %v", stack, err)
	}
	return m
}

func eq(t *testing.T, what string, got, want any) {
	t.Helper()
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("%s = %v; want %v", what, got, want)
	}
}

func named(t *testing.T, m *plan.Mocks, typ, name string) *plan.Resource {
	t.Helper()
	r := m.Named(typ, name)
	if r == nil {
		t.Fatalf("no %s named %q", typ, name)
	}
	return r
}

// helmParameters returns the Helm parameters of the environment's Argo CD Application.
func helmParameters(t *testing.T, m *plan.Mocks, env string) map[string]any {
	t.Helper()
	app := named(t, m, "kubernetes:helm.sh/v3:Release", "gitops-apps").Input("values").(map[string]any)["applications"].(map[string]any)["ci-agent-"+env]
	params := map[string]any{}
	for _, p := range app.(map[string]any)["source"].(map[string]any)["helm"].(map[string]any)["parameters"].([]any) {
		params[fmt.Sprint(p.(map[string]any)["name"])] = p.(map[string]any)["value"]
	}
	return params
}

func TestStacks(t *testing.T) {
	tests := []struct {
		stack        string
		phases       []string
		nats         int
		multiAz      bool
		replicas     []string
		deletionProt bool
		chaosMesh    bool
		// dbRetention: with phase 9 (prod), AWS Backup's continuous rule (35 days) owns the
		// instance's retention, so the instance states the same value.
		dbRetention int
	}{
		{"dev", []string{"phase1-cluster", "phase10-cost", "phase2-edge", "phase3-observability", "phase4-gitops", "phase6-database", "phase7-qa", "phase8-scaling"},
			1, false, nil, false, true, 30},
		{"prod", []string{"phase1-cluster", "phase10-cost", "phase2-edge", "phase3-observability", "phase4-gitops", "phase6-database", "phase7-qa", "phase8-scaling", "phase9-dr"},
			3, true, []string{"ap-southeast-1", "eu-west-1"}, true, false, 35},
	}
	for _, tc := range tests {
		t.Run(tc.stack, func(t *testing.T) {
			m := runStack(t, tc.stack)

			var phases []string
			for _, r := range m.ByType(plan.PhaseType) {
				phases = append(phases, r.Name)
			}
			eq(t, "phases", phases, tc.phases)
			// Phase 5 is opt-in: an account whose workflows already run has a GitHub OIDC
			// provider (the hand-made roles' one), and IAM refuses a second.
			if m.Named("aws:iam/role:Role", "ci-release") != nil {
				t.Errorf("stack %s creates the CI roles without phase 5", tc.stack)
			}
			for _, r := range m.Resources() {
				if r.Phase == "" {
					t.Errorf("%s %s belongs to no phase", r.Type, r.Name)
				}
			}

			eq(t, "NAT gateways", len(m.ByType("aws:ec2/natGateway:NatGateway")), tc.nats)
			db := named(t, m, "aws:rds/instance:Instance", "db")
			eq(t, "rds multiAz", db.Input("multiAz"), tc.multiAz)
			eq(t, "rds backupRetentionPeriod", db.Input("backupRetentionPeriod"), tc.dbRetention)
			if tc.replicas != nil {
				for i, rule := range named(t, m, "aws:backup/plan:Plan", "dr-plan").Input("rules").([]any) {
					eq(t, fmt.Sprintf("backup rule %d deleteAfter", i), rule.(map[string]any)["lifecycle"].(map[string]any)["deleteAfter"], tc.dbRetention)
				}
			}
			eq(t, "rds deletionProtection", db.Input("deletionProtection"), tc.deletionProt)
			eq(t, "rds identifier", db.Input("identifier"), "ci-agent-"+tc.stack)

			var replicaRegions []string
			for _, r := range m.ByType("aws:rds/instance:Instance") {
				if r.Input("replicateSourceDb") != nil {
					replicaRegions = append(replicaRegions, r.Region)
				}
			}
			eq(t, "replica regions", replicaRegions, tc.replicas)

			// The rotation Lambda lives in the private subnets (a route to Secrets Manager through
			// the NAT), never in the route-less database subnets, and uses the stack's region.
			privateIDs := map[string]string{}
			for _, sn := range m.ByType("aws:ec2/subnet:Subnet") {
				if tags, _ := sn.Input("tags").(map[string]any); sn.Region == "us-east-1" {
					privateIDs[sn.ID] = fmt.Sprint(tags["Tier"])
				}
			}
			rotator := named(t, m, "aws:serverlessrepository/cloudFormationStack:CloudFormationStack", "db-rotator")
			params, _ := rotator.Input("parameters").(map[string]any)
			subnets := strings.Split(fmt.Sprint(params["vpcSubnetIds"]), ",")
			eq(t, "rotation Lambda subnets", len(subnets), 3)
			for _, id := range subnets {
				eq(t, "tier of rotation subnet "+id, privateIDs[id], "private")
			}
			eq(t, "rotation application", rotator.Input("applicationId"),
				"arn:aws:serverlessrepo:us-east-1:297356227824:applications/SecretsManagerRDSPostgreSQLRotationSingleUser")
			eq(t, "rotation endpoint", params["endpoint"], "https://secretsmanager.us-east-1.amazonaws.com")

			// The log groups RDS and the rotation Lambda would create on their own exist first,
			// under the stack's log key (the network's) and with a retention.
			logKey := named(t, m, "aws:kms/key:Key", "net-logs-kms").Output("arn")
			for resourceName, want := range map[string]struct {
				group  string
				waiter *plan.Resource
			}{
				"db-postgresql-logs": {"/aws/rds/instance/ci-agent-" + tc.stack + "/postgresql", db},
				"db-upgrade-logs":    {"/aws/rds/instance/ci-agent-" + tc.stack + "/upgrade", db},
				"db-rotator-logs":    {"/aws/lambda/ci-agent-" + tc.stack + "-secret-rotation", rotator},
			} {
				group := named(t, m, "aws:cloudwatch/logGroup:LogGroup", resourceName)
				eq(t, resourceName+" name", group.Input("name"), want.group)
				eq(t, resourceName+" region", group.Region, "us-east-1")
				eq(t, resourceName+" kmsKeyId", group.Input("kmsKeyId"), logKey)
				eq(t, resourceName+" retentionInDays", group.Input("retentionInDays"), 30)
				if !want.waiter.DependsOn(group) {
					t.Errorf("%s %s does not wait for %s", want.waiter.Type, want.waiter.Name, resourceName)
				}
			}
			// The DR replicas export no logs, so they need no group in their regions.
			for _, r := range m.ByType("aws:rds/instance:Instance") {
				if r.Input("replicateSourceDb") != nil && r.Input("enabledCloudwatchLogsExports") != nil {
					t.Errorf("replica %s exports logs %v: create its log groups in %s first", r.Name, r.Input("enabledCloudwatchLogsExports"), r.Region)
				}
			}

			// The app reads the component's own secret (database.secretArn), the one rotated.
			secretArn := named(t, m, "aws:secretsmanager/secret:Secret", "db-master").Output("arn")
			eq(t, "rotated secret", named(t, m, "aws:secretsmanager/secretRotation:SecretRotation", "db-rotation").Input("secretId"), secretArn)
			app := named(t, m, "kubernetes:helm.sh/v3:Release", "gitops-apps").Input("values").(map[string]any)["applications"].(map[string]any)["ci-agent-"+tc.stack]
			helmParams := map[string]any{}
			for _, p := range app.(map[string]any)["source"].(map[string]any)["helm"].(map[string]any)["parameters"].([]any) {
				helmParams[fmt.Sprint(p.(map[string]any)["name"])] = p.(map[string]any)["value"]
			}
			eq(t, "app database.secretArn", helmParams["database.secretArn"], secretArn)
			eq(t, "app database.host", helmParams["database.host"], named(t, m, "aws:rds/proxy:Proxy", "db-proxy").Output("endpoint"))

			// The app's identity reaches the chart: its IRSA role on the service account the
			// trust names, the API-keys secret, and no 000000000000 placeholder of the values files.
			role := named(t, m, "aws:iam/role:Role", "app-role")
			eq(t, "app role-arn parameter", helmParams[`serviceAccount.annotations.eks\.amazonaws\.com/role-arn`], role.Output("arn"))
			apiKeys := named(t, m, "aws:secretsmanager/secret:Secret", "app-api-keys")
			eq(t, "app apiKeys.secretArn", helmParams["apiKeys.secretArn"], apiKeys.Output("arn"))
			eq(t, "app serviceAccount.name", helmParams["serviceAccount.name"], "ci-agent-"+tc.stack)
			eq(t, "app redis.urlSecretArn", helmParams["redis.urlSecretArn"], named(t, m, "aws:secretsmanager/secret:Secret", "cache-url").Output("arn"))
			for name, value := range helmParams {
				if strings.Contains(fmt.Sprint(value), "000000000000") || value == nil || value == "" {
					t.Errorf("app parameter %s = %v", name, value)
				}
			}
			if !strings.Contains(fmt.Sprint(role.Input("assumeRolePolicy")), `:sub":"system:serviceaccount:ci-agent:ci-agent-`+tc.stack+`"`) {
				t.Errorf("app role trust = %v; want the sub of ci-agent/ci-agent-%s", role.Input("assumeRolePolicy"), tc.stack)
			}
			appPolicy := fmt.Sprint(named(t, m, "aws:iam/rolePolicy:RolePolicy", "app-role-policy").Input("policy"))
			for _, want := range []string{
				`"Resource":["` + fmt.Sprint(apiKeys.Output("arn")) + `","` + fmt.Sprint(secretArn) + `","` +
					fmt.Sprint(named(t, m, "aws:secretsmanager/secret:Secret", "cache-url").Output("arn")) + `"]`,
				`"Resource":["` + fmt.Sprint(named(t, m, "aws:kms/key:Key", "app-kms").Output("arn")) + `","` +
					fmt.Sprint(named(t, m, "aws:kms/key:Key", "db-kms").Output("arn")) + `","` +
					fmt.Sprint(named(t, m, "aws:kms/key:Key", "cache-kms").Output("arn")) + `"]`,
			} {
				if !strings.Contains(appPolicy, want) {
					t.Errorf("app role policy = %s; want %s", appPolicy, want)
				}
			}

			cluster := named(t, m, "eks:index:Cluster", "eks")
			eq(t, "cluster name", cluster.Input("name"), "ci-agent-"+tc.stack)
			eq(t, "cluster tags Phase", cluster.Input("tags").(map[string]any)["Phase"], "1")
			group := named(t, m, plan.NodeGroupType, "eks-ondemand")
			eq(t, "node group scaling", group.Input("scalingConfig"), map[string]any{"desiredSize": 3.0, "maxSize": 10.0, "minSize": 3.0})
			eq(t, "node group ignoreChanges", group.IgnoreChanges, []string{"scalingConfig.desiredSize"})
			eq(t, "node group clusterName", group.Input("clusterName"), "ci-agent-"+tc.stack)
			eq(t, "node group tags Phase", group.Input("tags").(map[string]any)["Phase"], "1")
			if !group.DependsOn(cluster) {
				t.Errorf("node group does not wait for the cluster: %v", group.Dependencies)
			}
			// What runs in the cluster waits for its nodes and its EBS CSI driver, named
			// (Cluster.WaitFor): a dependency on the Cluster component alone missed the node
			// group about once in eight runs. The phases' components get the same option
			// (onCluster) and their children wait for them, which the mocks do not record.
			ebsCsi := named(t, m, "aws:eks/addon:Addon", "eks-ebs-csi")
			if sc := named(t, m, "kubernetes:storage.k8s.io/v1:StorageClass", "gp3"); !sc.DependsOn(group) || !sc.DependsOn(ebsCsi) {
				t.Errorf("StorageClass gp3 does not wait for the on-demand node group and the EBS CSI add-on: %v", sc.Dependencies)
			}

			// The secondary regions are reached through explicit providers, and their networks
			// are peered with the primary VPC: the primary's private route tables lead there.
			eq(t, "VPC peering connections", len(m.ByType("aws:ec2/vpcPeeringConnection:VpcPeeringConnection")), len(tc.replicas))
			drCidrs := map[string]string{"eu-west-1": "10.1.0.0/16", "ap-southeast-1": "10.2.0.0/16"}
			for _, region := range tc.replicas {
				if named(t, m, "pulumi:providers:aws", "aws-"+region).Input("region") != region {
					t.Errorf("provider aws-%s is not in %s", region, region)
				}
				pcx := named(t, m, "aws:ec2/vpcPeeringConnection:VpcPeeringConnection", "dr-"+region+"-peering")
				eq(t, region+" peering requester VPC", pcx.Input("vpcId"), named(t, m, "aws:ec2/vpc:Vpc", "net-vpc").ID)
				eq(t, region+" peering peer region", pcx.Input("peerRegion"), region)
				eq(t, region+" accepter region", named(t, m, "aws:ec2/vpcPeeringConnectionAccepter:VpcPeeringConnectionAccepter", "dr-"+region+"-peering-accept").Region, region)
				for i := 0; i < 3; i++ {
					route := named(t, m, "aws:ec2/route:Route", fmt.Sprintf("dr-%s-peering-primary-%d", region, i))
					eq(t, route.Name+" table", route.Input("routeTableId"), named(t, m, "aws:ec2/routeTable:RouteTable", fmt.Sprintf("net-private-rt-%d", i)).ID)
					eq(t, route.Name+" destination", route.Input("destinationCidrBlock"), drCidrs[region])
				}
				eq(t, region+" route back", named(t, m, "aws:ec2/route:Route", "dr-"+region+"-peering-database").Input("destinationCidrBlock"), "10.0.0.0/16")
			}

			// Every chart is pinned to the version components.PinnedCharts names.
			pinned := map[string]string{}
			for _, c := range components.PinnedCharts {
				pinned[c.Name] = c.Version
			}
			releases := m.ByType("kubernetes:helm.sh/v3:Release")
			wantReleases := len(components.PinnedCharts)
			if !tc.chaosMesh {
				wantReleases-- // Chaos Mesh only with ci-agent:chaosMesh
			}
			eq(t, "Helm releases", len(releases), wantReleases)
			for _, r := range releases {
				eq(t, fmt.Sprint(r.Input("chart"))+" version", r.Input("version"), pinned[fmt.Sprint(r.Input("chart"))])
			}

			// The budgets are the seed's cost table.
			for name, want := range map[string]string{"compute": "300.00", "database": "50.00", "storage": "10.00", "transfer": "20.00", "total": "380.00"} {
				eq(t, "budget "+name, named(t, m, "aws:budgets/budget:Budget", "cost-"+name).Input("limitAmount"), want)
			}
			spot := named(t, m, plan.NodeGroupType, "eks-spot")
			eq(t, "spot capacity", spot.Input("capacityType"), "SPOT")
			eq(t, "spot ignoreChanges", spot.IgnoreChanges, []string{"scalingConfig.desiredSize"})
			eq(t, "spot tags Phase", spot.Input("tags").(map[string]any)["Phase"], "10")
			// EKS copies no tags to the nodes: the launch templates' tag specifications carry
			// the phase's tags to the instances and volumes (the cost filters use Environment).
			for lt, phase := range map[string]string{"eks-ondemand-lt": "1", "eks-spot-lt": "10"} {
				specs := named(t, m, "aws:ec2/launchTemplate:LaunchTemplate", lt).Input("tagSpecifications")
				want := fmt.Sprint([]any{
					map[string]any{"resourceType": "instance", "tags": map[string]any{"Environment": tc.stack, "ManagedBy": "pulumi", "Phase": phase, "Project": "ci-agent"}},
					map[string]any{"resourceType": "volume", "tags": map[string]any{"Environment": tc.stack, "ManagedBy": "pulumi", "Phase": phase, "Project": "ci-agent"}},
				})
				eq(t, lt+" tagSpecifications", specs, want)
			}
			if !spot.DependsOn(cluster) {
				t.Errorf("spot node group does not wait for the cluster: %v", spot.Dependencies)
			}
			eq(t, "spot aliases", spot.Aliases, []string{"urn:pulumi:" + tc.stack +
				"::ci-agent::ciagent:stack:Phase$ciagent:infra:NodeGroup$eks:index:ManagedNodeGroup$aws:eks/nodeGroup:NodeGroup::eks-spot"})
			if n := len(m.ByType("eks:index:ManagedNodeGroup")); n != 0 {
				t.Errorf("%d pulumi-eks ManagedNodeGroups; want none", n)
			}
			cache := named(t, m, "aws:elasticache/replicationGroup:ReplicationGroup", "cache")
			eq(t, "redis Multi-AZ", cache.Input("multiAzEnabled"), tc.multiAz)
			eq(t, "Argo CD application", len(named(t, m, "kubernetes:helm.sh/v3:Release", "gitops-apps").Input("values").(map[string]any)["applications"].(map[string]any)), 1)
		})
	}
}

// cloudPhases are the phases with AWS resources of their own. Only those carry tags and cost
// money by themselves: a phase of in-cluster objects only (phase 7's Chaos Mesh, or nothing when
// ci-agent:chaosMesh is off) runs on the nodes phase 1 pays for.
func cloudPhases(m *plan.Mocks) map[string]bool {
	out := map[string]bool{}
	for _, r := range m.Resources() {
		if strings.HasPrefix(r.Type, "aws:") || strings.HasPrefix(r.Type, "eks:") {
			out[r.Phase] = true
		}
	}
	return out
}

// pricedPhases are the cloud phases with something AWS bills: IAM (phase 5's roles and
// provider, whatever else a phase has) is free.
func pricedPhases(m *plan.Mocks) map[string]bool {
	out := map[string]bool{}
	for _, r := range m.Resources() {
		if (strings.HasPrefix(r.Type, "aws:") && !strings.HasPrefix(r.Type, "aws:iam/")) || strings.HasPrefix(r.Type, "eks:") {
			out[r.Phase] = true
		}
	}
	return out
}

// TestPolicy runs every policy rule over every resource of both stacks.
func TestPolicy(t *testing.T) {
	for _, stack := range []string{"dev", "prod"} {
		t.Run(stack, func(t *testing.T) {
			m := runStack(t, stack)
			for _, f := range plan.Check(m.Resources()) {
				t.Errorf("stack %s: %s", stack, f)
			}
			// The tags come from each phase's transformation: every phase must have stamped its
			// own number on its resources.
			tagged := map[string]int{}
			for _, r := range m.Resources() {
				if tags, ok := r.Input("tags").(map[string]any); ok && tags["ManagedBy"] == "pulumi" && tags["Environment"] == stack {
					tagged[fmt.Sprintf("%v/%v", r.Phase, tags["Phase"])]++
				}
			}
			cloud := cloudPhases(m)
			for _, phase := range m.ByType(plan.PhaseType) {
				number := strings.TrimPrefix(strings.SplitN(phase.Name, "-", 2)[0], "phase")
				if cloud[phase.Name] && tagged[phase.Name+"/"+number] == 0 {
					t.Errorf("stack %s: no resource of %s carries Phase=%s; got %v", stack, phase.Name, number, tagged)
				}
			}
		})
	}
}

// TestPolicyRulesFire proves each rule reports what it exists to catch.
func TestPolicyRulesFire(t *testing.T) {
	tags := map[string]any{"Project": "p", "Environment": "e", "Phase": "1", "ManagedBy": "pulumi"}
	res := func(typ string, inputs map[string]any) *plan.Resource {
		if _, ok := inputs["tags"]; !ok {
			inputs["tags"] = tags
		}
		return &plan.Resource{Type: typ, Name: "x", Custom: true, ID: "x-id", Inputs: resource.NewPropertyMapFromMap(inputs)}
	}
	sg := func(cidr string, port int) *plan.Resource {
		return res("aws:ec2/securityGroup:SecurityGroup", map[string]any{"ingress": []any{map[string]any{
			"cidrBlocks": []any{cidr}, "fromPort": port, "toPort": port, "protocol": "tcp"}}})
	}
	tests := []struct {
		name     string
		resource *plan.Resource
		wantRule string // "" means no finding
	}{
		{"untagged VPC", res("aws:ec2/vpc:Vpc", map[string]any{"tags": map[string]any{"Name": "x"}}), "tags"},
		{"SSH from the internet", sg("0.0.0.0/0", 22), "ingress"},
		{"HTTPS from the internet", sg("0.0.0.0/0", 443), ""},
		{"HTTP from the internet", sg("0.0.0.0/0", 80), ""},
		{"PostgreSQL from the VPC", sg("10.0.0.0/16", 5432), ""},
		{"unencrypted RDS", res("aws:rds/instance:Instance", map[string]any{"storageEncrypted": false}), "kms"},
		{"public RDS", res("aws:rds/instance:Instance", map[string]any{"storageEncrypted": true, "kmsKeyId": "k", "publiclyAccessible": true}), "public"},
		{"bucket without SSE-KMS or public access block", res("aws:s3/bucketV2:BucketV2", map[string]any{}), "kms"},
		{"log group without key", res("aws:cloudwatch/logGroup:LogGroup", map[string]any{}), "kms"},
		{"floating chart version", &plan.Resource{Type: "kubernetes:helm.sh/v3:Release", Name: "x", Custom: true,
			Inputs: resource.NewPropertyMapFromMap(map[string]any{"chart": "c", "version": "^1.2", "repositoryOpts": map[string]any{"repo": "https://r"}})}, "helm"},
		{"cache without TLS", res("aws:elasticache/replicationGroup:ReplicationGroup", map[string]any{"atRestEncryptionEnabled": true, "kmsKeyId": "k"}), "tls"},
		{"open public EKS endpoint", res("eks:index:Cluster", map[string]any{"encryptionConfigKeyArn": "k", "endpointPublicAccess": true}), "public"},
		{"EKS endpoint open to 0.0.0.0/0", res("eks:index:Cluster", map[string]any{"encryptionConfigKeyArn": "k", "endpointPublicAccess": true, "publicAccessCidrs": []any{"35.180.1.0/24", "0.0.0.0/0"}}), "public"},
		{"node group without a launch template", res(plan.NodeGroupType, map[string]any{"amiType": "AL2023_x86_64_STANDARD"}), "imds"},
		{"node group with a launch template", res(plan.NodeGroupType, map[string]any{"launchTemplate": map[string]any{"id": "lt-1", "version": "1"}}), ""},
		{"untagged node group", res(plan.NodeGroupType, map[string]any{"launchTemplate": map[string]any{"id": "lt-1"}, "tags": map[string]any{}}), "tags"},
		{"launch template without IMDSv2", res("aws:ec2/launchTemplate:LaunchTemplate", map[string]any{"metadataOptions": map[string]any{"httpTokens": "optional"}}), "imds"},
		{"launch template without tag specifications", res("aws:ec2/launchTemplate:LaunchTemplate", map[string]any{"metadataOptions": map[string]any{"httpTokens": "required"}}), "tags"},
		{"launch template tagging only its instances", res("aws:ec2/launchTemplate:LaunchTemplate", map[string]any{"metadataOptions": map[string]any{"httpTokens": "required"},
			"tagSpecifications": []any{map[string]any{"resourceType": "instance", "tags": tags}}}), "tags"},
		{"launch template tagging its volumes without Phase", res("aws:ec2/launchTemplate:LaunchTemplate", map[string]any{"metadataOptions": map[string]any{"httpTokens": "required"},
			"tagSpecifications": []any{map[string]any{"resourceType": "instance", "tags": tags},
				map[string]any{"resourceType": "volume", "tags": map[string]any{"Project": "p", "Environment": "e", "ManagedBy": "pulumi"}}}}), "tags"},
		{"launch template tagging instances and volumes", res("aws:ec2/launchTemplate:LaunchTemplate", map[string]any{"metadataOptions": map[string]any{"httpTokens": "required"},
			"tagSpecifications": []any{map[string]any{"resourceType": "instance", "tags": tags}, map[string]any{"resourceType": "volume", "tags": tags}}}), ""},
		{"EKS endpoint open to one network", res("eks:index:Cluster", map[string]any{"encryptionConfigKeyArn": "k", "endpointPublicAccess": true, "publicAccessCidrs": []any{"35.180.1.0/24"}}), ""},
		{"EKS endpoint open to the internet in two halves", res("eks:index:Cluster", map[string]any{"encryptionConfigKeyArn": "k", "endpointPublicAccess": true, "publicAccessCidrs": []any{"0.0.0.0/1", "128.0.0.0/1"}}), "public"},
		{"EKS endpoint open to a /7", res("eks:index:Cluster", map[string]any{"encryptionConfigKeyArn": "k", "endpointPublicAccess": true, "publicAccessCidrs": []any{"35.180.1.0/24", "2.0.0.0/7"}}), "public"},
		{"EKS endpoint open to an unparsable range", res("eks:index:Cluster", map[string]any{"encryptionConfigKeyArn": "k", "endpointPublicAccess": true, "publicAccessCidrs": []any{"office"}}), "public"},
		{"EKS endpoint open to an IPv6 /16", res("eks:index:Cluster", map[string]any{"encryptionConfigKeyArn": "k", "endpointPublicAccess": true, "publicAccessCidrs": []any{"2001::/16"}}), "public"},
		{"EKS endpoint open to a /8", res("eks:index:Cluster", map[string]any{"encryptionConfigKeyArn": "k", "endpointPublicAccess": true, "publicAccessCidrs": []any{"52.0.0.0/8"}}), ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			findings := plan.Check([]*plan.Resource{tc.resource})
			var rules []string
			for _, f := range findings {
				rules = append(rules, f.Rule)
			}
			got := strings.Join(rules, ",")
			if tc.wantRule == "" && got != "" {
				t.Errorf("Check(%s) = %v; want no finding", tc.name, findings)
			}
			if tc.wantRule != "" && !strings.Contains(got, tc.wantRule) {
				t.Errorf("Check(%s) rules = %q; want %q among them", tc.name, got, tc.wantRule)
			}
		})
	}
}

// TestPolicyAWSCreatedLogGroups: a resource that makes an AWS service write to a log group the
// program does not create (in the resource's region) is reported, since AWS creates it without
// a key or retention; so is a log group without a retention.
func TestPolicyAWSCreatedLogGroups(t *testing.T) {
	res := func(typ, name, region string, inputs map[string]any) *plan.Resource {
		inputs["tags"] = map[string]any{"Project": "p", "Environment": "e", "Phase": "1", "ManagedBy": "pulumi"}
		return &plan.Resource{Type: typ, Name: name, Region: region, Custom: true, ID: name + "-id", Inputs: resource.NewPropertyMapFromMap(inputs)}
	}
	group := func(name, region string) *plan.Resource {
		return res("aws:cloudwatch/logGroup:LogGroup", "lg-"+name, region, map[string]any{"name": name, "kmsKeyId": "k", "retentionInDays": 30})
	}
	db := func(region string, exports ...any) *plan.Resource {
		return res("aws:rds/instance:Instance", "db", region, map[string]any{"identifier": "ci-agent-dev", "storageEncrypted": true, "kmsKeyId": "k",
			"enabledCloudwatchLogsExports": exports})
	}
	rotator := res("aws:serverlessrepository/cloudFormationStack:CloudFormationStack", "rotator", "us-east-1",
		map[string]any{"parameters": map[string]any{"functionName": "ci-agent-dev-secret-rotation"}})
	monitored := func(region string) *plan.Resource {
		r := db(region)
		r.Inputs["monitoringInterval"] = resource.NewNumberProperty(60)
		return r
	}
	proxy := res("aws:rds/proxy:Proxy", "proxy", "us-east-1", map[string]any{"name": "ci-agent-dev-proxy"})
	// Another stack's group, read (cloudwatch.GetLogGroup): no inputs, its name is its id.
	read := func(name, region string) *plan.Resource {
		return &plan.Resource{Type: "aws:cloudwatch/logGroup:LogGroup", Name: "read-" + name, Region: region, ID: name, Read: true}
	}
	tests := []struct {
		name      string
		resources []*plan.Resource
		want      []string // "rule name: message part", in order
	}{
		{"RDS exports without groups", []*plan.Resource{db("us-east-1", "postgresql", "upgrade")}, []string{
			"logs db: writes to the log group /aws/rds/instance/ci-agent-dev/postgresql (us-east-1), which the program does not create",
			"logs db: writes to the log group /aws/rds/instance/ci-agent-dev/upgrade"}},
		{"RDS exports with their groups", []*plan.Resource{db("us-east-1", "postgresql", "upgrade"),
			group("/aws/rds/instance/ci-agent-dev/postgresql", "us-east-1"), group("/aws/rds/instance/ci-agent-dev/upgrade", "us-east-1")}, nil},
		{"a replica's export with the group in the primary's region", []*plan.Resource{db("eu-west-1", "postgresql"),
			group("/aws/rds/instance/ci-agent-dev/postgresql", "us-east-1")}, []string{"logs db: writes to the log group /aws/rds/instance/ci-agent-dev/postgresql (eu-west-1)"}},
		{"no exports", []*plan.Resource{db("us-east-1")}, nil},
		{"the rotation Lambda without its group", []*plan.Resource{rotator}, []string{"logs rotator: writes to the log group /aws/lambda/ci-agent-dev-secret-rotation"}},
		{"the rotation Lambda with its group", []*plan.Resource{rotator, group("/aws/lambda/ci-agent-dev-secret-rotation", "us-east-1")}, nil},
		{"EKS control-plane logs without their group", []*plan.Resource{res("eks:index:Cluster", "eks", "us-east-1",
			map[string]any{"name": "ci-agent-dev", "encryptionConfigKeyArn": "k", "enabledClusterLogTypes": []any{"audit"}})},
			[]string{"logs eks: writes to the log group /aws/eks/ci-agent-dev/cluster"}},
		{"Enhanced Monitoring without RDSOSMetrics", []*plan.Resource{monitored("us-east-1")},
			[]string{"logs db: writes to the log group RDSOSMetrics (us-east-1), which the program does not create"}},
		{"Enhanced Monitoring with RDSOSMetrics", []*plan.Resource{monitored("us-east-1"), group("RDSOSMetrics", "us-east-1")}, nil},
		{"Enhanced Monitoring with another stack's RDSOSMetrics, read", []*plan.Resource{monitored("us-east-1"), read("RDSOSMetrics", "us-east-1")}, nil},
		{"Enhanced Monitoring with RDSOSMetrics read in another region", []*plan.Resource{monitored("eu-west-1"), read("RDSOSMetrics", "us-east-1")},
			[]string{"logs db: writes to the log group RDSOSMetrics (eu-west-1)"}},
		{"RDS Proxy without its group", []*plan.Resource{proxy},
			[]string{"logs proxy: writes to the log group /aws/rds/proxy/ci-agent-dev-proxy (us-east-1), which the program does not create"}},
		{"RDS Proxy with its group", []*plan.Resource{proxy, group("/aws/rds/proxy/ci-agent-dev-proxy", "us-east-1")}, nil},
		{"a log group kept forever", []*plan.Resource{res("aws:cloudwatch/logGroup:LogGroup", "forever", "us-east-1", map[string]any{"name": "/x", "kmsKeyId": "k"})},
			[]string{"retention forever: log group without retentionInDays"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var got []string
			for _, f := range plan.Check(tc.resources) {
				got = append(got, f.Rule+" "+f.Name+": "+f.Message)
			}
			if len(got) != len(tc.want) {
				t.Fatalf("Check = %q; want %d findings like %q", got, len(tc.want), tc.want)
			}
			for i, w := range tc.want {
				if !strings.HasPrefix(got[i], w) {
					t.Errorf("finding %d = %q; want it to start with %q", i, got[i], w)
				}
			}
		})
	}
}

func TestCost(t *testing.T) {
	totals := map[string]float64{}
	for _, stack := range []string{"dev", "prod"} {
		m := runStack(t, stack)
		cost := plan.Estimate(m.Resources())
		totals[stack] = cost.Total
		priced := pricedPhases(m)
		for _, phase := range m.ByType(plan.PhaseType) {
			if priced[phase.Name] && cost.ByPhase[phase.Name] <= 0 {
				t.Errorf("stack %s: phase %s costs %v; every phase should cost something", stack, phase.Name, cost.ByPhase[phase.Name])
			}
		}
		for _, it := range cost.Items {
			if strings.HasPrefix(it.Basis, "no price") {
				t.Errorf("stack %s: %s %s: %s (add it to internal/plan/prices.go)", stack, it.Type, it.Name, it.Basis)
			}
		}
		report := plan.NewReport(stack, m.Resources())
		var sb strings.Builder
		if err := report.WriteJSON(&sb); err != nil {
			t.Fatal(err)
		}
		for _, key := range []string{`"resources"`, `"cost"`, `"findings"`, `"type": "aws:rds/instance:Instance"`} {
			if !strings.Contains(sb.String(), key) {
				t.Errorf("stack %s: JSON plan lacks %s", stack, key)
			}
		}
	}
	if totals["dev"] >= totals["prod"] {
		t.Errorf("dev costs $%.2f, prod $%.2f; want dev cheaper", totals["dev"], totals["prod"])
	}
}

func TestConfigErrors(t *testing.T) {
	base := func() map[string]string {
		return map[string]string{"aws:region": "us-east-1", "ci-agent:environment": "dev"}
	}
	tests := []struct {
		name string
		set  map[string]string
		want string
	}{
		{"unknown environment", map[string]string{"ci-agent:environment": "qa"}, "want dev or prod"},
		{"DR without database", map[string]string{"ci-agent:phases": "[1, 9]"}, "phase 9 needs phase 6"},
		{"scaling without edge", map[string]string{"ci-agent:phases": "[1, 8]"}, "phase 8 needs phase 2"},
		{"unknown phase", map[string]string{"ci-agent:phases": "[1, 11]"}, "unknown phase 11"},
		{"CI roles without a repository", map[string]string{"ci-agent:phases": "[1, 5]"}, "ci-agent:githubRepository: phase 5 needs"},
		{"malformed number", map[string]string{"ci-agent:nodeMin": "three"}, "nodeMin"},
		{"min above max", map[string]string{"ci-agent:nodeMin": "12"}, "nodeMin <= nodeDesired <= nodeMax"},
		{"DR range overlaps the primary", map[string]string{"ci-agent:phases": "[1, 6, 9]", "ci-agent:secondaryVpcCidrs": `["10.0.128.0/17", "10.2.0.0/16"]`},
			"ci-agent:secondaryVpcCidrs[0] (eu-west-1) 10.0.128.0/17 overlaps ci-agent:vpcCidr 10.0.0.0/16: peered VPCs need disjoint ranges"},
		{"DR ranges overlap each other", map[string]string{"ci-agent:phases": "[1, 6, 9]", "ci-agent:secondaryVpcCidrs": `["10.1.0.0/16", "10.1.0.0/16"]`},
			"ci-agent:secondaryVpcCidrs[0] (eu-west-1) 10.1.0.0/16 overlaps ci-agent:secondaryVpcCidrs[1] (ap-southeast-1) 10.1.0.0/16"},
		{"DR range not a CIDR", map[string]string{"ci-agent:phases": "[1, 6, 9]", "ci-agent:secondaryVpcCidrs": `["10.1.0.0", "10.2.0.0/16"]`}, "is not a CIDR"},
		{"DR region is the primary", map[string]string{"ci-agent:phases": "[1, 6, 9]", "ci-agent:secondaryRegions": `["us-east-1"]`}, "us-east-1 is the primary region"},
		{"override host with a scheme", map[string]string{"ci-agent:databaseHostOverride": "postgres://db.example.com"}, "databaseHostOverride"},
		{"override secret of another region", map[string]string{"ci-agent:databaseSecretArnOverride": "arn:aws:secretsmanager:eu-west-1:123456789012:secret:rds!db-1"},
			"the secret is in eu-west-1, but the app's SecretStore reads Secrets Manager in us-east-1"},
		{"override secret not an ARN", map[string]string{"ci-agent:databaseSecretArnOverride": "rds!db-1"}, "is not an ARN"},
		{"override key without secret", map[string]string{"ci-agent:databaseKeyArnOverride": "arn:aws:kms:us-east-1:123456789012:key/k"}, "without ci-agent:databaseSecretArnOverride"},
		{"override key of another region", map[string]string{"ci-agent:databaseSecretArnOverride": "arn:aws:secretsmanager:us-east-1:123456789012:secret:s",
			"ci-agent:databaseKeyArnOverride": "arn:aws:kms:eu-west-1:123456789012:key/k"}, "the key is in eu-west-1"},
		{"override host without a database or secret", map[string]string{"ci-agent:phases": "[1, 4]", "ci-agent:databaseHostOverride": "db.example.com"},
			"without phase 6 set both"},
		{"AWS Backup retention above the continuous rule's 35 days", map[string]string{"ci-agent:backupRetentionDays": "36"}, "ci-agent:backupRetentionDays = 36"},
		{"AWS Backup retention below the vault lock's minimum", map[string]string{"ci-agent:phases": "[1, 6, 9]", "ci-agent:backupVaultLock": "true",
			"ci-agent:backupRetentionDays": "5"}, "ci-agent:backupRetentionDays = 5: the locked vault"},
		{"RDS retention above 35 days", map[string]string{"ci-agent:dbBackupRetentionDays": "40"}, "ci-agent:dbBackupRetentionDays = 40"},
		{"RDS retention 0 (no backups)", map[string]string{"ci-agent:dbBackupRetentionDays": "0"}, "ci-agent:dbBackupRetentionDays = 0"},
		{"RDS retention other than AWS Backup's with phase 9", map[string]string{"ci-agent:phases": "[1, 6, 9]", "ci-agent:dbBackupRetentionDays": "30"},
			"ci-agent:dbBackupRetentionDays = 30 but ci-agent:backupRetentionDays = 35"},
		{"Kubernetes version with a patch level", map[string]string{"ci-agent:kubernetesVersion": "1.35.2"}, `ci-agent:kubernetesVersion = "1.35.2"`},
		{"Kubernetes version with a v", map[string]string{"ci-agent:kubernetesVersion": "v1.35"}, `ci-agent:kubernetesVersion = "v1.35"`},
		{"spot desired above spot max", map[string]string{"ci-agent:spotDesired": "6"}, "ci-agent:spotMin <= ci-agent:spotDesired <= ci-agent:spotMax and spotMax >= 1, got 0/6/5"},
		{"spot min above spot desired", map[string]string{"ci-agent:spotMin": "2"}, "got 2/1/5"},
		{"spot max 0", map[string]string{"ci-agent:spotMax": "0", "ci-agent:spotDesired": "0"}, "got 0/0/0"},
		{"SMTP username without the password", map[string]string{"ci-agent:alertSmtpUsername": "AKIAEXAMPLE"}, "ci-agent:alertSmtpUsername is set without the secret ci-agent:alertSmtpPassword"},
		{"app CPU request not a quantity", map[string]string{"ci-agent:appCpuRequest": "one"}, "ci-agent:appCpuRequest"},
		{"app memory limit in bytes", map[string]string{"ci-agent:appMemoryLimit": "805306368"}, "ci-agent:appMemoryLimit"},
		{"no app replicas", map[string]string{"ci-agent:appMaxReplicas": "0"}, "ci-agent:appMaxReplicas = 0"},
		// A key the program does not read would be ignored and its default used.
		{"key of the wrong case", map[string]string{"ci-agent:dbMultiAZ": "true"},
			"config ci-agent:dbMultiAZ: unknown key: the program reads no such key, so its value would be ignored (did you mean ci-agent:dbMultiAz?)"},
		{"key misspelt", map[string]string{"ci-agent:natGateway": "3"}, "config ci-agent:natGateway: unknown key: the program reads no such key, so its value would be ignored (did you mean ci-agent:natGateways?)"},
		// A misspelt namespace was read by no one and passed (the infra review's find).
		{"namespace misspelt", map[string]string{"ciagent:nodeMax": "0"}, "config ciagent:nodeMax: unknown namespace ciagent: the program reads ci-agent: keys, so its value would be ignored (did you mean ci-agent:nodeMax?)"},
		{"namespace with an underscore", map[string]string{"ci_agent:dbMultiAz": "true"}, "config ci_agent:dbMultiAz: unknown namespace ci_agent"},
		{"key two edits away", map[string]string{"ci-agent:redisNodeTpe": "cache.t4g.small", "ci-agent:spotmax": "3"},
			"ci-agent:redisNodeTpe: unknown key: the program reads no such key, so its value would be ignored (did you mean ci-agent:redisNodeType?)"},
		{"unknown key like none", map[string]string{"ci-agent:dbEngine": "mysql"}, "config ci-agent:dbEngine: unknown key: the program reads no such key, so its value would be ignored; stacks/config_keys.go"},
		{"unknown key before a missing environment", map[string]string{"ci-agent:environment": "", "ci-agent:Environment": "dev"},
			"(did you mean ci-agent:environment?)"},
		// A node group of no node once became 3..10 in the component.
		{"node group 0/0", map[string]string{"ci-agent:nodeMin": "0", "ci-agent:nodeMax": "0"},
			"ci-agent:nodeMin = 0, ci-agent:nodeMax = 0: the on-demand node group needs nodeMax >= 1"},
		{"node group max 0", map[string]string{"ci-agent:nodeMin": "0", "ci-agent:nodeMax": "0", "ci-agent:nodeDesired": "0"}, "ci-agent:nodeMax = 0"},
		{"negative node min", map[string]string{"ci-agent:nodeMin": "-1", "ci-agent:nodeDesired": "1"}, "ci-agent:nodeMin = -1"},
		// No NAT: nothing in the private subnets reaches the internet.
		{"no NAT with the database (rotation)", map[string]string{"ci-agent:natGateways": "0"},
			"ci-agent:natGateways = 0 with phase 6: the private subnets would have no route out, and the password-rotation Lambda could not reach Secrets Manager"},
		{"no NAT with the edge", map[string]string{"ci-agent:natGateways": "0", "ci-agent:phases": "[1, 2]"}, "ci-agent:natGateways = 0 with phase 2"},
		{"no NAT with GitOps", map[string]string{"ci-agent:natGateways": "0", "ci-agent:phases": "[1, 4]"}, "ci-agent:natGateways = 0 with phase 4: the private subnets would have no route out, and Argo CD"},
		{"more NATs than AZs", map[string]string{"ci-agent:natGateways": "4"}, "ci-agent:natGateways = 4: want 1 to ci-agent:azCount (3)"},
		// Phase 1's nodes need the EC2 API: no phase without a NAT comes up (a reviewer's find:
		// this passed the plan and failed at up).
		{"no NAT even without the phases that pull images", map[string]string{"ci-agent:natGateways": "0", "ci-agent:phases": "[1, 5, 10]",
			"ci-agent:githubRepository": "ci-agent/ci-agent"}, "ci-agent:natGateways = 0: the private subnets would have no route out, and phase 1's nodes could not reach the EC2 API"},
		// Values AWS would refuse only at `pulumi up`.
		{"RDS class without db.", map[string]string{"ci-agent:dbInstanceClass": "t4g.medium"}, `ci-agent:dbInstanceClass = "t4g.medium": want an RDS instance class`},
		{"ElastiCache type without cache.", map[string]string{"ci-agent:redisNodeType": "t4g.micro"}, `ci-agent:redisNodeType = "t4g.micro": want an ElastiCache node type`},
		{"budget 0", map[string]string{"ci-agent:budgetStorage": "0"}, "ci-agent:budgetStorage = 0: want a monthly amount in USD above 0"},
		{"budget negative", map[string]string{"ci-agent:budgetTotal": "-380"}, "ci-agent:budgetTotal = -380"},
		{"budget NaN", map[string]string{"ci-agent:budgetCompute": "NaN"}, "ci-agent:budgetCompute = NaN"},
		{"DR region not a region", map[string]string{"ci-agent:secondaryRegions": `["eu-west-1", "europe"]`}, `ci-agent:secondaryRegions[1] = "europe": want an AWS region name`},
		{"DR region an availability zone", map[string]string{"ci-agent:secondaryRegions": `["eu-west-1a"]`}, `ci-agent:secondaryRegions[0] = "eu-west-1a"`},
		{"domain with upper case", map[string]string{"ci-agent:domain": "Dev.CI-Agent.tech"}, `ci-agent:domain = "Dev.CI-Agent.tech": want a DNS name`},
		{"domain with a space", map[string]string{"ci-agent:domain": "dev ci-agent.tech"}, `ci-agent:domain = "dev ci-agent.tech"`},
		{"domain without a dot", map[string]string{"ci-agent:domain": "localhost"}, `ci-agent:domain = "localhost"`},
		{"domain with a trailing dot", map[string]string{"ci-agent:domain": "ci-agent.tech."}, `ci-agent:domain = "ci-agent.tech."`},
		// The EKS endpoint: public only to listed IPv4 ranges, never to the whole internet.
		{"endpoint open to the internet", map[string]string{"ci-agent:publicAccessCidrs": `["35.180.1.0/24", "0.0.0.0/0"]`},
			`ci-agent:publicAccessCidrs[1] = "0.0.0.0/0": would open the EKS API endpoint to the whole internet`},
		{"endpoint open to the IPv6 internet", map[string]string{"ci-agent:publicAccessCidrs": `["::/0"]`}, `ci-agent:publicAccessCidrs[0] = "::/0": want an IPv4 CIDR`},
		{"endpoint CIDR without a length", map[string]string{"ci-agent:publicAccessCidrs": `["35.180.1.7"]`}, `ci-agent:publicAccessCidrs[0] = "35.180.1.7": not a CIDR`},
		{"endpoint CIDR too long", map[string]string{"ci-agent:publicAccessCidrs": `["35.180.1.0/33"]`}, `ci-agent:publicAccessCidrs[0] = "35.180.1.0/33": not a CIDR`},
		{"endpoint CIDR a name", map[string]string{"ci-agent:publicAccessCidrs": `["office"]`}, `ci-agent:publicAccessCidrs[0] = "office": not a CIDR`},
		{"endpoint CIDR with host bits", map[string]string{"ci-agent:publicAccessCidrs": `["35.180.1.7/24"]`},
			`ci-agent:publicAccessCidrs[0] = "35.180.1.7/24": has host bits set; did you mean 35.180.1.0/24?`},
		{"endpoint CIDRs not a list", map[string]string{"ci-agent:publicAccessCidrs": `35.180.1.0/24`}, "ci-agent:publicAccessCidrs"},
		// Only globally routable ranges, /8 or longer, each once, at most EKS's 40.
		{"endpoint CIDRs: the internet in two halves", map[string]string{"ci-agent:publicAccessCidrs": `["0.0.0.0/1", "128.0.0.0/1"]`}, "ci-agent:publicAccessCidrs[0] = \"0.0.0.0/1\": a /1 holds 2147483648 addresses"},
		{"endpoint CIDRs: a /7", map[string]string{"ci-agent:publicAccessCidrs": `["2.0.0.0/7"]`}, "ci-agent:publicAccessCidrs[0] = \"2.0.0.0/7\": a /7 holds 33554432 addresses"},
		{"endpoint CIDRs: private 10/8", map[string]string{"ci-agent:publicAccessCidrs": `["10.0.0.0/8"]`}, "ci-agent:publicAccessCidrs[0] = \"10.0.0.0/8\": overlaps 10.0.0.0/8, which is private"},
		{"endpoint CIDRs: private 172.16/12", map[string]string{"ci-agent:publicAccessCidrs": `["172.20.0.0/16"]`}, "overlaps 172.16.0.0/12, which is private"},
		{"endpoint CIDRs: private 192.168/16", map[string]string{"ci-agent:publicAccessCidrs": `["35.180.1.0/24", "192.168.0.0/16"]`}, "ci-agent:publicAccessCidrs[1] = \"192.168.0.0/16\": overlaps 192.168.0.0/16, which is private"},
		{"endpoint CIDRs: CGNAT", map[string]string{"ci-agent:publicAccessCidrs": `["100.64.0.0/10"]`}, "overlaps 100.64.0.0/10, which is carrier-grade NAT"},
		{"endpoint CIDRs: a /8 holding CGNAT", map[string]string{"ci-agent:publicAccessCidrs": `["100.0.0.0/8"]`}, "overlaps 100.64.0.0/10, which is carrier-grade NAT"},
		{"endpoint CIDRs: loopback", map[string]string{"ci-agent:publicAccessCidrs": `["127.0.0.0/8"]`}, "overlaps 127.0.0.0/8, which is loopback"},
		{"endpoint CIDRs: link-local", map[string]string{"ci-agent:publicAccessCidrs": `["169.254.169.254/32"]`}, "overlaps 169.254.0.0/16, which is link-local"},
		{"endpoint CIDRs: multicast", map[string]string{"ci-agent:publicAccessCidrs": `["239.255.0.0/16"]`}, "overlaps 224.0.0.0/4, which is multicast"},
		{"endpoint CIDRs: unspecified host", map[string]string{"ci-agent:publicAccessCidrs": `["0.0.0.0/32"]`}, "overlaps 0.0.0.0/8, which is \"this network\""},
		{"endpoint CIDRs: broadcast", map[string]string{"ci-agent:publicAccessCidrs": `["255.255.255.255/32"]`}, "overlaps 240.0.0.0/4, which is reserved"},
		{"endpoint CIDRs: IETF protocol assignments", map[string]string{"ci-agent:publicAccessCidrs": `["192.0.0.0/24"]`}, "overlaps 192.0.0.0/24, which is IETF protocol assignments"},
		{"endpoint CIDRs: TEST-NET-1", map[string]string{"ci-agent:publicAccessCidrs": `["192.0.2.0/24"]`}, "overlaps 192.0.2.0/24, which is documentation"},
		{"endpoint CIDRs: TEST-NET-2 host", map[string]string{"ci-agent:publicAccessCidrs": `["198.51.100.7/32"]`}, "overlaps 198.51.100.0/24, which is documentation"},
		{"endpoint CIDRs: TEST-NET-3", map[string]string{"ci-agent:publicAccessCidrs": `["35.180.1.0/24", "203.0.113.0/24"]`}, "ci-agent:publicAccessCidrs[1] = \"203.0.113.0/24\": overlaps 203.0.113.0/24, which is documentation"},
		{"endpoint CIDRs: 6to4 relay", map[string]string{"ci-agent:publicAccessCidrs": `["192.88.99.1/32"]`}, "overlaps 192.88.99.0/24, which is the deprecated 6to4 relay"},
		{"endpoint CIDRs: a /16 holding TEST-NET-1", map[string]string{"ci-agent:publicAccessCidrs": `["192.0.0.0/16"]`}, "overlaps 192.0.0.0/24"},
		{"endpoint CIDRs: benchmarking", map[string]string{"ci-agent:publicAccessCidrs": `["198.18.0.0/15"]`}, "overlaps 198.18.0.0/15, which is benchmarking"},
		{"endpoint CIDRs: a duplicate", map[string]string{"ci-agent:publicAccessCidrs": `["35.180.1.0/24", "34.201.10.7/32", "35.180.1.0/24"]`}, "ci-agent:publicAccessCidrs[2] = \"35.180.1.0/24\": duplicates ci-agent:publicAccessCidrs[0]"},
		{"endpoint CIDRs: an overlap", map[string]string{"ci-agent:publicAccessCidrs": `["35.180.1.0/24", "35.180.1.128/25"]`}, "ci-agent:publicAccessCidrs[1] = \"35.180.1.128/25\": overlaps ci-agent:publicAccessCidrs[0] = \"35.180.1.0/24\""},
		{"endpoint CIDRs: over EKS's limit", map[string]string{"ci-agent:publicAccessCidrs": manyCidrs(41)},
			"config ci-agent:publicAccessCidrs has 41 ranges; EKS takes at most 40 per cluster"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			cfg := base()
			for k, v := range tc.set {
				cfg[k] = v
			}
			_, err := plan.Run("dev", cfg, stacks.Program)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("config %v: error = %v; want one containing %q", tc.set, err, tc.want)
			}
		})
	}
}

// TestPublicAccessCidrsReachTheCluster: ci-agent:publicAccessCidrs makes the endpoint public and
// private, restricted to those ranges; without it the endpoint is private only.
func TestPublicAccessCidrsReachTheCluster(t *testing.T) {
	for _, tc := range []struct {
		name   string
		set    map[string]string
		public bool
		cidrs  []any
	}{
		{"default: private only", nil, false, []any{}},
		{"public to the listed ranges", map[string]string{"ci-agent:publicAccessCidrs": `["35.180.1.0/24", "34.201.10.7/32"]`},
			true, []any{"35.180.1.0/24", "34.201.10.7/32"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cfg := map[string]string{"aws:region": "us-east-1", "ci-agent:environment": "dev", "ci-agent:phases": "[1]"}
			for k, v := range tc.set {
				cfg[k] = v
			}
			m, err := plan.Run("dev", cfg, stacks.Program)
			if err != nil {
				t.Fatal(err)
			}
			cluster := named(t, m, "eks:index:Cluster", "eks")
			eq(t, "endpointPrivateAccess", cluster.Input("endpointPrivateAccess"), true)
			eq(t, "endpointPublicAccess", cluster.Input("endpointPublicAccess"), tc.public)
			eq(t, "publicAccessCidrs", cluster.Input("publicAccessCidrs"), tc.cidrs)
		})
	}
}

// loadOnly runs LoadConfig alone under the mocks, for what the config accepts.
func loadOnly(ctx *pulumi.Context) error {
	_, err := stacks.LoadConfig(ctx)
	return err
}

// TestConfigAccepts: the keys other namespaces own, values at the new checks' edges, and the
// regions and domains the checks must let through.
func TestConfigAccepts(t *testing.T) {
	tests := []struct {
		name string
		set  map[string]string
	}{
		{"other namespaces' keys", map[string]string{"aws:profile": "ci", "aws:defaultTags": `{"tags":{"Team":"platform"}}`,
			"kubernetes:context": "x", "pulumi:disable-default-providers": `["kubernetes"]`, "random:x": "y"}},
		{"GovCloud and 2-letter regions", map[string]string{"ci-agent:phases": "[1, 6, 9]", "ci-agent:secondaryRegions": `["us-gov-west-1", "il-central-1"]`}},
		{"a subdomain with digits and hyphens", map[string]string{"ci-agent:domain": "dev-2.ci-agent.tech"}},
		{"a node group that scales from zero", map[string]string{"ci-agent:nodeMin": "0", "ci-agent:nodeDesired": "0", "ci-agent:nodeMax": "2"}},
		{"fractional budgets", map[string]string{"ci-agent:budgetStorage": "0.5"}},
		{"endpoint public to a network and a host", map[string]string{"ci-agent:publicAccessCidrs": `["35.180.1.0/24", "34.201.10.7/32"]`}},
		{"endpoint private (empty list)", map[string]string{"ci-agent:publicAccessCidrs": `[]`}},
		{"endpoint public to EKS's maximum of ranges", map[string]string{"ci-agent:publicAccessCidrs": manyCidrs(40)}},
		{"endpoint public to a /8 and adjacent ranges", map[string]string{"ci-agent:publicAccessCidrs": `["52.0.0.0/8", "53.0.0.0/8", "34.201.10.0/24", "35.180.1.0/24"]`}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			cfg := map[string]string{"aws:region": "us-east-1", "ci-agent:environment": "dev"}
			for k, v := range tc.set {
				cfg[k] = v
			}
			if _, err := plan.Run("dev", cfg, loadOnly); err != nil {
				t.Errorf("config %v: %v", tc.set, err)
			}
		})
	}
}

// TestDocumentedKeysExist: every ci-agent: key the committed stacks set, and that the docs,
// runbooks and scripts tell an operator to set (pulumi config set ci-agent:…, a yq edit of
// Pulumi.<stack>.yaml), is one the program reads; otherwise following them is refused now, and
// was silently ignored before.
func TestDocumentedKeysExist(t *testing.T) {
	known := map[string]bool{}
	for _, k := range stacks.ConfigKeys() {
		known[k] = true
	}
	// ci-agent:<key>, but not ci-agent:ci-agent-prod (a service account) or an image ci-agent:tag-x.
	keyRef := regexp.MustCompile(`ci-agent:([a-z][A-Za-z0-9]*)([^A-Za-z0-9/_.-]|$)`)
	var files []string
	for _, pattern := range []string{"../Pulumi.*.yaml", "../README.md", "../docs/*.md", "../docs/*/*.md", "../deploy/*.sh",
		"../.github/workflows/*.yml", "../scripts/*", "*.go"} {
		matches, err := filepath.Glob(pattern)
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range matches {
			if info, err := os.Stat(m); err == nil && info.Mode().IsRegular() && !strings.HasSuffix(m, "_test.go") {
				files = append(files, m)
			}
		}
	}
	seen := 0
	for _, file := range files {
		raw, err := os.ReadFile(file)
		if err != nil {
			t.Fatal(err)
		}
		for i, line := range strings.Split(string(raw), "\n") {
			for _, m := range keyRef.FindAllStringSubmatch(line, -1) {
				seen++
				if !known[m[1]] {
					t.Errorf("%s:%d names ci-agent:%s, which the program does not read (stacks/config_keys.go)", file, i+1, m[1])
				}
			}
		}
	}
	if seen < 50 {
		t.Errorf("found %d references to ci-agent: keys in %d files; the patterns no longer find the docs", seen, len(files))
	}
	// The committed stacks' keys, through the loader the plan uses.
	for _, stack := range []string{"dev", "prod"} {
		cfg, err := plan.LoadStackConfig("..", stack)
		if err != nil {
			t.Fatal(err)
		}
		for key := range cfg {
			if k, ours := strings.CutPrefix(key, "ci-agent:"); ours && !known[k] {
				t.Errorf("Pulumi.%s.yaml sets %s, which the program does not read", stack, key)
			}
		}
	}
}

func TestConfigWarnings(t *testing.T) {
	relay := stacks.PlatformConfig{AlertEmail: "ops@example.com", AlertSMTPSmarthost: "smtp.example.com:587"}
	noRelay := stacks.PlatformConfig{AlertEmail: "ops@example.com"}
	tests := []struct {
		name string
		cfg  stacks.Config
		want []string // substrings, one per warning, in order
	}{
		{"public endpoint and a relay", stacks.Config{Phases: []int{1, 2, 3}, PublicAccessCidrs: []string{"35.180.1.0/24"}, Platform: relay}, nil},
		{"private endpoint, cluster only", stacks.Config{Phases: []int{1, 6}, Platform: noRelay}, nil},
		{"private endpoint, in-cluster phases", stacks.Config{Phases: []int{1, 2}, Platform: noRelay}, []string{"publicAccessCidrs is empty"}},
		{"observability without a relay", stacks.Config{Phases: []int{1, 2, 3}, PublicAccessCidrs: []string{"35.180.1.0/24"}, Platform: noRelay},
			[]string{"alertSmtpSmarthost is empty: Alertmanager has no e-mail receiver, so alerts reach ops@example.com"}},
		{"DR in a stack that does not own the registry", stacks.Config{Phases: []int{1, 6, 9}, SecondaryRegions: []string{"eu-west-1"}, Platform: noRelay},
			[]string{"phase 9 runs but ci-agent:registryOwner is false: this stack does not replicate images"}},
		{"DR in the registry's owner", stacks.Config{Phases: []int{1, 6, 9}, SecondaryRegions: []string{"eu-west-1"}, RegistryOwner: true, Platform: noRelay}, nil},
		{"chaos mesh without phase 7", stacks.Config{Phases: []int{1, 6}, Platform: stacks.PlatformConfig{ChaosMesh: true}},
			[]string{"ci-agent:chaosMesh is true but phase 7 is not in ci-agent:phases"}},
		// The default addresses, ops@<domain>, are in the zone the program creates without MX.
		{"alerts and budgets to the stack's own domain", stacks.Config{Phases: []int{1, 2, 3, 10}, PublicAccessCidrs: []string{"35.180.1.0/24"},
			Platform: stacks.PlatformConfig{Domain: "dev.ci-agent.tech", AlertEmail: "ops@dev.ci-agent.tech", BudgetEmail: "ops@dev.ci-agent.tech", AlertSMTPSmarthost: "smtp.example.com:587"}},
			[]string{"ci-agent:alertEmail is ops@dev.ci-agent.tech, in the zone this stack creates without MX records: nobody receives the alerts",
				"ci-agent:budgetEmail is ops@dev.ci-agent.tech, in the zone this stack creates without MX records: the budget and cost-anomaly mails bounce"}},
		// A recovery stack creates no zone: it uses prod's, which prod's stack made without MX.
		{"alerts and budgets to the domain of a live zone", stacks.Config{Phases: []int{1, 2, 3, 10}, PublicAccessCidrs: []string{"35.180.1.0/24"},
			Zone:     stacks.ZoneConfig{ExistingZoneID: "Z0PLANCIAGENTTECH"},
			Platform: stacks.PlatformConfig{Domain: "ci-agent.tech", AlertEmail: "ops@ci-agent.tech", BudgetEmail: "ops@ci-agent.tech", AlertSMTPSmarthost: "smtp.example.com:587"}},
			[]string{"ci-agent:alertEmail is ops@ci-agent.tech, in the live zone Z0PLANCIAGENTTECH (ci-agent:existingZoneId) that this stack uses, " +
				"which its owner's stack created without MX records: unless one was added there by hand, nobody receives the alerts",
				"ci-agent:budgetEmail is ops@ci-agent.tech, in the live zone Z0PLANCIAGENTTECH (ci-agent:existingZoneId) that this stack uses, " +
					"which its owner's stack created without MX records: unless one was added there by hand, the budget and cost-anomaly mails bounce"}},
		{"budgets to a subdomain of the stack's", stacks.Config{Phases: []int{1, 2, 3, 10}, PublicAccessCidrs: []string{"35.180.1.0/24"},
			Platform: stacks.PlatformConfig{Domain: "ci-agent.tech", AlertEmail: "ops@example.com", BudgetEmail: "billing@Mail.CI-agent.tech", AlertSMTPSmarthost: "smtp.example.com:587"}},
			[]string{"ci-agent:budgetEmail is billing@Mail.CI-agent.tech"}},
		{"alerts and budgets to real mailboxes", stacks.Config{Phases: []int{1, 2, 3, 10}, PublicAccessCidrs: []string{"35.180.1.0/24"},
			Platform: stacks.PlatformConfig{Domain: "ci-agent.tech", AlertEmail: "ops@example.com", BudgetEmail: "finance@example.com", AlertSMTPSmarthost: "smtp.example.com:587"}}, nil},
		{"a domain that only ends like the stack's", stacks.Config{Phases: []int{1, 2, 3, 10}, PublicAccessCidrs: []string{"35.180.1.0/24"},
			Platform: stacks.PlatformConfig{Domain: "ci-agent.tech", AlertEmail: "ops@my-ci-agent.tech", BudgetEmail: "ops@my-ci-agent.tech", AlertSMTPSmarthost: "smtp.example.com:587"}}, nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got := tc.cfg.Warnings()
			if len(got) != len(tc.want) {
				t.Fatalf("Warnings() = %q; want %d warnings like %q", got, len(tc.want), tc.want)
			}
			for i, w := range tc.want {
				if !strings.Contains(got[i], w) {
					t.Errorf("warning %d = %q; want it to contain %q", i, got[i], w)
				}
			}
		})
	}
}

// TestDatabaseOverride: the supported way to point the app at another database (a promoted DR
// replica, region-failover.md). The config keys reach the Application's Helm parameters, which
// win over values-<env>.yaml, and the app's role may read the override's secret and decrypt it.
func TestDatabaseOverride(t *testing.T) {
	const (
		host   = "ci-agent-prod-eu-west-1.abc123.eu-west-1.rds.amazonaws.com"
		secret = "arn:aws:secretsmanager:us-east-1:123456789012:secret:ci-agent-prod-db-override-AbCdEf"
		key    = "arn:aws:kms:us-east-1:123456789012:key/0f0f0f0f-1111-2222-3333-444444444444"
	)
	cfg, err := plan.LoadStackConfig("..", "prod")
	if err != nil {
		t.Fatal(err)
	}

	// Step 2 of the runbook: only the host changes; the primary's secret stays.
	cfg["ci-agent:databaseHostOverride"] = host
	m, err := plan.Run("prod", cfg, stacks.Program)
	if err != nil {
		t.Fatal(err)
	}
	params := helmParameters(t, m, "prod")
	eq(t, "database.host", params["database.host"], host)
	eq(t, "database.secretArn", params["database.secretArn"], named(t, m, "aws:secretsmanager/secret:Secret", "db-master").Output("arn"))

	// With a secret of its own and that secret's key.
	cfg["ci-agent:databaseSecretArnOverride"] = secret
	cfg["ci-agent:databaseKeyArnOverride"] = key
	m, err = plan.Run("prod", cfg, stacks.Program)
	if err != nil {
		t.Fatal(err)
	}
	params = helmParameters(t, m, "prod")
	eq(t, "database.host", params["database.host"], host)
	eq(t, "database.secretArn", params["database.secretArn"], secret)
	policy := fmt.Sprint(named(t, m, "aws:iam/rolePolicy:RolePolicy", "app-role-policy").Input("policy"))
	for _, want := range []string{
		// The platform's secrets stay readable (unsetting the override is the fail-back).
		`"Resource":["` + fmt.Sprint(named(t, m, "aws:secretsmanager/secret:Secret", "app-api-keys").Output("arn")) + `","` +
			fmt.Sprint(named(t, m, "aws:secretsmanager/secret:Secret", "db-master").Output("arn")) + `","` +
			fmt.Sprint(named(t, m, "aws:secretsmanager/secret:Secret", "cache-url").Output("arn")) + `","` + secret + `"]`,
		`"Resource":["` + fmt.Sprint(named(t, m, "aws:kms/key:Key", "app-kms").Output("arn")) + `","` +
			fmt.Sprint(named(t, m, "aws:kms/key:Key", "db-kms").Output("arn")) + `","` +
			fmt.Sprint(named(t, m, "aws:kms/key:Key", "cache-kms").Output("arn")) + `","` + key + `"]`,
	} {
		if !strings.Contains(policy, want) {
			t.Errorf("app role policy = %s; want %s", policy, want)
		}
	}
}

// TestRecoveryStack: step 3 of the runbook, a stack in the DR region without a database of its
// own; the overrides are the only source of database.host and database.secretArn, and the
// role decrypts through Secrets Manager of that region.
func TestRecoveryStack(t *testing.T) {
	cfg := recoveryConfig(t)
	host, secret, key := cfg["ci-agent:databaseHostOverride"], cfg["ci-agent:databaseSecretArnOverride"], cfg["ci-agent:databaseKeyArnOverride"]
	m, err := plan.Run("prod-eu-west-1", cfg, stacks.Program)
	if err != nil {
		t.Fatal(err)
	}
	params := helmParameters(t, m, "prod")
	eq(t, "database.host", params["database.host"], host)
	eq(t, "database.secretArn", params["database.secretArn"], secret)
	eq(t, "SecretStore region", params["externalSecrets.secretStore.region"], "eu-west-1")
	policy := fmt.Sprint(named(t, m, "aws:iam/rolePolicy:RolePolicy", "app-role-policy").Input("policy"))
	for _, want := range []string{`"` + secret + `"`, `"` + key + `"`, `"kms:ViaService":"secretsmanager.eu-west-1.amazonaws.com"`} {
		if !strings.Contains(policy, want) {
			t.Errorf("app role policy = %s; want %s", policy, want)
		}
	}
}

// chartValues reads what the app's chart runs in env: autoscaling.maxReplicas and the app
// container's requests and memory limit, values-<env>.yaml over values.yaml (Argo CD's order).
func chartValues(t *testing.T, env string) (maxReplicas float64, cpu, memory, memoryLimit string) {
	t.Helper()
	for _, file := range []string{"values.yaml", "values-" + env + ".yaml"} {
		raw, err := os.ReadFile(filepath.Join("..", "deploy", "chart", "ci-agent", file))
		if err != nil {
			t.Fatal(err)
		}
		var v struct {
			Autoscaling struct {
				MaxReplicas *float64 `yaml:"maxReplicas"`
			} `yaml:"autoscaling"`
			Resources struct {
				Requests struct{ CPU, Memory *string } `yaml:"requests"`
				Limits   struct{ CPU, Memory *string } `yaml:"limits"`
			} `yaml:"resources"`
		}
		if err := yaml.Unmarshal(raw, &v); err != nil {
			t.Fatalf("%s: %v", file, err)
		}
		for _, set := range []struct {
			from *string
			to   *string
		}{{v.Resources.Requests.CPU, &cpu}, {v.Resources.Requests.Memory, &memory}, {v.Resources.Limits.Memory, &memoryLimit}} {
			if set.from != nil {
				*set.to = *set.from
			}
		}
		if v.Autoscaling.MaxReplicas != nil {
			maxReplicas = *v.Autoscaling.MaxReplicas
		}
		if v.Resources.Limits.CPU != nil {
			t.Fatalf("%s sets a CPU limit; this test and the quota assume the app has none", file)
		}
	}
	return maxReplicas, cpu, memory, memoryLimit
}

// quantity parses the Kubernetes quantities the chart and the quota use into millicores (CPU)
// or MiB (memory).
func quantity(t *testing.T, s string) float64 {
	t.Helper()
	for suffix, factor := range map[string]float64{"m": 0.001, "Mi": 1, "Gi": 1024} {
		if n, ok := strings.CutSuffix(s, suffix); ok {
			v, err := strconv.ParseFloat(n, 64)
			if err != nil {
				t.Fatalf("quantity %q: %v", s, err)
			}
			if suffix == "m" {
				return v
			}
			return v * factor
		}
	}
	v, err := strconv.ParseFloat(s, 64)
	if err != nil {
		t.Fatalf("quantity %q: %v", s, err)
	}
	return v * 1000 // whole cores
}

// TestQuotaAdmitsTheChart: the app namespace's ResourceQuota admits the HPA's maxReplicas
// plus a rollout's 25 % surge at the chart's requests and memory limit, in each environment,
// with the figures read from the chart's values files (so raising them there without the
// quota fails here). Nothing in the namespace gets a CPU limit the chart did not ask for.
func TestQuotaAdmitsTheChart(t *testing.T) {
	for _, env := range []string{"dev", "prod"} {
		t.Run(env, func(t *testing.T) {
			maxReplicas, cpu, memory, memoryLimit := chartValues(t, env)
			pods := maxReplicas * 1.25
			m := runStack(t, env)
			quota := named(t, m, "kubernetes:core/v1:ResourceQuota", "limits-ci-agent-quota")
			if ns := named(t, m, "kubernetes:core/v1:Namespace", "gitops-app-ns"); !quota.DependsOn(ns) {
				t.Errorf("the quota does not wait for the app namespace it goes into: %v", quota.Dependencies)
			}
			hard := quota.Input("spec").(map[string]any)["hard"].(map[string]any)
			for _, c := range []struct{ key, perPod string }{
				{"requests.cpu", cpu}, {"requests.memory", memory}, {"limits.memory", memoryLimit},
			} {
				need := pods * quantity(t, c.perPod)
				if got := quantity(t, fmt.Sprint(hard[c.key])); got < need {
					t.Errorf("quota %s = %v; want at least %v (%v replicas x 1.25 x %s)", c.key, hard[c.key], need, maxReplicas, c.perPod)
				}
			}
			if got, _ := strconv.ParseFloat(fmt.Sprint(hard["pods"]), 64); got < pods {
				t.Errorf("quota pods = %v; want at least %v", hard["pods"], pods)
			}
			if v, ok := hard["limits.cpu"]; ok {
				t.Errorf("quota limits.cpu = %v; want none (it makes every pod state a CPU limit)", v)
			}
			limit := named(t, m, "kubernetes:core/v1:LimitRange", "limits-ci-agent-limits").Input("spec").(map[string]any)["limits"].([]any)[0].(map[string]any)
			if v, ok := limit["default"].(map[string]any)["cpu"]; ok {
				t.Errorf("LimitRange default CPU limit = %v; want none (the chart leaves the app without one)", v)
			}
			if limit["default"].(map[string]any)["memory"] == nil {
				t.Errorf("LimitRange has no default memory limit; the quota's limits.memory needs one on every container")
			}
		})
	}
}

// Phase 5 in prod, as docs/infra.md "CI roles" enables it: the roles, trusting the account's
// existing GitHub provider when ci-agent:githubOidcProviderArn names it.
func TestCIRolesPhase(t *testing.T) {
	cfg, err := plan.LoadStackConfig("..", "prod")
	if err != nil {
		t.Fatal(err)
	}
	cfg["ci-agent:phases"] = "[1, 2, 3, 4, 5, 6, 7, 8, 9, 10]"
	cfg["ci-agent:githubOidcProviderArn"] = "arn:aws:iam::" + plan.AccountID + ":oidc-provider/token.actions.githubusercontent.com"
	m, err := plan.Run("prod", cfg, stacks.Program)
	if err != nil {
		t.Fatal(err)
	}
	if m.Named("aws:iam/role:Role", "ci-release") == nil || m.Named("aws:iam/role:Role", "ci-prod") == nil {
		t.Error("phase 5 created no CI roles")
	}
	if m.Named("aws:iam/openIdConnectProvider:OpenIdConnectProvider", "ci-github") != nil {
		t.Error("phase 5 created a GitHub provider although githubOidcProviderArn names the account's")
	}
}

// TestNetworkPolicyRanges: the chart's NetworkPolicy defaults to prod's primary VPC, which would
// cut off a stack in another VPC (the recovery stack's 10.3.0.0/16) and prod's pods from a
// promoted replica in a DR VPC once policies are enforced. The Application passes each stack's
// own ranges.
func TestNetworkPolicyRanges(t *testing.T) {
	tests := []struct {
		stack, env      string
		cfg             func(t *testing.T) map[string]string
		ingress, egress []string
	}{
		{"prod", "prod", nil, []string{"10.0.0.0/16"}, []string{"10.0.0.0/16", "10.1.0.0/16", "10.2.0.0/16"}},
		{"dev", "dev", nil, []string{"10.0.0.0/16"}, []string{"10.0.0.0/16"}}, // no phase 9: no DR VPC
		{"prod-eu-west-1", "prod", recoveryConfig, []string{"10.3.0.0/16"}, []string{"10.3.0.0/16"}},
	}
	for _, tc := range tests {
		t.Run(tc.stack, func(t *testing.T) {
			var m *plan.Mocks
			if tc.cfg == nil {
				m = runStack(t, tc.stack)
			} else {
				var err error
				if m, err = plan.Run(tc.stack, tc.cfg(t), stacks.Program); err != nil {
					t.Fatal(err)
				}
			}
			params := helmParameters(t, m, tc.env)
			list := func(key string) []string {
				var out []string
				for i := 0; ; i++ {
					v, ok := params[fmt.Sprintf("%s[%d]", key, i)]
					if !ok {
						return out
					}
					out = append(out, fmt.Sprint(v))
				}
			}
			eq(t, "networkPolicy.ingressCidrs", list("networkPolicy.ingressCidrs"), tc.ingress)
			eq(t, "networkPolicy.egressCidrs", list("networkPolicy.egressCidrs"), tc.egress)
		})
	}
}

// manyCidrs is a JSON list of n distinct public /32s (from 35.180.1.0 on).
func manyCidrs(n int) string {
	var out []string
	for i := range n {
		out = append(out, fmt.Sprintf("%q", fmt.Sprintf("35.180.1.%d/32", i)))
	}
	return "[" + strings.Join(out, ", ") + "]"
}
