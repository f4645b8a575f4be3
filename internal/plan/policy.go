package plan

import (
	"fmt"
	"net/netip"
	"slices"
	"sort"
	"strings"
)

// RequiredTags are the tags every taggable AWS resource carries (cost allocation and ownership).
var RequiredTags = []string{"Project", "Environment", "Phase", "ManagedBy"}

// Finding is one policy violation.
type Finding struct {
	Rule     string `json:"rule"`
	Type     string `json:"type"`
	Name     string `json:"name"`
	Phase    string `json:"phase"`
	Message  string `json:"message"`
	Severity string `json:"severity"`
}

func (f Finding) String() string {
	return fmt.Sprintf("[%s] %s %s (%s): %s", f.Rule, f.Type, f.Name, f.Phase, f.Message)
}

// untaggable lists AWS types whose API has no tags (associations, rules, policies, attachments).
// Every other aws:* resource must carry RequiredTags; a new untaggable type is added here on
// purpose, with the policy test failing until then.
var untaggable = map[string]bool{
	"aws:ec2/route:Route": true,
	"aws:ec2/routeTableAssociation:RouteTableAssociation":                                        true,
	"aws:ec2/securityGroupRule:SecurityGroupRule":                                                true,
	"aws:iam/rolePolicy:RolePolicy":                                                              true,
	"aws:iam/rolePolicyAttachment:RolePolicyAttachment":                                          true,
	"aws:ecr/lifecyclePolicy:LifecyclePolicy":                                                    true,
	"aws:ecr/replicationConfiguration:ReplicationConfiguration":                                  true,
	"aws:kms/alias:Alias":                                                                        true,
	"aws:rds/proxyDefaultTargetGroup:ProxyDefaultTargetGroup":                                    true,
	"aws:rds/proxyTarget:ProxyTarget":                                                            true,
	"aws:rds/instanceAutomatedBackupsReplication:InstanceAutomatedBackupsReplication":            true,
	"aws:secretsmanager/secretRotation:SecretRotation":                                           true,
	"aws:backup/selection:Selection":                                                             true,
	"aws:backup/vaultLockConfiguration:VaultLockConfiguration":                                   true,
	"aws:backup/restoreTestingSelection:RestoreTestingSelection":                                 true,
	"aws:route53/record:Record":                                                                  true,
	"aws:route53/zoneAssociation:ZoneAssociation":                                                true,
	"aws:route53/delegationSet:DelegationSet":                                                    true,
	"aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock":                                     true,
	"aws:s3/bucketServerSideEncryptionConfigurationV2:BucketServerSideEncryptionConfigurationV2": true,
	"aws:s3/bucketLifecycleConfigurationV2:BucketLifecycleConfigurationV2":                       true,
	"aws:s3/bucketVersioningV2:BucketVersioningV2":                                               true,
	"aws:s3/bucketPolicy:BucketPolicy":                                                           true,
	"aws:acm/certificateValidation:CertificateValidation":                                        true,
	"aws:cloudfront/responseHeadersPolicy:ResponseHeadersPolicy":                                 true,
	"aws:cloudfront/originAccessControl:OriginAccessControl":                                     true,
	"aws:sns/topicSubscription:TopicSubscription":                                                true,
	"aws:secretsmanager/secretVersion:SecretVersion":                                             true,
	"aws:sns/topicPolicy:TopicPolicy":                                                            true,
}

