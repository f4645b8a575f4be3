package spam

import (
	_ "embed"
	"encoding/json"
	"fmt"
	"net"
	"sort"
	"strings"
	"unicode/utf8"

	"golang.org/x/net/idna"
	"golang.org/x/net/publicsuffix"
)

//go:embed data/eth-phishing-detect/config.json
var ethPhishingConfig []byte

// domainLists answers "is this host phishing, a lookalike of a protected brand, or a domain
// developers link every day". It is built once and read concurrently.
type domainLists struct {
	block      map[string]struct{} // eth-phishing-detect blacklist
	ethAllow   map[string]struct{} // eth-phishing-detect whitelist: beats the blocklist
	allow      map[string]struct{} // ethAllow + devDomains + brands: exempt from the lookalike checks
	fuzzy      []string            // eth-phishing-detect fuzzylist in its "fuzzy form" (no TLD)
	fuzzyFull  []string
	tolerance  int
	dev        map[string]struct{} // links here are ordinary developer talk
	known      map[string]struct{} // dev + socialDomains: links here are not link spam
	shorteners map[string]struct{}
	fileHosts  map[string]struct{}
	brands     []brand
}

type brand struct {
	domain string // registrable domain, e.g. github.com
	label  string // the part before the public suffix, e.g. github
	skel   string // TR39 skeleton of label
}

func loadDomainLists() (*domainLists, error) {
	var cfg struct {
		Tolerance int      `json:"tolerance"`
		Fuzzylist []string `json:"fuzzylist"`
		Whitelist []string `json:"whitelist"`
		Blacklist []string `json:"blacklist"`
	}
	if err := json.Unmarshal(ethPhishingConfig, &cfg); err != nil {
		return nil, fmt.Errorf("reading the embedded eth-phishing-detect list: %w", err)
	}
	l := &domainLists{
		block:      make(map[string]struct{}, len(cfg.Blacklist)),
		ethAllow:   make(map[string]struct{}, len(cfg.Whitelist)),
		allow:      make(map[string]struct{}, len(cfg.Whitelist)+len(devDomains)),
		tolerance:  cfg.Tolerance,
		dev:        setOf(devDomains),
		known:      setOf(append(append([]string(nil), devDomains...), socialDomains...)),
		shorteners: setOf(shortenerDomains),
		fileHosts:  setOf(fileHostDomains),
	}
	for _, d := range cfg.Blacklist {
		l.block[strings.ToLower(d)] = struct{}{}
	}
	for _, d := range cfg.Whitelist {
		l.ethAllow[strings.ToLower(d)] = struct{}{}
	}
	for _, list := range [][]string{cfg.Whitelist, devDomains, socialDomains, brandDomains, shortenerDomains, fileHostDomains} {
		for _, d := range list {
			l.allow[strings.ToLower(d)] = struct{}{}
		}
	}
	for _, d := range cfg.Fuzzylist {
		d = strings.ToLower(d)
		if i := strings.LastIndexByte(d, '.'); i > 0 {
			l.fuzzy = append(l.fuzzy, d[:i])
			l.fuzzyFull = append(l.fuzzyFull, d)
			l.allow[d] = struct{}{}
		}
	}
	for _, d := range brandDomains {
		label := registrableLabel(d)
		l.brands = append(l.brands, brand{domain: d, label: label, skel: Skeleton(label)})
	}
	return l, nil
}

func setOf(list []string) map[string]struct{} {
	m := make(map[string]struct{}, len(list))
	for _, s := range list {
		m[s] = struct{}{}
	}
	return m
}

// inSet reports whether host or one of its parent domains is in set, the way
// eth-phishing-detect matches ("evil.metamask-io.com" is caught by "metamask-io.com").
func inSet(set map[string]struct{}, host string) (string, bool) {
	for h := host; h != ""; {
		if _, ok := set[h]; ok {
			return h, true
		}
		i := strings.IndexByte(h, '.')
		if i < 0 {
			break
		}
		h = h[i+1:]
	}
	return "", false
}

