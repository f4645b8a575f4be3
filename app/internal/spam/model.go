package spam

import (
	"bytes"
	"compress/gzip"
	_ "embed"
	"encoding/binary"
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
//
// Each feature can be counted twice: once in a shared copy and once in a copy that belongs to
// one writing style (Daumé's "frustratingly easy" domain adaptation). The three training
// corpora are three styles: SMS, YouTube comments and e-mail. The shared copy learns what spam
// is everywhere; a styled copy learns what is particular to its corpus ("check out my channel"
// is spam under a video and ordinary in a mailing list). Every training text is learned both
// ways, so the shared copy alone is a whole classifier too.
//
// Requests are read with the shared copy, except kind "other", which reads the SMS style (see
// styleOfKind). None of the corpora's legitimate texts talk about software, and reading code-host
// comments as YouTube comments, or issues as e-mail, flags ordinary developer talk
// (docs/spam.md has the measurement).

//go:embed data/model.bin.gz
var embeddedModel []byte

const (
	// modelMagic names the file format and the feature set: a model of another feature set
	// would load and score nonsense, so each change of features takes a new magic.
	modelMagic = "CIASPAM2"
	// modelTextCap bounds what the model reads: spam shows itself early, and it keeps both the
	// per-text cost and training memory flat for long e-mails.
	modelTextCap = 4096
	maxWordLen   = 32
)

// style is the writing style whose own feature copy a text also reads.
type style uint32

const (
	styleNone    style = iota // the shared copy alone
	styleChat                 // short personal messages: the SMS Spam Collection
	styleComment              // comments under a music video: the YouTube Spam Collection
	styleMail                 // a subject and a body: the SpamAssassin corpus
)

// corpusStyle is the style each training corpus teaches.
var corpusStyle = map[string]style{
	CorpusSMS:          styleChat,
	CorpusYouTube:      styleComment,
	CorpusSpamAssassin: styleMail,
}

// styleOfKind is the style a request of the given kind is read in. Only "other" (chat,
// discussions) reads a corpus style, SMS's: its legitimate messages are everyday talk between
// people. Comments, issues, pull requests and commits read the shared copy.
func styleOfKind(kind string) style {
	if kind == "other" {
		return styleChat
	}
	return styleNone
}

// Model is a trained logistic regression over hashed features. It is immutable after
// loading and safe for concurrent use.
type Model struct {
	bits  uint
	bias  float32
	scale float32 // weight of one quantisation step
	// weights are int8 steps: 1 MiB at 20 bits, which stays in cache where float32 would not.
	weights []int8
}

type modelHeader struct {
	Magic [8]byte
	Bits  uint32
	Bias  float32
	Scale float32
}

// LoadModel reads a model written by Model.WriteTo.
func LoadModel(r io.Reader) (*Model, error) {
	zr, err := gzip.NewReader(r)
	if err != nil {
		return nil, fmt.Errorf("reading model: %w", err)
	}
	defer zr.Close()
	var hdr modelHeader
	if err := binary.Read(zr, binary.LittleEndian, &hdr); err != nil {
		return nil, fmt.Errorf("reading model header: %w", err)
	}
	if string(hdr.Magic[:]) != modelMagic {
		return nil, fmt.Errorf("reading model: not a %s ciagent spam model", modelMagic)
	}
	if hdr.Bits < 10 || hdr.Bits > 24 {
		return nil, fmt.Errorf("reading model: %d hash bits is out of range", hdr.Bits)
	}
	q := make([]int8, 1<<hdr.Bits)
	if err := binary.Read(zr, binary.LittleEndian, q); err != nil {
		return nil, fmt.Errorf("reading model weights: %w", err)
	}
	return &Model{bits: uint(hdr.Bits), bias: hdr.Bias, scale: hdr.Scale, weights: q}, nil
}

// quantize turns trained weights into a Model of int8 steps; quantisation costs under 0.1
// point of accuracy.
func quantize(bits uint, bias float64, w []float64) *Model {
	var maxAbs float64
	for _, v := range w {
		maxAbs = max(maxAbs, math.Abs(v))
	}
	scale := float32(maxAbs / 127)
	if scale == 0 {
		scale = 1
	}
	q := make([]int8, len(w))
	for i, v := range w {
		q[i] = int8(math.Round(v / float64(scale)))
	}
	return &Model{bits: bits, bias: float32(bias), scale: scale, weights: q}
}

// WriteTo stores the model gzip-compressed.
func (m *Model) WriteTo(w io.Writer) (int64, error) {
	var buf bytes.Buffer
	zw, _ := gzip.NewWriterLevel(&buf, gzip.BestCompression)
	hdr := modelHeader{Bits: uint32(m.bits), Bias: m.bias, Scale: m.scale}
	copy(hdr.Magic[:], modelMagic)
	if err := binary.Write(zw, binary.LittleEndian, hdr); err != nil {
		return 0, err
	}
	if err := binary.Write(zw, binary.LittleEndian, m.weights); err != nil {
		return 0, err
	}
	if err := zw.Close(); err != nil {
		return 0, err
	}
	return buf.WriteTo(w)
}

// prob is the model's spam probability for normalised text n of original s, read in style st.
func (m *Model) prob(st style, s string, n *normText, links int) float64 {
	f := featureBufs.Get().(*featureBuf)
	defer featureBufs.Put(f)
	f.extract(s, n.text, links, m.bits, st)
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
	var sum int32
	for _, id := range ids {
		sum += int32(m.weights[id])
	}
	return sigmoid(float64(m.bias) + float64(m.scale)*float64(sum)/math.Sqrt(float64(len(ids))))
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

func (f *featureBuf) extract(orig, text string, links int, bits uint, st style) {
	mask := uint32(1)<<bits - 1
	f.ids = f.ids[:0]
	if len(text) > modelTextCap {
		text = text[:modelTextCap]
	}
	if len(orig) > modelTextCap {
		orig = orig[:modelTextCap]
	}
	add := func(h uint32) { f.ids = append(f.ids, mix(h)&mask) }
	if st != styleNone {
		salt := 0x9e3779b1 * uint32(st)
		add = func(h uint32) { f.ids = append(f.ids, mix(h)&mask, mix(h^salt)&mask) }
	}

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
			h = (h ^ uint32(len(w))) * fnvPrime
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
	shape := func(name string, v int) { add(fnvString(fnvString(fnvOffset^'s', name), string(rune('0'+v)))) }
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

// Sample is one labelled text of a training or evaluation corpus. Corpus names the corpus it
// comes from (CorpusSMS, ...), whose style copy it teaches; "" teaches the shared copy only.
type Sample struct {
	Text   string
	Spam   bool
	Corpus string
}

// TrainOptions control Train; the zero value means the defaults the committed model uses.
// The defaults were chosen by 5-fold cross-validation on the train splits (docs/spam.md).
type TrainOptions struct {
	Bits    uint    // hash bits, default 20
	Epochs  int     // default 12
	Rate    float64 // AdaGrad base rate, default 0.5
	L2      float64 // per-step weight decay, default 1e-5
	NBAlpha float64 // smoothing of the naive-Bayes log-count ratios, default 0.5; < 0 turns them off
	Seed    uint64  // shuffle seed, default 1
}

func (o TrainOptions) withDefaults() TrainOptions {
	if o.Bits == 0 {
		o.Bits = 20
	}
	if o.Epochs == 0 {
		o.Epochs = 12
	}
	if o.Rate == 0 {
		o.Rate = 0.5
	}
	if o.L2 == 0 {
		o.L2 = 1e-5
	}
	if o.NBAlpha == 0 {
		o.NBAlpha = 0.5
	}
	if o.Seed == 0 {
		o.Seed = 1
	}
	return o
}

// Train fits the model on samples. It is deterministic for a given input and options: one
// goroutine, a seeded shuffle, and no map iteration.
//
// It is NBSVM-style logistic regression (Wang & Manning 2012): each feature's input is scaled
// by its naive-Bayes log-count ratio r = log(P(f|spam)/P(f|ham)), so the regression starts from
// what counting already knows and only learns corrections, which suits short texts with few
// features. Scoring is linear, so the ratios fold into the stored weights (w·r) and cost nothing
// at scoring time.
func Train(samples []Sample, opt TrainOptions) *Model {
	opt = opt.withDefaults()
	// A text with a kind is learned twice: read in its kind's style (shared and styled copies)
	// and read with no kind (shared copy alone). So the shared copy is a whole classifier by
	// itself, for requests that name no kind, and the styled copies learn only corrections.
	var feats [][]uint32
	var labels []bool
	var f featureBuf
	for _, s := range samples {
		n := normalize(s.Text)
		links := len(extractLinks(capText(n.text)))
		st := corpusStyle[s.Corpus]
		for _, read := range []style{st, styleNone} {
			f.extract(s.Text, n.text, links, opt.Bits, read)
			feats = append(feats, append([]uint32(nil), f.ids...))
			labels = append(labels, s.Spam)
			if st == styleNone {
				break
			}
		}
	}
	size := 1 << opt.Bits
	r := logCountRatios(labels, feats, size, opt.NBAlpha)
	w := make([]float64, size)
	g2 := make([]float64, size) // AdaGrad accumulators
	var bias, biasG2 float64
	order := make([]int, len(feats))
	for i := range order {
		order[i] = i
	}
	rng := rand.New(rand.NewPCG(opt.Seed, opt.Seed^0x9e3779b97f4a7c15))
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
				z += w[id] * r[id] * v
			}
			y := 0.0
			if labels[idx] {
				y = 1
			}
			grad := sigmoid(z) - y
			biasG2 += grad * grad
			bias -= opt.Rate * grad / math.Sqrt(biasG2+1e-8)
			for _, id := range ids {
				g := grad*r[id]*v + opt.L2*w[id]
				g2[id] += g * g
				w[id] -= opt.Rate * g / math.Sqrt(g2[id]+1e-8)
			}
		}
	}
	for i := range w {
		w[i] *= r[i]
	}
	return quantize(opt.Bits, bias, w)
}

