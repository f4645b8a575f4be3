package components_test

import (
	"strings"
	"testing"

	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/ci-agent/ci-agent/components"
)

// TestCIRoles: each role trusts only its workflow runs' token subjects, through the GitHub
// provider, for the sts audience; the preview role (pull requests run their own workflow
// file) is read-only.
func TestCIRoles(t *testing.T) {
	m := run(t, func(ctx *pulumi.Context) error {
		_, err := components.NewCIRoles(ctx, "ci", &components.CIRolesArgs{Repository: "ci-agent/ci-agent"})
		return err
	})
	provider := one(t, m, "aws:iam/openIdConnectProvider:OpenIdConnectProvider", "ci-github")
	eq(t, "provider url", provider.Input("url"), "https://token.actions.githubusercontent.com")
	eq(t, "provider audience", provider.Input("clientIdLists"), []any{"sts.amazonaws.com"})

	tests := []struct {
		role     string
		subjects []any
		policy   string
		hours    float64
	}{
		{"preview", []any{"repo:ci-agent/ci-agent:pull_request"}, "arn:aws:iam::aws:policy/ReadOnlyAccess", 1},
		{"release", []any{"repo:ci-agent/ci-agent:ref:refs/heads/main", "repo:ci-agent/ci-agent:environment:dev"}, components.AdministratorAccess, 4},
		{"prod", []any{"repo:ci-agent/ci-agent:environment:production"}, components.AdministratorAccess, 4},
	}
	for _, tc := range tests {
		role := one(t, m, "aws:iam/role:Role", "ci-"+tc.role)
		eq(t, tc.role+" name", role.Input("name"), "ci-agent-ci-"+tc.role)
		eq(t, tc.role+" session", role.Input("maxSessionDuration"), tc.hours*3600)
		trust := policyDoc(t, role, "assumeRolePolicy")
		statements, _ := trust["Statement"].([]any)
		if len(statements) != 1 {
			t.Fatalf("%s trust policy: %d statements; want 1", tc.role, len(statements))
		}
		eq(t, tc.role+" action", get(trust, "Statement", 0, "Action"), "sts:AssumeRoleWithWebIdentity")
		eq(t, tc.role+" principal", get(trust, "Statement", 0, "Principal", "Federated"), provider.Output("arn"))
		eq(t, tc.role+" audience", get(trust, "Statement", 0, "Condition", "StringEquals", "token.actions.githubusercontent.com:aud"), "sts.amazonaws.com")
		eq(t, tc.role+" subjects", get(trust, "Statement", 0, "Condition", "StringEquals", "token.actions.githubusercontent.com:sub"), tc.subjects)
		if len(get(trust, "Statement", 0, "Condition").(map[string]any)) != 1 {
			t.Errorf("%s trust: conditions %v; want StringEquals only (a StringLike wildcard would trust more)", tc.role, get(trust, "Statement", 0, "Condition"))
		}
		eq(t, tc.role+" policy", one(t, m, "aws:iam/rolePolicyAttachment:RolePolicyAttachment", "ci-"+tc.role+"-policy-0").Input("policyArn"), tc.policy)
	}
	if n := count(m, "aws:iam/rolePolicyAttachment:RolePolicyAttachment"); n != 3 {
		t.Errorf("%d policy attachments; want 3 (one per role)", n)
	}
}

// An account holds one provider per issuer: with ProviderArn the roles trust that one, and
// none is created.
func TestCIRolesExistingProvider(t *testing.T) {
	existing := "arn:aws:iam::" + account + ":oidc-provider/token.actions.githubusercontent.com"
	m := run(t, func(ctx *pulumi.Context) error {
		_, err := components.NewCIRoles(ctx, "ci", &components.CIRolesArgs{
			Repository: "acme/api", ProviderArn: existing, ProdEnvironment: "prod-approval",
			DeployPolicyArns: []string{"arn:aws:iam::" + account + ":policy/deployer", "arn:aws:iam::aws:policy/PowerUserAccess"},
		})
		return err
	})
	if n := count(m, "aws:iam/openIdConnectProvider:OpenIdConnectProvider"); n != 0 {
		t.Errorf("%d OIDC providers created; want 0 with ProviderArn", n)
	}
	prod := policyDoc(t, one(t, m, "aws:iam/role:Role", "ci-prod"), "assumeRolePolicy")
	eq(t, "prod principal", get(prod, "Statement", 0, "Principal", "Federated"), existing)
	eq(t, "prod subjects", get(prod, "Statement", 0, "Condition", "StringEquals", "token.actions.githubusercontent.com:sub"), []any{"repo:acme/api:environment:prod-approval"})
	eq(t, "second deploy policy", one(t, m, "aws:iam/rolePolicyAttachment:RolePolicyAttachment", "ci-release-policy-1").Input("policyArn"), "arn:aws:iam::aws:policy/PowerUserAccess")
}

func TestCIRolesRejectsBadArgs(t *testing.T) {
	tests := []struct {
		name string
		args components.CIRolesArgs
		want string
	}{
		{"no repository", components.CIRolesArgs{}, "owner/name"},
		{"a wildcard", components.CIRolesArgs{Repository: "ci-agent/*"}, "owner/name"},
		{"no owner", components.CIRolesArgs{Repository: "ci-agent"}, "owner/name"},
		{"a URL", components.CIRolesArgs{Repository: "https://github.com/ci-agent/ci-agent"}, "owner/name"},
		{"one environment for both", components.CIRolesArgs{Repository: "a/b", ReleaseEnvironment: "production"}, "approval gate"},
		{"a session IAM refuses", components.CIRolesArgs{Repository: "a/b", MaxSessionHours: 13}, "1 to 12"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			err := runErr(func(ctx *pulumi.Context) error {
				_, err := components.NewCIRoles(ctx, "ci", &tc.args)
				return err
			})
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("NewCIRoles(%+v) error = %v; want one saying %q", tc.args, err, tc.want)
			}
		})
	}
}
