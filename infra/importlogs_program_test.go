package main

import (
	"fmt"
	"maps"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/ci-agent/ci-agent/internal/plan"
	"github.com/ci-agent/ci-agent/stacks"
)

// TestImportLogGroupsMatchProgram: the groups scripts/import-log-groups.sh would import for a
// stack (its --list mode: "URN name") are exactly the log groups the program creates under the
// Database component for that stack's config, run under the mocks: every
// aws:cloudwatch/logGroup:LogGroup registered (not read) whose URN is under ciagent:data:Database,
// by URN and the name given to AWS. Renaming `db` or a phase type, adding a LogExports entry, a
// new group, or an environment that is not the stack's name fails it here, not in production.
// Each committed stack, and variants of dev: a stack name that is not its environment's, the
// owner, the defaults, no phase 6.
func TestImportLogGroupsMatchProgram(t *testing.T) {
	root, err := filepath.Abs("..")
	if err != nil {
		t.Fatal(err)
	}
	committed, err := filepath.Glob(filepath.Join(root, "Pulumi.*.yaml"))
	if err != nil || len(committed) == 0 {
		t.Fatalf("no stack configs: %v", err)
	}
	type variant struct {
		name, stack string
		cfg         map[string]string
	}
	var variants []variant
	for _, path := range committed {
		stack := strings.TrimSuffix(strings.TrimPrefix(filepath.Base(path), "Pulumi."), ".yaml")
		cfg, err := plan.LoadStackConfig(root, stack)
		if err != nil {
			t.Fatal(err)
		}
		variants = append(variants, variant{stack, stack, cfg})
		if stack != "dev" {
			continue
		}
		with := func(kv ...string) map[string]string {
			c := maps.Clone(cfg)
			for i := 0; i < len(kv); i += 2 {
				if kv[i+1] == "" {
					delete(c, kv[i])
				} else {
					c[kv[i]] = kv[i+1]
				}
			}
			return c
		}
		variants = append(variants,
			variant{"stack dev-eu, environment dev", "dev-eu", cfg},
			variant{"dev, owner", "dev", with("ci-agent:rdsOsMetricsOwner", "True")},
			variant{"dev, owner and phases by default", "dev", with("ci-agent:rdsOsMetricsOwner", "", "ci-agent:phases", "")},
			variant{"dev, no phase 6", "dev", with("ci-agent:phases", "[1, 2, 3, 4]")},
		)
	}
	for _, v := range variants {
		t.Run(v.name, func(t *testing.T) {
			m, err := plan.Run(v.stack, v.cfg, stacks.Program)
			if err != nil {
				t.Fatalf("stack %s: %v", v.stack, err)
			}
			var program []string
			for _, r := range m.ByType("aws:cloudwatch/logGroup:LogGroup") {
				if r.Read || !strings.Contains(r.URN, "$ciagent:data:Database$") {
					continue
				}
				program = append(program, fmt.Sprintf("%s %v", r.URN, r.Input("name")))
			}
			slices.Sort(program)

			dir := t.TempDir()
			bin := fakeTools(t, root, dir, "pulumi")
			if err := os.WriteFile(filepath.Join(dir, "config-"+v.stack+".json"), pulumiConfigJSON(t, v.cfg), 0o600); err != nil {
				t.Fatal(err)
			}
			cmd := exec.Command("bash", "--noprofile", "--norc", filepath.Join(root, "infra", "scripts", "import-log-groups.sh"), "--list", v.stack)
			cmd.Env = append(os.Environ(), "PATH="+bin+string(os.PathListSeparator)+os.Getenv("PATH"), "FAKE_DIR="+dir)
			cmd.Stderr = os.Stderr
			listed, err := cmd.Output()
			if err != nil {
				t.Fatalf("import-log-groups.sh --list %s: %v", v.stack, err)
			}
			var script []string
			for line := range strings.Lines(string(listed)) {
				script = append(script, strings.TrimSuffix(line, "\n"))
			}
			slices.Sort(script)
			if !slices.Equal(script, program) {
				t.Errorf("the script lists\n  %s\nthe program creates under Database\n  %s", strings.Join(script, "\n  "), strings.Join(program, "\n  "))
			}
			if v.name == v.stack && len(program) < 4 {
				t.Errorf("the program creates %d groups under Database; want at least 4 (both stacks run phase 6)", len(program))
			}
		})
	}
}
