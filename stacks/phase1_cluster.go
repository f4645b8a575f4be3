package stacks

import (
	"slices"

	"github.com/pulumi/pulumi-kubernetes/sdk/v4/go/kubernetes"
	metav1 "github.com/pulumi/pulumi-kubernetes/sdk/v4/go/kubernetes/meta/v1"
	storagev1 "github.com/pulumi/pulumi-kubernetes/sdk/v4/go/kubernetes/storage/v1"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/ci-agent/ci-agent/components"
)

// phase1Cluster: the network, the EKS cluster with its on-demand node group, and the registry.
func phase1Cluster(ctx *pulumi.Context, p *Platform, parent pulumi.ResourceOption) error {
	cfg := p.Config
	network, err := components.NewNetwork(ctx, "net", &components.NetworkArgs{
		CidrBlock: cfg.VpcCidr, AzCount: cfg.AzCount, NatGateways: cfg.NatGateways,
		Region: cfg.Region, AccountID: p.AccountID, Endpoints: true,
	}, parent)
	if err != nil {
		return err
	}
	p.Network = network

	cluster, err := components.NewCluster(ctx, "eks", &components.ClusterArgs{
		ClusterName: cfg.Project + "-" + cfg.Environment,
		VpcID:       network.VpcID, PrivateSubnetIDs: network.PrivateSubnetIDs, PublicSubnetIDs: network.PublicSubnetIDs,
		Region: cfg.Region, AccountID: p.AccountID,
		KubernetesVersion:  cfg.KubernetesVersion,
		PublicAccessCidrs:  cfg.PublicAccessCidrs,
		AdminPrincipalArns: cfg.AdminPrincipalArns,
		NodeGroup: components.NodeGroupSize{
			InstanceTypes: cfg.NodeInstanceTypes, MinSize: cfg.NodeMin, MaxSize: cfg.NodeMax, DesiredSize: cfg.NodeDesired,
		},
	}, parent)
	if err != nil {
		return err
	}
	p.Cluster = cluster

	// The repositories and the registry-wide replication belong to one stack per account and
	// region (registryOwner); the others point the app at them by ECR's URL convention.
	var replicaRegions []string
	if cfg.Enabled(9) && cfg.RegistryOwner {
		replicaRegions = cfg.SecondaryRegions
	}
	registry, err := components.NewRegistry(ctx, "ecr", &components.RegistryArgs{
		Repositories: cfg.Repositories, AccountID: p.AccountID, ReplicaRegions: replicaRegions,
		KeepTagged: cfg.EcrKeepTagged, UseExisting: !cfg.RegistryOwner, Region: cfg.Region,
	}, parent)
	if err != nil {
		return err
	}
	p.Registry = registry

	if slices.ContainsFunc(inClusterPhases, cfg.Enabled) {
		k8s, err := kubernetes.NewProvider(ctx, "k8s", &kubernetes.ProviderArgs{
			Kubeconfig: cluster.Kubeconfig, EnableServerSideApply: pulumi.Bool(true),
		}, parent)
		if err != nil {
			return err
		}
		p.K8s = k8s
		// The default StorageClass every chart's PVC uses (EKS marks none as default since
		// 1.30): gp3, encrypted, provisioned by the EBS CSI add-on the Cluster installs.
		if _, err := storagev1.NewStorageClass(ctx, "gp3", &storagev1.StorageClassArgs{
			Metadata: metav1.ObjectMetaArgs{Name: pulumi.String("gp3"), Annotations: pulumi.StringMap{
				"storageclass.kubernetes.io/is-default-class": pulumi.String("true")}},
			Provisioner:          pulumi.String("ebs.csi.aws.com"),
			Parameters:           pulumi.StringMap{"type": pulumi.String("gp3"), "encrypted": pulumi.String("true")},
			VolumeBindingMode:    pulumi.String("WaitForFirstConsumer"),
			AllowVolumeExpansion: pulumi.Bool(true),
			ReclaimPolicy:        pulumi.String("Delete"),
		}, parent, pulumi.Provider(k8s), pulumi.DependsOn(cluster.WaitFor())); err != nil {
			return err
		}
	}

	ctx.Export("clusterName", pulumi.String(cluster.Name))
	ctx.Export("kubeconfig", pulumi.ToSecret(cluster.Kubeconfig))
	ctx.Export("vpcId", network.VpcID)
	return nil
}
