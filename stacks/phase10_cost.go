package stacks

import (
	"fmt"
	"strconv"

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
			opts = append(append([]pulumi.ResourceOption(nil), k8s...), pulumi.DependsOn([]pulumi.Resource{p.GitOps.Namespace}))
		}
		// No CPU limit anywhere: the chart leaves the app without one on purpose (throttling a
		// latency-bound service hurts p99), and a default CPU limit in the LimitRange, or
		// limits.cpu in the quota (which makes every pod state one), would impose it anyway.
		if err := components.NewNamespaceLimits(ctx, "limits-"+ns, &components.NamespaceLimitsArgs{
			Namespace:      ns,
			Quota:          appQuota(pc),
			DefaultRequest: map[string]string{"cpu": fmt.Sprintf("%dm", otherPodCPUm), "memory": fmt.Sprintf("%dMi", otherPodMemoryMi)},
			DefaultLimit:   map[string]string{"memory": fmt.Sprintf("%dMi", otherPodMemLimitMi)},
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

const (
	// appSurgePercent is the chart's maxSurge (its Deployment's and its Rollout's canary): a
	// rollout at maxReplicas runs that many more app pods, rounded up, until it completes.
	appSurgePercent = 25
	// otherPods is room for pods besides the app's (a kubectl debug pod, a one-off job), each
	// at the LimitRange's defaults below, which it gets when it states nothing.
	otherPods                                          = 4
	otherPodCPUm, otherPodMemoryMi, otherPodMemLimitMi = 100, 128, 512
)

// appQuota sizes the namespace's ResourceQuota from what the environment really runs: the HPA's
// maxReplicas of the chart's pods plus a rollout's surge, and the other pods. Sized from a
// guess instead, the quota refused the replicas the HPA asked for at peak load (prod's 1-CPU
// pods stopped at 8), and with them any rollout.
func appQuota(pc PlatformConfig) map[string]string {
	// validateApp has parsed these already.
	cpu, _ := milliCPU(pc.AppCPURequest)
	memory, _ := mebibytes(pc.AppMemoryRequest)
	memoryLimit, _ := mebibytes(pc.AppMemoryLimit)
	pods := int64(pc.AppMaxReplicas + (pc.AppMaxReplicas*appSurgePercent+99)/100)
	return map[string]string{
		"requests.cpu":    fmt.Sprintf("%dm", pods*cpu+otherPods*otherPodCPUm),
		"requests.memory": fmt.Sprintf("%dMi", pods*memory+otherPods*otherPodMemoryMi),
		"limits.memory":   fmt.Sprintf("%dMi", pods*memoryLimit+otherPods*otherPodMemLimitMi),
		"pods":            strconv.FormatInt(pods+otherPods, 10),
		// The app is reached through the ALB (an Ingress); a Service of type LoadBalancer
		// would be a second, unmanaged one.
		"services.loadbalancers": "0", "persistentvolumeclaims": "10",
	}
}
