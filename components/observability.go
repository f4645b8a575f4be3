package components

import (
	"encoding/json"
	"fmt"

	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws"
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/cloudwatch"
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/route53"
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/sns"
	corev1 "github.com/pulumi/pulumi-kubernetes/sdk/v4/go/kubernetes/core/v1"
	metav1 "github.com/pulumi/pulumi-kubernetes/sdk/v4/go/kubernetes/meta/v1"
	"github.com/pulumi/pulumi-random/sdk/v4/go/random"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
)

// The filter API's SLOs (the seed's), as error budgets over 30 days.
const (
	AvailabilitySLO  = 0.9999 // probes of the public endpoint that succeed
	LatencySLO       = 0.99   // requests answered within LatencyThreshold (p99 < 200 ms)
	LatencyThreshold = "0.2"  // seconds, a bucket of ciagent_http_request_duration_seconds
	ErrorRateSLO     = 0.999  // requests not answered with a 5xx (error rate < 0.1 %)
	MonitoringNS     = "monitoring"
	ProbeJob         = "blackbox-ciagent"
	SpoolAlertBytes  = 1 << 30 // the spool is growing and already holds 1 GiB
)

// BurnRateWindows are the multi-window, multi-burn-rate pairs of the SRE workbook: page on
// fast burns (2 % of the 30-day budget in 1 h, 5 % in 6 h), ticket on slow ones.
var BurnRateWindows = []struct {
	Long, Short string
	Factor      float64
	Severity    string
}{
	{"1h", "5m", 14.4, "page"},
	{"6h", "30m", 6, "page"},
	{"1d", "2h", 3, "ticket"},
	{"3d", "6h", 1, "ticket"},
}

// ObservabilityArgs configures monitoring and logging.
type ObservabilityArgs struct {
	// ClusterName labels metrics and logs. Required.
	ClusterName string
	// Region of the cluster and the Loki bucket. Required.
	Region, AccountID string
	// OidcProviderArn and OidcIssuer for Loki's IRSA role. Required.
	OidcProviderArn, OidcIssuer pulumi.StringInput
	// PublicURL is probed from inside (blackbox) and outside (Route 53). Required, https://host/healthz.
	PublicHost string
	// AlertEmail always receives alerts; SlackWebhook and PagerDutyKey are optional secrets.
	AlertEmail                 string
	SlackWebhook, PagerDutyKey pulumi.StringInput
	// SMTPSmarthost (host:port) and SMTPFrom are the mail relay Alertmanager sends AlertEmail's
	// alerts through (Alertmanager refuses a config with an email receiver and no smarthost or
	// from). SMTPUsername and the secret SMTPPassword authenticate to it when set. Without
	// SMTPSmarthost there is no e-mail receiver.
	SMTPSmarthost, SMTPFrom, SMTPUsername string
	SMTPPassword                          pulumi.StringInput
	// LogRetentionDays keeps logs in Loki's bucket this long. Default 30.
	LogRetentionDays int
	// Route53Provider is an aws.Provider in us-east-1, where Route 53 health-check metrics live:
	// the external check (health check, alarm, encrypted alarm topic) is created through it.
	// Nil creates no external check, for a stack that must not depend on us-east-1 (the
	// recovery stack of region-failover.md while us-east-1 is down); the blackbox probe from
	// inside the cluster remains. Default nil.
	Route53Provider *aws.Provider
}

// Observability is kube-prometheus-stack (Prometheus, Alertmanager, Grafana) with the SLO
// rules and dashboards of the filter API, prometheus-adapter serving the HPA's custom metric, Loki on S3 with Alloy shipping logs, blackbox probes
// of the public endpoint and a Route 53 health check with CloudWatch alarms.
type Observability struct {
	pulumi.ResourceState

	LogBucket     pulumi.StringOutput
	AlarmTopicArn pulumi.StringOutput
	HealthCheckID pulumi.IDOutput
	// GrafanaAdminPassword is Grafana's generated admin password (secret): the chart's default
	// is public ("prom-operator").
	GrafanaAdminPassword pulumi.StringOutput
}