// Check runs every policy rule over the registered resources and returns the findings, sorted.
func Check(resources []*Resource) []Finding {
	var findings []Finding
	add := func(rule string, r *Resource, format string, args ...any) {
		findings = append(findings, Finding{
			Rule: rule, Type: r.Type, Name: r.Name, Phase: r.Phase,
			Message: fmt.Sprintf(format, args...), Severity: "error",
		})
	}

	bucketEncrypted := map[string]bool{}
	bucketBlocked := map[string]bool{}
	logGroups := map[string]bool{} // region + " " + name of every log group the program creates or reads
	for _, r := range resources {
		switch r.Type {
		case "aws:cloudwatch/logGroup:LogGroup":
			if name, ok := r.Input("name").(string); ok {
				logGroups[r.Region+" "+name] = true
			}
			// A read (cloudwatch.GetLogGroup) names the group by its id: another stack created
			// it, and the read fails while it is missing, so AWS cannot create it first.
			if r.Read && r.ID != "" {
				logGroups[r.Region+" "+r.ID] = true
			}
		case "aws:s3/bucketServerSideEncryptionConfigurationV2:BucketServerSideEncryptionConfigurationV2":
			for _, rule := range asSlice(r.Input("rules")) {
				def := asMap(asMap(rule)["applyServerSideEncryptionByDefault"])
				if def["sseAlgorithm"] == "aws:kms" && def["kmsMasterKeyId"] != nil {
					bucketEncrypted[fmt.Sprint(r.Input("bucket"))] = true
				}
			}
		case "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock":
			if isTrue(r.Input("blockPublicAcls")) && isTrue(r.Input("blockPublicPolicy")) &&
				isTrue(r.Input("ignorePublicAcls")) && isTrue(r.Input("restrictPublicBuckets")) {
				bucketBlocked[fmt.Sprint(r.Input("bucket"))] = true
			}
		}
	}

	for _, r := range resources {
		if r.Read {
			continue // another stack's resource, checked in that stack's plan
		}
		// Node groups (aws:eks/nodeGroup:NodeGroup) are plain aws resources, covered by the first
		// clause; the pulumi-eks cluster is a component whose tags reach what it creates.
		taggable := (strings.HasPrefix(r.Type, "aws:") && r.Custom && !untaggable[r.Type]) ||
			r.Type == "eks:index:Cluster"
		if taggable {
			tags := asMap(r.Input("tags"))
			for _, key := range RequiredTags {
				if s, _ := tags[key].(string); s == "" {
					add("tags", r, "missing tag %s", key)
				}
			}
		}

		// Log groups AWS services create on their own when they first write, with no KMS key
		// and no retention, where the rules above never see them: the program must create them
		// first (components/cluster.go, database.go).
		for _, group := range awsCreatedLogGroups(r) {
			if !logGroups[r.Region+" "+group] {
				add("logs", r, "writes to the log group %s (%s), which the program does not create: AWS would create it "+
					"without a KMS key or retention", group, r.Region)
			}
		}

		switch r.Type {
		case "aws:rds/instance:Instance":
			if !isTrue(r.Input("storageEncrypted")) || empty(r.Input("kmsKeyId")) {
				add("kms", r, "storage not encrypted with a customer-managed KMS key")
			}
			if isTrue(r.Input("publiclyAccessible")) {
				add("public", r, "RDS instance is publicly accessible")
			}
		case "aws:rds/instanceAutomatedBackupsReplication:InstanceAutomatedBackupsReplication":
			if empty(r.Input("kmsKeyId")) {
				add("kms", r, "replicated backups not encrypted with a KMS key")
			}
		case "aws:ecr/repository:Repository":
			enc := asSlice(r.Input("encryptionConfigurations"))
			if len(enc) == 0 || asMap(enc[0])["encryptionType"] != "KMS" || empty(asMap(enc[0])["kmsKey"]) {
				add("kms", r, "repository not encrypted with a customer-managed KMS key")
			}
		case "aws:elasticache/replicationGroup:ReplicationGroup":
			if !isTrue(r.Input("atRestEncryptionEnabled")) || empty(r.Input("kmsKeyId")) {
				add("kms", r, "cache not encrypted at rest with a KMS key")
			}
			if !isTrue(r.Input("transitEncryptionEnabled")) {
				add("tls", r, "cache without TLS in transit")
			}
		case "aws:secretsmanager/secret:Secret":
			if empty(r.Input("kmsKeyId")) {
				add("kms", r, "secret not encrypted with a customer-managed KMS key")
			}
		case "aws:cloudwatch/logGroup:LogGroup":
			if empty(r.Input("kmsKeyId")) {
				add("kms", r, "log group not encrypted with a KMS key")
			}
			if days, _ := r.Input("retentionInDays").(float64); days <= 0 {
				add("retention", r, "log group without retentionInDays: its logs are kept (and paid for) forever")
			}
		case "aws:backup/vault:Vault":
			if empty(r.Input("kmsKeyArn")) {
				add("kms", r, "backup vault not encrypted with a customer-managed KMS key")
			}
		case "aws:sns/topic:Topic":
			if empty(r.Input("kmsMasterKeyId")) {
				add("kms", r, "topic not encrypted with a KMS key")
			}
		case "aws:ec2/launchTemplate:LaunchTemplate":
			for _, bd := range asSlice(r.Input("blockDeviceMappings")) {
				ebs := asMap(asMap(bd)["ebs"])
				if ebs["encrypted"] != "true" || empty(ebs["kmsKeyId"]) {
					add("kms", r, "node volume not encrypted with a KMS key")
				}
			}
			if asMap(r.Input("metadataOptions"))["httpTokens"] != "required" {
				add("imds", r, "instance metadata without IMDSv2 (httpTokens must be required)")
			}
			// EKS copies no tags to the instances and volumes of a managed node group; only the
			// template's tag specifications put the cost-allocation tags on them.
			for _, kind := range []string{"instance", "volume"} {
				if missing := specMissingTags(r.Input("tagSpecifications"), kind); len(missing) > 0 {
					add("tags", r, "the %ss it launches miss the tags %s (tagSpecifications)", kind, strings.Join(missing, ", "))
				}
			}
		case NodeGroupType:
			if empty(asMap(r.Input("launchTemplate"))["id"]) {
				add("imds", r, "node group without a launch template: EKS's default one neither requires IMDSv2 nor encrypts the root volume with our key")
			}
		case "eks:index:Cluster":
			if empty(r.Input("encryptionConfigKeyArn")) {
				add("kms", r, "Kubernetes secrets not envelope-encrypted with KMS")
			}
			if cidrs := asSlice(r.Input("publicAccessCidrs")); isTrue(r.Input("endpointPublicAccess")) {
				if len(cidrs) == 0 || slices.ContainsFunc(cidrs, func(c any) bool { return c == "0.0.0.0/0" || c == "::/0" }) {
					add("public", r, "public API endpoint open to the whole internet")
				} else if broad := broadCidrs(cidrs); len(broad) > 0 {
					add("public", r, "public API endpoint open to ranges shorter than /%d (%s): far more than the deploying machines, "+
						"and a few of them cover the internet", minPublicPrefix, strings.Join(broad, ", "))
				}
			}
		case "aws:s3/bucketV2:BucketV2":
			id := r.ID
			if !bucketEncrypted[id] {
				add("kms", r, "bucket has no SSE-KMS default encryption")
			}
			if !bucketBlocked[id] {
				add("public", r, "bucket has no full public access block")
			}
		case "aws:s3/bucketAclV2:BucketAclV2":
			if acl, _ := r.Input("acl").(string); strings.HasPrefix(acl, "public") {
				add("public", r, "bucket ACL %s", acl)
			}
		case "kubernetes:helm.sh/v3:Release":
			version, _ := r.Input("version").(string)
			if version == "" || strings.ContainsAny(version, "*^~><=x ") || version == "latest" {
				add("helm", r, "chart %v not pinned to an exact version (%q)", r.Input("chart"), version)
			}
			if repo, _ := asMap(r.Input("repositoryOpts"))["repo"].(string); !strings.HasPrefix(repo, "https://") {
				add("helm", r, "chart repository %q is not an https URL", repo)
			}
		case "aws:ec2/securityGroup:SecurityGroup":
			for _, rule := range asSlice(r.Input("ingress")) {
				m := asMap(rule)
				checkIngress(add, r, m["cidrBlocks"], m["ipv6CidrBlocks"], m["fromPort"], m["toPort"])
			}
		case "aws:ec2/securityGroupRule:SecurityGroupRule":
			if r.Input("type") == "ingress" {
				checkIngress(add, r, r.Input("cidrBlocks"), r.Input("ipv6CidrBlocks"), r.Input("fromPort"), r.Input("toPort"))
			}
		case "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule":
			checkIngress(add, r, []any{r.Input("cidrIpv4")}, []any{r.Input("cidrIpv6")}, r.Input("fromPort"), r.Input("toPort"))
		}
	}

	sort.Slice(findings, func(i, j int) bool {
		if findings[i].Phase != findings[j].Phase {
			return PhaseLess(findings[i].Phase, findings[j].Phase)
		}
		return findings[i].String() < findings[j].String()
	})
	return findings
}

