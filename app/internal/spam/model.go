package spam

import (
	"bytes"
	"compress/gzip"
	_ "embed"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"math"
	"math/rand/v2"
	"sync"
)

// The statistical model is logistic regression over hashed features: word unigrams and
// bigrams, character 3- to 5-grams, and a few shape features (links, digits, capitals,
// currency). Hashing keeps the model a fixed-size array, so scoring is one pass over the text
// and one table look-up per feature, with no vocabulary to store.

//go:embed data/model.bin.gz
var embeddedModel []byte

const (
	modelMagic = "CIASPAM1"
	// modelTextCap bounds what the model reads: spam shows itself early, and it keeps both the
	// per-text cost and training memory flat for long e-mails.
	modelTextCap = 4096
	maxWordLen   = 32
)

// Model is a trained logistic regression over hashed features. It is immutable after
// loading and safe for concurrent use.
type Model struct {
	bits    uint
	bias    float32
	weights []float32
}

// LoadModel reads a model written by Model.WriteTo.
func LoadModel(r io.Reader) (*Model, error) {
	zr, err := gzip.NewReader(r)
	if err != nil {
		return nil, fmt.Errorf("reading model: %w", err)
	}
	defer zr.Close()
	var hdr struct {
		Magic [8]byte
		Bits  uint32
		Bias  float32
		Scale float32
	}
	if err := binary.Read(zr, binary.LittleEndian, &hdr); err != nil {
		return nil, fmt.Errorf("reading model header: %w", err)
	}
	if string(hdr.Magic[:]) != modelMagic {
		return nil, errors.New("reading model: not a ciagent spam model")
	}
	if hdr.Bits < 10 || hdr.Bits > 24 {
		return nil, fmt.Errorf("reading model: %d hash bits is out of range", hdr.Bits)
	}
	q := make([]int8, 1<<hdr.Bits)
	if err := binary.Read(zr, binary.LittleEndian, q); err != nil {
		return nil, fmt.Errorf("reading model weights: %w", err)
	}
	m := &Model{bits: uint(hdr.Bits), bias: hdr.Bias, weights: make([]float32, len(q))}
	for i, v := range q {
		m.weights[i] = float32(v) * hdr.Scale
	}
	return m, nil
}

// WriteTo stores the model gzip-compressed with weights quantised to int8: 256 KiB of weights
// before compression at 18 bits, and quantisation costs under 0.1 point of accuracy.
func (m *Model) WriteTo(w io.Writer) (int64, error) {
	var maxAbs float32
	for _, v := range m.weights {
		maxAbs = max(maxAbs, float32(math.Abs(float64(v))))
	}
	scale := maxAbs / 127
	if scale == 0 {
		scale = 1
	}
	q := make([]int8, len(m.weights))
	for i, v := range m.weights {
		q[i] = int8(math.Round(float64(v / scale)))
	}
	var buf bytes.Buffer
	zw, _ := gzip.NewWriterLevel(&buf, gzip.BestCompression)
	hdr := struct {
		Magic [8]byte
		Bits  uint32
		Bias  float32
		Scale float32
	}{Bits: uint32(m.bits), Bias: m.bias, Scale: scale} // #nosec G115 -- hash bits are small (default 18), range-checked when a model is read
	copy(hdr.Magic[:], modelMagic)
	if err := binary.Write(zw, binary.LittleEndian, hdr); err != nil {
		return 0, err
	}
	if err := binary.Write(zw, binary.LittleEndian, q); err != nil {
		return 0, err
	}
	if err := zw.Close(); err != nil {
		return 0, err
	}
	return buf.WriteTo(w)
}

// Prob is the model's spam probability for normalised text n of original s.
func (m *Model) prob(s string, n *normText, links int) float64 {
	f := featureBufs.Get().(*featureBuf)
	defer featureBufs.Put(f)
	f.extract(s, n.text, links, m.bits)
	return m.probFeatures(f.ids)
}

// featureBufs recycles feature buffers: a 300-byte text has about a thousand features, and
// growing that slice per call was a fifth of the scoring time.
var featureBufs = sync.Pool{New: func() any {
	return &featureBuf{ids: make([]uint32, 0, 4096), toks: make([]token, 0, 256)}
}}

func (m *Model) probFeatures(ids []uint32) float64 {
	if len(ids) == 0 {
		return sigmoid(float64(m.bias))
	}
	var sum float32
	for _, id := range ids {
		sum += m.weights[id]
	}
	return sigmoid(float64(m.bias) + float64(sum)/math.Sqrt(float64(len(ids))))
}

func sigmoid(x float64) float64 { return 1 / (1 + math.Exp(-x)) }

// featureBuf collects hashed feature ids; it is reused to keep scoring allocation-free.
type featureBuf struct {
	ids  []uint32
	toks []token
}

const (
	fnvOffset = 2166136261
	fnvPrime  = 16777619
)

func fnvString(h uint32, s string) uint32 {
	for i := 0; i < len(s); i++ {
		h = (h ^ uint32(s[i])) * fnvPrime
	}
	return h
}

// mix spreads a 32-bit hash before it is cut to the table size (murmur3's finaliser).
func mix(h uint32) uint32 {
	h ^= h >> 16
	h *= 0x85ebca6b
	h ^= h >> 13
	h *= 0xc2b2ae35
	h ^= h >> 16
	return h
}

