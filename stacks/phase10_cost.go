package stacks

import (
	corev1 "github.com/pulumi/pulumi-kubernetes/sdk/v4/go/kubernetes/core/v1"
	metav1 "github.com/pulumi/pulumi-kubernetes/sdk/v4/go/kubernetes/meta/v1"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/ci-agent/ci-agent/components"
)

// phase10Cost: the spot node group, per-namespace quotas and limits, budgets and anomaly alerts.
func phase10Cost(ctx *pulumi.Context, p *Platform, parent pulumi.ResourceOption) error {
	cfg := p.Config
	pc := cfg.Platform
	if _, err := components.NewNodeGroup(ctx, "eks-spot", &components.NodeGroupArgs{
		ClusterName: p.Cluster.NameOutput, NodeRoleArn: p.Cluster.NodeRoleArn, SubnetIDs: p.Cluster.PrivateSubnetIDs,
		VolumeKeyArn: p.Cluster.NodeVolumeKeyArn, InstanceTypes: pc.SpotInstanceTypes, Spot: true,
		MinSize: pc.SpotMin, MaxSize: pc.SpotMax, DesiredSize: pc.SpotDesired,
		Labels: map[string]string{"ci-agent/capacity": "spot"},
		// Only workloads that tolerate interruption (batch, previews) land here.
		Taints: []components.NodeTaint{{Key: "ci-agent/spot", Value: "true", Effect: "NO_SCHEDULE"}},
	}, parent); err != nil {
		return err
	}

	k8s := p.onCluster(parent)
	for _, ns := range pc.QuotaNamespaces {
		var opts []pulumi.ResourceOption
		if p.GitOps == nil || ns != p.GitOps.AppNamespace {
			meta := metav1.ObjectMetaArgs{Name: pulumi.String(ns)}
			if ns == components.DefaultAppNamespace && cfg.ChaosInjection() {
				meta.Annotations = components.ChaosInjectAnnotations() // as phase 4 does
			}
			created, err := corev1.NewNamespace(ctx, "ns-"+ns, &corev1.NamespaceArgs{Metadata: meta}, k8s...)
			if err != nil {
				return err
			}
			opts = append(append([]pulumi.ResourceOption(nil), k8s...), pulumi.DependsOn([]pulumi.Resource{created}))
		} else {
			opts = append(append([]pulumi.ResourceOption(nil), k8s...), pulumi.DependsOn([]pulumi.Resource{p.GitOps}))
		}
		// Room for the HPA's 10 replicas at the chart's requests, plus rollouts.
		if err := components.NewNamespaceLimits(ctx, "limits-"+ns, &components.NamespaceLimitsArgs{
			Namespace: ns,
			Quota: map[string]string{
				"requests.cpu": "8", "requests.memory": "16Gi", "limits.cpu": "16", "limits.memory": "32Gi",
				"pods": "40", "services.loadbalancers": "0", "persistentvolumeclaims": "10",
			},
			DefaultRequest: map[string]string{"cpu": "100m", "memory": "128Mi"},
			DefaultLimit:   map[string]string{"cpu": "1", "memory": "512Mi"},
		}, opts...); err != nil {
			return err
		}
	}

	s := components.SeedBudgetServices
	_, err := components.NewCostControls(ctx, "cost", &components.CostControlsArgs{
		Environment: cfg.Environment, Email: pc.BudgetEmail, AnomalyThresholdUSD: pc.AnomalyThresholdUSD,
		Budgets: []components.BudgetLine{
			{Name: "compute", LimitUSD: pc.BudgetCompute, Services: s["compute"]},
			{Name: "database", LimitUSD: pc.BudgetDatabase, Services: s["database"]},
			{Name: "storage", LimitUSD: pc.BudgetStorage, Services: s["storage"]},
			{Name: "transfer", LimitUSD: pc.BudgetTransfer, Services: s["transfer"]},
			{Name: "total", LimitUSD: pc.BudgetTotal},
		},
	}, parent)
	return err
}
