package stacks

import (
	"fmt"
	"math"
	"strconv"
	"strings"

	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
)

// PlatformConfig holds the keys of the phases that run on and around the cluster.
type PlatformConfig struct {
	// Phase 2: domain and TLS.
	Domain    string // ci-agent.tech in prod, a subdomain in dev
	AcmeEmail string

	// Phase 3: observability. The secret routes are optional: absent means no such receiver.
	AlertEmail        string
	AlertSlackWebhook pulumi.StringOutput
	HasSlack          bool
	AlertPagerDutyKey pulumi.StringOutput
	HasPagerDuty      bool
	// The mail relay of the e-mail receiver (e.g. email-smtp.<region>.amazonaws.com:587).
	AlertSMTPSmarthost, AlertSMTPFrom, AlertSMTPUsername string
	AlertSMTPPassword                                    pulumi.StringOutput
	HasSMTPPassword                                      bool

	// Phase 4: GitOps.
	GitRepoURL  string
	GitRevision string

	// Phase 7: load, chaos and security QA. ChaosMesh installs Chaos Mesh for the game days
	// and opens the app namespace to it (infra-0009). Default false.
	ChaosMesh bool

	// Phase 8: scaling.
	RedisNodeType string
	RedisReplicas int

	// Phase 10: cost. The app's figures size the ResourceQuota of its namespace; they are the
	// chart's (deploy/chart/ci-agent: autoscaling.maxReplicas and resources of values.yaml and
	// values-<env>.yaml), which this program cannot read, so a change there comes here too
	// (TestQuotaAdmitsTheChart fails until it does).
	AppMaxReplicas                  int
	AppCPURequest, AppMemoryRequest string
	AppMemoryLimit                  string
	SpotInstanceTypes               []string
	SpotMin, SpotMax, SpotDesired   int
	QuotaNamespaces                 []string
	BudgetEmail                     string
	BudgetCompute, BudgetDatabase   float64
	BudgetStorage, BudgetTransfer   float64
	BudgetTotal                     float64
	AnomalyThresholdUSD             float64
}

// loadPlatform reads the keys of the phases that run on the cluster (2, 3, 4, 7, 8, 10).
func (c *Config) loadPlatform(r *reader) {
	prod := c.Production()
	p := &c.Platform
	p.Domain = r.str("domain", map[bool]string{true: "ci-agent.tech", false: c.Environment + ".ci-agent.tech"}[prod])
	p.AcmeEmail = r.str("acmeEmail", "ops@"+p.Domain)

	p.AlertEmail = r.str("alertEmail", "ops@"+p.Domain)
	p.AlertSlackWebhook, p.HasSlack = r.secret("alertSlackWebhook")
	p.AlertPagerDutyKey, p.HasPagerDuty = r.secret("alertPagerDutyKey")
	p.AlertSMTPSmarthost = r.str("alertSmtpSmarthost", "")
	p.AlertSMTPFrom = r.str("alertSmtpFrom", "alertmanager@"+p.Domain)
	p.AlertSMTPUsername = r.str("alertSmtpUsername", "")
	p.AlertSMTPPassword, p.HasSMTPPassword = r.secret("alertSmtpPassword")

	p.GitRepoURL = r.str("gitRepoUrl", "https://github.com/ci-agent/ci-agent.git")
	p.GitRevision = r.str("gitRevision", "main")

	p.ChaosMesh = r.bool("chaosMesh", false)

	p.RedisNodeType = r.str("redisNodeType", map[bool]string{true: "cache.t4g.small", false: "cache.t4g.micro"}[prod])
	p.RedisReplicas = r.int("redisReplicas", pick(prod, 2, 1))

	object(r, "spotInstanceTypes", &p.SpotInstanceTypes, []string{"t3.medium", "t3a.medium"})
	p.SpotMin = r.int("spotMin", 0)
	p.SpotMax = r.int("spotMax", 5)
	p.SpotDesired = r.int("spotDesired", 1)
	object(r, "quotaNamespaces", &p.QuotaNamespaces, []string{"ci-agent"})
	p.AppMaxReplicas = r.int("appMaxReplicas", 10)
	p.AppCPURequest = r.str("appCpuRequest", map[bool]string{true: "1", false: "250m"}[prod])
	p.AppMemoryRequest = r.str("appMemoryRequest", map[bool]string{true: "384Mi", false: "192Mi"}[prod])
	p.AppMemoryLimit = r.str("appMemoryLimit", map[bool]string{true: "768Mi", false: "384Mi"}[prod])
	p.BudgetEmail = r.str("budgetEmail", p.AlertEmail)
	// The seed's monthly cost table.
	p.BudgetCompute = r.float("budgetCompute", 300)
	p.BudgetDatabase = r.float("budgetDatabase", 50)
	p.BudgetStorage = r.float("budgetStorage", 10)
	p.BudgetTransfer = r.float("budgetTransfer", 20)
	p.BudgetTotal = r.float("budgetTotal", 380)
	p.AnomalyThresholdUSD = r.float("anomalyThresholdUsd", 20)
}

// validateApp checks the app's figures the quota is sized from.
func (p PlatformConfig) validateApp() error {
	if p.AppMaxReplicas < 1 {
		return fmt.Errorf("config ci-agent:appMaxReplicas = %d: want the HPA's maxReplicas, at least 1", p.AppMaxReplicas)
	}
	for _, q := range []struct {
		key, value string
		parse      func(string) (int64, error)
	}{
		{"appCpuRequest", p.AppCPURequest, milliCPU},
		{"appMemoryRequest", p.AppMemoryRequest, mebibytes},
		{"appMemoryLimit", p.AppMemoryLimit, mebibytes},
	} {
		if _, err := q.parse(q.value); err != nil {
			return fmt.Errorf("config ci-agent:%s: %w", q.key, err)
		}
	}
	return nil
}

// milliCPU parses a Kubernetes CPU quantity ("1", "0.5", "250m") into millicores.
func milliCPU(s string) (int64, error) {
	if m, ok := strings.CutSuffix(s, "m"); ok {
		v, err := strconv.ParseInt(m, 10, 64)
		if err != nil || v <= 0 {
			return 0, fmt.Errorf("%q is not a CPU quantity like 250m or 1", s)
		}
		return v, nil
	}
	v, err := strconv.ParseFloat(s, 64)
	if err != nil || v <= 0 || math.IsInf(v, 0) {
		return 0, fmt.Errorf("%q is not a CPU quantity like 250m or 1", s)
	}
	return int64(math.Ceil(v * 1000)), nil
}

// mebibytes parses a Kubernetes memory quantity in Mi or Gi (what the chart uses).
func mebibytes(s string) (int64, error) {
	for suffix, factor := range map[string]int64{"Mi": 1, "Gi": 1024} {
		if n, ok := strings.CutSuffix(s, suffix); ok {
			v, err := strconv.ParseInt(n, 10, 64)
			if err == nil && v > 0 {
				return v * factor, nil
			}
		}
	}
	return 0, fmt.Errorf("%q is not a memory quantity like 384Mi or 1Gi", s)
}
