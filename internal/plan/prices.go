package plan

// The price table behind the plan's cost estimate. Hand-recorded AWS list prices (on-demand,
// us-east-1, USD, Linux, no free tier, no Savings Plans); other regions differ by up to ~10 %,
// which the estimate ignores. Usage-driven items use the assumptions below, stated so that a
// reader can redo the sum. Re-check the figures against the AWS price pages before relying on
// them and bump PricesAsOf when you do.

// PricesAsOf dates the table.
const PricesAsOf = "2026-11-25"

// HoursPerMonth is AWS's billing month (365 × 24 / 12).
const HoursPerMonth = 730.0

// Hourly on-demand prices.
var hourly = map[string]float64{
	"eks-cluster":            0.10,
	"nat-gateway":            0.045,
	"public-ipv4":            0.005,
	"vpc-endpoint-az":        0.01,
	"rds-proxy-vcpu":         0.015,
	"alb":                    0.0225,
	"alb-lcu-assumed":        0.008, // one LCU on average
	"ec2:t3.small":           0.0208,
	"ec2:t3.medium":          0.0416,
	"ec2:t3a.medium":         0.0376,
	"ec2:t3.large":           0.0832,
	"ec2:m6i.large":          0.096,
	"ec2:m7i.large":          0.1008,
	"rds:db.t4g.micro":       0.016,
	"rds:db.t4g.small":       0.032,
	"rds:db.t4g.medium":      0.065,
	"rds:db.t4g.large":       0.129,
	"rds:db.m7g.large":       0.168,
	"cache:cache.t4g.micro":  0.016,
	"cache:cache.t4g.small":  0.032,
	"cache:cache.t4g.medium": 0.065,
}

// Monthly prices (per unit per month).
var monthly = map[string]float64{
	"ebs-gp3-gb":               0.08,
	"rds-gp3-gb":               0.115,
	"rds-snapshot-gb":          0.095, // backup storage beyond the free allowance, copies, replicated backups
	"kms-key":                  1.00,
	"secret":                   0.40,
	"route53-zone":             0.50,
	"route53-check":            0.50,
	"route53-check-https":      1.75, // non-AWS endpoint + HTTPS + string match
	"cw-alarm":                 0.10,
	"cw-logs-ingest-gb":        0.50,
	"ecr-gb":                   0.10,
	"s3-gb":                    0.023,
	"cloudfront-gb-out":        0.085,
	"transfer-inter-region-gb": 0.02,
	"nat-processed-gb":         0.045,
}

// Usage assumptions for usage-priced items (per month).
var assumed = map[string]float64{
	"spot-discount":          0.35, // spot pays ~35 % of on-demand for t3-class instances
	"database-gb":            20,   // data actually stored, for snapshots and copies
	"log-ingest-gb":          2,    // per log group
	"ecr-gb":                 3,    // per repository (and per replica region)
	"loki-bucket-gb":         30,
	"cloudfront-out-gb":      50,
	"nat-processed-gb":       50, // per NAT gateway
	"inter-region-backup-gb": 20, // per copy destination (daily incrementals)
}

// Targets are the seed's monthly cost targets per budget category (USD).
var Targets = map[string]float64{
	"compute":  300,
	"database": 50,
	"storage":  10,
	"transfer": 20,
	"total":    380,
}
