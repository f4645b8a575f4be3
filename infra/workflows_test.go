package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
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
// preview.yml's pull_request path filter (GitHub's glob syntax) and release.yml's push filter
// (paths-ignore). A file the program is built from but missing from preview.yml's list ships
// with no preview, as deploy/prometheus-adapter/values.yaml (embedded by a package of this
// module) once did; one that release.yml ignores ships with no `pulumi up`.
//
// release.yml runs `pulumi up` of dev and prod on every run rather than when the push's own diff
// (github.event.before..sha) touched the program: GitHub cancels a pending run of the `release`
// concurrency group when a newer push queues, so a push's infrastructure change could be diffed
// by no run at all, and a failed `up` was never retried by the next push.

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

type workflowStep struct {
	ID   string            `yaml:"id"`
	Name string            `yaml:"name"`
	If   string            `yaml:"if"`
	Uses string            `yaml:"uses"`
	With map[string]any    `yaml:"with"`
	Env  map[string]string `yaml:"env"`
	Run  string            `yaml:"run"`
}

type workflowJob struct {
	If    string            `yaml:"if"`
	Needs stringList        `yaml:"needs"`
	Uses  string            `yaml:"uses"`
	With  map[string]any    `yaml:"with"`
	Env   map[string]string `yaml:"env"`
	Steps []workflowStep    `yaml:"steps"`
}

// stringList is a YAML value that may be one string or a list of them (a job's needs).
type stringList []string

func (l *stringList) UnmarshalYAML(n *yaml.Node) error {
	if n.Kind == yaml.ScalarNode {
		*l = []string{n.Value}
		return nil
	}
	var list []string
	if err := n.Decode(&list); err != nil {
		return err
	}
	*l = list
	return nil
}

type workflow struct {
	On struct {
		PullRequest struct {
			Paths []string `yaml:"paths"`
		} `yaml:"pull_request"`
		Push struct {
			Paths       []string `yaml:"paths"`
			PathsIgnore []string `yaml:"paths-ignore"`
		} `yaml:"push"`
	} `yaml:"on"`
	Env  map[string]string      `yaml:"env"`
	Jobs map[string]workflowJob `yaml:"jobs"`
}

func parseWorkflow(t *testing.T, name string, data []byte) workflow {
	t.Helper()
	var w workflow
	if err := yaml.Unmarshal(data, &w); err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	return w
}

func readWorkflow(t *testing.T, root, name string) workflow {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(root, ".github", "workflows", name))
	if err != nil {
		t.Fatal(err)
	}
	return parseWorkflow(t, name, data)
}

// releaseUpProblems says what keeps a release workflow from running `pulumi up` of each stack on
// every run: an up job or step with an `if:` (the old "did this push change the
// infrastructure?" gate), a conditional step before it, a missing stack, or anything that
// reads github.event.before (a diff of the push alone).
func releaseUpProblems(w workflow, stacks ...string) []string {
	var problems []string
	found := map[string]bool{}
	names := make([]string, 0, len(w.Jobs))
	for name := range w.Jobs {
		names = append(names, name)
	}
	sort.Strings(names)
	for _, name := range names {
		job := w.Jobs[name]
		for _, v := range job.Env {
			if strings.Contains(v, "github.event.before") {
				problems = append(problems, "job "+name+" reads github.event.before: a push's own diff misses what a cancelled run carried")
			}
		}
		up := -1
		for i, s := range job.Steps {
			reads := strings.Contains(s.Run, "github.event.before")
			for _, v := range s.Env {
				reads = reads || strings.Contains(v, "github.event.before")
			}
			if reads {
				problems = append(problems, "job "+name+" step "+strings.TrimSpace(s.ID+" "+s.Name)+
					" reads github.event.before: a push's own diff misses what a cancelled run carried")
			}
			if strings.HasPrefix(s.Uses, "pulumi/actions@") && fmt.Sprint(s.With["command"]) == "up" {
				up = i
				found[fmt.Sprint(s.With["stack-name"])] = true
			}
		}
		if up < 0 {
			continue
		}
		if job.If != "" {
			problems = append(problems, "job "+name+" runs pulumi up only if "+job.If)
		}
		for _, s := range job.Steps[:up+1] {
			if s.If != "" {
				problems = append(problems, "job "+name+" step "+strings.TrimSpace(s.ID+" "+s.Uses+" "+s.Name)+
					" (before or at pulumi up) runs only if "+s.If)
			}
		}
	}
	for _, stack := range stacks {
		if !found[stack] {
			problems = append(problems, "no job runs pulumi up of stack "+stack)
		}
	}
	return problems
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
	push := release.On.Push
	for _, f := range files {
		if matchesFilter(push.PathsIgnore, f) {
			t.Errorf("release.yml on.push.paths-ignore %q match %s: a push changing only it runs no pulumi up", push.PathsIgnore, f)
		}
		if len(push.Paths) > 0 && !matchesFilter(push.Paths, f) {
			t.Errorf("release.yml on.push.paths %q miss %s: a push changing only it runs no pulumi up", push.Paths, f)
		}
	}
}

