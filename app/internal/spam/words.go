package spam

import (
	"strings"
	"unicode"
	"unicode/utf8"
)

// token is a word of the normalised text: a run of letters, marks and digits.
type token struct{ start, end int }

// appendWords splits normalised text into words. Apostrophes inside a word are kept so
// "you've" stays one word, as the phrase lists spell it.
func appendWords(dst []token, text string) []token {
	start := -1
	for i := 0; i < len(text); {
		c := text[i]
		var isWord bool
		size := 1
		if c < utf8.RuneSelf {
			isWord = 'a' <= c && c <= 'z' || '0' <= c && c <= '9' || 'A' <= c && c <= 'Z' ||
				(c == '\'' && start >= 0 && i+1 < len(text) && isASCIILetter(text[i+1]))
		} else {
			var r rune
			r, size = utf8.DecodeRuneInString(text[i:])
			isWord = unicode.IsLetter(r) || unicode.IsDigit(r) || unicode.Is(unicode.M, r)
		}
		if isWord {
			if start < 0 {
				start = i
			}
		} else if start >= 0 {
			dst = append(dst, token{start, i})
			start = -1
		}
		i += size
	}
	if start >= 0 {
		dst = append(dst, token{start, len(text)})
	}
	return dst
}

// phraseSet finds word sequences in a token stream with one map look-up per token. A phrase
// is written as space-separated words; a word may list alternatives with "|" ("send|pay your")
// and the last character "*" makes a word a prefix ("airdrop*").
type phraseSet struct {
	byFirst  map[string][]int32 // exact first word -> phrase ids
	prefixed []int32            // phrases whose first word is a prefix
	phrases  []phrase
}

type phrase struct {
	words []string // each a literal or a prefix ending in '*'
	class int
}

type phraseHit struct {
	class         int
	firstTok, end int // token index of the first word, and one past the last
}

func newPhraseSet(classes map[int][]string) *phraseSet {
	ps := &phraseSet{byFirst: map[string][]int32{}}
	for class, list := range classes {
		for _, p := range list {
			for _, words := range expandAlternatives(strings.Fields(p)) {
				id := int32(len(ps.phrases)) // #nosec G115 -- a few hundred built-in phrases
				ps.phrases = append(ps.phrases, phrase{words: words, class: class})
				if strings.HasSuffix(words[0], "*") {
					ps.prefixed = append(ps.prefixed, id)
				} else {
					ps.byFirst[words[0]] = append(ps.byFirst[words[0]], id)
				}
			}
		}
	}
	return ps
}

func expandAlternatives(words []string) [][]string {
	out := [][]string{nil}
	for _, w := range words {
		alts := strings.Split(w, "|")
		next := make([][]string, 0, len(out)*len(alts))
		for _, prefix := range out {
			for _, a := range alts {
				next = append(next, append(append([]string(nil), prefix...), a))
			}
		}
		out = next
	}
	return out
}

func wordMatches(pattern, word string) bool {
	if strings.HasSuffix(pattern, "*") {
		return strings.HasPrefix(word, pattern[:len(pattern)-1])
	}
	return pattern == word
}

// find appends every phrase occurrence; the work is one map look-up per token plus the
// candidates that start there, so it stays linear in the text.
func (ps *phraseSet) find(dst []phraseHit, text string, toks []token) []phraseHit {
	for i, t := range toks {
		w := text[t.start:t.end]
		for _, id := range ps.byFirst[w] {
			dst = ps.try(dst, id, text, toks, i)
		}
		for _, id := range ps.prefixed {
			if wordMatches(ps.phrases[id].words[0], w) {
				dst = ps.try(dst, id, text, toks, i)
			}
		}
	}
	return dst
}

// dropCovered removes the hits of class inner that lie inside a hit of class outer: the
// promotional "unsubscribe" inside the developer's "unsubscribe link" is a bug report's
// subject, not a call to action. hits are in find's order (by first token), filtered in
// place, in one pass.
func dropCovered(hits []phraseHit, inner, outer int) []phraseHit {
	out := hits[:0]
	maxEnd := -1 // the furthest end of an outer hit starting at or before the current token
	for i := 0; i < len(hits); {
		j := i
		for j < len(hits) && hits[j].firstTok == hits[i].firstTok {
			if hits[j].class == outer {
				maxEnd = max(maxEnd, hits[j].end)
			}
			j++
		}
		for _, h := range hits[i:j] {
			if h.class != inner || h.end > maxEnd {
				out = append(out, h)
			}
		}
		i = j
	}
	return out
}

func (ps *phraseSet) try(dst []phraseHit, id int32, text string, toks []token, i int) []phraseHit {
	p := ps.phrases[id]
	if i+len(p.words) > len(toks) {
		return dst
	}
	for k := 1; k < len(p.words); k++ {
		t := toks[i+k]
		if !wordMatches(p.words[k], text[t.start:t.end]) {
			return dst
		}
	}
	return append(dst, phraseHit{class: p.class, firstTok: i, end: i + len(p.words)})
}
