package components

import (
	"fmt"
	"sort"
	"strings"

	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/cloudwatch"
	awseks "github.com/pulumi/pulumi-aws/sdk/v6/go/aws/eks"
	"github.com/pulumi/pulumi-eks/sdk/v2/go/eks"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
)

// ControlPlaneLogTypes are all the EKS control-plane logs; audit and authenticator are the ones
// an incident review needs, the others are cheap at this size.
var ControlPlaneLogTypes = []string{"api", "audit", "authenticator", "controllerManager", "scheduler"}

// ClusterArgs configures the EKS cluster.
type ClusterArgs struct {
	// ClusterName is the EKS cluster's name; fixed (not auto-named) because the control-plane
	// log group, the autoscaler's tag condition and kubeconfigs all spell it. Required.
	ClusterName string
	// VpcID, PrivateSubnetIDs and PublicSubnetIDs place the cluster in our Network, never the
	// default VPC (pulumi-eks's default). Nodes go to the private subnets; the public ones only
	// host internet-facing load balancers. Required.
	VpcID            pulumi.StringInput
	PrivateSubnetIDs pulumi.StringArrayInput
	PublicSubnetIDs  pulumi.StringArrayInput
	// Region and AccountID of the cluster, for key policies and IAM ARNs. Required.
	Region, AccountID string
	// KubernetesVersion of the control plane. Default "1.35".
	KubernetesVersion string
	// PublicAccessCidrs opens the API endpoint to these CIDRs only; empty means a private-only
	// endpoint (reachable from the VPC, e.g. over a VPN or SSM). Default empty.
	PublicAccessCidrs []string
	// AdminPrincipalArns get cluster-admin through EKS access entries. Default none.
	AdminPrincipalArns []string
	// NodeGroup sizes the on-demand group for critical workloads. Default instance type
	// t3.medium; MaxSize is required (NodeGroupArgs).
	NodeGroup NodeGroupSize
	// LogRetentionDays keeps control-plane logs this long. Default 90.
	LogRetentionDays int
}

// NodeGroupSize is the shape of a node group.
type NodeGroupSize struct {
	InstanceTypes                 []string
	MinSize, MaxSize, DesiredSize int
	DiskGB                        int
}

// Cluster is an EKS cluster with API authentication (access entries), KMS envelope encryption
// of secrets, control-plane logs, an IRSA OIDC provider, an on-demand AL2023 managed node
// group and the cluster-autoscaler's IAM role.
type Cluster struct {
	pulumi.ResourceState

	Name                   string
	NameOutput             pulumi.StringOutput // Name, known once the cluster exists: what takes it waits for the cluster
	Region                 string
	EKS                    *eks.Cluster
	Core                   eks.CoreDataOutput
	Kubeconfig             pulumi.StringOutput
	OidcProviderArn        pulumi.StringOutput
	OidcIssuer             pulumi.StringOutput // host and path, no scheme: the IAM condition key prefix
	ClusterSecurityGroupID pulumi.StringOutput // the security group EKS puts managed nodes in
	NodeRoleArn            pulumi.StringOutput
	NodeVolumeKeyArn       pulumi.StringOutput
	SecretsKeyArn          pulumi.StringOutput
	AutoscalerRoleArn      pulumi.StringOutput
	PrivateSubnetIDs       pulumi.StringArrayInput

	ready []pulumi.Resource // the node group and the EBS CSI add-on: see WaitFor
}

// WaitFor is what a workload in the cluster depends on: the cluster, and by name its on-demand
// node group and EBS CSI add-on. A dependency on this component alone reaches only the
// children whose registration has begun by then, and the Go SDK begins it in a goroutine, so
// a StorageClass or chart registered right after NewCluster sometimes did not wait for the
// nodes (TestStacks saw it about once in eight runs).
func (c *Cluster) WaitFor() []pulumi.Resource {
	return append([]pulumi.Resource{c}, c.ready...)
}