// TestWorkflowsReleaseUpEveryRun: release.yml runs `pulumi up` of dev and prod on every run, with
// no condition on what the push itself changed (see the top of this file).
func TestWorkflowsReleaseUpEveryRun(t *testing.T) {
	root, err := filepath.Abs("..")
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range releaseUpProblems(readWorkflow(t, root, "release.yml"), "dev", "prod") {
		t.Errorf("release.yml: %s", p)
	}
}

// TestReleaseUpProblems: the check above catches the workflow it replaced, whose infra jobs
// diffed github.event.before..sha and skipped pulumi up when the diff was empty.
func TestReleaseUpProblems(t *testing.T) {
	const gated = `
jobs:
  infra:
    steps:
      - uses: actions/checkout@v4
      - name: Did this push change the infrastructure?
        id: changed
        env:
          BEFORE: ${{ github.event.before }}
        run: |
          read -ra paths <<<"$INFRA_PATHS"
          if git diff --quiet "$BEFORE" "$GITHUB_SHA" -- "${paths[@]}" 2>/dev/null; then
            echo "infra=false" >> "$GITHUB_OUTPUT"
          else
            echo "infra=true" >> "$GITHUB_OUTPUT"
          fi
      - if: steps.changed.outputs.infra == 'true'
        uses: actions/setup-go@v5
      - if: steps.changed.outputs.infra == 'true'
        uses: pulumi/actions@v6
        with:
          command: up
          stack-name: dev
`
	const every = `
jobs:
  infra:
    steps:
      - uses: actions/checkout@v4
      - uses: actions/setup-go@v5
      - uses: pulumi/actions@v6
        with:
          command: up
          stack-name: dev
  infra-prod:
    if: github.event.before != ''
    steps:
      - uses: pulumi/actions@v6
        with:
          command: up
          stack-name: prod
`
	for _, tc := range []struct {
		name, yaml string
		want       []string // substrings, one problem each
	}{
		{"the old gated jobs", gated, []string{"reads github.event.before", "setup-go", "pulumi/actions", "stack prod"}},
		{"a job condition", every, []string{"job infra-prod runs pulumi up only if"}},
		{"dev only", every[:strings.Index(every, "  infra-prod:")], []string{"stack prod"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := releaseUpProblems(parseWorkflow(t, tc.name, []byte(tc.yaml)), "dev", "prod")
			if len(got) != len(tc.want) {
				t.Fatalf("problems %q; want %d, one with each of %q", got, len(tc.want), tc.want)
			}
			for i, w := range tc.want {
				if !strings.Contains(got[i], w) {
					t.Errorf("problem %d %q; want one with %q", i, got[i], w)
				}
			}
		})
	}
}

