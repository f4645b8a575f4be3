package spam

import (
	"fmt"
	"strings"
)

// mentionAndGiveawayRules: mass @mentions are how airdrop scams reach hundreds of people from
// one comment, but a release note thanking twenty contributors has them too, so mentions count
// for little alone and for a lot next to giveaway or scam wording.
func mentionAndGiveawayRules(a *analysis, out []Reason) []Reason {
	mentions, first, last := countMentions(a.n.text)
	airdrop := a.counts[phAirdrop]
	scammy := airdrop > 0 || a.counts[phCryptoScam] > 0 || a.counts[phCryptoWeak] > 0
	if mentions >= 8 {
		w := 0.25
		if mentions >= 20 {
			w = 0.35
		}
		if scammy || len(a.links) > 0 && mentions >= 20 {
			w = 0.7
		}
		out = append(out, reason(CodeMassMentions, w, a.n.origSpan(first, last), "%d distinct @mentions", mentions))
	}
	if airdrop > 0 {
		w := 0.25
		switch {
		case mentions >= 5:
			w = 0.9
		case len(a.links) > 0 || a.has(phRequestYour) || a.counts[phCryptoWeak] > 0:
			w = 0.6
		}
		out = append(out, reason(CodeAirdropGiveaway, w, a.firstHit(phAirdrop), "airdrop or giveaway wording"))
	}
	return out
}

// countMentions counts distinct @logins (GitHub's rules: letters, digits, single hyphens, at
// most 39) not preceded by a word character, so e-mail addresses are not mentions. The set
// of logins is capped so 100k mentions cost linear time and bounded memory.
func countMentions(text string) (distinct, first, last int) {
	seen := map[string]struct{}{}
	total := 0
	for i := 0; i < len(text); i++ {
		if text[i] != '@' || i > 0 && (isAlnum(text[i-1]) || text[i-1] == '.' || text[i-1] == '_') {
			continue
		}
		j := i + 1
		for j < len(text) && j-i <= 40 && (isAlnum(text[j]) || text[j] == '-') {
			j++
		}
		if j == i+1 {
			continue
		}
		if total == 0 {
			first = i
		}
		total++
		last = j
		if len(seen) < 10000 {
			seen[text[i+1:j]] = struct{}{}
		}
		i = j - 1
	}
	return len(seen), first, last
}

func (c *Checker) wordingRules(a *analysis, out []Reason) []Reason {
	weak, self := a.counts[phPromo], a.counts[phSelfPromo]
	sold := a.counts[phGambling] + a.counts[phForSale] + gamblingInUnspacedScripts(a.n.text)
	premium, premiumSpan, premiumWhat := premiumText(a)
	contact, chatLinkOnly, contactSpan, contactWhat := offPlatformContact(a)
	switch {
	case contact && a.has(phOffer):
		// Selling work and moving the talk to a chat app, handle or number given: the
		// freelancer and "recovery" spam of code hosts. It speaks the developer's words
		// ("I can fix this issue for you"), so developer talk does not cut it.
		w := 0.7
		if self > 0 || premium || weak > 0 {
			w = 0.8
		}
		r := reason(CodePromotional, w, contactSpan, "offers work (%q) and %s", a.firstHitText(phOffer), contactWhat)
		r.firm = true
		out = append(out, r)
	case self > 0 || premium || sold > 0 || contact && !chatLinkOnly:
		// Firm promotion: comment spam's self-promotion ("subscribe to my channel", "sub4sub";
		// none of the YouTube corpus's 951 legitimate comments has it, 161 of its 1005 spam
		// comments do), premium-rate text's call to action, what comment spam sells, and a
		// request to move to a chat app. Not damped by the model, but cut on developer talk
		// like the model. The span is the first kind's, in that order.
		keep := 1.0
		var spans []span
		var what []string
		if self > 0 {
			w := 0.6
			if self+weak >= 2 {
				w = 0.75
			}
			keep *= 1 - w
			spans = append(spans, a.firstHit(phSelfPromo))
			what = append(what, fmt.Sprintf("self-promotion (%d phrases asking readers to visit or subscribe to the author's channel)", self))
		}
		if premium {
			keep *= 1 - 0.6
			spans = append(spans, premiumSpan)
			what = append(what, premiumWhat)
		}
		if sold > 0 {
			w := 0.6
			if sold >= 2 {
				w = 0.75
			}
			keep *= 1 - w
			if a.has(phGambling) {
				spans = append(spans, a.firstHit(phGambling))
			} else {
				spans = append(spans, a.firstHit(phForSale))
			}
			what = append(what, fmt.Sprintf("sells what comment spam sells: gambling, essays, game cheats, streams (%d phrases)", sold))
		}
		if contact && !chatLinkOnly {
			keep *= 1 - 0.45
			spans = append(spans, contactSpan)
			what = append(what, contactWhat)
		}
		r := reason(CodePromotional, (1-keep)*a.devTalk, spans[0], "%s", strings.Join(what, "; "))
		r.firm = true
		out = append(out, r)
	case weak > 0:
		w := 1.0
		for i := 0; i < weak && i < 6; i++ {
			w *= 0.78
		}
		// Cut on software talk like the model, which reads the same words: "the unsubscribe
		// link is broken" in a mailer's bug report counted twice, once here and once there.
		out = append(out, reason(CodePromotional, min(0.65, 1-w)*a.devTalk, a.firstHit(phPromo), "%d promotional phrases", weak))
	}
	if n := a.counts[phAdult]; n > 0 {
		w := 0.5
		if len(a.links) > 0 || n >= 2 {
			w = 0.85
		}
		out = append(out, reason(CodeAdult, w, a.firstHit(phAdult), "adult-content wording"))
	}
	return out
}