// NewObservability creates the monitoring stack. Pass the Kubernetes provider in opts.
func NewObservability(ctx *pulumi.Context, name string, args *ObservabilityArgs, opts ...pulumi.ResourceOption) (*Observability, error) {
	if args == nil {
		return nil, errNilArgs
	}
	if args.ClusterName == "" || args.Region == "" || args.AccountID == "" || args.PublicHost == "" || args.AlertEmail == "" {
		return nil, fmt.Errorf("observability %s: ClusterName, Region, AccountID, PublicHost and AlertEmail are required", name)
	}
	setDefaultInt(&args.LogRetentionDays, 30)
	c := &Observability{}
	if err := ctx.RegisterComponentResource("ciagent:observability:Observability", name, c, opts...); err != nil {
		return nil, err
	}
	child := pulumi.Parent(c)

	ns, err := corev1.NewNamespace(ctx, name+"-ns", &corev1.NamespaceArgs{
		Metadata: metav1.ObjectMetaArgs{Name: pulumi.String(MonitoringNS)},
	}, child)
	if err != nil {
		return nil, err
	}
	inNS := pulumi.DependsOn([]pulumi.Resource{ns})

	// Dashboards as code: ConfigMaps the Grafana sidecar loads (label grafana_dashboard).
	for _, d := range Dashboards() {
		body, err := json.Marshal(d.JSON)
		if err != nil {
			return nil, err
		}
		if _, err := corev1.NewConfigMap(ctx, name+"-dashboard-"+d.Name, &corev1.ConfigMapArgs{
			Metadata: metav1.ObjectMetaArgs{
				Name: pulumi.String("dashboard-ciagent-" + d.Name), Namespace: pulumi.String(MonitoringNS),
				Labels: pulumi.StringMap{"grafana_dashboard": pulumi.String("1")},
			},
			Data: pulumi.StringMap{"ciagent-" + d.Name + ".json": pulumi.String(string(body))},
		}, child, inNS); err != nil {
			return nil, err
		}
	}

	grafanaAdmin, err := random.NewRandomPassword(ctx, name+"-grafana-admin", &random.RandomPasswordArgs{
		Length: pulumi.Int(32), Special: pulumi.Bool(false),
	}, child)
	if err != nil {
		return nil, err
	}
	c.GrafanaAdminPassword = pulumi.ToSecret(grafanaAdmin.Result).(pulumi.StringOutput)

	kps, err := release(ctx, name+"-kube-prometheus-stack", ChartKubePrometheusStack, MonitoringNS, pulumi.Map{
		"prometheus": pulumi.Map{"prometheusSpec": pulumi.Map{
			"retention":      pulumi.String("15d"),
			"externalLabels": pulumi.Map{"cluster": pulumi.String(args.ClusterName)},
			// Pick up ServiceMonitors/PrometheusRules of every release (the app chart's too).
			"serviceMonitorSelectorNilUsesHelmValues": pulumi.Bool(false),
			"ruleSelectorNilUsesHelmValues":           pulumi.Bool(false),
			"probeSelectorNilUsesHelmValues":          pulumi.Bool(false),
			"storageSpec": pulumi.Map{"volumeClaimTemplate": pulumi.Map{"spec": pulumi.Map{
				"accessModes": strs("ReadWriteOnce"),
				"resources":   pulumi.Map{"requests": pulumi.Map{"storage": pulumi.String("50Gi")}},
			}}},
			"additionalScrapeConfigs": pulumi.Array{blackboxScrape(args.PublicHost)},
		}},
		"additionalPrometheusRulesMap": pulumi.Map{"ciagent-slo": pulumi.Map{"groups": PrometheusRuleGroups()}},
		"alertmanager":                 pulumi.Map{"config": alertmanagerConfig(args)},
		"grafana": pulumi.Map{
			"adminPassword": c.GrafanaAdminPassword,
			"sidecar": pulumi.Map{"dashboards": pulumi.Map{"enabled": pulumi.Bool(true), "label": pulumi.String("grafana_dashboard"),
				"searchNamespace": pulumi.String("ALL")}},
			"additionalDataSources": pulumi.Array{pulumi.Map{
				"name": pulumi.String("Loki"), "type": pulumi.String("loki"),
				"url": pulumi.String("http://loki-gateway." + MonitoringNS + ".svc.cluster.local"),
			}},
		},
	}, child, inNS)
	if err != nil {
		return nil, err
	}

	// prometheus-adapter serves Prometheus series as custom metrics (custom.metrics.k8s.io):
	// the app's HPA scales on ciagent_http_requests_per_second with the rule in
	// deploy/prometheus-adapter/values.yaml. It leaves metrics.k8s.io (CPU, memory) to
	// metrics-server (phase 8): the file defines no resource rules.
	adapterValues, err := PrometheusAdapterValues()
	if err != nil {
		return nil, err
	}
	if _, err := release(ctx, name+"-prometheus-adapter", ChartPrometheusAdapter, MonitoringNS, adapterValues,
		child, pulumi.DependsOn([]pulumi.Resource{ns, kps})); err != nil {
		return nil, err
	}

	if _, err := release(ctx, name+"-blackbox", ChartBlackboxExporter, MonitoringNS, pulumi.Map{
		"config": pulumi.Map{"modules": pulumi.Map{"http_2xx": pulumi.Map{
			"prober": pulumi.String("http"), "timeout": pulumi.String("5s"),
			"http": pulumi.Map{"valid_status_codes": pulumi.Array{pulumi.Int(200)}, "fail_if_not_ssl": pulumi.Bool(true),
				"preferred_ip_protocol": pulumi.String("ip4")},
		}}},
	}, child, inNS); err != nil {
		return nil, err
	}

	if err := c.logs(ctx, name, args, child, inNS); err != nil {
		return nil, err
	}
	if args.Route53Provider != nil {
		if err := c.externalCheck(ctx, name, args, child); err != nil {
			return nil, err
		}
	} else {
		c.AlarmTopicArn = pulumi.String("").ToStringOutput()
	}
	if err := ctx.RegisterResourceOutputs(c, pulumi.Map{"logBucket": c.LogBucket, "alarmTopicArn": c.AlarmTopicArn}); err != nil {
		return nil, err
	}
	return c, nil
}

