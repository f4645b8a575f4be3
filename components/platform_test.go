package components_test

import (
	"fmt"
	"os"
	"strings"
	"testing"

	"gopkg.in/yaml.v3"

	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws"
	"github.com/pulumi/pulumi-kubernetes/sdk/v4/go/kubernetes"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/ci-agent/ci-agent/components"
	"github.com/ci-agent/ci-agent/internal/plan"
)

// withK8s runs fn with a Kubernetes provider, as the stacks pass it to in-cluster components.
func withK8s(t *testing.T, fn func(ctx *pulumi.Context, k8s pulumi.ResourceOption) error) *plan.Mocks {
	return run(t, func(ctx *pulumi.Context) error {
		p, err := kubernetes.NewProvider(ctx, "k8s", &kubernetes.ProviderArgs{Kubeconfig: pulumi.String("{}")})
		if err != nil {
			return err
		}
		return fn(ctx, pulumi.Providers(p))
	})
}

// release returns the Helm release resource installing chart.
func releaseOf(t *testing.T, m *plan.Mocks, chart components.Chart) *plan.Resource {
	t.Helper()
	for _, r := range m.ByType("kubernetes:helm.sh/v3:Release") {
		if r.Input("chart") == chart.Name {
			eq(t, chart.Name+" version", r.Input("version"), chart.Version)
			eq(t, chart.Name+" repo", get(r.Input("repositoryOpts"), "repo"), chart.Repo)
			return r
		}
	}
	t.Fatalf("no Helm release of %s", chart.Name)
	return nil
}

func TestEdge(t *testing.T) {
	m := withK8s(t, func(ctx *pulumi.Context, k8s pulumi.ResourceOption) error {
		_, err := components.NewEdge(ctx, "edge", &components.EdgeArgs{
			Domain: "ci-agent.tech", ClusterName: "c", Region: "us-east-1", VpcID: pulumi.String("vpc-1"),
			OidcProviderArn: pulumi.String("arn:oidc"), OidcIssuer: pulumi.String("oidc.example/id/X"),
			AcmeEmail: "ops@ci-agent.tech", Production: true,
		}, k8s)
		return err
	})
	zone := one(t, m, "aws:route53/zone:Zone", "edge-zone")
	eq(t, "zone name", zone.Input("name"), "ci-agent.tech")

	// IRSA roles scoped to the zone.
	for _, role := range []string{"external-dns", "cert-manager"} {
		doc := policyDoc(t, one(t, m, "aws:iam/rolePolicy:RolePolicy", "edge-"+role+"-policy"), "policy")
		found := false
		for _, st := range doc["Statement"].([]any) {
			if contains(get(st, "Action"), "route53:ChangeResourceRecordSets") {
				found = true
				eq(t, role+" may change records of", get(st, "Resource"), []any{zone.Output("arn")})
			}
		}
		if !found {
			t.Errorf("%s policy cannot change records: %v", role, doc)
		}
		trust := policyDoc(t, one(t, m, "aws:iam/role:Role", "edge-"+role), "assumeRolePolicy")
		eq(t, role+" trust subject", get(trust, "Statement", 0, "Condition", "StringEquals", "oidc.example/id/X:sub"),
			"system:serviceaccount:"+role+":"+role)
	}

	dns := releaseOf(t, m, components.ChartExternalDNS)
	eq(t, "external-dns policy in prod", get(dns.Input("values"), "policy"), "upsert-only")
	eq(t, "external-dns domain", get(dns.Input("values"), "domainFilters"), []any{"ci-agent.tech"})

	certManager := releaseOf(t, m, components.ChartCertManager)
	// Not in cert-manager's release: its CRDs are templates there, so Helm could not map
	// ClusterIssuer at the first install (cert-manager#7096).
	eq(t, "cert-manager extraObjects", get(certManager.Input("values"), "extraObjects"), nil)
	issuerRelease := releaseOf(t, m, components.ChartRaw)
	eq(t, "issuers release name", issuerRelease.Input("name"), "cluster-issuers")
	eq(t, "issuers release after cert-manager", issuerRelease.DependsOn(certManager), true)
	var issuers []string
	for _, obj := range get(issuerRelease.Input("values"), "resources").([]any) {
		eq(t, "issuer kind", get(obj, "kind"), "ClusterIssuer")
		eq(t, "issuer solver zone", get(obj, "spec", "acme", "solvers", 0, "dns01", "route53", "hostedZoneID"), zone.Output("zoneId"))
		issuers = append(issuers, get(obj, "metadata", "name").(string)+"="+get(obj, "spec", "acme", "server").(string))
	}
	eq(t, "ClusterIssuers", issuers, []string{
		"letsencrypt-staging=https://acme-staging-v02.api.letsencrypt.org/directory",
		"letsencrypt-prod=https://acme-v02.api.letsencrypt.org/directory",
	})

	lbc := releaseOf(t, m, components.ChartLoadBalancerController)
	attrs := map[string]any{}
	for _, a := range get(lbc.Input("values"), "ingressClassParams", "spec", "listeners", 0, "listenerAttributes").([]any) {
		attrs[get(a, "key").(string)] = get(a, "value")
	}
	for key, header := range map[string]string{
		"routing.http.response.strict_transport_security.header_value": "Strict-Transport-Security",
		"routing.http.response.x_content_type_options.header_value":    "X-Content-Type-Options",
		"routing.http.response.x_frame_options.header_value":           "X-Frame-Options",
		"routing.http.response.content_security_policy.header_value":   "Content-Security-Policy",
	} {
		eq(t, "ALB listener attribute "+key, attrs[key], components.SecurityHeaders[header])
	}
	one(t, m, "aws:acm/certificateValidation:CertificateValidation", "edge-cert-validated") // fails the test when missing
}

