package components_test

import (
	"strings"
	"testing"

	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/ec2"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/ci-agent/ci-agent/components"
	"github.com/ci-agent/ci-agent/internal/plan"
)

func newTestCluster(ctx *pulumi.Context, publicCidrs []string) (*components.Cluster, error) {
	return components.NewCluster(ctx, "eks", &components.ClusterArgs{
		ClusterName:      "ci-agent-test",
		VpcID:            pulumi.String("vpc-1"),
		PrivateSubnetIDs: pulumi.ToStringArray([]string{"subnet-p1", "subnet-p2", "subnet-p3"}),
		PublicSubnetIDs:  pulumi.ToStringArray([]string{"subnet-u1", "subnet-u2", "subnet-u3"}),
		Region:           "us-east-1", AccountID: account,
		PublicAccessCidrs:  publicCidrs,
		AdminPrincipalArns: []string{"arn:aws:iam::" + account + ":role/admin"},
		NodeGroup:          components.NodeGroupSize{MinSize: 3, MaxSize: 10},
	})
}

func TestCluster(t *testing.T) {
	m := run(t, func(ctx *pulumi.Context) error {
		_, err := newTestCluster(ctx, nil)
		return err
	})

	cluster := one(t, m, "eks:index:Cluster", "eks")
	if !cluster.Remote {
		t.Errorf("eks:index:Cluster registered as a local component; want the remote (multi-language) component")
	}
	for key, want := range map[string]any{
		"name":                         "ci-agent-test",
		"vpcId":                        "vpc-1",
		"privateSubnetIds":             []any{"subnet-p1", "subnet-p2", "subnet-p3"},
		"skipDefaultNodeGroup":         true,
		"nodeAssociatePublicIpAddress": false,
		"endpointPrivateAccess":        true,
		"endpointPublicAccess":         false,
		"authenticationMode":           "API",
		"createOidcProvider":           true,
		"enabledClusterLogTypes":       []any{"api", "audit", "authenticator", "controllerManager", "scheduler"},
		"encryptionConfigKeyArn":       one(t, m, "aws:kms/key:Key", "eks-secrets-kms").Output("arn"),
	} {
		eq(t, "eks:index:Cluster "+key, cluster.Input(key), want)
	}
	eq(t, "access entry principal", get(cluster.Input("accessEntries"), "admin-0", "principalArn"), "arn:aws:iam::"+account+":role/admin")
	eq(t, "access entry policy", get(cluster.Input("accessEntries"), "admin-0", "accessPolicies", "cluster-admin", "policyArn"),
		"arn:aws:eks::aws:cluster-access-policy/AmazonEKSClusterAdminPolicy")

	// The node group is a plain aws NodeGroup, so its ignoreChanges reaches the resource the
	// cluster-autoscaler resizes (on pulumi-eks's remote ManagedNodeGroup it never did).
	if n := count(m, "eks:index:ManagedNodeGroup"); n != 0 {
		t.Errorf("%d pulumi-eks ManagedNodeGroups; want none (their options do not reach the NodeGroup)", n)
	}
	group := one(t, m, plan.NodeGroupType, "eks-ondemand")
	if !group.Custom || group.Remote {
		t.Errorf("node group Custom=%v Remote=%v; want a custom resource, not a remote component", group.Custom, group.Remote)
	}
	for key, want := range map[string]any{
		"clusterName":   "ci-agent-test",
		"nodeRoleArn":   one(t, m, "aws:iam/role:Role", "eks-node-role").Output("arn"),
		"amiType":       "AL2023_x86_64_STANDARD",
		"capacityType":  "ON_DEMAND",
		"instanceTypes": []any{"t3.medium"},
		"scalingConfig": map[string]any{"minSize": 3.0, "maxSize": 10.0, "desiredSize": 3.0},
		"subnetIds":     []any{"subnet-p1", "subnet-p2", "subnet-p3"},
		"labels":        map[string]any{"ci-agent/capacity": "on-demand"},
	} {
		eq(t, "NodeGroup "+key, group.Input(key), want)
	}
	eq(t, "node group ignoreChanges", group.IgnoreChanges, []string{"scalingConfig.desiredSize"})
	// Created once the whole pulumi-eks cluster exists (its name comes from the cluster's
	// outputs), as the ManagedNodeGroup given the cluster's core data was.
	if !group.DependsOn(cluster) {
		t.Errorf("node group dependencies = %v; want the eks:index:Cluster %s", group.Dependencies, cluster.URN)
	}
	// The EBS CSI add-on waits for nodes to run its controller on.
	if addon := one(t, m, "aws:eks/addon:Addon", "eks-ebs-csi"); !addon.DependsOn(group) {
		t.Errorf("EBS CSI add-on dependencies = %v; want the on-demand node group %s", addon.Dependencies, group.URN)
	}
	// Adopts the NodeGroup pulumi-eks's ManagedNodeGroup "eks-ondemand" created, instead of
	// replacing it.
	eq(t, "node group aliases", group.Aliases, []string{
		"urn:pulumi:test::ci-agent::ciagent:infra:Cluster$ciagent:infra:NodeGroup$eks:index:ManagedNodeGroup$aws:eks/nodeGroup:NodeGroup::eks-ondemand",
	})
	lt := one(t, m, "aws:ec2/launchTemplate:LaunchTemplate", "eks-ondemand-lt")
	eq(t, "node group launchTemplate.id", get(group.Input("launchTemplate"), "id"), lt.ID)
	eq(t, "node group launchTemplate.version", get(group.Input("launchTemplate"), "version"), "1")
	eq(t, "root volume encrypted", get(lt.Input("blockDeviceMappings"), 0, "ebs", "encrypted"), "true")
	eq(t, "root volume key", get(lt.Input("blockDeviceMappings"), 0, "ebs", "kmsKeyId"), one(t, m, "aws:kms/key:Key", "eks-nodes-kms").Output("arn"))
	eq(t, "IMDSv2 required", get(lt.Input("metadataOptions"), "httpTokens"), "required")

	// The node-volume key lets the Auto Scaling service-linked role in without naming it as a
	// principal: in a fresh account the role does not exist yet and KMS would refuse the policy.
	keyPolicy := policyDoc(t, one(t, m, "aws:kms/key:Key", "eks-nodes-kms"), "policy")
	slr := "arn:aws:iam::" + account + ":role/aws-service-role/autoscaling.amazonaws.com/AWSServiceRoleForAutoScaling"
	for i, sid := range []string{"AutoScalingUsesKey", "AutoScalingGrants"} {
		stmt := get(keyPolicy, "Statement", i+1)
		eq(t, sid+" Sid", get(stmt, "Sid"), sid)
		eq(t, sid+" principal", get(stmt, "Principal", "AWS"), "*")
		eq(t, sid+" aws:PrincipalArn", get(stmt, "Condition", "StringEquals", "aws:PrincipalArn"), slr)
		eq(t, sid+" kms:CallerAccount", get(stmt, "Condition", "StringEquals", "kms:CallerAccount"), account)
	}
	eq(t, "AutoScalingGrants for AWS resources only", get(keyPolicy, "Statement", 2, "Condition", "Bool", "kms:GrantIsForAWSResource"), true)

	logs := one(t, m, "aws:cloudwatch/logGroup:LogGroup", "eks-control-plane-logs")
	eq(t, "control-plane log group name", logs.Input("name"), "/aws/eks/ci-agent-test/cluster")
	if logs.Input("kmsKeyId") == nil {
		t.Errorf("control-plane log group has no kmsKeyId")
	}

	role := one(t, m, "aws:iam/role:Role", "eks-cluster-autoscaler")
	trust := policyDoc(t, role, "assumeRolePolicy")
	issuer := "oidc.eks.us-east-1.amazonaws.com/id/PLANCI-AGENT-TEST"
	eq(t, "autoscaler trust principal", get(trust, "Statement", 0, "Principal", "Federated"),
		"arn:aws:iam::"+account+":oidc-provider/"+issuer)
	eq(t, "autoscaler trust subject", get(trust, "Statement", 0, "Condition", "StringEquals", issuer+":sub"),
		"system:serviceaccount:kube-system:cluster-autoscaler")
	policy := policyDoc(t, one(t, m, "aws:iam/rolePolicy:RolePolicy", "eks-cluster-autoscaler-policy"), "policy")
	eq(t, "autoscaler write actions scoped to the cluster's groups",
		get(policy, "Statement", 1, "Condition", "StringEquals", "aws:ResourceTag/k8s.io/cluster-autoscaler/ci-agent-test"), "owned")
}