// registrableLabel is "github" for "gist.github.com" and "example" for "a.example.co.uk".
func registrableLabel(host string) string {
	reg, err := publicsuffix.EffectiveTLDPlusOne(host)
	if err != nil {
		return host
	}
	if i := strings.IndexByte(reg, '.'); i > 0 {
		return reg[:i]
	}
	return reg
}

type domainVerdict struct {
	kind   int    // domainNone, domainPhishing, domainLookalike, domainHomograph, domainFuzzy, domainCombo*
	target string // the blocklisted entry or the imitated brand
	lure   string // the word beside the brand, for domainCombo*
	// named is, for domainNone, a brand the host's name holds without being the brand's
	// (github-scanner.com). Not suspicious alone: github-readme-stats is a real project; in a
	// "security alert" it is the impostor's mark (linkRules).
	named string
}

const (
	domainNone = iota
	domainPhishing
	domainHomograph
	domainLookalike
	domainFuzzy
	domainComboMoney // a wallet or payment brand next to a lure word
	domainComboDev   // another brand next to a narrower lure word
)

// check classifies one host (lower-case, no port). The order is eth-phishing-detect's:
// its allowlist, then its blocklist, then the fuzzy checks. Our own developer and brand
// domains only exempt a host from the fuzzy checks, because the blocklist rightly lists
// phishing pages hosted on github.io or netlify.app.
func (l *domainLists) check(host string) domainVerdict {
	host = strings.TrimSuffix(host, ".")
	if host == "" || net.ParseIP(host) != nil {
		return domainVerdict{}
	}
	unicodeHost := host
	if strings.Contains(host, "xn--") {
		if u, err := idna.Punycode.ToUnicode(host); err == nil {
			unicodeHost = u
		}
	}
	asciiHost := host
	if !isASCII(host) {
		if a, err := idna.Punycode.ToASCII(host); err == nil {
			asciiHost = a
		}
	}
	if _, ok := inSet(l.ethAllow, asciiHost); ok {
		return domainVerdict{}
	}
	if hit, ok := inSet(l.block, asciiHost); ok {
		return domainVerdict{kind: domainPhishing, target: hit}
	}
	if hit, ok := inSet(l.block, unicodeHost); ok {
		return domainVerdict{kind: domainPhishing, target: hit}
	}
	if _, ok := inSet(l.allow, asciiHost); ok && !isTenantSite(asciiHost) {
		return domainVerdict{}
	}
	label := registrableLabel(unicodeHost)
	// A non-ASCII host whose skeleton spells a brand is an IDN homograph ("gіthub.com").
	if !isASCII(unicodeHost) {
		sk := Skeleton(label)
		for _, b := range l.brands {
			if sk == b.skel {
				return domainVerdict{kind: domainHomograph, target: b.domain}
			}
		}
	}
	if isASCII(label) {
		for _, b := range l.brands {
			tol := brandTolerance(len(b.label))
			if tol == 0 || label == b.label || abs(len(label)-len(b.label)) > tol {
				continue
			}
			if levenshteinWithin(label, b.label, tol) {
				return domainVerdict{kind: domainLookalike, target: b.domain}
			}
		}
	}
	// eth-phishing-detect's own fuzzy rule: the host without its TLD (and without "www.")
	// within `tolerance` edits of a protected name.
	fuzzyForm := strings.TrimPrefix(asciiHost, "www.")
	if i := strings.LastIndexByte(fuzzyForm, '.'); i > 0 {
		fuzzyForm = fuzzyForm[:i]
		for k, target := range l.fuzzy {
			if abs(len(fuzzyForm)-len(target)) > l.tolerance {
				continue
			}
			if levenshteinWithin(fuzzyForm, target, l.tolerance) {
				return domainVerdict{kind: domainFuzzy, target: l.fuzzyFull[k]}
			}
		}
	}
	if b, lure, money := comboSquat(asciiHost); b != "" {
		kind := domainComboDev
		if money {
			kind = domainComboMoney
		}
		return domainVerdict{kind: kind, target: b, lure: lure}
	}
	if isTenantSite(asciiHost) {
		// A project's own site on a hosting platform (github-readme-stats.vercel.app) is named
		// after the platform it serves; the campaigns buy domains of their own.
		return domainVerdict{}
	}
	return domainVerdict{named: brandNamed(asciiHost)}
}

