package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// fakeKubectl writes a kubectl that answers `config current-context` with kctx (or, when it
// is empty, fails as kubectl does without one), fails every other command, and logs each call
// to the returned file.
func fakeKubectl(t *testing.T, kctx string) (bin, log string) {
	t.Helper()
	dir := t.TempDir()
	bin, log = filepath.Join(dir, "kubectl"), filepath.Join(dir, "calls")
	current := `echo "error: current-context is not set" >&2; exit 1`
	if kctx != "" {
		current = "echo '" + kctx + "'; exit 0"
	}
	script := "#!/bin/sh\necho \"$*\" >>'" + log + "'\n" +
		"if [ \"$*\" = 'config current-context' ]; then " + current + "; fi\n" +
		"echo 'error: fake cluster' >&2\nexit 1\n"
	if err := os.WriteFile(bin, []byte(script), 0o755); err != nil { // #nosec G306 -- an executable in a test's temp dir
		t.Fatal(err)
	}
	return bin, log
}

func TestKubeconfigContext(t *testing.T) {
	const noContext = "no kubeconfig context (aws eks update-kubeconfig --name ci-agent-dev --region us-east-1)"
	tests := []struct {
		name    string
		context string
		// output must contain every one of these; refuse none of those.
		output, refuse []string
		// kubectlChecks is how many report lines carry noContext; calls, the kubectl calls.
		kubectlChecks int
		calls         []string
	}{
		{
			name:          "no context: every kubectl check fails without calling kubectl",
			output:        []string{`cluster context "none"`, "(no kubeconfig context: aws eks update-kubeconfig --name ci-agent-dev --region us-east-1)"},
			refuse:        []string{"warning", "fake cluster"},
			kubectlChecks: 9,
			calls:         []string{"config current-context"},
		},
		{
			name:    "another cluster's context: a warning, then the checks",
			context: "kind-kind",
			output: []string{`warning: context "kind-kind" is not cluster ci-agent-dev: checking another cluster under dev's name`,
				"kubectl get nodes -o json: error: fake cluster"},
			refuse: []string{noContext},
			calls:  []string{"config current-context", "get nodes -o json", "-n ci-agent get deployment.apps ci-agent-dev -o json", "-n ci-agent get hpa ci-agent-dev -o json"},
		},
		{
			name:    "the stack's EKS context",
			context: "arn:aws:eks:us-east-1:123456789012:cluster/ci-agent-dev",
			output:  []string{`cluster context "arn:aws:eks:us-east-1:123456789012:cluster/ci-agent-dev"`},
			refuse:  []string{"warning", noContext},
			calls:   []string{"config current-context", "get nodes -o json", "-n ci-agent get deployment.apps ci-agent-dev -o json"},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			kubectl, log := fakeKubectl(t, tc.context)
			var stdout, stderr bytes.Buffer
			args := []string{"-stack", "dev", "-kubectl", kubectl, "-curl", "false", "-skip-aws", "-host", "127.0.0.1"}
			if code := run(context.Background(), args, func(string) string { return "" }, &stdout, &stderr); code != 1 {
				t.Errorf("run = %d; want 1 (NO-GO)\n%s%s", code, stdout.String(), stderr.String())
			}
			out := stdout.String()
			for _, s := range tc.output {
				if !strings.Contains(out, s) {
					t.Errorf("output does not mention %q:\n%s", s, out)
				}
			}
			for _, s := range tc.refuse {
				if strings.Contains(out, s) {
					t.Errorf("output mentions %q:\n%s", s, out)
				}
			}
			if n := strings.Count(out, "FAIL    "+noContext); n != tc.kubectlChecks {
				t.Errorf("%d checks FAIL with %q; want %d:\n%s", n, noContext, tc.kubectlChecks, out)
			}
			b, err := os.ReadFile(log)
			if err != nil {
				t.Fatal(err)
			}
			calls := strings.Split(strings.TrimSpace(string(b)), "\n")
			if tc.kubectlChecks > 0 && len(calls) != len(tc.calls) {
				t.Errorf("kubectl calls %q; want only %q", calls, tc.calls)
			}
			for _, c := range tc.calls {
				if !strings.Contains("\n"+string(b), "\n"+c+"\n") {
					t.Errorf("kubectl calls %q; want %q among them", calls, c)
				}
			}
		})
	}
}