func TestClusterPublicEndpointOnlyFromConfiguredCidrs(t *testing.T) {
	m := run(t, func(ctx *pulumi.Context) error {
		_, err := newTestCluster(ctx, []string{"35.180.1.0/24"})
		return err
	})
	cluster := one(t, m, "eks:index:Cluster", "eks")
	eq(t, "endpointPublicAccess", cluster.Input("endpointPublicAccess"), true)
	eq(t, "publicAccessCidrs", cluster.Input("publicAccessCidrs"), []any{"35.180.1.0/24"})
	if f := plan.Check(m.Resources()); len(f) != 0 {
		// Tags come from the stack's transformation, so only the non-tag rules apply here.
		for _, x := range f {
			if x.Rule != "tags" {
				t.Errorf("policy finding on a restricted public endpoint: %v", x)
			}
		}
	}
}

func TestSpotNodeGroup(t *testing.T) {
	m := run(t, func(ctx *pulumi.Context) error {
		_, err := components.NewNodeGroup(ctx, "spot", &components.NodeGroupArgs{
			ClusterName: pulumi.String("ci-agent-test"),
			NodeRoleArn: pulumi.String("arn:role"), SubnetIDs: pulumi.ToStringArray([]string{"s1"}),
			VolumeKeyArn: pulumi.String("arn:key"), InstanceTypes: []string{"t3.medium", "t3a.medium"},
			Spot: true, MinSize: 0, MaxSize: 5, DesiredSize: 1,
			Taints: []components.NodeTaint{{Key: "ci-agent/spot", Value: "true", Effect: "NO_SCHEDULE"}},
		})
		return err
	})
	group := one(t, m, plan.NodeGroupType, "spot")
	eq(t, "clusterName", group.Input("clusterName"), "ci-agent-test")
	eq(t, "amiType", group.Input("amiType"), "AL2023_x86_64_STANDARD")
	eq(t, "capacityType", group.Input("capacityType"), "SPOT")
	eq(t, "instanceTypes", group.Input("instanceTypes"), []any{"t3.medium", "t3a.medium"})
	eq(t, "taint effect", get(group.Input("taints"), 0, "effect"), "NO_SCHEDULE")
	eq(t, "scalingConfig", group.Input("scalingConfig"), map[string]any{"minSize": 0.0, "maxSize": 5.0, "desiredSize": 1.0})
	eq(t, "ignoreChanges", group.IgnoreChanges, []string{"scalingConfig.desiredSize"})
	lt := one(t, m, "aws:ec2/launchTemplate:LaunchTemplate", "spot-lt")
	eq(t, "launchTemplate", group.Input("launchTemplate"), map[string]any{"id": lt.ID, "version": "1"})
	eq(t, "IMDSv2 required", get(lt.Input("metadataOptions"), "httpTokens"), "required")
	eq(t, "aliases", group.Aliases, []string{
		"urn:pulumi:test::ci-agent::ciagent:infra:NodeGroup$eks:index:ManagedNodeGroup$aws:eks/nodeGroup:NodeGroup::spot",
	})
}