// brandNamed returns the brand a host's name holds as a word of its own (github-scanner.com,
// scan.github-alerts.io) or joined to another (githubscanner.com), the public suffix aside.
// The brand's own domains and allowlisted ones were answered before this is asked. The
// brand's name alone on another suffix (google.co.uk, github.dev, paypal.me) is the brand's,
// as the lookalike checks take it too: brands hold their name under many suffixes.
func brandNamed(host string) string {
	own := registrableLabel(host)
	for _, t := range nameWords(withoutPublicSuffix(host)) {
		if _, ok := comboBrands[t]; ok && t != own {
			return t
		}
		for _, b := range comboJoinable {
			if len(t) > len(b) && (strings.HasPrefix(t, b) || strings.HasSuffix(t, b)) {
				return b
			}
		}
	}
	return ""
}

// comboSquat finds a brand name next to a lure word in a domain the brand does not own
// (metamask-support-desk.com, github.com.login-verify.net, binancewallet.app), the most
// common shape of phishing domains ("combosquatting", Kintis et al., CCS 2017). The brand's
// own domains and every allowlisted domain were answered before this is asked. A brand
// alone is not enough: uniswap-analytics.xyz and github-readme-stats are real projects.
// money reports a wallet, exchange or payment brand.
func comboSquat(host string) (brandName, lure string, money bool) {
	return brandBesideLure(withoutPublicSuffix(host))
}

// withoutPublicSuffix is host without its public suffix: "login.metamask-support" for
// login.metamask-support.co.uk.
func withoutPublicSuffix(host string) string {
	suffix, _ := publicsuffix.PublicSuffix(host)
	return strings.TrimSuffix(strings.TrimSuffix(host, suffix), ".")
}

// nameWords splits a domain name or an address's local part at dots, hyphens and underscores.
func nameWords(name string) []string {
	return strings.FieldsFunc(name, func(r rune) bool { return r == '.' || r == '-' || r == '_' })
}

// brandBesideLure is comboSquat's test on a name split at dots, hyphens and underscores: a
// domain without its public suffix, or the local part of an e-mail address.
func brandBesideLure(rest string) (brandName, lure string, money bool) {
	var tier brandTier
	// strongLure is the first lure that counts beside any brand, wherever it stands:
	// github-security-alert.com as well as github-alert-security.com.
	var strongLure string
	for _, t := range nameWords(rest) {
		if bt, ok := comboBrands[t]; ok {
			if brandName == "" {
				brandName, tier = t, bt
			}
			continue
		}
		if strong, ok := comboLures[t]; ok {
			if lure == "" {
				lure = t
			}
			if strong && strongLure == "" {
				strongLure = t
			}
			continue
		}
		// Written together: metamasksupport, supportmetamask. Only distinctive names of six
		// letters or more: "apple" ends "pineapple".
		for _, b := range comboJoinable {
			other, ok := strings.CutPrefix(t, b)
			if !ok {
				other, ok = strings.CutSuffix(t, b)
			}
			if _, lureOK := comboLures[other]; ok && lureOK && brandName == "" {
				brandName, tier, lure = b, comboBrands[b], other
				if comboLures[other] && strongLure == "" {
					strongLure = other
				}
			}
		}
	}
	if brandName == "" || lure == "" {
		return "", "", false
	}
	if tier != moneyDistinct {
		if strongLure == "" {
			return "", "", false
		}
		lure = strongLure
	}
	return brandName, lure, tier != devBrand
}

