package golive

import (
	"fmt"
	"time"
)

// Target is what one environment is checked against. The defaults follow the stacks
// (Pulumi.<stack>.yaml, stacks/) and the chart's values-<stack>.yaml.
type Target struct {
	Stack      string
	Region     string
	Cluster    string // EKS cluster name, for the kubeconfig hint
	Namespace  string // the app's namespace
	Release    string // the chart's release name = workload, HPA and Service name (the Argo CD Application's, ci-agent-<stack>)
	Rollout    bool   // the workload is an Argo Rollout (prod) rather than a Deployment
	Host       string // public hostname: CloudFront's api.<domain>, which adds all five security headers
	DBInstance string // RDS instance identifier

	// SystemNamespaces whose pods must all be running; a namespace with no pods is reported.
	SystemNamespaces []string
	// Prometheus as reached through the API server's service proxy.
	PrometheusNamespace, PrometheusService string

	MinReplicas, MaxReplicas int
	CertMinValidity          time.Duration // TLS certificate must stay valid at least this long
	MaxSnapshotAge           time.Duration // newest automated snapshot
	MaxRestoreLag            time.Duration // point-in-time restore must reach this close to now
	MaxP99                   time.Duration // the seed's latency SLO
	MaxErrorRate             float64       // the seed's error-rate SLO
}

// DefaultTarget is the checklist's target for a stack.
func DefaultTarget(stack string) (Target, error) {
	t := Target{
		Stack: stack, Region: "us-east-1", Cluster: "ci-agent-" + stack,
		Namespace: "ci-agent", DBInstance: "ci-agent-" + stack,
		// Argo CD releases the chart under the Application's name (components/gitops.go sets no
		// helm.releaseName), and the chart's fullname is the release when it contains "ci-agent".
		Release: "ci-agent-" + stack,
		// The platform's Helm releases (components/): the ALB controller and cluster-autoscaler
		// run in kube-system. external-secrets is what the app chart's secrets need.
		SystemNamespaces: []string{
			"kube-system", "monitoring", "cert-manager", "external-dns", "argocd", "external-secrets",
		},
		PrometheusNamespace: "monitoring", PrometheusService: "kube-prometheus-stack-prometheus",
		MinReplicas: 3, MaxReplicas: 10,
		CertMinValidity: 14 * 24 * time.Hour,
		MaxSnapshotAge:  26 * time.Hour, // daily automated snapshots, plus their window
		MaxRestoreLag:   15 * time.Minute,
		MaxP99:          200 * time.Millisecond,
		MaxErrorRate:    0.001,
	}
	switch stack {
	case "dev":
		t.Host = "api.dev.ci-agent.tech"
	case "prod":
		t.Host = "api.ci-agent.tech"
		t.Rollout = true
		t.SystemNamespaces = append(t.SystemNamespaces, "argo-rollouts")
	default:
		return Target{}, fmt.Errorf("unknown stack %q: want dev or prod", stack)
	}
	return t, nil
}