func TestObservability(t *testing.T) {
	m := withK8s(t, func(ctx *pulumi.Context, k8s pulumi.ResourceOption) error {
		usEast1, err := aws.NewProvider(ctx, "aws-us-east-1", &aws.ProviderArgs{Region: pulumi.String("us-east-1")})
		if err != nil {
			return err
		}
		_, err = components.NewObservability(ctx, "obs", &components.ObservabilityArgs{
			ClusterName: "c", Region: "us-east-1", AccountID: account,
			OidcProviderArn: pulumi.String("arn:oidc"), OidcIssuer: pulumi.String("oidc.example/id/X"),
			PublicHost: "api.ci-agent.tech", AlertEmail: "ops@ci-agent.tech",
			SlackWebhook:  pulumi.ToSecret(pulumi.String("https://hooks.slack.example/T/B/x")).(pulumi.StringOutput),
			PagerDutyKey:  pulumi.ToSecret(pulumi.String("pd-key")).(pulumi.StringOutput),
			SMTPSmarthost: "email-smtp.us-east-1.amazonaws.com:587", SMTPFrom: "alertmanager@ci-agent.tech",
			Route53Provider: usEast1,
		}, k8s)
		return err
	})
	kps := releaseOf(t, m, components.ChartKubePrometheusStack)
	values := kps.Input("values")

	// Burn-rate alerts: every SLO has the four window pairs, each comparing both windows to
	// the same multiple of its error budget.
	alerts := map[string]string{}
	for _, g := range get(values, "additionalPrometheusRulesMap", "ciagent-slo", "groups").([]any) {
		for _, r := range get(g, "rules").([]any) {
			if name, ok := get(r, "alert").(string); ok {
				alerts[name] = get(r, "expr").(string)
			}
		}
	}
	for alert, want := range map[string]string{
		"CiAgentSLOAvailabilityBurn1h": "ciagent:slo_availability:bad_ratio_rate1h > 0.00144 and ciagent:slo_availability:bad_ratio_rate5m > 0.00144",
		"CiAgentSLOAvailabilityBurn3d": "ciagent:slo_availability:bad_ratio_rate3d > 0.0001 and ciagent:slo_availability:bad_ratio_rate6h > 0.0001",
		"CiAgentSLOLatencyBurn6h":      "ciagent:slo_latency:bad_ratio_rate6h > 0.06 and ciagent:slo_latency:bad_ratio_rate30m > 0.06",
		"CiAgentSLOErrorsBurn1h":       "ciagent:slo_errors:bad_ratio_rate1h > 0.0144 and ciagent:slo_errors:bad_ratio_rate5m > 0.0144",
	} {
		if got, ok := alerts[alert]; !ok || !strings.Contains(got, want[:strings.Index(want, " and")]) || !strings.HasSuffix(got, want[strings.LastIndex(want, " > "):]) {
			t.Errorf("alert %s = %q; want %q", alert, got, want)
		}
	}
	for _, alert := range []string{"CiAgentSpoolGrowing", "CiAgentDatabaseWriteErrors"} {
		if _, ok := alerts[alert]; !ok {
			t.Errorf("missing pipeline alert %s; have %v", alert, alerts)
		}
	}
	for _, metric := range []string{components.MetricRequests, components.MetricDuration, components.MetricSpoolBytes, components.MetricWriteErrors} {
		if !contains(values, metric) {
			t.Errorf("rules never use the app's metric %s", metric)
		}
	}

	// Grafana's admin password is generated, not the chart's public default.
	if pw := get(values, "grafana", "adminPassword"); pw == nil || pw == "prom-operator" {
		t.Errorf("grafana.adminPassword = %v; want a generated password", pw)
	}
	one(t, m, "random:index/randomPassword:RandomPassword", "obs-grafana-admin")

	// Alert routes: the secret receivers stay secret.
	receivers := get(values, "alertmanager", "config", "receivers").([]any)
	eq(t, "receivers", len(receivers), 4) // null, email, pagerduty, slack
	// Alertmanager rejects an email receiver without a smarthost and a from address.
	eq(t, "smtp smarthost", get(values, "alertmanager", "config", "global", "smtp_smarthost"), "email-smtp.us-east-1.amazonaws.com:587")
	eq(t, "smtp from", get(values, "alertmanager", "config", "global", "smtp_from"), "alertmanager@ci-agent.tech")
	if contains(values, "pd-key") || contains(values, "hooks.slack.example") {
		t.Errorf("a secret alert route leaked into plain values: %v", receivers)
	}

	eq(t, "blackbox scrape target", get(values, "prometheus", "prometheusSpec", "additionalScrapeConfigs", 0, "static_configs", 0, "targets"),
		[]any{"https://api.ci-agent.tech/healthz"})
	releaseOf(t, m, components.ChartBlackboxExporter)
	loki := releaseOf(t, m, components.ChartLoki).Input("values")
	// The chart's memcached caches ask for more memory than a node has.
	eq(t, "loki chunks cache", get(loki, "chunksCache", "enabled"), false)
	eq(t, "loki results cache", get(loki, "resultsCache", "enabled"), false)
	// prometheus-adapter serves the HPA's Pods metric with the rules of
	// deploy/prometheus-adapter/values.yaml, from kube-prometheus-stack's Prometheus.
	adapterRelease := releaseOf(t, m, components.ChartPrometheusAdapter)
	eq(t, "adapter after Prometheus", adapterRelease.DependsOn(kps), true)
	adapter := adapterRelease.Input("values")
	raw, err := os.ReadFile("../deploy/prometheus-adapter/values.yaml")
	if err != nil {
		t.Fatal(err)
	}
	var file map[string]any
	if err := yaml.Unmarshal(raw, &file); err != nil {
		t.Fatal(err)
	}
	eq(t, "adapter rules", get(adapter, "rules"), file["rules"])
	eq(t, "adapter default rules", get(adapter, "rules", "default"), false)
	eq(t, "adapter metric", get(adapter, "rules", "custom", 0, "name", "as"), "ciagent_http_requests_per_second")
	eq(t, "adapter Prometheus", get(adapter, "prometheus"), map[string]any{"url": "http://kube-prometheus-stack-prometheus.monitoring.svc", "port": 9090})
	eq(t, "adapter Prometheus as in the file", get(adapter, "prometheus", "url"), get(file, "prometheus", "url"))
	// One Alloy tails every pod through the API; a DaemonSet would ship each line once per node.
	eq(t, "alloy controller", get(releaseOf(t, m, components.ChartAlloy).Input("values"), "controller", "type"), "deployment")

	dashboards := 0
	for _, cm := range m.ByType("kubernetes:core/v1:ConfigMap") {
		if get(cm.Input("metadata"), "labels", "grafana_dashboard") == "1" {
			dashboards++
		}
	}
	eq(t, "dashboards as ConfigMaps", dashboards, len(components.Dashboards()))

	check := one(t, m, "aws:route53/healthCheck:HealthCheck", "obs-public-health")
	eq(t, "health check", []any{check.Input("type"), check.Input("fqdn"), check.Input("resourcePath")}, []any{"HTTPS_STR_MATCH", "api.ci-agent.tech", "/healthz"})
	alarm := one(t, m, "aws:cloudwatch/metricAlarm:MetricAlarm", "obs-public-down")
	eq(t, "alarm metric", alarm.Input("metricName"), "HealthCheckStatus")
	eq(t, "alarm region", alarm.Region, "us-east-1")
	eq(t, "alarm action", alarm.Input("alarmActions"), []any{one(t, m, "aws:sns/topic:Topic", "obs-alarms").Output("arn")})
}

