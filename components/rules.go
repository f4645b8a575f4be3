package components

import (
	"fmt"

	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
)

// The filter API's metrics (exported by app/): requests by route and status code, a latency
// histogram, the answers' categories and verdicts, the pipeline's spool size and its database
// write errors.
const (
	MetricRequests     = "ciagent_http_requests_total"
	MetricDuration     = "ciagent_http_request_duration_seconds"
	MetricCategories   = "ciagent_ci_explain_category_total"
	MetricSpamVerdicts = "ciagent_spam_verdicts_total"
	MetricSpoolBytes   = "ciagent_pipeline_spool_bytes"
	MetricWriteErrors  = "ciagent_pipeline_write_errors_total"
)

// sli is one SLO's bad-event ratio over a window.
type sli struct {
	name, description string
	objective         float64
	ratio             func(window string) string
}

var slis = []sli{
	{
		name: "availability", objective: AvailabilitySLO,
		description: "the public endpoint answers its probes (99.99 %)",
		ratio: func(w string) string {
			return fmt.Sprintf(`(1 - avg_over_time(probe_success{job=%q}[%s]))`, ProbeJob, w)
		},
	},
	{
		name: "latency", objective: LatencySLO,
		description: "p99 latency under 200 ms (99 % of requests faster than 200 ms)",
		ratio: func(w string) string {
			return fmt.Sprintf(`(1 - (sum(rate(%s_bucket{le=%q}[%s])) / sum(rate(%s_count[%s]))))`,
				MetricDuration, LatencyThreshold, w, MetricDuration, w)
		},
	},
	{
		name: "errors", objective: ErrorRateSLO,
		description: "error rate under 0.1 % (5xx answers)",
		ratio: func(w string) string {
			return fmt.Sprintf(`(sum(rate(%s{code=~"5.."}[%s])) / sum(rate(%s[%s])))`, MetricRequests, w, MetricRequests, w)
		},
	},
}

// PrometheusRuleGroups returns the rule groups: recording rules for every SLI window,
// multi-window burn-rate alerts per SLO, and the pipeline alerts.
func PrometheusRuleGroups() pulumi.Array {
	windows := map[string]bool{}
	for _, w := range BurnRateWindows {
		windows[w.Long], windows[w.Short] = true, true
	}
	var groups pulumi.Array
	for _, s := range slis {
		var records, alerts pulumi.Array
		for _, w := range []string{"5m", "30m", "1h", "2h", "6h", "1d", "3d"} {
			if !windows[w] {
				continue
			}
			records = append(records, pulumi.Map{
				"record": pulumi.String(fmt.Sprintf("ciagent:slo_%s:bad_ratio_rate%s", s.name, w)),
				"expr":   pulumi.String(s.ratio(w)),
			})
		}
		budget := 1 - s.objective
		for _, w := range BurnRateWindows {
			threshold := w.Factor * budget
			alerts = append(alerts, pulumi.Map{
				"alert": pulumi.String(fmt.Sprintf("CiAgentSLO%sBurn%s", title(s.name), w.Long)),
				"expr": pulumi.String(fmt.Sprintf("ciagent:slo_%s:bad_ratio_rate%s > %.6g and ciagent:slo_%s:bad_ratio_rate%s > %.6g",
					s.name, w.Long, threshold, s.name, w.Short, threshold)),
				"for":    pulumi.String(map[string]string{"page": "2m", "ticket": "15m"}[w.Severity]),
				"labels": pulumi.Map{"severity": pulumi.String(w.Severity), "slo": pulumi.String(s.name)},
				"annotations": pulumi.Map{
					"summary":     pulumi.String(fmt.Sprintf("%s SLO burning its error budget %gx too fast (%s and %s windows)", s.name, w.Factor, w.Long, w.Short)),
					"description": pulumi.String(s.description),
				},
			})
		}
		groups = append(groups,
			pulumi.Map{"name": pulumi.String("ciagent-slo-" + s.name + "-records"), "rules": records},
			pulumi.Map{"name": pulumi.String("ciagent-slo-" + s.name + "-alerts"), "rules": alerts})
	}
	groups = append(groups, pulumi.Map{"name": pulumi.String("ciagent-pipeline"), "rules": pulumi.Array{
		pulumi.Map{
			"alert":       pulumi.String("CiAgentSpoolGrowing"),
			"expr":        pulumi.String(fmt.Sprintf("deriv(%s[30m]) > 0 and %s > %d", MetricSpoolBytes, MetricSpoolBytes, SpoolAlertBytes)),
			"for":         pulumi.String("30m"),
			"labels":      pulumi.Map{"severity": pulumi.String("ticket")},
			"annotations": pulumi.Map{"summary": pulumi.String("the spool keeps growing: the database is not keeping up or is down")},
		},
		pulumi.Map{
			"alert":       pulumi.String("CiAgentDatabaseWriteErrors"),
			"expr":        pulumi.String(fmt.Sprintf("sum(rate(%s[5m])) > 0", MetricWriteErrors)),
			"for":         pulumi.String("10m"),
			"labels":      pulumi.Map{"severity": pulumi.String("page")},
			"annotations": pulumi.Map{"summary": pulumi.String("the pipeline fails to write to PostgreSQL")},
		},
	}})
	return groups
}

