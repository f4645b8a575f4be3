package stacks_test

import (
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/ci-agent/ci-agent/components"
	"github.com/ci-agent/ci-agent/internal/plan"
	"github.com/ci-agent/ci-agent/stacks"
)

// registryWide are the AWS resource types of which an account has one per region: two stacks
// that both declare one overwrite each other (infra-0008).
var registryWide = []string{
	"aws:ecr/replicationConfiguration:ReplicationConfiguration",
	"aws:ecr/registryPolicy:RegistryPolicy",
	"aws:ecr/registryScanningConfiguration:RegistryScanningConfiguration",
}

// globalServices name things account-wide rather than per region.
var globalServices = []string{"iam", "budgets", "costexplorer", "cloudfront", "route53"}

// nameInputs are the inputs that give an AWS resource its physical name, unique per account
// (and region, for a regional service). Resources without one are auto-named by Pulumi with a
// random suffix and cannot collide. A bucket's name is its own "bucket" input only: on the
// bucket's policy, encryption and lifecycle "bucket" refers to the bucket.
var nameInputs = []string{"name", "identifier", "replicationGroupId", "functionName"}

var bucketTypes = []string{"aws:s3/bucketV2:BucketV2", "aws:s3/bucket:Bucket"}

// nameScoped are types whose name input is unique only inside another resource (a record in
// its zone, a selection in its plan).
var nameScoped = []string{
	"aws:route53/record:Record",
	"aws:backup/selection:Selection",
	"aws:backup/restoreTestingSelection:RestoreTestingSelection",
}

// physicalNames returns "type region name" for every explicitly named AWS resource of m (the
// region is "global" for account-wide services), and the registry-wide resources as "type
// region".
func physicalNames(m *plan.Mocks) (names, wide []string) {
	for _, r := range m.Resources() {
		if !r.Custom && !r.Remote {
			continue
		}
		if slices.Contains(registryWide, r.Type) {
			wide = append(wide, r.Type+" "+r.Region)
		}
		if (!strings.HasPrefix(r.Type, "aws:") && r.Type != "eks:index:Cluster") || slices.Contains(nameScoped, r.Type) {
			continue
		}
		region := r.Region
		if service := strings.SplitN(strings.TrimPrefix(r.Type, "aws:"), "/", 2)[0]; slices.Contains(globalServices, service) {
			region = "global"
		}
		keys := nameInputs
		if slices.Contains(bucketTypes, r.Type) {
			keys = append([]string{"bucket"}, nameInputs...)
		}
		for _, key := range keys {
			if v, ok := r.Input(key).(string); ok && v != "" {
				names = append(names, r.Type+" "+region+" "+v)
			}
		}
	}
	return names, wide
}

// TestOneAccount: dev and prod are brought up in one account (the budgets and anomaly monitor
// assume it), in either order. No physical name may be declared by both, and the registry-wide
// resources (ECR replication) belong to one stack only; dev still gets the image repository,
// prod's.
func TestOneAccount(t *testing.T) {
	dev, prod := runStack(t, "dev"), runStack(t, "prod")
	devNames, devWide := physicalNames(dev)
	prodNames, prodWide := physicalNames(prod)
	for _, n := range devNames {
		if slices.Contains(prodNames, n) {
			t.Errorf("dev and prod both create %s", n)
		}
	}
	for _, w := range devWide {
		if slices.Contains(prodWide, w) {
			t.Errorf("dev and prod both own the registry-wide %s", w)
		}
	}
	if !slices.Contains(prodNames, "aws:ecr/repository:Repository us-east-1 ci-agent") {
		t.Errorf("prod (registryOwner) creates no repository ci-agent in us-east-1; names: %v", prodNames)
	}
	eq(t, "prod's registry-wide resources", prodWide, []string{"aws:ecr/replicationConfiguration:ReplicationConfiguration us-east-1"})

	// Image promotion: both Applications pull the one repository the release pushes to.
	repo := named(t, prod, "aws:ecr/repository:Repository", "ecr-ci-agent").Output("repositoryUrl")
	eq(t, "prod image.repository", helmParameters(t, prod, "prod")["image.repository"], repo)
	eq(t, "dev image.repository", helmParameters(t, dev, "dev")["image.repository"], repo)

	// dev with DR on still leaves the registry's replication to prod.
	cfg, err := plan.LoadStackConfig("..", "dev")
	if err != nil {
		t.Fatal(err)
	}
	cfg["ci-agent:phases"] = "[1, 2, 3, 4, 6, 8, 9, 10]"
	devDR, err := plan.Run("dev", cfg, stacks.Program)
	if err != nil {
		t.Fatal(err)
	}
	if _, wide := physicalNames(devDR); len(wide) != 0 {
		t.Errorf("dev with phase 9 owns %v; the replication is prod's", wide)
	}
}