type brandTier int

const (
	devBrand      brandTier = iota // a platform developers use: narrow lures, weaker reason
	moneyWord                      // a wallet or exchange whose name is also a word (ledger, kraken): narrow lures
	moneyDistinct                  // a wallet, exchange or payment name nothing else uses: every lure
)

var comboBrands = map[string]brandTier{
	"metamask": moneyDistinct, "coinbase": moneyDistinct, "binance": moneyDistinct, "paypal": moneyDistinct,
	"opensea": moneyDistinct, "uniswap": moneyDistinct, "trezor": moneyDistinct, "trustwallet": moneyDistinct,
	"walletconnect": moneyDistinct, "etherscan": moneyDistinct, "kucoin": moneyDistinct, "bybit": moneyDistinct,
	"pancakeswap": moneyDistinct, "venmo": moneyDistinct, "cashapp": moneyDistinct,
	"ledger": moneyWord, "kraken": moneyWord, "phantom": moneyWord, "exodus": moneyWord, "robinhood": moneyWord,
	"blockchain": moneyWord, "arbitrum": moneyWord,
	"github": devBrand, "gitlab": devBrand, "bitbucket": devBrand, "npmjs": devBrand, "pypi": devBrand,
	"dockerhub": devBrand, "microsoft": devBrand, "office365": devBrand, "outlook": devBrand, "icloud": devBrand,
	"apple": devBrand, "google": devBrand, "discord": devBrand, "steam": devBrand, "steamcommunity": devBrand,
	"telegram": devBrand, "whatsapp": devBrand, "roblox": devBrand,
}

// comboJoinable are the brands recognised when written together with a lure, sorted so
// that the answer does not depend on map order.
var comboJoinable = func() []string {
	var out []string
	for b, t := range comboBrands {
		if t == moneyDistinct && len(b) >= 6 || b == "github" {
			out = append(out, b)
		}
	}
	sort.Strings(out)
	return out
}()

// comboLures are the words that, next to a distinctive wallet or payment name, make a domain
// a phishing page. Those marked true do it next to any brand; the others ("support",
// "security", "service") beside "ledger" or "github" are also real businesses and tools
// (general-ledger-service, github-security-scanner).
var comboLures = map[string]bool{
	"login": true, "signin": true, "verify": true, "verification": true, "auth": true,
	"account": true, "accounts": true, "helpdesk": true, "recovery": true, "recover": true,
	"unlock": true, "claim": true, "reward": true, "rewards": true, "airdrop": true, "gift": true,
	"gifts": true, "bonus": true, "wallet": true, "alert": true, "alerts": true, "suspended": true,
	"billing": true, "payment": true, "nitro": true, "giveaway": true,

	"support": false, "help": false, "desk": false, "service": false, "services": false,
	"care": false, "customer": false, "secure": false, "security": false, "wallets": false,
	"claims": false, "airdrops": false, "connect": false, "sync": false, "restore": false,
	"validate": false, "validation": false, "rectify": false, "official": false, "update": false,
	"dapp": false, "dapps": false, "refund": false, "live": false, "chat": false, "team": false,
	"promo": false, "migrate": false, "migration": false, "portal": false, "fix": false,
	"resolve": false, "free": false,
}

// freeMail are mail services where anyone can choose an address: a brand's support desk is
// never there, and ledger.support.desk@gmail.com poses as one.
var freeMail = map[string]bool{
	"gmail.com": true, "googlemail.com": true, "outlook.com": true, "hotmail.com": true,
	"live.com": true, "yahoo.com": true, "aol.com": true, "icloud.com": true, "proton.me": true,
	"protonmail.com": true, "gmx.com": true, "zoho.com": true, "mail.com": true, "mail.ru": true,
	"yandex.ru": true, "yandex.com": true, "tutanota.com": true,
}

