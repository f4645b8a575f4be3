// Package components holds the reusable Pulumi ComponentResources of the ci-agent platform.
// Each receives its values in an Args struct (components never read stack config), parents and
// name-prefixes its children and registers its outputs.
package components

import (
	"encoding/binary"
	"errors"
	"fmt"
	"net/netip"

	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/iam"
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/kms"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
)

var errNilArgs = errors.New("args are required")

// keyArgs is the one way this platform makes a customer-managed key: rotation on, 30-day
// deletion window so a mistaken delete can be cancelled.
func newKey(ctx *pulumi.Context, name, description string, policy pulumi.StringInput, opts ...pulumi.ResourceOption) (*kms.Key, error) {
	args := &kms.KeyArgs{
		Description:          pulumi.String(description),
		EnableKeyRotation:    pulumi.Bool(true),
		DeletionWindowInDays: pulumi.Int(30),
	}
	if policy != nil {
		args.Policy = policy
	}
	key, err := kms.NewKey(ctx, name, args, opts...)
	if err != nil {
		return nil, fmt.Errorf("creating KMS key %s: %w", name, err)
	}
	return key, nil
}

// serviceKeyPolicy is a key policy for the account plus AWS services that encrypt on their own
// behalf (CloudWatch Logs, the Auto Scaling service-linked role for node volumes), which the
// default key policy does not let in.
func serviceKeyPolicy(accountID, region string, logs bool, autoscaling bool) pulumi.StringOutput {
	statements := pulumi.Array{
		pulumi.Map{
			"Sid": pulumi.String("AccountAdministers"), "Effect": pulumi.String("Allow"),
			"Principal": pulumi.Map{"AWS": pulumi.String("arn:aws:iam::" + accountID + ":root")},
			"Action":    pulumi.String("kms:*"), "Resource": pulumi.String("*"),
		},
	}
	if logs {
		statements = append(statements, pulumi.Map{
			"Sid": pulumi.String("CloudWatchLogsEncrypt"), "Effect": pulumi.String("Allow"),
			"Principal": pulumi.Map{"Service": pulumi.String("logs." + region + ".amazonaws.com")},
			"Action": pulumi.ToStringArray([]string{"kms:Encrypt*", "kms:Decrypt*", "kms:ReEncrypt*",
				"kms:GenerateDataKey*", "kms:Describe*"}),
			"Resource": pulumi.String("*"),
			"Condition": pulumi.Map{"ArnLike": pulumi.Map{
				"kms:EncryptionContext:aws:logs:arn": pulumi.String("arn:aws:logs:" + region + ":" + accountID + ":*"),
			}},
		})
	}
	if autoscaling {
		// The Auto Scaling service-linked role does not exist in a fresh account until the
		// first Auto Scaling group is made (the node groups, after this key), and KMS refuses
		// a key policy naming a principal that does not exist (MalformedPolicyDocument). So
		// the role is matched by aws:PrincipalArn, which KMS does not resolve, and only
		// from this account.
		slr := pulumi.Map{"StringEquals": pulumi.Map{
			"aws:PrincipalArn":  pulumi.String("arn:aws:iam::" + accountID + ":role/aws-service-role/autoscaling.amazonaws.com/AWSServiceRoleForAutoScaling"),
			"kms:CallerAccount": pulumi.String(accountID),
		}}
		grantCondition := pulumi.Map{
			"StringEquals": slr["StringEquals"],
			"Bool":         pulumi.Map{"kms:GrantIsForAWSResource": pulumi.Bool(true)},
		}
		statements = append(statements,
			pulumi.Map{
				"Sid": pulumi.String("AutoScalingUsesKey"), "Effect": pulumi.String("Allow"),
				"Principal": pulumi.Map{"AWS": pulumi.String("*")},
				"Action": pulumi.ToStringArray([]string{"kms:Encrypt", "kms:Decrypt", "kms:ReEncrypt*",
					"kms:GenerateDataKey*", "kms:DescribeKey"}),
				"Resource":  pulumi.String("*"),
				"Condition": slr,
			},
			pulumi.Map{
				"Sid": pulumi.String("AutoScalingGrants"), "Effect": pulumi.String("Allow"),
				"Principal": pulumi.Map{"AWS": pulumi.String("*")},
				"Action":    pulumi.String("kms:CreateGrant"), "Resource": pulumi.String("*"),
				"Condition": grantCondition,
			})
	}
	return pulumi.JSONMarshal(pulumi.Map{"Version": pulumi.String("2012-10-17"), "Statement": statements})
}

// assumeRolePolicy lets one AWS service assume a role.
func assumeRolePolicy(service string) pulumi.StringOutput {
	return pulumi.JSONMarshal(pulumi.Map{
		"Version": pulumi.String("2012-10-17"),
		"Statement": pulumi.Array{pulumi.Map{
			"Effect": pulumi.String("Allow"), "Action": pulumi.String("sts:AssumeRole"),
			"Principal": pulumi.Map{"Service": pulumi.String(service)},
		}},
	})
}