// NewCluster creates the cluster, its keys, node role, node group and autoscaler role.
func NewCluster(ctx *pulumi.Context, name string, args *ClusterArgs, opts ...pulumi.ResourceOption) (*Cluster, error) {
	if args == nil {
		return nil, errNilArgs
	}
	if args.ClusterName == "" || args.VpcID == nil || args.PrivateSubnetIDs == nil || args.Region == "" || args.AccountID == "" {
		return nil, fmt.Errorf("cluster %s: ClusterName, VpcID, PrivateSubnetIDs, Region and AccountID are required", name)
	}
	if args.KubernetesVersion == "" {
		args.KubernetesVersion = "1.35"
	}
	if args.LogRetentionDays == 0 {
		args.LogRetentionDays = 90
	}

	c := &Cluster{Name: args.ClusterName, Region: args.Region, PrivateSubnetIDs: args.PrivateSubnetIDs}
	if err := ctx.RegisterComponentResource("ciagent:infra:Cluster", name, c, opts...); err != nil {
		return nil, err
	}
	child := pulumi.Parent(c)

	secretsKey, err := newKey(ctx, name+"-secrets-kms", "EKS secrets envelope encryption of "+args.ClusterName, nil, child)
	if err != nil {
		return nil, err
	}
	nodeKey, err := newKey(ctx, name+"-nodes-kms", "EKS node volumes of "+args.ClusterName,
		serviceKeyPolicy(args.AccountID, args.Region, false, true), child)
	if err != nil {
		return nil, err
	}
	logsKey, err := newKey(ctx, name+"-logs-kms", "EKS control-plane logs of "+args.ClusterName,
		serviceKeyPolicy(args.AccountID, args.Region, true, false), child)
	if err != nil {
		return nil, err
	}
	// EKS writes to this exact group; creating it first lets us set retention and encryption,
	// which the group EKS would create on its own has neither.
	logGroup, err := cloudwatch.NewLogGroup(ctx, name+"-control-plane-logs", &cloudwatch.LogGroupArgs{
		Name:            pulumi.String("/aws/eks/" + args.ClusterName + "/cluster"),
		RetentionInDays: pulumi.Int(args.LogRetentionDays),
		KmsKeyId:        logsKey.Arn,
	}, child)
	if err != nil {
		return nil, err
	}

	nodeRole, err := serviceRole(ctx, name+"-node-role", "ec2.amazonaws.com", []string{
		"arn:aws:iam::aws:policy/AmazonEKSWorkerNodePolicy",
		"arn:aws:iam::aws:policy/AmazonEKS_CNI_Policy",
		"arn:aws:iam::aws:policy/AmazonEC2ContainerRegistryReadOnly",
		"arn:aws:iam::aws:policy/AmazonSSMManagedInstanceCore",
	}, child)
	if err != nil {
		return nil, err
	}

	admins := map[string]eks.AccessEntryArgs{}
	sorted := append([]string(nil), args.AdminPrincipalArns...)
	sort.Strings(sorted)
	for i, arn := range sorted {
		admins[fmt.Sprintf("admin-%d", i)] = eks.AccessEntryArgs{
			PrincipalArn: pulumi.String(arn),
			AccessPolicies: map[string]eks.AccessPolicyAssociationInput{
				"cluster-admin": eks.AccessPolicyAssociationArgs{
					PolicyArn:   pulumi.String("arn:aws:eks::aws:cluster-access-policy/AmazonEKSClusterAdminPolicy"),
					AccessScope: awseks.AccessPolicyAssociationAccessScopeArgs{Type: pulumi.String("cluster")},
				},
			},
		}
	}

	mode := eks.AuthenticationModeApi
	skipDefault, noPublicIPs := true, false
	cluster, err := eks.NewCluster(ctx, name, &eks.ClusterArgs{
		Name:    pulumi.String(args.ClusterName),
		Version: pulumi.String(args.KubernetesVersion),
		// Our VPC, not pulumi-eks's default VPC.
		VpcId:                        args.VpcID,
		PrivateSubnetIds:             args.PrivateSubnetIDs,
		PublicSubnetIds:              args.PublicSubnetIDs,
		NodeAssociatePublicIpAddress: &noPublicIPs,
		// No default node group: it would be a self-managed group built on launch configurations.
		SkipDefaultNodeGroup: &skipDefault,
		// Private endpoint; public only from the configured CIDRs (pulumi-eks defaults to public).
		EndpointPrivateAccess:  pulumi.Bool(true),
		EndpointPublicAccess:   pulumi.Bool(len(args.PublicAccessCidrs) > 0),
		PublicAccessCidrs:      pulumi.ToStringArray(args.PublicAccessCidrs),
		AuthenticationMode:     &mode,
		AccessEntries:          admins,
		EncryptionConfigKeyArn: secretsKey.Arn,
		EnabledClusterLogTypes: pulumi.ToStringArray(ControlPlaneLogTypes),
		CreateOidcProvider:     pulumi.Bool(true),
	}, child, pulumi.DependsOn([]pulumi.Resource{logGroup}))
	if err != nil {
		return nil, err
	}
	c.EKS = cluster
	c.Core = cluster.Core
	c.Kubeconfig = cluster.KubeconfigJson
	c.NodeRoleArn = nodeRole.Arn
	c.NodeVolumeKeyArn = nodeKey.Arn
	c.SecretsKeyArn = secretsKey.Arn

	// The issuer and the security group EKS gives managed nodes come from a lookup that waits
	// for the cluster (its name is threaded through the kubeconfig output).
	clusterName := cluster.KubeconfigJson.ApplyT(func(string) string { return args.ClusterName }).(pulumi.StringOutput)
	c.NameOutput = clusterName
	info := awseks.LookupClusterOutput(ctx, awseks.LookupClusterOutputArgs{Name: clusterName}, child)
	c.OidcIssuer = info.Identities().Index(pulumi.Int(0)).Oidcs().Index(pulumi.Int(0)).Issuer().
		ApplyT(func(issuer string) string { return strings.TrimPrefix(issuer, "https://") }).(pulumi.StringOutput)
	c.OidcProviderArn = pulumi.Sprintf("arn:aws:iam::%s:oidc-provider/%s", args.AccountID, c.OidcIssuer)
	c.ClusterSecurityGroupID = info.VpcConfig().ClusterSecurityGroupId()

	onDemand, err := NewNodeGroup(ctx, name+"-ondemand", &NodeGroupArgs{
		ClusterName: clusterName, NodeRoleArn: nodeRole.Arn, SubnetIDs: args.PrivateSubnetIDs,
		VolumeKeyArn:  nodeKey.Arn,
		InstanceTypes: args.NodeGroup.InstanceTypes,
		MinSize:       args.NodeGroup.MinSize, MaxSize: args.NodeGroup.MaxSize, DesiredSize: args.NodeGroup.DesiredSize,
		DiskGB: args.NodeGroup.DiskGB,
		Labels: map[string]string{"ci-agent/capacity": "on-demand"},
	}, child)
	if err != nil {
		return nil, err
	}

	// Persistent volumes (Prometheus, Loki, Alertmanager): since Kubernetes 1.23 every EBS
	// volume, the gp2 StorageClass's included, is provisioned by the EBS CSI driver, which EKS
	// does not install on its own.
	ebsRole, err := NewIrsaRole(ctx, name+"-ebs-csi", &IrsaRoleArgs{
		OidcProviderArn: c.OidcProviderArn, OidcIssuer: c.OidcIssuer,
		Namespace: "kube-system", ServiceAccount: "ebs-csi-controller-sa",
		ManagedPolicyArns: []string{"arn:aws:iam::aws:policy/service-role/AmazonEBSCSIDriverPolicy"},
	}, child)
	if err != nil {
		return nil, err
	}
	// It depends on the NodeGroup itself, not on its component: the component's children may
	// still be registering when this resource is, and then the dependency would be missing.
	ebsCsi, err := awseks.NewAddon(ctx, name+"-ebs-csi", &awseks.AddonArgs{
		ClusterName: clusterName, AddonName: pulumi.String("aws-ebs-csi-driver"),
		ServiceAccountRoleArn: ebsRole.Arn, ResolveConflictsOnCreate: pulumi.String("OVERWRITE"),
	}, child, pulumi.DependsOn([]pulumi.Resource{onDemand.Group}))
	if err != nil {
		return nil, err
	}
	c.ready = []pulumi.Resource{onDemand.Group, ebsCsi}

	autoscaler, err := NewIrsaRole(ctx, name+"-cluster-autoscaler", &IrsaRoleArgs{
		OidcProviderArn: c.OidcProviderArn, OidcIssuer: c.OidcIssuer,
		Namespace: "kube-system", ServiceAccount: "cluster-autoscaler",
		Policy: autoscalerPolicy(args.ClusterName),
	}, child)
	if err != nil {
		return nil, err
	}
	c.AutoscalerRoleArn = autoscaler.Arn

	if err := ctx.RegisterResourceOutputs(c, pulumi.Map{
		"kubeconfig": pulumi.ToSecret(c.Kubeconfig), "oidcProviderArn": c.OidcProviderArn,
		"clusterSecurityGroupId": c.ClusterSecurityGroupID, "autoscalerRoleArn": c.AutoscalerRoleArn,
	}); err != nil {
		return nil, err
	}
	return c, nil
}

