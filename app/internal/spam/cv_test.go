//go:build spamcv

// Cross-validation on the train splits only, used to choose the spam model's features and the
// proposer's weights (docs/spam.md, "What was tried"). Not part of the ordinary test run: it
// needs the corpora and minutes of CPU.
//
//	cd app/internal/spam
//	EXP="base;dom bits=20 nb=0.5" go test -v -tags spamcv -run 'TestCVVariants' -timeout 2h .
//	go test -v -tags spamcv -run 'TestCVProposer' -timeout 1h .
//
// CIAGENT_DATA_DIR and CIAGENT_SPAMASSASSIN_DIR point at the corpora (defaults: the shared data
// beside the repository and the repository's .local/data/spamassassin).
package spam

import (
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"strings"
	"sync"
	"testing"
	"time"
)

type prepped struct {
	orig, norm string
	links      int
	spam       bool
	dom        int
}

type xopts struct {
	name            string
	bits            uint
	cmin, cmax      int
	wordBi          bool
	domain          bool // Daumé augmentation
	domainWordsOnly bool
	casing          bool
	wordBoundary    bool // char n-grams padded per word instead of over the running text
	epochs          int
	rate, l2        float64
	nb              bool    // NB log-count-ratio scaling
	nbAlpha         float64 // smoothing
	avg             bool
	binary          bool // dedupe feature ids per text
	wTrigram        bool
}

func (o xopts) extract(p prepped, dst []uint32) []uint32 {
	mask := uint32(1)<<o.bits - 1
	dst = dst[:0]
	dsalt := uint32(0x9e3779b1) * uint32(p.dom+1)
	add := func(h uint32, dom bool) {
		dst = append(dst, mix(h)&mask)
		if o.domain && (dom || !o.domainWordsOnly) {
			dst = append(dst, mix(h^dsalt)&mask)
		}
	}
	text, orig := p.norm, p.orig
	if len(text) > modelTextCap {
		text = text[:modelTextCap]
	}
	if len(orig) > modelTextCap {
		orig = orig[:modelTextCap]
	}
	toks := appendWords(nil, text)
	prev, prev2 := uint32(0), uint32(0)
	for i, t := range toks {
		w := text[t.start:t.end]
		if len(w) > maxWordLen {
			w = w[:maxWordLen]
		}
		h := uint32(fnvOffset) ^ 'w'
		if allDigits(w) {
			h = fnvString(h*fnvPrime, "#")
			h = (h ^ uint32(len(w))) * fnvPrime
		} else {
			h = fnvString(h*fnvPrime, w)
		}
		add(h, true)
		if o.wordBi && i > 0 {
			add((prev*31^h)*fnvPrime, true)
		}
		if o.wTrigram && i > 1 {
			add(((prev2*31^prev)*31^h)*fnvPrime^7, true)
		}
		prev2, prev = prev, h
	}
	if o.cmax > 0 {
		if o.wordBoundary {
			for _, t := range toks {
				w := " " + text[t.start:min(t.end, t.start+maxWordLen)] + " "
				for i := 0; i < len(w); i++ {
					h := uint32(fnvOffset) ^ 'c'
					for n := 1; n <= o.cmax && i+n <= len(w); n++ {
						h = (h ^ uint32(w[i+n-1])) * fnvPrime
						if n >= o.cmin && !(n == 1 && w[i] == ' ') {
							add(h^uint32(n), false)
						}
					}
				}
			}
		} else {
			var win [8]byte
			filled := 0
			lastSpace := true
			for i := 0; i < len(text); i++ {
				c := text[i]
				if c == ' ' || c == '\n' || c == '\t' || c == '\r' {
					if lastSpace {
						continue
					}
					c, lastSpace = ' ', true
				} else {
					lastSpace = false
				}
				copy(win[:], win[1:])
				win[7] = c
				if filled < 8 {
					filled++
				}
				h := uint32(fnvOffset) ^ 'c'
				for n := 1; n <= o.cmax && n <= filled; n++ {
					h = (h ^ uint32(win[8-n])) * fnvPrime
					if n >= o.cmin {
						add(h^uint32(n), false)
					}
				}
			}
		}
	}
	var upper, lower, digits, bang, money int
	for i := 0; i < len(orig); i++ {
		c := orig[i]
		switch {
		case 'A' <= c && c <= 'Z':
			upper++
		case 'a' <= c && c <= 'z':
			lower++
		case '0' <= c && c <= '9':
			digits++
		case c == '!':
			bang++
		case c == '$':
			money++
		case c == 0xC2 && i+1 < len(orig) && orig[i+1] == 0xA3:
			money++
		case c == 0xE2 && i+2 < len(orig) && orig[i+1] == 0x82 && orig[i+2] == 0xAC:
			money++
		}
	}
	shape := func(name string, v int) {
		add(fnvString(fnvString(fnvOffset^'s', name), string(rune('0'+v))), true)
	}
	shape("len", bucket(len(orig), 20, 60, 120, 250, 600, 1500))
	shape("caps", bucket(upper*100/max(1, upper+lower), 5, 15, 30, 60))
	shape("digits", bucket(digits, 1, 5, 10, 20))
	shape("bang", bucket(bang, 1, 2, 4))
	shape("money", bucket(money, 1, 3))
	shape("links", bucket(p.links, 1, 2, 4))
	if o.casing {
		// all-caps words of 2+ letters and capitalised words, as counts.
		caps, capw := 0, 0
		for _, f := range strings.Fields(orig) {
			u, l := 0, 0
			for i := 0; i < len(f); i++ {
				if 'A' <= f[i] && f[i] <= 'Z' {
					u++
				} else if 'a' <= f[i] && f[i] <= 'z' {
					l++
				}
			}
			if u >= 2 && l == 0 {
				caps++
				add(fnvString(fnvOffset^'C', strings.ToLower(f)), true)
			} else if u == 1 && 'A' <= f[0] && f[0] <= 'Z' {
				capw++
			}
		}
		shape("capsw", bucket(caps, 1, 2, 4, 8))
	}
	if o.binary {
		// dedupe
		seen := map[uint32]bool{}
		out := dst[:0]
		for _, id := range dst {
			if !seen[id] {
				seen[id] = true
				out = append(out, id)
			}
		}
		dst = out
	}
	return dst
}