// unspacedGambling are gambling adverts' words in Chinese and Korean, which write words
// without spaces, so the phrase lists (one look-up per word) cannot see them inside
// "网络博彩" or "온라인카지노추천"; and the Russian for casino, inflected.
var unspacedGambling = []string{"博彩", "百家乐", "娱乐场", "彩金", "赌场", "真人视讯", "카지노", "바카라", "казино"}

// gamblingInUnspacedScripts counts the distinct unspacedGambling words in text, at most 3,
// when they read as an advert: two different ones, or one said three times or more. A
// casino game's bug report names "казино" once or twice.
func gamblingInUnspacedScripts(text string) int {
	distinct, total := 0, 0
	for _, w := range unspacedGambling {
		if n := strings.Count(text, w); n > 0 {
			distinct++
			total += n
		}
	}
	if distinct < 2 && total < 3 {
		return 0
	}
	return min(distinct, 3)
}

// chatLinkHosts open a chat with a person directly. Invitations to a community server
// (discord.gg) are not here: projects post their own.
var chatLinkHosts = map[string]string{"t.me": "Telegram", "telegram.me": "Telegram", "wa.me": "WhatsApp",
	"api.whatsapp.com": "WhatsApp", "signal.me": "Signal"}

// offPlatformContact finds a request to continue on a chat app that comes with the way to
// reach the writer: "contact me on Telegram @handle", "WhatsApp: +1 415 555 0198". "Ping me
// on Signal" without a handle or number is ordinary talk. A t.me or wa.me link also counts,
// but alone it may be a project's community group, so chatLinkOnly says so and only an
// offer of work makes it evidence.
func offPlatformContact(a *analysis) (found, chatLinkOnly bool, sp span, what string) {
	// The handle or number must follow the request closely: a signature three paragraphs
	// down is not part of it.
	const near = 80
	for _, h := range a.hits {
		if h.class != phContactApp {
			continue
		}
		start, end := a.toks[h.firstTok].start, a.toks[h.end-1].end
		tail := a.n.text[end:min(len(a.n.text), end+near)]
		if i := strings.IndexByte(tail, '@'); i >= 0 && i+1 < len(tail) && isHandleByte(tail[i+1]) {
			j := i + 1
			for j < len(tail) && isHandleByte(tail[j]) {
				j++
			}
			return true, false, a.n.origSpan(start, end+j), fmt.Sprintf("asks to continue in a chat app (%s %s)", a.n.text[start:end], tail[i:j])
		}
		if j := leadingNumber(tail); j > 0 {
			return true, false, a.n.origSpan(start, end+j), fmt.Sprintf("asks to continue in a chat app (%s %s)", a.n.text[start:end], strings.TrimSpace(strings.TrimLeft(tail[:j], ": ")))
		}
	}
	for _, l := range a.links {
		if app, ok := chatLinkHosts[l.host]; ok && !l.email {
			return true, true, a.linkSpan(l), "links a private " + app + " chat (" + l.host + ")"
		}
	}
	return false, false, span{}, ""
}

