package stacks

import (
	"fmt"
	"math"
	"net/netip"
	"regexp"
	"slices"
	"strings"

	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi/config"

	"github.com/ci-agent/ci-agent/components"
)

// Config is the whole typed configuration of a stack, read once by LoadConfig. Components get
// values from it and never read config themselves.
type Config struct {
	Project     string
	Environment string // dev | prod
	Region      string // aws:region, the primary region
	Phases      []int  // roadmap phases this stack runs

	// Phase 1: network, cluster, registry.
	VpcCidr            string
	AzCount            int
	NatGateways        int
	KubernetesVersion  string
	PublicAccessCidrs  []string
	AdminPrincipalArns []string
	NodeInstanceTypes  []string
	NodeMin, NodeMax   int
	NodeDesired        int
	Repositories       []string
	EcrKeepTagged      int
	// RegistryOwner: this stack creates the ECR repositories and, with phase 9, the
	// registry-wide replication configuration. False: another stack of the same account and
	// region owns them (dev uses prod's), or ECR replication made them (a recovery stack in a
	// DR region), and this stack only points the app at them (infra-0008). Default true.
	RegistryOwner bool

	// Phase 5: CI/CD. GitHubRepository ("owner/name") is the repository whose workflows
	// may assume the CI roles; required with phase 5. GitHubOIDCProviderArn names the
	// account's GitHub OIDC provider when it exists already; empty creates it.
	GitHubRepository      string
	GitHubOIDCProviderArn string

	// Phase 6: database.
	DbInstanceClass        string
	DbAllocatedStorage     int
	DbMaxAllocatedStorage  int
	DbMultiAz              bool
	DbBackupRetentionDays  int
	DbPasswordRotationDays int
	// RDSOSMetricsOwner: this stack creates the account's and region's RDSOSMetrics log group,
	// which Enhanced Monitoring writes to for every instance there, with the network's log key
	// and a retention. False: another stack of the same account and region owns it (dev uses
	// prod's) and this one reads it, failing while it is missing. Exactly one stack per account
	// and region that runs phase 6 sets it (docs/infra.md, Database). Default true.
	RDSOSMetricsOwner bool

	// Where the app's database is, when not phase 6's RDS Proxy and secret (a promoted DR
	// replica: docs/runbooks/region-failover.md). Set, they replace the Application's
	// database.host and database.secretArn; the app's role may also read that secret and
	// decrypt it with DatabaseKeyArnOverride. Empty: phase 6's.
	DatabaseHostOverride      string
	DatabaseSecretArnOverride string
	DatabaseKeyArnOverride    string

	// Phase 9: disaster recovery.
	SecondaryRegions    []string
	SecondaryVpcCidrs   []string
	BackupVaultLock     bool
	BackupRetentionDays int

	// Phases 2, 3, 4, 7, 8 and 10.
	Platform PlatformConfig

	// Phase 2's zone: created on a delegation set, or a live one (config_dns.go).
	Zone ZoneConfig
	// SkipUsEast1: the stack creates nothing in us-east-1, for the recovery stack of
	// region-failover.md while that region is down: phase 3 no external health check, alarm
	// and topic, phase 8 no CloudFront distribution and certificate (prod's distribution keeps
	// serving api.<domain> from origin.<domain>, which the app's ingress sets). Default false.
	SkipUsEast1 bool
}

// Production reports whether this is the production environment (deletion protection, final
// snapshots, vault lock defaults).
func (c Config) Production() bool { return c.Environment == "prod" }

// inClusterPhases install into the cluster through its API from where pulumi runs.
var inClusterPhases = []int{2, 3, 4, 7, 8, 10}

// PrivateEndpoint reports whether the EKS API endpoint is private only (ci-agent:publicAccessCidrs
// empty): reachable from the VPC alone, not from GitHub-hosted runners or a laptop.
func (c Config) PrivateEndpoint() bool { return len(c.PublicAccessCidrs) == 0 }

// HostedRunnersReachAPI reports whether GitHub-hosted runners can count on reaching the EKS API.
// They cannot, whatever the config: a private endpoint is reachable from the VPC alone, and a
// public one only from ci-agent:publicAccessCidrs, ranges no shorter than /8 that GitHub's many,
// ever-changing egress ranges do not fit in (an office's /32 certainly not). Jobs that need the
// API run on self-hosted runners, in the VPC or with their egress listed.
func (c Config) HostedRunnersReachAPI() bool { return false }