// freeMailImpostor finds a brand beside a lure in the local part of an address at a free mail
// service: ledger.support.desk@gmail.com, metamask_recovery_team@outlook.com.
func freeMailImpostor(l link) (brandName, lure string, money bool) {
	if !l.email || !freeMail[l.host] {
		return "", "", false
	}
	return brandBesideLure(strings.Map(func(r rune) rune {
		if r >= '0' && r <= '9' || r == '+' {
			return '.' // ledgersupport247@, ledger+support@
		}
		return r
	}, strings.ToLower(l.user)))
}

// brandTolerance is the edit distance at which a name still reads as the brand. Short names
// get none: "gitlab" is two edits from "github" and both are real.
func brandTolerance(n int) int {
	switch {
	case n < 6:
		return 0
	case n < 10:
		return 1
	}
	return 2
}

func isASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= utf8.RuneSelf {
			return false
		}
	}
	return true
}

func abs(x int) int {
	if x < 0 {
		return -x
	}
	return x
}

// levenshteinWithin reports whether the edit distance of a and b (bytes) is at most k. Both
// are host labels, a few dozen bytes, so two rows of ints are enough.
func levenshteinWithin(a, b string, k int) bool {
	if len(a) > 64 || len(b) > 64 {
		return false
	}
	var prevBuf, curBuf [65]int
	prev, cur := prevBuf[:len(b)+1], curBuf[:len(b)+1]
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		rowMin := cur[0]
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
			rowMin = min(rowMin, cur[j])
		}
		if rowMin > k {
			return false
		}
		prev, cur = cur, prev
	}
	return prev[len(b)] <= k
}

