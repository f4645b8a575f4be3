package stacks

import (
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/ci-agent/ci-agent/components"
)

// phase4GitOps: Argo CD and this environment's Application of the app's chart. The values
// passed here are the facts only the platform knows; everything else is in the chart's
// values-<env>.yaml in Git.
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
	if p.Cache != nil {
		values["redis.urlSecretArn"] = p.Cache.URLSecretArn
	}
	gitops, err := components.NewGitOps(ctx, "gitops", &components.GitOpsArgs{
		Environment: cfg.Environment, RepoURL: cfg.Platform.GitRepoURL, Revision: cfg.Platform.GitRevision,
		AutoSync: !cfg.Production(), Values: values,
	}, p.onCluster(parent)...)
	if err != nil {
		return err
	}
	p.GitOps = gitops
	return nil
}
