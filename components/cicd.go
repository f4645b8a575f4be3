package components

import (
	"fmt"
	"regexp"

	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/iam"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
)

// GitHubOIDCIssuer is the issuer of GitHub Actions' OIDC tokens; an account holds one IAM
// OIDC provider per issuer.
const GitHubOIDCIssuer = "token.actions.githubusercontent.com"

// AdministratorAccess is AWS's managed policy; CIRoles's deploy roles get it by default.
const AdministratorAccess = "arn:aws:iam::aws:policy/AdministratorAccess"

// CIRolesArgs configures the roles the repository's GitHub Actions workflows assume.
type CIRolesArgs struct {
	// Repository is the GitHub repository ("owner/name") whose workflows may assume the
	// roles. Required.
	Repository string
	// AccountID is the account the roles live in: the preview role is denied its own SSM
	// parameters, not AWS's public ones. Required.
	AccountID string
	// ProviderArn is the account's GitHub OIDC provider when it exists already (made by hand,
	// or for another repository): IAM refuses a second provider of the same issuer. Default
	// empty: the component creates it.
	ProviderArn string
	// ReleaseEnvironment and ProdEnvironment are the GitHub environments of the dev and
	// prod deploy jobs (deploy.yml). Defaults "dev" and "production".
	ReleaseEnvironment, ProdEnvironment string
	// DeployPolicyArns are attached to the release and prod roles: `pulumi up` creates IAM
	// roles, KMS keys, clusters and databases. Default AdministratorAccess; the trust policy
	// (which workflow runs may assume a role) is what limits them.
	DeployPolicyArns []string
	// MaxSessionHours bounds the deploy roles' sessions: a first `pulumi up` of a stack
	// (cluster, database, three regions) runs longer than IAM's default hour. Default 4.
	MaxSessionHours int
}

// CIRoles are the three roles of .github/workflows, assumed by OIDC (no long-lived keys):
//   - preview (preview.yml): pull requests only, read-only, and no data reads (previewDataReads);
//   - release (release.yml's image and infra jobs on main, deploy.yml for dev, rollback.yml's
//     tag check): pushes images and runs `pulumi up` of dev;
//   - prod (jobs in the prod environment, which requires a reviewer's approval): `pulumi up`
//     of prod and its deploy.
//
// Each trusts exact token subjects of Repository, so a fork, another branch or another
// repository of the organisation cannot assume it.
type CIRoles struct {
	pulumi.ResourceState

	ProviderArn    pulumi.StringOutput
	PreviewRoleArn pulumi.StringOutput
	ReleaseRoleArn pulumi.StringOutput
	ProdRoleArn    pulumi.StringOutput
}

// gitHubRepository is GitHub's owner/name shape; a subject condition built from anything
// else would trust nothing, or with a wildcard too much.
var gitHubRepository = regexp.MustCompile(`^[A-Za-z0-9](?:[A-Za-z0-9-]{0,38})/[A-Za-z0-9._-]{1,100}$`)

var accountID = regexp.MustCompile(`^[0-9]{12}$`)

// previewDataReads is what the preview role may not do although ReadOnlyAccess allows it: read
// the data the platform holds rather than the shape of its resources. `pulumi preview` reads
// the Pulumi Cloud state (not S3), calls the program's invokes (caller identity, zones,
// availability zones, the EKS cluster) and diffs the resources' inputs; it refreshes nothing,
// and the program has no S3 object, table, parameter or log event among its resources. A pull
// request's own workflow file runs with this role, so whatever it may read, any pull request
// may read.
func previewDataReads(accountID string) pulumi.StringOutput {
	return policy(
		// Every bucket: the backups, Loki's logs, the ALB and flow logs. The state is not in S3.
		pulumi.Map{"Sid": pulumi.String("NoObjects"), "Effect": pulumi.String("Deny"),
			"Action": strs("s3:GetObject*", "s3-object-lambda:GetObject*"), "Resource": pulumi.String("*")},
		pulumi.Map{"Sid": pulumi.String("NoItems"), "Effect": pulumi.String("Deny"),
			"Action": strs("dynamodb:GetItem", "dynamodb:BatchGetItem", "dynamodb:Query", "dynamodb:Scan",
				"dynamodb:PartiQLSelect", "dynamodb:GetRecords"), "Resource": pulumi.String("*")},
		// The account's own parameters only: AWS's public ones (arn:aws:ssm:<region>::parameter/aws/…,
		// the EKS AMIs among them) have no account in their ARN and stay readable.
		pulumi.Map{"Sid": pulumi.String("NoOwnParameters"), "Effect": pulumi.String("Deny"),
			"Action":   strs("ssm:GetParameter", "ssm:GetParameters", "ssm:GetParametersByPath", "ssm:GetParameterHistory"),
			"Resource": pulumi.String("arn:aws:ssm:*:" + accountID + ":parameter/*")},
		// Secret values, whatever AWS puts into ReadOnlyAccess over time.
		pulumi.Map{"Sid": pulumi.String("NoSecretValues"), "Effect": pulumi.String("Deny"),
			"Action": strs("secretsmanager:GetSecretValue", "secretsmanager:BatchGetSecretValue"), "Resource": pulumi.String("*")},
		// Log lines: the app's, the control plane's audit log, PostgreSQL's statements.
		pulumi.Map{"Sid": pulumi.String("NoLogEvents"), "Effect": pulumi.String("Deny"),
			"Action": strs("logs:GetLogEvents", "logs:FilterLogEvents", "logs:StartQuery", "logs:GetQueryResults",
				"logs:StartLiveTail", "logs:GetLogRecord", "logs:Unmask",
				"rds:DownloadDBLogFilePortion", "rds:DownloadCompleteDBLogFile"), "Resource": pulumi.String("*")},
	)
}