// PulumiUsesClusterAPI reports whether `pulumi preview/up` of this stack talks to the cluster's
// API (phases 2, 3, 4, 7, 8 and 10 install into it).
func (c Config) PulumiUsesClusterAPI() bool { return slices.ContainsFunc(inClusterPhases, c.Enabled) }

// ChaosInjection reports whether this stack installs Chaos Mesh (phase 7 with
// ci-agent:chaosMesh) and so opens the app namespace to its experiments.
func (c Config) ChaosInjection() bool { return c.Enabled(7) && c.Platform.ChaosMesh }

// Warnings are what `pulumi preview` says about a configuration that is valid but will not
// do what its owner most likely wants; the program goes on.
func (c Config) Warnings() []string {
	var out []string
	if c.PrivateEndpoint() && c.PulumiUsesClusterAPI() {
		out = append(out, "ci-agent:publicAccessCidrs is empty, so the EKS API endpoint is private: phases 2, 3, 4, 7, 8 and 10 "+
			"(and the VPC CNI) talk to it from where `pulumi up` runs, and time out unless that is inside the VPC "+
			"(a VPN, SSM, a runner in the VPC). Set it to the CIDRs of the machines that deploy, or run them in the VPC "+
			"(docs/infra.md, \"Reaching the EKS API\").")
	}
	if c.Enabled(4) && !c.Enabled(6) && c.DatabaseHostOverride == "" {
		out = append(out, "phase 4 runs without phase 6 and ci-agent:databaseHostOverride is empty: the Application passes no "+
			"database.host or database.secretArn, so the app gets values-"+c.Environment+".yaml's placeholders. Set "+
			"databaseHostOverride and databaseSecretArnOverride (docs/runbooks/region-failover.md, step 3).")
	}
	if c.DatabaseSecretArnOverride != "" && c.DatabaseKeyArnOverride == "" {
		out = append(out, "ci-agent:databaseSecretArnOverride is set without ci-agent:databaseKeyArnOverride: the app's role may "+
			"decrypt only with the platform's keys, so External Secrets cannot read the secret unless it is encrypted with the "+
			"aws/secretsmanager key.")
	}
	if !c.Enabled(4) && (c.DatabaseHostOverride != "" || c.DatabaseSecretArnOverride != "") {
		out = append(out, "ci-agent:databaseHostOverride/databaseSecretArnOverride have no effect without phase 4 (the Application).")
	}
	if c.Enabled(9) && !c.RegistryOwner && len(c.SecondaryRegions) > 0 {
		out = append(out, "phase 9 runs but ci-agent:registryOwner is false: this stack does not replicate images (ECR replication is "+
			"registry-wide and belongs to the stack that owns the repositories), so "+strings.Join(c.SecondaryRegions, " and ")+
			" get images only if the owner stack replicates to them.")
	}
	if c.Platform.ChaosMesh && !c.Enabled(7) {
		out = append(out, "ci-agent:chaosMesh is true but phase 7 is not in ci-agent:phases: Chaos Mesh is not installed.")
	}
	// The program creates the zone of ci-agent:domain with no MX record, so nothing receives
	// mail there: the SNS e-mail subscription is never confirmed and the budget mails bounce.
	zone, unless := c.mailZone()
	if c.Enabled(3) && underDomain(c.Platform.AlertEmail, c.Platform.Domain) {
		out = append(out, "ci-agent:alertEmail is "+c.Platform.AlertEmail+", "+zone+": "+unless+
			"nobody receives the alerts, and the SNS e-mail subscription is never confirmed. Set it to a mailbox that exists.")
	}
	if c.Enabled(10) && underDomain(c.Platform.BudgetEmail, c.Platform.Domain) {
		out = append(out, "ci-agent:budgetEmail is "+c.Platform.BudgetEmail+", "+zone+": "+unless+
			"the budget and cost-anomaly mails bounce. Set it (or alertEmail, its default) to a mailbox that exists.")
	}
	if c.Enabled(3) && c.Platform.AlertSMTPSmarthost == "" {
		out = append(out, "ci-agent:alertSmtpSmarthost is empty: Alertmanager has no e-mail receiver, so alerts reach "+
			c.Platform.AlertEmail+" only if a mail relay is set, and nobody at all without Slack or PagerDuty.")
	}
	out = append(out, c.zoneWarnings()...)
	return out
}