// serviceRole creates a role for an AWS service with managed policies attached.
func serviceRole(ctx *pulumi.Context, name, service string, managedPolicies []string, opts ...pulumi.ResourceOption) (*iam.Role, error) {
	role, err := iam.NewRole(ctx, name, &iam.RoleArgs{AssumeRolePolicy: assumeRolePolicy(service)}, opts...)
	if err != nil {
		return nil, fmt.Errorf("creating role %s: %w", name, err)
	}
	if err := attachPolicies(ctx, name+"-policy", role, managedPolicies, opts...); err != nil {
		return nil, err
	}
	return role, nil
}

// attachPolicies attaches managed policies to role, as resources prefix-0, prefix-1, ….
func attachPolicies(ctx *pulumi.Context, prefix string, role *iam.Role, arns []string, opts ...pulumi.ResourceOption) error {
	for i, arn := range arns {
		if _, err := iam.NewRolePolicyAttachment(ctx, fmt.Sprintf("%s-%d", prefix, i), &iam.RolePolicyAttachmentArgs{
			Role: role.Name, PolicyArn: pulumi.String(arn),
		}, opts...); err != nil {
			return fmt.Errorf("attaching %s (%s): %w", arn, prefix, err)
		}
	}
	return nil
}

// IrsaRoleArgs describes an IAM role for a Kubernetes service account (IRSA).
type IrsaRoleArgs struct {
	// OidcProviderArn is the cluster's IAM OIDC provider. Required.
	OidcProviderArn pulumi.StringInput
	// OidcIssuer is the issuer host and path without "https://". Required.
	OidcIssuer pulumi.StringInput
	// Namespace and ServiceAccount name the only identity allowed to assume the role. Required.
	Namespace, ServiceAccount string
	// Policy is the inline policy document (JSON). Required unless ManagedPolicyArns is set.
	Policy pulumi.StringInput
	// ManagedPolicyArns are attached to the role as well. Default none.
	ManagedPolicyArns []string
	// NamePrefix makes the role's name recognisable (the rest is random, so stacks of the same
	// environment in one account do not collide: IAM names are global). Default Pulumi's autoname.
	NamePrefix string
}

// NewIrsaRole creates a role only the named service account of the cluster can assume
// (audience sts.amazonaws.com, exact subject), with one inline policy.
func NewIrsaRole(ctx *pulumi.Context, name string, args *IrsaRoleArgs, opts ...pulumi.ResourceOption) (*iam.Role, error) {
	if args == nil {
		return nil, errNilArgs
	}
	trust := pulumi.All(args.OidcProviderArn, args.OidcIssuer).ApplyT(func(v []any) (string, error) {
		arn, issuer := v[0].(string), v[1].(string)
		return webIdentityTrust(arn, issuer, "system:serviceaccount:"+args.Namespace+":"+args.ServiceAccount)
	}).(pulumi.StringOutput)
	roleArgs := &iam.RoleArgs{AssumeRolePolicy: trust}
	if args.NamePrefix != "" {
		roleArgs.NamePrefix = pulumi.String(args.NamePrefix)
	}
	role, err := iam.NewRole(ctx, name, roleArgs, opts...)
	if err != nil {
		return nil, fmt.Errorf("creating IRSA role %s: %w", name, err)
	}
	if args.Policy != nil {
		if _, err := iam.NewRolePolicy(ctx, name+"-policy", &iam.RolePolicyArgs{Role: role.ID(), Policy: args.Policy}, opts...); err != nil {
			return nil, fmt.Errorf("creating IRSA policy %s: %w", name, err)
		}
	}
	if err := attachPolicies(ctx, name+"-managed", role, args.ManagedPolicyArns, opts...); err != nil {
		return nil, err
	}
	return role, nil
}

// webIdentityTrust is a role's trust policy for tokens of an OIDC provider: audience
// sts.amazonaws.com and subject exactly subject (a string, or a list of which any one will do),
// matched with StringEquals, never a wildcard.
func webIdentityTrust(providerArn, issuer string, subject any) (string, error) {
	return toJSON(map[string]any{
		"Version": "2012-10-17",
		"Statement": []any{map[string]any{
			"Effect":    "Allow",
			"Action":    "sts:AssumeRoleWithWebIdentity",
			"Principal": map[string]any{"Federated": providerArn},
			"Condition": map[string]any{"StringEquals": map[string]any{
				issuer + ":sub": subject,
				issuer + ":aud": "sts.amazonaws.com",
			}},
		}},
	})
}

// subnetCIDR carves the index-th subnet of prefix length bits out of vpc.
func subnetCIDR(vpc string, bits, index int) (string, error) {
	prefix, err := netip.ParsePrefix(vpc)
	if err != nil {
		return "", fmt.Errorf("VPC CIDR %q: %w", vpc, err)
	}
	if !prefix.Addr().Is4() || bits <= prefix.Bits() || bits > 28 {
		return "", fmt.Errorf("cannot carve /%d subnets out of %s", bits, vpc)
	}
	count := 1 << (bits - prefix.Bits())
	if index < 0 || index >= count {
		return "", fmt.Errorf("subnet %d does not fit in %s at /%d (%d available)", index, vpc, bits, count)
	}
	base := prefix.Masked().Addr().As4()
	n := binary.BigEndian.Uint32(base[:])
	n += uint32(index) << (32 - bits) // #nosec G115 -- 0 <= index < count <= 2^28, checked above
	binary.BigEndian.PutUint32(base[:], n)
	addr := netip.AddrFrom4(base)
	return netip.PrefixFrom(addr, bits).String(), nil
}
