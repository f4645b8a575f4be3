package stacks

import (
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/ci-agent/ci-agent/components"
)

// phase5CICD: the roles .github/workflows assume by OIDC, and the account's GitHub OIDC
// provider. Both are account-wide (fixed role names, one provider per issuer), so one stack
// per account runs this phase: prod, which also owns the registry (infra-0008).
func phase5CICD(ctx *pulumi.Context, p *Platform, parent pulumi.ResourceOption) error {
	cfg := p.Config
	roles, err := components.NewCIRoles(ctx, "ci", &components.CIRolesArgs{
		Repository:  cfg.GitHubRepository,
		AccountID:   p.AccountID,
		ProviderArn: cfg.GitHubOIDCProviderArn,
	}, parent)
	if err != nil {
		return err
	}
	// The repository variables of docs/delivery.md: AWS_PREVIEW_ROLE_ARN, AWS_RELEASE_ROLE_ARN
	// and AWS_PROD_ROLE_ARN.
	ctx.Export("ciPreviewRoleArn", roles.PreviewRoleArn)
	ctx.Export("ciReleaseRoleArn", roles.ReleaseRoleArn)
	ctx.Export("ciProdRoleArn", roles.ProdRoleArn)
	return nil
}
