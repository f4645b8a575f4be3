package spam

import (
	"slices"
	"strings"
)

// devEvidence is 0..1: how much the text reads as software work. It counts the words of the
// trade, inline code, links to developer sites and issue references.
func (c *Checker) devEvidence(a *analysis) float64 {
	score := float64(a.counts[phDev])
	score += float64(min(strings.Count(a.orig, "`"), 4))
	// Each developer site counts once: a mailing-list footer repeats its list's address, and
	// spam sent through a list carries that footer too.
	var devSites []string
	for _, l := range a.links {
		if l.email || isAttachment(l) {
			// An address says where to write, not what the text is about.
			continue
		}
		if d, ok := inSet(c.domains.dev, l.host); ok && !a.hostedImpostor(l.host) && !slices.Contains(devSites, d) {
			devSites = append(devSites, d)
			score += 2
		}
	}
	for i := 0; i+1 < len(a.toks); i++ {
		t, next := a.toks[i], a.toks[i+1]
		if next.start == t.end+1 && a.n.text[t.end] == '.' && sourceExtensions[a.n.text[next.start:next.end]] {
			score++
		}
	}
	// An issue reference is the code host's own idiom, as specific as a link to a developer
	// site: it counts as much.
	for i := 0; i+1 < len(a.n.text); i++ {
		if isIssueRef(a.n.text, i) {
			score += 2
		}
	}
	// A density, not a count: a long sales e-mail that mentions a "press release" and a
	// "review" once each is not software talk, a two-line comment with the same words is.
	ev := min(1, score/max(3, float64(len(a.toks))/40))
	if score == float64(a.counts[phDev]) && len(a.offsite) > 0 {
		// Words alone cost a spammer nothing ("your repository has been selected for the
		// GitHub Open Source Fund, claim your grant at …"): next to an off-site link, they
		// earn half the cut; code, file names, issue references and developer sites the whole.
		ev /= 2
	}
	return ev
}

// isAttachment: an image or file uploaded with the post itself. Every post with a screenshot
// links one, spam included, so it says nothing about the talk being software work.
func isAttachment(l link) bool {
	return strings.HasSuffix(l.host, "user-images.githubusercontent.com") ||
		l.host == "github.com" && strings.HasPrefix(l.path, "/user-attachments/")
}

// devTalkFactor scales the evidence that reads the same words in any setting (the model's
// vote, promotion) on text that reads as software work: down to 40 % at full developer
// evidence. At 50 % (until 2026-12-06) eleven of the legitimate developer texts scored
// 0.40–0.48, one rounding away from a flag; at 40 % two do, and the corpora lose one text in
// cross-validation (docs/spam.md).
func (c *Checker) devTalkFactor(a *analysis) float64 {
	return 1 - 0.6*c.devEvidence(a)
}

// isIssueRef reports whether text[i:] starts an issue reference such as "#123": a '#' after
// a word boundary followed by digits that end the word. An HTML character reference ("&#39;",
// common in scraped comments) and a hex colour ("#0033ff") are not references.
func isIssueRef(text string, i int) bool {
	if text[i] != '#' || i+1 >= len(text) || !isDigit(text[i+1]) {
		return false
	}
	// A reference starts a word of prose: after a space, a bracket or at the start. An
	// attribute or a style sheet writes a colour the same way ("#000000" after a quote, an
	// '=' or a ':'), and HTML mail is full of them; they made its spam read as software talk.
	if i > 0 && !strings.ContainsRune(" \t\n\r([", rune(text[i-1])) {
		return false
	}
	j := i + 1
	for j < len(text) && isDigit(text[j]) {
		j++
	}
	return j == len(text) || !isAlnum(text[j])
}

func isDigit(c byte) bool { return '0' <= c && c <= '9' }

var sourceExtensions = map[string]bool{
	"go": true, "py": true, "js": true, "ts": true, "tsx": true, "jsx": true, "rs": true, "java": true,
	"kt": true, "yml": true, "yaml": true, "json": true, "md": true, "toml": true, "sh": true, "c": true,
	"h": true, "cpp": true, "rb": true, "lock": true, "mod": true, "sum": true, "cfg": true, "ini": true,
	"xml": true, "gradle": true, "proto": true, "sql": true, "tf": true, "dockerfile": true, "cs": true,
}
