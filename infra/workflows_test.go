package main

import (
	"bytes"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strings"
	"testing"

	"gopkg.in/yaml.v3"
)

// The workflows decide from file paths whether a change touches the infrastructure:
// preview.yml's pull_request path filter (GitHub's glob syntax) and release.yml's
// "did this push change the infrastructure?" steps (git pathspecs in INFRA_PATHS). A file the
// program is built from but neither list names ships with no preview and no `pulumi up`, as
// deploy/prometheus-adapter/values.yaml (embedded by a package of this module) once did.

// infraFiles are the repository-relative paths whose change is an infrastructure change: every file of every package of this module that ./infra depends on, a new file in each
// of those directories, the embedded files (wherever they live), go.mod, go.sum and Pulumi*.yaml.
func infraFiles(t *testing.T, root string) []string {
	t.Helper()
	cmd := exec.Command("go", "list", "-deps", "-f",
		`{{if not .Standard}}{{.Dir}}{{"\t"}}{{join .GoFiles ","}}{{"\t"}}{{join .EmbedFiles ","}}{{end}}`, "./infra")
	cmd.Dir = root
	cmd.Env = append(os.Environ(), "GOWORK=off")
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("go list -deps ./infra: %v\n%s", err, stderr.String())
	}
	set := map[string]bool{"go.mod": true, "go.sum": true}
	add := func(abs string) {
		rel, err := filepath.Rel(root, abs)
		if err != nil || rel == ".." || strings.HasPrefix(rel, ".."+string(filepath.Separator)) {
			return // the module cache, not this repository
		}
		set[filepath.ToSlash(rel)] = true
	}
	dirs := 0
	for _, line := range strings.Split(strings.TrimRight(string(out), "\n"), "\n") {
		if line == "" {
			continue
		}
		fields := strings.Split(line, "\t")
		if len(fields) != 3 {
			t.Fatalf("go list line %q: want dir, files and embedded files", line)
		}
		dir := fields[0]
		if rel, err := filepath.Rel(root, dir); err != nil || strings.HasPrefix(rel, "..") {
			continue
		}
		dirs++
		add(filepath.Join(dir, "zz_new_file.go"))
		for _, list := range fields[1:] {
			for _, f := range strings.Split(list, ",") {
				if f != "" {
					add(filepath.Join(dir, f))
				}
			}
		}
	}
	if dirs < 3 {
		t.Fatalf("go list found %d packages of this repository under ./infra; want infra, stacks, components at least:\n%s", dirs, out)
	}
	pulumiFiles, err := filepath.Glob(filepath.Join(root, "Pulumi*.yaml"))
	if err != nil || len(pulumiFiles) == 0 {
		t.Fatalf("no Pulumi*.yaml in %s (%v)", root, err)
	}
	for _, f := range pulumiFiles {
		add(f)
	}
	files := make([]string, 0, len(set))
	for f := range set {
		files = append(files, f)
	}
	sort.Strings(files)
	return files
}

// globRegexp translates a GitHub Actions path filter pattern: * matches within one path
// segment, ** across segments, ? one character.
func globRegexp(pattern string) *regexp.Regexp {
	var b strings.Builder
	b.WriteString("^")
	for i := 0; i < len(pattern); i++ {
		switch c := pattern[i]; c {
		case '*':
			if i+1 < len(pattern) && pattern[i+1] == '*' {
				b.WriteString(".*")
				i++
			} else {
				b.WriteString("[^/]*")
			}
		case '?':
			b.WriteString("[^/]")
		default:
			b.WriteString(regexp.QuoteMeta(string(c)))
		}
	}
	b.WriteString("$")
	return regexp.MustCompile(b.String())
}

// matchesFilter applies GitHub's paths filter: patterns in order, a later !pattern excluding
// what earlier ones included.
func matchesFilter(patterns []string, path string) bool {
	matched := false
	for _, p := range patterns {
		if neg, ok := strings.CutPrefix(p, "!"); ok {
			if globRegexp(neg).MatchString(path) {
				matched = false
			}
		} else if globRegexp(p).MatchString(path) {
			matched = true
		}
	}
	return matched
}

