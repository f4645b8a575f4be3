//go:build spamexp

// Experiments of 2026-12-06 (third pass), kept in history only: see docs/spam.md, "The third
// pass". Each runs 5-fold CV on the train splits, as TestCVProposer does.
//
//	go test -v -tags spamexp,spamcv -run 'TestKNN|TestSingleCorpus|TestMoE|TestDevHam' -timeout 1h .
package spam

import (
	"fmt"
	"hash/fnv"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"sort"
	"strings"
	"testing"
)

const expK = 5

func shingles(s string) []uint64 {
	n := normalize(capText(s))
	r := []rune(strings.Join(strings.Fields(n.text), " "))
	set := map[uint64]bool{}
	for i := 0; i+5 <= len(r); i++ {
		h := fnv.New64a()
		h.Write([]byte(string(r[i : i+5])))
		set[h.Sum64()] = true
	}
	out := make([]uint64, 0, len(set))
	for x := range set {
		out = append(out, x)
	}
	sort.Slice(out, func(i, j int) bool { return out[i] < out[j] })
	return out
}

func jaccard(a, b []uint64) float64 {
	i, j, inter := 0, 0, 0
	for i < len(a) && j < len(b) {
		switch {
		case a[i] == b[j]:
			inter++
			i++
			j++
		case a[i] < b[j]:
			i++
		default:
			j++
		}
	}
	if u := len(a) + len(b) - inter; u > 0 {
		return float64(inter) / float64(u)
	}
	return 0
}

// TestKNN: would the nearest in-fold neighbour (Jaccard of character 5-shingles) fix the
// model's out-of-fold misses when it is close enough and spam?
func TestKNN(t *testing.T) {
	corpora, _, _ := LoadCorpora(cvCorpusPaths())
	for _, corp := range corpora[:2] {
		sh := make([][]uint64, len(corp.Train))
		for i, s := range corp.Train {
			sh[i] = shingles(s.Text)
		}
		probs := make([]float64, len(corp.Train))
		for k := 0; k < expK; k++ {
			var tr []Sample
			for _, c := range corpora {
				for i, s := range c.Train {
					if i%expK != k {
						tr = append(tr, s)
					}
				}
			}
			m := Train(tr, TrainOptions{})
			for i, s := range corp.Train {
				if i%expK == k {
					probs[i] = m.Prob(s.Text)
				}
			}
		}
		for _, tau := range []float64{0.3, 0.4, 0.5, 0.6, 0.7} {
			fix, brk, base := 0, 0, 0
			for i, s := range corp.Train {
				best, bi := 0.0, -1
				for j := range corp.Train {
					if j%expK != i%expK {
						if v := jaccard(sh[i], sh[j]); v > best {
							best, bi = v, j
						}
					}
				}
				lr := probs[i] >= 0.5
				if lr == s.Spam {
					base++
				}
				if best >= tau && corp.Train[bi].Spam && !lr {
					if s.Spam {
						fix++
					} else {
						brk++
					}
				}
			}
			fmt.Printf("KNN %s tau=%.1f model %.2f -> %.2f (fixed %d, broke %d)\n", corp.Name, tau,
				100*float64(base)/float64(len(probs)), 100*float64(base+fix-brk)/float64(len(probs)), fix, brk)
		}
	}
}

// TestSingleCorpus: the model trained on one corpus's train folds alone.
func TestSingleCorpus(t *testing.T) {
	corpora, _, _ := LoadCorpora(cvCorpusPaths())
	for _, corp := range corpora[:2] {
		for _, o := range []TrainOptions{{}, {Epochs: 30}, {L2: 1e-5}, {L2: 1e-7}, {Rate: 0.2, Epochs: 30}, {Bits: 20}, {Epochs: 5}} {
			ok := 0
			for k := 0; k < expK; k++ {
				var tr []Sample
				for i, s := range corp.Train {
					if i%expK != k {
						tr = append(tr, s)
					}
				}
				m := Train(tr, o)
				for i, s := range corp.Train {
					if i%expK == k && (m.Prob(s.Text) >= 0.5) == s.Spam {
						ok++
					}
				}
			}
			fmt.Printf("SINGLE %s %+v %.2f\n", corp.Name, o, 100*float64(ok)/float64(len(corp.Train)))
		}
	}
}

// composite trains the combined model plus one expert and one router (is this text from
// corpus c?) per corpus; Model.probFeatures reads the expert of the most confident router
// when that router is at least tau sure.
func composite(corpora []Corpus, in func(d, i int) bool) *Model {
	var all []Sample
	var experts, routers []*Model
	for d, c := range corpora {
		var own []Sample
		for i, s := range c.Train {
			if in(d, i) {
				all = append(all, s)
				own = append(own, s)
			}
		}
		experts = append(experts, Train(own, TrainOptions{}))
	}
	m := Train(all, TrainOptions{})
	for d := range corpora {
		var rs []Sample
		for d2, c := range corpora {
			for i, s := range c.Train {
				if in(d2, i) {
					rs = append(rs, Sample{Text: s.Text, Spam: d2 == d})
				}
			}
		}
		routers = append(routers, Train(rs, TrainOptions{Bits: 16, Epochs: 4}))
	}
	m.experts, m.routers = experts, routers
	return m
}

