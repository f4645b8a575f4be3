package components

import (
	"fmt"

	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/ec2"
	awseks "github.com/pulumi/pulumi-aws/sdk/v6/go/aws/eks"
	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"
	"github.com/pulumi/pulumi/sdk/v3/go/common/tokens"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
)

// NodeTaint keeps workloads without the matching toleration off a node group.
type NodeTaint struct{ Key, Value, Effect string }

// NodeGroupArgs configures a managed node group.
type NodeGroupArgs struct {
	// ClusterName is the cluster's name as an output of the cluster (Cluster.NameOutput), so
	// that the group is created once the cluster (the pulumi-eks component, all of it) exists.
	// Required.
	ClusterName pulumi.StringInput
	// NodeRoleArn is the nodes' IAM role. Required.
	NodeRoleArn pulumi.StringInput
	// SubnetIDs are the private subnets the nodes live in. Required.
	SubnetIDs pulumi.StringArrayInput
	// VolumeKeyArn encrypts the nodes' root volumes. Required.
	VolumeKeyArn pulumi.StringInput
	// InstanceTypes, in order of preference. Default ["t3.medium"].
	InstanceTypes []string
	// Spot asks for spot capacity (interruptible, ~65 % cheaper). Default false (on-demand).
	Spot bool
	// MinSize, MaxSize and DesiredSize bound the group; the cluster-autoscaler moves within them.
	// MaxSize is required (at least 1: there is no default, so that a 0/0 from config is
	// refused rather than read as "unset"); MinSize may be 0; DesiredSize 0 means MinSize.
	MinSize, MaxSize, DesiredSize int
	// DiskGB is the root volume size. Default 50.
	DiskGB int
	// Labels and Taints placed on every node. Default none.
	Labels map[string]string
	Taints []NodeTaint
}

// NodeGroup is an EKS managed node group on Amazon Linux 2023 with a launch template that
// encrypts the root volume with a customer key and enforces IMDSv2.
//
// The group is a plain aws:eks/nodeGroup:NodeGroup, not pulumi-eks's ManagedNodeGroup: that is a
// remote component, and resource options given to it (IgnoreChanges among them) never reach
// the NodeGroup it creates (pulumi-eks#709). The cluster-autoscaler moves desiredSize; only
// an ignoreChanges on the NodeGroup itself keeps `pulumi up` from setting it back and
// draining the nodes the autoscaler added.
type NodeGroup struct {
	pulumi.ResourceState

	Group *awseks.NodeGroup
}

// managedNodeGroupType is the pulumi-eks component the groups used to be created under.
const managedNodeGroupType = "eks:index:ManagedNodeGroup"