// matchesPathspec applies git's default pathspecs: a literal is the path or a directory prefix
// of it; with a wildcard, fnmatch where * also matches /.
func matchesPathspec(specs []string, path string) bool {
	for _, s := range specs {
		s = strings.TrimSuffix(s, "/")
		if !strings.ContainsAny(s, "*?[") {
			if path == s || strings.HasPrefix(path, s+"/") {
				return true
			}
			continue
		}
		re := "^" + strings.NewReplacer(`\*`, ".*", `\?`, ".").Replace(regexp.QuoteMeta(s)) + "(/.*)?$"
		if regexp.MustCompile(re).MatchString(path) {
			return true
		}
	}
	return false
}

type workflow struct {
	On struct {
		PullRequest struct {
			Paths []string `yaml:"paths"`
		} `yaml:"pull_request"`
	} `yaml:"on"`
	Env  map[string]string `yaml:"env"`
	Jobs map[string]struct {
		Steps []struct {
			ID   string            `yaml:"id"`
			Name string            `yaml:"name"`
			Env  map[string]string `yaml:"env"`
			Run  string            `yaml:"run"`
		} `yaml:"steps"`
	} `yaml:"jobs"`
}

func readWorkflow(t *testing.T, root, name string) workflow {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(root, ".github", "workflows", name))
	if err != nil {
		t.Fatal(err)
	}
	var w workflow
	if err := yaml.Unmarshal(data, &w); err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	return w
}

func TestWorkflowsInfraPathsCoverTheProgram(t *testing.T) {
	root, err := filepath.Abs("..")
	if err != nil {
		t.Fatal(err)
	}
	files := infraFiles(t, root)

	preview := readWorkflow(t, root, "preview.yml")
	if len(preview.On.PullRequest.Paths) == 0 {
		t.Fatal("preview.yml: no on.pull_request.paths")
	}
	for _, f := range files {
		if !matchesFilter(preview.On.PullRequest.Paths, f) {
			t.Errorf("preview.yml on.pull_request.paths %q miss %s: a PR changing it runs no preview", preview.On.PullRequest.Paths, f)
		}
	}

	release := readWorkflow(t, root, "release.yml")
	specs := strings.Fields(release.Env["INFRA_PATHS"])
	if len(specs) == 0 {
		t.Fatal("release.yml: no env.INFRA_PATHS")
	}
	for _, f := range files {
		if !matchesPathspec(specs, f) {
			t.Errorf("release.yml INFRA_PATHS %q miss %s: a push changing it skips pulumi up", specs, f)
		}
	}
	// Every "did this push change the infrastructure?" step must diff exactly INFRA_PATHS, not a
	// list of its own.
	checks := 0
	for name, job := range release.Jobs {
		for _, s := range job.Steps {
			if !strings.Contains(s.Run, "git diff") {
				continue
			}
			checks++
			if !strings.Contains(s.Run, "INFRA_PATHS") {
				t.Errorf("release.yml job %s step %q runs git diff without $INFRA_PATHS:\n%s", name, s.ID, s.Run)
			}
		}
	}
	if checks < 2 {
		t.Errorf("release.yml: %d git diff steps; want the dev and prod infra jobs' checks", checks)
	}
}

func TestPathMatchers(t *testing.T) {
	for _, tc := range []struct {
		patterns []string
		path     string
		filter   bool // GitHub's paths filter
		spec     bool // git pathspecs
		noSpec   bool // a GitHub-only pattern (!negation)
	}{
		{[]string{"infra/**"}, "infra/main.go", true, true, false},
		{[]string{"infra"}, "infra/main.go", false, true, false},
		{[]string{"deploy/prometheus-adapter/**"}, "deploy/prometheus-adapter/values.yaml", true, true, false},
		{[]string{"Pulumi*.yaml"}, "Pulumi.dev.yaml", true, true, false},
		{[]string{"Pulumi*.yaml"}, "sub/Pulumi.yaml", false, false, false},
		{[]string{"deploy/*"}, "deploy/prometheus-adapter/values.yaml", false, true, false},
		{[]string{"deploy/**", "!deploy/chart/**"}, "deploy/chart/ci-agent/values.yaml", false, false, true},
		{[]string{"go.mod"}, "go.sum", false, false, false},
		{[]string{"components"}, "componentsx/a.go", false, false, false},
	} {
		if got := matchesFilter(tc.patterns, tc.path); got != tc.filter {
			t.Errorf("matchesFilter(%q, %q) = %v; want %v", tc.patterns, tc.path, got, tc.filter)
		}
		if got := matchesPathspec(tc.patterns, tc.path); !tc.noSpec && got != tc.spec {
			t.Errorf("matchesPathspec(%q, %q) = %v; want %v", tc.patterns, tc.path, got, tc.spec)
		}
	}
}