// mailZone says, for the warnings above, which zone an address under ci-agent:domain is in: the
// zone this stack creates, or (a recovery stack) the live zone it only uses, which the owner's
// stack created with this same program, so also without MX records, though someone may have
// added one there since (then unless is the caveat that goes before the consequence).
func (c Config) mailZone() (zone, unless string) {
	if c.Zone.ExistingZoneID != "" {
		return "in the live zone " + c.Zone.ExistingZoneID + " (ci-agent:existingZoneId) that this stack uses, which its owner's " +
			"stack created without MX records", "unless one was added there by hand, "
	}
	return "in the zone this stack creates without MX records", ""
}

// underDomain reports whether the e-mail address is at domain or a subdomain of it.
func underDomain(address, domain string) bool {
	at := strings.LastIndex(address, "@")
	if at < 0 || domain == "" {
		return false
	}
	host := strings.ToLower(address[at+1:])
	domain = strings.ToLower(domain)
	return host == domain || strings.HasSuffix(host, "."+domain)
}

// AppIngressCidrs are the ranges the app's pods admit connections from (the chart's
// networkPolicy.ingressCidrs): this stack's VPC, where its load balancer is.
func (c Config) AppIngressCidrs() []string { return []string{c.VpcCidr} }

// AppEgressCidrs are the ranges the app's pods may connect to on the database and cache ports
// (networkPolicy.egressCidrs): this stack's VPC and, with phase 9, each DR region's VPC, which
// the peering reaches. A stack without phase 9 knows no DR VPC (the recovery stack's replica
// VPC is peered by hand, region-failover.md step 3).
func (c Config) AppEgressCidrs() []string {
	out := []string{c.VpcCidr}
	if c.Enabled(9) {
		out = append(out, c.SecondaryVpcCidrs[:len(c.SecondaryRegions)]...)
	}
	return out
}

// Enabled reports whether the stack runs phase n.
func (c Config) Enabled(n int) bool { return slices.Contains(c.Phases, n) }

// LoadConfig reads the stack's configuration with explicit defaults and validates it. A key
// that is present but malformed is an error, never silently the default.
func LoadConfig(ctx *pulumi.Context) (Config, error) {
	set, err := stackConfigKeys()
	if err != nil {
		return Config{}, err
	}
	if err := unknownKey(ctx.Project(), set, configKeys); err != nil {
		return Config{}, err
	}
	r := reader{cfg: config.New(ctx, ""), read: map[string]bool{}}
	c := Config{
		Project:     ctx.Project(),
		Environment: r.require("environment"),
		Region:      config.New(ctx, "aws").Require("region"),
	}
	prod := c.Production()

	object(&r, "phases", &c.Phases, []int{1, 6, 9})

	c.VpcCidr = r.str("vpcCidr", "10.0.0.0/16")
	c.AzCount = r.int("azCount", 3)
	c.NatGateways = r.int("natGateways", pick(prod, c.AzCount, 1))
	c.KubernetesVersion = r.str("kubernetesVersion", "1.35") // 1.33 left EKS standard support on 2026-07-29: 6x the control-plane price
	object(&r, "publicAccessCidrs", &c.PublicAccessCidrs, []string(nil))
	object(&r, "adminPrincipalArns", &c.AdminPrincipalArns, []string(nil))
	object(&r, "nodeInstanceTypes", &c.NodeInstanceTypes, []string{"t3.medium"})
	c.NodeMin = r.int("nodeMin", 3)
	c.NodeMax = r.int("nodeMax", 10)
	c.NodeDesired = r.int("nodeDesired", c.NodeMin)
	object(&r, "repositories", &c.Repositories, []string{"ci-agent"})
	c.EcrKeepTagged = r.int("ecrKeepTagged", 30)
	c.RegistryOwner = r.bool("registryOwner", true)
	c.GitHubRepository = r.str("githubRepository", "")
	c.GitHubOIDCProviderArn = r.str("githubOidcProviderArn", "")

	c.DbInstanceClass = r.str("dbInstanceClass", "db.t4g.medium")
	c.DbAllocatedStorage = r.int("dbAllocatedStorage", 100)
	c.DbMaxAllocatedStorage = r.int("dbMaxAllocatedStorage", 2*c.DbAllocatedStorage)
	c.DbMultiAz = r.bool("dbMultiAz", prod)
	// AWS Backup's continuous rule (phase 9) sets the instance's retention to its own and keeps
	// it there, so with phase 9 the two are one value (validate refuses a difference): a
	// different dbBackupRetentionDays would be set back by AWS Backup after each up, and
	// every `pulumi up --refresh` would set it again.
	c.BackupRetentionDays = r.int("backupRetentionDays", 35)
	c.DbBackupRetentionDays = r.int("dbBackupRetentionDays", pick(c.Enabled(9), c.BackupRetentionDays, 30))
	c.DbPasswordRotationDays = r.int("dbPasswordRotationDays", 7)
	c.RDSOSMetricsOwner = r.bool("rdsOsMetricsOwner", true)
	c.DatabaseHostOverride = r.str("databaseHostOverride", "")
	c.DatabaseSecretArnOverride = r.str("databaseSecretArnOverride", "")
	c.DatabaseKeyArnOverride = r.str("databaseKeyArnOverride", "")

	object(&r, "secondaryRegions", &c.SecondaryRegions, []string{"eu-west-1", "ap-southeast-1"})
	object(&r, "secondaryVpcCidrs", &c.SecondaryVpcCidrs, []string{"10.1.0.0/16", "10.2.0.0/16"})
	c.BackupVaultLock = r.bool("backupVaultLock", prod)

	c.loadPlatform(&r)
	c.loadZone(&r)
	if r.err != nil {
		return c, r.err
	}
	for _, key := range configKeys {
		if !r.read[key] {
			return c, fmt.Errorf("config ci-agent:%s is in configKeys (stacks/config_keys.go) but LoadConfig never reads it: "+
				"read it, unconditionally, or remove it from the list", key)
		}
	}
	return c, c.validate()
}