func TestGitOps(t *testing.T) {
	m := withK8s(t, func(ctx *pulumi.Context, k8s pulumi.ResourceOption) error {
		_, err := components.NewGitOps(ctx, "gitops", &components.GitOpsArgs{
			Environment: "prod", RepoURL: "https://github.com/ci-agent/ci-agent.git", Revision: "main",
			Values: map[string]pulumi.StringInput{"image.repository": pulumi.String("123.dkr.ecr/ci-agent")},
		}, k8s)
		return err
	})
	releaseOf(t, m, components.ChartArgoCD)
	apps := releaseOf(t, m, components.ChartArgoCDApps)
	app := get(apps.Input("values"), "applications", "ci-agent-prod")
	eq(t, "application chart path", get(app, "source", "path"), "deploy/chart/ci-agent")
	eq(t, "application values file", get(app, "source", "helm", "valueFiles"), []any{"values-prod.yaml"})
	eq(t, "application parameter", get(app, "source", "helm", "parameters", 0), map[string]any{"name": "image.repository", "value": "123.dkr.ecr/ci-agent"})
	eq(t, "prod syncs on demand", get(app, "syncPolicy", "automated"), nil)
	eq(t, "app namespace", get(one(t, m, "kubernetes:core/v1:Namespace", "gitops-app-ns").Input("metadata"), "name"), "ci-agent")

	// The controllers of the chart's other kinds, with their CRDs, before the Application.
	eso := releaseOf(t, m, components.ChartExternalSecrets)
	eq(t, "external-secrets installs its CRDs", get(eso.Input("values"), "installCRDs"), true)
	eq(t, "external-secrets namespace", eso.Input("namespace"), "external-secrets")
	rollouts := releaseOf(t, m, components.ChartArgoRollouts)
	eq(t, "argo-rollouts installs its CRDs", get(rollouts.Input("values"), "installCRDs"), true)
	eq(t, "argo-rollouts namespace", rollouts.Input("namespace"), "argo-rollouts")
	eq(t, "Application after External Secrets", apps.DependsOn(eso), true)
	eq(t, "Application after Argo Rollouts", apps.DependsOn(rollouts), true)
}

