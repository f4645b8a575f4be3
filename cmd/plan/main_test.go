package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestRunReportsWarnings: the plan prints the program's config warnings (Pulumi's mocks drop
// ctx.Log, where the program writes them), in text and in JSON, and a plan still passes with
// them. The stack is the committed dev stack with extra keys. Not parallel: plan.Run sets the
// process-wide PULUMI_CONFIG.
func TestRunReportsWarnings(t *testing.T) {
	base, err := os.ReadFile(filepath.Join("..", "..", "Pulumi.dev.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	quiet := strings.Join([]string{
		"  ci-agent:publicAccessCidrs: [35.180.1.0/24]",
		"  ci-agent:alertEmail: ops@example.com",
		"  ci-agent:alertSmtpSmarthost: email-smtp.us-east-1.amazonaws.com:587",
		"  ci-agent:alertSmtpUsername: AKIAEXAMPLE",
		"  ci-agent:delegationSetId: N0PLANEDGENSDEV", // prod's subdomainDelegationSetIds.dev (DNS bootstrap)
		// A secure value: the planner cannot decrypt it, but the program must see it set.
		"  ci-agent:alertSmtpPassword:",
		"    secure: AAABAExampleCiphertext",
	}, "\n")
	tests := []struct {
		name      string
		extra     string
		format    string
		workflows bool     // the repository's .github/workflows next to the stack file
		want      []string // in the output
		absent    []string
	}{
		{"committed dev stack", "", "text", false, []string{"== warnings: 5",
			"ci-agent:publicAccessCidrs is empty", "ci-agent:alertEmail is ops@dev.ci-agent.tech",
			"ci-agent:budgetEmail is ops@dev.ci-agent.tech", "ci-agent:alertSmtpSmarthost is empty",
			"ci-agent:delegationSetId is empty"}, nil},
		{"committed dev stack as JSON", "", "json", false, []string{"ci-agent:publicAccessCidrs is empty"}, nil},
		{"reachable endpoint, a relay and real mailboxes", quiet, "text", false, []string{"== warnings: 0"}, []string{"publicAccessCidrs", "alertEmail is", "delegationSetId"}},
		// The workflows that would reach dev's private endpoint from GitHub's runners.
		{"committed dev stack and workflows", "", "text", true, []string{"== warnings: 8",
			"release.yml job infra runs `pulumi up` of dev on GitHub-hosted runners (ubuntu-latest), which cannot reach the private EKS endpoint " +
				"(ci-agent:publicAccessCidrs is empty); run the job on self-hosted runners in the VPC or whose egress is listed",
			"preview.yml job preview runs `pulumi preview` of dev on GitHub-hosted runners",
			"deploy.yml job deploy (for dev: release.yml deploy-dev, rollback.yml rollback) runs kubectl on GitHub-hosted runners"},
			[]string{"infra-prod"}},
		// A public endpoint restricted to an office's range is no more reachable from GitHub's
		// runners (their egress is not in it): the same 3 jobs are warned about, and why.
		{"endpoint public to a listed range and the workflows", quiet, "text", true, []string{"== warnings: 3",
			"release.yml job infra runs `pulumi up` of dev on GitHub-hosted runners (ubuntu-latest), which cannot count on reaching the EKS endpoint: " +
				"it is public only to ci-agent:publicAccessCidrs, and GitHub-hosted runners' egress ranges are many, change, and are not in it; " +
				"run the job on self-hosted runners in the VPC or whose egress is listed",
			"preview.yml job preview runs `pulumi preview` of dev on GitHub-hosted runners",
			"deploy.yml job deploy (for dev: release.yml deploy-dev, rollback.yml rollback) runs kubectl on GitHub-hosted runners"},
			[]string{"infra-prod", "private EKS endpoint", "publicAccessCidrs is empty"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			if err := os.WriteFile(filepath.Join(dir, "Pulumi.dev.yaml"), []byte(strings.TrimRight(string(base), "\n")+"\n"+tc.extra+"\n"), 0o600); err != nil {
				t.Fatal(err)
			}
			if tc.workflows {
				if err := os.CopyFS(filepath.Join(dir, ".github", "workflows"), os.DirFS(filepath.Join("..", "..", ".github", "workflows"))); err != nil {
					t.Fatal(err)
				}
			}
			var out strings.Builder
			if err := run([]string{"-stack", "dev", "-dir", dir, "-format", tc.format}, &out); err != nil {
				t.Fatalf("run: %v\n%s", err, out.String())
			}
			got := out.String()
			if tc.format == "json" {
				var rep struct{ Warnings []string }
				if err := json.Unmarshal([]byte(got), &rep); err != nil {
					t.Fatal(err)
				}
				got = strings.Join(rep.Warnings, "\n")
			}
			for _, w := range tc.want {
				if !strings.Contains(got, w) {
					t.Errorf("plan output lacks %q", w)
				}
			}
			for _, w := range tc.absent {
				if strings.Contains(got, w) {
					t.Errorf("plan output has %q; want it gone", w)
				}
			}
		})
	}
}