// devDomains are where developers link every day: links there do not count as link spam,
// as a new account's links, or as lookalikes, and they mark a text as developer talk.
var devDomains = []string{
	"github.com", "githubusercontent.com", "github.io", "github.blog", "githubassets.com", "githubstatus.com",
	"githubnext.com", "githubapp.com", "github.dev", "gitlab.com",
	"gitlab.io", "bitbucket.org", "atlassian.net", "atlassian.com", "sourceforge.net", "codeberg.org",
	"stackoverflow.com", "stackexchange.com", "superuser.com", "serverfault.com", "askubuntu.com",
	"golang.org", "go.dev", "python.org", "pypi.org", "readthedocs.io", "readthedocs.org", "npmjs.com",
	"npmjs.org", "nodejs.org", "nodejs.dev", "mozilla.org", "w3.org", "whatwg.org", "ietf.org",
	"rfc-editor.org", "rust-lang.org", "crates.io", "docs.rs", "docker.com", "docker.io", "kubernetes.io",
	"k8s.io", "helm.sh", "terraform.io", "hashicorp.com", "pulumi.com", "aws.amazon.com", "amazonaws.com",
	"aws.dev", "docs.microsoft.com", "devblogs.microsoft.com", "visualstudio.com", "azure.com",
	"developers.google.com", "cloud.google.com", "firebase.google.com", "googleapis.com",
	"googlesource.com", "golang.google.cn", "developer.apple.com", "android.com", "wikipedia.org", "wikimedia.org",
	"wordpress.org", "drupal.org", "php.net", "ruby-lang.org", "rubygems.org", "packagist.org", "nuget.org",
	"maven.apache.org", "apache.org", "eclipse.org", "jetbrains.com", "kotlinlang.org",
	"ethereum.org", "soliditylang.org", "openzeppelin.com", "etherscan.io", "ethers.org", "web3js.org",
	"wagmi.sh", "viem.sh", "hardhat.org", "trufflesuite.com", "paradigm.xyz", "infura.io", "alchemy.com",
	"solana.com", "bitcoin.org", "bitcoincore.org", "jsfiddle.net", "codepen.io", "codesandbox.io",
	"sentry.io", "grafana.com", "prometheus.io", "opentelemetry.io", "cncf.io", "apache.org", "eclipse.org",
	"gnu.org", "kernel.org", "debian.org", "ubuntu.com", "archlinux.org", "fedoraproject.org", "redhat.com",
	"oracle.com", "spring.io", "gradle.org", "maven.org", "jetbrains.com", "vercel.com", "vercel.app",
	"netlify.app", "netlify.com", "heroku.com", "cloudflare.com", "example.com", "example.org",
	"example.net", "ycombinator.com", "arxiv.org", "doi.org", "semver.org", "json-schema.org", "yaml.org", "regex101.com",
	"godbolt.org", "rubygems.org", "ruby-lang.org", "php.net", "packagist.org", "nuget.org",
	"cppreference.com", "llvm.org", "cmake.org", "postgresql.org", "redis.io", "mysql.com", "mongodb.com",
	"sqlite.org", "elastic.co", "nginx.org", "nginx.com", "letsencrypt.org", "owasp.org", "cve.org",
	"mitre.org", "nist.gov", "snyk.io", "codecov.io", "coveralls.io", "circleci.com", "travis-ci.com",
	"travis-ci.org", "jenkins.io", "shields.io", "fury.io", "goreportcard.com", "sonarcloud.io",
	"gitbook.io", "metamask.io", "pkg.go.dev", "typescriptlang.org", "reactjs.org", "react.dev",
	"vuejs.org", "angular.io", "svelte.dev", "nextjs.org", "deno.land", "deno.com", "bun.sh", "jestjs.io",
	"vitest.dev", "eslint.org", "prettier.io", "babeljs.io", "webpack.js.org", "vitejs.dev",
	"pytorch.org", "tensorflow.org", "numpy.org", "pandas.pydata.org", "pydata.org", "scipy.org",
	"jupyter.org", "anaconda.org", "conda.io", "pytest.org", "djangoproject.com", "palletsprojects.com",
	"fastapi.tiangolo.com", "kotlinlang.org", "swift.org", "dart.dev", "flutter.dev", "haskell.org",
	"erlang.org", "elixir-lang.org", "hex.pm", "ocaml.org", "scala-lang.org", "clojure.org", "julialang.org",
	"r-project.org", "cran.r-project.org", "perl.org", "cpan.org", "lua.org", "ziglang.org", "nixos.org",
	"brew.sh", "chocolatey.org", "snapcraft.io", "flathub.org", "quay.io", "ghcr.io", "gcr.io", "ecr.aws",
	"azurecr.io", "mcr.microsoft.com", "learn.microsoft.com", "developer.mozilla.org", "web.dev",
	"chromium.org", "chrome.com", "webkit.org", "caniuse.com", "bugzilla.mozilla.org", "launchpad.net",
	"freedesktop.org", "gnome.org", "kde.org", "zenodo.org", "figshare.com", "kaggle.com",
	"huggingface.co", "openai.com", "anthropic.com", "ollama.com", "mit.edu", "stanford.edu",
}

// socialDomains are sites everyone links (video, blogs, social networks, the big platforms).
// Links there are not link spam by themselves, but unlike devDomains they are no sign of
// developer talk: they are also where comment spam points (plus.google.com, play.google.com).
// The platforms' developer sites (cloud.google.com, developer.apple.com, …) are devDomains.
var socialDomains = []string{
	"google.com", "amazon.com", "apple.com", "microsoft.com",
	"youtube.com", "youtu.be", "medium.com", "dev.to", "hashnode.dev", "substack.com", "twitter.com",
	"x.com", "linkedin.com", "reddit.com", "discord.com", "slack.com", "mailchimp.com",
	// Community invitations: projects post their own servers and groups.
	"discord.gg", "discordapp.com", "matrix.to", "gitter.im", "zulipchat.com",
}

