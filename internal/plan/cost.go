package plan

import (
	"fmt"
	"math"
	"sort"
	"strings"
)

// Categories are the budget lines of the seed's cost table.
var Categories = []string{"compute", "database", "storage", "transfer", "other"}

// LineItem is the estimated monthly cost of one resource.
type LineItem struct {
	Type     string  `json:"type"`
	Name     string  `json:"name"`
	Phase    string  `json:"phase"`
	Region   string  `json:"region"`
	Category string  `json:"category"`
	USD      float64 `json:"usd"`
	Basis    string  `json:"basis"`
}

// Cost is the estimate of a whole stack.
type Cost struct {
	PricesAsOf string             `json:"pricesAsOf"`
	Items      []LineItem         `json:"items"`
	ByPhase    map[string]float64 `json:"byPhase"`
	ByCategory map[string]float64 `json:"byCategory"`
	Total      float64            `json:"total"`
	Targets    map[string]float64 `json:"targets"`
	Notes      []string           `json:"notes"`
}

// Estimate prices every resource that costs money at rest; usage-priced items use the stated
// assumptions. Resources that are free (IAM, routes, security groups, Helm releases) are skipped.
func Estimate(resources []*Resource) Cost {
	c := Cost{
		PricesAsOf: PricesAsOf, ByPhase: map[string]float64{}, ByCategory: map[string]float64{},
		Targets: Targets,
		Notes: []string{
			"list prices, on-demand, us-east-1, as of " + PricesAsOf + "; usage-driven items use the assumptions in internal/plan/prices.go",
			"not included: per-request charges (KMS, S3, Secrets Manager API, the password-rotation Lambda's few invocations a month), inter-AZ traffic, taxes",
		},
	}
	peerings := 0
	for _, r := range resources {
		if r.Read {
			continue // another stack's, priced in its plan
		}
		if r.Type == "aws:ec2/vpcPeeringConnection:VpcPeeringConnection" {
			peerings++
		}
		for _, it := range itemsFor(r) {
			it.USD = math.Round(it.USD*100) / 100
			if it.USD == 0 {
				continue
			}
			c.Items = append(c.Items, it)
			c.ByPhase[it.Phase] += it.USD
			c.ByCategory[it.Category] += it.USD
			c.Total += it.USD
		}
	}
	for k, v := range c.ByPhase {
		c.ByPhase[k] = math.Round(v*100) / 100
	}
	for k, v := range c.ByCategory {
		c.ByCategory[k] = math.Round(v*100) / 100
	}
	c.Total = math.Round(c.Total*100) / 100
	if peerings > 0 {
		c.Notes = append(c.Notes, fmt.Sprintf("%d inter-region VPC peering connection(s): free as such; traffic over them is usage-priced "+
			"at $%.2f/GB each way, ≈ $0 while the app uses the primary database, not included (a promoted replica's "+
			"traffic from the primary cluster would be)", peerings, monthly["transfer-inter-region-gb"]))
	}
	sort.SliceStable(c.Items, func(i, j int) bool { return PhaseLess(c.Items[i].Phase, c.Items[j].Phase) })
	return c
}

