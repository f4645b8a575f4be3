package components

import (
	"fmt"

	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/ecr"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
)

// RegistryArgs configures the container registry.
type RegistryArgs struct {
	// Repositories to create (or, with UseExisting, to use). Required, at least one.
	Repositories []string
	// AccountID owns the registry (the replication destination). Required.
	AccountID string
	// UseExisting creates nothing: the repositories already exist in Region of AccountID's
	// registry, because another stack of the account owns them or ECR replication made them
	// there (a DR region). Their URLs follow ECR's convention,
	// <account>.dkr.ecr.<region>.amazonaws.com/<name>, so this needs no lookup and works
	// before the repositories exist. Default false: the Registry creates them.
	UseExisting bool
	// Region of the registry; required with UseExisting (the URLs name it).
	Region string
	// ReplicaRegions receive a copy of every image so a DR region can start pods without the
	// primary. The replication configuration is registry-wide (one per account and region),
	// so only the Registry that creates the repositories may set it. Default none.
	ReplicaRegions []string
	// KeepTagged keeps this many tagged images per repository. Default 30.
	KeepTagged int
	// KeepDeployed keeps this many images tagged DeployedTagPrefix, whatever KeepTagged says:
	// the release marks what it deploys to prod, so the tag prod runs (and the ones a rollback
	// goes back to) never expire however far dev's pushes run ahead. Default 100.
	KeepDeployed int
	// UntaggedDays expires untagged images (build leftovers) after this many days. Default 7.
	UntaggedDays int
}

// DeployedTagPrefix starts the tag deploy.yml adds to an image it deploys to prod
// (deployed-prod-<sha>); the lifecycle policy keeps such images apart from the rest.
const DeployedTagPrefix = "deployed-"

// Registry is ECR: immutable tags, scan on push, KMS, lifecycle, cross-region replication.
type Registry struct {
	pulumi.ResourceState

	RepositoryURLs map[string]pulumi.StringOutput
	// KeyArn encrypts the repositories; empty with UseExisting (the owner's key, or ECR's).
	KeyArn pulumi.StringOutput
}

// RepositoryURL is the URL ECR gives repository name in region of account's registry.
func RepositoryURL(account, region, name string) string {
	return account + ".dkr.ecr." + region + ".amazonaws.com/" + name
}

