package spam

import (
	"strings"
	"sync"

	"mvdan.cc/xurls/v2"
)

// relaxedURL matches URLs with and without a scheme and bare e-mail addresses; strictURL only
// those with a scheme, with a far smaller program. xurls is RE2 underneath, so extraction is
// linear in the text.
// Compiled on first use: the expressions list every TLD and take tens of milliseconds to
// compile, which every other ciagent command would otherwise pay at start.
var (
	relaxedURL = sync.OnceValue(xurls.Relaxed)
	strictURL  = sync.OnceValue(xurls.Strict)
	// tlds holds xurls' own top-level domains, so the pre-check agrees with the expression.
	tlds = func() map[string]bool {
		m := make(map[string]bool, len(xurls.TLDs)+len(xurls.PseudoTLDs))
		for _, list := range [][]string{xurls.TLDs, xurls.PseudoTLDs} {
			for _, t := range list {
				m[strings.ToLower(t)] = true
			}
		}
		return m
	}()
)

// maxURLs bounds the per-text work: past this many links the text is link spam anyway.
const maxURLs = 2000

// link is one URL found in the normalised text.
type link struct {
	start, end int    // in the normalised text
	raw        string // as matched
	host       string // lower-case, no port, no userinfo, no trailing dot
	path       string // from the first '/' after the host, may be empty
	hasScheme  bool
	www        bool
	email      bool
	user       string // before the host's '@': an address's local part, or a URL's userinfo
}

// extractLinks finds URLs in normalised text. A match is kept only when it is plausibly a
// link: with a scheme, starting with "www.", or a bare host whose top-level domain is not
// also a common file extension (README.md, setup.py and main.rs are files, not Moldova,
// Paraguay and Serbia).
//
// xurls' relaxed expression (every TLD, case-insensitive) costs about a microsecond a byte in
// Go's NFA, so it only runs on the whitespace-separated words that could hold a bare domain: a
// URL has no spaces, and a word holds a bare domain only if a dot is followed by a known TLD.
// Words with "://" go to the much smaller strict expression first.
func extractLinks(text string) []link {
	var links []link
	for i := 0; i < len(text) && len(links) < maxURLs; {
		for i < len(text) && isSpaceByte(text[i]) {
			i++
		}
		j := i
		for j < len(text) && !isSpaceByte(text[j]) {
			j++
		}
		word := text[i:j]
		re := relaxedURL()
		switch {
		case strings.Contains(word, "://") && !hasBareDomain(stripSchemeURLs(word)):
			re = strictURL()
		case !hasBareDomain(word):
			re = nil
		}
		if re != nil {
			for _, m := range re.FindAllStringIndex(word, maxURLs-len(links)) {
				if m[0] > 0 && word[m[0]-1] == '.' {
					// A name right after a dot is a dotfile's (".env.example", "config/.env.local"),
					// not a host: no link or mail client reads ".host.tld" as one.
					continue
				}
				l, ok := parseLink(word[m[0]:m[1]])
				if !ok {
					continue
				}
				l.start, l.end = i+m[0], i+m[1]
				links = append(links, l)
			}
		}
		i = j
	}
	return links
}

func isSpaceByte(c byte) bool {
	return c == ' ' || c == '\n' || c == '\t' || c == '\r' || c == '\f' || c == '\v'
}

// hasBareDomain reports a dot between a host character and a known TLD that ends there
// ("example.com", "x.co/abc", "ｂｉｔ．ｌｙ" after NFKC) but not "ctx.Done()" or "v1.2.3".
func hasBareDomain(word string) bool {
	for i := 1; i+1 < len(word); i++ {
		if word[i] != '.' || !isHostByte(word[i-1]) {
			continue
		}
		j := i + 1
		for j < len(word) && (isASCIILetter(word[j]) || word[j] >= 0x80 || word[j] == '-' || '0' <= word[j] && word[j] <= '9') {
			j++
		}
		label := word[i+1 : j]
		if label == "" {
			continue
		}
		if tlds[strings.ToLower(label)] {
			return true
		}
		if !isASCII(label) || strings.HasPrefix(label, "xn--") {
			return true // IDN TLD or a punycode label: let the expression decide
		}
	}
	return false
}

