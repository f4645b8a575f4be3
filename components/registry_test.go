package components_test

import (
	"testing"

	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/ci-agent/ci-agent/components"
)

func TestRegistry(t *testing.T) {
	m := run(t, func(ctx *pulumi.Context) error {
		_, err := components.NewRegistry(ctx, "ecr", &components.RegistryArgs{
			Repositories: []string{"ci-agent"}, AccountID: account,
			ReplicaRegions: []string{"eu-west-1", "ap-southeast-1"}, KeepTagged: 20,
		})
		return err
	})
	repo := one(t, m, "aws:ecr/repository:Repository", "ecr-ci-agent")
	eq(t, "imageTagMutability", repo.Input("imageTagMutability"), "IMMUTABLE")
	eq(t, "scanOnPush", get(repo.Input("imageScanningConfiguration"), "scanOnPush"), true)
	eq(t, "encryptionType", get(repo.Input("encryptionConfigurations"), 0, "encryptionType"), "KMS")
	eq(t, "kmsKey", get(repo.Input("encryptionConfigurations"), 0, "kmsKey"), one(t, m, "aws:kms/key:Key", "ecr-kms").Output("arn"))

	lifecycle := policyDoc(t, one(t, m, "aws:ecr/lifecyclePolicy:LifecyclePolicy", "ecr-ci-agent-lifecycle"), "policy")
	eq(t, "rule 1 expires untagged", get(lifecycle, "rules", 0, "selection", "tagStatus"), "untagged")
	eq(t, "rule 1 after days", get(lifecycle, "rules", 0, "selection", "countNumber"), 7.0)
	eq(t, "rule 2 keeps N", get(lifecycle, "rules", 1, "selection", "countNumber"), 20.0)

	replication := one(t, m, "aws:ecr/replicationConfiguration:ReplicationConfiguration", "ecr-replication")
	dest := get(replication.Input("replicationConfiguration"), "rules", 0, "destinations")
	eq(t, "replication destinations", dest, []any{
		map[string]any{"region": "eu-west-1", "registryId": account},
		map[string]any{"region": "ap-southeast-1", "registryId": account},
	})
}
