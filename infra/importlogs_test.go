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
	db6 := func(stack string) []string { return []string{urn(stack, "::db")} }
	four := func(stack string) []string {
		return []string{"db-postgresql-logs /aws/rds/instance/ci-agent-" + stack + "/postgresql", "db-upgrade-logs /aws/rds/instance/ci-agent-" + stack + "/upgrade",
			"db-rotator-logs /aws/lambda/ci-agent-" + stack + "-secret-rotation", "db-proxy-logs /aws/rds/proxy/ci-agent-" + stack + "-proxy"}
	}
	osMetrics := "db-os-metrics-logs RDSOSMetrics"
	for _, tc := range []struct {
		name     string
		stack    string
		state    []string // URNs in the stack's state
		owner    string   // ci-agent:rdsOsMetricsOwner; "" not set
		phases   string   // ci-agent:phases (JSON); "" not set (the program's default, [1, 6, 9])
		env      string   // ci-agent:environment; "" the stack's name, "-" not set
		noConfig bool     // pulumi config --json fails (no backend, no secrets provider)
		groups   []string // log groups in AWS
		awsFail  bool
		fails    bool
		want     []string // imported, "logical id"
	}{
		{name: "prod before the upgrade: all five made by AWS", stack: "prod", state: db6("prod"), owner: "true", groups: allGroups("prod"),
			want: append(four("prod"), osMetrics)},
		{name: "owner by default (key not set)", stack: "prod", state: db6("prod"), groups: []string{"RDSOSMetrics"}, want: []string{osMetrics}},
		{name: "dev reads RDSOSMetrics: never imported", stack: "dev", state: db6("dev"), owner: "false", groups: allGroups("dev"), want: four("dev")},
		{name: "groups not made yet: the up creates them", stack: "prod", state: db6("prod"), owner: "true"},
		{name: "another stack's groups are not this one's", stack: "dev", state: db6("dev"), owner: "false", groups: allGroups("prod")},
		{name: "a longer name with the prefix is not the group", stack: "prod", state: db6("prod"), owner: "false",
			groups: []string{"/aws/rds/proxy/ci-agent-prod-proxy-old", "/aws/rds/instance/ci-agent-prod/postgresql2"}},
		{name: "already in the state: nothing imported", stack: "prod", state: []string{urn("prod", "::db"), group("prod", "db-postgresql-logs"),
			group("prod", "db-upgrade-logs"), group("prod", "db-rotator-logs"), group("prod", "db-proxy-logs"), group("prod", "db-os-metrics-logs")},
			owner: "true", groups: allGroups("prod")},
		{name: "some in the state, the proxy's not", stack: "prod", state: []string{urn("prod", "::db"), group("prod", "db-postgresql-logs"),
			group("prod", "db-upgrade-logs"), group("prod", "db-rotator-logs"), group("prod", "db-os-metrics-logs")},
			owner: "true", groups: allGroups("prod"), want: []string{"db-proxy-logs /aws/rds/proxy/ci-agent-prod-proxy"}},
		{name: "no Database in the state (phase 6 not deployed)", stack: "prod", state: []string{}, owner: "true", groups: allGroups("prod")},
		{name: "aws fails: the step fails", stack: "prod", state: db6("prod"), owner: "true", groups: allGroups("prod"), awsFail: true, fails: true},
		{name: "no state (pulumi stack export fails): the step fails", stack: "prod", owner: "true", groups: allGroups("prod"), fails: true},
		// M2: an unreadable config is not "not set": the old script took it as owner and imported
		// RDSOSMetrics into dev's state, managed and protected.
		{name: "config unreadable: the step fails, nothing imported", stack: "dev", state: db6("dev"), noConfig: true, groups: allGroups("dev"), fails: true},
		{name: "owner False (ParseBool)", stack: "dev", state: db6("dev"), owner: "False", groups: allGroups("dev"), want: four("dev")},
		{name: "owner 0 (ParseBool)", stack: "dev", state: db6("dev"), owner: "0", groups: allGroups("dev"), want: four("dev")},
		{name: "owner TRUE (ParseBool)", stack: "prod", state: db6("prod"), owner: "TRUE", groups: []string{"RDSOSMetrics"}, want: []string{osMetrics}},
		{name: "owner t (ParseBool)", stack: "prod", state: db6("prod"), owner: "t", groups: []string{"RDSOSMetrics"}, want: []string{osMetrics}},
		{name: "owner not a bool: the step fails", stack: "dev", state: db6("dev"), owner: "yes", groups: allGroups("dev"), fails: true},
		// M1: a stack that drops phase 6 keeps db in its state until the up deletes it.
		{name: "phase 6 left out: nothing imported", stack: "dev", state: db6("dev"), owner: "false", phases: "[1,2,3,4,7]", groups: allGroups("dev")},
		{name: "phases with 6", stack: "dev", state: db6("dev"), owner: "false", phases: "[1,2,3,4,6,7,8,10]", groups: allGroups("dev"), want: four("dev")},
		{name: "phases not a list: the step fails", stack: "dev", state: db6("dev"), owner: "false", phases: `"six"`, groups: allGroups("dev"), fails: true},
		{name: "environment is not the stack's name", stack: "dev", state: db6("dev"), owner: "false", env: "staging",
			groups: append(allGroups("dev"), allGroups("staging")...), want: four("staging")},
		{name: "environment not set: the step fails", stack: "dev", state: db6("dev"), owner: "false", env: "-", groups: allGroups("dev"), fails: true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			bin := fakeTools(t, root, dir, "pulumi", "aws")
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
			if !tc.noConfig {
				write("config-"+tc.stack+".json", configJSON(t, tc.stack, tc.env, tc.owner, tc.phases))
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

// configJSON is the `pulumi config --json` of a stack with these keys (pulumiConfigJSON). env
// "" is the stack's name, "-" not set; owner and phases "" not set.
func configJSON(t *testing.T, stack, env, owner, phases string) string {
	t.Helper()
	cfg := map[string]string{"aws:region": "eu-west-1"}
	switch env {
	case "":
		cfg["ci-agent:environment"] = stack
	case "-":
	default:
		cfg["ci-agent:environment"] = env
	}
	if owner != "" {
		cfg["ci-agent:rdsOsMetricsOwner"] = owner
	}
	if phases != "" {
		cfg["ci-agent:phases"] = phases
	}
	return string(pulumiConfigJSON(t, cfg))
}

// pulumiConfigJSON is what `pulumi config --json` prints for a stack with these keys: each
// value as a string, a list or a map also as objectValue.
func pulumiConfigJSON(t *testing.T, cfg map[string]string) []byte {
	t.Helper()
	out := map[string]any{}
	for k, val := range cfg {
		entry := map[string]any{"value": val, "secret": false}
		var obj any
		if strings.HasPrefix(val, "[") || strings.HasPrefix(val, "{") {
			if json.Unmarshal([]byte(val), &obj) == nil {
				entry["objectValue"] = obj
			}
		}
		out[k] = entry
	}
	data, err := json.Marshal(out)
	if err != nil {
		t.Fatal(err)
	}
	return data
}

// fakeTools puts the stand-ins of infra/testdata for tools (pulumi, aws) in dir/bin, and
// returns that directory to put first on the script's PATH.
func fakeTools(t *testing.T, root, dir string, tools ...string) string {
	t.Helper()
	bin := filepath.Join(dir, "bin")
	if err := os.Mkdir(bin, 0o755); err != nil {
		t.Fatal(err)
	}
	for _, tool := range tools {
		if err := os.Symlink(filepath.Join(root, "infra", "testdata", tool), filepath.Join(bin, tool)); err != nil {
			t.Fatal(err)
		}
	}
	return bin
}