// CIRoleSubjects lists, per role, the OIDC token subjects it trusts: what GitHub puts in
// "sub" for a pull request, a job on main without an environment, and a job in an
// environment.
func CIRoleSubjects(repository, releaseEnvironment, prodEnvironment string) map[string][]string {
	repo := "repo:" + repository + ":"
	return map[string][]string{
		"preview": {repo + "pull_request"},
		"release": {repo + "ref:refs/heads/main", repo + "environment:" + releaseEnvironment},
		"prod":    {repo + "environment:" + prodEnvironment},
	}
}

// NewCIRoles creates the GitHub OIDC provider (unless ProviderArn names one) and the three
// roles. Their names are fixed (ci-agent-ci-<role>), so the repository variables can be set
// from the account id alone: one CIRoles per account.
func NewCIRoles(ctx *pulumi.Context, name string, args *CIRolesArgs, opts ...pulumi.ResourceOption) (*CIRoles, error) {
	if args == nil {
		return nil, errNilArgs
	}
	if !gitHubRepository.MatchString(args.Repository) {
		return nil, fmt.Errorf("ci roles %s: Repository %q: want a GitHub owner/name", name, args.Repository)
	}
	if !accountID.MatchString(args.AccountID) {
		return nil, fmt.Errorf("ci roles %s: AccountID %q: want the 12-digit account id", name, args.AccountID)
	}
	if args.ReleaseEnvironment == "" {
		args.ReleaseEnvironment = "dev"
	}
	if args.ProdEnvironment == "" {
		args.ProdEnvironment = "production"
	}
	if args.ReleaseEnvironment == args.ProdEnvironment {
		return nil, fmt.Errorf("ci roles %s: the release and prod environments are both %q: prod's approval gate would not separate them", name, args.ProdEnvironment)
	}
	if args.DeployPolicyArns == nil {
		args.DeployPolicyArns = []string{AdministratorAccess}
	}
	if args.MaxSessionHours == 0 {
		args.MaxSessionHours = 4
	}
	if args.MaxSessionHours < 1 || args.MaxSessionHours > 12 {
		return nil, fmt.Errorf("ci roles %s: MaxSessionHours %d: IAM allows 1 to 12", name, args.MaxSessionHours)
	}

	c := &CIRoles{}
	if err := ctx.RegisterComponentResource("ciagent:index:CIRoles", name, c, opts...); err != nil {
		return nil, err
	}
	child := pulumi.Parent(c)

	providerArn := pulumi.String(args.ProviderArn).ToStringOutput()
	if args.ProviderArn == "" {
		provider, err := iam.NewOpenIdConnectProvider(ctx, name+"-github", &iam.OpenIdConnectProviderArgs{
			Url:           pulumi.String("https://" + GitHubOIDCIssuer),
			ClientIdLists: pulumi.StringArray{pulumi.String("sts.amazonaws.com")},
			// No thumbprint: IAM verifies GitHub's issuer against its own trusted CAs.
		}, child)
		if err != nil {
			return nil, fmt.Errorf("creating the GitHub OIDC provider: %w", err)
		}
		providerArn = provider.Arn
	}
	c.ProviderArn = providerArn

	subjects := CIRoleSubjects(args.Repository, args.ReleaseEnvironment, args.ProdEnvironment)
	roles := []struct {
		role     string
		policies []string
		session  int
		arn      *pulumi.StringOutput
	}{
		// Pull requests run the branch's own workflow file: read-only is all such code may get.
		{"preview", []string{"arn:aws:iam::aws:policy/ReadOnlyAccess"}, 1, &c.PreviewRoleArn},
		{"release", args.DeployPolicyArns, args.MaxSessionHours, &c.ReleaseRoleArn},
		{"prod", args.DeployPolicyArns, args.MaxSessionHours, &c.ProdRoleArn},
	}
	for _, r := range roles {
		trust := providerArn.ApplyT(func(arn string) (string, error) {
			return webIdentityTrust(arn, GitHubOIDCIssuer, subjects[r.role])
		}).(pulumi.StringOutput)
		roleName := name + "-" + r.role
		role, err := iam.NewRole(ctx, roleName, &iam.RoleArgs{
			Name:               pulumi.String("ci-agent-ci-" + r.role),
			Description:        pulumi.String("GitHub Actions of " + args.Repository + ": " + r.role),
			AssumeRolePolicy:   trust,
			MaxSessionDuration: pulumi.Int(r.session * 3600),
		}, child)
		if err != nil {
			return nil, fmt.Errorf("creating the %s role: %w", r.role, err)
		}
		if err := attachPolicies(ctx, roleName+"-policy", role, r.policies, child); err != nil {
			return nil, err
		}
		if r.role == "preview" {
			if _, err := iam.NewRolePolicy(ctx, roleName+"-no-data-reads", &iam.RolePolicyArgs{
				Role: role.ID(), Policy: previewDataReads(args.AccountID),
			}, child); err != nil {
				return nil, fmt.Errorf("creating the preview role's deny policy: %w", err)
			}
		}
		*r.arn = role.Arn
	}

	if err := ctx.RegisterResourceOutputs(c, pulumi.Map{
		"providerArn": c.ProviderArn, "previewRoleArn": c.PreviewRoleArn,
		"releaseRoleArn": c.ReleaseRoleArn, "prodRoleArn": c.ProdRoleArn,
	}); err != nil {
		return nil, err
	}
	return c, nil
}
