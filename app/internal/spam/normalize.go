package spam

import (
	"unicode"
	"unicode/utf8"

	"github.com/mtibben/confusables"
	"golang.org/x/text/unicode/norm"
)

// normText is the text every rule and the model read: NFKC, lower-cased, with invisible
// format characters removed and invalid UTF-8 replaced by spaces. Rules match on it so that
// "ｂｉｔ．ｌｙ" and "bi\u200bt.ly" read as "bit.ly", and report spans in the caller's
// bytes through off.
type normText struct {
	text string
	// off[i] is the byte offset in the original text that produced text[i];
	// off[len(text)] is the original length, so a half-open span maps with two look-ups.
	off []int32
	// invisibleInWord lists original spans of zero-width or bidi characters that sit between
	// two letters: that is how filters are dodged ("fr\u200bee"), while a byte-order mark at the
	// start of a comment or a joiner inside an emoji sequence is harmless.
	invisibleInWord []span
	// invisibleCount counts every removed format character, inside words or not.
	invisibleCount int
	invalidUTF8    bool
}

type span struct{ start, end int }

// origSpan maps a half-open span of n.text to the original text.
func (n *normText) origSpan(start, end int) span {
	return span{int(n.off[start]), int(n.off[end])}
}

// isInvisible reports the characters that render as nothing: the Cf category (zero-width
// space and joiners, bidi embeddings and isolates, soft hyphen, word joiner, BOM, tags) and
// the fillers that spammers use because they are letters, not format characters.
func isInvisible(r rune) bool {
	switch r {
	case 0x034F, 0x115F, 0x1160, 0x3164, 0xFFA0, 0x2800:
		return true
	}
	return r >= 0x80 && unicode.Is(unicode.Cf, r)
}

// normalize builds the normText of s in time linear in len(s).
func normalize(s string) normText {
	n := normText{}
	// Pass 1: drop invisibles, replace invalid bytes, keep the offset of every kept byte.
	clean := make([]byte, 0, len(s))
	cleanOff := make([]int32, 0, len(s)+1)
	ascii := true
	prevLetter := false
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			clean = append(clean, c)
			cleanOff = append(cleanOff, int32(i))
			prevLetter = isASCIILetter(c)
			i++
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size == 1 {
			n.invalidUTF8 = true
			clean = append(clean, ' ')
			cleanOff = append(cleanOff, int32(i))
			prevLetter = false
			i++
			continue
		}
		if isInvisible(r) {
			n.invisibleCount++
			// Look past a run of invisibles to see whether a letter follows.
			j := i + size
			for j < len(s) {
				r2, s2 := utf8.DecodeRuneInString(s[j:])
				if !isInvisible(r2) {
					if prevLetter && unicode.IsLetter(r2) {
						n.invisibleInWord = append(n.invisibleInWord, span{i, j})
					}
					break
				}
				n.invisibleCount++
				j += s2
			}
			i = j
			continue
		}
		ascii = false
		for k := 0; k < size; k++ {
			clean = append(clean, s[i+k])
			cleanOff = append(cleanOff, int32(i))
		}
		prevLetter = unicode.IsLetter(r)
		i += size
	}
	cleanOff = append(cleanOff, int32(len(s))) // #nosec G115 -- texts are capped at MaxTextBytes (1 MiB) before normalising

	// Pass 2: NFKC, segment by segment so each output byte keeps an origin. Pure ASCII is
	// already NFKC, which is the common case and skips the work.
	if !ascii && !norm.NFKC.IsNormal(clean) {
		out := make([]byte, 0, len(clean)+len(clean)/4)
		outOff := make([]int32, 0, cap(out)+1)
		var it norm.Iter
		it.Init(norm.NFKC, clean)
		for !it.Done() {
			start := it.Pos()
			seg := it.Next()
			for range seg {
				outOff = append(outOff, cleanOff[start])
			}
			out = append(out, seg...)
		}
		outOff = append(outOff, int32(len(s))) // #nosec G115 -- texts are capped at MaxTextBytes (1 MiB) before normalising
		clean, cleanOff = out, outOff
	}

	// Pass 3: lower-case in place for ASCII, rune by rune otherwise.
	if ascii {
		for i, c := range clean {
			if 'A' <= c && c <= 'Z' {
				clean[i] = c + ('a' - 'A')
			}
		}
		n.text, n.off = string(clean), cleanOff
		return n
	}
	out := make([]byte, 0, len(clean))
	outOff := make([]int32, 0, len(clean)+1)
	for i := 0; i < len(clean); {
		r, size := utf8.DecodeRune(clean[i:])
		lr := unicode.ToLower(r)
		before := len(out)
		out = utf8.AppendRune(out, lr)
		for k := before; k < len(out); k++ {
			outOff = append(outOff, cleanOff[i])
		}
		i += size
	}
	outOff = append(outOff, int32(len(s))) // #nosec G115 -- texts are capped at MaxTextBytes (1 MiB) before normalising
	n.text, n.off = string(out), outOff
	return n
}

func isASCIILetter(c byte) bool { return 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' }

// Normalize returns the text the proposer actually reads: NFKC, lower-cased, without
// zero-width and bidi controls, with invalid UTF-8 bytes replaced by spaces.
func Normalize(s string) string { n := normalize(s); return n.text }

// Skeleton is the Unicode TR39 confusable skeleton of s: two strings that look alike to a
// reader have the same skeleton ("pаypal" with a Cyrillic а and "paypal").
func Skeleton(s string) string { return confusables.Skeleton(s) }

// confusableScript groups the scripts whose letters are routinely passed off as Latin. A
// word that mixes Latin with one of these is the homoglyph signal; a word that mixes Han,
// Hiragana and Katakana is ordinary Japanese.
func confusableScript(r rune) int {
	switch {
	case r < 0x80:
		if isASCIILetter(byte(r)) { // #nosec G115 -- r < 0x80 in this case
			return scriptLatin
		}
		return scriptNone
	case unicode.Is(unicode.Latin, r):
		return scriptLatin
	case unicode.Is(unicode.Cyrillic, r):
		return scriptCyrillic
	case unicode.Is(unicode.Greek, r):
		return scriptGreek
	case unicode.Is(unicode.Armenian, r):
		return scriptArmenian
	case unicode.Is(unicode.Cherokee, r):
		return scriptCherokee
	}
	return scriptNone
}

const (
	scriptNone = iota
	scriptLatin
	scriptCyrillic
	scriptGreek
	scriptArmenian
	scriptCherokee
)

// mixedScriptLookalike reports whether word mixes Latin letters with letters of a script
// that imitates Latin, and whether its skeleton is then plain ASCII, which means every foreign
// letter in it is standing in for a Latin one ("mеtamask" with a Cyrillic е). Words such as
// "μs" (NFKC turns the micro sign into Greek mu) stay unflagged: μ does not imitate a Latin
// letter, so the skeleton is not ASCII.
func mixedScriptLookalike(word string) (skeleton string, ok bool) {
	var seen [6]bool
	for _, r := range word {
		seen[confusableScript(r)] = true
	}
	if !seen[scriptLatin] || !(seen[scriptCyrillic] || seen[scriptGreek] || seen[scriptArmenian] || seen[scriptCherokee]) {
		return "", false
	}
	sk := confusables.Skeleton(word)
	for i := 0; i < len(sk); i++ {
		if sk[i] >= utf8.RuneSelf {
			return "", false
		}
	}
	return sk, true
}
