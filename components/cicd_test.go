package components_test

import (
	"fmt"
	"regexp"
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
		_, err := components.NewCIRoles(ctx, "ci", &components.CIRolesArgs{Repository: "ci-agent/ci-agent", AccountID: account})
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

// TestCIPreviewRoleReadsNoData: ReadOnlyAccess reads data as well as resources (every bucket's
// objects, table items, parameters, log events), and any pull request's workflow file runs
// with the preview role. Its inline policy denies those reads and nothing `pulumi preview`
// needs: the program's invokes, the providers' describes, AWS's public SSM parameters.
func TestCIPreviewRoleReadsNoData(t *testing.T) {
	m := run(t, func(ctx *pulumi.Context) error {
		_, err := components.NewCIRoles(ctx, "ci", &components.CIRolesArgs{Repository: "ci-agent/ci-agent", AccountID: account})
		return err
	})
	inline := one(t, m, "aws:iam/rolePolicy:RolePolicy", "ci-preview-no-data-reads")
	eq(t, "deny policy's role", inline.Input("role"), one(t, m, "aws:iam/role:Role", "ci-preview").ID)
	if n := count(m, "aws:iam/rolePolicy:RolePolicy"); n != 1 {
		t.Errorf("%d inline policies; want the preview role's only (the deploy roles deploy)", n)
	}
	doc := policyDoc(t, inline, "policy")
	for _, st := range doc["Statement"].([]any) {
		eq(t, "effect of "+fmt.Sprint(get(st, "Sid")), get(st, "Effect"), "Deny")
		if c := get(st, "Condition"); c != nil {
			t.Errorf("statement %v has a condition %v; the cases below assume none", get(st, "Sid"), c)
		}
	}

	const publicAMI = "arn:aws:ssm:us-east-1::parameter/aws/service/eks/optimized-ami/1.35/amazon-linux-2023/x86_64/standard/recommended/image_id"
	tests := []struct {
		action, resource string
		denied           bool
	}{
		{"s3:GetObject", "arn:aws:s3:::ci-agent-prod-dr-backups/2026/01/01/snapshot", true},
		{"s3:GetObjectVersion", "arn:aws:s3:::ci-agent-prod-loki/chunks/x", true},
		{"s3:getobjectattributes", "arn:aws:s3:::any-bucket/key", true},
		{"dynamodb:Scan", "arn:aws:dynamodb:us-east-1:" + account + ":table/anything", true},
		{"dynamodb:GetItem", "arn:aws:dynamodb:us-east-1:" + account + ":table/anything", true},
		{"dynamodb:Query", "arn:aws:dynamodb:us-east-1:" + account + ":table/anything/index/i", true},
		{"ssm:GetParameter", "arn:aws:ssm:us-east-1:" + account + ":parameter/app/password", true},
		{"ssm:GetParametersByPath", "arn:aws:ssm:eu-west-1:" + account + ":parameter/app", true},
		{"secretsmanager:GetSecretValue", "arn:aws:secretsmanager:us-east-1:" + account + ":secret:ci-agent-prod-db-AbCdEf", true},
		{"logs:GetLogEvents", "arn:aws:logs:us-east-1:" + account + ":log-group:/aws/eks/ci-agent-prod/cluster:log-stream:x", true},
		{"rds:DownloadDBLogFilePortion", "arn:aws:rds:us-east-1:" + account + ":db:ci-agent-prod", true},
		// What preview and the providers read: the shape of things, and AWS's public parameters.
		{"ssm:GetParameter", publicAMI, false},
		{"ssm:GetParameters", publicAMI, false},
		{"s3:ListBucket", "arn:aws:s3:::ci-agent-prod-loki", false},
		{"s3:GetBucketPolicy", "arn:aws:s3:::ci-agent-prod-loki", false},
		{"s3:GetEncryptionConfiguration", "arn:aws:s3:::ci-agent-prod-loki", false},
		{"s3:GetLifecycleConfiguration", "arn:aws:s3:::ci-agent-prod-loki", false},
		{"sts:GetCallerIdentity", "*", false},
		{"ec2:DescribeAvailabilityZones", "*", false},
		{"route53:GetHostedZone", "arn:aws:route53:::hostedzone/Z0PLANCIAGENTTECH", false},
		{"eks:DescribeCluster", "arn:aws:eks:us-east-1:" + account + ":cluster/ci-agent-prod", false},
		{"secretsmanager:DescribeSecret", "arn:aws:secretsmanager:us-east-1:" + account + ":secret:ci-agent-prod-db-AbCdEf", false},
		{"ssm:DescribeParameters", "*", false},
		{"logs:DescribeLogGroups", "*", false},
		{"dynamodb:DescribeTable", "arn:aws:dynamodb:us-east-1:" + account + ":table/anything", false},
		{"rds:DescribeDBInstances", "arn:aws:rds:us-east-1:" + account + ":db:ci-agent-prod", false},
	}
	for _, tc := range tests {
		if got := deniedBy(doc, tc.action, tc.resource); got != tc.denied {
			t.Errorf("%s on %s: denied = %v; want %v", tc.action, tc.resource, got, tc.denied)
		}
	}
}

// deniedBy reports whether a Deny statement of the policy doc matches the request, matching as
// IAM does: * and ? wildcards, actions case-insensitive, resources case-sensitive.
func deniedBy(doc map[string]any, action, resource string) bool {
	matches := func(patterns any, value string, fold bool) bool {
		list, ok := patterns.([]any)
		if !ok {
			list = []any{patterns}
		}
		for _, p := range list {
			re := "^" + strings.NewReplacer(`\*`, ".*", `\?`, ".").Replace(regexp.QuoteMeta(fmt.Sprint(p))) + "$"
			if fold {
				re = "(?i)" + re
			}
			if regexp.MustCompile(re).MatchString(value) {
				return true
			}
		}
		return false
	}
	for _, st := range doc["Statement"].([]any) {
		if get(st, "Effect") == "Deny" && matches(get(st, "Action"), action, true) && matches(get(st, "Resource"), resource, false) {
			return true
		}
	}
	return false
}

// An account holds one provider per issuer: with ProviderArn the roles trust that one, and
// none is created.
func TestCIRolesExistingProvider(t *testing.T) {
	existing := "arn:aws:iam::" + account + ":oidc-provider/token.actions.githubusercontent.com"
	m := run(t, func(ctx *pulumi.Context) error {
		_, err := components.NewCIRoles(ctx, "ci", &components.CIRolesArgs{
			Repository: "acme/api", AccountID: account, ProviderArn: existing, ProdEnvironment: "prod-approval",
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
		{"no repository", components.CIRolesArgs{AccountID: account}, "owner/name"},
		{"a wildcard", components.CIRolesArgs{Repository: "ci-agent/*", AccountID: account}, "owner/name"},
		{"no owner", components.CIRolesArgs{Repository: "ci-agent", AccountID: account}, "owner/name"},
		{"a URL", components.CIRolesArgs{Repository: "https://github.com/ci-agent/ci-agent", AccountID: account}, "owner/name"},
		{"no account", components.CIRolesArgs{Repository: "a/b"}, "12-digit account id"},
		{"one environment for both", components.CIRolesArgs{Repository: "a/b", AccountID: account, ReleaseEnvironment: "production"}, "approval gate"},
		{"a session IAM refuses", components.CIRolesArgs{Repository: "a/b", AccountID: account, MaxSessionHours: 13}, "1 to 12"},
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
