package stacks

import (
	"encoding/json"
	"fmt"
	"os"
	"slices"
	"sort"
	"strings"

	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
)

// configKeys are the keys of the ci-agent: namespace, the only ones LoadConfig reads. It is the
// one list of them: the reader refuses to read a key missing here, LoadConfig fails when one
// listed here was not read (so every key is read unconditionally, its default computed even
// when its phase is off), and a stack config that sets a key of the namespace not listed here is
// refused, since the program would ignore it and use the default (a typo like dbMultiAZ).
var configKeys = []string{
	"environment", "phases",
	// Phase 1.
	"vpcCidr", "azCount", "natGateways", "kubernetesVersion", "publicAccessCidrs", "adminPrincipalArns",
	"nodeInstanceTypes", "nodeMin", "nodeMax", "nodeDesired", "repositories", "ecrKeepTagged", "registryOwner",
	// Phase 5.
	"githubRepository", "githubOidcProviderArn",
	// Phase 6 and the database override.
	"dbInstanceClass", "dbAllocatedStorage", "dbMaxAllocatedStorage", "dbMultiAz", "backupRetentionDays",
	"dbBackupRetentionDays", "dbPasswordRotationDays", "databaseHostOverride", "databaseSecretArnOverride",
	"databaseKeyArnOverride", "rdsOsMetricsOwner",
	// Phase 9.
	"secondaryRegions", "secondaryVpcCidrs", "backupVaultLock",
	// Phases 2, 3, 4, 7, 8, 10 (config_platform.go).
	"domain", "acmeEmail", "alertEmail", "alertSlackWebhook", "alertPagerDutyKey", "alertSmtpSmarthost",
	"alertSmtpFrom", "alertSmtpUsername", "alertSmtpPassword", "gitRepoUrl", "gitRevision", "chaosMesh",
	"redisNodeType", "redisReplicas", "spotInstanceTypes", "spotMin", "spotMax", "spotDesired",
	"quotaNamespaces", "appMaxReplicas", "appCpuRequest", "appMemoryRequest", "appMemoryLimit",
	"budgetEmail", "budgetCompute", "budgetDatabase", "budgetStorage", "budgetTransfer", "budgetTotal",
	"anomalyThresholdUsd",
	// Phase 2's zone and the recovery mode (config_dns.go).
	"existingZoneId", "delegationSetId", "delegatedSubdomains", "skipUsEast1",
}

// ConfigKeys returns the keys of the ci-agent: namespace the program reads, without the
// namespace, sorted.
func ConfigKeys() []string {
	out := slices.Clone(configKeys)
	sort.Strings(out)
	return out
}

// stackConfigKeys returns the keys the stack's config sets ("namespace:key"). The SDK offers no
// list of them, only lookups; it reads them from PULUMI_CONFIG, which the Go language host sets
// for `pulumi preview/up` and the mocks' runs (internal/plan.Run) set the same way.
func stackConfigKeys() ([]string, error) {
	raw := os.Getenv(pulumi.EnvConfig)
	if raw == "" {
		return nil, nil
	}
	var values map[string]any
	if err := json.Unmarshal([]byte(raw), &values); err != nil {
		return nil, fmt.Errorf("reading the stack's config keys from %s: %w", pulumi.EnvConfig, err)
	}
	keys := make([]string, 0, len(values))
	for k := range values {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys, nil
}

// unknownKey returns an error naming the first key (in sorted order) of namespace that is not
// one of known, suggesting the known key it most likely meant. Keys of other namespaces (aws:,
// kubernetes:, pulumi:) belong to their providers and the engine, but a namespace that is
// namespace misspelt ("ciagent:", "ci_agent:") is refused too: nothing reads it either.
func unknownKey(namespace string, set, known []string) error {
	for _, full := range set {
		ns, key, _ := strings.Cut(full, ":")
		if ns != namespace {
			if editDistance(strings.ToLower(ns), strings.ToLower(namespace)) <= 2 {
				return fmt.Errorf("config %s: unknown namespace %s: the program reads %s: keys, so its value would be ignored (did you mean %s:%s?)", full, ns, namespace, namespace, key)
			}
			continue
		}
		if slices.Contains(known, key) {
			continue
		}
		msg := fmt.Sprintf("config %s: unknown key: the program reads no such key, so its value would be ignored", full)
		if guess := closestKey(key, known); guess != "" {
			msg += fmt.Sprintf(" (did you mean %s:%s?)", namespace, guess)
		}
		return fmt.Errorf("%s; stacks/config_keys.go lists the keys", msg)
	}
	return nil
}

// closestKey is the known key that key differs from only in case, or else the nearest one within
// an edit distance of 2 (case ignored), or "".
func closestKey(key string, known []string) string {
	for _, k := range known {
		if strings.EqualFold(k, key) {
			return k
		}
	}
	best, bestDistance := "", 3
	for _, k := range known {
		if d := editDistance(strings.ToLower(key), strings.ToLower(k)); d < bestDistance {
			best, bestDistance = k, d
		}
	}
	return best
}

// editDistance is the Levenshtein distance between a and b, in bytes (config keys are ASCII).
func editDistance(a, b string) int {
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(b)]
}
