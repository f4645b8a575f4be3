package spam

import (
	"math"
	"slices"
	"strings"

	"github.com/nyaruka/phonenumbers"
)

func cryptoRules(a *analysis, out []Reason) []Reason {
	scam, weak := a.counts[phCryptoScam], a.counts[phCryptoWeak]
	wallets := findWallets(a.orig, a.has(phSolana))

	if r, ok := seedRequest(a); ok {
		out = append(out, r)
	}

	// One crypto_scam reason: the scam's wording, a fake support desk, or both.
	deskSpan, desk := fakeSupportDesk(a)
	const deskWhy = "sends the reader to a wallet \"support desk\" off the platform (ticket id or live chat)"
	switch {
	case scam > 0 || weak > 0:
		// Each strong phrase is good evidence; weak ones ("connect your wallet") only count
		// when something else points the reader off-site.
		keep := math.Pow(0.5, float64(scam)) * math.Pow(0.75, float64(weak)) // noisy-OR of 0.5s and 0.25s
		w := min(0.9, 1-keep)
		if scam == 0 && len(a.links) == 0 && !a.has(phScamContext) {
			w = min(w, 0.25)
		}
		cls := phCryptoScam
		if scam == 0 {
			cls = phCryptoWeak
		}
		r := reason(CodeCryptoScam, w, a.firstHit(cls), "%d crypto-scam phrases", scam+weak)
		if desk {
			// Noisy-OR of the two, at the stronger one's span.
			if r.Weight < 0.85 {
				r.Span = [2]int{deskSpan.start, deskSpan.end}
			}
			r.Weight = 1 - (1-r.Weight)*(1-0.85)
			r.Detail += "; " + deskWhy
		}
		out = append(out, r)
	case desk:
		out = append(out, reason(CodeCryptoScam, 0.85, deskSpan, deskWhy))
	}

	if len(wallets) > 0 {
		wa := wallets[0]
		sp := span{wa.start, wa.end}
		switch {
		case scam > 0 || a.has(phSeed) && a.has(phRequestYour):
			out = append(out, reason(CodeWalletAddress, 0.8, sp, "%s address next to scam wording", wa.chain))
		case a.has(phPayment):
			out = append(out, reason(CodeWalletAddress, 0.35, sp, "%s address next to payment or recovery wording", wa.chain))
		default:
			out = append(out, reason(CodeWalletAddress, 0.05, sp, "%s address", wa.chain))
		}
	}
	return out
}

// fakeSupportDesk finds the code host's commonest wallet scam: a reply to a bug report that
// sends the reporter to a "support team" off the platform, with a made-up ticket id or a live
// chat, about a wallet or dApp ("contact support using ticket ID-MET7638 via [Metamask Dapps
// Wallet Support](https://….web.app/), live chat at the bottom of the page"). It needs all
// three: the desk (ticket id or live chat), the crypto subject, and an off-site link.
func fakeSupportDesk(a *analysis) (span, bool) {
	desk, crypto := -1, false
	for _, h := range a.hits {
		switch h.class {
		case phScamContext:
			w := a.hitText(h)
			if w == "live chat" || w == "live support" || w == "support ticket" {
				desk = h.firstTok
			}
		case phBrand, phSolana, phCryptoWeak, phSeed:
			crypto = true
		}
	}
	for i := 0; i+1 < len(a.toks) && desk < 0; i++ {
		if a.word(i) == "ticket" && (a.word(i+1) == "id" || a.word(i+1) == "number" || isTicketCode(a.word(i+1))) {
			desk = i
		}
	}
	if desk < 0 {
		return span{}, false
	}
	for i := range a.toks {
		if w := a.word(i); w == "wallet" || w == "wallets" || w == "dapp" || w == "dapps" || w == "blockchain" || w == "crypto" {
			crypto = true
		}
	}
	if !crypto || len(a.offsite) == 0 {
		return span{}, false
	}
	return a.tokSpan(desk, min(desk+2, len(a.toks))), true
}

// isTicketCode: "RY16463", "met7638", letters then digits, as the fake desks number tickets.
func isTicketCode(w string) bool {
	letters, digits := 0, 0
	for i := 0; i < len(w); i++ {
		switch c := w[i]; {
		case 'a' <= c && c <= 'z':
			if digits > 0 {
				return false
			}
			letters++
		case '0' <= c && c <= '9':
			digits++
		default:
			return false
		}
	}
	return letters >= 1 && letters <= 4 && digits >= 3
}

// seedRequest finds "enter your ... seed phrase": a request verb aimed at the reader followed
// within five words by the name of a wallet secret.
func seedRequest(a *analysis) (Reason, bool) {
	for _, h := range a.hits {
		if h.class != phRequestYour || negated(a, h.firstTok) {
			continue
		}
		for _, s := range a.hits {
			if s.class == phSeed && s.firstTok >= h.end && s.firstTok-h.end <= 5 {
				w, why := 0.6, "asks for a wallet's secret"
				if a.has(phScamContext) || len(a.links) > 0 {
					w, why = 0.96, "asks for a wallet's secret and points somewhere to hand it over"
				}
				return reason(CodeSeedPhraseRequest, w, a.tokSpan(h.firstTok, s.end), "%s", why), true
			}
		}
	}
	return Reason{}, false
}

