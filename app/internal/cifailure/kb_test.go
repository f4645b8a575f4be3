package cifailure

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
)

// TestKnowledgeBase proves every built-in cause against its fixtures: each match*.log must
// put the cause on top, each nomatch*.log must not propose it at all.
func TestKnowledgeBase(t *testing.T) {
	kb, err := LoadBuiltin()
	if err != nil {
		t.Fatalf("LoadBuiltin: %v", err)
	}
	eng, err := New(kb, Options{Top: 50})
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	for _, c := range kb.Causes {
		t.Run(c.ID, func(t *testing.T) {
			dir := filepath.Join("testdata", "causes", c.ID)
			matches, _ := filepath.Glob(filepath.Join(dir, "match*.log"))
			if len(matches) == 0 {
				t.Fatalf("cause %s (%s) has no fixture %s/match*.log", c.ID, c.Source, dir)
			}
			for _, path := range matches {
				ans := explainFile(t, eng, path)
				if got := ans.Propositions[0].CauseID; got != c.ID {
					t.Errorf("Explain(%s) top cause = %s (score %.3f); want %s (%s)", path, got, ans.Propositions[0].Score, c.ID, rankOf(ans, c.ID))
				}
				if ans.Category != c.Category && ans.Propositions[0].CauseID == c.ID {
					t.Errorf("Explain(%s) category = %s; want %s", path, ans.Category, c.Category)
				}
			}
			nomatches, _ := filepath.Glob(filepath.Join(dir, "nomatch*.log"))
			for _, path := range nomatches {
				ans := explainFile(t, eng, path)
				for _, p := range ans.Propositions {
					if p.CauseID == c.ID {
						t.Errorf("Explain(%s) proposes %s (line %d: %q); want it absent", path, c.ID, p.Evidence[0].Line, p.Evidence[0].Text)
					}
				}
			}
		})
	}
}

// TestKnowledgeBaseFixturesHaveCauses catches fixture directories left behind by a renamed cause.
func TestKnowledgeBaseFixturesHaveCauses(t *testing.T) {
	kb, err := LoadBuiltin()
	if err != nil {
		t.Fatal(err)
	}
	ids := map[string]bool{}
	for _, c := range kb.Causes {
		ids[c.ID] = true
	}
	dirs, _ := os.ReadDir(filepath.Join("testdata", "causes"))
	for _, d := range dirs {
		if !ids[d.Name()] {
			t.Errorf("testdata/causes/%s has no cause in the knowledge base", d.Name())
		}
	}
}

func TestKnowledgeBaseCoverage(t *testing.T) {
	kb, err := LoadBuiltin()
	if err != nil {
		t.Fatal(err)
	}
	if n := len(kb.Causes); n < 150 {
		t.Errorf("built-in knowledge base has %d causes; the product promises at least 150", n)
	}
	used := map[string]bool{}
	for _, c := range kb.Causes {
		used[c.Category] = true
	}
	for _, cat := range Categories {
		if cat != CategoryUnknown && !used[cat] {
			t.Errorf("no built-in cause has category %q", cat)
		}
	}
}

func explainFile(t *testing.T, eng *Engine, path string) *Answer {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	ans, err := eng.Explain(context.Background(), f)
	if err != nil {
		t.Fatalf("Explain(%s): %v", path, err)
	}
	return ans
}

func rankOf(ans *Answer, id string) string {
	for i, p := range ans.Propositions {
		if p.CauseID == id {
			return fmt.Sprintf("ranked %d with score %.3f", i+1, p.Score)
		}
	}
	return "not proposed"
}

// TestLiteralSetsAreRequired checks the prefilter's soundness on real data: whenever a
// knowledge-base regexp matches a fixture line, every one of its literal sets occurs in that
// line. A set that is not truly required would make the engine miss matches silently.
func TestLiteralSetsAreRequired(t *testing.T) {
	kb, err := LoadBuiltin()
	if err != nil {
		t.Fatal(err)
	}
	type compiled struct {
		re   *regexp.Regexp
		sets [][]string
	}
	var all []compiled
	for _, c := range kb.Causes {
		for _, p := range c.Patterns {
			for _, expr := range p.regexps() {
				sets, err := literalSets(expr)
				if err != nil {
					t.Fatal(err)
				}
				all = append(all, compiled{regexp.MustCompile(expr), sets})
			}
		}
	}
	files, _ := filepath.Glob("testdata/causes/*/*.log")
	checked := 0
	for _, path := range files {
		data, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		var n normalizer
		for i, raw := range bytes.Split(data, []byte("\n")) {
			text, _ := n.normalize(raw)
			lower := strings.ToLower(string(text))
			for _, c := range all {
				if !c.re.Match(text) {
					continue
				}
				checked++
				for _, set := range c.sets {
					if !slices.ContainsFunc(set, func(lit string) bool { return strings.Contains(lower, lit) }) {
						t.Errorf("%s:%d matches %q but lacks every literal of %q", path, i+1, c.re, set)
					}
				}
			}
		}
	}
	if checked == 0 {
		t.Error("no fixture line matched any regexp: the check checked nothing")
	}
}

// TestKnowledgeBaseThroughRunLogPrefix: `gh run view --log` and `--log-failed` (the way a
// workflow reads another run's failed jobs, docs/ci-integration.md) put "job<TAB>step<TAB>"
// and a timestamp before every line. Each match*.log rewritten in that shape must give the
// same top cause and the same proving lines as the log the job printed.
func TestKnowledgeBaseThroughRunLogPrefix(t *testing.T) {
	kb, err := LoadBuiltin()
	if err != nil {
		t.Fatal(err)
	}
	eng, err := New(kb, Options{})
	if err != nil {
		t.Fatal(err)
	}
	leadingTimestamp := regexp.MustCompile(`^\d{4}-\d\d-\d\dT[\d:.]+Z ?`)
	files, _ := filepath.Glob("testdata/causes/*/match*.log")
	if len(files) < 150 {
		t.Fatalf("found %d fixtures; want the knowledge base's", len(files))
	}
	for _, path := range files {
		data, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		var prefixed bytes.Buffer
		for _, line := range strings.SplitAfter(string(data), "\n") {
			if line == "" {
				continue
			}
			line = leadingTimestamp.ReplaceAllString(line, "")
			fmt.Fprintf(&prefixed, "build (ubuntu-latest, 1.26)\tRun make test\t2026-12-06T16:40:01.1234567Z %s", line)
		}
		plain := explainFile(t, eng, path)
		viaGh, err := eng.Explain(context.Background(), &prefixed)
		if err != nil {
			t.Fatalf("Explain(%s as gh run view --log): %v", path, err)
		}
		want, got := plain.Propositions[0], viaGh.Propositions[0]
		if got.CauseID != want.CauseID {
			t.Errorf("%s as gh run view --log: top cause %s; want %s as in the plain log", path, got.CauseID, want.CauseID)
			continue
		}
		for i := range min(len(got.Evidence), len(want.Evidence)) {
			if g, w := got.Evidence[i], want.Evidence[i]; g.Line != w.Line || g.Text != leadingTimestamp.ReplaceAllString(w.Text, "") {
				t.Errorf("%s as gh run view --log: proving line %d: %q; want %q", path, g.Line, g.Text, w.Text)
				break
			}
		}
	}
}