func TestNodeGroupRequiresClusterName(t *testing.T) {
	err := runErr(func(ctx *pulumi.Context) error {
		_, err := components.NewNodeGroup(ctx, "ng", &components.NodeGroupArgs{
			NodeRoleArn: pulumi.String("arn:role"), SubnetIDs: pulumi.ToStringArray([]string{"s1"}),
			VolumeKeyArn: pulumi.String("arn:key"),
		})
		return err
	})
	if err == nil || !strings.Contains(err.Error(), "ClusterName") {
		t.Errorf("NewNodeGroup without ClusterName: err = %v; want one naming ClusterName", err)
	}
}

// TestNodeGroupSizes: a group's bounds are what it is given; a maximum of 0 (a 0/0 from config,
// which once became 3..10 as if unset) is refused, as are bounds out of order.
func TestNodeGroupSizes(t *testing.T) {
	scaling := func(min, max, desired float64) map[string]any {
		return map[string]any{"minSize": min, "maxSize": max, "desiredSize": desired}
	}
	tests := []struct {
		name              string
		min, max, desired int
		wantScaling       map[string]any
		wantErr           string
	}{
		{"given bounds, desired defaults to min", 2, 4, 0, scaling(2, 4, 2), ""},
		{"scale to zero", 0, 5, 1, scaling(0, 5, 1), ""},
		{"0/0, once read as unset and built as 3..10", 0, 0, 0, nil, "node group ng: MaxSize 0: want at least 1"},
		{"negative max", 0, -1, 0, nil, "MaxSize -1: want at least 1 (EKS refuses a group of at most 0 nodes; the stack's keys are ci-agent:nodeMin/nodeMax"},
		{"min above max", 4, 2, 0, nil, "want min <= desired <= max"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			fn := func(ctx *pulumi.Context) error {
				_, err := components.NewNodeGroup(ctx, "ng", &components.NodeGroupArgs{
					ClusterName: pulumi.String("ci-agent-test"), NodeRoleArn: pulumi.String("arn:role"),
					SubnetIDs: pulumi.ToStringArray([]string{"s1"}), VolumeKeyArn: pulumi.String("arn:key"),
					MinSize: tc.min, MaxSize: tc.max, DesiredSize: tc.desired,
				})
				return err
			}
			if tc.wantErr != "" {
				if err := runErr(fn); err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Errorf("NewNodeGroup(%d/%d/%d): err = %v; want one containing %q", tc.min, tc.desired, tc.max, err, tc.wantErr)
				}
				return
			}
			m := run(t, fn)
			eq(t, "scalingConfig", one(t, m, plan.NodeGroupType, "ng").Input("scalingConfig"), tc.wantScaling)
		})
	}
}