func itemsFor(r *Resource) []LineItem {
	item := func(category string, usd float64, basis string, args ...any) LineItem {
		return LineItem{Type: r.Type, Name: r.Name, Phase: r.Phase, Region: r.Region,
			Category: category, USD: usd, Basis: fmt.Sprintf(basis, args...)}
	}
	num := func(key string, def float64) float64 {
		if v, ok := r.Input(key).(float64); ok {
			return v
		}
		return def
	}
	str := func(key string) string { s, _ := r.Input(key).(string); return s }

	switch r.Type {
	case "eks:index:Cluster":
		return []LineItem{item("compute", hourly["eks-cluster"]*HoursPerMonth, "EKS control plane $%.2f/h", hourly["eks-cluster"])}
	case NodeGroupType:
		scaling := asMap(r.Input("scalingConfig"))
		desired, _ := scaling["desiredSize"].(float64)
		types := asSlice(r.Input("instanceTypes"))
		instance := "t3.medium"
		if len(types) > 0 {
			instance = fmt.Sprint(types[0])
		}
		price, ok := hourly["ec2:"+instance]
		if !ok {
			return []LineItem{item("compute", 0, "no price for %s", instance)}
		}
		basis := fmt.Sprintf("%.0f × %s on-demand $%.4f/h", desired, instance, price)
		if str("capacityType") == "SPOT" {
			price *= assumed["spot-discount"]
			basis = fmt.Sprintf("%.0f × %s spot ≈ %.0f %% of on-demand", desired, instance, assumed["spot-discount"]*100)
		}
		return []LineItem{item("compute", desired*price*HoursPerMonth, "%s", basis)}
	case "aws:ec2/launchTemplate:LaunchTemplate":
		// The node volumes: priced with the group's desired size in the node group line's phase;
		// here one volume per template as a floor.
		var gb float64
		for _, bd := range asSlice(r.Input("blockDeviceMappings")) {
			if v, ok := asMap(asMap(bd)["ebs"])["volumeSize"].(float64); ok {
				gb += v
			}
		}
		return []LineItem{item("storage", gb*monthly["ebs-gp3-gb"], "%.0f GB gp3 per node (one node)", gb)}
	case "aws:ec2/natGateway:NatGateway":
		return []LineItem{
			item("compute", hourly["nat-gateway"]*HoursPerMonth, "NAT gateway $%.3f/h", hourly["nat-gateway"]),
			item("transfer", assumed["nat-processed-gb"]*monthly["nat-processed-gb"], "%.0f GB processed (assumed)", assumed["nat-processed-gb"]),
		}
	case "aws:ec2/eip:Eip":
		return []LineItem{item("compute", hourly["public-ipv4"]*HoursPerMonth, "public IPv4 $%.3f/h", hourly["public-ipv4"])}
	case "aws:ec2/vpcEndpoint:VpcEndpoint":
		if str("vpcEndpointType") != "Interface" {
			return nil
		}
		azs := float64(len(asSlice(r.Input("subnetIds"))))
		return []LineItem{item("compute", azs*hourly["vpc-endpoint-az"]*HoursPerMonth, "interface endpoint in %.0f AZs", azs)}
	case "aws:rds/instance:Instance":
		class := str("instanceClass")
		price, ok := hourly["rds:"+class]
		if !ok {
			return []LineItem{item("database", 0, "no price for %s", class)}
		}
		copies := 1.0
		if isTrue(r.Input("multiAz")) {
			copies = 2
		}
		storage := num("allocatedStorage", 0)
		if storage == 0 && str("replicateSourceDb") != "" {
			storage = 100 // a replica inherits the source's allocation
		}
		role := "primary"
		if str("replicateSourceDb") != "" {
			role = "replica"
		}
		items := []LineItem{
			item("database", copies*price*HoursPerMonth, "%s %s $%.3f/h × %.0f (Multi-AZ=%v)", role, class, price, copies, copies == 2),
			item("database", copies*storage*monthly["rds-gp3-gb"], "%.0f GB gp3 × %.0f", storage, copies),
		}
		return items
	case "aws:rds/proxy:Proxy":
		return []LineItem{item("database", 2*hourly["rds-proxy-vcpu"]*HoursPerMonth, "RDS Proxy, 2 vCPU minimum × $%.3f/h", hourly["rds-proxy-vcpu"])}
	case "aws:rds/instanceAutomatedBackupsReplication:InstanceAutomatedBackupsReplication":
		gb := assumed["database-gb"]
		return []LineItem{
			item("storage", gb*monthly["rds-snapshot-gb"], "%.0f GB replicated backups (assumed data size)", gb),
			item("transfer", assumed["inter-region-backup-gb"]*monthly["transfer-inter-region-gb"], "%.0f GB/month cross-region", assumed["inter-region-backup-gb"]),
		}
	case "aws:backup/plan:Plan":
		gb := assumed["database-gb"]
		var items []LineItem
		items = append(items, item("storage", gb*monthly["rds-snapshot-gb"], "%.0f GB AWS Backup snapshots", gb))
		for _, rule := range asSlice(r.Input("rules")) {
			for range asSlice(asMap(rule)["copyActions"]) {
				items = append(items,
					item("storage", gb*monthly["rds-snapshot-gb"], "%.0f GB cross-region copy", gb),
					item("transfer", assumed["inter-region-backup-gb"]*monthly["transfer-inter-region-gb"], "%.0f GB/month copied", assumed["inter-region-backup-gb"]))
			}
		}
		return items
	case "aws:kms/key:Key":
		return []LineItem{item("other", monthly["kms-key"], "customer-managed key")}
	case "aws:secretsmanager/secret:Secret":
		return []LineItem{item("other", monthly["secret"], "secret")}
	case "aws:elasticache/replicationGroup:ReplicationGroup":
		node := str("nodeType")
		price, ok := hourly["cache:"+node]
		if !ok {
			return []LineItem{item("database", 0, "no price for %s", node)}
		}
		n := num("numCacheClusters", 1)
		return []LineItem{item("database", n*price*HoursPerMonth, "%.0f × %s $%.3f/h", n, node, price)}
	case "aws:route53/zone:Zone":
		return []LineItem{item("other", monthly["route53-zone"], "hosted zone")}
	case "aws:route53/healthCheck:HealthCheck":
		if strings.HasPrefix(str("type"), "HTTPS") {
			return []LineItem{item("other", monthly["route53-check-https"], "HTTPS health check with string match")}
		}
		return []LineItem{item("other", monthly["route53-check"], "health check")}
	case "aws:cloudwatch/metricAlarm:MetricAlarm":
		return []LineItem{item("other", monthly["cw-alarm"], "standard alarm")}
	case "aws:cloudwatch/logGroup:LogGroup":
		return []LineItem{item("other", assumed["log-ingest-gb"]*monthly["cw-logs-ingest-gb"], "%.0f GB ingested (assumed)", assumed["log-ingest-gb"])}
	case "aws:ecr/repository:Repository":
		return []LineItem{item("storage", assumed["ecr-gb"]*monthly["ecr-gb"], "%.0f GB images (assumed)", assumed["ecr-gb"])}
	case "aws:ecr/replicationConfiguration:ReplicationConfiguration":
		var regions float64
		for _, rule := range asSlice(asMap(r.Input("replicationConfiguration"))["rules"]) {
			regions += float64(len(asSlice(asMap(rule)["destinations"])))
		}
		return []LineItem{item("storage", regions*assumed["ecr-gb"]*monthly["ecr-gb"], "images replicated to %.0f regions", regions)}
	case "aws:s3/bucketV2:BucketV2":
		return []LineItem{item("storage", assumed["loki-bucket-gb"]*monthly["s3-gb"], "%.0f GB S3 Standard (assumed)", assumed["loki-bucket-gb"])}
	case "aws:cloudfront/distribution:Distribution":
		return []LineItem{item("transfer", assumed["cloudfront-out-gb"]*monthly["cloudfront-gb-out"], "%.0f GB out (assumed)", assumed["cloudfront-out-gb"])}
	case "kubernetes:helm.sh/v3:Release":
		if strings.Contains(fmt.Sprint(r.Input("chart")), "aws-load-balancer-controller") {
			return []LineItem{item("compute", (hourly["alb"]+hourly["alb-lcu-assumed"])*HoursPerMonth,
				"the ALB this controller creates for the ingress (1 LCU assumed)")}
		}
	}
	return nil
}
