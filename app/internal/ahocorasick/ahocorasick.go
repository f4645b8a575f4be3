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
}

const outBit = 1 << 31

// Build compiles literals (matched ASCII case-insensitively). Empty literals are rejected,
// duplicates are allowed and each keeps its own id (its index).
func Build(literals []string) (*Matcher, error) {
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
	}
	var folded [256]uint8
	next := uint8(1)
	for b := 0; b < 256; b++ {
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

	// Trie.
	type node struct {
		next map[uint8]int32
		out  []int32
	}
	nodes := []node{{next: map[uint8]int32{}}}
	for id, lit := range literals {
		s := int32(0)
		for j := 0; j < len(lit); j++ {
			c := m.classes[lit[j]]
			t, ok := nodes[s].next[c]
			if !ok {
				t = int32(len(nodes))
				nodes = append(nodes, node{next: map[uint8]int32{}})
				nodes[s].next[c] = t
			}
			s = t
		}
		nodes[s].out = append(nodes[s].out, int32(id))
	}

	// BFS: failure links folded directly into a complete transition table.
	delta := make([]int32, len(nodes)*width)
	fail := make([]int32, len(nodes))
	queue := make([]int32, 0, len(nodes))
	for c := 0; c < width; c++ {
		if t, ok := nodes[0].next[uint8(c)]; ok {
			delta[c] = t
			queue = append(queue, t)
		}
	}
	for len(queue) > 0 {
		s := queue[0]
		queue = queue[1:]
		nodes[s].out = append(nodes[s].out, nodes[fail[s]].out...)
		for c := 0; c < width; c++ {
			if t, ok := nodes[s].next[uint8(c)]; ok {
				fail[t] = delta[int(fail[s])*width+c]
				delta[int(s)*width+c] = t
				queue = append(queue, t)
			} else {
				delta[int(s)*width+c] = delta[int(fail[s])*width+c]
			}
		}
	}

	m.delta = make([]uint32, len(delta))
	m.outputs = make([][]int32, len(nodes))
	for s := range nodes {
		m.outputs[s] = nodes[s].out
	}
	for i, t := range delta {
		// Premultiplied: the scan loop indexes with state+class, no shift per byte.
		v := uint32(t) << m.shift
		if len(nodes[t].out) > 0 {
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