// NewRegistry creates the repositories, their key, lifecycle policies and replication, or with
// UseExisting only reports the URLs of repositories that exist already.
func NewRegistry(ctx *pulumi.Context, name string, args *RegistryArgs, opts ...pulumi.ResourceOption) (*Registry, error) {
	if args == nil {
		return nil, errNilArgs
	}
	if len(args.Repositories) == 0 || args.AccountID == "" {
		return nil, fmt.Errorf("registry %s: Repositories and AccountID are required", name)
	}
	if args.UseExisting && args.Region == "" {
		return nil, fmt.Errorf("registry %s: Region is required with UseExisting", name)
	}
	if args.UseExisting && len(args.ReplicaRegions) > 0 {
		return nil, fmt.Errorf("registry %s: ReplicaRegions with UseExisting: the replication configuration is registry-wide "+
			"and belongs to the stack that creates the repositories", name)
	}
	if args.KeepTagged == 0 {
		args.KeepTagged = 30
	}
	if args.KeepDeployed == 0 {
		args.KeepDeployed = 100
	}
	if args.UntaggedDays == 0 {
		args.UntaggedDays = 7
	}
	c := &Registry{RepositoryURLs: map[string]pulumi.StringOutput{}}
	if err := ctx.RegisterComponentResource("ciagent:infra:Registry", name, c, opts...); err != nil {
		return nil, err
	}
	child := pulumi.Parent(c)

	if args.UseExisting {
		outputs := pulumi.Map{}
		for _, repo := range args.Repositories {
			url := pulumi.String(RepositoryURL(args.AccountID, args.Region, repo)).ToStringOutput()
			c.RepositoryURLs[repo] = url
			outputs[repo] = url
		}
		if err := ctx.RegisterResourceOutputs(c, pulumi.Map{"repositoryUrls": outputs}); err != nil {
			return nil, err
		}
		return c, nil
	}

	// The repositories hold every stack's images (dev and the DR recovery stack pull from
	// them), and the key is what reads them: a destroy of the owner stack, or flipping
	// registryOwner, must not delete them with it. Pulumi forgets them instead; an operator
	// deletes them by hand when they are really unwanted (docs/infra.md, Registry).
	keep := pulumi.RetainOnDelete(true)
	key, err := newKey(ctx, name+"-kms", "ECR images of "+name, nil, child, keep)
	if err != nil {
		return nil, err
	}
	c.KeyArn = key.Arn
	lifecycle, err := toJSON(map[string]any{"rules": []any{
		map[string]any{
			"rulePriority": 1, "description": "expire untagged images",
			"selection": map[string]any{"tagStatus": "untagged", "countType": "sinceImagePushed",
				"countUnit": "days", "countNumber": args.UntaggedDays},
			"action": map[string]any{"type": "expire"},
		},
		// An image a higher-priority rule's tags select cannot be expired by a lower one: the
		// deployed images are counted here, and rule 3 never sees them.
		map[string]any{
			"rulePriority": 2, "description": fmt.Sprintf("keep the last %d images deployed to prod", args.KeepDeployed),
			"selection": map[string]any{"tagStatus": "tagged", "tagPrefixList": []string{DeployedTagPrefix},
				"countType": "imageCountMoreThan", "countNumber": args.KeepDeployed},
			"action": map[string]any{"type": "expire"},
		},
		map[string]any{
			"rulePriority": 3, "description": fmt.Sprintf("keep the last %d tagged images", args.KeepTagged),
			"selection": map[string]any{"tagStatus": "any", "countType": "imageCountMoreThan",
				"countNumber": args.KeepTagged},
			"action": map[string]any{"type": "expire"},
		},
	}})
	if err != nil {
		return nil, err
	}
	outputs := pulumi.Map{}
	for _, repo := range args.Repositories {
		r, err := ecr.NewRepository(ctx, name+"-"+repo, &ecr.RepositoryArgs{
			Name:               pulumi.String(repo),
			ImageTagMutability: pulumi.String("IMMUTABLE"),
			ImageScanningConfiguration: ecr.RepositoryImageScanningConfigurationArgs{
				ScanOnPush: pulumi.Bool(true),
			},
			EncryptionConfigurations: ecr.RepositoryEncryptionConfigurationArray{ecr.RepositoryEncryptionConfigurationArgs{
				EncryptionType: pulumi.String("KMS"), KmsKey: key.Arn,
			}},
		}, child, keep)
		if err != nil {
			return nil, err
		}
		if _, err := ecr.NewLifecyclePolicy(ctx, name+"-"+repo+"-lifecycle", &ecr.LifecyclePolicyArgs{
			Repository: r.Name, Policy: pulumi.String(lifecycle),
		}, child); err != nil {
			return nil, err
		}
		c.RepositoryURLs[repo] = r.RepositoryUrl
		outputs[repo] = r.RepositoryUrl
	}

	if len(args.ReplicaRegions) > 0 {
		var destinations ecr.ReplicationConfigurationReplicationConfigurationRuleDestinationArray
		for _, region := range args.ReplicaRegions {
			destinations = append(destinations, ecr.ReplicationConfigurationReplicationConfigurationRuleDestinationArgs{
				Region: pulumi.String(region), RegistryId: pulumi.String(args.AccountID),
			})
		}
		// Registry-wide setting (one per account and region): owned here, nowhere else
		// (infra-0008). It has no repository filter: it replicates every repository of the registry.
		if _, err := ecr.NewReplicationConfiguration(ctx, name+"-replication", &ecr.ReplicationConfigurationArgs{
			ReplicationConfiguration: ecr.ReplicationConfigurationReplicationConfigurationArgs{
				Rules: ecr.ReplicationConfigurationReplicationConfigurationRuleArray{
					ecr.ReplicationConfigurationReplicationConfigurationRuleArgs{Destinations: destinations},
				},
			},
		}, child); err != nil {
			return nil, err
		}
	}
	if err := ctx.RegisterResourceOutputs(c, pulumi.Map{"repositoryUrls": outputs}); err != nil {
		return nil, err
	}
	return c, nil
}
