package ranking

import (
	"fmt"
	"math/rand/v2"
	"testing"

	"github.com/ci-agent/ci-agent/app/internal/ranking/rankingtest"
)

// TestGateStoresOnlyWhatFeedbackTeaches trains as `ranking train` does (streamed, the newest
// 20 % held out) on simulated histories and asks the store gate. Random feedback (a random
// proposition accepted or rejected by one of five actors) teaches nothing: whatever gain the
// model shows on the hold-out is noise, and it must not be stored, whatever the seed. A
// reviewer saw such a model stored with NDCG@3 0.841 against the proposers' 0.837 and served
// the runner's exit-code line first. Structured feedback (each repository's users accept its
// usual cause) must be stored. On seeds 1, 2 and 5 the random model gains on the hold-out
// (+0.004, +0.013, +0.014 NDCG@3, 95 % intervals from −0.032, −0.023, −0.021, resampling repositories and requests within them): the old gate,
// "not worse than the proposers", stored all three.
func TestGateStoresOnlyWhatFeedbackTeaches(t *testing.T) {
	tests := []struct {
		name  string
		cfg   rankingtest.Config
		store bool
	}{
		{"random feedback, seed 1", rankingtest.Config{Seed: 1, RandomFeedback: true}, false},
		{"random feedback, seed 2", rankingtest.Config{Seed: 2, RandomFeedback: true}, false},
		{"random feedback, seed 3", rankingtest.Config{Seed: 3, RandomFeedback: true}, false},
		{"random feedback, seed 4", rankingtest.Config{Seed: 4, RandomFeedback: true}, false},
		{"random feedback, seed 5", rankingtest.Config{Seed: 5, RandomFeedback: true}, false},
		{"structured feedback, seed 1", rankingtest.Config{Seed: 1}, true},
		{"structured feedback, seed 2", rankingtest.Config{Seed: 2}, true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			url, store := testStore(t)
			cfg := tc.cfg
			cfg.Requests, cfg.Days, cfg.Start = 2000, 10, simStart
			sim := rankingtest.Simulate(t, url, cfg)
			data, err := NewCollector(KindCIExplain)
			if err != nil {
				t.Fatal(err)
			}
			if _, err := store.QueriesSplit(t.Context(), Span{Kind: KindCIExplain, Since: simStart, Until: sim.Until}, 0.2, data.Add); err != nil {
				t.Fatal(err)
			}
			m, err := data.Fit(TrainOptions{})
			if err != nil {
				t.Fatal(err)
			}
			rep := data.Evaluate(m)
			why := rep.NotBetterBecause(DefaultMinJudged, DefaultMinRepositories)
			t.Logf("%d judged held-out requests: NDCG@3 proposers %.3f, model %.3f, gain %s; top changed %d (better %d, worse %d); refusal %q",
				rep.Queries, rep.Static.NDCG3, rep.Model.NDCG3, rep.Gain, rep.Gain.TopChanged, rep.Gain.TopBetter, rep.Gain.TopWorse, why)
			if stored := why == ""; stored != tc.store {
				t.Errorf("stored = %v (%q); want %v", stored, why, tc.store)
			}
		})
	}
}

// TestBootstrapCountsARepositoryOnce: the interval of the gain resamples repositories, not
// requests alone. Sixty gains of one repository that fails the same way each time are one
// piece of evidence: spread over sixty repositories the same differences show a gain, but
// from one repository among sixty others, whose own differences are noise around 0, they do
// not. Resampling requests alone gave both the same interval, above 0.
func TestBootstrapCountsARepositoryOnce(t *testing.T) {
	const n = 60
	diffs := make([]float64, 0, 2*n)
	for range n {
		diffs = append(diffs, 0.5) // the model puts the accepted cause first
	}
	for i := range n {
		diffs = append(diffs, []float64{0.5, -0.5}[i%2]) // better or worse by turns
	}
	tests := []struct {
		name      string
		repo      func(i int) string
		wantRepos int
		aboveZero bool
	}{
		{"every request from its own repository", func(i int) string { return fmt.Sprintf("org/r%d", i) }, 2 * n, true},
		{"requests that name no repository", func(int) string { return "" }, 2 * n, true},
		{"the sixty gains from one repository", func(i int) string {
			if i < n {
				return "org/same"
			}
			return fmt.Sprintf("org/r%d", i)
		}, n + 1, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			repos := make([]string, len(diffs))
			for i := range repos {
				repos[i] = tc.repo(i)
			}
			groups := byRepository(diffs, repos)
			low, high := bootstrapInterval(groups, mean(diffs))
			t.Logf("%d groups, 95 %% CI %+.3f … %+.3f", len(groups), low, high)
			if len(groups) != tc.wantRepos {
				t.Errorf("%d groups, want %d", len(groups), tc.wantRepos)
			}
			if !(low < 0.25 && 0.25 < high) {
				t.Errorf("interval %+.3f … %+.3f does not hold the mean +0.25", low, high)
			}
			if got := low > 0; got != tc.aboveZero {
				t.Errorf("interval above 0 = %v, want %v", got, tc.aboveZero)
			}
		})
	}
}