// TestGitOpsChaosInjection: the app namespace carries Chaos Mesh's inject annotation only when
// asked (phase 7 with ci-agent:chaosMesh), since the namespace filter lets nothing else in.
func TestGitOpsChaosInjection(t *testing.T) {
	for _, inject := range []bool{false, true} {
		t.Run(fmt.Sprint("chaosInjection=", inject), func(t *testing.T) {
			m := withK8s(t, func(ctx *pulumi.Context, k8s pulumi.ResourceOption) error {
				_, err := components.NewGitOps(ctx, "gitops", &components.GitOpsArgs{
					Environment: "dev", RepoURL: "https://github.com/ci-agent/ci-agent.git", Revision: "main",
					ChaosInjection: inject,
				}, k8s)
				return err
			})
			meta := one(t, m, "kubernetes:core/v1:Namespace", "gitops-app-ns").Input("metadata")
			want := any(nil)
			if inject {
				want = "enabled"
			}
			eq(t, "inject annotation", get(meta, "annotations", components.ChaosInjectAnnotation), want)
			eq(t, "pod security", get(meta, "labels", "pod-security.kubernetes.io/enforce"), "restricted")
		})
	}
}

func TestAppAccess(t *testing.T) {
	m := run(t, func(ctx *pulumi.Context) error {
		_, err := components.NewAppAccess(ctx, "app", &components.AppAccessArgs{
			Environment: "prod", Region: "us-east-1",
			OidcProviderArn: pulumi.String("arn:oidc"), OidcIssuer: pulumi.String("oidc.example/id/X"),
			SecretArns: []pulumi.StringInput{pulumi.String("arn:db-secret"), pulumi.String("arn:redis-secret")},
			KeyArns:    []pulumi.StringInput{pulumi.String("arn:db-key"), pulumi.String("arn:cache-key")},
		})
		return err
	})
	key := one(t, m, "aws:kms/key:Key", "app-kms")
	eq(t, "key rotation", key.Input("enableKeyRotation"), true)
	secret := one(t, m, "aws:secretsmanager/secret:Secret", "app-api-keys")
	eq(t, "API-keys secret key", secret.Input("kmsKeyId"), key.Output("arn"))
	// The operator writes the keys file; Pulumi writes no value (a placeholder would crash ciagent).
	eq(t, "API-keys secret versions", count(m, "aws:secretsmanager/secretVersion:SecretVersion"), 0)

	role := one(t, m, "aws:iam/role:Role", "app-role")
	eq(t, "role name prefix", role.Input("namePrefix"), "ci-agent-prod-app-")
	trust := policyDoc(t, role, "assumeRolePolicy")
	eq(t, "trust principal", get(trust, "Statement", 0, "Principal", "Federated"), "arn:oidc")
	eq(t, "trust action", get(trust, "Statement", 0, "Action"), "sts:AssumeRoleWithWebIdentity")
	eq(t, "trust condition", get(trust, "Statement", 0, "Condition"), map[string]any{"StringEquals": map[string]any{
		"oidc.example/id/X:sub": "system:serviceaccount:ci-agent:ci-agent-prod",
		"oidc.example/id/X:aud": "sts.amazonaws.com",
	}})
	doc := policyDoc(t, one(t, m, "aws:iam/rolePolicy:RolePolicy", "app-role-policy"), "policy")
	statements := doc["Statement"].([]any)
	eq(t, "statements", len(statements), 2)
	eq(t, "secret actions", get(statements[0], "Action"), []any{"secretsmanager:GetSecretValue", "secretsmanager:DescribeSecret"})
	// Exactly the app's three secrets, never "*".
	eq(t, "readable secrets", get(statements[0], "Resource"), []any{secret.Output("arn"), "arn:db-secret", "arn:redis-secret"})
	eq(t, "kms actions", get(statements[1], "Action"), []any{"kms:Decrypt"})
	eq(t, "decryptable keys", get(statements[1], "Resource"), []any{key.Output("arn"), "arn:db-key", "arn:cache-key"})
	eq(t, "decrypt only through Secrets Manager", get(statements[1], "Condition", "StringEquals", "kms:ViaService"),
		"secretsmanager.us-east-1.amazonaws.com")
	if contains(doc, `"*"`) {
		t.Errorf("app policy grants a wildcard: %v", doc)
	}
}

