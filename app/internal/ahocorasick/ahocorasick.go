// Package ahocorasick finds which of many literals occur in a byte string, in one pass and
// ASCII case-insensitively.
//
// It exists for the CI-log prefilter: thousands of log lines a millisecond go through it, so
// it is a full DFA (no failure-link chasing at scan time) over byte equivalence classes, with
// the "this state reports something" bit folded into the transition value. The general
// libraries we looked at either chase failure links per byte or need a lower-cased copy of the
// input; see docs/decisions/0001-own-aho-corasick.md.
package ahocorasick

import (
	"errors"
	"fmt"
	"slices"
)

// Matcher is immutable after Build and safe for concurrent use.
type Matcher struct {
	classes [256]uint8 // byte -> equivalence class (case folded)
	shift   uint       // log2 of the class count rounded up
	delta   []uint32   // state<<shift | class -> next state<<shift, with outBit when it reports
	outputs [][]int32  // state -> ids of the literals that end there (suffixes included)
	n       int        // number of literals
	maxLen  int        // longest literal, in bytes
}

const outBit = 1 << 31

// Build compiles literals (matched ASCII case-insensitively). Empty literals are rejected,
// duplicates are allowed and each keeps its own id (its index).
func Build(literals []string) (*Matcher, error) { return build(literals, false) }

// BuildApprox is Build for a prefilter: it folds bytes into at most 64 classes (letters,
// digits and space keep their own, other bytes share), so Scan reports every occurrence of a
// literal and sometimes a look-alike ("a.b" for "a:b" when '.' and ':' share a class). The
// automaton is half of Build's on a real knowledge base, which keeps more of it in the CPU
// caches; the caller verifies every report anyway.
func BuildApprox(literals []string) (*Matcher, error) { return build(literals, true) }

func build(literals []string, approx bool) (*Matcher, error) {
	if len(literals) == 0 {
		return nil, errors.New("ahocorasick: no literals")
	}
	m := &Matcher{n: len(literals)}

	// Byte classes: every byte that appears (folded) in some literal gets its own class,
	// everything else shares class 0. This keeps the DFA table small.
	var used [256]bool
	for i, lit := range literals {
		if lit == "" {
			return nil, fmt.Errorf("ahocorasick: literal %d is empty", i)
		}
		for j := 0; j < len(lit); j++ {
			used[fold(lit[j])] = true
		}
		m.maxLen = max(m.maxLen, len(lit))
	}
	var folded [256]uint8
	next := uint8(1)
	if approx {
		for b := 0; b < 256; b++ {
			if !used[b] {
				continue
			}
			switch {
			case b >= 'a' && b <= 'z':
				folded[b] = uint8(1 + b - 'a') // 1..26
			case b >= '0' && b <= '9':
				folded[b] = uint8(27 + b - '0') // 27..36: digits stay exact ("429", "137")
			case b == ' ':
				folded[b] = 37
			default:
				folded[b] = uint8(38 + b%26) // 38..63: punctuation and non-ASCII share
			}
		}
		next = 64
	}
	for b := 0; b < 256 && !approx; b++ {
		if used[b] {
			if next == 255 {
				return nil, errors.New("ahocorasick: too many distinct bytes")
			}
			folded[b] = next
			next++
		}
	}
	for b := 0; b < 256; b++ {
		m.classes[b] = folded[fold(byte(b))]
	}
	nc := int(next)
	for 1<<m.shift < nc {
		m.shift++
	}
	width := 1 << m.shift

	// Trie, straight into the transition table: delta[s*width+c] = child (0 = none yet, since
	// no edge leads back to the root). One table serves from trie to finished DFA: the
	// build's allocations were most of the CLI's start-up once the regexps compiled lazily.
	states := m.trieStates(literals)
	// A premultiplied state (state<<shift) must stay below outBit: past that the table would
	// silently wrap.
	if states > outBit>>m.shift {
		return nil, fmt.Errorf("ahocorasick: %d trie states overflow the transition table", states)
	}
	delta := make([]uint32, width, width*states)
	var outs [][]int32
	outs = append(outs, nil)
	for id, lit := range literals {
		s := uint32(0)
		for j := 0; j < len(lit); j++ {
			i := int(s)*width + int(m.classes[lit[j]])
			t := delta[i]
			if t == 0 {
				t = uint32(len(outs)) // #nosec G115 -- len(outs) < states <= outBit>>shift, checked above
				outs = append(outs, nil)
				delta = append(delta, make([]uint32, width)...)
				delta[i] = t
			}
			s = t
		}
		outs[s] = append(outs[s], int32(id))
	}
	states = len(outs) // the same count, now built

	// BFS: failure links folded into a complete transition table (missing edges take the
	// failure state's edge, computed earlier because it is shallower). A state's own row is
	// still the trie's when the BFS reaches it, so a non-zero entry there is a trie edge.
	fail := make([]uint32, states)
	queue := make([]uint32, 0, states)
	for c := 0; c < width; c++ {
		if t := delta[c]; t != 0 {
			queue = append(queue, t)
		}
	}
	for len(queue) > 0 {
		s := queue[0]
		queue = queue[1:]
		outs[s] = append(outs[s], outs[fail[s]]...)
		row, failRow := delta[int(s)*width:][:width], delta[int(fail[s])*width:][:width]
		for c, t := range row {
			if t != 0 {
				fail[t] = failRow[c]
				queue = append(queue, t)
			} else {
				row[c] = failRow[c]
			}
		}
	}
	// Depth-1 failures point at the root; fail[child of root] stays 0 as initialised, and
	// the root's own missing edges are 0 (the root), as the table starts zeroed.

	for i, t := range delta {
		// Premultiplied: the scan loop indexes with state+class, no shift per byte.
		v := t << m.shift
		if len(outs[t]) > 0 {
			v |= outBit
		}
		delta[i] = v
	}
	m.delta = delta
	m.outputs = outs
	return m, nil
}