// leadingNumber is the end of a phone number at the start of s (after ": " or "at"), as
// chat-app numbers are written: +, digits, spaces, dashes, dots and brackets, 9 to 15 digits.
// libphonenumber is not asked: a chat handle needs no valid numbering plan.
func leadingNumber(s string) int {
	i := 0
	for i < len(s) && (s[i] == ' ' || s[i] == ':') {
		i++
	}
	digits, end := 0, 0
	for ; i < len(s); i++ {
		switch c := s[i]; {
		case '0' <= c && c <= '9':
			digits++
			end = i + 1
		case c == '+' && digits == 0, c == ' ', c == '-', c == '.', c == '(', c == ')':
		default:
			i = len(s)
		}
	}
	if digits < 9 || digits > 15 {
		return 0
	}
	return end
}

func isHandleByte(c byte) bool { return isAlnum(c) || c == '_' || c == '.' }

// premiumText finds the call to action of premium-rate text spam: a text to a short code
// ("text WIN to 87121", "reply STOP to 62468"), a UK national-rate number after "call"
// ("call 08712402972"), or a price per message ("150p/msg", "cost 25p per txt").
// Developer talk has none of these: a short code is five or six digits after "to", which an
// issue number ("#12345") or a year never is.
func premiumText(a *analysis) (found bool, sp span, what string) {
	for i := range a.toks {
		switch w := a.word(i); w {
		case "text", "txt", "texting", "txting", "reply", "replying", "sms": // not "send": "send SIGTERM to 12345" is a pid
			// A keyword between the verb and "to" ("text WIN to"): "reply to 54321" is a
			// reply to someone's comment.
			for j := i + 2; j+1 < len(a.toks) && j <= i+4; j++ {
				if a.word(j) == "to" && isShortCode(a.word(j+1)) && a.n.text[a.toks[j+1].start-1] != '#' {
					return true, a.tokSpan(i, j+2), "premium-rate text: asks for a text to short code " + a.word(j+1)
				}
			}
			// The service's keyword in capitals: "reply HARRY", "txt HORO", "replying GET". Only
			// in a short message, and only where the capitals stand out: "TEXT BACK" in a text
			// written all in capitals is shouting, not a keyword. Not after "text": in "the
			// label shows the text UNDEFINED" it is a noun.
			if i+1 < len(a.toks) && (w == "reply" || w == "replying" || w == "txt" || w == "txting") &&
				len(a.orig) <= 500 && !isServiceKeyword(a.origWord(i)) {
				if kw := a.origWord(i + 1); isServiceKeyword(kw) {
					return true, a.tokSpan(i, i+2), "premium-rate text: asks for the keyword " + kw
				}
			}
		case "call", "ring", "dial":
			if i+1 < len(a.toks) && isPremiumNumber(a.word(i+1)) {
				return true, a.tokSpan(i, i+2), "premium-rate text: asks to call national-rate number " + a.word(i+1)
			}
		default:
			if isPencePrice(w) {
				for j := max(0, i-3); j < len(a.toks) && j <= i+3; j++ {
					if perMessageWords[a.word(j)] {
						return true, a.tokSpan(i, i+1), "premium-rate text: a price per message (" + w + ")"
					}
				}
			}
		}
	}
	return false, span{}, ""
}

// isServiceKeyword: a word written in capitals, 3 to 10 letters, that is not one of the
// capitalised words of ordinary or developer talk ("reply ASAP", "reply LGTM").
func isServiceKeyword(w string) bool {
	if len(w) < 3 || len(w) > 10 || commonCapitals[w] {
		return false
	}
	for i := 0; i < len(w); i++ {
		if w[i] < 'A' || w[i] > 'Z' {
			return false
		}
	}
	return true
}

