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

	// Trie, straight into the transition table: goto[s*width+c] = child (0 = none yet, since
	// no edge leads back to the root).
	maxStates := 1
	for _, lit := range literals {
		maxStates += len(lit)
	}
	// A premultiplied state (state<<shift) must stay below outBit, and a state id must fit
	// an int32: past that the table would silently wrap.
	if maxStates > outBit>>m.shift {
		return nil, fmt.Errorf("ahocorasick: %d literal bytes overflow the transition table", maxStates-1)
	}
	delta := make([]int32, width, width*maxStates)
	var outs [][]int32
	outs = append(outs, nil)
	for id, lit := range literals {
		s := int32(0)
		for j := 0; j < len(lit); j++ {
			c := int(m.classes[lit[j]])
			t := delta[int(s)*width+c]
			if t == 0 {
				t = int32(len(outs)) // #nosec G115 -- len(outs) <= maxStates, checked against outBit>>shift above
				outs = append(outs, nil)
				delta = append(delta, make([]int32, width)...)
				delta[int(s)*width+c] = t
			}
			s = t
		}
		outs[s] = append(outs[s], int32(id))
	}
	states := len(outs)

	// BFS: failure links folded into a complete transition table (missing edges take the
	// failure state's edge, computed earlier because it is shallower).
	isEdge := make([]bool, len(delta))
	for i, t := range delta {
		isEdge[i] = t != 0
	}
	fail := make([]int32, states)
	queue := make([]int32, 0, states)
	for c := 0; c < width; c++ {
		if isEdge[c] {
			queue = append(queue, delta[c])
		}
	}
	for len(queue) > 0 {
		s := queue[0]
		queue = queue[1:]
		outs[s] = append(outs[s], outs[fail[s]]...)
		for c := 0; c < width; c++ {
			i := int(s)*width + c
			if isEdge[i] {
				t := delta[i]
				fail[t] = delta[int(fail[s])*width+c]
				queue = append(queue, t)
			} else {
				delta[i] = delta[int(fail[s])*width+c]
			}
		}
	}
	// Depth-1 failures point at the root; fail[child of root] stays 0 as initialised, and
	// the root's own missing edges are 0 (the root), as the table starts zeroed.

	m.delta = make([]uint32, len(delta))
	m.outputs = outs
	for i, t := range delta {
		// Premultiplied: the scan loop indexes with state+class, no shift per byte.
		v := uint32(t) << m.shift // #nosec G115 -- 0 <= t < maxStates <= outBit>>shift, checked above
		if len(outs[t]) > 0 {
			v |= outBit
		}
		m.delta[i] = v
	}
	return m, nil
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
// here": a line's two halves (overlapping by the longest literal, so every occurrence lies
// wholly in one) run through the automaton in lockstep, two independent chains of table
// look-ups that the CPU overlaps, where one chain waits on each look-up in turn.
func (m *Matcher) ScanPresent(text []byte, hit func(id int32)) {
	if len(text) < 4*m.maxLen+32 {
		m.Scan(text, hit)
		return
	}
	mid := len(text) / 2
	a, b := text[:mid], text[mid-m.maxLen+1:]
	delta, classes, shift := m.delta, &m.classes, m.shift
	report := func(s uint32) uint32 {
		s &^= outBit
		for _, id := range m.outputs[s>>shift] {
			hit(id)
		}
		return s
	}
	var sa, sb uint32
	n := len(a) // b is never shorter than a
	for i := 0; i < n; i++ {
		sa = delta[sa+uint32(classes[a[i]])]
		sb = delta[sb+uint32(classes[b[i]])]
		if (sa|sb)&outBit != 0 {
			if sa&outBit != 0 {
				sa = report(sa)
			}
			if sb&outBit != 0 {
				sb = report(sb)
			}
		}
	}
	for _, c := range b[n:] {
		sb = delta[sb+uint32(classes[c])]
		if sb&outBit != 0 {
			sb = report(sb)
		}
	}
}
