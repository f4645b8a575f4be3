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
		file       string // under testdata/engine/steps/
		wantIDs    []string
		wantLines  []int // evidence lines of the first proposition
		topOutside bool  // the first proposition was proved only outside the failed step
		wrapperTop bool  // the first proposition is a wrapper: the fallback's confidence
	}{
		// GitLab's after_script cannot fail the job: its compile error is not the cause.
		{"gitlab-after-script.log", []string{"t.then", "t.generic", "t.single"}, []int{5, 7}, false, false},
		// GitHub Actions: the step with "|| true" went on to the next one, which failed.
		{"github-tolerated-step.log", []string{"t.then", "t.generic", "t.single"}, []int{8, 10}, false, false},
		// Travis runs the next script command after a failure; one that "exited with 0." did
		// not fail the job, whatever it printed.
		{"travis-exit-zero-step.log", []string{"t.then", "t.single"}, []int{2, 3}, false, false},
		// A then-pattern ("A then B") proved in a step that passed is discounted too.
		{"travis-then-in-passing-step.log", []string{"t.single", "t.then"}, []int{2}, false, false},
		// The same error again in the failed step: not discounted, both lines shown.
		{"travis-same-error-again.log", []string{"t.single"}, []int{2, 5}, false, false},
		// Jenkins: the post actions' error comes after the failure; the verdict is not theirs.
		{"jenkins-post-actions.log", []string{"t.then", "t.generic", "t.single"}, []int{9, 10}, false, false},

		// A discount never hands the answer to a wrapper: the failed step proved nothing,
		// the tolerated step's cause ranks first, marked outside (its confidence says so).
		{"github-tolerated-then-quiet.log", []string{"t.single", "t.generic"}, []int{4}, true, false},
		// "sh -xe" with a trap: the trap's "+ cmd" trace after the failure does not say the
		// test exited with 0.
		{"jenkins-trap-after-failure.log", []string{"t.all", "t.generic"}, []int{12, 14}, false, false},
		// … but a trace after a command that printed errors and went on, followed by another
		// command's own failure, does: the first one's errors are outside.
		{"jenkins-script-goes-on.log", []string{"t.then", "t.generic", "t.single"}, []int{12, 13}, false, false},
		// A script's own "::group::Run build" is no GitHub step (its header has no "shell:").
		{"github-script-groups.log", []string{"t.single", "t.generic"}, []int{6}, false, false},
		// The stages passed: the post action's failure is the job's.
		{"jenkins-post-action-fails.log", []string{"t.single", "t.generic"}, []int{17}, false, false},
		// An "if: always()" step after the failed one, with no verdict of its own.
		{"github-always-step.log", []string{"t.all", "t.single", "t.generic"}, []int{5, 7}, false, false},
		// "cmd || FAILED=1" went on, but the job failed at the check that reads FAILED: the
		// noted failure is the failed step's (TestDeferredFailure has GitLab's shape).
		{"travis-deferred-failure.log", []string{"t.single"}, []int{2}, false, false},
		// Travis's after_failure runs once the job failed.
		{"travis-after-failure.log", []string{"t.all", "t.then"}, []int{2, 4}, false, false},

		// A generic cause in the failed step (a traceback's header, weight 0.3) ranks above a
		// specific one of after_script, though the wrapper weight once scored it under that
		// one; the outside cause and the verdict follow it. Its header does not say what failed: the fallback's
		// confidence, whatever matched outside. It shows the exception that ends the traceback.
		{"gitlab-generic-inside-specific-after-script.log", []string{"t.traceback", "t.single", "t.generic"}, []int{5, 8}, false, true},
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
			ids := causeIDs(ans)
			if !slices.Equal(ids, tc.wantIDs) {
				t.Fatalf("propositions = %v; want %v", ids, tc.wantIDs)
			}
			if lines, _ := evidenceOf(ans.Propositions[0]); !slices.Equal(lines, tc.wantLines) {
				t.Errorf("evidence lines = %v; want %v", lines, tc.wantLines)
			}
			if out := ans.Propositions[0].Features.Outside; out != tc.topOutside {
				t.Errorf("first proposition outside = %v; want %v", out, tc.topOutside)
			}
			switch {
			case tc.wrapperTop && ans.Confidence != unknownScore:
				t.Errorf("confidence = %v; want the fallback's %v (a wrapper tops)", ans.Confidence, unknownScore)
			case !tc.wrapperTop && ans.Confidence <= unknownScore:
				t.Errorf("confidence = %v; a cause was proved", ans.Confidence)
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
		// Two Travis commands failed: the earlier, broader cause is in a step of its own,
		// which failed too, so it is a rival: t.then 0.63, t.single 0.736,
		// 0.736 * (0.75 + 0.25 * 0.106/0.15) = 0.682.
		{"an earlier failed step's cause is a rival", "$ ./ci/smoke.sh\npanic: smoke failed\ngoroutine 1 [running]:\n" +
			"The command \"./ci/smoke.sh\" exited with 1.\n$ go vet ./...\nx.go:1:1: undefined: y\n" +
			"The command \"go vet ./...\" exited with 1.\n", 0.682},
		// A cause proved only in a step that exited with 0 tops an answer whose failed step
		// proved nothing but the wrapper: its halved score is its confidence (t.single
		// 0.55*0.8 + 0.25*0.5 + 0.2*2/6 = 0.632, halved 0.316), not the wrapper's 0.10.
		{"outside top keeps its halved score", "$ go vet ./... || true\nx.go:1:1: undefined: y\n" +
			"The command \"go vet ./... || true\" exited with 0.\n$ ./smoke\nsmoke: exit code 3\n" +
			"The command \"./smoke\" exited with 3.\n", 0.316},
		// A later compile error of the step, as specific as the first, ranks below it as its
		// consequence (rankFirstCompileError) and is no rival: t.single 0.44 + 0.125 + 0.2/3 =
		// 0.632, t.typecheck (0.765 by its position) 0.631.
		{"a later compile error is no rival", "x.go:3:2: undefined: y\nok\nx.go:9:2: cannot use n (variable of type int) as string value\n", 0.632},
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

// isVerdict is the one test of "this proposition is a CI's verdict" (category unknown). The
// engine once also required wrapper weight of a verdict cause: Cause.Validate makes that
// redundant, which this pins over the built-in knowledge base, and the no-match fallback is
// one too (an answer topped by it is unsure).
func TestIsVerdict(t *testing.T) {
	kb, err := LoadBuiltin()
	if err != nil {
		t.Fatal(err)
	}
	verdicts := 0
	for _, c := range kb.Causes {
		if old := c.Weight < genericWeight && c.Category == CategoryUnknown; isVerdict(c.Category) != old {
			t.Errorf("%s (%s, weight %v): isVerdict = %v; want %v", c.ID, c.Category, c.Weight, !old, old)
		}
		if isVerdict(c.Category) {
			verdicts++
		}
	}
	if verdicts == 0 {
		t.Error("no built-in cause is a verdict; want the CI runners' exit-code lines")
	}
	eng := testEngine(t, Options{})
	ans, err := eng.Explain(context.Background(), strings.NewReader("nothing to see\n"))
	if err != nil {
		t.Fatal(err)
	}
	if !isVerdict(ans.Propositions[0].Category) || !wrapperOnly(ans.Propositions) {
		t.Errorf("the no-match fallback (%s) is not a verdict", ans.Propositions[0].CauseID)
	}
}

// TestFirstCompileErrorFirst: among one step's compile errors, the one the compiler reported
// first ranks first (its later errors are often consequences of it) unless a later one is
// clearly more specific; between steps, and without that margin, the score decides as before.
func TestFirstCompileErrorFirst(t *testing.T) {
	eng := testEngine(t, Options{})
	fixture, err := os.ReadFile("testdata/engine/steps/github-compile-first-error.log")
	if err != nil {
		t.Fatal(err)
	}
	const typecheck = "x.go:9:2: cannot use n (variable of type int) as string value in argument to f\n"
	tests := []struct {
		name      string
		log       string
		wantIDs   []string
		wantFirst int // the first proposition's first evidence line
	}{
		// "go build": undefined, then two type errors; position alone put the later type error
		// (same weight) first.
		{"one step: the first of equally specific errors", string(fixture), []string{"t.single", "t.typecheck", "t.generic"}, 9},
		// No step markers: the log is one step.
		{"no steps: the first error", "x.go:3:2: undefined: y\nok\n" + typecheck, []string{"t.single", "t.typecheck"}, 1},
		{"no steps: the first error, whichever cause", typecheck + "ok\nx.go:3:2: undefined: y\n", []string{"t.typecheck", "t.single"}, 1},
		// A broad error (0.5) first, then a specific one: the specific one says more.
		{"a later, clearly more specific error wins", "error[E0001]: y\nok\nx.go:3:2: undefined: y\n", []string{"t.single", "t.broad"}, 3},
		// make -k's C error, then Go's: two toolchains, so the later ranks by its score (the
		// position favours it), and the earlier is its rival.
		{"another ecosystem's earlier error is no cause", "a.c:12:9: error: 'X' undeclared (first use in this function)\nok\n" + typecheck,
			[]string{"t.typecheck", "tc.undeclared"}, 3},
		// Two Travis commands failed: the later step's error ranks by its score, as before.
		{"a later step's error is not a consequence", "$ go vet ./...\nx.go:3:2: undefined: y\n" +
			"The command \"go vet ./...\" exited with 1.\n$ go build ./...\n" + typecheck +
			"The command \"go build ./...\" exited with 1.\n", []string{"t.typecheck", "t.single"}, 5},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			ans, err := eng.Explain(context.Background(), strings.NewReader(tc.log))
			if err != nil {
				t.Fatal(err)
			}
			ids := causeIDs(ans)
			if !slices.Equal(ids, tc.wantIDs) {
				t.Fatalf("propositions = %v; want %v", ids, tc.wantIDs)
			}
			if first := ans.Propositions[0].Evidence[0].Line; first != tc.wantFirst {
				t.Errorf("first evidence line = %d; want %d", first, tc.wantFirst)
			}
		})
	}
}