// stripSchemeURLs blanks out "scheme://..." runs so hasBareDomain only sees what is around them.
func stripSchemeURLs(word string) string {
	i := strings.Index(word, "://")
	if i < 0 {
		return word
	}
	// The URL runs to the end of the word, except for trailing punctuation the expression drops;
	// a second bare domain glued to it is rare enough to leave to the strict match.
	start := i
	for start > 0 && (isASCIILetter(word[start-1]) || word[start-1] == '+' || word[start-1] == '.' || word[start-1] == '-') {
		start--
	}
	return word[:start]
}

func isHostByte(c byte) bool {
	return 'a' <= c && c <= 'z' || '0' <= c && c <= '9' || c >= 0x80 || 'A' <= c && c <= 'Z'
}

// parseLink splits a matched URL into its parts without net/url, which rejects much of what
// spammers write and allocates more than this needs.
func parseLink(raw string) (link, bool) {
	l := link{raw: raw}
	rest := raw
	if i := strings.Index(rest, "://"); i >= 0 {
		l.hasScheme = true
		rest = rest[i+3:]
	} else if strings.HasPrefix(rest, "mailto:") {
		l.email = true
		rest = rest[len("mailto:"):]
	}
	end := strings.IndexAny(rest, "/?#")
	hostPart := rest
	if end >= 0 {
		hostPart, l.path = rest[:end], rest[end:]
	}
	// userinfo: "https://github.com@evil.example/" goes to evil.example.
	if at := strings.LastIndexByte(hostPart, '@'); at >= 0 {
		if !l.hasScheme {
			l.email = true
		}
		l.user, hostPart = hostPart[:at], hostPart[at+1:]
	}
	if strings.HasPrefix(hostPart, "[") { // IPv6 literal
		if j := strings.IndexByte(hostPart, ']'); j > 0 {
			hostPart = hostPart[1:j]
		}
	} else if c := strings.LastIndexByte(hostPart, ':'); c >= 0 {
		hostPart = hostPart[:c]
	}
	l.host = strings.TrimSuffix(strings.ToLower(hostPart), ".")
	if l.host == "" {
		return l, false
	}
	l.www = strings.HasPrefix(l.host, "www.")
	if !l.hasScheme && !l.www && !l.email {
		tld := l.host[strings.LastIndexByte(l.host, '.')+1:]
		if fileExtensionTLDs[tld] && l.path == "" {
			return l, false
		}
	}
	return l, true
}

// fileExtensionTLDs are country codes that are also file extensions developers write all day.
var fileExtensionTLDs = map[string]bool{
	"md": true, "py": true, "rs": true, "sh": true, "pl": true, "rb": true, "cc": true, "cs": true,
	"ts": true, "js": false, "go": false, "so": true, "ps": true, "sc": true, "ml": true, "mk": true,
	"am": true, "ac": true, "in": true, "it": true, "zip": true, "mov": true, "java": true, "json": true,
	"yml": true, "toml": true, "lock": true, "log": true, "txt": true, "exe": true, "dll": true,
	"ai": true, "py3": true, "kt": true, "swift": true, "scala": true, "cfg": true, "ini": true,
	"app": false, "to": true, "io": false, "css": false, "html": false, "tf": true, "hs": true,
	"ex": true, "er": true, "el": true, "sql": false, "bz": true, "gz": true, "xz": true, "tar": true,
}

// ExtractURLs returns the byte spans (into s) and the text of every link the proposer sees in
// s. It exists for tests, fuzzing and the CLI's debug output.
func ExtractURLs(s string) []URLMatch {
	n := normalize(s)
	links := extractLinks(n.text)
	out := make([]URLMatch, len(links))
	for i, l := range links {
		sp := n.origSpan(l.start, l.end)
		out[i] = URLMatch{Span: [2]int{sp.start, sp.end}, URL: l.raw, Host: l.host}
	}
	return out
}

// URLMatch is one link found by ExtractURLs.
type URLMatch struct {
	Span [2]int `json:"span"`
	URL  string `json:"url"`
	Host string `json:"host"`
}
