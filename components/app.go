package components

import (
	"fmt"

	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/secretsmanager"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
)

// DefaultAppNamespace is the namespace the app runs in (Pulumi owns it, Argo CD fills it).
const DefaultAppNamespace = "ci-agent"

// AppServiceAccount is the app's Kubernetes service account in environment env. The chart names
// it after its release (the Argo CD Application ci-agent-<env>); the Application also passes it
// as serviceAccount.name, so the IRSA trust below and the chart cannot drift apart.
func AppServiceAccount(env string) string { return "ci-agent-" + env }

// AppAccessArgs configures the app's AWS identity.
type AppAccessArgs struct {
	// Environment names the service account (AppServiceAccount) and prefixes the role's name
	// (ci-agent-<env>-app-…). Required.
	Environment string
	// Region of the secrets: KMS decrypts only when Secrets Manager of this region asks. Required.
	Region string
	// OidcProviderArn and OidcIssuer are the cluster's IAM OIDC provider. Required.
	OidcProviderArn, OidcIssuer pulumi.StringInput
	// Namespace of the app. Default DefaultAppNamespace.
	Namespace string
	// SecretArns are the platform's secrets the app reads besides its API keys (the database's
	// master secret, the Redis URL), and KeyArns the keys that encrypt them. Default none.
	SecretArns, KeyArns []pulumi.StringInput
}

// AppAccess is what External Secrets needs to fill the app's Secrets: the API-keys secret
// (KMS-encrypted, no value: the operator puts the hashed keys file in it), and the IRSA role of
// the app's service account, which may read exactly the app's secrets and decrypt them.
type AppAccess struct {
	pulumi.ResourceState

	Namespace, ServiceAccount string
	RoleArn                   pulumi.StringOutput
	APIKeysSecretArn          pulumi.StringOutput
	// KeyArn encrypts the API-keys secret.
	KeyArn pulumi.StringOutput
}

// NewAppAccess creates the key, the API-keys secret and the role.
func NewAppAccess(ctx *pulumi.Context, name string, args *AppAccessArgs, opts ...pulumi.ResourceOption) (*AppAccess, error) {
	if args == nil {
		return nil, errNilArgs
	}
	if args.Environment == "" || args.Region == "" || args.OidcProviderArn == nil || args.OidcIssuer == nil {
		return nil, fmt.Errorf("app access %s: Environment, Region, OidcProviderArn and OidcIssuer are required", name)
	}
	setDefault(&args.Namespace, DefaultAppNamespace)
	c := &AppAccess{Namespace: args.Namespace, ServiceAccount: AppServiceAccount(args.Environment)}
	if err := ctx.RegisterComponentResource("ciagent:app:AppAccess", name, c, opts...); err != nil {
		return nil, err
	}
	child := pulumi.Parent(c)

	key, err := newKey(ctx, name+"-kms", "Secrets of the ci-agent app ("+args.Environment+"): API keys", nil, child)
	if err != nil {
		return nil, err
	}
	c.KeyArn = key.Arn

	// No SecretVersion: the value is the hashed keys file (`ciagent apikey new NAME` lines),
	// which the operator writes with `aws secretsmanager put-secret-value` (docs/infra.md). A
	// placeholder would not help: ciagent refuses a keys file without keys.
	secret, err := secretsmanager.NewSecret(ctx, name+"-api-keys", &secretsmanager.SecretArgs{
		Description: pulumi.String("API keys of ci-agent " + args.Environment + ": one `<client> sha256:<hex>` line per key (ciagent apikey new NAME)"),
		KmsKeyId:    key.Arn,
	}, child)
	if err != nil {
		return nil, err
	}
	c.APIKeysSecretArn = secret.Arn

	secrets := pulumi.Array{secret.Arn}
	for _, arn := range args.SecretArns {
		secrets = append(secrets, arn)
	}
	keys := pulumi.Array{key.Arn}
	for _, arn := range args.KeyArns {
		keys = append(keys, arn)
	}
	role, err := NewIrsaRole(ctx, name+"-role", &IrsaRoleArgs{
		OidcProviderArn: args.OidcProviderArn, OidcIssuer: args.OidcIssuer,
		Namespace: c.Namespace, ServiceAccount: c.ServiceAccount,
		NamePrefix: "ci-agent-" + args.Environment + "-app-",
		Policy: policy(
			pulumi.Map{"Sid": pulumi.String("ReadAppSecrets"),
				"Action": strs("secretsmanager:GetSecretValue", "secretsmanager:DescribeSecret"), "Resource": secrets},
			// Secrets Manager decrypts with the caller's permission; only through it.
			pulumi.Map{"Sid": pulumi.String("DecryptAppSecrets"),
				"Action": strs("kms:Decrypt"), "Resource": keys,
				"Condition": pulumi.Map{"StringEquals": pulumi.Map{
					"kms:ViaService": pulumi.String("secretsmanager." + args.Region + ".amazonaws.com"),
				}}},
		),
	}, child)
	if err != nil {
		return nil, err
	}
	c.RoleArn = role.Arn

	if err := ctx.RegisterResourceOutputs(c, pulumi.Map{
		"roleArn": c.RoleArn, "apiKeysSecretArn": c.APIKeysSecretArn, "keyArn": c.KeyArn,
		"serviceAccount": pulumi.String(c.ServiceAccount),
	}); err != nil {
		return nil, err
	}
	return c, nil
}