// reader reads optional keys with defaults and keeps the first malformed-value error. Every
// key goes through get, which records it and refuses a key configKeys does not list.
type reader struct {
	cfg  *config.Config
	err  error
	read map[string]bool
}

// get returns the key's raw value, "" when the stack does not set it.
func (r *reader) get(key string) string {
	if !slices.Contains(configKeys, key) {
		r.fail(key, fmt.Errorf("the program reads a key that configKeys (stacks/config_keys.go) does not list; add it there"))
	}
	r.read[key] = true
	return r.cfg.Get(key)
}

func (r *reader) require(key string) string {
	r.get(key)
	return r.cfg.Require(key)
}

// secret returns a secret key's value and whether the stack sets it.
func (r *reader) secret(key string) (pulumi.StringOutput, bool) {
	set := r.get(key) != ""
	return r.cfg.GetSecret(key), set
}

func (r *reader) fail(key string, err error) {
	if r.err == nil {
		r.err = fmt.Errorf("config ci-agent:%s: %w", key, err)
	}
}

func (r *reader) str(key, def string) string {
	if v := r.get(key); v != "" {
		return v
	}
	return def
}

func (r *reader) int(key string, def int) int {
	if r.get(key) == "" {
		return def
	}
	v, err := r.cfg.TryInt(key)
	if err != nil {
		r.fail(key, err)
	}
	return v
}

func (r *reader) bool(key string, def bool) bool {
	if r.get(key) == "" {
		return def
	}
	v, err := r.cfg.TryBool(key)
	if err != nil {
		r.fail(key, err)
	}
	return v
}

func (r *reader) float(key string, def float64) float64 {
	if r.get(key) == "" {
		return def
	}
	v, err := r.cfg.TryFloat64(key)
	if err != nil {
		r.fail(key, err)
	}
	return v
}

// object decodes a structured (list or map) value into out, or sets def when absent.
func object[T any](r *reader, key string, out *T, def T) {
	if r.get(key) == "" {
		*out = def
		return
	}
	if err := r.cfg.TryObject(key, out); err != nil {
		r.fail(key, err)
	}
}

func (c Config) validate() error {
	if c.Environment != "dev" && c.Environment != "prod" {
		return fmt.Errorf("config ci-agent:environment = %q; want dev or prod", c.Environment)
	}
	for _, n := range c.Phases {
		if _, ok := phaseNames[n]; !ok {
			return fmt.Errorf("config ci-agent:phases: unknown phase %d", n)
		}
		for _, need := range phaseNeeds[n] {
			if !c.Enabled(need) {
				return fmt.Errorf("config ci-agent:phases: phase %d needs phase %d", n, need)
			}
		}
	}
	if c.Enabled(5) && c.GitHubRepository == "" {
		return fmt.Errorf("config ci-agent:githubRepository: phase 5 needs the GitHub repository (owner/name) whose workflows assume the CI roles")
	}
	if c.Enabled(9) {
		if err := c.validateDR(); err != nil {
			return err
		}
	}
	if err := c.validateDatabaseOverride(); err != nil {
		return err
	}
	// A node group of no node: the component used to take 0/0 for "unset" and build 3..10.
	if c.NodeMax < 1 || c.NodeMin < 0 {
		return fmt.Errorf("config: ci-agent:nodeMin = %d, ci-agent:nodeMax = %d: the on-demand node group needs nodeMax >= 1 and nodeMin >= 0 "+
			"(the cluster's system pods and the cluster-autoscaler run on it, and EKS refuses a maximum of 0)", c.NodeMin, c.NodeMax)
	}
	if c.NodeMin > c.NodeDesired || c.NodeDesired > c.NodeMax {
		return fmt.Errorf("config: want nodeMin <= nodeDesired <= nodeMax, got %d/%d/%d", c.NodeMin, c.NodeDesired, c.NodeMax)
	}
	if err := c.validateZone(); err != nil {
		return err
	}
	return c.validateRanges()
}