func (f *featureBuf) extract(orig, text string, links int, bits uint) {
	mask := uint32(1)<<bits - 1
	f.ids = f.ids[:0]
	if len(text) > modelTextCap {
		text = text[:modelTextCap]
	}
	if len(orig) > modelTextCap {
		orig = orig[:modelTextCap]
	}
	add := func(h uint32) { f.ids = append(f.ids, mix(h)&mask) }

	// Words and word bigrams; digit runs collapse to their length ("#11") so phone numbers
	// and short codes share weights.
	f.toks = appendWords(f.toks[:0], text)
	prev := uint32(0)
	for i, t := range f.toks {
		w := text[t.start:t.end]
		if len(w) > maxWordLen {
			w = w[:maxWordLen]
		}
		h := uint32(fnvOffset) ^ 'w'
		if allDigits(w) {
			h = fnvString(h*fnvPrime, "#")
			h = (h ^ uint32(len(w))) * fnvPrime // #nosec G115 -- hashing: wrapping is harmless
		} else {
			h = fnvString(h*fnvPrime, w)
		}
		add(h)
		if i > 0 {
			add((prev*31 ^ h) * fnvPrime)
		}
		prev = h
	}

	// Character 3..5-grams over the text with whitespace runs folded to one space.
	var win [5]byte
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
		win[4] = c
		if filled < 5 {
			filled++
		}
		h := uint32(fnvOffset) ^ 'c'
		for n := 1; n <= 5 && n <= filled; n++ {
			h = (h ^ uint32(win[5-n])) * fnvPrime
			if n >= 3 {
				add(h ^ uint32(n))
			}
		}
	}

	// Shape features from the original bytes: capitals, digits, "!", currency, length.
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
		case c == 0xC2 && i+1 < len(orig) && orig[i+1] == 0xA3: // £
			money++
		case c == 0xE2 && i+2 < len(orig) && orig[i+1] == 0x82 && orig[i+2] == 0xAC: // €
			money++
		}
	}
	shape := func(name string, v int) { add(fnvString(fnvString(fnvOffset^'s', name), string(rune('0'+v)))) } // #nosec G115 -- v is a bucket index (0..7)
	shape("len", bucket(len(orig), 20, 60, 120, 250, 600, 1500))
	shape("caps", bucket(upper*100/max(1, upper+lower), 5, 15, 30, 60))
	shape("digits", bucket(digits, 1, 5, 10, 20))
	shape("bang", bucket(bang, 1, 2, 4))
	shape("money", bucket(money, 1, 3))
	shape("links", bucket(links, 1, 2, 4))
}

func allDigits(w string) bool {
	for i := 0; i < len(w); i++ {
		if w[i] < '0' || w[i] > '9' {
			return false
		}
	}
	return true
}

// bucket returns how many of the ascending bounds v reaches.
func bucket(v int, bounds ...int) int {
	n := 0
	for _, b := range bounds {
		if v >= b {
			n++
		}
	}
	return n
}

// Sample is one labelled text of a training or evaluation corpus.
type Sample struct {
	Text string
	Spam bool
}

// TrainOptions control Train; the zero value means the defaults the committed model uses.
type TrainOptions struct {
	Bits   uint    // hash bits, default 18
	Epochs int     // default 12
	Rate   float64 // AdaGrad base rate, default 0.5
	L2     float64 // per-step weight decay, default 1e-6
	Seed   uint64  // shuffle seed, default 1
}

// Train fits the model on samples. It is deterministic for a given input and options: one
// goroutine, a seeded shuffle, and no map iteration.
func Train(samples []Sample, opt TrainOptions) *Model {
	if opt.Bits == 0 {
		opt.Bits = 18
	}
	if opt.Epochs == 0 {
		opt.Epochs = 12
	}
	if opt.Rate == 0 {
		opt.Rate = 0.5
	}
	if opt.L2 == 0 {
		opt.L2 = 1e-6
	}
	if opt.Seed == 0 {
		opt.Seed = 1
	}
	feats := make([][]uint32, len(samples))
	var f featureBuf
	for i, s := range samples {
		n := normalize(s.Text)
		f.extract(s.Text, n.text, len(extractLinks(capText(n.text))), opt.Bits)
		feats[i] = append([]uint32(nil), f.ids...)
	}
	size := 1 << opt.Bits
	w := make([]float64, size)
	g2 := make([]float64, size) // AdaGrad accumulators
	var bias, biasG2 float64
	order := make([]int, len(samples))
	for i := range order {
		order[i] = i
	}
	rng := rand.New(rand.NewPCG(opt.Seed, opt.Seed^0x9e3779b97f4a7c15)) // #nosec G404 -- seeded shuffle: training must be reproducible, nothing secret
	for epoch := 0; epoch < opt.Epochs; epoch++ {
		rng.Shuffle(len(order), func(i, j int) { order[i], order[j] = order[j], order[i] })
		for _, idx := range order {
			ids := feats[idx]
			if len(ids) == 0 {
				continue
			}
			v := 1 / math.Sqrt(float64(len(ids)))
			z := bias
			for _, id := range ids {
				z += w[id] * v
			}
			y := 0.0
			if samples[idx].Spam {
				y = 1
			}
			grad := sigmoid(z) - y
			biasG2 += grad * grad
			bias -= opt.Rate * grad / math.Sqrt(biasG2+1e-8)
			for _, id := range ids {
				g := grad*v + opt.L2*w[id]
				g2[id] += g * g
				w[id] -= opt.Rate * g / math.Sqrt(g2[id]+1e-8)
			}
		}
	}
	m := &Model{bits: opt.Bits, bias: float32(bias), weights: make([]float32, size)}
	for i, x := range w {
		m.weights[i] = float32(x)
	}
	return m
}

func capText(s string) string {
	if len(s) > modelTextCap {
		return s[:modelTextCap]
	}
	return s
}

// Prob scores one raw text with the model alone (no rules), as the evaluation reports it.
func (m *Model) Prob(s string) float64 {
	n := normalize(capText(s))
	return m.prob(s, &n, len(extractLinks(n.text)))
}
