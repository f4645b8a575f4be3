package spam

import (
	"fmt"
	"math"
	"slices"
	"strings"

	"github.com/nyaruka/phonenumbers"
)

// Phrase classes. Phrases are matched on normalised words, so "FREE", "ｆｒｅｅ" and "fr\u200bee"
// all read "free".
const (
	phSupport       = iota // someone offering support by phone
	phSupportStrong        // wording that real signatures do not use
	phBrand                // brands that fake-support scams impersonate
	phPayment              // moving money
	phCryptoScam           // the scam's own wording
	phCryptoWeak           // wording a scam uses and a developer sometimes does too
	phSeed                 // the secret that empties a wallet
	phRequestYour          // "enter your", "share your"
	phScamContext          // where the victim is sent to "fix" things
	phAirdrop
	phPromo
	phSelfPromo // asking readers to subscribe to or visit the author's own channel
	phGambling  // online gambling sites' own vocabulary
	phForSale   // what comment spam sells besides gambling: essays, game cheats, streams, spells
	phAdult
	phMalwareLure
	phPiracy // cracked-software pages' own words
	phSolana
	phContactApp // "contact me on Telegram": moving the conversation to a chat app
	phOffer      // "I can fix this for you", "for a quote": selling work to the reader
	phDev        // the vocabulary of software work
)