func TestMetricsServer(t *testing.T) {
	m := withK8s(t, func(ctx *pulumi.Context, k8s pulumi.ResourceOption) error {
		return components.NewMetricsServer(ctx, "metrics-server", k8s)
	})
	ms := releaseOf(t, m, components.ChartMetricsServer)
	eq(t, "metrics-server namespace", ms.Input("namespace"), "kube-system")
	eq(t, "metrics-server replicas", get(ms.Input("values"), "replicas"), 2)
}

func TestChaosMesh(t *testing.T) {
	m := withK8s(t, func(ctx *pulumi.Context, k8s pulumi.ResourceOption) error {
		return components.NewChaosMesh(ctx, "chaos-mesh", 2, k8s)
	})
	cm := releaseOf(t, m, components.ChartChaosMesh)
	eq(t, "chaos-mesh repo", components.ChartChaosMesh.Repo, "https://charts.chaos-mesh.org")
	eq(t, "chaos-mesh namespace", cm.Input("namespace"), "chaos-mesh")
	eq(t, "chaos-mesh release name", cm.Input("name"), "chaos-mesh")
	values := cm.Input("values")
	for _, tc := range []struct {
		path []any
		want any
	}{
		{[]any{"chaosDaemon", "runtime"}, "containerd"},
		{[]any{"chaosDaemon", "socketPath"}, "/run/containerd/containerd.sock"},
		{[]any{"chaosDaemon", "mtls", "enabled"}, true},
		{[]any{"chaosDaemon", "resources", "requests"}, map[string]any{"cpu": "25m", "memory": "64Mi"}},
		{[]any{"dashboard", "create"}, false},
		{[]any{"dashboard", "securityMode"}, true},
		{[]any{"dnsServer", "create"}, false},
		{[]any{"controllerManager", "replicaCount"}, 2},
		{[]any{"controllerManager", "enableFilterNamespace"}, true},
		{[]any{"controllerManager", "allowHostNetworkTesting"}, false},
		{[]any{"controllerManager", "resources", "requests"}, map[string]any{"cpu": "25m", "memory": "256Mi"}},
		{[]any{"clusterScoped"}, true},
		{[]any{"rbac", "create"}, true},
		{[]any{"enableProfiling"}, false},
	} {
		eq(t, fmt.Sprint(tc.path), get(values, tc.path...), tc.want)
	}

	if err := runErr(func(ctx *pulumi.Context) error { return components.NewChaosMesh(ctx, "chaos-mesh", 0) }); err == nil {
		t.Error("NewChaosMesh with 0 controller replicas: no error")
	}
}