// TestDeploySyncCarriesTheSyncOptions runs deploy.yml's prod sync step against a stand-in
// kubectl (testdata/kubectl). The operation the step patches in is what the application
// controller runs, with the operation's own syncOptions: `argocd app sync` copies the spec's
// into it, and a patch that does not would sync prod without ServerSideApply and PruneLast.
func TestDeploySyncCarriesTheSyncOptions(t *testing.T) {
	if _, err := exec.LookPath("jq"); err != nil {
		t.Skip("jq is not installed (the step needs it, as GitHub's runners have it)")
	}
	root, err := filepath.Abs("..")
	if err != nil {
		t.Fatal(err)
	}
	const stepName = "Sync the prod Application to the values commit"
	var run string
	for _, job := range readWorkflow(t, root, "deploy.yml").Jobs {
		for _, s := range job.Steps {
			if s.Name == stepName {
				run = s.Run
			}
		}
	}
	if run == "" {
		t.Fatalf("deploy.yml: no step %q", stepName)
	}
	for _, tc := range []struct {
		name        string
		application string
		want        []string
	}{
		// What components/gitops.go gives the Application.
		{"the platform's options", `{"spec": {"syncPolicy": {"syncOptions": ["ServerSideApply=true", "PruneLast=true"]}}}`,
			[]string{"ServerSideApply=true", "PruneLast=true"}},
		{"whatever the spec says", `{"spec": {"syncPolicy": {"syncOptions": ["Validate=false"]}}}`, []string{"Validate=false"}},
		{"a spec without options", `{"spec": {}}`, []string{}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			bin := filepath.Join(dir, "bin")
			if err := os.Mkdir(bin, 0o755); err != nil {
				t.Fatal(err)
			}
			if err := os.Symlink(filepath.Join(root, "infra", "testdata", "kubectl"), filepath.Join(bin, "kubectl")); err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(filepath.Join(dir, "application.json"), []byte(tc.application), 0o600); err != nil {
				t.Fatal(err)
			}
			// GitHub runs a step's script with bash -eo pipefail.
			cmd := exec.Command("bash", "--noprofile", "--norc", "-eo", "pipefail", "-c", run)
			cmd.Env = append(os.Environ(), "PATH="+bin+string(os.PathListSeparator)+os.Getenv("PATH"),
				"FAKE_DIR="+dir, "APP=ci-agent-prod", "REVISION=0123abcd")
			if out, err := cmd.CombinedOutput(); err != nil {
				t.Fatalf("the step failed: %v\n%s", err, out)
			}
			data, err := os.ReadFile(filepath.Join(dir, "patch"))
			if err != nil {
				t.Fatalf("the step patched nothing: %v", err)
			}
			var patch struct {
				Operation struct {
					Sync struct {
						Revision    string   `json:"revision"`
						SyncOptions []string `json:"syncOptions"`
					} `json:"sync"`
				} `json:"operation"`
			}
			if err := json.Unmarshal(data, &patch); err != nil {
				t.Fatalf("patch %s: %v", data, err)
			}
			if got := patch.Operation.Sync.Revision; got != "0123abcd" {
				t.Errorf("patch %s: revision %q; want 0123abcd", data, got)
			}
			if got := patch.Operation.Sync.SyncOptions; got == nil || !slices.Equal(got, tc.want) {
				t.Errorf("patch %s: sync.syncOptions %q; want the spec's %q", data, got, tc.want)
			}
		})
	}
}