type lrModel struct {
	w    []float64
	bias float64
}

func (o xopts) train(feats [][]uint32, y []bool, idx []int, seed uint64) lrModel {
	size := 1 << o.bits
	// NB ratios
	var r []float64
	if o.nb {
		pc := make([]float64, size)
		nc := make([]float64, size)
		var np, nn float64
		for _, i := range idx {
			for _, id := range feats[i] {
				if y[i] {
					pc[id]++
				} else {
					nc[id]++
				}
			}
			if y[i] {
				np++
			} else {
				nn++
			}
		}
		var sp, sn float64
		for i := range pc {
			sp += pc[i] + o.nbAlpha
			sn += nc[i] + o.nbAlpha
		}
		r = make([]float64, size)
		for i := range r {
			r[i] = math.Log((pc[i]+o.nbAlpha)/sp) - math.Log((nc[i]+o.nbAlpha)/sn)
		}
	}
	w := make([]float64, size)
	g2 := make([]float64, size)
	var aw []float64
	var abias float64
	if o.avg {
		aw = make([]float64, size)
	}
	var bias, biasG2 float64
	order := append([]int(nil), idx...)
	rng := rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15))
	steps := 0
	for epoch := 0; epoch < o.epochs; epoch++ {
		rng.Shuffle(len(order), func(i, j int) { order[i], order[j] = order[j], order[i] })
		for _, ix := range order {
			ids := feats[ix]
			if len(ids) == 0 {
				continue
			}
			v := 1 / math.Sqrt(float64(len(ids)))
			z := bias
			for _, id := range ids {
				x := v
				if r != nil {
					x *= r[id]
				}
				z += w[id] * x
			}
			yy := 0.0
			if y[ix] {
				yy = 1
			}
			grad := sigmoid(z) - yy
			biasG2 += grad * grad
			bias -= o.rate * grad / math.Sqrt(biasG2+1e-8)
			for _, id := range ids {
				x := v
				if r != nil {
					x *= r[id]
				}
				g := grad*x + o.l2*w[id]
				g2[id] += g * g
				w[id] -= o.rate * g / math.Sqrt(g2[id]+1e-8)
			}
		}
		if o.avg && epoch >= o.epochs/2 {
			steps++
			for i := range w {
				aw[i] += w[i]
			}
			abias += bias
		}
	}
	if o.avg {
		for i := range aw {
			w[i] = aw[i] / float64(steps)
		}
		bias = abias / float64(steps)
	}
	if r != nil {
		for i := range w {
			w[i] *= r[i]
		}
	}
	return lrModel{w, bias}
}

func (m lrModel) prob(ids []uint32) float64 {
	if len(ids) == 0 {
		return sigmoid(m.bias)
	}
	var s float64
	for _, id := range ids {
		s += m.w[id]
	}
	return sigmoid(m.bias + s/math.Sqrt(float64(len(ids))))
}

var (
	expOnce sync.Once
	expTr   []prepped
	expTe   []prepped
)

func loadExp(t *testing.T) {
	expOnce.Do(func() {
		corpora, missing, err := LoadCorpora(cvCorpusPaths())
		if err != nil || len(missing) > 0 {
			t.Skip("corpora not found:", err, missing)
		}
		prep := func(s Sample, d int) prepped {
			n := normalize(capText(s.Text))
			return prepped{orig: s.Text, norm: n.text, links: len(extractLinks(n.text)), spam: s.Spam, dom: d}
		}
		for d, c := range corpora {
			for _, s := range c.Train {
				expTr = append(expTr, prep(s, d))
			}
			for _, s := range c.Test {
				expTe = append(expTe, prep(s, d))
			}
		}
	})
}