// TestNodeGroupTagsInstancesAndVolumes: EKS copies no tags to the instances and volumes of a
// managed node group, so the launch template's tag specifications must carry the tags the
// stack's transformation puts on the template (its top-level tags, all it can reach), or the
// cost filters on Environment miss the nodes. Cases: tags from a transformation (as a phase
// stamps them), and no tags at all (the specifications exist but are empty, which the policy
// then reports).
func TestNodeGroupTagsInstancesAndVolumes(t *testing.T) {
	stamped := map[string]string{"Project": "ci-agent", "Environment": "test", "Phase": "10", "ManagedBy": "pulumi"}
	// stamp merges the tags into a launch template's top-level tags, as stacks.Tagger does.
	stamp := func(args *pulumi.ResourceTransformationArgs) *pulumi.ResourceTransformationResult {
		lt, ok := args.Props.(*ec2.LaunchTemplateArgs)
		if !ok {
			return nil
		}
		lt.Tags = pulumi.ToStringMap(stamped)
		return &pulumi.ResourceTransformationResult{Props: args.Props, Opts: args.Opts}
	}
	want := map[string]any{}
	for k, v := range stamped {
		want[k] = v
	}
	tests := []struct {
		name        string
		transform   bool
		wantTags    map[string]any
		wantFinding bool
	}{
		{"tags stamped by the phase", true, want, false},
		{"no tags", false, map[string]any{}, true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			m := run(t, func(ctx *pulumi.Context) error {
				var opts []pulumi.ResourceOption
				if tc.transform {
					opts = append(opts, pulumi.Transformations([]pulumi.ResourceTransformation{stamp}))
				}
				_, err := components.NewNodeGroup(ctx, "ng", &components.NodeGroupArgs{
					ClusterName: pulumi.String("ci-agent-test"), NodeRoleArn: pulumi.String("arn:role"),
					SubnetIDs: pulumi.ToStringArray([]string{"s1"}), VolumeKeyArn: pulumi.String("arn:key"),
					MinSize: 1, MaxSize: 3,
				}, opts...)
				return err
			})
			lt := one(t, m, "aws:ec2/launchTemplate:LaunchTemplate", "ng-lt")
			specs := lt.Input("tagSpecifications")
			eq(t, "tag specifications", len(specs.([]any)), 2)
			for i, kind := range []string{"instance", "volume"} {
				eq(t, kind+" resourceType", get(specs, i, "resourceType"), kind)
				eq(t, kind+" tags", get(specs, i, "tags"), tc.wantTags)
			}
			var finding bool
			for _, f := range plan.Check([]*plan.Resource{lt}) {
				finding = finding || (f.Rule == "tags" && strings.Contains(f.Message, "tagSpecifications"))
			}
			if finding != tc.wantFinding {
				t.Errorf("policy reports the launch template's tag specifications: %v; want %v", finding, tc.wantFinding)
			}
		})
	}
}
