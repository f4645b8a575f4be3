package components

import (
	"fmt"

	corev1 "github.com/pulumi/pulumi-kubernetes/sdk/v4/go/kubernetes/core/v1"
	metav1 "github.com/pulumi/pulumi-kubernetes/sdk/v4/go/kubernetes/meta/v1"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
)

// ChartPath is where the app's Helm chart lives in the repository.
const ChartPath = "deploy/chart/ci-agent"

// GitOpsArgs configures Argo CD and the app's Application.
type GitOpsArgs struct {
	// Environment names the Application (ci-agent-<env>) and its values file
	// (values-<env>.yaml next to the chart). Required.
	Environment string
	// RepoURL and Revision of the Git repository holding the chart. Required.
	RepoURL, Revision string
	// AppNamespace is where the app runs. Default DefaultAppNamespace.
	AppNamespace string
	// AutoSync lets Argo CD apply every commit on its own (dev); prod syncs on demand. Default false.
	AutoSync bool
	// Values are extra Helm parameters the platform knows and Git does not (image repository,
	// database and cache endpoints, certificate ARN). Default none.
	Values map[string]pulumi.StringInput
	// ChaosInjection annotates the app namespace for Chaos Mesh's namespace filter
	// (ChaosInjectAnnotation), so that game-day experiments may select its pods. Default false.
	ChaosInjection bool
}

// GitOps is Argo CD installed by Helm and an Application for this environment that points at
// the app's chart: from here on Git, not Pulumi, deploys the app. It also installs the
// controllers of the kinds the chart renders beyond Kubernetes' own: External Secrets
// (SecretStore, ExternalSecret) and Argo Rollouts (Rollout, AnalysisTemplate).
type GitOps struct {
	pulumi.ResourceState

	AppNamespace string
	// Namespace is the app namespace itself: what goes into it depends on this resource, not
	// on the component, whose children a dependency reaches only once they began registering.
	Namespace *corev1.Namespace
}

// NewGitOps installs Argo CD and the Application. Pass the Kubernetes provider in opts.
func NewGitOps(ctx *pulumi.Context, name string, args *GitOpsArgs, opts ...pulumi.ResourceOption) (*GitOps, error) {
	if args == nil {
		return nil, errNilArgs
	}
	if args.Environment == "" || args.RepoURL == "" || args.Revision == "" {
		return nil, fmt.Errorf("gitops %s: Environment, RepoURL and Revision are required", name)
	}
	setDefault(&args.AppNamespace, DefaultAppNamespace)
	c := &GitOps{AppNamespace: args.AppNamespace}
	if err := ctx.RegisterComponentResource("ciagent:gitops:GitOps", name, c, opts...); err != nil {
		return nil, err
	}
	child := pulumi.Parent(c)

	// Pulumi owns the namespace (quotas and limits attach to it); Argo CD only fills it.
	meta := metav1.ObjectMetaArgs{Name: pulumi.String(args.AppNamespace),
		Labels: pulumi.StringMap{"pod-security.kubernetes.io/enforce": pulumi.String("restricted")}}
	if args.ChaosInjection {
		meta.Annotations = ChaosInjectAnnotations()
	}
	ns, err := corev1.NewNamespace(ctx, name+"-app-ns", &corev1.NamespaceArgs{Metadata: meta}, child)
	if err != nil {
		return nil, err
	}
	c.Namespace = ns

	argocd, err := release(ctx, name+"-argocd", ChartArgoCD, "argocd", pulumi.Map{
		"global": pulumi.Map{"domain": pulumi.String("argocd.internal")},
		"configs": pulumi.Map{
			"params": pulumi.Map{"server.insecure": pulumi.Bool(false)},
			"cm":     pulumi.Map{"exec.enabled": pulumi.Bool(false), "admin.enabled": pulumi.Bool(true)},
		},
		"redis-ha":   pulumi.Map{"enabled": pulumi.Bool(false)},
		"controller": pulumi.Map{"replicas": pulumi.Int(1)},
		"server":     pulumi.Map{"replicas": pulumi.Int(2)},
		"repoServer": pulumi.Map{"replicas": pulumi.Int(2)},
	}, child)
	if err != nil {
		return nil, err
	}

	// External Secrets signs in to AWS as the app's service account (the chart's namespaced
	// SecretStore with jwt auth), so the operator itself needs no IAM role.
	eso, err := release(ctx, name+"-external-secrets", ChartExternalSecrets, "external-secrets", pulumi.Map{
		"installCRDs":  pulumi.Bool(true),
		"replicaCount": pulumi.Int(2),
		"leaderElect":  pulumi.Bool(true),
	}, child)
	if err != nil {
		return nil, err
	}
	// Argo Rollouts runs the prod canary (values-prod.yaml rollouts.enabled); installed in every
	// environment so dev can rehearse one.
	rollouts, err := release(ctx, name+"-argo-rollouts", ChartArgoRollouts, "argo-rollouts", pulumi.Map{
		"installCRDs": pulumi.Bool(true),
		"controller":  pulumi.Map{"replicas": pulumi.Int(2)},
		"dashboard":   pulumi.Map{"enabled": pulumi.Bool(false)},
	}, child)
	if err != nil {
		return nil, err
	}

	var parameters pulumi.Array
	for _, k := range sortedKeys(args.Values) {
		parameters = append(parameters, pulumi.Map{"name": pulumi.String(k), "value": args.Values[k]})
	}
	sync := pulumi.Map{"syncOptions": strs("ServerSideApply=true", "PruneLast=true")}
	if args.AutoSync {
		sync["automated"] = pulumi.Map{"prune": pulumi.Bool(true), "selfHeal": pulumi.Bool(true)}
	}
	app := pulumi.Map{
		"namespace": pulumi.String("argocd"),
		"project":   pulumi.String("default"),
		"source": pulumi.Map{
			"repoURL": pulumi.String(args.RepoURL), "targetRevision": pulumi.String(args.Revision),
			"path": pulumi.String(ChartPath),
			"helm": pulumi.Map{"valueFiles": strs("values-" + args.Environment + ".yaml"), "parameters": parameters},
		},
		"destination":          pulumi.Map{"server": pulumi.String("https://kubernetes.default.svc"), "namespace": pulumi.String(args.AppNamespace)},
		"syncPolicy":           sync,
		"revisionHistoryLimit": pulumi.Int(10),
	}
	if _, err := release(ctx, name+"-apps", ChartArgoCDApps, "argocd", pulumi.Map{
		"applications": pulumi.Map{"ci-agent-" + args.Environment: app},
		// The first sync (automatic in dev) needs the controllers' CRDs to exist.
	}, child, pulumi.DependsOn([]pulumi.Resource{argocd, ns, eso, rollouts})); err != nil {
		return nil, err
	}
	if err := ctx.RegisterResourceOutputs(c, pulumi.Map{"appNamespace": pulumi.String(args.AppNamespace)}); err != nil {
		return nil, err
	}
	return c, nil
}
