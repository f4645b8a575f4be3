package ahocorasick

import (
	"bytes"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
)

func TestScan(t *testing.T) {
	tests := []struct {
		name     string
		literals []string
		text     string
		want     []int32
	}{
		{"none", []string{"error"}, "all good", nil},
		{"one", []string{"error"}, "an error here", []int32{0}},
		{"case folded", []string{"Error"}, "FATAL ERROR", []int32{0}},
		{"repeated", []string{"ab"}, "abab", []int32{0, 0}},
		{"overlap and suffix", []string{"he", "she", "hers", "his"}, "ushers", []int32{1, 0, 3 - 1}},
		{"duplicates keep ids", []string{"x", "x"}, "x", []int32{0, 1}},
		{"non-ascii bytes", []string{"héllo"}, "say HéLLO", []int32{0}},
		{"prefix of other", []string{"npm err!", "npm"}, "npm ERR! code", []int32{1, 0}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			m, err := Build(tc.literals)
			if err != nil {
				t.Fatal(err)
			}
			var got []int32
			m.Scan([]byte(tc.text), func(id int32) { got = append(got, id) })
			slices.Sort(got)
			want := slices.Clone(tc.want)
			slices.Sort(want)
			if !slices.Equal(got, want) {
				t.Errorf("Scan(%q) over %q = %v; want %v", tc.text, tc.literals, got, want)
			}
		})
	}
}

func TestBuildRejects(t *testing.T) {
	if _, err := Build(nil); err == nil {
		t.Error("Build(nil) succeeded; want an error")
	}
	if _, err := Build([]string{"a", ""}); err == nil {
		t.Error("Build with an empty literal succeeded; want an error")
	}
	// BuildApprox has 64 classes (shift 6), so 2^25 states is the most a premultiplied
	// state below outBit can name; one more literal byte must be refused, not wrapped.
	if _, err := BuildApprox([]string{strings.Repeat("a", outBit>>6)}); err == nil || !strings.Contains(err.Error(), "overflow") {
		t.Errorf("BuildApprox of %d literal bytes: err %v; want the table overflow refused", outBit>>6, err)
	}
}

// TestScanAgainstNaive compares with strings.Count over random alphabets, where overlaps abound.
func TestScanAgainstNaive(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	for round := 0; round < 200; round++ {
		lits := make([]string, 1+r.IntN(20))
		for i := range lits {
			lits[i] = randString(r, 1+r.IntN(4), "abAB")
		}
		text := randString(r, r.IntN(200), "abcAB")
		m, err := Build(lits)
		if err != nil {
			t.Fatal(err)
		}
		counts := make([]int, len(lits))
		m.Scan([]byte(text), func(id int32) { counts[id]++ })
		lower := strings.ToLower(text)
		for i, lit := range lits {
			if want := countOverlapping(lower, strings.ToLower(lit)); counts[i] != want {
				t.Fatalf("literal %q in %q: %d hits; want %d", lit, text, counts[i], want)
			}
		}
	}
}

func countOverlapping(s, sub string) int {
	n := 0
	for i := 0; i+len(sub) <= len(s); i++ {
		if s[i:i+len(sub)] == sub {
			n++
		}
	}
	return n
}

func randString(r *rand.Rand, n int, alphabet string) string {
	b := make([]byte, n)
	for i := range b {
		b[i] = alphabet[r.IntN(len(alphabet))]
	}
	return string(b)
}

func BenchmarkScan(b *testing.B) {
	lits := []string{"error", "fatal", "npm err!", "failed", "exception", "panic:", "undefined:", "cannot find"}
	line := bytes.Repeat([]byte("2024-05-01T10:00:00Z compiling module github.com/foo/bar v1.2.3 ok "), 16)
	m, _ := Build(lits)
	b.SetBytes(int64(len(line)))
	for b.Loop() {
		m.Scan(line, func(int32) {})
	}
}