var phrases = newPhraseSet(map[int][]string{
	phDev: {
		"repo", "repository", "pr", "pull request", "commit", "merge", "merged", "rebase", "branch", "ci",
		"regression", "upstream", "changelog", "dependency", "dependencies", "readme", "lint", "linter",
		"refactor", "traceback", "stack trace", "panic", "maintainer", "maintainers", "repro", "reproduce",
		"reproducible", "fixture", "fixtures", "npm", "pip", "cargo", "golang", "typescript", "javascript",
		"kubernetes", "docker", "sdk", "cli", "runtime", "compile", "compiler", "exception", "undefined",
		"endpoint", "schema", "struct", "parser", "benchmark", "benchmarks", "pipeline", "localhost", "yaml",
		"github", "gitlab", "fork", "unit test|tests", "test suite", "the build", "the tests", "bisect",
		"deprecated", "deprecate", "env", "config", "api", "library", "contributors", "open source",
		"release", "releases", "release notes", "notifications", "onboarding", "walkthrough", "feedback",
		"docs", "documentation", "issue", "issues", "bug", "bugs", "feature request", "review", "reviewers",
		"patch", "workaround", "sponsors", "contributing", "roadmap", "milestone", "triage",
		"staging", "deploy", "deployed", "deployment", "rollout", "rollback", "hotfix", "credentials",
		"on call", "incident", "outage", "postmortem",
	},
	phSupport: {
		"support", "helpline", "help line", "hotline", "call us", "contact us", "help desk", "helpdesk",
		"customer service", "customer care", "customer support", "technical support", "tech support",
	},
	phSupportStrong: {
		"helpline", "help line", "hotline", "toll free", "tollfree", "toll-free", "customer care",
		"customer service number", "support number", "helpline number", "24 7", "24x7", "24hrs",
		"call now", "dial", "phone support", "support phone", "customer service phone",
	},
	phBrand: {
		"metamask", "coinbase", "binance", "trust wallet", "trustwallet", "paypal", "cash app", "cashapp",
		"quickbooks", "ledger live", "trezor", "exodus", "phantom wallet", "kraken", "robinhood",
		"blockchain.com", "crypto.com", "uphold", "amazon", "facebook", "instagram", "gmail", "yahoo",
		"outlook", "norton", "mcafee", "geek squad", "microsoft", "apple", "venmo", "zelle", "kucoin",
		"bybit", "okx", "airlines", "airline", "walletconnect", "opensea",
	},
	phPayment: {
		"send", "sending", "transfer", "deposit", "deposits", "pay", "payment", "donate", "fee", "fees",
		"recover", "refund", "withdraw", "withdrawal", "double", "invest", "investment",
		"profit", "profits", "claim", "reward", "rewards", "earn",
	},
	phCryptoScam: {
		"double your bitcoin|btc|eth|crypto|money|investment", "guaranteed profit|profits|returns|income",
		"investment platform", "trading platform", "recover your lost|stolen", "lost funds", "stolen funds",
		"funds recovery", "fund recovery", "crypto|bitcoin recovery", "recovery expert|agent|specialist|hacker",
		"wallet is compromised|suspended|locked|restricted", "wallet has been compromised|suspended|locked|restricted",
		"wallet validation|synchronization|rectification", "daily profit|profits|returns",
		"withdrawal fee", "unlock your funds|wallet|account", "trading expert|signals|mentor", "binary options",
		"investment plan|plans|package|packages", "earn daily|weekly|monthly", "withdraw anytime",
		"usdt|crypto|bitcoin investment", "get double back", "get 2x|10x", "back instantly",
		"forex trading", "crypto mining|investment", "bitcoin mining|investment", "recovered my lost|stolen",
		"helped me recover", "legit hacker", "hire a hacker", "contact him|her|them on whatsapp|telegram",
		"hack|hacking|hacker|recovery|cyber expert|experts", "hackers working",
		"easy profit|profits", "good profit|profits", "we help invest", "help you invest", "cloud mining platform|investment|company",
		"send bitcoin|btc|eth|usdt to", "my btc|eth|usdt|bitcoin|crypto address", "this wallet address",
		"deposit address", "earn $", "free bitcoin|btc|eth|crypto|usdt", "bitcoin|crypto giveaway",
		"invest with us|me|him|her|them", "account manager", "elon musk", "x2 your", "2x your",
	},
	phCryptoWeak: {
		"connect|sync|synchronize|validate|rectify|restore|verify your wallet",
		"migrate your tokens|wallet", "claim your tokens|reward|rewards|airdrop|nft|funds",
	},
	phSeed: {
		"seed phrase|phrases|words", "recovery phrase|phrases|words", "secret phrase", "secret recovery phrase",
		"mnemonic|mnemonics", "mnemonic phrase", "private key|keys", "12 word|words", "24 word|words",
		"wallet phrase", "wallet passphrase", "backup phrase",
	},
	phRequestYour: {
		"enter|provide|share|send|submit|input|import|paste|type|verify|validate|give|fill|drop|dm|input your",
		"enter|provide|share|send|submit|input|import|paste|type|give|fill in|fill|dm the", "send us your",
	},
	phScamContext: {
		"dapp", "rectify", "rectification", "validate", "validation", "synchronize", "synchronization",
		"live chat", "live support", "support ticket", "support team", "resolve this|your issue",
		"fix this|your issue", "google form", "whatsapp", "telegram", "complete the",
	},
	phAirdrop: {
		"airdrop*", "giveaway*", "give away", "free nft|nfts|tokens|token|crypto|eth|btc|usdt|bnb|sol|mint",
		"claim your|the reward|rewards|tokens|airdrop|nft|nfts|allocation", "whitelist spot|spots",
		"mint now", "free mint", "token distribution", "eligible wallets|wallet|users", "you are eligible",
		"first 100|500|1000", "limited spots",
	},
	phPromo: {
		"check out my|our channel|video|videos|page|music|song|new", "subscribe to my|our channel",
		"check my channel|video|videos|page", "please subscribe", "subscribe please", "buy now", "order now",
		"limited time", "limited offer", "special offer", "exclusive offer", "click here", "click the link",
		"free gift", "you have won", "you've won", "you won", "congratulations you", "winner", "prize",
		"earn money", "make money", "work from home", "100% free", "cheap", "best price", "discount",
		"promo code", "follow me", "followers", "backlinks", "seo services", "casino", "betting",
		"payday loan|loans", "viagra", "cialis", "weight loss", "dm me", "whatsapp me", "text me on",
		"call now", "free entry", "txt", "urgent", "claim now", "cash prize", "guaranteed", "unsubscribe",
		"opt out", "visit my|our website|site|page|store|shop", "sign up now", "act now", "free trial",
		"best quality", "lowest price", "buy cheap", "online pharmacy", "essay writing", "assignment help",
		"essay service|services|writer|writers|help", "write|do my essay|essays|homework|assignment|paper",
	},
	// The gambling waves that fill code hosts' issue trackers are Indonesian and Thai; none of
	// these words has another meaning in software talk.
	phGambling: {
		"gacor", "maxwin", "situs judi|slot|togel|toto", "judi online|slot|bola", "togel*",
		"bandar bola|togel|slot", "slot online", "bonus new member", "deposit pulsa", "scatter hitam",
		"สล็อต*", "บาคาร่า*", "เว็บตรง*", "mostbet", "1xbet", "melbet", "22bet", "betwinner", "free spins",
		"sports betting", "online casino|casinos", "casino bonus|bonuses|review|reviews", "no deposit bonus",
		"betting site|sites|platform", "casino enthusiasts",
	},
	// Sold in code hosts' comments with a link; the words have no software meaning (a game
	// mod author says "cheat", not "undetected aimbot").
	phForSale: {
		"write my assignment|assignments|essay|essays|paper|papers|dissertation|thesis",
		"do my assignment|assignments|essay|homework|paper", "assignment help|writing|writer|writers|service|services",
		"essay writing|writer|writers|service|services|obstacles|challenges", "dissertation help|writing|service|services",
		"homework help", "academic writing|pressure", "plagiarism free", "make my assignments",
		"free robux|vbucks|gems|diamonds", "free v bucks", "robux generator", "unlimited robux|gems|diamonds|coins",
		"gift card generator", "no human verification", "undetected|undetectable aimbot|cheat|cheats|hack|hacks|esp|wallhack|spoofer",
		"hwid spoofer", "full movie online|free|download|streaming|hd", "watch|download movies|series online free",
		"streaming the full movie", "123movies", "putlocker", "fmovies", "vashikaran", "black magic specialist|expert",
		"love problem solution", "kala jadu", "join illuminati", "join the|666 illuminati", "illuminati agent",
		// "Hackers" selling access to a partner's phone: a staple of code hosts' comment spam.
		"cheating husband|wife|spouse|partner|boyfriend|girlfriend", "catch a|my|your cheating",
		"remote access to my|his|her|your husband's|wife's|partner's|spouse's", "monitoring guru",
		"hack into his|her|my|your phone|whatsapp|instagram|facebook|icloud",
		"uc generator", "uc rp generator", "free uc", "steam gift card|cards generator|codes", "free generator",
		"mod apk download|unlimited", "apk mod unlimited", "unlimited money and|&|gems",
		"buy oxycodone|xanax|adderall|tramadol|percocet|valium|hydrocodone|ambien",
	},
	phSelfPromo: {
		"subscribe to my|our channel", "sub to my|our channel", "subscribe my channel", "check out my|our channel",
		"check my channel", "visit my channel", "go to my channel", "my youtube channel",
		"sub4sub", "sub 4 sub", "subscribe back", "like and subscribe",
		"subscribe and like", "plz subscribe", "pls subscribe", "subscribe plz|pls",
		"check out my music|song|songs|cover|covers|mixtape|track|tracks|vids|rap",
	},
	phAdult: {
		"porn", "porno", "pornhub", "nude|nudes", "sex chat|cam|cams|video|videos", "sexy girls|singles|women",
		"hot girls|singles|women", "escort|escorts", "onlyfans", "xxx videos|video|movies", "adult dating",
		"hookup|hookups", "camgirl|camgirls", "webcam girls", "horny", "nsfw pics", "leaked video|videos",
		"erotic chat|chats", "call girl|girls",
		"video leaked", "18 video|videos|content",
	},
	phMalwareLure: {
		"crack", "cracked", "keygen", "activator", "serial key", "license key", "free download",
		"download free", "mod apk", "hack tool", "cheat|cheats", "aimbot", "unlocker", "password", "pass",
		"free robux", "free vbucks", "setup.exe", "installer", "download link", "download here",
	},
	phPiracy: {
		"keygen", "full version", "serial key|keys|number", "license key|keys", "registration key|keys|code",
		"activation key|keys|code", "activator", "crack download", "cracked version", "free download",
		"download full", "portable version", "pre activated", "full crack", "crack free", "with crack",
	},
	phSolana: {"sol", "solana", "phantom"},
	phContactApp: {
		"contact|reach|message|text|ping|add|dm|call|find|hit me|us on|at|via whatsapp|telegram|signal|wechat|skype|viber|discord",
		"contact|reach|message|text|ping|add|dm|call|find|hit me|us up on|at|via whatsapp|telegram|signal|wechat|skype|viber",
		"my whatsapp|telegram|signal|wechat|skype|viber", "whatsapp|telegram|wechat|skype|viber me",
	},
	phOffer: {
		"i|we can fix|solve|resolve|handle|build|do this|it|that|your|the issue|bug|problem|project|task|work",
		"i|we can help you fix|solve|resolve|with this|it|that|your", "for a quote", "for a fee", "hire me|us",
		"affordable price|prices|rates", "at a low cost|price", "reasonable price|prices|rates", "paid service|services",
		"i am|i'm a freelancer|freelance developer", "available for hire",
	},
})

