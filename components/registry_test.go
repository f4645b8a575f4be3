package components_test

import (
	"os"
	"strings"
	"testing"
	"time"

	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/ci-agent/ci-agent/components"
	"github.com/ci-agent/ci-agent/internal/plan"
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

	// Every stack's images live here: a destroy of the owner forgets them, it does not delete them.
	for _, r := range []*plan.Resource{repo, one(t, m, "aws:kms/key:Key", "ecr-kms")} {
		if !r.RetainOnDelete {
			t.Errorf("%s %s: RetainOnDelete false; want true", r.Type, r.Name)
		}
	}

	lifecycle := policyDoc(t, one(t, m, "aws:ecr/lifecyclePolicy:LifecyclePolicy", "ecr-ci-agent-lifecycle"), "policy")
	eq(t, "rule 1 expires untagged", get(lifecycle, "rules", 0, "selection", "tagStatus"), "untagged")
	eq(t, "rule 1 after days", get(lifecycle, "rules", 0, "selection", "countNumber"), 7.0)
	// Rule 2 comes before "keep the last N": what prod runs is never counted among dev's pushes.
	eq(t, "rule 2 selects deployed images", get(lifecycle, "rules", 1, "selection", "tagPrefixList"), []any{"deployed-"})
	eq(t, "rule 2 keeps 100 deployed", get(lifecycle, "rules", 1, "selection", "countNumber"), 100.0)
	eq(t, "rule 3 is the catch-all", get(lifecycle, "rules", 2, "selection", "tagStatus"), "any")
	eq(t, "rule 3 keeps N", get(lifecycle, "rules", 2, "selection", "countNumber"), 20.0)

	replication := one(t, m, "aws:ecr/replicationConfiguration:ReplicationConfiguration", "ecr-replication")
	dest := get(replication.Input("replicationConfiguration"), "rules", 0, "destinations")
	eq(t, "replication destinations", dest, []any{
		map[string]any{"region": "eu-west-1", "registryId": account},
		map[string]any{"region": "ap-southeast-1", "registryId": account},
	})
}

// TestRegistryUseExisting: a stack that does not own the repositories (another stack of the
// account does, or ECR replication made them in a DR region) creates nothing registry-wide
// or named, and still hands the app the repository's URL.
func TestRegistryUseExisting(t *testing.T) {
	tests := []struct {
		name    string
		args    components.RegistryArgs
		wantURL string
		wantErr string
	}{
		{"the owner's repository in the primary region",
			components.RegistryArgs{Repositories: []string{"ci-agent"}, AccountID: account, UseExisting: true, Region: "us-east-1"},
			account + ".dkr.ecr.us-east-1.amazonaws.com/ci-agent", ""},
		{"the replica in a DR region",
			components.RegistryArgs{Repositories: []string{"ci-agent"}, AccountID: account, UseExisting: true, Region: "eu-west-1"},
			account + ".dkr.ecr.eu-west-1.amazonaws.com/ci-agent", ""},
		{"no region", components.RegistryArgs{Repositories: []string{"ci-agent"}, AccountID: account, UseExisting: true},
			"", "Region is required with UseExisting"},
		{"replication without owning the repositories",
			components.RegistryArgs{Repositories: []string{"ci-agent"}, AccountID: account, UseExisting: true, Region: "us-east-1",
				ReplicaRegions: []string{"eu-west-1"}},
			"", "the replication configuration is registry-wide"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			urls := make(chan string, 1)
			m, err := plan.Run("test", map[string]string{"aws:region": "us-east-1"}, func(ctx *pulumi.Context) error {
				args := tc.args
				r, err := components.NewRegistry(ctx, "ecr", &args)
				if err != nil {
					return err
				}
				r.RepositoryURLs["ci-agent"].ApplyT(func(s string) string { urls <- s; return s })
				return nil
			})
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("error = %v; want one containing %q", err, tc.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			select {
			case url := <-urls:
				eq(t, "repository URL", url, tc.wantURL)
			case <-time.After(10 * time.Second):
				t.Fatal("the repository URL never resolved")
			}
			for _, r := range m.Resources() {
				if r.Custom {
					t.Errorf("UseExisting created %s %s", r.Type, r.Name)
				}
			}
		})
	}
}

// The release marks what it deploys to prod with the prefix the lifecycle policy protects.
func TestDeployMarksProdImagesForTheLifecyclePolicy(t *testing.T) {
	workflow, err := os.ReadFile("../.github/workflows/deploy.yml")
	if err != nil {
		t.Fatal(err)
	}
	if want := `--image-tag "` + components.DeployedTagPrefix + `prod-$TAG"`; !strings.Contains(string(workflow), want) {
		t.Errorf("deploy.yml never tags an image %s; the lifecycle policy keeps only %q images", want, components.DeployedTagPrefix)
	}
}