// TestBuildApproxFindsEverything: the approximate automaton may report look-alikes but never
// misses a real occurrence.
func TestBuildApproxFindsEverything(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	for round := 0; round < 200; round++ {
		lits := make([]string, 1+r.IntN(20))
		for i := range lits {
			lits[i] = randString(r, 1+r.IntN(5), "ab09:.-_ Z!")
		}
		text := randString(r, r.IntN(200), "ab0123456789:.-_ Z!?#")
		m, err := BuildApprox(lits)
		if err != nil {
			t.Fatal(err)
		}
		counts := make([]int, len(lits))
		m.Scan([]byte(text), func(id int32) { counts[id]++ })
		lower := strings.ToLower(text)
		for i, lit := range lits {
			if want := countOverlapping(lower, strings.ToLower(lit)); counts[i] < want {
				t.Fatalf("literal %q in %q: %d reports; want at least the %d occurrences", lit, text, counts[i], want)
			}
		}
	}
	var all []string
	for b := 33; b < 256; b++ {
		all = append(all, string([]byte{byte(b), byte(b)}))
	}
	m, err := BuildApprox(all)
	if err != nil {
		t.Fatal(err)
	}
	if width := 1 << m.shift; width > 64 {
		t.Errorf("BuildApprox over every byte: %d classes; want at most 64", width)
	}
}

// TestScanPresentFindsWhatScanFinds: on long and short texts, ScanPresent reports exactly the
// set of literals Scan reports (it may repeat them).
func TestScanPresentFindsWhatScanFinds(t *testing.T) {
	r := rand.New(rand.NewPCG(5, 6))
	for round := 0; round < 300; round++ {
		lits := make([]string, 1+r.IntN(30))
		for i := range lits {
			lits[i] = randString(r, 1+r.IntN(12), "abcAB: ")
		}
		text := randString(r, r.IntN(600), "abcdAB: ")
		m, err := Build(lits)
		if err != nil {
			t.Fatal(err)
		}
		want, got := map[int32]bool{}, map[int32]bool{}
		m.Scan([]byte(text), func(id int32) { want[id] = true })
		m.ScanPresent([]byte(text), func(id int32) { got[id] = true })
		if len(got) != len(want) {
			t.Fatalf("ScanPresent(%q) over %q found %v; Scan found %v", text, lits, got, want)
		}
		for id := range want {
			if !got[id] {
				t.Fatalf("ScanPresent(%q) missed literal %q", text, lits[id])
			}
		}
	}
}

func BenchmarkScanPresent(b *testing.B) {
	lits := []string{"error", "fatal", "npm err!", "failed", "exception", "panic:", "undefined:", "cannot find"}
	line := bytes.Repeat([]byte("2024-05-01T10:00:00Z compiling module github.com/foo/bar v1.2.3 ok "), 16)
	m, _ := Build(lits)
	b.SetBytes(int64(len(line)))
	for b.Loop() {
		m.ScanPresent(line, func(int32) {})
	}
}

// The transition table is allocated at the trie's size, so the count must be exact: too few
// states and the build reallocates, too many and it zeroes memory it never uses.
func TestTrieStatesIsExact(t *testing.T) {
	tests := []struct {
		name     string
		literals []string
		want     int
	}{
		{"one", []string{"abc"}, 4},
		{"shared prefix", []string{"abc", "abd", "ab"}, 5},
		{"case folds together", []string{"Error", "error"}, 6},
		{"duplicates", []string{"x", "x"}, 2},
		{"disjoint", []string{"he", "she", "hers", "his"}, 10},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			m, err := Build(tc.literals)
			if err != nil {
				t.Fatal(err)
			}
			if got := m.trieStates(tc.literals); got != tc.want || len(m.outputs) != tc.want {
				t.Errorf("trieStates = %d, states built = %d; want %d", got, len(m.outputs), tc.want)
			}
			if len(m.delta) != cap(m.delta) {
				t.Errorf("table len %d, cap %d: allocated for states it never built", len(m.delta), cap(m.delta))
			}
		})
	}
}