// kubernetesVersion is a control-plane minor version: EKS takes "1.35", and the
// cluster-autoscaler's image tag is built as "v"+version+".0".
var kubernetesVersion = regexp.MustCompile(`^\d+\.\d+$`)

// awsRegion is an AWS region name (eu-west-1, us-gov-west-1).
var awsRegion = regexp.MustCompile(`^[a-z]{2}(-gov)?-[a-z]+-\d$`)

// needsEgress are the phases that need the private subnets' route to the internet (the NAT),
// and why; the VPC endpoints (ECR, S3, STS) cover the nodes' own images only.
var needsEgress = map[int]string{
	2: "external-dns, cert-manager (Let's Encrypt) and the load balancer controller could neither pull their public images nor reach their APIs",
	3: "the monitoring charts could not pull their public images, nor Alertmanager reach its receivers",
	4: "Argo CD could not pull its images nor fetch the Git repository",
	6: "the password-rotation Lambda could not reach Secrets Manager (no VPC endpoint), so rotation would fail",
	7: "Chaos Mesh could not pull its public images",
	8: "the cluster-autoscaler and metrics-server could not pull their public images",
}

// vaultLockMinDays is the MinRetentionDays of phase 9's vault locks (components/dr.go): a locked
// vault fails backup jobs whose recovery points would be kept less.
const vaultLockMinDays = 7