// analysis is everything the rules share about one text.
type analysis struct {
	orig   string
	n      normText
	toks   []token
	hits   []phraseHit
	links  []link
	counts [phDev + 1]int
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

// firstHitTextOf is the normalised words of hit h.
func (a *analysis) firstHitTextOf(h phraseHit) string {
	return a.n.text[a.toks[h.firstTok].start:a.toks[h.end-1].end]
}

// firstHitText is the normalised words of the first hit of class ("" when none).
func (a *analysis) firstHitText(class int) string {
	for _, h := range a.hits {
		if h.class == class {
			return a.n.text[a.toks[h.firstTok].start:a.toks[h.end-1].end]
		}
	}
	return ""
}

func (a *analysis) tokSpan(first, end int) span {
	return a.n.origSpan(a.toks[first].start, a.toks[end-1].end)
}

func (a *analysis) linkSpan(l link) span { return a.n.origSpan(l.start, l.end) }

// addOrMerge appends r, or, when a reason of its code is already there, folds r into it
// (noisy-OR of the weights, the stronger one's span, both details): one reason per code.
func addOrMerge(out []Reason, r Reason) []Reason {
	for i := range out {
		if out[i].Code == r.Code {
			if r.Weight > out[i].Weight {
				out[i].Span = r.Span
			}
			out[i].Weight = 1 - (1-out[i].Weight)*(1-r.Weight)
			out[i].Detail += "; " + r.Detail
			return out
		}
	}
	return append(out, r)
}

func reason(code string, w float64, sp span, format string, args ...any) Reason {
	return Reason{Code: code, Detail: fmt.Sprintf(format, args...), Span: [2]int{sp.start, sp.end}, Weight: w}
}

// reasons runs every rule and the model. With a history, the text is compared with recent
// ones and then remembered; evaluation passes none so a corpus is not compared with itself.
func (c *Checker) reasons(req Request, hist *history) []Reason {
	a := &analysis{orig: req.Text, n: normalize(req.Text)}
	a.toks = appendWords(make([]token, 0, len(a.n.text)/6+8), a.n.text)
	a.hits = phrases.find(nil, a.n.text, a.toks)
	for _, h := range a.hits {
		a.counts[h.class]++
	}
	a.links = extractLinks(a.n.text)
	a.devTalk = c.devTalkFactor(a)

	var out []Reason
	out = c.linkRules(a, req, out)
	out = cryptoRules(a, out)
	if sp, ok := fakeSupportDesk(a, c.domains.known); ok {
		out = addOrMerge(out, reason(CodeCryptoScam, 0.85, sp, "sends the reader to a wallet \"support desk\" off the platform (ticket id or live chat)"))
	}
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

// devEvidence is 0..1: how much the text reads as software work. It counts the words of the
// trade, inline code, links to developer sites and issue references.
func (c *Checker) devEvidence(a *analysis) float64 {
	score := float64(a.counts[phDev])
	score += float64(min(strings.Count(a.orig, "`"), 4))
	// Each developer site counts once: a mailing-list footer repeats its list's address, and
	// spam sent through a list carries that footer too.
	var devSites []string
	for _, l := range a.links {
		if isAttachment(l) {
			continue
		}
		if d, ok := inSet(c.domains.dev, l.host); ok && !slices.Contains(devSites, d) {
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
	if score == float64(a.counts[phDev]) && len(c.offsiteLinks(a)) > 0 {
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
	if i > 0 && (isAlnum(text[i-1]) || text[i-1] == '&') {
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

// offsiteLinks are links that are not to a developer domain; only they count as promotion.
func (c *Checker) offsiteLinks(a *analysis) []link {
	var out []link
	for _, l := range a.links {
		if l.email {
			continue
		}
		if _, ok := inSet(c.domains.known, l.host); ok {
			continue
		}
		out = append(out, l)
	}
	return out
}

func (c *Checker) linkRules(a *analysis, req Request, out []Reason) []Reason {
	offsite := c.offsiteLinks(a)
	checked := map[string]bool{}
	var shortener *link
	var payload *link
	for i := range a.links {
		l := &a.links[i]
		if !checked[l.host] {
			checked[l.host] = true
			v := c.domains.check(l.host)
			sp := a.linkSpan(*l)
			switch v.kind {
			case domainPhishing:
				out = append(out, reason(CodePhishingURL, 0.97, sp, "%s is on the eth-phishing-detect blocklist (%s)", l.host, v.target))
			case domainHomograph:
				out = append(out, reason(CodeLookalikeDomain, 0.92, sp, "%s uses lookalike characters to imitate %s", l.host, v.target))
			case domainLookalike:
				out = append(out, reason(CodeLookalikeDomain, 0.85, sp, "%s is one or two letters from %s", l.host, v.target))
			case domainFuzzy:
				out = append(out, reason(CodeLookalikeDomain, 0.6, sp, "%s is close to the protected domain %s", l.host, v.target))
			case domainComboMoney:
				out = append(out, reason(CodeLookalikeDomain, 0.85, sp, "%s puts the brand %q beside %q in a domain the brand does not own", l.host, v.target, v.lure))
			case domainComboDev:
				out = append(out, reason(CodeLookalikeDomain, 0.6, sp, "%s puts the brand %q beside %q in a domain the brand does not own", l.host, v.target, v.lure))
			}
		}
		if _, ok := inSet(c.domains.shorteners, l.host); ok && shortener == nil && !l.email {
			shortener = l
		}
		if payload == nil && !l.email && isPayloadLink(c, *l) {
			payload = l
		}
	}
	if shortener != nil {
		out = append(out, reason(CodeURLShortener, 0.35, a.linkSpan(*shortener), "link through the shortener %s hides where it goes", shortener.host))
	}
	if r, ok := piracyPage(a, offsite); ok && (payload == nil || !a.has(phMalwareLure)) {
		out = append(out, r)
	}
	if payload != nil && a.has(phMalwareLure) {
		out = append(out, reason(CodeMalwareDownload, 0.85, a.linkSpan(*payload), "download link %s next to crack/keygen/free-download wording", payload.host))
	} else if payload != nil && isExecutable(payload.path) {
		out = append(out, reason(CodeMalwareDownload, 0.4, a.linkSpan(*payload), "direct link to an executable on %s", payload.host))
	}

	// Link-heavy text: many off-site links with little else around them.
	if n := len(offsite); n >= 3 {
		linkBytes := 0
		hosts := map[string]bool{}
		for _, l := range offsite {
			linkBytes += l.end - l.start
			hosts[registrableOrHost(l.host)] = true
		}
		w := 0.0
		switch {
		case n >= 10:
			w = 0.75
		case n >= 6:
			w = 0.6
		case linkBytes*10 >= len(a.n.text)*3 || len(hosts) >= 3:
			w = 0.4
		}
		if w > 0 {
			sp := span{a.linkSpan(offsite[0]).start, a.linkSpan(offsite[n-1]).end}
			out = append(out, reason(CodeSEOLinkSpam, w, sp, "%d off-site links to %d domains", n, len(hosts)))
		}
	}

	if au := req.Author; au != nil && au.AccountAgeDays != nil && *au.AccountAgeDays < 7 && len(offsite) > 0 {
		w := 0.3
		if *au.AccountAgeDays <= 1 {
			w = 0.35
		}
		if au.PriorContributions != nil && *au.PriorContributions == 0 {
			w += 0.05
		}
		out = append(out, reason(CodeNewAccount, w, a.linkSpan(offsite[0]), "account is %d days old and posts off-site links", *au.AccountAgeDays))
	}
	return out
}

func registrableOrHost(host string) string {
	l := registrableLabel(host)
	if l == "" {
		return host
	}
	return l
}

// isPayloadLink: a file on a file-sharing host, or an executable or archive anywhere except
// the code hosts developers attach releases to.
// piracyPage finds the cracked-software post: two or more different words of the trade
// ("keygen", "full version", "license key", "free download") beside an off-site link, where the
// "download" is a page full of installers and ads rather than a file. "ssh-keygen" is a
// command, and one phrase alone ("set the license key") is ordinary talk. Cut on developer
// talk like the model.
func piracyPage(a *analysis, offsite []link) (Reason, bool) {
	if len(offsite) == 0 {
		return Reason{}, false
	}
	seen := map[string]bool{}
	first := -1
	for _, h := range a.hits {
		if h.class != phPiracy {
			continue
		}
		if w := a.firstHitTextOf(h); w == "keygen" && h.firstTok > 0 && a.word(h.firstTok-1) == "ssh" {
			continue
		}
		if first < 0 {
			first = h.firstTok
		}
		seen[a.firstHitTextOf(h)] = true
	}
	if len(seen) < 2 {
		return Reason{}, false
	}
	return reason(CodeMalwareDownload, 0.7*a.devTalk, a.tokSpan(first, first+1), "cracked-software wording (%d kinds) beside a link to %s", len(seen), offsite[0].host), true
}

func isPayloadLink(c *Checker, l link) bool {
	if _, ok := inSet(c.domains.fileHosts, l.host); ok {
		return true
	}
	if l.host == "drive.google.com" || l.host == "docs.google.com" || strings.HasSuffix(l.host, "dropbox.com") {
		return true
	}
	if _, ok := inSet(c.domains.dev, l.host); ok {
		return false
	}
	return isExecutable(l.path) || isArchive(l.path)
}

func pathExt(p string) string {
	if i := strings.IndexAny(p, "?#"); i >= 0 {
		p = p[:i]
	}
	if i := strings.LastIndexByte(p, '.'); i >= 0 && !strings.Contains(p[i:], "/") {
		return p[i+1:]
	}
	return ""
}

func isExecutable(p string) bool {
	switch pathExt(p) {
	case "exe", "scr", "msi", "bat", "cmd", "vbs", "jar", "apk", "dmg", "pkg", "ps1", "hta", "lnk", "iso", "com":
		return true
	}
	return false
}

func isArchive(p string) bool {
	switch pathExt(p) {
	case "zip", "rar", "7z":
		return true
	}
	return false
}

func cryptoRules(a *analysis, out []Reason) []Reason {
	scam, weak := a.counts[phCryptoScam], a.counts[phCryptoWeak]
	wallets := findWallets(a.orig, a.has(phSolana))

	if r, ok := seedRequest(a); ok {
		out = append(out, r)
	}

	if scam > 0 || weak > 0 {
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
		out = append(out, reason(CodeCryptoScam, w, a.firstHit(cls), "%d crypto-scam phrases", scam+weak))
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
func fakeSupportDesk(a *analysis, known map[string]struct{}) (span, bool) {
	desk, crypto := -1, false
	for _, h := range a.hits {
		switch h.class {
		case phScamContext:
			w := a.firstHitTextOf(h)
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
	if !crypto {
		return span{}, false
	}
	for _, l := range a.links {
		if l.email {
			continue
		}
		if _, ok := inSet(known, l.host); !ok {
			return a.tokSpan(desk, min(desk+2, len(a.toks))), true
		}
	}
	return span{}, false
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
		if h.class != phRequestYour {
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
	phones := findPhones(a.n.text, 20)
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
			if pos < ph.start-near || pos > ph.end+near {
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
		w := 0.3
		switch {
		case strength >= 2:
			w = 0.92
		case strength == 1:
			w = 0.6
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
	weak, self, gamble := a.counts[phPromo], a.counts[phSelfPromo], a.counts[phGambling]+a.counts[phForSale]
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
	case self > 0 || premium || gamble > 0 || contact && !chatLinkOnly:
		// Firm promotion: comment spam's self-promotion ("subscribe to my channel", "sub4sub";
		// none of the YouTube corpus's 951 legitimate comments has it, 161 of its 1005 spam
		// comments do) and premium-rate text's call to action. Not damped by the model, but
		// cut on developer talk like the model.
		keep, sp := 1.0, premiumSpan
		var what []string
		if self > 0 {
			w := 0.6
			if self+weak >= 2 {
				w = 0.75
			}
			keep *= 1 - w
			sp = a.firstHit(phSelfPromo)
			what = append(what, fmt.Sprintf("self-promotion (%d phrases asking readers to visit or subscribe to the author's channel)", self))
		}
		if premium {
			keep *= 1 - 0.6
			what = append(what, premiumWhat)
		}
		if gamble > 0 {
			w := 0.6
			if gamble >= 2 {
				w = 0.75
			}
			keep *= 1 - w
			if self == 0 && !premium {
				if a.has(phGambling) {
					sp = a.firstHit(phGambling)
				} else {
					sp = a.firstHit(phForSale)
				}
			}
			what = append(what, fmt.Sprintf("sells what comment spam sells: gambling, essays, game cheats, streams (%d phrases)", gamble))
		}
		if contact && !chatLinkOnly {
			keep *= 1 - 0.45
			if self == 0 && !premium && gamble == 0 {
				sp = contactSpan
			}
			what = append(what, contactWhat)
		}
		r := reason(CodePromotional, (1-keep)*a.devTalk, sp, "%s", strings.Join(what, "; "))
		r.firm = true
		out = append(out, r)
	case weak > 0:
		w := 1.0
		for i := 0; i < weak && i < 6; i++ {
			w *= 0.78
		}
		out = append(out, reason(CodePromotional, min(0.65, 1-w), a.firstHit(phPromo), "%d promotional phrases", weak))
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

func isHandleByte(c byte) bool {
	return 'a' <= c && c <= 'z' || '0' <= c && c <= '9' || c == '_' || c == '.' || 'A' <= c && c <= 'Z'
}

// premiumText finds the call to action of premium-rate text spam: a text to a short code
// ("text WIN to 87121", "reply STOP to 62468"), a UK national-rate number after "call"
// ("call 08712402972"), or a price per message ("150p/msg", "cost 25p per txt").
// Developer talk has none of these: a short code is five or six digits after "to", which an
// issue number ("#12345") or a year never is.
func premiumText(a *analysis) (found bool, sp span, what string) {
	word := func(i int) string { return a.n.text[a.toks[i].start:a.toks[i].end] }
	for i := range a.toks {
		switch w := word(i); w {
		case "text", "txt", "texting", "txting", "reply", "replying", "sms": // not "send": "send SIGTERM to 12345" is a pid
			// A keyword between the verb and "to" ("text WIN to"): "reply to 54321" is a
			// reply to someone's comment.
			for j := i + 2; j+1 < len(a.toks) && j <= i+4; j++ {
				if word(j) == "to" && isShortCode(word(j+1)) && a.n.text[a.toks[j+1].start-1] != '#' {
					return true, a.tokSpan(i, j+2), "premium-rate text: asks for a text to short code " + word(j+1)
				}
			}
		case "call", "ring", "dial":
			if i+1 < len(a.toks) && isPremiumNumber(word(i+1)) {
				return true, a.tokSpan(i, i+2), "premium-rate text: asks to call national-rate number " + word(i+1)
			}
		default:
			if isPencePrice(w) {
				for j := max(0, i-3); j < len(a.toks) && j <= i+3; j++ {
					if perMessageWords[word(j)] {
						return true, a.tokSpan(i, i+1), "premium-rate text: a price per message (" + w + ")"
					}
				}
			}
		}
	}
	return false, span{}, ""
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