func TestCache(t *testing.T) {
	for _, nodes := range []int{1, 2} {
		m := run(t, func(ctx *pulumi.Context) error {
			_, err := components.NewCache(ctx, "cache", &components.CacheArgs{
				VpcID: pulumi.String("vpc-1"), SubnetIDs: pulumi.ToStringArray([]string{"a", "b"}),
				ClientSecurityGroupIDs: pulumi.ToStringArray([]string{"sg-nodes"}), NodeType: "cache.t4g.small", Nodes: nodes,
			})
			return err
		})
		rg := one(t, m, "aws:elasticache/replicationGroup:ReplicationGroup", "cache")
		for k, want := range map[string]any{
			"transitEncryptionEnabled": true,
			"atRestEncryptionEnabled":  true,
			"kmsKeyId":                 one(t, m, "aws:kms/key:Key", "cache-kms").Output("arn"),
			"authToken":                "[secret]",
			"numCacheClusters":         float64(nodes),
			"automaticFailoverEnabled": nodes >= 2,
			"multiAzEnabled":           nodes >= 2,
			// A token rotation (rotate-secrets.md) adds the new token next to the old one at
			// once, since the URL secret changes at once too.
			"authTokenUpdateStrategy": "ROTATE",
			"applyImmediately":        true,
		} {
			eq(t, "redis "+k, rg.Input(k), want)
		}
		eq(t, "redis SG sources", get(one(t, m, "aws:ec2/securityGroup:SecurityGroup", "cache-sg").Input("ingress"), 0, "securityGroups"), []any{"sg-nodes"})
	}
}