// brandDomains are the names worth imitating in a developer community: code hosts, package
// registries, exchanges and wallets. Their lookalikes are flagged by edit distance and by
// skeleton; eth-phishing-detect's fuzzylist adds MetaMask's own set.
var brandDomains = []string{
	"github.com", "gitlab.com", "bitbucket.org", "npmjs.com", "pypi.org", "docker.com", "google.com",
	"microsoft.com", "apple.com", "paypal.com", "amazon.com", "coinbase.com", "binance.com",
	"metamask.io", "opensea.io", "uniswap.org", "ledger.com", "trezor.io", "kraken.com",
	"blockchain.com", "trustwallet.com", "phantom.app", "discord.com", "telegram.org",
	"whatsapp.com", "facebook.com", "instagram.com", "youtube.com", "twitter.com", "linkedin.com",
	"dropbox.com", "netflix.com", "steamcommunity.com", "steampowered.com", "roblox.com",
	"stackoverflow.com", "walletconnect.com", "etherscan.io", "kucoin.com", "bybit.com",
	"crypto.com", "robinhood.com", "outlook.com", "office.com", "icloud.com", "vercel.com",
}

var shortenerDomains = []string{
	"bit.ly", "bitly.com", "tinyurl.com", "t.co", "goo.gl", "ow.ly", "is.gd", "v.gd", "buff.ly",
	"cutt.ly", "rebrand.ly", "shorturl.at", "rb.gy", "t.ly", "tiny.cc", "s.id", "bit.do", "soo.gd",
	"shorte.st", "adf.ly", "lnkd.in", "tr.im", "cli.gs", "qr.net", "x.co", "clck.ru", "u.to", "surl.li",
	"shorturl.asia", "short.io", "tiny.one", "shrtco.de", "shrinkme.io", "ouo.io", "gg.gg", "v.ht",
	"2no.co", "urlz.fr", "tinu.be", "hyperurl.co", "dub.sh", "kutt.it", "linktr.ee", "lnk.bio", "bl.ink",
}

// fileHostDomains are where "free download" lures park their payloads.
var fileHostDomains = []string{
	"mediafire.com", "mega.nz", "mega.io", "anonfiles.com", "gofile.io", "sendspace.com",
	"zippyshare.com", "4shared.com", "uploadhaven.com", "pixeldrain.com", "workupload.com",
	"transfer.sh", "catbox.moe", "krakenfiles.com", "dosya.co", "uptobox.com", "rapidgator.net",
	"nitroflare.com", "turbobit.net", "upload.ee", "file.io", "filetransfer.io", "bayfiles.com",
}

// hostingPlatforms are developer domains under which anyone can publish a site of their own
// (metamask-dapps-support.vercel.app, a bucket on s3.amazonaws.com). A project's own pages
// there are developer talk; a site named after a brand and a lure is where wallet-support and
// login phishing pages are parked.
var hostingPlatforms = []string{"github.io", "gitlab.io", "vercel.app", "netlify.app", "gitbook.io",
	"codesandbox.io", "readthedocs.io", "amazonaws.com"}

// isTenantSite reports a strict subdomain of a hosting platform: someone's own site there.
// Such a site gets no exemption from the domain checks for its platform's sake.
func isTenantSite(host string) bool {
	for _, p := range hostingPlatforms {
		if strings.HasSuffix(host, "."+p) {
			return true
		}
	}
	return false
}

// domainVerdicts runs the domain checks once for each host of links.
func (c *Checker) domainVerdicts(links []link) map[string]domainVerdict {
	if len(links) == 0 {
		return nil
	}
	out := make(map[string]domainVerdict, len(links))
	for _, l := range links {
		if _, ok := out[l.host]; !ok {
			out[l.host] = c.domains.check(l.host)
		}
	}
	return out
}

// hostedImpostor reports a tenant site that the domain checks found suspicious. It earns
// nothing from its platform's place among the developer domains: it is an off-site link, and
// no evidence of developer talk.
func (a *analysis) hostedImpostor(host string) bool {
	return isTenantSite(host) && a.verdicts[host].kind != domainNone
}
