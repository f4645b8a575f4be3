package plan

import (
	"errors"
	"fmt"
	"io/fs"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"gopkg.in/yaml.v3"
)

// PrivateEndpoint says which of a stack's workflow jobs need the EKS API while GitHub-hosted
// runners cannot reach it: Pulumi, when the stack runs phases that install into the cluster (a
// preview or up reads and writes the cluster through it), and kubectl, always. Restricted: the
// endpoint is public only to ci-agent:publicAccessCidrs rather than private; GitHub's egress
// ranges are not in such a list either, so the jobs are warned about just the same.
type PrivateEndpoint struct {
	Pulumi, Kubectl bool
	Restricted      bool
}

// HostedRunnerWarnings reads the GitHub workflows in dir and returns a warning for each job that
// would talk to the private EKS API of stack from a GitHub-hosted runner, which is outside the
// VPC and cannot reach it: a pulumi/actions step of the stack (its stack-name, or an expression
// that may be it), and a reusable workflow's kubectl job called for the stack's environment. A
// missing dir gives none. Runners named by an expression are left out: the plan cannot tell.
func HostedRunnerWarnings(dir, stack string, private PrivateEndpoint) ([]string, error) {
	if !private.Pulumi && !private.Kubectl {
		return nil, nil
	}
	entries, err := os.ReadDir(dir)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	type step struct {
		Uses string         `yaml:"uses"`
		With map[string]any `yaml:"with"`
		Run  string         `yaml:"run"`
	}
	type job struct {
		RunsOn any            `yaml:"runs-on"`
		Uses   string         `yaml:"uses"`
		With   map[string]any `yaml:"with"`
		Steps  []step         `yaml:"steps"`
	}
	workflows := map[string]map[string]job{}
	for _, e := range entries {
		if e.IsDir() || (!strings.HasSuffix(e.Name(), ".yml") && !strings.HasSuffix(e.Name(), ".yaml")) {
			continue
		}
		raw, err := os.ReadFile(filepath.Join(dir, e.Name()))
		if err != nil {
			return nil, err
		}
		var w struct {
			Jobs map[string]job `yaml:"jobs"`
		}
		if err := yaml.Unmarshal(raw, &w); err != nil {
			return nil, fmt.Errorf("reading %s: %w", e.Name(), err)
		}
		workflows[e.Name()] = w.Jobs
	}
	// forStack: a stack name or environment that is the stack's, or an expression that may be.
	forStack := func(v any) bool {
		s := fmt.Sprint(v)
		return s == stack || strings.Contains(s, "${{")
	}
	why := "which cannot reach the private EKS endpoint (ci-agent:publicAccessCidrs is empty)"
	if private.Restricted {
		why = "which cannot count on reaching the EKS endpoint: it is public only to ci-agent:publicAccessCidrs, " +
			"and GitHub-hosted runners' egress ranges are many, change, and are not in it"
	}
	why += "; run the job on self-hosted runners in the VPC or whose egress is listed: docs/infra.md, \"Reaching the EKS API\""
	var out []string
	callers := map[string][]string{} // reusable workflow file -> "caller.yml job"
	for _, file := range slices.Sorted(maps.Keys(workflows)) {
		jobs := workflows[file]
		for _, name := range slices.Sorted(maps.Keys(jobs)) {
			j := jobs[name]
			if called, ok := strings.CutPrefix(j.Uses, "./.github/workflows/"); ok && forStack(j.With["environment"]) {
				callers[called] = append(callers[called], file+" "+name)
			}
			labels, hosted := hostedRunner(j.RunsOn)
			if !hosted || !private.Pulumi {
				continue
			}
			for _, s := range j.Steps {
				if strings.HasPrefix(s.Uses, "pulumi/actions@") && forStack(s.With["stack-name"]) {
					out = append(out, fmt.Sprintf("%s job %s runs `pulumi %v` of %s on GitHub-hosted runners (%s), %s",
						file, name, s.With["command"], stack, labels, why))
					break
				}
			}
		}
	}
	if private.Kubectl {
		for _, called := range slices.Sorted(maps.Keys(callers)) {
			jobs := workflows[called]
			for _, name := range slices.Sorted(maps.Keys(jobs)) {
				j := jobs[name]
				labels, hosted := hostedRunner(j.RunsOn)
				if !hosted || !slices.ContainsFunc(j.Steps, func(s step) bool { return strings.Contains(s.Run, "kubectl") }) {
					continue
				}
				out = append(out, fmt.Sprintf("%s job %s (for %s: %s) runs kubectl on GitHub-hosted runners (%s), %s",
					called, name, stack, strings.Join(callers[called], ", "), labels, why))
			}
		}
	}
	return out, nil
}

// hostedRunner reports whether runs-on names a GitHub-hosted runner (ubuntu-*, windows-*,
// macos-*) rather than a self-hosted one, with its labels.
func hostedRunner(runsOn any) (string, bool) {
	var labels []string
	switch v := runsOn.(type) {
	case string:
		labels = []string{v}
	case []any:
		for _, l := range v {
			labels = append(labels, fmt.Sprint(l))
		}
	default:
		return "", false // a group or nothing: not a hosted label
	}
	hosted := false
	for _, l := range labels {
		if l == "self-hosted" || strings.Contains(l, "${{") {
			return "", false
		}
		for _, prefix := range []string{"ubuntu-", "windows-", "macos-"} {
			if strings.HasPrefix(l, prefix) {
				hosted = true
			}
		}
	}
	return strings.Join(labels, ", "), hosted
}
