package components

import (
	helmv3 "github.com/pulumi/pulumi-kubernetes/sdk/v4/go/kubernetes/helm/v3"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
)

// Chart is a Helm chart pinned to one version. Bump versions here, in one place, after reading
// the chart's changelog; `helm search repo <repo>/<chart> --versions` lists them.
type Chart struct{ Repo, Name, Version string }

// The charts this platform installs, pinned.
var (
	ChartLoadBalancerController = Chart{"https://aws.github.io/eks-charts", "aws-load-balancer-controller", "1.13.3"}
	ChartExternalDNS            = Chart{"https://kubernetes-sigs.github.io/external-dns/", "external-dns", "1.16.1"}
	ChartCertManager            = Chart{"https://charts.jetstack.io", "cert-manager", "v1.17.2"}
	ChartKubePrometheusStack    = Chart{"https://prometheus-community.github.io/helm-charts", "kube-prometheus-stack", "72.6.2"}
	ChartBlackboxExporter       = Chart{"https://prometheus-community.github.io/helm-charts", "prometheus-blackbox-exporter", "9.6.0"}
	ChartLoki                   = Chart{"https://grafana.github.io/helm-charts", "loki", "6.30.1"}
	ChartAlloy                  = Chart{"https://grafana.github.io/helm-charts", "alloy", "1.1.1"}
	ChartArgoCD                 = Chart{"https://argoproj.github.io/argo-helm", "argo-cd", "8.0.17"}
	ChartArgoCDApps             = Chart{"https://argoproj.github.io/argo-helm", "argocd-apps", "2.0.2"}
	ChartClusterAutoscaler      = Chart{"https://kubernetes.github.io/autoscaler", "cluster-autoscaler", "9.46.6"}
	// The controllers the app's chart needs: External Secrets (SecretStore, ExternalSecret),
	// Argo Rollouts (Rollout, AnalysisTemplate), and the metrics APIs its HPA reads
	// (metrics.k8s.io from metrics-server, custom.metrics.k8s.io from prometheus-adapter).
	ChartExternalSecrets   = Chart{"https://charts.external-secrets.io", "external-secrets", "2.9.0"}
	ChartArgoRollouts      = Chart{"https://argoproj.github.io/argo-helm", "argo-rollouts", "2.41.0"}
	ChartMetricsServer     = Chart{"https://kubernetes-sigs.github.io/metrics-server/", "metrics-server", "3.13.1"}
	ChartPrometheusAdapter = Chart{"https://prometheus-community.github.io/helm-charts", "prometheus-adapter", "5.3.0"}
	// Chaos Mesh for the game days (phase 7, behind ci-agent:chaosMesh). Its CRDs are in the
	// chart's crds/ directory, which Helm installs but never upgrades: a bump applies them first
	// (docs/runbooks/chaos-game-day.md).
	ChartChaosMesh = Chart{"https://charts.chaos-mesh.org", "chaos-mesh", "2.8.3"}
	// Plain manifests as a release of their own, for objects whose CRDs another release
	// installs as templates (docs/decisions/infra-0006-cluster-issuers-in-their-own-release.md).
	ChartRaw = Chart{"https://bedag.github.io/helm-charts/", "raw", "2.0.2"}
)

// PinnedCharts lists every chart above, for the tests and the policy.
var PinnedCharts = []Chart{
	ChartLoadBalancerController, ChartExternalDNS, ChartCertManager, ChartKubePrometheusStack,
	ChartBlackboxExporter, ChartLoki, ChartAlloy, ChartArgoCD, ChartArgoCDApps, ChartClusterAutoscaler,
	ChartExternalSecrets, ChartArgoRollouts, ChartMetricsServer, ChartPrometheusAdapter, ChartRaw,
	ChartChaosMesh,
}

// release installs a pinned chart as a helm/v3.Release (Helm runs inside the provider, so the
// release is one resource with a real diff and rollback), atomic so a failed upgrade rolls back.
func release(ctx *pulumi.Context, name string, chart Chart, namespace string, values pulumi.Map, opts ...pulumi.ResourceOption) (*helmv3.Release, error) {
	return releaseNamed(ctx, name, chart.Name, chart, namespace, values, opts...)
}

// releaseNamed is release with a Helm release name other than the chart's (for a generic chart
// such as raw, whose name says nothing about what it holds).
func releaseNamed(ctx *pulumi.Context, name, releaseName string, chart Chart, namespace string, values pulumi.Map, opts ...pulumi.ResourceOption) (*helmv3.Release, error) {
	return helmv3.NewRelease(ctx, name, &helmv3.ReleaseArgs{
		Name:            pulumi.String(releaseName),
		Chart:           pulumi.String(chart.Name),
		Version:         pulumi.String(chart.Version),
		RepositoryOpts:  helmv3.RepositoryOptsArgs{Repo: pulumi.String(chart.Repo)},
		Namespace:       pulumi.String(namespace),
		CreateNamespace: pulumi.Bool(true),
		Atomic:          pulumi.Bool(true),
		CleanupOnFail:   pulumi.Bool(true),
		Timeout:         pulumi.Int(900),
		MaxHistory:      pulumi.Int(10),
		Values:          values,
	}, opts...)
}

// irsaAnnotation is how a chart's service account is bound to an IAM role.
func irsaAnnotation(roleArn pulumi.StringInput) pulumi.Map {
	return pulumi.Map{"eks.amazonaws.com/role-arn": roleArn}
}

// policy builds an IAM policy document from statements.
func policy(statements ...pulumi.Map) pulumi.StringOutput {
	arr := pulumi.Array{}
	for _, s := range statements {
		if _, ok := s["Effect"]; !ok {
			s["Effect"] = pulumi.String("Allow")
		}
		arr = append(arr, s)
	}
	return pulumi.JSONMarshal(pulumi.Map{"Version": pulumi.String("2012-10-17"), "Statement": arr})
}

func strs(v ...string) pulumi.StringArray { return pulumi.ToStringArray(v) }
