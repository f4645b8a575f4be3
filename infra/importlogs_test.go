package main

import (
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// TestImportLogGroups runs scripts/import-log-groups.sh, release.yml's step before each
// `pulumi up`, against stand-ins for pulumi and aws (testdata/pulumi, testdata/aws): it imports
// a log group the program declares only when AWS has it and the stack's state does not, RDSOSMetrics
// only on its owner, nothing while the stack has no Database component, and a second run imports
// nothing (idempotent). A failing aws or pulumi fails the step: the up would fail anyway.
func TestImportLogGroups(t *testing.T) {
	root, err := filepath.Abs("..")
	if err != nil {
		t.Fatal(err)
	}
	script := filepath.Join(root, "infra", "scripts", "import-log-groups.sh")
	const db = "urn:pulumi:%s::ci-agent::ciagent:stack:Phase$ciagent:data:Database"
	urn := func(stack, suffix string) string { return strings.Replace(db, "%s", stack, 1) + suffix }
	group := func(stack, logical string) string {
		return urn(stack, "$aws:cloudwatch/logGroup:LogGroup::"+logical)
	}
	allGroups := func(stack string) []string {
		return []string{"/aws/rds/instance/ci-agent-" + stack + "/postgresql", "/aws/rds/instance/ci-agent-" + stack + "/upgrade",
			"/aws/lambda/ci-agent-" + stack + "-secret-rotation", "/aws/rds/proxy/ci-agent-" + stack + "-proxy", "RDSOSMetrics"}
	}
	for _, tc := range []struct {
		name    string
		stack   string
		state   []string // URNs in the stack's state
		owner   string   // ci-agent:rdsOsMetricsOwner; "" not set
		groups  []string // log groups in AWS
		awsFail bool
		fails   bool
		want    []string // imported, "logical id"
	}{
		{"prod before the upgrade: all five made by AWS", "prod", []string{urn("prod", "::db")}, "true", allGroups("prod"), false, false,
			[]string{"db-postgresql-logs /aws/rds/instance/ci-agent-prod/postgresql", "db-upgrade-logs /aws/rds/instance/ci-agent-prod/upgrade",
				"db-rotator-logs /aws/lambda/ci-agent-prod-secret-rotation", "db-proxy-logs /aws/rds/proxy/ci-agent-prod-proxy",
				"db-os-metrics-logs RDSOSMetrics"}},
		{"owner by default (key not set)", "prod", []string{urn("prod", "::db")}, "", []string{"RDSOSMetrics"}, false, false,
			[]string{"db-os-metrics-logs RDSOSMetrics"}},
		{"dev reads RDSOSMetrics: never imported", "dev", []string{urn("dev", "::db")}, "false", allGroups("dev"), false, false,
			[]string{"db-postgresql-logs /aws/rds/instance/ci-agent-dev/postgresql", "db-upgrade-logs /aws/rds/instance/ci-agent-dev/upgrade",
				"db-rotator-logs /aws/lambda/ci-agent-dev-secret-rotation", "db-proxy-logs /aws/rds/proxy/ci-agent-dev-proxy"}},
		{"groups not made yet: the up creates them", "prod", []string{urn("prod", "::db")}, "true", nil, false, false, nil},
		{"another stack's groups are not this one's", "dev", []string{urn("dev", "::db")}, "false", allGroups("prod"), false, false, nil},
		{"already in the state: nothing imported", "prod", []string{urn("prod", "::db"), group("prod", "db-postgresql-logs"),
			group("prod", "db-upgrade-logs"), group("prod", "db-rotator-logs"), group("prod", "db-proxy-logs"), group("prod", "db-os-metrics-logs")},
			"true", allGroups("prod"), false, false, nil},
		{"some in the state, the proxy's not", "prod", []string{urn("prod", "::db"), group("prod", "db-postgresql-logs"),
			group("prod", "db-upgrade-logs"), group("prod", "db-rotator-logs"), group("prod", "db-os-metrics-logs")},
			"true", allGroups("prod"), false, false, []string{"db-proxy-logs /aws/rds/proxy/ci-agent-prod-proxy"}},
		{"no Database in the state (phase 6 not deployed)", "prod", []string{}, "true", allGroups("prod"), false, false, nil},
		{"aws fails: the step fails", "prod", []string{urn("prod", "::db")}, "true", allGroups("prod"), true, true, nil},
		{"no state (pulumi stack export fails): the step fails", "prod", nil, "true", allGroups("prod"), false, true, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			bin := filepath.Join(dir, "bin")
			if err := os.Mkdir(bin, 0o755); err != nil {
				t.Fatal(err)
			}
			for _, tool := range []string{"pulumi", "aws"} {
				if err := os.Symlink(filepath.Join(root, "infra", "testdata", tool), filepath.Join(bin, tool)); err != nil {
					t.Fatal(err)
				}
			}
			write := func(name, data string) {
				if err := os.WriteFile(filepath.Join(dir, name), []byte(data), 0o600); err != nil {
					t.Fatal(err)
				}
			}
			if tc.state != nil {
				resources := []map[string]any{}
				for _, u := range tc.state {
					resources = append(resources, map[string]any{"urn": u})
				}
				data, err := json.Marshal(map[string]any{"version": 3, "deployment": map[string]any{"resources": resources}})
				if err != nil {
					t.Fatal(err)
				}
				write("state-"+tc.stack+".json", string(data))
			}
			if tc.owner != "" {
				write("config-"+tc.stack+"-ci-agent:rdsOsMetricsOwner", tc.owner+"\n")
			}
			write("log-groups", strings.Join(tc.groups, "\n")+"\n")
			if tc.awsFail {
				write("aws-fails", "")
			}
			runScript := func() ([]string, error) {
				_ = os.Remove(filepath.Join(dir, "calls"))
				// GitHub runs a step's script with bash -eo pipefail; the script sets its own options.
				cmd := exec.Command("bash", "--noprofile", "--norc", "-eo", "pipefail", script, tc.stack)
				cmd.Env = append(os.Environ(), "PATH="+bin+string(os.PathListSeparator)+os.Getenv("PATH"), "FAKE_DIR="+dir)
				out, err := cmd.CombinedOutput()
				calls, _ := os.ReadFile(filepath.Join(dir, "calls"))
				var imported []string
				for _, line := range strings.Split(string(calls), "\n") {
					if rest, ok := strings.CutPrefix(line, "pulumi import aws:cloudwatch/logGroup:LogGroup "); ok {
						f := strings.Fields(rest)
						imported = append(imported, f[0]+" "+f[1])
						want := "--parent db=" + urn(tc.stack, "::db") + " --stack " + tc.stack + " --generate-code=false --yes"
						if !strings.HasSuffix(line, want) {
							t.Errorf("import call %q; want it to end in %q", line, want)
						}
					}
				}
				if err != nil {
					t.Logf("%s", out)
				}
				return imported, err
			}
			imported, err := runScript()
			if (err != nil) != tc.fails {
				t.Fatalf("script error = %v; want failure %v", err, tc.fails)
			}
			if !slices.Equal(imported, tc.want) {
				t.Errorf("imported %q; want %q", imported, tc.want)
			}
			if tc.fails {
				return
			}
			// Idempotent: the imported groups are in the state now, so a re-run imports nothing.
			if again, err := runScript(); err != nil || len(again) != 0 {
				t.Errorf("second run: imported %q, error %v; want nothing", again, err)
			}
		})
	}
}