// logs: Loki in single-binary mode on a KMS-encrypted, private S3 bucket with expiring
// objects, and Grafana Alloy (promtail's successor) shipping every pod's logs to it.
func (c *Observability) logs(ctx *pulumi.Context, name string, args *ObservabilityArgs, child, inNS pulumi.ResourceOption) error {
	key, err := newKey(ctx, name+"-logs-kms", "Loki log chunks of "+args.ClusterName, nil, child)
	if err != nil {
		return err
	}
	bucket, err := NewPrivateBucket(ctx, name+"-loki", key.Arn, args.LogRetentionDays, child)
	if err != nil {
		return err
	}
	c.LogBucket = bucket.Bucket
	role, err := NewIrsaRole(ctx, name+"-loki", &IrsaRoleArgs{
		OidcProviderArn: args.OidcProviderArn, OidcIssuer: args.OidcIssuer,
		Namespace: MonitoringNS, ServiceAccount: "loki",
		Policy: policy(
			pulumi.Map{"Action": strs("s3:ListBucket"), "Resource": pulumi.Array{bucket.Arn}},
			pulumi.Map{"Action": strs("s3:GetObject", "s3:PutObject", "s3:DeleteObject"), "Resource": pulumi.Array{pulumi.Sprintf("%s/*", bucket.Arn)}},
			pulumi.Map{"Action": strs("kms:Decrypt", "kms:GenerateDataKey"), "Resource": pulumi.Array{key.Arn}},
		),
	}, child)
	if err != nil {
		return err
	}
	if _, err := release(ctx, name+"-loki", ChartLoki, MonitoringNS, pulumi.Map{
		"deploymentMode": pulumi.String("SingleBinary"),
		"serviceAccount": pulumi.Map{"name": pulumi.String("loki"), "annotations": irsaAnnotation(role.Arn)},
		"loki": pulumi.Map{
			"auth_enabled": pulumi.Bool(false),
			"commonConfig": pulumi.Map{"replication_factor": pulumi.Int(1)},
			"schemaConfig": pulumi.Map{"configs": pulumi.Array{pulumi.Map{
				"from": pulumi.String("2026-01-01"), "store": pulumi.String("tsdb"), "object_store": pulumi.String("s3"),
				"schema": pulumi.String("v13"), "index": pulumi.Map{"prefix": pulumi.String("index_"), "period": pulumi.String("24h")},
			}}},
			"storage": pulumi.Map{
				"type":        pulumi.String("s3"),
				"bucketNames": pulumi.Map{"chunks": bucket.Bucket, "ruler": bucket.Bucket, "admin": bucket.Bucket},
				"s3":          pulumi.Map{"region": pulumi.String(args.Region)},
			},
			"limits_config": pulumi.Map{"retention_period": pulumi.Sprintf("%dd", args.LogRetentionDays)},
		},
		"singleBinary": pulumi.Map{"replicas": pulumi.Int(1)},
		// The chart's memcached caches are on by default and size themselves for big clusters:
		// chunks-cache requests ~9.6 GiB (allocatedMemory 8192 MB x 1.2), which no t3.medium node
		// (4 GiB) can hold, so the StatefulSet stays Pending and the atomic release times out.
		"chunksCache":  pulumi.Map{"enabled": pulumi.Bool(false)},
		"resultsCache": pulumi.Map{"enabled": pulumi.Bool(false)},
		"read":         pulumi.Map{"replicas": pulumi.Int(0)},
		"write":        pulumi.Map{"replicas": pulumi.Int(0)},
		"backend":      pulumi.Map{"replicas": pulumi.Int(0)},
	}, child, inNS); err != nil {
		return err
	}
	_, err = release(ctx, name+"-alloy", ChartAlloy, MonitoringNS, pulumi.Map{
		"alloy": pulumi.Map{"configMap": pulumi.Map{"content": pulumi.String(alloyConfig)}},
		// One Alloy reading every pod's logs through the API: the chart's default DaemonSet
		// would have each node's Alloy tail all the cluster's pods (N copies of every line).
		"controller": pulumi.Map{"type": pulumi.String("deployment"), "replicas": pulumi.Int(1)},
	}, child, inNS)
	return err
}