// validateRanges checks the keys whose values AWS or the components take only within bounds,
// so that a wrong value stops the program here, named by its key, rather than in a failed
// `pulumi up` or a component's error without the key's name.
func (c Config) validateRanges() error {
	if c.NatGateways < 0 || c.NatGateways > c.AzCount {
		return fmt.Errorf("config ci-agent:natGateways = %d: want 1 to ci-agent:azCount (%d), one NAT at most per AZ", c.NatGateways, c.AzCount)
	}
	if c.NatGateways == 0 {
		for _, n := range phaseOrder {
			if why, ok := needsEgress[n]; ok && c.Enabled(n) {
				return fmt.Errorf("config ci-agent:natGateways = 0 with phase %d: the private subnets would have no route out, and %s; "+
					"set natGateways to 1 or more", n, why)
			}
		}
		// Phase 1 is always on, and its nodes need a route out too: the VPC endpoints are S3,
		// ECR and STS only, and the VPC CNI and the EBS CSI driver call the EC2 API, so the
		// nodes would stay NotReady and the node group fail after a long wait.
		return fmt.Errorf("config ci-agent:natGateways = 0: the private subnets would have no route out, and phase 1's nodes " +
			"could not reach the EC2 API (the VPC CNI and the EBS CSI driver call it; the VPC has no ec2 endpoint); set natGateways to 1 or more")
	}
	if err := validatePublicAccessCidrs(c.PublicAccessCidrs); err != nil {
		return err
	}
	if !strings.HasPrefix(c.DbInstanceClass, "db.") {
		return fmt.Errorf("config ci-agent:dbInstanceClass = %q: want an RDS instance class like db.t4g.medium", c.DbInstanceClass)
	}
	if !strings.HasPrefix(c.Platform.RedisNodeType, "cache.") {
		return fmt.Errorf("config ci-agent:redisNodeType = %q: want an ElastiCache node type like cache.t4g.small", c.Platform.RedisNodeType)
	}
	for i, region := range c.SecondaryRegions {
		if !awsRegion.MatchString(region) {
			return fmt.Errorf("config ci-agent:secondaryRegions[%d] = %q: want an AWS region name like eu-west-1", i, region)
		}
	}
	if d := c.Platform.Domain; !strings.Contains(d, ".") || len(d) > 253 || components.ValidSubdomain(d) != nil {
		return fmt.Errorf("config ci-agent:domain = %q: want a DNS name like ci-agent.tech (lower-case labels of letters, digits "+
			"and '-', separated by dots, no trailing dot)", d)
	}
	for _, b := range []struct {
		key   string
		value float64
	}{
		{"budgetCompute", c.Platform.BudgetCompute}, {"budgetDatabase", c.Platform.BudgetDatabase},
		{"budgetStorage", c.Platform.BudgetStorage}, {"budgetTransfer", c.Platform.BudgetTransfer},
		{"budgetTotal", c.Platform.BudgetTotal},
	} {
		if !(b.value > 0) || math.IsInf(b.value, 0) {
			return fmt.Errorf("config ci-agent:%s = %v: want a monthly amount in USD above 0 (AWS Budgets refuses 0)", b.key, b.value)
		}
	}
	if !kubernetesVersion.MatchString(c.KubernetesVersion) {
		return fmt.Errorf("config ci-agent:kubernetesVersion = %q: want a minor version like 1.35 (EKS takes no patch level, "+
			"and the cluster-autoscaler's image tag is v<version>.0)", c.KubernetesVersion)
	}
	// The lifecycle of AWS Backup's rules, the continuous one's maximum being 35 days.
	if d := c.BackupRetentionDays; d < 1 || d > 35 {
		return fmt.Errorf("config ci-agent:backupRetentionDays = %d: AWS Backup's continuous backup keeps 1 to 35 days", d)
	}
	// RDS keeps automated backups 1..35 days (0 turns them off, and a replica needs them).
	if d := c.DbBackupRetentionDays; d < 1 || d > 35 {
		return fmt.Errorf("config ci-agent:dbBackupRetentionDays = %d: RDS keeps automated backups 1 to 35 days", d)
	}
	if c.Enabled(9) && c.BackupVaultLock && c.BackupRetentionDays < vaultLockMinDays {
		return fmt.Errorf("config ci-agent:backupRetentionDays = %d: the locked vault (ci-agent:backupVaultLock) refuses recovery points "+
			"kept less than %d days", c.BackupRetentionDays, vaultLockMinDays)
	}
	if c.Enabled(9) && c.DbBackupRetentionDays != c.BackupRetentionDays {
		return fmt.Errorf("config ci-agent:dbBackupRetentionDays = %d but ci-agent:backupRetentionDays = %d: with phase 9, AWS Backup's "+
			"continuous rule sets the instance's retention to its own, so set both to the same value (or leave "+
			"dbBackupRetentionDays out)", c.DbBackupRetentionDays, c.BackupRetentionDays)
	}
	p := c.Platform
	if p.SpotMin > p.SpotDesired || p.SpotDesired > p.SpotMax || p.SpotMax < 1 {
		return fmt.Errorf("config: want ci-agent:spotMin <= ci-agent:spotDesired <= ci-agent:spotMax and spotMax >= 1, got %d/%d/%d",
			p.SpotMin, p.SpotDesired, p.SpotMax)
	}
	if p.AlertSMTPUsername != "" && !p.HasSMTPPassword {
		return fmt.Errorf("config ci-agent:alertSmtpUsername is set without the secret ci-agent:alertSmtpPassword: the relay would " +
			"refuse Alertmanager's login (pulumi config set --secret ci-agent:alertSmtpPassword …)")
	}
	return c.Platform.validateApp()
}

// MaxPublicAccessCidrs is EKS's limit on a cluster's public access CIDR blocks (the "Public
// endpoint access CIDR ranges per cluster" service quota, 40; the EKS user guide says a maximum
// exists and points to the quotas). Past it, UpdateClusterConfig fails mid-`up`.
const MaxPublicAccessCidrs = 40

// MinPublicAccessPrefix is the shortest prefix ci-agent:publicAccessCidrs takes: a /7 is 33
// million addresses, many networks that are not ours, and 0.0.0.0/1 plus 128.0.0.0/1 is the whole
// internet in two entries. internal/plan's `public` rule flags the same on the cluster.
const MinPublicAccessPrefix = 8