// supportNumberRule flags a phone number near "support" wording. A support engineer's
// signature has both, so the number alone is weak; helpline/toll-free wording, a brand that
// scams impersonate, or the number repeated make it the fake-support pattern.
func supportNumberRule(a *analysis, out []Reason) []Reason {
	if !a.has(phSupport) && !a.has(phSupportStrong) {
		return out
	}
	// A number inside a link is a path or a query (".../compare/4.17.15...4.17.19"), and
	// "support" inside an address (a bot's <support@github.com> sign-off) is no wording.
	inLink := func(start, end int) bool {
		for _, l := range a.links {
			if start < l.end && end > l.start {
				return true
			}
		}
		return false
	}
	phones := slices.DeleteFunc(findPhones(a.n.text, 20), func(ph span) bool { return inLink(ph.start, ph.end) })
	if len(phones) == 0 {
		return out
	}
	// Wording counts only near the number: a CERT advisory has a hotline at the bottom and
	// "support" three screens up.
	const near = 150
	best, bestW := span{}, 0.0
	for _, ph := range phones {
		support, strong := false, false
		for _, h := range a.hits {
			if h.class != phSupport && h.class != phSupportStrong {
				continue
			}
			pos := a.toks[h.firstTok].start
			if pos < ph.start-near || pos > ph.end+near || inLink(pos, a.toks[h.end-1].end) {
				continue
			}
			support = true
			strong = strong || h.class == phSupportStrong
		}
		if !support {
			continue
		}
		strength := 0
		if strong {
			strength++
		}
		if a.has(phBrand) {
			strength++
		}
		if len(phones) >= 2 {
			strength++
		}
		// One sign beside the number is also how a bug report about a phone library or a
		// telephony webhook reads ("our toll-free support hotline +1 800 …", a stack trace):
		// that much is cut on software talk, like the model. Two signs are a scam's shape.
		w := 0.3 * a.devTalk
		switch {
		case strength >= 2:
			w = 0.92
		case strength == 1:
			w = 0.6 * a.devTalk
		}
		if w > bestW {
			best, bestW = ph, w
		}
	}
	if bestW == 0 {
		return out
	}
	sp := a.n.origSpan(best.start, best.end)
	return append(out, reason(CodeFakeSupportNumber, bestW, sp, "phone number %s next to support wording", strings.TrimSpace(a.n.text[best.start:best.end])))
}

// findPhones finds runs of digits and separators that libphonenumber accepts as a valid number
// (US, GB or IN rules without a '+').
func findPhones(text string, limit int) []span {
	var out []span
	for i := 0; i < len(text) && len(out) < limit; {
		c := text[i]
		if !(c == '+' || c == '(' || '0' <= c && c <= '9') {
			i++
			continue
		}
		j, digits := i, 0
		for j < len(text) {
			d := text[j]
			if '0' <= d && d <= '9' {
				digits++
			} else if !(d == ' ' || d == '-' || d == '.' || d == '(' || d == ')' || d == '+' && j == i) {
				break
			}
			j++
			if digits > 15 {
				break
			}
		}
		cand := strings.TrimRight(text[i:j], " -.(")
		if digits >= 7 && digits <= 15 && validPhone(cand) {
			out = append(out, span{i, i + len(cand)})
		}
		if j == i {
			j++
		}
		i = j
	}
	return out
}

func validPhone(s string) bool {
	regions := []string{"US", "GB", "IN"}
	if strings.HasPrefix(s, "+") {
		regions = []string{"ZZ"}
	}
	for _, r := range regions {
		num, err := phonenumbers.Parse(s, r)
		if err == nil && phonenumbers.IsValidNumber(num) {
			return true
		}
	}
	return false
}

// negated reports whether the request verb at token i is negated in its own clause: "never
// share your seed phrase", "maintainers will never ask you to share your private key", "do
// not enter your recovery phrase" are the warnings crypto projects pin, not requests. A
// negator counts within five words before the verb with no punctuation between ("Don't
// worry, just send me your seed phrase" is still a request), and "don't hesitate to" is not
// a negation.
func negated(a *analysis, i int) bool {
	for k := i - 1; k >= 0 && k >= i-5; k-- {
		if strings.ContainsAny(a.n.text[a.toks[k].end:a.toks[k+1].start], ",.;:!?()\n") {
			return false
		}
		switch a.word(k) {
		case "hesitate":
			return false
		case "never", "not", "don't", "dont", "doesn't", "won't", "shouldn't", "nobody", "t":
			// "t" is the tail of "don’t" written with a typographic apostrophe.
			return true
		}
	}
	return false
}