// logCountRatios is the naive-Bayes log-count ratio of every hashed feature, with add-alpha
// smoothing: log((spam_f+α)/Σ(spam+α)) − log((ham_f+α)/Σ(ham+α)).
func logCountRatios(spam []bool, feats [][]uint32, size int, alpha float64) []float64 {
	spamN := make([]float64, size)
	hamN := make([]float64, size)
	for i, ids := range feats {
		n := hamN
		if spam[i] {
			n = spamN
		}
		for _, id := range ids {
			n[id]++
		}
	}
	var spamSum, hamSum float64
	for i := range spamN {
		spamSum += spamN[i] + alpha
		hamSum += hamN[i] + alpha
	}
	r := make([]float64, size)
	if alpha < 0 {
		for i := range r {
			r[i] = 1
		}
		return r
	}
	for i := range r {
		r[i] = math.Log((spamN[i]+alpha)/spamSum) - math.Log((hamN[i]+alpha)/hamSum)
	}
	return r
}

func capText(s string) string {
	if len(s) > modelTextCap {
		return s[:modelTextCap]
	}
	return s
}

// Prob scores one raw text with the model alone (no rules), read as a request of the given
// kind is read.
func (m *Model) Prob(kind, s string) float64 { return m.probStyle(styleOfKind(kind), s) }

func (m *Model) probStyle(st style, s string) float64 {
	n := normalize(capText(s))
	return m.prob(st, s, &n, len(extractLinks(n.text)))
}
