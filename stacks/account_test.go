package stacks_test

import (
	"cmp"
	"fmt"
	"maps"
	"path/filepath"
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
// assume it). No physical name may be declared by both, and the registry-wide resources (ECR
// replication) belong to one stack only; dev still gets the image repository, prod's. The order
// is fixed in a fresh account: prod first, at least through its phase 6, since dev's phase 6
// reads RDSOSMetrics (rdsOsMetricsOwner: false), which fails until prod has created it, and dev
// pulls from prod's repository.
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

// osMetricsOwners returns, for each "account region" where a stack creates or reads RDSOSMetrics,
// the stacks that create it. account maps a stack to its account.
func osMetricsOwners(runs map[string]*plan.Mocks, account map[string]string) map[string][]string {
	owners := map[string][]string{}
	for _, stack := range slices.Sorted(maps.Keys(runs)) {
		for _, r := range runs[stack].Resources() {
			if r.Type != "aws:cloudwatch/logGroup:LogGroup" {
				continue
			}
			key := account[stack] + " " + r.Region
			switch {
			case r.Read && r.ID == components.OSMetricsLogGroup:
				if _, ok := owners[key]; !ok {
					owners[key] = nil // a reader: the place counts even if nobody creates it
				}
			case !r.Read && r.Input("name") == components.OSMetricsLogGroup:
				owners[key] = append(owners[key], stack)
			}
		}
	}
	return owners
}

// TestOneRDSOSMetricsOwner: among the committed stacks that share an account and region,
// exactly one has rdsOsMetricsOwner true and creates RDSOSMetrics (Enhanced Monitoring's one
// log group there); the others read it. Two owners fail at the second create; none leaves every
// reader's `up` failing at its read (both false was not caught before). The committed stacks
// share one account (TestOneAccount) unless aws:allowedAccountIds says otherwise.
func TestOneRDSOSMetricsOwner(t *testing.T) {
	files, err := filepath.Glob(filepath.Join("..", "Pulumi.*.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	configs := map[string]map[string]string{}
	for _, f := range files {
		stack := strings.TrimSuffix(strings.TrimPrefix(filepath.Base(f), "Pulumi."), ".yaml")
		cfg, err := plan.LoadStackConfig("..", stack)
		if err != nil {
			t.Fatal(err)
		}
		configs[stack] = cfg
	}
	if len(configs) < 2 {
		t.Fatalf("committed stacks: %v; want dev and prod at least", slices.Sorted(maps.Keys(configs)))
	}
	check := func(configs map[string]map[string]string) []string {
		runs, account := map[string]*plan.Mocks{}, map[string]string{}
		for stack, cfg := range configs {
			m, err := plan.Run(stack, cfg, stacks.Program)
			if err != nil {
				t.Fatalf("stack %s: %v", stack, err)
			}
			runs[stack] = m
			account[stack] = cmp.Or(cfg["aws:allowedAccountIds"], "the shared account")
		}
		var problems []string
		owners := osMetricsOwners(runs, account)
		for _, where := range slices.Sorted(maps.Keys(owners)) {
			if n := len(owners[where]); n != 1 {
				problems = append(problems, fmt.Sprintf("%s: %d stacks create RDSOSMetrics (%v); want exactly one with ci-agent:rdsOsMetricsOwner true", where, n, owners[where]))
			}
		}
		return problems
	}
	for _, p := range check(configs) {
		t.Error(p)
	}

	// The check itself: with prod demoted nobody creates the group, with dev promoted both do.
	for _, tc := range []struct{ name, stack, owner string }{{"no owner", "prod", "false"}, {"two owners", "dev", "true"}} {
		changed := map[string]map[string]string{}
		for stack, cfg := range configs {
			changed[stack] = maps.Clone(cfg)
		}
		changed[tc.stack]["ci-agent:rdsOsMetricsOwner"] = tc.owner
		if problems := check(changed); len(problems) != 1 || !strings.Contains(problems[0], "the shared account us-east-1") {
			t.Errorf("%s (%s rdsOsMetricsOwner %s): problems %v; want one for the shared account us-east-1", tc.name, tc.stack, tc.owner, problems)
		}
	}
}