// externalCheck measures availability from outside AWS's network path: a Route 53 HTTPS
// health check of /healthz from several regions, alarmed in CloudWatch to an encrypted topic.
func (c *Observability) externalCheck(ctx *pulumi.Context, name string, args *ObservabilityArgs, child pulumi.ResourceOption) error {
	in := pulumi.Provider(args.Route53Provider)
	key, err := newKey(ctx, name+"-alarms-kms", "alarm notifications of "+args.ClusterName, alarmKeyPolicy(args.AccountID), child, in)
	if err != nil {
		return err
	}
	topic, err := sns.NewTopic(ctx, name+"-alarms", &sns.TopicArgs{KmsMasterKeyId: key.Arn}, child, in)
	if err != nil {
		return err
	}
	c.AlarmTopicArn = topic.Arn
	if _, err := sns.NewTopicSubscription(ctx, name+"-alarms-email", &sns.TopicSubscriptionArgs{
		Topic: topic.Arn, Protocol: pulumi.String("email"), Endpoint: pulumi.String(args.AlertEmail),
	}, child, in); err != nil {
		return err
	}
	check, err := route53.NewHealthCheck(ctx, name+"-public-health", &route53.HealthCheckArgs{
		Type: pulumi.String("HTTPS_STR_MATCH"), Fqdn: pulumi.String(args.PublicHost), Port: pulumi.Int(443),
		ResourcePath: pulumi.String("/healthz"), SearchString: pulumi.String("ok"),
		RequestInterval: pulumi.Int(30), FailureThreshold: pulumi.Int(3), MeasureLatency: pulumi.Bool(true),
		EnableSni: pulumi.Bool(true),
		Regions:   strs("us-east-1", "eu-west-1", "ap-southeast-1"),
		Tags:      pulumi.StringMap{"Name": pulumi.String(args.PublicHost + "/healthz")},
	}, child, in)
	if err != nil {
		return err
	}
	c.HealthCheckID = check.ID()
	_, err = cloudwatch.NewMetricAlarm(ctx, name+"-public-down", &cloudwatch.MetricAlarmArgs{
		AlarmDescription: pulumi.String("the public endpoint fails Route 53 health checks from outside"),
		Namespace:        pulumi.String("AWS/Route53"), MetricName: pulumi.String("HealthCheckStatus"),
		Dimensions: pulumi.StringMap{"HealthCheckId": check.ID()},
		Statistic:  pulumi.String("Minimum"), Period: pulumi.Int(60), EvaluationPeriods: pulumi.Int(2),
		Threshold: pulumi.Float64(1), ComparisonOperator: pulumi.String("LessThanThreshold"),
		TreatMissingData: pulumi.String("breaching"),
		AlarmActions:     pulumi.Array{topic.Arn}, OkActions: pulumi.Array{topic.Arn},
	}, child, in)
	return err
}

// alarmKeyPolicy lets CloudWatch publish to the encrypted alarm topic.
func alarmKeyPolicy(accountID string) pulumi.StringOutput {
	return policy(
		pulumi.Map{"Sid": pulumi.String("AccountAdministers"), "Principal": pulumi.Map{"AWS": pulumi.String("arn:aws:iam::" + accountID + ":root")},
			"Action": pulumi.String("kms:*"), "Resource": pulumi.String("*")},
		pulumi.Map{"Sid": pulumi.String("CloudWatchPublishes"), "Principal": pulumi.Map{"Service": pulumi.String("cloudwatch.amazonaws.com")},
			"Action": strs("kms:Decrypt", "kms:GenerateDataKey*"), "Resource": pulumi.String("*")},
	)
}