func TestCVVariants(t *testing.T) {
	loadExp(t)
	base := xopts{bits: 18, cmin: 3, cmax: 5, wordBi: true, epochs: 12, rate: 0.5, l2: 1e-6}
	var configs []xopts
	for _, spec := range strings.Split(os.Getenv("EXP"), ";") {
		o := base
		o.name = spec
		for _, kv := range strings.Fields(spec) {
			k, v, _ := strings.Cut(kv, "=")
			var f float64
			fmt.Sscan(v, &f)
			switch k {
			case "bits":
				o.bits = uint(f)
			case "cmin":
				o.cmin = int(f)
			case "cmax":
				o.cmax = int(f)
			case "dom":
				o.domain = true
			case "domw":
				o.domain, o.domainWordsOnly = true, true
			case "casing":
				o.casing = true
			case "wb":
				o.wordBoundary = true
			case "ep":
				o.epochs = int(f)
			case "rate":
				o.rate = f
			case "l2":
				o.l2 = f
			case "nb":
				o.nb, o.nbAlpha = true, f
			case "avg":
				o.avg = true
			case "bin":
				o.binary = true
			case "tri":
				o.wTrigram = true
			case "nobi":
				o.wordBi = false
			}
		}
		configs = append(configs, o)
	}
	for _, o := range configs {
		start := time.Now()
		feats := make([][]uint32, len(expTr))
		y := make([]bool, len(expTr))
		for i, p := range expTr {
			feats[i] = o.extract(p, nil)
			y[i] = p.spam
		}
		var correct, total [3]int
		var mu sync.Mutex
		var wg sync.WaitGroup
		const K = 5
		for k := 0; k < K; k++ {
			wg.Add(1)
			go func(k int) {
				defer wg.Done()
				var tr, va []int
				for i := range expTr {
					if i%K == k {
						va = append(va, i)
					} else {
						tr = append(tr, i)
					}
				}
				m := o.train(feats, y, tr, 1)
				mu.Lock()
				defer mu.Unlock()
				for _, i := range va {
					total[expTr[i].dom]++
					if (m.prob(feats[i]) >= 0.5) == y[i] {
						correct[expTr[i].dom]++
					}
				}
			}(k)
		}
		wg.Wait()
		line := fmt.Sprintf("CV %-40s sms %.2f yt %.2f sa %.2f", o.name, 100*float64(correct[0])/float64(total[0]), 100*float64(correct[1])/float64(total[1]), 100*float64(correct[2])/float64(total[2]))
		fmt.Println(line, time.Since(start).Round(time.Second))
	}
}

// TestCVProposer: 5-fold CV of the shipped Train and the whole proposer on the train splits.
func TestCVProposer(t *testing.T) {
	corpora, missing, err := LoadCorpora(cvCorpusPaths())
	if err != nil || len(missing) > 0 {
		t.Skip("corpora not found:", err, missing)
	}
	const K = 5
	type res struct{ mc, pc, n [3]int }
	out := make([]res, K)
	var wg sync.WaitGroup
	sem := make(chan bool, 2)
	for k := 0; k < K; k++ {
		wg.Add(1)
		go func(k int) {
			defer wg.Done()
			sem <- true
			defer func() { <-sem }()
			var tr []Sample
			for _, c := range corpora {
				for i, s := range c.Train {
					if i%K != k {
						tr = append(tr, s)
					}
				}
			}
			m := Train(tr, TrainOptions{})
			c, _ := NewWithModel(DefaultConfig(), m)
			for d, corp := range corpora {
				for i, s := range corp.Train {
					if i%K != k {
						continue
					}
					out[k].n[d]++
					if (m.Prob(s.Text) >= 0.5) == s.Spam {
						out[k].mc[d]++
					}
					resp := c.respond(c.reasons(Request{Text: s.Text}, nil))
					if (resp.Verdict != Allow) == s.Spam {
						out[k].pc[d]++
					}
				}
			}
		}(k)
	}
	wg.Wait()
	var tot res
	for _, r := range out {
		for d := 0; d < 3; d++ {
			tot.mc[d] += r.mc[d]
			tot.pc[d] += r.pc[d]
			tot.n[d] += r.n[d]
		}
	}
	for d, c := range corpora {
		fmt.Printf("CVP %s %-12s model %.2f proposer %.2f (n=%d)\n", os.Getenv("TAG"), c.Name, 100*float64(tot.mc[d])/float64(tot.n[d]), 100*float64(tot.pc[d])/float64(tot.n[d]), tot.n[d])
	}
}

func cvCorpusPaths() CorpusPaths {
	data := os.Getenv("CIAGENT_DATA_DIR")
	if data == "" {
		data = "../../../../shared/data"
	}
	sa := os.Getenv("CIAGENT_SPAMASSASSIN_DIR")
	if sa == "" {
		sa = "../../../.local/data/spamassassin"
	}
	return DefaultCorpusPaths(data, sa)
}