// TestBootstrapOneRepositoryKeepsItsNoise: with a single repository, drawing whole
// repositories alone would give the same resample every time and an interval of one point,
// which would pass the store gate on any gain. Requests are drawn within it too.
func TestBootstrapOneRepositoryKeepsItsNoise(t *testing.T) {
	diffs := []float64{0.5, -0.5, 0, 0, 0.5, 0, -0.5, 0.5, 0, 0.5}
	low, high := bootstrapInterval([][]float64{diffs}, mean(diffs))
	if !(low < 0 && high > 0.1) {
		t.Errorf("interval %+.3f … %+.3f, want one around the mean +0.1 that holds 0", low, high)
	}
}

// TestBootstrapFalsePasses measures how often the gate's interval lies above 0 when the model
// gains nothing: each repository's requests share a random shift around 0 (a repository whose
// failures the model happens to order better or worse) plus their own noise. A 95 % interval
// should do so about 2.5 % of the time. With few repositories the bootstrap alone is too
// narrow; the √(G/(G−1)) correction and the minimum of DefaultMinRepositories keep the gate
// near its level. Seeded, so the counts are the same on every run.
func TestBootstrapFalsePasses(t *testing.T) {
	const trials, requests = 300, 60
	falsePasses := func(repos int) float64 {
		rnd := rand.New(rand.NewPCG(7, uint64(repos)))
		passes := 0
		for range trials {
			groups := make([][]float64, repos)
			var all []float64
			for g := range groups {
				shift := rnd.NormFloat64() * 0.05
				for range requests / repos {
					d := shift + rnd.NormFloat64()*0.1
					groups[g] = append(groups[g], d)
					all = append(all, d)
				}
			}
			if low, _ := bootstrapInterval(groups, mean(all)); low > 0 {
				passes++
			}
		}
		return float64(passes) / trials
	}
	for _, tc := range []struct {
		repos int
		most  float64
	}{
		// Below the minimum the correction alone still passes too often: the gate refuses.
		{2, 0.12}, {3, 0.08},
		{DefaultMinRepositories, 0.05}, {10, 0.05}, {20, 0.05},
	} {
		got := falsePasses(tc.repos)
		t.Logf("%d repositories: interval above 0 in %.1f %% of %d trials without a gain", tc.repos, 100*got, trials)
		if got > tc.most {
			t.Errorf("%d repositories: %.1f %% false passes, want at most %.0f %%", tc.repos, 100*got, 100*tc.most)
		}
	}
}

// TestGateNeedsRepositories: judged requests from fewer repositories than the minimum are not
// evidence enough, however narrow their interval (a reviewer's case: sixty alike +0.02 gains of
// one repository gave +0.020 … +0.020 and were stored). Sixty requests gain alike here: the
// model puts the accepted second proposition first.
func TestGateNeedsRepositories(t *testing.T) {
	model := &Model{Weights: []float64{1}, Mean: []float64{0}, Std: []float64{1}}
	for _, tc := range []struct {
		name  string
		repos func(i int) string
		store bool
	}{
		{"one repository", func(int) string { return "org/one" }, false},
		{"four repositories", func(i int) string { return fmt.Sprintf("org/r%d", i%4) }, false},
		{"five repositories", func(i int) string { return fmt.Sprintf("org/r%d", i%5) }, true},
		{"no repository named", func(int) string { return "" }, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var queries []*Query
			for i := range 60 {
				queries = append(queries, &Query{Repo: tc.repos(i), Labels: []int{LabelNone, LabelAccepted}, X: [][]float64{{0}, {1}}})
			}
			rep := Evaluate(model, queries)
			why := rep.NotBetterBecause(DefaultMinJudged, DefaultMinRepositories)
			t.Logf("%d units (%d repositories): %s; refusal %q", rep.Gain.Units, rep.Gain.Repositories, rep.Gain, why)
			if stored := why == ""; stored != tc.store {
				t.Errorf("stored = %v (%q), want %v", stored, why, tc.store)
			}
		})
	}
}
