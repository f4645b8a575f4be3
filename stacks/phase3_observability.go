package stacks

import (
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/ci-agent/ci-agent/components"
)

// phase3Observability: metrics, logs, SLO alerts, dashboards and synthetic checks.
func phase3Observability(ctx *pulumi.Context, p *Platform, parent pulumi.ResourceOption) error {
	cfg := p.Config
	// Route 53 health-check metrics exist in us-east-1 only; a stack that must not depend on
	// us-east-1 (skipUsEast1) has no external check, only the blackbox probe from the cluster.
	var usEast1 *aws.Provider
	if !cfg.SkipUsEast1 {
		var err error
		if usEast1, err = p.regionProvider(ctx, "aws-us-east-1-route53-metrics", "us-east-1", 3, parent); err != nil {
			return err
		}
	}
	// With phase 8 the public name is CloudFront's; without, the load balancer's.
	host := "origin." + cfg.Platform.Domain
	if cfg.Enabled(8) {
		host = "api." + cfg.Platform.Domain
	}
	args := &components.ObservabilityArgs{
		ClusterName: p.Cluster.Name, Region: cfg.Region, AccountID: p.AccountID,
		OidcProviderArn: p.Cluster.OidcProviderArn, OidcIssuer: p.Cluster.OidcIssuer,
		PublicHost: host, AlertEmail: cfg.Platform.AlertEmail, Route53Provider: usEast1,
		SMTPSmarthost: cfg.Platform.AlertSMTPSmarthost, SMTPFrom: cfg.Platform.AlertSMTPFrom,
		SMTPUsername: cfg.Platform.AlertSMTPUsername,
	}
	if cfg.Platform.HasSMTPPassword {
		args.SMTPPassword = cfg.Platform.AlertSMTPPassword
	}
	if cfg.Platform.HasSlack {
		args.SlackWebhook = cfg.Platform.AlertSlackWebhook
	}
	if cfg.Platform.HasPagerDuty {
		args.PagerDutyKey = cfg.Platform.AlertPagerDutyKey
	}
	obs, err := components.NewObservability(ctx, "obs", args, p.onCluster(parent)...)
	if err != nil {
		return err
	}
	p.Obs = obs
	ctx.Export("grafanaAdminPassword", obs.GrafanaAdminPassword) // pulumi stack output --show-secrets
	return nil
}
