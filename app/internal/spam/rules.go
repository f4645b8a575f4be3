package spam

import "fmt"

// The rules, by file: this one runs them (reasons) over one shared analysis and combines
// their reasons with the model's vote; phrases.go holds the phrase lists they read;
// linkrules.go reads links (phishing, lookalikes, shorteners, downloads, link farms, new
// accounts); scamrules.go reads scams (crypto wording, wallet addresses, seed-phrase
// requests, support desks, support numbers); wording.go reads the rest of the wording
// (mentions, giveaways, promotion, adult, obfuscation); devtalk.go measures how much a text
// reads as software work.

// analysis is everything the rules share about one text.
type analysis struct {
	orig  string
	n     normText
	toks  []token
	hits  []phraseHit
	links []link
	// verdicts are the domain checks' answers for each host of links, asked once: the link
	// rules report them, and a hosting platform's tenant site is trusted only without one.
	verdicts map[string]domainVerdict
	// offsite are the links to neither developer nor well-known sites (offsiteLinks): link
	// farms, downloads, support desks and developer evidence all ask about them.
	offsite []link
	counts  [phDev + 1]int
	// devTalk is devTalkFactor's value, computed once in reasons: the model's vote and firm
	// promotion both read it.
	devTalk float64
}

func (a *analysis) has(class int) bool { return a.counts[class] > 0 }

// firstHit returns the original span of the first hit of class, or the whole text.
func (a *analysis) firstHit(class int) span {
	for _, h := range a.hits {
		if h.class == class {
			return a.tokSpan(h.firstTok, h.end)
		}
	}
	return span{0, len(a.orig)}
}

func (a *analysis) word(i int) string { return a.n.text[a.toks[i].start:a.toks[i].end] }

// origWord is token i as the caller wrote it (case kept), or "" when normalisation changed
// its length (NFKC, removed characters).
func (a *analysis) origWord(i int) string {
	sp := a.n.origSpan(a.toks[i].start, a.toks[i].end)
	w := a.orig[sp.start:sp.end]
	if len(w) != a.toks[i].end-a.toks[i].start {
		return ""
	}
	return w
}

// hitText is the normalised words of hit h.
func (a *analysis) hitText(h phraseHit) string {
	return a.n.text[a.toks[h.firstTok].start:a.toks[h.end-1].end]
}

// firstHitText is the normalised words of the first hit of class ("" when none).
func (a *analysis) firstHitText(class int) string {
	for _, h := range a.hits {
		if h.class == class {
			return a.hitText(h)
		}
	}
	return ""
}

func (a *analysis) tokSpan(first, end int) span {
	return a.n.origSpan(a.toks[first].start, a.toks[end-1].end)
}

func (a *analysis) linkSpan(l link) span { return a.n.origSpan(l.start, l.end) }

func reason(code string, w float64, sp span, format string, args ...any) Reason {
	return Reason{Code: code, Detail: fmt.Sprintf(format, args...), Span: [2]int{sp.start, sp.end}, Weight: w}
}

// reasons runs every rule and the model. With a history, the text is compared with recent
// ones and then remembered; evaluation passes none so a corpus is not compared with itself.
func (c *Checker) reasons(req Request, hist *history) []Reason {
	a := &analysis{orig: req.Text, n: normalize(req.Text)}
	a.toks = appendWords(make([]token, 0, len(a.n.text)/6+8), a.n.text)
	a.hits = dropCovered(phrases.find(nil, a.n.text, a.toks), phPromo, phDev)
	for _, h := range a.hits {
		a.counts[h.class]++
	}
	a.links = extractLinks(a.n.text)
	a.verdicts = c.domainVerdicts(a.links)
	a.offsite = c.offsiteLinks(a)
	a.devTalk = c.devTalkFactor(a)

	var out []Reason
	out = c.linkRules(a, req, out)
	out = cryptoRules(a, out)
	out = supportNumberRule(a, out)
	out = mentionAndGiveawayRules(a, out)
	out = c.wordingRules(a, out)
	out = obfuscationRule(a, out)
	if hist != nil {
		if r, ok := hist.check(a, true); ok {
			out = append(out, r)
		}
	}
	return c.modelReason(a, out)
}

// softCodes are the rules that read the same surface the model reads (wording, link counts,
// mentions). When the model is confident a text is ordinary, they are damped: a mailing-list
// digest has a dozen links and an "unsubscribe" line, and the model knows that shape.
var softCodes = map[string]bool{
	CodeSEOLinkSpam: true, CodePromotional: true, CodeAdult: true, CodeMassMentions: true,
	CodeNewAccount: true, CodeNearDuplicate: true, CodeURLShortener: true,
}

func dampSoft(out []Reason, p float64) {
	f := 0.25 + 0.75*min(1, p/0.5)
	for i := range out {
		if isSoft(out[i]) {
			out[i].Weight *= f
		}
	}
}

// isSoft: the soft codes, and giveaway wording without mass mentions. "Giveaway" next to a
// link is what every shopping newsletter says (it was the first cause of false positives on
// SpamAssassin's ham); with five or more @mentions (weight 0.9) it is the code-host airdrop
// scam, and that is not damped.
func isSoft(r Reason) bool {
	return softCodes[r.Code] && !r.firm || r.Code == CodeAirdropGiveaway && r.Weight < 0.9
}

// modelReason adds the statistical model's vote. It is always present, also for allow, so a
// caller can see how the model leaned. Its weight is capped at 0.9 so the model alone never
// blocks, and it is cut by devTalkFactor on text that reads as software work: the model
// learnt from SMS, YouTube comments and e-mail, where "check out the new docs site" or
// "subscribe to release notifications" are promotion, while on a code host they are ordinary
// talk.
func (c *Checker) modelReason(a *analysis, out []Reason) []Reason {
	p := c.model.prob(a.orig, &a.n, len(a.links))
	dampSoft(out, p)
	w := min(p, 0.9) * a.devTalk
	return append(out, reason(CodeModel, w, span{0, len(a.orig)}, "statistical model spam probability %.2f", p))
}