func TestPathMatchers(t *testing.T) {
	for _, tc := range []struct {
		patterns []string
		path     string
		filter   bool // GitHub's paths filter
	}{
		{[]string{"infra/**"}, "infra/main.go", true},
		{[]string{"infra"}, "infra/main.go", false},
		{[]string{"deploy/prometheus-adapter/**"}, "deploy/prometheus-adapter/values.yaml", true},
		{[]string{"Pulumi*.yaml"}, "Pulumi.dev.yaml", true},
		{[]string{"Pulumi*.yaml"}, "sub/Pulumi.yaml", false},
		{[]string{"deploy/*"}, "deploy/prometheus-adapter/values.yaml", false},
		{[]string{"deploy/**", "!deploy/chart/**"}, "deploy/chart/ci-agent/values.yaml", false},
		{[]string{"go.mod"}, "go.sum", false},
		{[]string{"components"}, "componentsx/a.go", false},
		// release.yml's paths-ignore: a push of only these runs no release.
		{[]string{"**.md"}, "docs/infra.md", true},
		{[]string{"**.md"}, "stacks/config.go", false},
		{[]string{"deploy/chart/ci-agent/values-*.yaml"}, "deploy/chart/ci-agent/values-prod.yaml", true},
		{[]string{"deploy/chart/ci-agent/values-*.yaml"}, "deploy/prometheus-adapter/values.yaml", false},
	} {
		if got := matchesFilter(tc.patterns, tc.path); got != tc.filter {
			t.Errorf("matchesFilter(%q, %q) = %v; want %v", tc.patterns, tc.path, got, tc.filter)
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

// guardStep is the run script of rollback.yml's first step, which refuses a rollback while a
// release run in flight can still deploy the environment.
func guardStep(t *testing.T, root string) string {
	t.Helper()
	for _, s := range readWorkflow(t, root, "rollback.yml").Jobs["check-tag"].Steps {
		if strings.HasPrefix(s.Name, "No release run in flight") {
			return s.Run
		}
	}
	t.Fatal("rollback.yml: no step \"No release run in flight…\" in job check-tag")
	return ""
}

// TestRollbackGuard runs rollback.yml's guard against a stand-in gh (testdata/gh). After every
// push release.yml waits at the production approval with dev done: that run must not block a
// dev rollback (it did: the guard refused on any run in flight), but must block prod's; a run
// whose dev jobs are not all done, or whose jobs cannot be read, blocks both.
func TestRollbackGuard(t *testing.T) {
	root, err := filepath.Abs("..")
	if err != nil {
		t.Fatal(err)
	}
	run := guardStep(t, root)
	type job struct{ name, status string }
	atApproval := []job{{"image", "completed"}, {"infra", "completed"}, {"deploy-dev / deploy", "completed"}, {"infra-prod", "waiting"}}
	for _, tc := range []struct {
		name    string
		runs    map[int][]job // in flight, by id; nil jobs: gh run view fails
		noList  bool          // gh run list fails
		blocked map[string]bool
	}{
		{"nothing in flight", map[int][]job{}, false, map[string]bool{"dev": false, "prod": false}},
		{"waiting at the production approval", map[int][]job{11: atApproval}, false, map[string]bool{"dev": false, "prod": true}},
		{"deploying prod", map[int][]job{11: {{"image", "completed"}, {"infra", "completed"}, {"deploy-dev / deploy", "completed"},
			{"infra-prod", "completed"}, {"deploy-prod / deploy", "in_progress"}}}, false, map[string]bool{"dev": false, "prod": true}},
		{"just queued, no job yet", map[int][]job{12: {}}, false, map[string]bool{"dev": true, "prod": true}},
		{"pulumi up of dev", map[int][]job{12: {{"image", "in_progress"}, {"infra", "in_progress"}}}, false, map[string]bool{"dev": true, "prod": true}},
		{"image done, dev's deploy not started", map[int][]job{12: {{"image", "completed"}, {"infra", "completed"}}}, false, map[string]bool{"dev": true, "prod": true}},
		{"deploying dev, prod's jobs listed as pending", map[int][]job{12: {{"image", "completed"}, {"infra", "completed"},
			{"deploy-dev / deploy", "in_progress"}, {"infra-prod", "pending"}}}, false, map[string]bool{"dev": true, "prod": true}},
		{"one at the approval and a newer one queued", map[int][]job{11: atApproval, 12: {}}, false, map[string]bool{"dev": true, "prod": true}},
		// A missing job is no proof that dev is done: deploy-dev is created only once image is.
		{"image running, infra done, deploy-dev not created, prod pending", map[int][]job{12: {{"image", "in_progress"}, {"infra", "completed"},
			{"infra-prod", "pending"}}}, false, map[string]bool{"dev": true, "prod": true}},
		{"image running, infra done, no deploy-dev, prod's jobs pending", map[int][]job{12: {{"image", "in_progress"}, {"infra", "completed"},
			{"infra-prod", "pending"}, {"deploy-prod", "pending"}}}, false, map[string]bool{"dev": true, "prod": true}},
		{"deploy-dev's caller job alone, no deploy-dev / job yet", map[int][]job{12: {{"image", "completed"}, {"infra", "completed"},
			{"deploy-dev", "completed"}, {"infra-prod", "pending"}}}, false, map[string]bool{"dev": true, "prod": true}},
		{"deploy-dev done, infra not created", map[int][]job{12: {{"image", "completed"}, {"deploy-dev / deploy", "completed"},
			{"infra-prod", "pending"}}}, false, map[string]bool{"dev": true, "prod": true}},
		{"one deploy-dev job done, another still running", map[int][]job{12: {{"image", "completed"}, {"infra", "completed"},
			{"deploy-dev / deploy", "completed"}, {"deploy-dev / smoke", "in_progress"}, {"infra-prod", "pending"}}}, false, map[string]bool{"dev": true, "prod": true}},
		// Positive evidence is enough: no prod job needs to exist yet.
		{"dev done, prod's jobs not created yet", map[int][]job{11: {{"image", "completed"}, {"infra", "completed"},
			{"deploy-dev / deploy", "completed"}}}, false, map[string]bool{"dev": false, "prod": true}},
		// The guard reads every run: gh run view inside the loop must not eat the loop's input
		// (the stand-in drains stdin, so the run listed after 11 would be lost).
		{"one at the approval, then one deploying dev", map[int][]job{11: atApproval, 12: {{"image", "completed"}, {"infra", "in_progress"}}},
			false, map[string]bool{"dev": true, "prod": true}},
		{"jobs unreadable", map[int][]job{13: nil}, false, map[string]bool{"dev": true, "prod": true}},
		// As before: a failed listing warns and lets the rollback go (the runbook's manual check).
		{"runs unreadable", nil, true, map[string]bool{"dev": false, "prod": false}},
	} {
		for _, target := range []string{"dev", "prod"} {
			t.Run(tc.name+"/"+target, func(t *testing.T) {
				dir := t.TempDir()
				bin := filepath.Join(dir, "bin")
				if err := os.Mkdir(bin, 0o755); err != nil {
					t.Fatal(err)
				}
				if err := os.Symlink(filepath.Join(root, "infra", "testdata", "gh"), filepath.Join(bin, "gh")); err != nil {
					t.Fatal(err)
				}
				write := func(name string, v any) {
					data, err := json.Marshal(v)
					if err != nil {
						t.Fatal(err)
					}
					if err := os.WriteFile(filepath.Join(dir, name), data, 0o600); err != nil {
						t.Fatal(err)
					}
				}
				if !tc.noList {
					// A completed run is listed too; the guard leaves it out.
					runs := []map[string]any{{"databaseId": 1, "status": "completed", "headSha": "old", "url": "u1"}}
					ids := []int{}
					for id := range tc.runs {
						ids = append(ids, id)
					}
					sort.Ints(ids) // the order gh lists them in is the test's, not the map's
					for _, id := range ids {
						jobs := tc.runs[id]
						status := "in_progress"
						if len(jobs) == 0 {
							status = "queued"
						}
						runs = append(runs, map[string]any{"databaseId": id, "status": status, "headSha": fmt.Sprint("sha", id), "url": fmt.Sprint("u", id)})
						if jobs == nil {
							continue
						}
						list := []map[string]string{}
						for _, j := range jobs {
							list = append(list, map[string]string{"name": j.name, "status": j.status})
						}
						write(fmt.Sprintf("jobs-%d.json", id), map[string]any{"jobs": list})
					}
					write("runs.json", runs)
				}
				// GitHub runs a step's script with bash -eo pipefail.
				cmd := exec.Command("bash", "--noprofile", "--norc", "-eo", "pipefail", "-c", run)
				cmd.Env = append(os.Environ(), "PATH="+bin+string(os.PathListSeparator)+os.Getenv("PATH"), "FAKE_DIR="+dir, "TARGET="+target)
				out, err := cmd.CombinedOutput()
				var exit *exec.ExitError
				if err != nil && !errors.As(err, &exit) {
					t.Fatalf("running the guard: %v\n%s", err, out)
				}
				if blocked := err != nil; blocked != tc.blocked[target] {
					t.Errorf("guard for %s with %v: blocked = %v; want %v\n%s", target, tc.runs, blocked, tc.blocked[target], out)
				}
			})
		}
	}
}

// TestReleaseJobsAsTheRollbackGuardReadsThem: the guard knows release.yml's jobs by name. dev
// is deployed by `infra` (pulumi up of dev) and `deploy-dev` (deploy.yml), prod by `infra-prod`
// and `deploy-prod`, and prod's jobs run only after dev's, so that a run with a prod job is
// past dev. A renamed or reordered job would make the guard wave a dev rollback through.
func TestReleaseJobsAsTheRollbackGuardReadsThem(t *testing.T) {
	root, err := filepath.Abs("..")
	if err != nil {
		t.Fatal(err)
	}
	release := readWorkflow(t, root, "release.yml")
	deploys := map[string][]string{} // environment -> jobs that deploy it
	for name, job := range release.Jobs {
		if strings.HasSuffix(job.Uses, "/deploy.yml") {
			env := fmt.Sprint(job.With["environment"])
			deploys[env] = append(deploys[env], name)
		}
		for _, s := range job.Steps {
			if strings.HasPrefix(s.Uses, "pulumi/actions@") && fmt.Sprint(s.With["command"]) == "up" {
				stack := fmt.Sprint(s.With["stack-name"])
				deploys[stack] = append(deploys[stack], name)
			}
		}
	}
	for env := range deploys {
		sort.Strings(deploys[env])
	}
	want := map[string][]string{"dev": {"deploy-dev", "infra"}, "prod": {"deploy-prod", "infra-prod"}}
	if fmt.Sprint(deploys) != fmt.Sprint(want) {
		t.Errorf("release.yml: the jobs deploying each environment are %v; rollback.yml's guard reads them as %v", deploys, want)
	}
	// A prod job's presence means dev's jobs finished: each prod job needs (at one remove)
	// both of dev's.
	var ancestors func(job string) map[string]bool
	ancestors = func(job string) map[string]bool {
		out := map[string]bool{}
		for _, n := range release.Jobs[job].Needs {
			out[n] = true
			for a := range ancestors(n) {
				out[a] = true
			}
		}
		return out
	}
	for _, prodJob := range want["prod"] {
		for _, devJob := range want["dev"] {
			if !ancestors(prodJob)[devJob] {
				t.Errorf("release.yml: %s does not wait for %s, so a run with %s can still deploy dev", prodJob, devJob, prodJob)
			}
		}
	}
}

// importStepProblems says what is wrong with the log-group import before each `pulumi up` of a
// release workflow: every job that runs `up` of a stack must first install the program's aws
// plugin, then run infra/scripts/import-log-groups.sh for that same stack, both before the up.
func importStepProblems(w workflow) []string {
	var problems []string
	names := make([]string, 0, len(w.Jobs))
	for name := range w.Jobs {
		names = append(names, name)
	}
	sort.Strings(names)
	for _, name := range names {
		plugin, imported := -1, map[string]int{}
		for i, s := range w.Jobs[name].Steps {
			if strings.Contains(s.Run, "pulumi plugin install resource aws") && plugin < 0 {
				plugin = i
			}
			if _, rest, ok := strings.Cut(s.Run, "infra/scripts/import-log-groups.sh "); ok {
				stack := strings.Fields(rest)
				if len(stack) > 0 {
					if _, seen := imported[stack[0]]; !seen {
						imported[stack[0]] = i
					}
				}
			}
			if !strings.HasPrefix(s.Uses, "pulumi/actions@") || fmt.Sprint(s.With["command"]) != "up" {
				continue
			}
			stack := fmt.Sprint(s.With["stack-name"])
			at, ok := imported[stack]
			switch {
			case !ok:
				problems = append(problems, "job "+name+" runs pulumi up of "+stack+" with no import-log-groups.sh "+stack+" before it")
			case plugin < 0 || plugin > at:
				problems = append(problems, "job "+name+" imports into "+stack+" with no `pulumi plugin install resource aws` before it")
			}
		}
	}
	return problems
}

// TestWorkflowsImportBeforeUp: release.yml imports the log groups before each up (with the
// program's aws plugin), and every pulumi/actions step pins the CLI to go.mod's pulumi/sdk.
func TestWorkflowsImportBeforeUp(t *testing.T) {
	root, err := filepath.Abs("..")
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range importStepProblems(readWorkflow(t, root, "release.yml")) {
		t.Errorf("release.yml: %s", p)
	}
	gomod, err := os.ReadFile(filepath.Join(root, "go.mod"))
	if err != nil {
		t.Fatal(err)
	}
	m := regexp.MustCompile(`(?m)^\s*github\.com/pulumi/pulumi/sdk/v3 v(\S+)`).FindSubmatch(gomod)
	if m == nil {
		t.Fatal("go.mod: no github.com/pulumi/pulumi/sdk/v3")
	}
	for _, name := range []string{"release.yml", "preview.yml"} {
		w := readWorkflow(t, root, name)
		for job, j := range w.Jobs {
			for _, s := range j.Steps {
				if strings.HasPrefix(s.Uses, "pulumi/actions@") && fmt.Sprint(s.With["pulumi-version"]) != string(m[1]) {
					t.Errorf("%s job %s: pulumi/actions with pulumi-version %v; want go.mod's %s", name, job, s.With["pulumi-version"], m[1])
				}
			}
		}
	}
	// The check catches a job that lost its import step, and one whose import is for another stack.
	const missing = `
jobs:
  infra:
    steps:
      - run: infra/scripts/import-log-groups.sh prod
      - uses: pulumi/actions@v6
        with:
          command: up
          stack-name: dev
  infra-prod:
    steps:
      - run: pulumi plugin install resource aws 6.83.4
      - uses: pulumi/actions@v6
        with:
          command: up
          stack-name: prod
      - run: infra/scripts/import-log-groups.sh prod
`
	if got := importStepProblems(parseWorkflow(t, "missing", []byte(missing))); len(got) != 2 ||
		!strings.Contains(got[0], "job infra runs pulumi up of dev with no import") || !strings.Contains(got[1], "job infra-prod runs pulumi up of prod with no import") {
		t.Errorf("problems %q; want infra's dev and infra-prod's prod without an import before the up", got)
	}
}