// awsCreatedLogGroups are the CloudWatch log groups r makes an AWS service write to, in r's
// region: an RDS instance's log exports and, with Enhanced Monitoring (monitoringInterval > 0),
// the account's and region's RDSOSMetrics, an RDS Proxy's /aws/rds/proxy/<name>, an EKS
// cluster's control-plane logs, and the Lambda a Serverless Application Repository stack
// creates under its functionName parameter (the password-rotation function).
func awsCreatedLogGroups(r *Resource) []string {
	var out []string
	switch r.Type {
	case "aws:rds/instance:Instance":
		id, _ := r.Input("identifier").(string)
		for _, export := range asSlice(r.Input("enabledCloudwatchLogsExports")) {
			if id != "" {
				out = append(out, fmt.Sprintf("/aws/rds/instance/%s/%v", id, export))
			}
		}
		if interval, _ := r.Input("monitoringInterval").(float64); interval > 0 {
			out = append(out, "RDSOSMetrics")
		}
	case "aws:rds/proxy:Proxy":
		if name, _ := r.Input("name").(string); name != "" {
			out = append(out, "/aws/rds/proxy/"+name)
		}
	case "eks:index:Cluster":
		if name, _ := r.Input("name").(string); name != "" && len(asSlice(r.Input("enabledClusterLogTypes"))) > 0 {
			out = append(out, "/aws/eks/"+name+"/cluster")
		}
	case "aws:serverlessrepository/cloudFormationStack:CloudFormationStack":
		if fn, _ := asMap(r.Input("parameters"))["functionName"].(string); fn != "" {
			out = append(out, "/aws/lambda/"+fn)
		}
	}
	return out
}

