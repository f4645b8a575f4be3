package golive

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func read(t *testing.T, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// want checks a Result's status and that its detail mentions every fragment.
func want(t *testing.T, input string, got Result, status Status, fragments ...string) {
	t.Helper()
	if got.Status != status {
		t.Errorf("%s: %s = %s (%s); want %s", input, got.Name, got.Status, got.Detail, status)
	}
	for _, f := range fragments {
		if !strings.Contains(got.Detail, f) {
			t.Errorf("%s: %s detail %q; want it to mention %q", input, got.Name, got.Detail, f)
		}
	}
}

func TestCheckNodes(t *testing.T) {
	tests := []struct {
		file      string
		min       int
		status    Status
		fragments []string
	}{
		{"nodes-ready.json", 3, Pass, []string{"3 nodes Ready"}},
		{"nodes-ready.json", 4, Fail, []string{"3 nodes; want at least 4"}},
		{"nodes-one-notready.json", 3, Fail, []string{"ip-10-0-2-11.ec2.internal DiskPressure", "ip-10-0-3-12.ec2.internal NotReady"}},
	}
	for _, tc := range tests {
		t.Run(tc.file, func(t *testing.T) {
			want(t, tc.file, CheckNodes(read(t, tc.file), tc.min), tc.status, tc.fragments...)
		})
	}
	want(t, "garbage", CheckNodes([]byte("error: You must be logged in"), 1), Fail, "reading kubectl get nodes")
}

func TestCheckSystemPods(t *testing.T) {
	pods := read(t, "pods.json")
	tests := []struct {
		name       string
		namespaces []string
		status     Status
		fragments  []string
	}{
		{"healthy namespaces, finished jobs count as fine", []string{"kube-system", "monitoring", "cert-manager", "ingress-nginx"}, Pass, []string{"6 pods in 4 namespaces"}},
		{"crash-looping container", []string{"kube-system", "argocd"}, Fail, []string{"argocd/argocd-server-55c9 (argocd-server CrashLoopBackOff)"}},
		{"missing component", []string{"kube-system", "external-secrets"}, Fail, []string{"no pods in external-secrets"}},
		{"pending pod", []string{"ci-agent"}, Fail, []string{"ci-agent/ci-agent-prod-7f9c-abcde (Pending)"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			want(t, "pods.json "+strings.Join(tc.namespaces, ","), CheckSystemPods(pods, tc.namespaces), tc.status, tc.fragments...)
		})
	}
}

func TestCheckWorkload(t *testing.T) {
	tests := []struct {
		file      string
		min       int
		status    Status
		fragments []string
	}{
		{"deployment-healthy.json", 3, Pass, []string{"deployment ci-agent-dev: 3/3 available"}},
		{"deployment-healthy.json", 4, Fail, []string{"3 available; want at least 4"}},
		{"deployment-rolling.json", 3, Fail, []string{"1 of 4 replicas on the current revision"}},
		{"rollout-healthy.json", 3, Pass, []string{"rollout ci-agent-prod: 4/4"}},
		{"rollout-degraded.json", 3, Fail, []string{"phase Degraded", "RolloutAborted"}},
	}
	for _, tc := range tests {
		t.Run(tc.file, func(t *testing.T) {
			want(t, tc.file, CheckWorkload(read(t, tc.file), tc.min), tc.status, tc.fragments...)
		})
	}
}

func TestCheckHPA(t *testing.T) {
	want(t, "hpa-active.json", CheckHPA(read(t, "hpa-active.json"), 3, 10), Pass, "3 metrics read")
	want(t, "hpa-active.json 2..10", CheckHPA(read(t, "hpa-active.json"), 2, 10), Fail, "replicas 3..10; want 2..10")
	want(t, "hpa-no-pods-metric.json", CheckHPA(read(t, "hpa-no-pods-metric.json"), 3, 10), Fail, "FailedGetPodsMetric")
}

func TestParseHeaderDumpUsesTheLastResponse(t *testing.T) {
	status, h, err := ParseHeaderDump(read(t, "headers-missing.txt"))
	if err != nil || status != 200 || h.Get("Location") != "" || h.Get("Content-Type") != "application/json" {
		t.Errorf("ParseHeaderDump(headers-missing.txt) = %d, %v, %v; want 200 with only the second response's headers", status, h, err)
	}
	if _, _, err := ParseHeaderDump([]byte("curl: (60) SSL certificate problem: certificate has expired\n")); err == nil {
		t.Error("ParseHeaderDump(curl error) succeeded; want an error")
	}
}

func TestCheckEdge(t *testing.T) {
	want(t, "headers-good.txt", CheckEdge("ci-agent.tech", read(t, "headers-good.txt")), Pass, "all five security headers")
	want(t, "headers-missing.txt", CheckEdge("ci-agent.tech", read(t, "headers-missing.txt")), Fail,
		"HSTS max-age 300", "X-Content-Type-Options", `X-Frame-Options "ALLOWALL"`, "no Content-Security-Policy", "no Referrer-Policy")
	want(t, "503", CheckEdge("ci-agent.tech", []byte("HTTP/2 503\r\n\r\n")), Fail, "answered 503")
}

func TestCheckCertificate(t *testing.T) {
	now := time.Date(2026, 11, 25, 23, 0, 0, 0, time.UTC)
	want(t, "60 days left", CheckCertificate("ci-agent.tech", now.Add(60*24*time.Hour), now, 14*24*time.Hour), Pass, "60 days")
	want(t, "3 days left", CheckCertificate("ci-agent.tech", now.Add(3*24*time.Hour), now, 14*24*time.Hour), Fail, "3 days", "want at least 14")
}

func TestParseQuery(t *testing.T) {
	s, err := ParseQuery(read(t, "prom-up.json"))
	if err != nil || len(s) != 3 || s[2].Value != 0 || s[0].Labels["pod"] != "ci-agent-prod-7f9c-a" {
		t.Errorf("ParseQuery(prom-up.json) = %v, %v; want 3 samples, the last 0", s, err)
	}
	if _, err := ParseQuery(read(t, "prom-error.json")); err == nil || !strings.Contains(err.Error(), "bad_data") {
		t.Errorf("ParseQuery(prom-error.json) error = %v; want bad_data", err)
	}
	sc, err := ParseQuery([]byte(`{"status":"success","data":{"resultType":"scalar","result":[1,"0.5"]}}`))
	if err != nil || len(sc) != 1 || sc[0].Value != 0.5 {
		t.Errorf("ParseQuery(scalar 0.5) = %v, %v; want one sample 0.5", sc, err)
	}
}

func TestPrometheusChecks(t *testing.T) {
	want(t, "prom-up.json", CheckScrape(read(t, "prom-up.json"), 3), Fail, "1 of 3 targets down: ci-agent-prod-7f9c-c")
	want(t, "prom-empty.json", CheckScrape(read(t, "prom-empty.json"), 3), Fail, "0 targets")
	want(t, "prom-up.json metrics", CheckMetricsPresent(read(t, "prom-up.json"), "ciagent_http_requests_total"), Pass, "3 ciagent_http_requests_total series")
	want(t, "prom-empty.json metrics", CheckMetricsPresent(read(t, "prom-empty.json"), "ciagent_http_requests_total"), Fail, "no ciagent_http_requests_total")

	tests := []struct {
		file   string
		max    float64
		status Status
		frag   string
	}{
		{"prom-p99.json", 0.2, Pass, "73.4ms < 200ms"},
		{"prom-p99.json", 0.05, Fail, "73.4ms; want < 50ms"},
		{"prom-nan.json", 0.2, Skip, "no traffic"},
		{"prom-empty.json", 0.2, Skip, "no traffic"},
		{"prom-error.json", 0.2, Fail, "bad_data"},
	}
	for _, tc := range tests {
		want(t, tc.file, CheckSLOValue("p99 latency", read(t, tc.file), tc.max, "s"), tc.status, tc.frag)
	}
	want(t, "error rate", CheckSLOValue("error rate", []byte(`{"status":"success","data":{"resultType":"vector","result":[{"metric":{},"value":[1,"0.002"]}]}}`), 0.001, "%"), Fail, "0.200%; want < 0.100%")
}

func TestCheckAlerts(t *testing.T) {
	want(t, "alerts.json", CheckAlerts(read(t, "alerts.json")), Pass, "1 warnings: KubePodCrashLooping{argocd}")
	want(t, "alerts-critical.json", CheckAlerts(read(t, "alerts-critical.json")), Fail, "2 critical firing: CiAgentErrorBudgetBurnFast{ci-agent}, TargetDown{monitoring}")
}

func TestCheckBackups(t *testing.T) {
	now := time.Date(2026, 11, 25, 23, 0, 0, 0, time.UTC)
	inst, snaps := read(t, "rds-instance.json"), read(t, "rds-snapshots.json")
	want(t, "fresh backups", CheckBackups(inst, snaps, now, 15*time.Minute, 26*time.Hour), Pass, "rds:ci-agent-prod-2026-11-25-03-10", "retention 30 days")
	want(t, "PITR lagging", CheckBackups(inst, snaps, now.Add(time.Hour), 15*time.Minute, 26*time.Hour), Fail, "latest restorable time")
	want(t, "snapshot too old", CheckBackups(inst, snaps, now, 15*time.Minute, 12*time.Hour), Fail, "newest snapshot rds:ci-agent-prod-2026-11-25-03-10")
	want(t, "backups off", CheckBackups(read(t, "rds-instance-nobackup.json"), snaps, now, 15*time.Minute, 26*time.Hour), Fail, "automated backups are off")
	want(t, "no snapshots", CheckBackups(inst, []byte(`{"DBSnapshots":[]}`), now, 15*time.Minute, 26*time.Hour), Fail, "no available automated snapshot")
}

func TestCheckSmoke(t *testing.T) {
	want(t, "200", CheckSmoke(200, []byte(`{"id":"0193","category":"compile","confidence":0.8}`)), Pass, "category compile")
	want(t, "401", CheckSmoke(401, []byte(`{"error":"missing API key"}`)), Fail, "status 401")
	want(t, "200 garbage", CheckSmoke(200, []byte(`<html>`)), Fail, "without id and category")
}

func TestReport(t *testing.T) {
	var buf bytes.Buffer
	ok := Report(&buf, "prod", []Result{
		{Name: "nodes ready", Status: Pass, Detail: "3 nodes"},
		{Name: "p99 latency", Status: Skip, Detail: "no traffic"},
	})
	if !ok || !strings.Contains(buf.String(), "prod: 1 passed, 0 failed, 1 skipped") || !strings.Contains(buf.String(), "prod: GO") {
		t.Errorf("Report(pass+skip) = %v:\n%s\nwant GO with the counts", ok, buf.String())
	}
	buf.Reset()
	ok = Report(&buf, "dev", []Result{{Name: "nodes ready", Status: Fail, Detail: "line one\nline two"}})
	if ok || !strings.Contains(buf.String(), "dev: NO-GO") || !strings.Contains(buf.String(), "line one line two") {
		t.Errorf("Report(fail) = %v:\n%s\nwant NO-GO and a one-line detail", ok, buf.String())
	}
}

func TestDefaultTarget(t *testing.T) {
	dev, err := DefaultTarget("dev")
	if err != nil || dev.Host != "api.dev.ci-agent.tech" || dev.Rollout || dev.DBInstance != "ci-agent-dev" || dev.Release != "ci-agent-dev" {
		t.Errorf("DefaultTarget(dev) = %+v, %v; want api.dev.ci-agent.tech, a Deployment, database and release ci-agent-dev", dev, err)
	}
	prod, err := DefaultTarget("prod")
	if err != nil || prod.Host != "api.ci-agent.tech" || !prod.Rollout || prod.MinReplicas != 3 || prod.MaxReplicas != 10 || prod.Release != "ci-agent-prod" {
		t.Errorf("DefaultTarget(prod) = %+v, %v; want api.ci-agent.tech, a Rollout ci-agent-prod, 3..10", prod, err)
	}
	if _, err := DefaultTarget("staging"); err == nil {
		t.Error("DefaultTarget(staging) succeeded; want an error")
	}
}

func TestCommandFailed(t *testing.T) {
	r := CommandFailed("nodes ready", "kubectl get nodes", os.ErrNotExist, []byte("E1125 memcache.go:265] couldn't get current server API group list\nerror: the server has asked for the client to provide credentials\n"))
	want(t, "kubectl error", r, Fail, "kubectl get nodes: error: the server has asked for the client to provide credentials")
}
