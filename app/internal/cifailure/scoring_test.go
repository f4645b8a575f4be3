package cifailure

import (
	"context"
	"os"
	"slices"
	"strings"
	"testing"
)

// TestScoringIsStepAware: a cause proved only in a step that did not fail the job (it exited
// with 0, or ran in after_script or post actions) ranks below the failed step's cause.
func TestScoringIsStepAware(t *testing.T) {
	eng := testEngine(t, Options{})
	tests := []struct {
		file      string // under testdata/engine/steps/
		wantIDs   []string
		wantLines []int // evidence lines of the first proposition
	}{
		// GitLab's after_script cannot fail the job: its compile error is not the cause.
		{"gitlab-after-script.log", []string{"t.then", "t.generic", "t.single"}, []int{5, 7}},
		// GitHub Actions: the step with "|| true" went on to the next one, which failed.
		{"github-tolerated-step.log", []string{"t.then", "t.generic", "t.single"}, []int{8, 10}},
		// Travis runs the next script command after a failure; one that "exited with 0." did
		// not fail the job, whatever it printed.
		{"travis-exit-zero-step.log", []string{"t.then", "t.single"}, []int{2, 3}},
		// A then-pattern ("A then B") proved in a step that passed is discounted too.
		{"travis-then-in-passing-step.log", []string{"t.single", "t.then"}, []int{2}},
		// The same error again in the failed step: not discounted, both lines shown.
		{"travis-same-error-again.log", []string{"t.single"}, []int{2, 5}},
		// Jenkins: the post actions' error comes after the failure; the verdict is not theirs.
		{"jenkins-post-actions.log", []string{"t.then", "t.generic", "t.single"}, []int{9, 10}},
	}
	for _, tc := range tests {
		t.Run(tc.file, func(t *testing.T) {
			data, err := os.ReadFile("testdata/engine/steps/" + tc.file)
			if err != nil {
				t.Fatal(err)
			}
			ans, err := eng.Explain(context.Background(), strings.NewReader(string(data)))
			if err != nil {
				t.Fatal(err)
			}
			var ids []string
			for _, p := range ans.Propositions {
				ids = append(ids, p.CauseID)
			}
			if !slices.Equal(ids, tc.wantIDs) {
				t.Fatalf("propositions = %v; want %v", ids, tc.wantIDs)
			}
			if lines, _ := evidenceOf(ans.Propositions[0]); !slices.Equal(lines, tc.wantLines) {
				t.Errorf("evidence lines = %v; want %v", lines, tc.wantLines)
			}
		})
	}
}

// TestConfidence: the runner-up discounts only as a rival, and an answer that does not know
// what failed (a CI verdict or wrappers alone) is as unsure as the no-match fallback.
func TestConfidence(t *testing.T) {
	eng := testEngine(t, Options{})
	tests := []struct {
		name string
		log  string
		want float64
	}{
		// t.then (weight 0.7) scores 0.623 against t.single's 0.765: within 0.15, but it is
		// earlier and less specific, so no rival: the top score stands.
		{"earlier, broader runner-up is no rival", "panic: x\ngoroutine 1 [running]:\nok\nundefined: y\n", 0.765},
		// An earlier runner-up that is more specific is one: t.then 0.723, t.single 0.615,
		// 0.723 * (0.75 + 0.25 * 0.108/0.15) = 0.672.
		{"earlier, more specific runner-up is a rival", "undefined: y\nok\npanic: x\ngoroutine 1 [running]:\n", 0.672},
		// Only the wrapper (weight 0.2) matched: it does not say what failed.
		{"wrapper only", "make: building\nsomething broke\nexit code 2\n", unknownScore},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			ans, err := eng.Explain(context.Background(), strings.NewReader(tc.log))
			if err != nil {
				t.Fatal(err)
			}
			if ans.Confidence != tc.want {
				t.Errorf("confidence = %v; want %v (%+v)", ans.Confidence, tc.want, ans.Propositions)
			}
		})
	}
}

// The built-in CI verdicts alone say a step failed, not what: the fallback's confidence.
func TestVerdictOnlyConfidence(t *testing.T) {
	eng := builtinEngine(t)
	data, err := os.ReadFile("testdata/engine/unknown/github-actions-step.log")
	if err != nil {
		t.Fatal(err)
	}
	ans, err := eng.Explain(context.Background(), strings.NewReader(string(data)))
	if err != nil {
		t.Fatal(err)
	}
	if ans.Category != CategoryUnknown || ans.Confidence != unknownScore {
		t.Errorf("answer = %s with confidence %v; want unknown with %v", ans.Category, ans.Confidence, unknownScore)
	}
}