var commonCapitals = map[string]bool{
	"ASAP": true, "LGTM": true, "PTAL": true, "ACK": true, "NACK": true, "WIP": true, "TBD": true,
	"FYI": true, "YES": true, "TODO": true, "FIXME": true, "API": true, "URL": true, "CLI": true,
	"AFAIK": true, "IMO": true, "IMHO": true, "THANKS": true, "PLEASE": true,
	"THE": true, "AND": true, "YOU": true, "ALL": true, "NOT": true, "HTTP": true, "JSON": true,
	"SSH": true, "DNS": true, "TLS": true, "SMTP": true, "SMS": true, "OTP": true, "PIN": true,
}

var perMessageWords = map[string]bool{"msg": true, "msgs": true, "txt": true, "txts": true, "sms": true, "min": true, "mins": true, "rcv": true, "std": true, "text": true, "cost": true, "costs": true, "pmsg": true}

// isShortCode: five or six digits, optionally run into letters as texts do ("69888nyt").
func isShortCode(w string) bool {
	n := leadingDigits(w)
	return n == 5 || n == 6
}

// isPremiumNumber: a UK national-rate number (087…, 11 digits), optionally run into letters
// ("08704439680ts"). UK premium numbers (09…) are not read: Philippine mobile numbers have
// the same shape (0917 123 4567), and a signature's phone number is not spam.
func isPremiumNumber(w string) bool {
	return leadingDigits(w) == 11 && strings.HasPrefix(w, "087")
}

func leadingDigits(w string) int {
	n := 0
	for n < len(w) && isDigit(w[n]) {
		n++
	}
	return n
}

// isPencePrice: "150p", "25p": one to three digits and a p, but not a video resolution.
func isPencePrice(w string) bool {
	return len(w) >= 2 && len(w) <= 4 && w[len(w)-1] == 'p' && allDigits(w[:len(w)-1]) && !videoResolutions[w]
}

var videoResolutions = map[string]bool{"144p": true, "240p": true, "360p": true, "480p": true, "576p": true, "720p": true}

// obfuscationRule: invisible characters inside words and words that mix Latin with
// lookalike letters of another script. Text wholly in Cyrillic, Greek or CJK is not
// obfuscated; one word that is half Latin and half Cyrillic is.
func obfuscationRule(a *analysis, out []Reason) []Reason {
	var mixed []token
	var skeletons []string
	for _, t := range a.toks {
		w := a.n.text[t.start:t.end]
		// A homoglyph word keeps some plain Latin letters ("mеtamask"); words with none
		// (all Cyrillic, all CJK) or nothing else (all ASCII) skip the script look-ups.
		if isASCII(w) || !hasASCIILetter(w) {
			continue
		}
		if sk, ok := mixedScriptLookalike(w); ok {
			mixed = append(mixed, t)
			if len(skeletons) < 3 {
				skeletons = append(skeletons, sk)
			}
			if len(mixed) >= 50 {
				break
			}
		}
	}
	inv := len(a.n.invisibleInWord)
	if inv == 0 && len(mixed) == 0 {
		return out
	}
	w := 0.0
	var sp span
	var parts []string
	if inv > 0 {
		w = 0.45
		if inv >= 3 {
			w = 0.6
		}
		sp = a.n.invisibleInWord[0]
		parts = append(parts, fmt.Sprintf("%d invisible characters inside words", inv))
	}
	if len(mixed) > 0 {
		mw := 0.5
		if len(mixed) >= 3 {
			mw = 0.7
		}
		w = 1 - (1-w)*(1-mw)
		if inv == 0 {
			sp = a.n.origSpan(mixed[0].start, mixed[0].end)
		}
		parts = append(parts, fmt.Sprintf("%d words mix Latin with lookalike letters (reads as %q)", len(mixed), strings.Join(skeletons, ", ")))
	}
	return append(out, reason(CodeObfuscation, w, sp, "%s", strings.Join(parts, "; ")))
}

func hasASCIILetter(s string) bool {
	for i := 0; i < len(s); i++ {
		if isASCIILetter(s[i]) {
			return true
		}
	}
	return false
}
