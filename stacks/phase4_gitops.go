package stacks

import (
	"fmt"

	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/ci-agent/ci-agent/components"
)

// phase4GitOps: the app's IRSA role and API-keys secret, External Secrets and Argo Rollouts,
// Argo CD and this environment's Application of the app's chart. The values passed here are
// the facts only the platform knows; everything else is in the chart's values-<env>.yaml in Git.
func phase4GitOps(ctx *pulumi.Context, p *Platform, parent pulumi.ResourceOption) error {
	cfg := p.Config
	values := map[string]pulumi.StringInput{}
	if url, ok := p.Registry.RepositoryURLs["ci-agent"]; ok {
		values["image.repository"] = url
	}
	if p.Edge != nil {
		values["ingress.className"] = pulumi.String(p.Edge.IngressClass)
		values["ingress.host"] = pulumi.String("origin." + cfg.Platform.Domain)
	}
	if p.Database != nil {
		values["database.host"] = p.Database.ProxyEndpoint
		values["database.secretArn"] = p.Database.SecretArn
	}
	// Another database (a promoted DR replica, region-failover.md): Helm parameters win over
	// value files, so this, not values-<env>.yaml, is where the app is pointed elsewhere.
	if cfg.DatabaseHostOverride != "" {
		values["database.host"] = pulumi.String(cfg.DatabaseHostOverride)
	}
	if cfg.DatabaseSecretArnOverride != "" {
		values["database.secretArn"] = pulumi.String(cfg.DatabaseSecretArnOverride)
	}
	if p.Cache != nil {
		values["redis.urlSecretArn"] = p.Cache.URLSecretArn
	}
	// The NetworkPolicy's ranges, which the chart defaults to prod's primary VPC: the load
	// balancer is in this stack's VPC, the pods reach this VPC's proxy and cache and, with phase
	// 9, a promoted replica in a DR VPC over the peering (region-failover.md step 2). Helm's
	// --set of a list index replaces the values file's whole list.
	for i, cidr := range cfg.AppIngressCidrs() {
		values[fmt.Sprintf("networkPolicy.ingressCidrs[%d]", i)] = pulumi.String(cidr)
	}
	for i, cidr := range cfg.AppEgressCidrs() {
		values[fmt.Sprintf("networkPolicy.egressCidrs[%d]", i)] = pulumi.String(cidr)
	}

	// The app's AWS identity: External Secrets reads the app's secrets as its service account.
	access := &components.AppAccessArgs{
		Environment: cfg.Environment, Region: cfg.Region, Namespace: components.DefaultAppNamespace,
		OidcProviderArn: p.Cluster.OidcProviderArn, OidcIssuer: p.Cluster.OidcIssuer,
	}
	if p.Database != nil {
		access.SecretArns = append(access.SecretArns, p.Database.SecretArn)
		access.KeyArns = append(access.KeyArns, p.Database.KeyArn)
	}
	if p.Cache != nil {
		access.SecretArns = append(access.SecretArns, p.Cache.URLSecretArn)
		access.KeyArns = append(access.KeyArns, p.Cache.KeyArn)
	}
	// The override's secret and key join the platform's (which stay readable, so that
	// unsetting the override is the whole fail-back).
	if cfg.DatabaseSecretArnOverride != "" {
		access.SecretArns = append(access.SecretArns, pulumi.String(cfg.DatabaseSecretArnOverride))
	}
	if cfg.DatabaseKeyArnOverride != "" {
		access.KeyArns = append(access.KeyArns, pulumi.String(cfg.DatabaseKeyArnOverride))
	}
	app, err := components.NewAppAccess(ctx, "app", access, parent)
	if err != nil {
		return err
	}
	p.App = app
	values["serviceAccount.name"] = pulumi.String(app.ServiceAccount)
	// Argo CD hands parameters to `helm --set`, where a dot separates keys: the annotation's
	// own dots are escaped.
	values[`serviceAccount.annotations.eks\.amazonaws\.com/role-arn`] = app.RoleArn
	values["apiKeys.secretArn"] = app.APIKeysSecretArn
	values["externalSecrets.secretStore.region"] = pulumi.String(cfg.Region)

	gitops, err := components.NewGitOps(ctx, "gitops", &components.GitOpsArgs{
		Environment: cfg.Environment, RepoURL: cfg.Platform.GitRepoURL, Revision: cfg.Platform.GitRevision,
		AppNamespace: app.Namespace, AutoSync: !cfg.Production(), Values: values,
		ChaosInjection: cfg.ChaosInjection(),
	}, p.onCluster(parent)...)
	if err != nil {
		return err
	}
	p.GitOps = gitops
	ctx.Export("appRoleArn", app.RoleArn)
	if host, ok := values["database.host"]; ok {
		ctx.Export("appDatabaseHost", host) // what the Application passes: the proxy, or the override
	}
	ctx.Export("apiKeysSecretArn", app.APIKeysSecretArn) // fill it: docs/infra.md "API keys"
	return nil
}