// notGlobal are the IPv4 ranges no deploying machine reaches the internet from (RFC 6890):
// a public endpoint's allow-list naming one lets nobody in (EKS also refuses reserved blocks).
var notGlobal = []struct {
	prefix netip.Prefix
	what   string
}{
	{netip.MustParsePrefix("0.0.0.0/8"), `"this network" (0.0.0.0/8, unspecified)`},
	{netip.MustParsePrefix("10.0.0.0/8"), "private (RFC 1918)"},
	{netip.MustParsePrefix("100.64.0.0/10"), "carrier-grade NAT shared space (100.64.0.0/10)"},
	{netip.MustParsePrefix("127.0.0.0/8"), "loopback"},
	{netip.MustParsePrefix("169.254.0.0/16"), "link-local"},
	{netip.MustParsePrefix("172.16.0.0/12"), "private (RFC 1918)"},
	{netip.MustParsePrefix("192.0.0.0/24"), "IETF protocol assignments (192.0.0.0/24)"},
	{netip.MustParsePrefix("192.0.2.0/24"), "documentation (TEST-NET-1, 192.0.2.0/24)"},
	{netip.MustParsePrefix("192.88.99.0/24"), "the deprecated 6to4 relay anycast (192.88.99.0/24)"},
	{netip.MustParsePrefix("192.168.0.0/16"), "private (RFC 1918)"},
	{netip.MustParsePrefix("198.18.0.0/15"), "benchmarking (198.18.0.0/15)"},
	{netip.MustParsePrefix("198.51.100.0/24"), "documentation (TEST-NET-2, 198.51.100.0/24)"},
	{netip.MustParsePrefix("203.0.113.0/24"), "documentation (TEST-NET-3, 203.0.113.0/24)"},
	{netip.MustParsePrefix("224.0.0.0/4"), "multicast"},
	{netip.MustParsePrefix("240.0.0.0/4"), "reserved (240.0.0.0/4, with the broadcast 255.255.255.255)"},
}

// validatePublicAccessCidrs checks ci-agent:publicAccessCidrs, the ranges the EKS API endpoint
// is public to (empty: private only). Each must be an IPv4 CIDR in its canonical form (EKS takes
// IPv6 blocks only on IPv6 clusters, and this one is IPv4), globally routable (no private,
// loopback, link-local, CGNAT, IETF, documentation, 6to4 relay, benchmarking, multicast, reserved
// or broadcast range, and none
// overlapping one), no shorter than /MinPublicAccessPrefix, none a duplicate of or overlapping
// another, and at most MaxPublicAccessCidrs of them. The whole internet, 0.0.0.0/0 or split in
// parts, is refused: EKS would accept it and the API would answer anyone.
func validatePublicAccessCidrs(cidrs []string) error {
	const doc = `(docs/infra.md, "Reaching the EKS API")`
	if len(cidrs) > MaxPublicAccessCidrs {
		return fmt.Errorf("config ci-agent:publicAccessCidrs has %d ranges; EKS takes at most %d per cluster (its service quota), "+
			"and `up` would fail half-way: merge them, or reach the API from inside the VPC %s", len(cidrs), MaxPublicAccessCidrs, doc)
	}
	prefixes := make([]netip.Prefix, len(cidrs))
	for i, cidr := range cidrs {
		key := fmt.Sprintf("config ci-agent:publicAccessCidrs[%d] = %q", i, cidr)
		prefix, err := netip.ParsePrefix(cidr)
		switch {
		case err != nil:
			return fmt.Errorf("%s: not a CIDR; want the deploying machines' egress ranges, like 35.180.1.0/24 or 34.201.10.7/32 %s", key, doc)
		case !prefix.Addr().Is4():
			return fmt.Errorf("%s: want an IPv4 CIDR (EKS takes IPv6 ranges only on IPv6 clusters, and this cluster is IPv4)", key)
		case prefix.Bits() == 0:
			return fmt.Errorf("%s: would open the EKS API endpoint to the whole internet; list the ranges of the machines that deploy, "+
				"or leave the key empty for a private endpoint %s", key, doc)
		case prefix != prefix.Masked():
			return fmt.Errorf("%s: has host bits set; did you mean %s?", key, prefix.Masked())
		case prefix.Bits() < MinPublicAccessPrefix:
			return fmt.Errorf("%s: a /%d holds %d addresses, most of them other people's (0.0.0.0/1 and 128.0.0.0/1 are the whole "+
				"internet); want /%d or longer: the egress ranges of the machines that deploy %s",
				key, prefix.Bits(), uint64(1)<<(32-prefix.Bits()), MinPublicAccessPrefix, doc)
		}
		for _, r := range notGlobal {
			if prefix.Overlaps(r.prefix) {
				return fmt.Errorf("%s: overlaps %s, which is %s and not routable on the internet: no machine reaches the public "+
					"endpoint from there (one inside the VPC uses the private endpoint; EKS refuses reserved blocks) %s", key, r.prefix, r.what, doc)
			}
		}
		for j, other := range prefixes[:i] {
			if prefix == other {
				return fmt.Errorf("%s: duplicates ci-agent:publicAccessCidrs[%d]", key, j)
			}
			if prefix.Overlaps(other) {
				return fmt.Errorf("%s: overlaps ci-agent:publicAccessCidrs[%d] = %q; list each range once, the wider one alone", key, j, other)
			}
		}
		prefixes[i] = prefix
	}
	return nil
}