// TestMoE: model and proposer, out of fold, for several router thresholds (2 = never route),
// and the proposer's verdicts on the developer texts with the model trained on all train data.
func TestMoE(t *testing.T) {
	corpora, _, _ := LoadCorpora(cvCorpusPaths())
	taus := []float64{0.7, 0.9, 0.97, 2}
	mc := make([][3]int, len(taus))
	pc := make([][3]int, len(taus))
	for k := 0; k < expK; k++ {
		m := composite(corpora, func(d, i int) bool { return i%expK != k })
		for ti, tau := range taus {
			m.tau = tau
			c, _ := NewWithModel(DefaultConfig(), m)
			for d, corp := range corpora {
				for i, s := range corp.Train {
					if i%expK != k {
						continue
					}
					if (m.Prob(s.Text) >= 0.5) == s.Spam {
						mc[ti][d]++
					}
					if (c.respond(c.reasons(Request{Text: s.Text}, nil)).Verdict != Allow) == s.Spam {
						pc[ti][d]++
					}
				}
			}
		}
	}
	for ti, tau := range taus {
		fmt.Printf("MOE tau=%.2f", tau)
		for d, c := range corpora {
			fmt.Printf("  %s model %.2f proposer %.2f", c.Name, 100*float64(mc[ti][d])/float64(len(c.Train)), 100*float64(pc[ti][d])/float64(len(c.Train)))
		}
		fmt.Println()
	}
	m := composite(corpora, func(d, i int) bool { return true })
	for _, tau := range taus {
		m.tau = tau
		reportDevTexts(t, fmt.Sprintf("MOE tau=%.2f", tau), m)
	}
}

func reportDevTexts(t *testing.T, tag string, m *Model) {
	cfg := DefaultConfig()
	cfg.HistorySize = 0
	c, _ := NewWithModel(cfg, m)
	for _, f := range []string{"testdata/legit.txt", "testdata/devprobe.txt"} {
		raw, flagged := 0, 0
		for _, x := range readTexts(t, f) {
			if m.Prob(x) >= 0.5 {
				raw++
			}
			if r, _ := c.Check(Request{Text: x}); r.Verdict != Allow {
				flagged++
				fmt.Printf("   %s not allowed %.2f %q\n", tag, r.Score, x[:min(80, len(x))])
			}
		}
		fmt.Printf("%s %s: model p>=0.5 on %d, proposer not allowed %d\n", tag, f, raw, flagged)
	}
}

// goComments is n comment blocks of 6-120 words from the Go distribution's own sources (BSD),
// taken evenly from the sorted file list: developer prose as extra legitimate training text.
func goComments(n int) []Sample {
	var files []string
	filepath.WalkDir(filepath.Join(runtime.GOROOT(), "src"), func(p string, d fs.DirEntry, err error) error {
		if err == nil && !d.IsDir() && strings.HasSuffix(p, ".go") && !strings.Contains(p, "testdata") && !strings.Contains(p, "vendor") {
			files = append(files, p)
		}
		return nil
	})
	sort.Strings(files)
	var blocks []string
	for _, f := range files {
		b, _ := os.ReadFile(f)
		var cur []string
		flush := func() {
			s := strings.Join(cur, " ")
			if w := len(strings.Fields(s)); w >= 6 && w <= 120 && !strings.HasPrefix(s, "Copyright") {
				blocks = append(blocks, s)
			}
			cur = cur[:0]
		}
		for _, line := range strings.Split(string(b), "\n") {
			l := strings.TrimSpace(line)
			if strings.HasPrefix(l, "//") && !strings.HasPrefix(l, "//go:") {
				cur = append(cur, strings.TrimSpace(strings.TrimPrefix(l, "//")))
			} else if len(cur) > 0 {
				flush()
			}
		}
	}
	var out []Sample
	for i := 0; n > 0 && i < len(blocks) && len(out) < n; i += max(1, len(blocks)/n) {
		out = append(out, Sample{Text: blocks[i]})
	}
	return out
}

// TestDevHam: the shipped training plus n Go comment blocks as legitimate text.
func TestDevHam(t *testing.T) {
	corpora, _, _ := LoadCorpora(cvCorpusPaths())
	for _, n := range []int{0, 1000, 4000} {
		extra := goComments(n)
		var mc, pc [3]int
		for k := 0; k < expK; k++ {
			tr := append([]Sample(nil), extra...)
			for _, c := range corpora {
				for i, s := range c.Train {
					if i%expK != k {
						tr = append(tr, s)
					}
				}
			}
			m := Train(tr, TrainOptions{})
			c, _ := NewWithModel(DefaultConfig(), m)
			for d, corp := range corpora {
				for i, s := range corp.Train {
					if i%expK != k {
						continue
					}
					if (m.Prob(s.Text) >= 0.5) == s.Spam {
						mc[d]++
					}
					if (c.respond(c.reasons(Request{Text: s.Text}, nil)).Verdict != Allow) == s.Spam {
						pc[d]++
					}
				}
			}
		}
		fmt.Printf("DEVHAM n=%d", len(extra))
		for d, c := range corpora {
			fmt.Printf("  %s model %.2f proposer %.2f", c.Name, 100*float64(mc[d])/float64(len(c.Train)), 100*float64(pc[d])/float64(len(c.Train)))
		}
		fmt.Println()
		tr := append([]Sample(nil), extra...)
		for _, c := range corpora {
			tr = append(tr, c.Train...)
		}
		reportDevTexts(t, fmt.Sprintf("DEVHAM n=%d", len(extra)), Train(tr, TrainOptions{}))
	}
}