func title(s string) string {
	if s == "" {
		return s
	}
	return string(s[0]-'a'+'A') + s[1:]
}

// Dashboard is a Grafana dashboard kept as code.
type Dashboard struct {
	Name string
	JSON map[string]any
}

// Dashboards returns the filter API's dashboards: requests, latency and pipeline.
func Dashboards() []Dashboard {
	panel := func(id int, title, unit string, targets ...string) map[string]any {
		var ts []any
		for i, expr := range targets {
			ts = append(ts, map[string]any{"expr": expr, "refId": string(rune('A' + i))})
		}
		return map[string]any{
			"id": id, "title": title, "type": "timeseries",
			"datasource":  map[string]any{"type": "prometheus", "uid": "prometheus"},
			"fieldConfig": map[string]any{"defaults": map[string]any{"unit": unit}},
			"gridPos":     map[string]any{"h": 8, "w": 12, "x": 12 * ((id - 1) % 2), "y": 8 * ((id - 1) / 2)},
			"targets":     ts,
		}
	}
	dash := func(uid, title string, panels ...map[string]any) map[string]any {
		ps := make([]any, len(panels))
		for i, p := range panels {
			ps[i] = p
		}
		return map[string]any{"uid": uid, "title": title, "schemaVersion": 39, "refresh": "30s",
			"time": map[string]any{"from": "now-6h", "to": "now"}, "tags": []any{"ci-agent"}, "panels": ps}
	}
	return []Dashboard{
		{"requests", dash("ciagent-requests", "ci-agent / requests",
			panel(1, "Requests by route", "reqps", fmt.Sprintf(`sum by (route) (rate(%s[5m]))`, MetricRequests)),
			panel(2, "Responses by code", "reqps", fmt.Sprintf(`sum by (code) (rate(%s[5m]))`, MetricRequests)),
			panel(3, "Error ratio (5xx) vs 0.1 % SLO", "percentunit", "ciagent:slo_errors:bad_ratio_rate5m", "0.001"),
			panel(4, "Availability (probes) vs 99.99 % SLO", "percentunit", fmt.Sprintf(`avg_over_time(probe_success{job=%q}[5m])`, ProbeJob), "0.9999"),
		)},
		{"latency", dash("ciagent-latency", "ci-agent / latency",
			panel(1, "p50 / p90 / p99", "s",
				fmt.Sprintf(`histogram_quantile(0.5, sum by (le) (rate(%s_bucket[5m])))`, MetricDuration),
				fmt.Sprintf(`histogram_quantile(0.9, sum by (le) (rate(%s_bucket[5m])))`, MetricDuration),
				fmt.Sprintf(`histogram_quantile(0.99, sum by (le) (rate(%s_bucket[5m])))`, MetricDuration)),
			panel(2, "p99 by route", "s", fmt.Sprintf(`histogram_quantile(0.99, sum by (le, route) (rate(%s_bucket[5m])))`, MetricDuration)),
			panel(3, "Share slower than 200 ms vs 1 % budget", "percentunit", "ciagent:slo_latency:bad_ratio_rate5m", "0.01"),
		)},
		{"answers", dash("ciagent-answers", "ci-agent / answers",
			panel(1, "CI failures by category", "ops", fmt.Sprintf(`sum by (category) (rate(%s[5m]))`, MetricCategories)),
			panel(2, "Spam verdicts", "ops", fmt.Sprintf(`sum by (verdict) (rate(%s[5m]))`, MetricSpamVerdicts)),
			panel(3, "Share of CI answers that are unknown", "percentunit",
				fmt.Sprintf(`sum(rate(%s{category="unknown"}[1h])) / sum(rate(%s[1h]))`, MetricCategories, MetricCategories)),
			panel(4, "Share of spam checks blocked or hidden", "percentunit",
				fmt.Sprintf(`sum(rate(%s{verdict=~"block|hide"}[1h])) / sum(rate(%s[1h]))`, MetricSpamVerdicts, MetricSpamVerdicts)),
		)},
		{"pipeline", dash("ciagent-pipeline", "ci-agent / pipeline",
			panel(1, "Spool size", "bytes", fmt.Sprintf(`sum(%s)`, MetricSpoolBytes)),
			panel(2, "Database write errors", "ops", fmt.Sprintf(`sum(rate(%s[5m]))`, MetricWriteErrors)),
		)},
	}
}
