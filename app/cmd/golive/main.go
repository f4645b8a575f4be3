// Command golive runs the Go-Live checklist against a live environment with the caller's
// credentials (`make verify STACK=dev|prod`): it shells out to kubectl, aws and curl, hands
// their output to internal/golive, and prints the pass/fail table. Exit 0 means GO.
package main

import (
	"bytes"
	"context"
	"crypto/tls"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/url"
	"os"
	"os/exec"
	"os/signal"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/ci-agent/ci-agent/app/internal/golive"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := run(ctx, os.Args[1:], os.Getenv, os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}

type options struct {
	target  golive.Target
	kubectl string
	aws     string
	curl    string
	apiKey  string
	timeout time.Duration
	skipAWS bool
	// noContext, when set, is the detail of every kubectl check: without a current context
	// kubectl falls back to localhost:8080 (make run's port) and answers with misleading errors.
	noContext string
}

func run(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("golive", flag.ContinueOnError)
	fs.SetOutput(stderr)
	stack := fs.String("stack", "dev", "dev or prod")
	host := fs.String("host", "", "public hostname (default: the stack's)")
	namespace := fs.String("namespace", "", "the app's namespace (default ci-agent)")
	dbInstance := fs.String("db-instance", "", "RDS instance identifier (default ci-agent-<stack>)")
	region := fs.String("region", getenv("AWS_REGION"), "AWS region (default us-east-1; env AWS_REGION)")
	var o options
	fs.StringVar(&o.kubectl, "kubectl", "kubectl", "kubectl binary (uses the current kubeconfig context)")
	fs.StringVar(&o.aws, "aws", "aws", "aws CLI binary")
	fs.StringVar(&o.curl, "curl", "curl", "curl binary")
	fs.StringVar(&o.apiKey, "api-key", getenv("CIAGENT_API_KEY"), "API key for the smoke request (env CIAGENT_API_KEY); without it the smoke check is skipped")
	fs.DurationVar(&o.timeout, "timeout", 30*time.Second, "limit for each command")
	fs.BoolVar(&o.skipAWS, "skip-aws", false, "skip the checks that need the aws CLI")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	t, err := golive.DefaultTarget(*stack)
	if err != nil {
		fmt.Fprintln(stderr, "golive:", err)
		return 2
	}
	for _, o := range []struct {
		dst *string
		v   string
	}{{&t.Host, *host}, {&t.Namespace, *namespace}, {&t.DBInstance, *dbInstance}, {&t.Region, *region}} {
		if o.v != "" {
			*o.dst = o.v
		}
	}
	o.target = t
	kctx, err := currentContext(ctx, o)
	shown := kctx
	if err != nil {
		shown = "none"
	}
	fmt.Fprintf(stdout, "Go-Live checklist for %s: cluster context %q, https://%s, database %s (%s)\n",
		t.Stack, shown, t.Host, t.DBInstance, t.Region)
	hint := fmt.Sprintf("aws eks update-kubeconfig --name %s --region %s", t.Cluster, t.Region)
	switch {
	case errors.Is(err, exec.ErrNotFound):
		// No kubectl at all: each kubectl check reports that itself.
	case err != nil:
		fmt.Fprintf(stdout, "(no kubeconfig context: %s)\n", hint)
		o.noContext = "no kubeconfig context (" + hint + ")"
	case !strings.Contains(kctx, t.Cluster):
		fmt.Fprintf(stdout, "warning: context %q is not cluster %s: checking another cluster under %s's name (%s)\n",
			kctx, t.Cluster, t.Stack, hint)
	}
	fmt.Fprintln(stdout)
	if !golive.Report(stdout, t.Stack, checks(ctx, o)) {
		return 1
	}
	return 0
}

func checks(ctx context.Context, o options) []golive.Result {
	t := o.target
	var out []golive.Result
	add := func(r golive.Result) { out = append(out, r) }

	// kube runs kubectl and hands its JSON to check, or reports the command's failure.
	kube := func(name string, check func([]byte) golive.Result, args ...string) {
		if o.noContext != "" {
			add(golive.Result{Name: name, Status: golive.Fail, Detail: o.noContext})
			return
		}
		b, err := o.exec(ctx, o.kubectl, args...)
		if err != nil {
			command := "kubectl " + strings.Join(args, " ")
			if _, after, ok := strings.Cut(command, "/proxy"); ok {
				// The proxied Prometheus path, without the long query string.
				api, _, _ := strings.Cut(after, "?")
				command = "kubectl get --raw prometheus:" + api
			}
			add(golive.CommandFailed(name, command, err, b))
			return
		}
		add(check(b))
	}
	kube("nodes ready", func(b []byte) golive.Result { return golive.CheckNodes(b, 3) }, "get", "nodes", "-o", "json")
	kube("system pods running", func(b []byte) golive.Result { return golive.CheckSystemPods(b, t.SystemNamespaces) }, "get", "pods", "-A", "-o", "json")
	kind := "deployment.apps"
	if t.Rollout {
		kind = "rollout.argoproj.io"
	}
	kube("app replicas available", func(b []byte) golive.Result { return golive.CheckWorkload(b, t.MinReplicas) },
		"-n", t.Namespace, "get", kind, t.Release, "-o", "json")
	kube("autoscaler active", func(b []byte) golive.Result { return golive.CheckHPA(b, t.MinReplicas, t.MaxReplicas) },
		"-n", t.Namespace, "get", "hpa", t.Release, "-o", "json")

	// curl verifies the chain and the name; a TLS failure is a non-zero exit.
	edgeArgs := []string{"-sS", "--max-time", "15", "-D", "-", "-o", "/dev/null", "https://" + t.Host + "/healthz"}
	if b, err := o.exec(ctx, o.curl, edgeArgs...); err != nil {
		add(golive.CommandFailed("ingress TLS + security headers", "curl https://"+t.Host+"/healthz", err, b))
	} else {
		add(golive.CheckEdge(t.Host, b))
	}
	if notAfter, err := certificateExpiry(ctx, t.Host); err != nil {
		add(golive.Result{Name: "certificate validity", Status: golive.Fail, Detail: err.Error()})
	} else {
		add(golive.CheckCertificate(t.Host, notAfter, time.Now(), t.CertMinValidity))
	}

	// Prometheus through the API server's service proxy: no port-forward, the user's RBAC.
	prom := func(name, query string, check func([]byte) golive.Result) {
		path := fmt.Sprintf("/api/v1/namespaces/%s/services/http:%s:9090/proxy/api/v1/query?query=%s",
			t.PrometheusNamespace, t.PrometheusService, url.QueryEscape(query))
		kube(name, check, "get", "--raw", path)
	}
	sel := fmt.Sprintf(`namespace=%q, service=%q`, t.Namespace, t.Release)
	prom("prometheus scraping the app", "up{"+sel+"}", func(b []byte) golive.Result { return golive.CheckScrape(b, t.MinReplicas) })
	prom("prometheus has app metrics", "ciagent_http_requests_total{"+sel+"}", func(b []byte) golive.Result {
		return golive.CheckMetricsPresent(b, "ciagent_http_requests_total")
	})
	prom("SLO p99 latency (1h)", `histogram_quantile(0.99, sum by (le) (rate(ciagent_http_request_duration_seconds_bucket{`+sel+`, route=~"/v1/.*"}[1h])))`,
		func(b []byte) golive.Result {
			return golive.CheckSLOValue("SLO p99 latency (1h)", b, t.MaxP99.Seconds(), "s")
		})
	prom("SLO error rate (1h)", `sum(rate(ciagent_http_requests_total{`+sel+`, code=~"5.."}[1h])) / sum(rate(ciagent_http_requests_total{`+sel+`}[1h]))`,
		func(b []byte) golive.Result {
			return golive.CheckSLOValue("SLO error rate (1h)", b, t.MaxErrorRate, "%")
		})
	kube("no critical alerts firing", golive.CheckAlerts, "get", "--raw",
		fmt.Sprintf("/api/v1/namespaces/%s/services/http:%s:9090/proxy/api/v1/alerts", t.PrometheusNamespace, t.PrometheusService))

	if o.skipAWS {
		add(golive.Result{Name: "latest backup restorable", Status: golive.Skip, Detail: "-skip-aws"})
	} else {
		add(backups(ctx, o))
	}
	add(smoke(ctx, o))
	return out
}

func backups(ctx context.Context, o options) golive.Result {
	const name = "latest backup restorable"
	t := o.target
	instArgs := []string{"rds", "describe-db-instances", "--region", t.Region, "--db-instance-identifier", t.DBInstance, "--output", "json"}
	inst, err := o.exec(ctx, o.aws, instArgs...)
	if err != nil {
		return golive.CommandFailed(name, "aws "+strings.Join(instArgs[:2], " "), err, inst)
	}
	snapArgs := []string{"rds", "describe-db-snapshots", "--region", t.Region, "--db-instance-identifier", t.DBInstance, "--snapshot-type", "automated", "--output", "json"}
	snaps, err := o.exec(ctx, o.aws, snapArgs...)
	if err != nil {
		return golive.CommandFailed(name, "aws "+strings.Join(snapArgs[:2], " "), err, snaps)
	}
	return golive.CheckBackups(inst, snaps, time.Now(), t.MaxRestoreLag, t.MaxSnapshotAge)
}

// smokeLog is a real failure a correct deployment classifies (go.undefined-identifier).
const smokeLog = "##[group]Run go build ./...\ngo: downloading example.com/x v1.0.0\n# example.com/app/internal/store\ninternal/store/store.go:48:9: undefined: openPool\n##[error]Process completed with exit code 1.\n"

func smoke(ctx context.Context, o options) golive.Result {
	const name = "API answers /v1/ci/explain"
	if o.apiKey == "" {
		return golive.Result{Name: name, Status: golive.Skip, Detail: "set CIAGENT_API_KEY to send a real request"}
	}
	args := []string{"-sS", "--max-time", "15", "-X", "POST", "-H", "Content-Type: text/plain",
		// The key goes through a header file on stdin, not the command line (visible in ps).
		"-H", "@-", "--data-binary", smokeLog, "-w", "\n%{http_code}",
		"https://" + o.target.Host + "/v1/ci/explain?repo=golive/smoke&job=verify"}
	b, err := run1(ctx, o.timeout, strings.NewReader("Authorization: Bearer "+o.apiKey+"\n"), o.curl, args...)
	if err != nil {
		return golive.CommandFailed(name, "curl POST /v1/ci/explain", err, b)
	}
	body, code, _ := cutLast(b)
	status, _ := strconv.Atoi(strings.TrimSpace(string(code)))
	return golive.CheckSmoke(status, body)
}

func cutLast(b []byte) (before, last []byte, ok bool) {
	i := bytes.LastIndexByte(b, '\n')
	if i < 0 {
		return nil, b, false
	}
	return b[:i], b[i+1:], true
}

// exec runs one command with the per-command timeout. On failure the returned bytes are its
// stderr (for the report); on success its stdout.
func (o options) exec(ctx context.Context, name string, args ...string) ([]byte, error) {
	return run1(ctx, o.timeout, nil, name, args...)
}

func run1(ctx context.Context, timeout time.Duration, stdin io.Reader, name string, args ...string) ([]byte, error) {
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	// #nosec G204 -- name is the operator's kubectl/aws/curl (a flag of this tool) and the
	// arguments are built here from the stack's target, never from remote input.
	c := exec.CommandContext(ctx, name, args...)
	c.Stdin = stdin
	var stdout, stderr bytes.Buffer
	c.Stdout, c.Stderr = &stdout, &stderr
	if err := c.Run(); err != nil {
		if errors.Is(ctx.Err(), context.DeadlineExceeded) {
			err = fmt.Errorf("timed out after %s", timeout)
		}
		if stderr.Len() == 0 {
			stderr.WriteString(err.Error())
		}
		return stderr.Bytes(), err
	}
	return stdout.Bytes(), nil
}

// currentContext is kubectl's current context; an error when there is none (kubectl says
// "current-context is not set") or kubectl could not run (exec.ErrNotFound).
func currentContext(ctx context.Context, o options) (string, error) {
	b, err := o.exec(ctx, o.kubectl, "config", "current-context")
	if err != nil {
		return "", err
	}
	name := strings.TrimSpace(string(b))
	if name == "" {
		return "", errors.New("empty current context")
	}
	return name, nil
}

// certificateExpiry dials host:443 with full verification and returns the leaf's NotAfter.
func certificateExpiry(ctx context.Context, host string) (time.Time, error) {
	d := tls.Dialer{NetDialer: &net.Dialer{Timeout: 10 * time.Second}, Config: &tls.Config{ServerName: host, MinVersion: tls.VersionTLS12}}
	ctx, cancel := context.WithTimeout(ctx, 15*time.Second)
	defer cancel()
	conn, err := d.DialContext(ctx, "tcp", net.JoinHostPort(host, "443"))
	if err != nil {
		return time.Time{}, fmt.Errorf("TLS to %s:443: %w", host, err)
	}
	defer func() { _ = conn.Close() }()
	certs := conn.(*tls.Conn).ConnectionState().PeerCertificates
	if len(certs) == 0 {
		return time.Time{}, fmt.Errorf("TLS to %s:443: no certificate", host)
	}
	return certs[0].NotAfter, nil
}