func pick(cond bool, a, b int) int {
	if cond {
		return a
	}
	return b
}

// validateDR checks the secondary regions and their VPC ranges: one range per region, no region
// twice or equal to the primary, and no two ranges (the primary's included) overlapping, since
// phase 9 peers every DR VPC with the primary VPC.
func (c Config) validateDR() error {
	if len(c.SecondaryVpcCidrs) < len(c.SecondaryRegions) {
		return fmt.Errorf("config: %d secondaryRegions but %d secondaryVpcCidrs", len(c.SecondaryRegions), len(c.SecondaryVpcCidrs))
	}
	cidrs := map[string]string{"ci-agent:vpcCidr": c.VpcCidr}
	for i, region := range c.SecondaryRegions {
		if region == c.Region {
			return fmt.Errorf("config ci-agent:secondaryRegions: %s is the primary region (aws:region)", region)
		}
		if slices.Index(c.SecondaryRegions, region) != i {
			return fmt.Errorf("config ci-agent:secondaryRegions: %s is listed twice", region)
		}
		cidrs[fmt.Sprintf("ci-agent:secondaryVpcCidrs[%d] (%s)", i, region)] = c.SecondaryVpcCidrs[i]
	}
	if err := components.DisjointCidrs(cidrs); err != nil {
		return fmt.Errorf("config: %w", err)
	}
	return nil
}

// validateDatabaseOverride checks the keys that point the app at another database. The chart's
// one SecretStore reads Secrets Manager in the stack's region, and the app's role decrypts only
// through Secrets Manager of that region, so the secret and its key must be of that region.
func (c Config) validateDatabaseOverride() error {
	if h := c.DatabaseHostOverride; h != "" && (strings.ContainsAny(h, ":/ \t") || !strings.Contains(h, ".")) {
		return fmt.Errorf("config ci-agent:databaseHostOverride = %q: want a host name (the promoted instance's endpoint address), without scheme or port", h)
	}
	if a := c.DatabaseSecretArnOverride; a != "" {
		region, err := arnRegion(a, "secretsmanager", "secret:")
		if err != nil {
			return fmt.Errorf("config ci-agent:databaseSecretArnOverride: %w", err)
		}
		if region != c.Region {
			return fmt.Errorf("config ci-agent:databaseSecretArnOverride: the secret is in %s, but the app's SecretStore reads Secrets Manager "+
				"in %s (aws:region): use a secret of %s (in the primary cluster, keep the primary's databaseSecretArn: its password is "+
				"valid on a promoted replica)", region, c.Region, c.Region)
		}
	}
	if a := c.DatabaseKeyArnOverride; a != "" {
		if c.DatabaseSecretArnOverride == "" {
			return fmt.Errorf("config ci-agent:databaseKeyArnOverride is set without ci-agent:databaseSecretArnOverride: it is that secret's key")
		}
		region, err := arnRegion(a, "kms", "key/")
		if err != nil {
			return fmt.Errorf("config ci-agent:databaseKeyArnOverride: %w", err)
		}
		if region != c.Region {
			return fmt.Errorf("config ci-agent:databaseKeyArnOverride: the key is in %s; a secret of %s is encrypted with a key of %s", region, c.Region, c.Region)
		}
	}
	if !c.Enabled(6) && (c.DatabaseHostOverride != "") != (c.DatabaseSecretArnOverride != "") {
		return fmt.Errorf("config: without phase 6 set both ci-agent:databaseHostOverride and ci-agent:databaseSecretArnOverride (there is no database of this stack to take the other from)")
	}
	return nil
}

// arnRegion returns the region of an ARN of service whose resource part starts with resource.
func arnRegion(arn, service, resource string) (string, error) {
	parts := strings.SplitN(arn, ":", 6)
	if len(parts) != 6 || parts[0] != "arn" || !strings.HasPrefix(parts[1], "aws") || parts[2] != service ||
		parts[3] == "" || len(parts[4]) != 12 || !strings.HasPrefix(parts[5], resource) {
		return "", fmt.Errorf("%q is not an ARN like arn:aws:%s:<region>:<account>:%s…", arn, service, resource)
	}
	return parts[3], nil
}