// trieStates counts the trie's states, the root included, so the table is allocated once at
// its size: in sorted order each literal adds the states past its common prefix with the one
// before it. Summing the lengths instead allocated (and zeroed) several times the table.
func (m *Matcher) trieStates(literals []string) int {
	keys := make([]string, len(literals))
	for i, lit := range literals {
		k := make([]byte, len(lit))
		for j := 0; j < len(lit); j++ {
			k[j] = m.classes[lit[j]]
		}
		keys[i] = string(k)
	}
	slices.Sort(keys)
	n, prev := 1, ""
	for _, k := range keys {
		common := 0
		for common < len(k) && common < len(prev) && k[common] == prev[common] {
			common++
		}
		n += len(k) - common
		prev = k
	}
	return n
}

// Len is the number of literals.
func (m *Matcher) Len() int { return m.n }

// Scan calls hit with the id of every literal occurrence in text, in order of their end.
// A literal that occurs several times is reported each time.
func (m *Matcher) Scan(text []byte, hit func(id int32)) {
	delta, classes, shift := m.delta, &m.classes, m.shift
	s := uint32(0)
	for _, b := range text {
		s = delta[s+uint32(classes[b])]
		if s&outBit != 0 {
			s &^= outBit
			for _, id := range m.outputs[s>>shift] {
				hit(id)
			}
		}
	}
}

func fold(b byte) byte {
	if 'A' <= b && b <= 'Z' {
		return b + 'a' - 'A'
	}
	return b
}

// ScanPresent calls hit at least once for every literal that occurs in text, and may call it
// more than once for one occurrence. It is Scan for callers that only ask "which literals are
// here": the text is cut into lanes of equal length that overlap by the longest literal less
// one byte, so every occurrence lies wholly in one lane, and the lanes run through the
// automaton in lockstep. Each lane is a chain of dependent table look-ups; the CPU overlaps
// independent chains, where one chain waits on each look-up in turn.
func (m *Matcher) ScanPresent(text []byte, hit func(id int32)) {
	overlap := m.maxLen - 1
	switch {
	case len(text) >= 4*m.maxLen:
		m.scan4(text, overlap, hit)
	case len(text) >= 2*m.maxLen+4:
		m.scan2(text, overlap, hit)
	default:
		m.Scan(text, hit)
	}
}

// report calls hit for the literals that end in state s (outBit set) and returns s without
// the bit.
func (m *Matcher) report(s uint32, hit func(id int32)) uint32 {
	s &^= outBit
	for _, id := range m.outputs[s>>m.shift] {
		hit(id)
	}
	return s
}

// scan2 is ScanPresent with two lanes: [0, n) and [len-n, len).
func (m *Matcher) scan2(text []byte, overlap int, hit func(id int32)) {
	n := (len(text) + overlap + 1) / 2
	a, b := text[:n], text[len(text)-n:]
	b = b[:len(a)]
	delta, classes := m.delta, &m.classes
	var sa, sb uint32
	for i := range a {
		sa = delta[sa+uint32(classes[a[i]])]
		sb = delta[sb+uint32(classes[b[i]])]
		if (sa|sb)&outBit != 0 {
			if sa&outBit != 0 {
				sa = m.report(sa, hit)
			}
			if sb&outBit != 0 {
				sb = m.report(sb, hit)
			}
		}
	}
}

// scan4 is ScanPresent with four lanes of length n, starting every n-overlap bytes; the last
// one ends at the end of text.
func (m *Matcher) scan4(text []byte, overlap int, hit func(id int32)) {
	n := (len(text) + 3*overlap + 3) / 4
	step := n - overlap
	a := text[:n]
	b := text[step:][:n]
	c := text[2*step:][:n]
	d := text[len(text)-n:][:n]
	delta, classes := m.delta, &m.classes
	var sa, sb, sc, sd uint32
	for i := range a {
		sa = delta[sa+uint32(classes[a[i]])]
		sb = delta[sb+uint32(classes[b[i]])]
		sc = delta[sc+uint32(classes[c[i]])]
		sd = delta[sd+uint32(classes[d[i]])]
		if (sa|sb|sc|sd)&outBit != 0 {
			if sa&outBit != 0 {
				sa = m.report(sa, hit)
			}
			if sb&outBit != 0 {
				sb = m.report(sb, hit)
			}
			if sc&outBit != 0 {
				sc = m.report(sc, hit)
			}
			if sd&outBit != 0 {
				sd = m.report(sd, hit)
			}
		}
	}
}