// specMissingTags returns the RequiredTags that no tag specification of resourceType carries.
func specMissingTags(specs any, resourceType string) []string {
	var missing []string
	for _, key := range RequiredTags {
		found := false
		for _, spec := range asSlice(specs) {
			m := asMap(spec)
			if s, _ := asMap(m["tags"])[key].(string); m["resourceType"] == resourceType && s != "" {
				found = true
			}
		}
		if !found {
			missing = append(missing, key)
		}
	}
	return missing
}

// checkIngress allows the whole internet only on 80 and 443 (the load balancer's ports).
func checkIngress(add func(string, *Resource, string, ...any), r *Resource, v4, v6, from, to any) {
	open := false
	for _, c := range append(asSlice(v4), asSlice(v6)...) {
		if c == "0.0.0.0/0" || c == "::/0" {
			open = true
		}
	}
	if !open {
		return
	}
	f, _ := from.(float64)
	t, _ := to.(float64)
	if f == t && (f == 80 || f == 443) {
		return
	}
	add("ingress", r, "ingress from the internet on ports %v-%v (only 80/443 may be open)", from, to)
}

func asSlice(v any) []any {
	s, _ := v.([]any)
	return s
}

func asMap(v any) map[string]any {
	m, _ := v.(map[string]any)
	return m
}

func isTrue(v any) bool {
	b, _ := v.(bool)
	return b
}

func empty(v any) bool {
	s, ok := v.(string)
	return v == nil || (ok && s == "")
}

// minPublicPrefix is the shortest public access range the `public` rule lets through on an EKS
// cluster (stacks.MinPublicAccessPrefix refuses shorter ones in the config): 0.0.0.0/1 and
// 128.0.0.0/1 are the whole internet without the literal 0.0.0.0/0.
const minPublicPrefix = 8

// broadCidrs returns the ranges in cidrs shorter than /minPublicPrefix (IPv4) or /32 (IPv6), and
// any that does not parse (the plan cannot tell how wide it is).
func broadCidrs(cidrs []any) []string {
	var out []string
	for _, c := range cidrs {
		s := fmt.Sprint(c)
		p, err := netip.ParsePrefix(s)
		if err != nil || (p.Addr().Is4() && p.Bits() < minPublicPrefix) || (!p.Addr().Is4() && p.Bits() < 32) {
			out = append(out, s)
		}
	}
	return out
}
