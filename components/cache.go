package components

import (
	"fmt"
	"sort"

	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/ec2"
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/elasticache"
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/secretsmanager"
	"github.com/pulumi/pulumi-random/sdk/v4/go/random"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
)

// CacheArgs configures the Redis answer cache.
type CacheArgs struct {
	// VpcID and SubnetIDs (the database subnets) place the cache. Required.
	VpcID     pulumi.StringInput
	SubnetIDs pulumi.StringArrayInput
	// ClientSecurityGroupIDs may connect on 6379 (the cluster's nodes). Required.
	ClientSecurityGroupIDs pulumi.StringArrayInput
	// NodeType of the cache nodes. Default cache.t4g.micro.
	NodeType string
	// Nodes is the primary plus replicas; 2 or more turns on Multi-AZ with automatic failover.
	// Default 1.
	Nodes int
}

// Cache is ElastiCache Redis (Valkey-compatible OSS Redis 7) with TLS in transit, a customer
// key at rest and an auth token, published as a rediss:// URL in Secrets Manager.
type Cache struct {
	pulumi.ResourceState

	PrimaryEndpoint pulumi.StringOutput
	URLSecretArn    pulumi.StringOutput
	// KeyArn is the key that encrypts the cache at rest and its URL secret: whoever reads the
	// secret needs kms:Decrypt on it.
	KeyArn pulumi.StringOutput
}

// NewCache creates the replication group and its secret.
func NewCache(ctx *pulumi.Context, name string, args *CacheArgs, opts ...pulumi.ResourceOption) (*Cache, error) {
	if args == nil {
		return nil, errNilArgs
	}
	if args.VpcID == nil || args.SubnetIDs == nil || args.ClientSecurityGroupIDs == nil {
		return nil, fmt.Errorf("cache %s: VpcID, SubnetIDs and ClientSecurityGroupIDs are required", name)
	}
	setDefault(&args.NodeType, "cache.t4g.micro")
	setDefaultInt(&args.Nodes, 1)
	c := &Cache{}
	if err := ctx.RegisterComponentResource("ciagent:data:Cache", name, c, opts...); err != nil {
		return nil, err
	}
	child := pulumi.Parent(c)

	key, err := newKey(ctx, name+"-kms", "ElastiCache "+name, nil, child)
	if err != nil {
		return nil, err
	}
	c.KeyArn = key.Arn
	subnets, err := elasticache.NewSubnetGroup(ctx, name+"-subnets", &elasticache.SubnetGroupArgs{SubnetIds: args.SubnetIDs}, child)
	if err != nil {
		return nil, err
	}
	sg, err := ec2.NewSecurityGroup(ctx, name+"-sg", &ec2.SecurityGroupArgs{
		VpcId: args.VpcID, Description: pulumi.String("Redis from the cluster's nodes only"),
		Ingress: ec2.SecurityGroupIngressArray{ec2.SecurityGroupIngressArgs{
			Protocol: pulumi.String("tcp"), FromPort: pulumi.Int(6379), ToPort: pulumi.Int(6379),
			SecurityGroups: args.ClientSecurityGroupIDs,
		}},
	}, child)
	if err != nil {
		return nil, err
	}
	// ElastiCache accepts printable ASCII except a few characters; letters and digits only
	// keeps the token URL-safe too.
	token, err := random.NewRandomPassword(ctx, name+"-auth-token", &random.RandomPasswordArgs{
		Length: pulumi.Int(64), Special: pulumi.Bool(false),
	}, child)
	if err != nil {
		return nil, err
	}
	multiAz := args.Nodes >= 2
	group, err := elasticache.NewReplicationGroup(ctx, name, &elasticache.ReplicationGroupArgs{
		Description:              pulumi.String("ci-agent answer cache"),
		Engine:                   pulumi.String("redis"),
		EngineVersion:            pulumi.String("7.1"),
		NodeType:                 pulumi.String(args.NodeType),
		NumCacheClusters:         pulumi.Int(args.Nodes),
		AutomaticFailoverEnabled: pulumi.Bool(multiAz),
		MultiAzEnabled:           pulumi.Bool(multiAz),
		SubnetGroupName:          subnets.Name,
		SecurityGroupIds:         pulumi.StringArray{sg.ID()},
		AtRestEncryptionEnabled:  pulumi.Bool(true),
		KmsKeyId:                 key.Arn,
		TransitEncryptionEnabled: pulumi.Bool(true),
		AuthToken:                token.Result,
		// ROTATE is the provider's default too; it is written out because the runbook relies
		// on it: a new token (rotate-secrets.md replaces
		// cache-auth-token) is added next to the old one, both valid, while the pods move to
		// the new URL; the runbook's second step (SET, aws CLI) then drops the old one. SET
		// from here would cut off every pod still on the old URL at once.
		AuthTokenUpdateStrategy: pulumi.String("ROTATE"),
		SnapshotRetentionLimit:  pulumi.Int(1),
		AutoMinorVersionUpgrade: pulumi.Bool(true),
		// Immediately, not in the maintenance window: the URL secret below changes at once, so
		// a token change deferred to the window would leave the pods with a token the cache
		// refuses until then. This also applies other modifications (node type, engine
		// version) at `pulumi up` instead of in the window; the app answers without Redis.
		ApplyImmediately: pulumi.Bool(true),
	}, child)
	if err != nil {
		return nil, err
	}
	c.PrimaryEndpoint = group.PrimaryEndpointAddress

	secret, err := secretsmanager.NewSecret(ctx, name+"-url", &secretsmanager.SecretArgs{
		Description: pulumi.String("REDIS_URL of the ci-agent answer cache"), KmsKeyId: key.Arn,
	}, child)
	if err != nil {
		return nil, err
	}
	if _, err := secretsmanager.NewSecretVersion(ctx, name+"-url-value", &secretsmanager.SecretVersionArgs{
		SecretId:     secret.ID(),
		SecretString: pulumi.Sprintf("rediss://:%s@%s:6379/0", token.Result, group.PrimaryEndpointAddress),
	}, child); err != nil {
		return nil, err
	}
	c.URLSecretArn = secret.Arn
	if err := ctx.RegisterResourceOutputs(c, pulumi.Map{"primaryEndpoint": c.PrimaryEndpoint, "urlSecretArn": c.URLSecretArn}); err != nil {
		return nil, err
	}
	return c, nil
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}