// autoscalerPolicy is the cluster-autoscaler's documented least-privilege policy: describe
// anything, but resize or terminate only the groups EKS tagged as owned by this cluster.
func autoscalerPolicy(clusterName string) pulumi.StringOutput {
	return pulumi.JSONMarshal(pulumi.Map{
		"Version": pulumi.String("2012-10-17"),
		"Statement": pulumi.Array{
			pulumi.Map{
				"Effect": pulumi.String("Allow"),
				"Action": pulumi.ToStringArray([]string{
					"autoscaling:DescribeAutoScalingGroups", "autoscaling:DescribeAutoScalingInstances",
					"autoscaling:DescribeLaunchConfigurations", "autoscaling:DescribeScalingActivities",
					"autoscaling:DescribeTags", "ec2:DescribeImages", "ec2:DescribeInstanceTypes",
					"ec2:DescribeLaunchTemplateVersions", "ec2:GetInstanceTypesFromInstanceRequirements",
					"eks:DescribeNodegroup",
				}),
				"Resource": pulumi.String("*"),
			},
			pulumi.Map{
				"Effect":   pulumi.String("Allow"),
				"Action":   pulumi.ToStringArray([]string{"autoscaling:SetDesiredCapacity", "autoscaling:TerminateInstanceInAutoScalingGroup"}),
				"Resource": pulumi.String("*"),
				"Condition": pulumi.Map{"StringEquals": pulumi.Map{
					"aws:ResourceTag/k8s.io/cluster-autoscaler/" + clusterName: pulumi.String("owned"),
				}},
			},
		},
	})
}