func TestCDN(t *testing.T) {
	m := run(t, func(ctx *pulumi.Context) error {
		usEast1, err := aws.NewProvider(ctx, "aws-us-east-1", &aws.ProviderArgs{Region: pulumi.String("us-east-1")})
		if err != nil {
			return err
		}
		_, err = components.NewCDN(ctx, "cdn", &components.CDNArgs{Domain: "ci-agent.tech", ZoneID: pulumi.String("Z1"), UsEast1: usEast1})
		return err
	})
	cert := one(t, m, "aws:acm/certificate:Certificate", "cdn-cert")
	eq(t, "certificate region", cert.Region, "us-east-1")
	eq(t, "certificate provider is explicit", cert.Provider != "", true)
	policy := one(t, m, "aws:cloudfront/responseHeadersPolicy:ResponseHeadersPolicy", "cdn-security-headers")
	sec := policy.Input("securityHeadersConfig")
	eq(t, "HSTS max-age", get(sec, "strictTransportSecurity", "accessControlMaxAgeSec"), 63072000.0)
	eq(t, "nosniff", get(sec, "contentTypeOptions", "override"), true)
	eq(t, "frame options", get(sec, "frameOptions", "frameOption"), "DENY")
	eq(t, "CSP", get(sec, "contentSecurityPolicy", "contentSecurityPolicy"), components.SecurityHeaders["Content-Security-Policy"])
	eq(t, "referrer policy", get(sec, "referrerPolicy", "referrerPolicy"), components.SecurityHeaders["Referrer-Policy"])
	dist := one(t, m, "aws:cloudfront/distribution:Distribution", "cdn")
	eq(t, "distribution headers policy", get(dist.Input("defaultCacheBehavior"), "responseHeadersPolicyId"), policy.ID)
	eq(t, "viewer certificate", get(dist.Input("viewerCertificate"), "acmCertificateArn"),
		one(t, m, "aws:acm/certificateValidation:CertificateValidation", "cdn-cert-validated").Output("certificateArn"))
	eq(t, "origin HTTPS only", get(dist.Input("origins"), 0, "customOriginConfig", "originProtocolPolicy"), "https-only")
}

func TestCostControls(t *testing.T) {
	m := run(t, func(ctx *pulumi.Context) error {
		_, err := components.NewCostControls(ctx, "cost", &components.CostControlsArgs{
			Environment: "prod", Email: "ops@ci-agent.tech",
			Budgets: []components.BudgetLine{
				{Name: "compute", LimitUSD: 300, Services: components.SeedBudgetServices["compute"]},
				{Name: "database", LimitUSD: 50, Services: components.SeedBudgetServices["database"]},
				{Name: "storage", LimitUSD: 10, Services: components.SeedBudgetServices["storage"]},
				{Name: "transfer", LimitUSD: 20, Services: components.SeedBudgetServices["transfer"]},
				{Name: "total", LimitUSD: 380},
			},
		})
		return err
	})
	for name, want := range map[string]string{"compute": "300.00", "database": "50.00", "storage": "10.00", "transfer": "20.00", "total": "380.00"} {
		b := one(t, m, "aws:budgets/budget:Budget", "cost-"+name)
		eq(t, name+" limit", b.Input("limitAmount"), want)
		var thresholds []string
		for _, n := range b.Input("notifications").([]any) {
			thresholds = append(thresholds, fmt.Sprintf("%v@%v", get(n, "notificationType"), get(n, "threshold")))
		}
		eq(t, name+" alerts", thresholds, []string{"ACTUAL@80", "ACTUAL@100", "FORECASTED@100"})
	}
	monitor := one(t, m, "aws:costexplorer/anomalyMonitor:AnomalyMonitor", "cost-anomalies")
	eq(t, "anomaly monitor type", monitor.Input("monitorType"), "CUSTOM")
	sub := one(t, m, "aws:costexplorer/anomalySubscription:AnomalySubscription", "cost-anomaly-alerts")
	eq(t, "anomaly subscription monitor", sub.Input("monitorArnLists"), []any{monitor.Output("arn")})
}

func TestNamespaceLimits(t *testing.T) {
	m := withK8s(t, func(ctx *pulumi.Context, k8s pulumi.ResourceOption) error {
		return components.NewNamespaceLimits(ctx, "limits", &components.NamespaceLimitsArgs{
			Namespace: "ci-agent", Quota: map[string]string{"pods": "40"},
			DefaultRequest: map[string]string{"cpu": "100m"}, DefaultLimit: map[string]string{"cpu": "1"},
		}, k8s)
	})
	quota := one(t, m, "kubernetes:core/v1:ResourceQuota", "limits-quota")
	eq(t, "quota namespace", get(quota.Input("metadata"), "namespace"), "ci-agent")
	eq(t, "quota pods", get(quota.Input("spec"), "hard", "pods"), "40")
	lr := one(t, m, "kubernetes:core/v1:LimitRange", "limits-limits")
	eq(t, "default request", get(lr.Input("spec"), "limits", 0, "defaultRequest"), map[string]any{"cpu": "100m"})
}