// NewNodeGroup creates the launch template and the managed node group.
func NewNodeGroup(ctx *pulumi.Context, name string, args *NodeGroupArgs, opts ...pulumi.ResourceOption) (*NodeGroup, error) {
	if args == nil {
		return nil, errNilArgs
	}
	if args.ClusterName == nil || args.NodeRoleArn == nil || args.SubnetIDs == nil || args.VolumeKeyArn == nil {
		return nil, fmt.Errorf("node group %s: ClusterName, NodeRoleArn, SubnetIDs and VolumeKeyArn are required", name)
	}
	if len(args.InstanceTypes) == 0 {
		args.InstanceTypes = []string{"t3.medium"}
	}
	if args.MaxSize < 1 {
		return nil, fmt.Errorf("node group %s: MaxSize %d: want at least 1 (EKS refuses a group of at most 0 nodes; "+
			"the stack's keys are ci-agent:nodeMin/nodeMax and spotMin/spotMax)", name, args.MaxSize)
	}
	if args.DesiredSize == 0 {
		args.DesiredSize = args.MinSize
	}
	if args.DiskGB == 0 {
		args.DiskGB = 50
	}
	if args.MinSize > args.DesiredSize || args.DesiredSize > args.MaxSize || args.MaxSize < 1 {
		return nil, fmt.Errorf("node group %s: want min <= desired <= max and max >= 1, got %d/%d/%d",
			name, args.MinSize, args.DesiredSize, args.MaxSize)
	}

	c := &NodeGroup{}
	if err := ctx.RegisterComponentResource("ciagent:infra:NodeGroup", name, c, opts...); err != nil {
		return nil, err
	}
	child := pulumi.Parent(c)

	// A launch template (never a launch configuration, which AWS retired) so the root volume
	// is encrypted with our key and the instance metadata service needs session tokens; hop
	// limit 1 keeps pods from borrowing the node's role, they use IRSA instead.
	ltArgs := &ec2.LaunchTemplateArgs{
		Description: pulumi.String("nodes of " + name),
		BlockDeviceMappings: ec2.LaunchTemplateBlockDeviceMappingArray{ec2.LaunchTemplateBlockDeviceMappingArgs{
			DeviceName: pulumi.String("/dev/xvda"),
			Ebs: ec2.LaunchTemplateBlockDeviceMappingEbsArgs{
				VolumeSize: pulumi.Int(args.DiskGB), VolumeType: pulumi.String("gp3"),
				Encrypted: pulumi.String("true"), KmsKeyId: args.VolumeKeyArn,
				DeleteOnTermination: pulumi.String("true"),
			},
		}},
		MetadataOptions: ec2.LaunchTemplateMetadataOptionsArgs{
			HttpEndpoint: pulumi.String("enabled"), HttpTokens: pulumi.String("required"),
			HttpPutResponseHopLimit: pulumi.Int(1),
		},
		UpdateDefaultVersion: pulumi.Bool(true),
	}
	// EKS copies neither the node group's nor the template's own tags to the instances and
	// volumes it launches, so without tag specifications the nodes, the largest cost, carry no
	// Environment tag and the budgets and the anomaly monitor (filtered on it) never see them.
	// They get the template's tags as the phase's transformation leaves them (Project,
	// Environment, Phase, ManagedBy): a transformation sets only a resource's top-level tags,
	// so the specifications read that field once NewLaunchTemplate has applied it.
	registered := make(chan struct{})
	nodeTags := pulumi.String(name).ToStringOutput().ApplyT(func(string) pulumi.StringMapOutput {
		<-registered
		if ltArgs.Tags == nil {
			return pulumi.StringMap{}.ToStringMapOutput()
		}
		return ltArgs.Tags.ToStringMapOutput()
	}).(pulumi.StringMapOutput)
	ltArgs.TagSpecifications = ec2.LaunchTemplateTagSpecificationArray{
		ec2.LaunchTemplateTagSpecificationArgs{ResourceType: pulumi.String("instance"), Tags: nodeTags},
		ec2.LaunchTemplateTagSpecificationArgs{ResourceType: pulumi.String("volume"), Tags: nodeTags},
	}
	lt, err := ec2.NewLaunchTemplate(ctx, name+"-lt", ltArgs, child)
	close(registered) // the transformations ran inside NewLaunchTemplate; its inputs resolve later
	if err != nil {
		return nil, err
	}

	capacity := "ON_DEMAND"
	if args.Spot {
		capacity = "SPOT"
	}
	var taints awseks.NodeGroupTaintArray
	for _, t := range args.Taints {
		taints = append(taints, awseks.NodeGroupTaintArgs{
			Key: pulumi.String(t.Key), Value: pulumi.String(t.Value), Effect: pulumi.String(t.Effect),
		})
	}
	// The cluster is in API authentication mode (access entries), so EKS creates the node
	// role's EC2_LINUX access entry itself when it creates a managed node group.
	group, err := awseks.NewNodeGroup(ctx, name, &awseks.NodeGroupArgs{
		ClusterName:   args.ClusterName,
		AmiType:       pulumi.String("AL2023_x86_64_STANDARD"),
		CapacityType:  pulumi.String(capacity),
		InstanceTypes: pulumi.ToStringArray(args.InstanceTypes),
		NodeRoleArn:   args.NodeRoleArn,
		SubnetIds:     args.SubnetIDs,
		ScalingConfig: awseks.NodeGroupScalingConfigArgs{
			MinSize: pulumi.Int(args.MinSize), MaxSize: pulumi.Int(args.MaxSize), DesiredSize: pulumi.Int(args.DesiredSize),
		},
		LaunchTemplate: awseks.NodeGroupLaunchTemplateArgs{Id: lt.ID(), Version: pulumi.Sprintf("%v", lt.LatestVersion)},
		Labels:         pulumi.ToStringMap(args.Labels),
		Taints:         taints,
	}, child,
		// The cluster-autoscaler owns desiredSize between min and max.
		pulumi.IgnoreChanges([]string{"scalingConfig.desiredSize"}),
		// The same NodeGroup pulumi-eks's ManagedNodeGroup created as its child: adopt it
		// rather than replace it (a replacement would drain every node of the group).
		pulumi.Aliases([]pulumi.Alias{{URN: formerURN(c.URN(), name)}}))
	if err != nil {
		return nil, err
	}
	c.Group = group
	if err := ctx.RegisterResourceOutputs(c, pulumi.Map{"launchTemplateId": lt.ID()}); err != nil {
		return nil, err
	}
	return c, nil
}

// formerURN is the URN the group had as the child of pulumi-eks's ManagedNodeGroup of the same
// name, itself a child of the NodeGroup component whose URN is parent.
func formerURN(parent pulumi.URNOutput, name string) pulumi.URNOutput {
	return parent.ApplyT(func(p pulumi.URN) pulumi.URN {
		u := resource.URN(p)
		component := resource.NewURN(u.Stack(), u.Project(), u.QualifiedType(), managedNodeGroupType, u.Name())
		return pulumi.URN(resource.NewURN(u.Stack(), u.Project(), component.QualifiedType(),
			tokens.Type("aws:eks/nodeGroup:NodeGroup"), name))
	}).(pulumi.URNOutput)
}