// blackboxScrape probes the public endpoint through the blackbox exporter every 30 s.
func blackboxScrape(host string) pulumi.Map {
	return pulumi.Map{
		"job_name": pulumi.String(ProbeJob), "metrics_path": pulumi.String("/probe"), "scrape_interval": pulumi.String("30s"),
		"params":         pulumi.Map{"module": strs("http_2xx")},
		"static_configs": pulumi.Array{pulumi.Map{"targets": strs("https://" + host + "/healthz")}},
		"relabel_configs": pulumi.Array{
			pulumi.Map{"source_labels": strs("__address__"), "target_label": pulumi.String("__param_target")},
			pulumi.Map{"source_labels": strs("__param_target"), "target_label": pulumi.String("instance")},
			pulumi.Map{"target_label": pulumi.String("__address__"),
				"replacement": pulumi.String("prometheus-blackbox-exporter." + MonitoringNS + ".svc.cluster.local:9115")},
		},
	}
}

// alertmanagerConfig routes pages to PagerDuty (when configured), everything to Slack (when
// configured) and e-mail.
func alertmanagerConfig(args *ObservabilityArgs) pulumi.Map {
	// The default route needs a receiver that always exists; without a mail relay it drops.
	receivers := pulumi.Array{pulumi.Map{"name": pulumi.String("null")}}
	routes := pulumi.Array{}
	global := pulumi.Map{"resolve_timeout": pulumi.String("5m")}
	defaultReceiver := "null"
	if args.SMTPSmarthost != "" {
		global["smtp_smarthost"] = pulumi.String(args.SMTPSmarthost)
		global["smtp_from"] = pulumi.String(args.SMTPFrom)
		global["smtp_require_tls"] = pulumi.Bool(true)
		if args.SMTPUsername != "" {
			global["smtp_auth_username"] = pulumi.String(args.SMTPUsername)
		}
		if args.SMTPPassword != nil {
			global["smtp_auth_password"] = pulumi.ToSecret(args.SMTPPassword)
		}
		receivers = append(receivers, pulumi.Map{"name": pulumi.String("email"), "email_configs": pulumi.Array{pulumi.Map{
			"to": pulumi.String(args.AlertEmail), "send_resolved": pulumi.Bool(true),
		}}})
		defaultReceiver = "email"
	}
	if args.PagerDutyKey != nil {
		receivers = append(receivers, pulumi.Map{"name": pulumi.String("pagerduty"), "pagerduty_configs": pulumi.Array{pulumi.Map{
			"routing_key": pulumi.ToSecret(args.PagerDutyKey), "send_resolved": pulumi.Bool(true),
		}}})
		routes = append(routes, pulumi.Map{"receiver": pulumi.String("pagerduty"), "continue": pulumi.Bool(true),
			"matchers": strs(`severity="page"`)})
	}
	if args.SlackWebhook != nil {
		receivers = append(receivers, pulumi.Map{"name": pulumi.String("slack"), "slack_configs": pulumi.Array{pulumi.Map{
			"api_url": pulumi.ToSecret(args.SlackWebhook), "channel": pulumi.String("#ci-agent-alerts"), "send_resolved": pulumi.Bool(true),
		}}})
		routes = append(routes, pulumi.Map{"receiver": pulumi.String("slack"), "continue": pulumi.Bool(true),
			"matchers": strs(`severity=~"page|ticket|warning"`)})
	}
	if defaultReceiver == "email" {
		routes = append(routes, pulumi.Map{"receiver": pulumi.String("email"), "matchers": strs(`severity=~"page|ticket"`)})
	}
	return pulumi.Map{
		"global": global,
		"route": pulumi.Map{
			"receiver": pulumi.String(defaultReceiver), "group_by": strs("alertname", "slo"),
			"group_wait": pulumi.String("30s"), "group_interval": pulumi.String("5m"), "repeat_interval": pulumi.String("4h"),
			"routes": routes,
		},
		"receivers": receivers,
	}
}

const alloyConfig = `discovery.kubernetes "pods" {
  role = "pod"
}
discovery.relabel "pods" {
  targets = discovery.kubernetes.pods.targets
  rule {
    source_labels = ["__meta_kubernetes_namespace"]
    target_label  = "namespace"
  }
  rule {
    source_labels = ["__meta_kubernetes_pod_name"]
    target_label  = "pod"
  }
  rule {
    source_labels = ["__meta_kubernetes_pod_container_name"]
    target_label  = "container"
  }
}
loki.source.kubernetes "pods" {
  targets    = discovery.relabel.pods.output
  forward_to = [loki.write.default.receiver]
}
loki.write "default" {
  endpoint {
    url = "http://loki-gateway.monitoring.svc.cluster.local/loki/api/v1/push"
  }
}
`
