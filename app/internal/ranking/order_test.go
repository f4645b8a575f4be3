package ranking

import (
	"slices"
	"testing"
)

// TestOrderKeepsWrappersBelowSpecificCauses: the model may reorder specific causes as it likes
// and move a wrapper down, but never moves a wrapper (a CI runner's "Process completed with
// exit code 1", weight under 0.35) above a specific cause the proposer ranked above it. A
// model fitted to random feedback put gha.process-exit-code first on 28 of 44 logs, an npm
// ERESOLVE answer among them.
func TestOrderKeepsWrappersBelowSpecificCauses(t *testing.T) {
	const specific, wrapper = 0.8, 0.2
	type cand struct{ weight, modelScore float64 } // in the proposer's order
	tests := []struct {
		name  string
		cands []cand
		want  []int
	}{
		{"the model prefers the exit-code line", []cand{{specific, 0.1}, {wrapper, 0.9}}, []int{0, 1}},
		{"specific causes reorder freely", []cand{{specific, 0.1}, {0.7, 0.9}, {wrapper, 0.5}}, []int{1, 0, 2}},
		{"a wrapper the proposer put first may stay first", []cand{{wrapper, 0.9}, {specific, 0.1}}, []int{0, 1}},
		{"a wrapper the proposer put first may move down", []cand{{wrapper, 0.1}, {specific, 0.9}}, []int{1, 0}},
		{"a wrapper waits for the specific causes above it only", []cand{{specific, 0.1}, {wrapper, 0.9}, {0.6, 0.5}}, []int{2, 0, 1}},
		{"wrappers keep the model's order among themselves", []cand{{specific, 0.1}, {wrapper, 0.5}, {0.25, 0.9}}, []int{0, 2, 1}},
		{"the threshold: weight 0.35 is specific", []cand{{specific, 0.1}, {0.35, 0.9}}, []int{1, 0}},
	}
	names := FeatureNames(KindCIExplain)
	weight, score := slices.Index(names, "weight"), slices.Index(names, "evidence")
	m := &Model{Kind: KindCIExplain, Features: names, Mean: make([]float64, len(names)), Std: make([]float64, len(names)), Weights: make([]float64, len(names))}
	for j := range names {
		m.Std[j] = 1
	}
	m.Weights[score] = 1 // the model's score is the evidence column
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			xs := make([][]float64, len(tc.cands))
			for i, c := range tc.cands {
				xs[i] = make([]float64, len(names))
				xs[i][weight], xs[i][score] = c.weight, c.modelScore
			}
			if got := m.Order(xs); !slices.Equal(got, tc.want) {
				t.Errorf("Order = %v; want %v", got, tc.want)
			}
		})
	}
}