// TestRegistryOwnerSeparateAccounts: a stack in an account of its own (registryOwner true, the
// default) creates what it needs: the repository, its key and lifecycle, and with phase 9 the
// replication to its DR regions.
func TestRegistryOwnerSeparateAccounts(t *testing.T) {
	cfg, err := plan.LoadStackConfig("..", "dev")
	if err != nil {
		t.Fatal(err)
	}
	delete(cfg, "ci-agent:registryOwner")
	cfg["ci-agent:phases"] = "[1, 2, 3, 4, 6, 8, 9, 10]"
	m, err := plan.Run("dev", cfg, stacks.Program)
	if err != nil {
		t.Fatal(err)
	}
	repo := named(t, m, "aws:ecr/repository:Repository", "ecr-ci-agent")
	eq(t, "repository name", repo.Input("name"), "ci-agent")
	named(t, m, "aws:kms/key:Key", "ecr-kms")
	named(t, m, "aws:ecr/lifecyclePolicy:LifecyclePolicy", "ecr-ci-agent-lifecycle")
	replication := named(t, m, "aws:ecr/replicationConfiguration:ReplicationConfiguration", "ecr-replication")
	eq(t, "replication", replication.Input("replicationConfiguration"),
		`map[rules:[map[destinations:[map[region:eu-west-1 registryId:123456789012] map[region:ap-southeast-1 registryId:123456789012]]]]]`)
	eq(t, "dev image.repository", helmParameters(t, m, "dev")["image.repository"], repo.Output("repositoryUrl"))
}

// TestRecoveryStackUsesReplica: the recovery stack of region-failover.md step 3 runs in a DR
// region, where prod's replication has already created the repositories. It must create none
// of them (it collided with RepositoryAlreadyExistsException) and pull from the replica.
func TestRecoveryStackUsesReplica(t *testing.T) {
	prod := runStack(t, "prod")
	replicated := map[string]bool{} // "region name" of every repository replication creates
	for _, rc := range prod.ByType("aws:ecr/replicationConfiguration:ReplicationConfiguration") {
		rules, _ := rc.Input("replicationConfiguration").(map[string]any)["rules"].([]any)
		for _, rule := range rules {
			for _, d := range rule.(map[string]any)["destinations"].([]any) {
				for _, repo := range prod.ByType("aws:ecr/repository:Repository") {
					replicated[fmt.Sprint(d.(map[string]any)["region"], " ", repo.Input("name"))] = true
				}
			}
		}
	}
	if !replicated["eu-west-1 ci-agent"] {
		t.Fatalf("prod replicates %v; want ci-agent in eu-west-1", replicated)
	}

	cfg := recoveryConfig(t)
	m, err := plan.Run("prod-eu-west-1", cfg, stacks.Program)
	if err != nil {
		t.Fatal(err)
	}
	for _, repo := range m.ByType("aws:ecr/repository:Repository") {
		if replicated[repo.Region+" "+fmt.Sprint(repo.Input("name"))] {
			t.Errorf("the recovery stack creates %s in %s, which prod's replication already made", repo.Input("name"), repo.Region)
		}
	}
	if _, wide := physicalNames(m); len(wide) != 0 {
		t.Errorf("the recovery stack owns %v", wide)
	}
	eq(t, "recovery image.repository", helmParameters(t, m, "prod")["image.repository"],
		components.RepositoryURL(plan.AccountID, "eu-west-1", "ci-agent"))
}

// recoveryConfig is prod's config as region-failover.md step 3 changes it for the recovery
// stack prod-eu-west-1.
func recoveryConfig(t *testing.T) map[string]string {
	t.Helper()
	cfg, err := plan.LoadStackConfig("..", "prod")
	if err != nil {
		t.Fatal(err)
	}
	for k, v := range map[string]string{
		"aws:region":                         "eu-west-1",
		"ci-agent:phases":                    "[1, 2, 3, 4, 8]",
		"ci-agent:secondaryRegions":          "[]",
		"ci-agent:secondaryVpcCidrs":         "[]",
		"ci-agent:vpcCidr":                   "10.3.0.0/16",
		"ci-agent:registryOwner":             "false",
		"ci-agent:databaseHostOverride":      "ci-agent-prod-eu-west-1.abc123.eu-west-1.rds.amazonaws.com",
		"ci-agent:databaseSecretArnOverride": "arn:aws:secretsmanager:eu-west-1:123456789012:secret:rds!db-0123-AbCdEf",
		"ci-agent:databaseKeyArnOverride":    "arn:aws:kms:eu-west-1:123456789012:key/0f0f0f0f-1111-2222-3333-444444444444",
		// prod's live zone, the one the registrar delegates to, and nothing in us-east-1.
		"ci-agent:existingZoneId": "Z0PLANCIAGENTTECH",
		"ci-agent:skipUsEast1":    "true",
	} {
		cfg[k] = v
	}
	delete(cfg, "ci-agent:delegatedSubdomains") // prod's zone keeps dev's NS record
	return cfg
}
